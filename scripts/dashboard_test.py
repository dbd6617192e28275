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
and saves a full-page screenshot.

    python3 scripts/dashboard_test.py --binary target/debug/skillhouse --screenshot target/dashboard-screenshot.png
"""

import argparse
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

from selenium import webdriver
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
        errors = page.severe()
        assert not errors, "browser console errors:\n" + "\n".join(e["message"] for e in errors)
        log(f"no console errors; screenshot {screenshot}")
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
