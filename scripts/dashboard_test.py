#!/usr/bin/env python3
"""Headless-Chromium test of the dashboard page (issue 8), run by scripts/dashboard-test.

Rebuilds a warehouse from datasets/sample with the real `skillhouse` binary, serves it on a free port, opens the
page in Debian's chromium through chromedriver (selenium), and checks against the API, never against numbers
written here:
  - the page loads with no browser console error (level SEVERE), under the page's strict CSP, tooltips included;
  - the snapshot id and as-of date shown are the API's;
  - every KPI card, every programme bar (the chart's own data) and row, and every regions-table cell show the
    API's value for the selected region and year, formatted; withheld cells show "—" with a tooltip, never a number;
  - switching region shows that region's API values (cards, gauge caption, trend series);
  - the training section (DESIGN §16): training and subsidised 人次 cards with the API's target status, every
    programme's training and high-skilled cells, every region's 持证率 and non-compliant-class cells;
  - the all-targets section (DESIGN §17): every seed target grouped by document and clause with the API's status
    and basis, "—" where the API has no value; its XLSX and CSV exports;
  - sorting the regions table orders it; switching language changes the labels and the API-supplied names;
  - polling sends If-None-Match (the page counts 304 answers) and a newly published snapshot replaces the shown one;
  - the map (issue 29): ECharts registers the vendored boundaries (18 features), every reporting unit is drawn with
    the API's value for the selected year (郑州航空港区 as a point inside 郑州), a withheld value hatched grey with
    已抑制 in its tooltip and never coloured, colour bands against the province's target, the completion view, and
    a click on a city selects it;
  - printing (issue 29): Chrome's Page.printToPDF of the page is two A4 landscape pages whose text layer holds the
    headline values, the map, programmes and city table, the snapshot id, 数据截至 and the as-of date on every page,
    and none of the controls;
  - 序时进度 (issue 28), on a second warehouse rebuilt as of 2025-06-30: every headline flow card with a yearly target
    shows the API's expected value and pace status, its monthly chart the API's month-to-date values (withheld months
    as gaps) and the straight target line ending at the target; the programmes table sorts by pace;
and saves a full-page screenshot, the printed PDF and a screenshot of the mid-year page.

    python3 scripts/dashboard_test.py --binary target/debug/skillhouse --screenshot target/dashboard-screenshot.png
"""

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pypdf import PdfReader
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
# The page's region table and trends draw these; its cards are the catalogue's headline indicators.
PANEL_INDICATORS = ["high_skill_share", "new_high_skilled", "new_youth_technicians", "youth_share_new_top_grades",
                    "cert_mix_share"]
# The training section (scripts/../crates/skillhouse-server/assets/training.js): cards, and the regions table's columns.
TRAINING_CARDS = ["training_persons", "subsidised_training"]
TRAINING_INDICATORS = TRAINING_CARDS + ["training_certification_rate", "noncompliant_classes"]
CJK = re.compile(r"[\u4e00-\u9fff]")
# The map's colour bands by value ÷ break (crates/skillhouse-server/assets/map.js): below 90%, below 100%, below
# 110%, above; the break is the province's target of the share, or 100% of each region's target for completion.
MAP_BANDS = [(0.9, "far"), (1.0, "near"), (1.1, "at"), (float("inf"), "ahead")]
AIRPORT_ZONE, ZHENGZHOU = "410173", "410100"
A4_LANDSCAPE = (841.89, 595.28)  # PDF points


def log(message):
    print(f"dashboard-test: {message}", flush=True)


def clean_env():
    """The environment without a developer's SKILLHOUSE_* settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SKILLHOUSE_")}


def rebuild(binary, warehouse, key_file, as_of):
    env = clean_env()
    env["SKILLHOUSE_KEY_FILE"] = str(key_file)
    command = [binary, "rebuild", "--warehouse", str(warehouse), "--landing", str(ROOT / "datasets/sample"),
               "--as-of", as_of, "--json"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    # 3 = published, with some rows or files of the sample rejected (it carries defects on purpose).
    assert result.returncode in (0, 3), f"rebuild exited {result.returncode}: {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    assert report["published"], f"rebuild did not publish: {result.stdout[:2000]}"
    return report


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base):
        self.base = base

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as response:
            return json.load(response)

    def values(self, indicator):
        """Rows of an indicator keyed by (region, year, programme), agency-type rows left out."""
        answer = self.get(f"/api/v1/indicators/{indicator}")
        return answer, {(r["region_code"], r["year"], r["programme"]): r for r in answer["data"]
                        if r["agency_type"] is None}


def wait_ready(base, server, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert server.poll() is None, "skillhouse serve exited early"
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("skillhouse serve did not become ready")


def start_browser():
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1440,1000", "--lang=zh-CN", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


class Page:
    """The dashboard in the browser, with the console log collected as it goes."""

    def __init__(self, driver):
        self.driver = driver
        self.console = []

    def collect_console(self):
        self.console.extend(self.driver.get_log("browser"))

    def severe(self):
        self.collect_console()
        return [entry for entry in self.console if entry.get("level") == "SEVERE"]

    def wait(self, condition, what, seconds=30):
        try:
            wait = WebDriverWait(self.driver, seconds, poll_frequency=0.2,
                                 ignored_exceptions=(StaleElementReferenceException,))  # re-rendered meanwhile
            return wait.until(lambda d: condition())
        except Exception as error:  # TimeoutException, with the reason made readable
            raise AssertionError(f"timed out waiting for {what}") from error

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def by_id(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id):
        return self.by_id(element_id).text.strip()

    def chart_data(self, element_id, series=0):
        return self.js(
            "const c = echarts.getInstanceByDom(document.getElementById(arguments[0]));"
            "return c ? c.getOption().series[arguments[1]].data : null;", element_id, series)


def shown(indicator, row, catalogue):
    """What the page must show for an API row: the formatted value, or "—" when withheld or undefined."""
    if row is None:
        return None
    if row["suppressed"] or row["value"] is None:
        return "—"
    if catalogue[indicator]["unit"] == "share":
        return f"{row['value'] * 100:.1f}%"
    return f"{round(row['value']):,}"


def check_value_element(element, indicator, row, catalogue, k, where):
    text = element.text.strip()
    expected = shown(indicator, row, catalogue)
    if expected is None:
        assert element.get_attribute("data-value") == "missing", f"{where}: shows {text!r} for a missing row"
        return
    assert text == expected, f"{where} {indicator}: page shows {text!r}, the API's value is {expected!r} ({row})"
    if row["suppressed"]:
        title = element.get_attribute("title") or ""
        assert str(k) in title and element.get_attribute("data-value") == "suppressed", \
            f"{where} {indicator}: a withheld cell needs its tooltip naming k={k}, got {title!r}"
    else:
        assert float(element.get_attribute("data-value")) == row["value"], f"{where} {indicator}: data-value"


def expected_status(row):
    """The status a card must show for an API row: against its own target, else its reference, as the API says."""
    if row is None:
        return "missing"
    if row["suppressed"]:
        return "suppressed"
    if row["value"] is None:
        return "na"
    status = row["status"] if row["target"] is not None else (row.get("reference_status") or "n/a")
    return {"n/a": "na"}.get(status, status)


def check_training(page, driver, values, catalogue, k, province, year, regions):
    """The training section against the API: cards, programmes table, regions table. Returns a figure checked."""
    for indicator in TRAINING_CARDS:
        row = values[indicator].get((province, year, None))
        check_value_element(page.by_id(f"training-{indicator}"), indicator, row, catalogue, k, "training card")
        shown_status = page.by_id(f"training-{indicator}-status").get_attribute("data-status")
        assert shown_status == expected_status(row), f"training card {indicator}: {shown_status!r} vs API {row}"
    cells = 0
    for tr in driver.find_elements(By.CSS_SELECTOR, "#training-programmes-table tbody tr"):
        code = tr.get_attribute("data-programme")
        shown = {e.get_attribute("data-indicator"): e for e in tr.find_elements(By.CSS_SELECTOR, "[data-indicator]")}
        assert sorted(shown) == ["programme_new_high_skilled", "training_persons"], f"programme {code}: {sorted(shown)}"
        for indicator, element in shown.items():
            check_value_element(element, indicator, values[indicator].get((province, year, code)), catalogue, k,
                                f"training programme {code}")
            cells += 1
    assert cells == 20, f"{cells} programme cells in the training section, expected 10 programmes × 2"
    rows = driver.find_elements(By.CSS_SELECTOR, "#training-regions-table tbody tr")
    assert len(rows) == len(regions), f"{len(rows)} training table rows for {len(regions)} regions"
    published = 0
    for tr in rows:
        code = tr.get_attribute("data-region")
        elements = tr.find_elements(By.CSS_SELECTOR, "[data-indicator]")
        assert [e.get_attribute("data-indicator") for e in elements] == TRAINING_INDICATORS, code
        for element in elements:
            indicator = element.get_attribute("data-indicator")
            row = values[indicator].get((code, year, None))
            check_value_element(element, indicator, row, catalogue, k, f"training regions {code}")
            published += bool(row and not row["suppressed"] and row["value"] is not None)
    assert published > 0, "the training regions table shows no published value for the sample"
    total = values["training_persons"][(province, year, None)]
    return page.text("training-training_persons"), total


def expected_band(value, breaking):
    return next(name for limit, name in MAP_BANDS if value / breaking < limit)


def map_items(page):
    """The map's areas and points as the chart holds them, by region code, with how each is drawn."""
    return page.js("""
        const c = echarts.getInstanceByDom(document.getElementById('chart-map'));
        const s = c.getOption().series[0];
        const pick = (d, kind) => ({kind, region: d.region, state: d.state, raw: d.raw, band: d.band, colour: d.colour,
            areaColor: d.itemStyle && (d.itemStyle.areaColor || d.itemStyle.color),
            decal: !!(d.itemStyle && d.itemStyle.decal), coord: d.coord || null,
            tip: c.getOption().tooltip[0].formatter({data: d, name: d.name})});
        return [...s.data.map(d => pick(d, 'area')), ...s.markPoint.data.map(d => pick(d, 'point'))];
    """)


def check_map(page, driver, values, k, province, year, regions, share_target):
    """The map against the API for the selected year: returns how many withheld regions it drew as withheld."""
    page.wait(lambda: (page.by_id("chart-map").get_attribute("data-rendered") or "").startswith(f"{year}|share|"),
              "the map to render")
    geo = page.js("const g = echarts.getMap('henan').geoJSON; const f = g.features[0].geometry;"
                  "const ring = f.type === 'Polygon' ? f.coordinates[0] : f.coordinates[0][0];"
                  "return {n: g.features.length, codes: g.features.map(x => x.properties.region_code), first: ring[0]};")
    # ECharts 6 decoded the compressed GeoJSON of ECharts 4.9.0: plain longitude/latitude pairs inside Henan.
    assert geo["n"] == 18, f"{geo['n']} features registered"
    lon, lat = geo["first"]
    assert 110 < lon < 117 and 31 < lat < 37, f"a decoded coordinate outside Henan: {geo['first']}"
    items = {item["region"]: item for item in map_items(page)}
    expected_codes = sorted(r["region_code"] for r in regions if r["region_code"] != province)
    assert sorted(items) == expected_codes, f"map regions {sorted(items)} != {expected_codes}"
    assert sorted(c for c, i in items.items() if i["kind"] == "area") == sorted(geo["codes"])
    assert items[AIRPORT_ZONE]["kind"] == "point", items[AIRPORT_ZONE]
    inside = page.js("const c = echarts.getInstanceByDom(document.getElementById('chart-map'));"
                     "const r = c.getModel().getSeriesByIndex(0).coordinateSystem.getRegionByCoord(arguments[0]);"
                     "return r && r.name;", items[AIRPORT_ZONE]["coord"])
    assert inside == ZHENGZHOU, f"郑州航空港区's point {items[AIRPORT_ZONE]['coord']} lies in {inside}, not 郑州"
    assert share_target, f"no province target of the high-skill share for {year}"
    band_colours = {}
    withheld = 0
    for code, item in items.items():
        row = values["high_skill_share"].get((code, year, None))
        if row is None or (not row["suppressed"] and row["value"] is None):
            assert item["state"] == "missing" and item["raw"] is None, f"map {code}: {item} for {row}"
        elif row["suppressed"]:
            withheld += 1
            assert item["state"] == "suppressed" and item["raw"] is None and item["band"] == "suppressed", item
            assert "已抑制" in item["tip"] and str(k) in item["tip"], f"map {code} tooltip: {item['tip']!r}"
            if item["kind"] == "area":
                assert item["decal"], f"map {code}: a withheld city is hatched"
        else:
            assert item["state"] == "shown" and item["raw"] == row["value"], f"map {code}: {item} vs API {row}"
            band = expected_band(row["value"], share_target)
            assert item["band"] == band, f"map {code}: band {item['band']}, {row['value']} against {share_target}"
            assert f"{row['value'] * 100:.1f}%" in item["tip"], item["tip"]
            band_colours.setdefault(band, set()).add(item["colour"])
    withheld_colours = {items[c]["colour"] for c in items if items[c]["state"] == "suppressed"}
    assert all(len(c) == 1 for c in band_colours.values()), f"one colour per band: {band_colours}"
    assert not withheld_colours & set().union(*band_colours.values()), "a withheld city coloured like a value"
    legend = {li.get_attribute("data-band"): int(li.find_element(By.CSS_SELECTOR, ".count").text)
              for li in driver.find_elements(By.CSS_SELECTOR, "#map-legend li")}
    for band in ("far", "near", "at", "ahead", "suppressed", "missing"):
        assert legend.get(band) == sum(1 for i in items.values() if i["band"] == band), f"legend {band}: {legend}"
    assert "郑州航空港区" in page.text("map-legend"), "the legend says how the airport zone is drawn"
    # A tooltip on a city, under the page's CSP.
    page.js("echarts.getInstanceByDom(document.getElementById('chart-map'))"
            ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0});")
    time.sleep(0.3)
    errors = page.severe()
    assert not errors, "map tooltip: " + "; ".join(e["message"] for e in errors)

    # The completion view: each region's share against its own target, else the province's, broken at 100%.
    driver.find_element(By.CSS_SELECTOR, '#map-modes button[data-map-mode="completion"]').click()
    page.wait(lambda: (page.by_id("chart-map").get_attribute("data-rendered") or "").startswith(f"{year}|completion|"),
              "the completion map")
    checked = 0
    for code, item in {i["region"]: i for i in map_items(page)}.items():
        row = values["high_skill_share"].get((code, year, None))
        if not row or row["suppressed"] or row["value"] is None:
            assert item["raw"] is None, item
            continue
        target = row["target"] if row["target"] is not None else row.get("reference_target")
        expected = row["value"] / target
        assert abs(item["raw"] - expected) < 1e-12, f"completion {code}: {item['raw']} != {expected}"
        assert item["band"] == expected_band(expected, 1.0), f"completion band {code}: {item}"
        checked += 1
    assert checked > 0, "no published completion on the map"
    driver.find_element(By.CSS_SELECTOR, '#map-modes button[data-map-mode="share"]').click()
    page.wait(lambda: (page.by_id("chart-map").get_attribute("data-rendered") or "").startswith(f"{year}|share|"),
              "the share map again")

    # A click on a city with a published value selects it, as the table's links do.
    shown_codes = [c for c, i in items.items() if i["kind"] == "area" and i["state"] == "shown"]
    assert shown_codes, "no city with a published share on the map"
    code = shown_codes[0]
    pixel = page.js("const c = echarts.getInstanceByDom(document.getElementById('chart-map'));"
                    "const f = echarts.getMap('henan').geoJSON.features.find(x => x.properties.region_code === arguments[0]);"
                    "return c.convertToPixel({seriesIndex: 0}, f.properties.cp);", code)
    canvas = page.by_id("chart-map")
    page.js("arguments[0].scrollIntoView({block: 'center'})", canvas)
    size = canvas.size
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(pixel[0] - size["width"] / 2), int(pixel[1] - size["height"] / 2)).click().perform()
    page.wait(lambda: Select(page.by_id("region-select")).first_selected_option.get_attribute("value") == code,
              f"a click on {code} to select it")
    page.wait(lambda: page.by_id("kpi-high_skill_share").get_attribute("data-region") == code, "the cards of the city")
    Select(page.by_id("region-select")).select_by_value(province)
    page.wait(lambda: page.by_id("kpi-high_skill_share").get_attribute("data-region") == province, "province again")
    return withheld, code


def check_print(page, driver, pdf_path, snapshot, kpi_texts, regions):
    """Chrome's own print of the page (Ctrl-P's layout): two A4 landscape pages, the report's text on them."""
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    answer = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    pdf_path.write_bytes(base64.b64decode(answer["data"]))
    reader = PdfReader(str(pdf_path))
    assert len(reader.pages) == 2, f"the printed report has {len(reader.pages)} pages, not 2"
    texts = []
    for number, pdf_page in enumerate(reader.pages, 1):
        box = pdf_page.mediabox
        assert abs(float(box.width) - A4_LANDSCAPE[0]) < 2 and abs(float(box.height) - A4_LANDSCAPE[1]) < 2, \
            f"page {number} is {box.width}×{box.height} pt, not A4 landscape"
        text = pdf_page.extract_text()
        for needed in (snapshot["snapshot_id"], snapshot["as_of"], "数据截至"):
            assert needed in text, f"page {number} of the print lacks {needed!r}"
        texts.append(text)
    first, second = texts
    for indicator, shown_text in kpi_texts.items():
        assert shown_text in first, f"page 1 of the print lacks the headline {indicator} {shown_text!r}"
    assert "各地区分布图" in first and "郑州航空港区" in first, "page 1 holds the map and its legend"
    assert "十个专项" in second and "各地区" in second, "page 2 holds the programmes and the city table"
    for region in regions:
        assert region["name_zh"] in second, f"the printed city table lacks {region['name_zh']}"
    for control in ("English", "正在加载", "检查更新", "职业技能培训", "历年趋势"):
        assert control not in first + second, f"the print shows {control!r}"
    return [len(t) for t in texts]
PACE_AS_OF = "2025-06-30"


def check_pace(binary, work, driver, key_file, screenshot):
    """序时进度 on a warehouse rebuilt mid-year: the cards, the monthly charts and the programmes table against the API."""
    warehouse = work / "warehouse-mid-year"
    log(f"rebuilding {warehouse} from datasets/sample as of {PACE_AS_OF} (序时进度)")
    rebuild(binary, warehouse, key_file, PACE_AS_OF)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = open(work / "serve-mid-year.log", "w", encoding="utf-8")
    server = subprocess.Popen([binary, "serve", "--warehouse", str(warehouse), "--addr", f"127.0.0.1:{port}"],
                              env=clean_env(), stdout=server_log, stderr=subprocess.STDOUT)
    try:
        wait_ready(base, server)
        api = Api(base)
        catalogue = {entry["indicator_id"]: entry for entry in api.get("/api/v1/indicators")["data"]}
        regions = api.get("/api/v1/regions")["data"]
        province = next(r["region_code"] for r in regions if r["kind"] == "province")
        year = int(PACE_AS_OF[:4])
        elapsed = 181 / 365  # 30 June of a common year, the as-of day counted
        flows = [e["indicator_id"] for e in catalogue.values() if e.get("headline") is not None and e.get("kind") == "flow"]
        assert flows, "no headline flow indicator in the catalogue"
        paced = 0
        page = Page(driver)
        driver.get(f"{base}/?poll=600")
        page.wait(lambda: page.js("return document.body.dataset.ready") == "true", "the mid-year page to load")
        for indicator in flows:
            _, rows = api.values(indicator)
            row = rows.get((province, year, None))
            pace_element = page.by_id(f"kpi-{indicator}-pace")
            if row is None or row.get("pace_status") is None:
                assert not pace_element.is_displayed(), f"{indicator}: pace shown without one in the API"
                continue
            paced += 1
            assert abs(row["elapsed_share"] - elapsed) < 1e-9, f"{indicator}: elapsed share {row['elapsed_share']}"
            assert abs(row["expected_to_date"] - row["target"] * elapsed) < 1e-6, row
            assert pace_element.is_displayed(), f"{indicator}: no pace line"
            assert float(pace_element.get_attribute("data-expected")) == row["expected_to_date"]
            badge = pace_element.find_element(By.CSS_SELECTOR, ".pace-badge")
            assert badge.get_attribute("data-pace") == row["pace_status"], (badge.get_attribute("data-pace"), row)
            assert CJK.search(pace_element.text) and "序时进度" in pace_element.text, pace_element.text
            # The monthly chart: January to June, the API's month-to-date values, the straight target line.
            chart_id = f"kpi-{indicator}-monthly"
            monthly = api.get(f"/api/v1/monthly?indicator={indicator}&region={province}&year={year}")["data"]
            assert [m["month"] for m in monthly] == [1, 2, 3, 4, 5, 6], monthly
            assert monthly[-1]["month_end"] == PACE_AS_OF
            if not monthly[-1]["suppressed"] and not row["suppressed"]:
                assert monthly[-1]["value"] == row["value"], (monthly[-1], row)
            page.wait(lambda: page.by_id(chart_id).get_attribute("data-months") == "6", f"{indicator}'s monthly chart")
            drawn = page.chart_data(chart_id, 0)
            assert drawn[:6] == [None if m["suppressed"] else m["value"] for m in monthly], (drawn, monthly)
            assert all(v is None for v in drawn[6:]), f"months after the as-of date drawn: {drawn}"
            line = page.chart_data(chart_id, 1)
            assert len(line) == 12 and line[-1] == round(row["target"]), line
            assert line[5] == round(row["target"] * 181 / 365), line
            log(f"{indicator}: value {row['value']}, expected {row['expected_to_date']:.0f}, {row['pace_status']}; "
                f"monthly {drawn[:6]}")
        assert paced, "no headline flow target with pace as of 2025-06-30"
        # The programmes table sorted by pace: furthest behind the calendar first.
        _, programme_rows = api.values("programme_new_high_skilled")
        page.by_id("programmes-table").find_element(By.CSS_SELECTOR, 'th[data-sort="pace"] button').click()
        page.wait(lambda: page.by_id("programmes-table").find_element(By.CSS_SELECTOR, 'th[data-sort="pace"]')
                  .get_attribute("aria-sort") == "ascending", "the programmes table sorted by pace")
        order = [tr.get_attribute("data-programme") for tr in
                 page.by_id("programmes-table").find_elements(By.CSS_SELECTOR, "tbody tr")]

        def ahead_by(code):
            r = programme_rows.get((province, year, code))
            if not r or r.get("pace_status") is None or r["suppressed"] or r["value"] is None or not r["target"]:
                return None
            return r["value"] / r["target"] - r["elapsed_share"]

        keys = [ahead_by(code) for code in order]
        known = [k for k in keys if k is not None]
        assert known == sorted(known) and keys[:len(known)] == known, f"pace order {list(zip(order, keys))}"
        log(f"programmes sorted by pace: {order}")
        height = int(page.js("return document.documentElement.scrollHeight"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1440, "height": height, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(1.0)
        mid_year = screenshot.with_name(screenshot.stem + "-mid-year.png")
        assert driver.save_screenshot(str(mid_year)), "mid-year screenshot not written"
        errors = page.severe()
        assert not errors, "browser console errors (mid-year):\n" + "\n".join(e["message"] for e in errors)
        log(f"序时进度 shown as of {PACE_AS_OF}; screenshot {mid_year}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
def check_targets(page, driver, api, base):
    """The all-targets section (DESIGN §17, targets.js) against /api/v1/targets/progress: one row per target, grouped
    by document and clause, each with the API's status and basis (its Chinese words), "—" for a value the API does
    not give; the XLSX and CSV exports answer with the same rows. Returns (targets, bases counted)."""
    answer = api.get("/api/v1/targets/progress")
    rows = answer["data"]
    assert rows, "the API serves no target"
    page.wait(lambda: page.js("return document.getElementById('targets-panel').dataset.ready") == "true",
              "the all-targets section")
    assert page.by_id("targets-panel").get_attribute("data-snapshot-id") == answer["snapshot_id"]
    shown = {tr.get_attribute("data-target-id"): tr
             for tr in driver.find_elements(By.CSS_SELECTOR, "#targets-panel tr[data-target-id]")}
    assert len(shown) == len(rows), f"{len(shown)} target rows shown, API has {len(rows)}"
    documents = sorted({r["document"] for r in rows})
    sections = [s.get_attribute("data-document")
                for s in driver.find_elements(By.CSS_SELECTOR, "#targets-panel section.targets-document")]
    assert sections == documents, f"documents shown {sections}, API {documents}"
    clauses = len({(r["document"], r["clause"]) for r in rows})
    clause_rows = len(driver.find_elements(By.CSS_SELECTOR, "#targets-panel tr.clause"))
    assert clause_rows >= clauses, f"{clause_rows} clause rows for {clauses} clauses"
    bases = {}
    for row in rows:
        tr = shown[row["target_id"]]
        status = "suppressed" if row["suppressed"] else row["status"]
        assert tr.get_attribute("data-status") == status, f"{row['target_id']}: status {tr.get_attribute('data-status')} vs {row}"
        assert tr.get_attribute("data-basis") == row["basis"], f"{row['target_id']}: basis vs {row}"
        basis_text = tr.find_element(By.CSS_SELECTOR, ".basis").text.strip()
        assert basis_text == row["basis_zh"], f"{row['target_id']}: basis shown {basis_text!r} vs {row['basis_zh']!r}"
        value_text = tr.find_element(By.CSS_SELECTOR, ".value-cell").text.strip()
        if row["value"] is None:
            assert value_text == "—", f"{row['target_id']}: no value, shown {value_text!r}"
        else:
            assert value_text != "—" and re.search(r"\d", value_text), f"{row['target_id']}: {value_text!r} vs {row}"
        bases[row["basis"]] = bases.get(row["basis"], 0) + 1
    assert bases.get("no_data", 0) > 0 and bases.get("computed", 0) > 0, bases
    for fmt, media in (("xlsx", "spreadsheetml.sheet"), ("csv", "text/csv")):
        href = page.by_id(f"targets-export-{fmt}").get_attribute("href")
        assert href.endswith(f"/api/v1/targets/progress?format={fmt}"), href
        with urllib.request.urlopen(href, timeout=10) as response:
            body = response.read()
            assert media in response.headers["Content-Type"], response.headers["Content-Type"]
        if fmt == "xlsx":
            assert body[:2] == b"PK", "a workbook is a zip archive"
        else:
            lines = body.decode("utf-8").strip().split("\r\n")
            assert len(lines) == len(rows) + 1, f"CSV has {len(lines)} lines for {len(rows)} targets"
    return len(rows), bases


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshot", required=True)
    args = parser.parse_args()
    binary = str(Path(args.binary).resolve())
    screenshot = Path(args.screenshot).resolve()
    as_of = json.loads((ROOT / "datasets/sample/manifest.json").read_text(encoding="utf-8"))["as_of"]

    work = Path(tempfile.mkdtemp(prefix="skillhouse-dashboard-test-"))
    server = driver = None
    page = None
    try:
        key_file = work / "key.hex"
        key_file.write_text(secrets.token_hex(32), encoding="utf-8")
        warehouse = work / "warehouse"
        log(f"rebuilding {warehouse} from datasets/sample (as of {as_of})")
        first = rebuild(binary, warehouse, key_file, as_of)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server_log = open(work / "serve.log", "w", encoding="utf-8")
        server = subprocess.Popen(
            [binary, "serve", "--warehouse", str(warehouse), "--addr", f"127.0.0.1:{port}", "--poll-interval", "0.5"],
            env=clean_env(), stdout=server_log, stderr=subprocess.STDOUT)
        wait_ready(base, server)
        api = Api(base)
        snapshot = api.get("/api/v1/snapshot")
        assert snapshot["snapshot_id"] == first["snapshot_id"]
        catalogue = {entry["indicator_id"]: entry for entry in api.get("/api/v1/indicators")["data"]}
        kpis = [e["indicator_id"] for e in sorted((e for e in catalogue.values() if e.get("headline") is not None),
                                                  key=lambda e: (e["headline"], e["indicator_id"]))]
        assert kpis, "the catalogue names no headline indicator"
        regions = api.get("/api/v1/regions")["data"]
        province = next(r["region_code"] for r in regions if r["kind"] == "province")
        programmes = [p for p in api.get("/api/v1/programmes")["data"] if not p["parent"]]
        values = {}
        k = None
        for indicator in list(dict.fromkeys(kpis + PANEL_INDICATORS + ["programme_new_high_skilled"]
                                            + TRAINING_INDICATORS)):
            answer, rows = api.values(indicator)
            values[indicator] = rows
            k = answer["suppression_k"]

        driver = start_browser()
        page = Page(driver)
        log(f"opening {base}/?poll=2 in headless chromium")
        driver.get(f"{base}/?poll=2")
        page.wait(lambda: page.js("return document.body.dataset.ready") == "true", "the page to load its data")

        # The page's own CSP and headers.
        with urllib.request.urlopen(base + "/", timeout=10) as response:
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp and "http" not in csp, csp

        # Snapshot and as-of date.
        assert page.text("snapshot-id") == snapshot["snapshot_id"], page.text("snapshot-id")
        assert page.text("as-of") == snapshot["as_of"], page.text("as-of")
        assert page.js("return document.documentElement.lang") == "zh-CN"

        year = int(Select(page.by_id("year-select")).first_selected_option.get_attribute("value"))
        years = sorted({y for (_, y, _) in values["high_skill_share"]})
        assert year == int(snapshot["as_of"][:4]) or year == years[-1], f"default year {year}"
        assert Select(page.by_id("region-select")).first_selected_option.get_attribute("value") == province

        # KPI cards of the province, including the high-skill share.
        for indicator in kpis:
            row = values[indicator].get((province, year, None))
            check_value_element(page.by_id(f"kpi-{indicator}"), indicator, row, catalogue, k, "province card")
            # The status shown is the one the API serves: against the value's own target, else its reference.
            shown_status = page.by_id(f"kpi-{indicator}-status").get_attribute("data-status")
            assert shown_status == expected_status(row), f"card {indicator}: status {shown_status!r}, API {row}"
        province_share = values["high_skill_share"][(province, year, None)]
        log(f"province high-skill share {year}: page {page.text('kpi-high_skill_share')!r} = API {province_share['value']}")

        # The ten programmes: the chart's bars and the table, against the API.
        bars = page.chart_data("chart-programmes")
        assert len(bars) == len(programmes) == 10, f"{len(bars)} bars for {len(programmes)} programmes"
        checked_bar = None
        for programme, bar in zip(sorted(programmes, key=lambda p: int(p["programme"])), bars):
            row = values["programme_new_high_skilled"].get((province, year, programme["programme"]))
            assert bar["programme"] == programme["programme"]
            if row is None:
                assert bar["state"] == "missing"
                continue
            if row["suppressed"]:
                assert bar["state"] == "suppressed" and bar["raw"] is None and bar["value"] is None, bar
                continue
            assert bar["raw"] == row["value"], f"programme {programme['programme']}: bar {bar} vs API {row}"
            if row["target"]:
                assert abs(bar["value"] - round(row["value"] / row["target"] * 100, 2)) < 1e-9, (bar, row)
                checked_bar = checked_bar or (programme["programme"], bar["raw"], row["value"])
        for tr in driver.find_elements(By.CSS_SELECTOR, "#programmes-table tbody tr"):
            code = tr.get_attribute("data-programme")
            element = tr.find_element(By.CSS_SELECTOR, "[data-indicator]")
            check_value_element(element, "programme_new_high_skilled",
                                values["programme_new_high_skilled"].get((province, year, code)),
                                catalogue, k, f"programme {code}")
        log(f"programme bar checked against the API: {checked_bar}")

        # The regions table: every value cell of every row.
        rows = driver.find_elements(By.CSS_SELECTOR, "#regions-table tbody tr")
        assert len(rows) == len(regions), f"{len(rows)} table rows for {len(regions)} regions"
        suppressed_seen = 0
        for tr in rows:
            code = tr.get_attribute("data-region")
            for element in tr.find_elements(By.CSS_SELECTOR, "[data-indicator]"):
                indicator = element.get_attribute("data-indicator")
                row = values[indicator].get((code, year, None))
                check_value_element(element, indicator, row, catalogue, k, f"regions table {code}")
                suppressed_seen += bool(row and row["suppressed"])
        api_suppressed = sum(1 for r in regions for i in PANEL_INDICATORS
                             if (values[i].get((r["region_code"], year, None)) or {}).get("suppressed"))
        assert suppressed_seen == api_suppressed, f"{suppressed_seen} withheld cells shown, API has {api_suppressed}"
        log(f"regions table: {len(rows)} rows match the API ({suppressed_seen} withheld cells shown as —)")

        # The map (issue 29) for the selected year, against the API; the province's target is the colour break.
        province_row = values["high_skill_share"][(province, year, None)]
        province_target = province_row["target"] if province_row["target"] is not None \
            else province_row.get("reference_target")
        withheld, clicked = check_map(page, driver, values, k, province, year, regions, province_target)
        log(f"map {year}: {len(regions) - 1} regions as the API has them ({withheld} withheld drawn hatched, "
            f"not coloured); a click on {clicked} selected it")

        # The training section (issue 22): the sample includes training, so the province's 人次 are published.
        shown_total, api_total = check_training(page, driver, values, catalogue, k, province, year, regions)
        assert api_total["value"] is not None and not api_total["suppressed"], f"training 人次 {year}: {api_total}"
        log(f"training 人次 {year}: page {shown_total!r} = API {api_total['value']} "
            f"(target {api_total['target']}, status {api_total['status']})")

        # The all-targets section (issue 23): every seed target with the API's status and basis; its exports.
        targets_count, bases = check_targets(page, driver, api, base)
        log(f"all-targets section: {targets_count} targets match the API (bases {bases}); XLSX and CSV exports answer")

        # A tooltip on every chart: they must work under the page's CSP (an inline style would log an error).
        for chart_id in ("chart-programmes", "chart-regions", "chart-trend-shares", "chart-trend-counts"):
            shown_tip = page.js(
                "const c = echarts.getInstanceByDom(document.getElementById(arguments[0]));"
                "const data = c.getOption().series[0].data;"
                "const i = Math.max(0, data.findIndex(d => d && d.value != null));"
                "c.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: i});"
                "return i;", chart_id)
            time.sleep(0.3)
            errors = page.severe()
            assert not errors, f"tooltip of {chart_id} (point {shown_tip}): " + "; ".join(e["message"] for e in errors)

        # Sorting by the high-skill share, both ways: shown values in order, withheld ones last.
        header = driver.find_element(By.CSS_SELECTOR, '#regions-table th[data-sort="high_skill_share"] button')
        for _ in range(2):
            header.click()
            direction = page.js("return document.querySelector('#regions-table th[data-sort=\"high_skill_share\"]')"
                                ".getAttribute('aria-sort')")
            cells = page.js("return [...document.querySelectorAll('#regions-table tbody tr:not(.province) "
                            "[data-indicator=high_skill_share]')].map(e => e.dataset.value)")
            numbers = [float(v) for v in cells if v not in ("suppressed", "missing", "null")]
            tail = cells[len(numbers):]
            assert all(v in ("suppressed", "missing", "null") for v in tail), f"withheld values sort last: {cells}"
            assert numbers == sorted(numbers, reverse=(direction == "descending")), f"{direction}: {numbers}"

        # Switching region: choose one whose high-skill share is published this year.
        candidates = [r for r in regions if r["region_code"] != province
                      and not values["high_skill_share"].get((r["region_code"], year, None), {"suppressed": True})["suppressed"]]
        assert candidates, "no region with a published high-skill share in the sample"
        region = candidates[0]
        code = region["region_code"]
        Select(page.by_id("region-select")).select_by_value(code)
        page.wait(lambda: page.by_id("kpi-high_skill_share").get_attribute("data-region") == code, "the region switch")
        for indicator in kpis:
            check_value_element(page.by_id(f"kpi-{indicator}"), indicator, values[indicator].get((code, year, None)),
                                catalogue, k, f"card of {code}")
        assert page.text("gauge-region-name") == region["name_zh"], page.text("gauge-region-name")
        for indicator in TRAINING_CARDS:
            check_value_element(page.by_id(f"training-{indicator}"), indicator,
                                values[indicator].get((code, year, None)), catalogue, k, f"training card of {code}")
        assert page.text("kpi-high_skill_share") != page.text("kpi-province-high_skill_share") or \
            values["high_skill_share"][(code, year, None)]["value"] == province_share["value"]
        trend = page.chart_data("chart-trend-shares")
        for point in trend:
            row = values["high_skill_share"].get((code, point["year"], None))
            expected = None if row is None or row["suppressed"] else row["value"]
            assert point["raw"] == expected, f"trend of {code} {point['year']}: {point} vs {row}"
        log(f"region switch to {code} {region['name_zh']}: high-skill share {page.text('kpi-high_skill_share')}")

        # Language: labels and the API's names change; back again.
        title_zh = page.text("title")
        page.by_id("lang-toggle").click()
        page.wait(lambda: page.js("return document.documentElement.lang") == "en", "the English page")
        title_en = page.text("title")
        assert title_en != title_zh and not CJK.search(title_en), title_en
        assert page.text("gauge-region-name") == region["name_en"], page.text("gauge-region-name")
        options = [o.text for o in Select(page.by_id("region-select")).options]
        by_code = {r["region_code"]: r for r in regions}
        assert options == [by_code[o.get_attribute("value")]["name_en"]
                           for o in Select(page.by_id("region-select")).options], options
        first_programme = driver.find_element(By.CSS_SELECTOR, "#programmes-table tbody tr th").text
        assert not CJK.search(first_programme), first_programme
        check_value_element(page.by_id("kpi-high_skill_share"), "high_skill_share",
                            values["high_skill_share"].get((code, year, None)), catalogue, k, "English card")
        page.by_id("lang-toggle").click()
        page.wait(lambda: page.js("return document.documentElement.lang") == "zh-CN", "the Chinese page")
        assert page.text("title") == title_zh
        log(f"language switch: {title_zh!r} ⇄ {title_en!r}")

        # Polling: a 304 for the unchanged snapshot, then a new snapshot replaces the shown one.
        page.wait(lambda: int(page.js("return document.body.dataset.notModified || '0'")) >= 1,
                  "a 304 answer to the page's If-None-Match poll")
        log("rebuilding again to publish a new snapshot")
        second = rebuild(binary, warehouse, key_file, as_of)
        assert second["snapshot_id"] != first["snapshot_id"], "the second rebuild published the same snapshot id"
        page.wait(lambda: page.text("snapshot-id") == second["snapshot_id"], "the page to show the new snapshot", 60)
        assert page.by_id("kpi-high_skill_share").get_attribute("data-region") == code, "selection kept on update"
        log(f"new snapshot {second['snapshot_id']} picked up by polling")

        # Back to the province for the screenshot, then the console.
        Select(page.by_id("region-select")).select_by_value(province)
        page.wait(lambda: page.by_id("kpi-high_skill_share").get_attribute("data-region") == province, "province")
        height = int(page.js("return document.documentElement.scrollHeight"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1440, "height": height, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(1.0)  # charts resize after a short debounce
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(screenshot)), "screenshot not written"
        # The printed report (issue 29): Chrome's Page.printToPDF with the page's own @page size.
        kpi_texts = {i: shown(i, values[i].get((province, year, None)), catalogue) for i in kpis}
        kpi_texts = {i: text for i, text in kpi_texts.items() if text not in (None, "—")}
        assert kpi_texts, "no published headline value to find in the print"
        report = screenshot.with_name("dashboard-report.pdf")
        printed = api.get("/api/v1/snapshot")
        lengths = check_print(page, driver, report, printed, kpi_texts, regions)
        log(f"printed report {report}: 2 A4 landscape pages ({lengths} characters of text), headline values "
            f"{sorted(kpi_texts.values())}, 数据截至 {printed['as_of']} and snapshot {printed['snapshot_id']} on each")
        errors = page.severe()
        assert not errors, "browser console errors:\n" + "\n".join(e["message"] for e in errors)
        log(f"no console errors; screenshot {screenshot}")
        check_pace(binary, work, driver, key_file, screenshot)
        print(f"PASS dashboard test; screenshot: {screenshot}")
        return 0
    except AssertionError as error:
        print(f"FAIL dashboard test: {error}", file=sys.stderr)
        if page is not None:
            try:
                failed = screenshot.with_name(screenshot.stem + "-failed.png")
                driver.save_screenshot(str(failed))
                print(f"screenshot of the failure: {failed}", file=sys.stderr)
                for entry in page.severe():
                    print(f"console: {entry['message']}", file=sys.stderr)
            except Exception:  # the browser may be gone; the assertion is the news
                pass
        if (work / "serve.log").exists():
            print("server log (tail):\n" + (work / "serve.log").read_text(encoding="utf-8")[-3000:], file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
