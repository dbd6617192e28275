// SkillHouse dashboard, the map of Henan (issue 29): a choropleth of the 17 cities and 济源示范区 for the indicator
// chosen beside it — the high-skill share against the province's target, or the completion of each region's target
// (its own, else the province's, as the regions table shows it) against 100% — coloured by how far each value is
// below or above that break. A withheld value (small-cell suppression) is drawn grey and hatched, with 已抑制 in its
// tooltip, never coloured as zero. 郑州航空港区 has no boundary of its own (it lies inside 郑州): it is a marked point
// with its value, and the legend says so. Clicking a city selects it, as the table's links do.
//
// The boundaries are `vendor/henan.json`, ECharts 4.9.0's compressed GeoJSON (see web/README.md), fetched from this
// origin; each feature's `id` is the region code, which is how a value finds its city. Loaded before dashboard.js,
// which calls `render` with its helpers (one snapshot, the same values, targets and status as the other panels).
'use strict';

window.SkillhouseMap = (function () {
  const MAP = 'henan';
  const SHARE = 'high_skill_share';
  const MODES = ['share', 'completion'];
  // 郑州航空港区 (410173): no boundary in the file; drawn at 新郑国际机场, the centre of the zone's core area
  // (WGS-84, rounded to 0.01°), which the browser test checks lies inside 郑州's boundary.
  const POINTS = { 410173: [113.84, 34.52] };
  // Colour classes by value ÷ break: well below, just below, at or just above, well above; the break is the
  // province's target (share) or 100% of each region's target (completion).
  const BANDS = [
    { key: 'far', below: 0.9, color: '#c0392b' },
    { key: 'near', below: 1, color: '#f3c4bd' },
    { key: 'at', below: 1.1, color: '#a9d8b5' },
    { key: 'ahead', below: Infinity, color: '#1b7f3b' },
  ];
  const SUPPRESSED = { color: '#c9ced6', stripe: '#8a94a6' };
  const MISSING = '#f4f6f9';
  const INK = '#1b2433';
  const SELECTED = '#f5b700';

  // This section's labels, merged into the page's (i18n.js), Chinese first.
  const LABELS = {
    zh: {
      mapTitle: '各地区分布图',
      mapModes: '地图显示的指标',
      mapModeShare: '高技能人才占比',
      mapModeCompletion: '完成率',
      mapNoteShare: '{year}年 · 各地区高技能人才占比，以全省目标 {t} 为分界 · 点击地区查看该地区',
      mapNoteCompletion: '{year}年 · 各地区高技能人才占比完成率（对照本地区目标；无本地区目标的参照全省目标），以 100% 为分界 · 点击地区查看该地区',
      mapNoTarget: '（无全省目标，不分色）',
      mapBandFar: '低于分界 10% 以上',
      mapBandNear: '略低于分界',
      mapBandAt: '达到分界（不足 110%）',
      mapBandAhead: '高于分界 10% 以上',
      mapBandSuppressed: '已抑制（小额数据保护，不是零）',
      mapBandMissing: '无数据',
      mapBreak: '分界',
      mapProvince: '全省',
      mapPoint: '● 郑州航空港区无单独边界（位于郑州市内），以圆点表示其数值',
      mapUnavailable: '地图边界未能加载：{msg}',
      mapPointLabel: '航空港区',
      mapPrintScope: '{name} · {year}年',
    },
    en: {
      mapTitle: 'Map of the regions',
      mapModes: 'Indicator on the map',
      mapModeShare: 'High-skill share',
      mapModeCompletion: 'Completion',
      mapNoteShare: '{year} · each region’s high-skill share, broken at the province target {t} · select a region to show it',
      mapNoteCompletion: '{year} · completion of each region’s high-skill share target (its own, else the province’s), broken at 100% · select a region to show it',
      mapNoTarget: ' (no province target: not coloured by band)',
      mapBandFar: 'more than 10% below the break',
      mapBandNear: 'just below the break',
      mapBandAt: 'at the break (under 110%)',
      mapBandAhead: 'more than 10% above the break',
      mapBandSuppressed: '已抑制 withheld (small-cell suppression, not zero)',
      mapBandMissing: 'no data',
      mapBreak: 'Break',
      mapProvince: 'Province',
      mapPoint: '● Zhengzhou Airport Economy Zone has no boundary of its own (it lies inside Zhengzhou): a point shows its value',
      mapUnavailable: 'The map boundaries could not be loaded: {msg}',
      mapPointLabel: 'Airport zone',
      mapPrintScope: '{name} · {year}',
    },
  };
  for (const lang of Object.keys(LABELS)) {
    if (window.SkillhouseI18n && window.SkillhouseI18n[lang]) Object.assign(window.SkillhouseI18n[lang], LABELS[lang]);
  }

  let mode = 'share';
  let lastView = null;
  let geo = null; // 'loading' | 'ready' | Error

  // Fetches and registers the boundaries once; each feature gets its region code as a property, by which the
  // series names its data (`nameProperty`).
  function load() {
    if (geo) return;
    geo = 'loading';
    const meta = document.querySelector('meta[name="skillhouse-map"]');
    fetch(meta ? meta.content : '', { credentials: 'same-origin' })
      .then((response) => {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then((json) => {
        for (const feature of json.features) feature.properties.region_code = String(feature.id);
        window.echarts.registerMap(MAP, json);
        geo = 'ready';
        if (lastView) render(lastView);
      })
      .catch((error) => {
        geo = error instanceof Error ? error : new Error(String(error));
        if (lastView) render(lastView);
      });
  }

  function bandOf(ratio) {
    return BANDS.find((band) => ratio < band.below);
  }

  // What the map shows for one region: its value in the chosen mode, the break it is compared with, its state.
  function itemOf(view, code, breakValue) {
    const { state } = view;
    const valueRow = view.rowOf(SHARE, code, state.year);
    let value = null;
    if (valueRow && !valueRow.suppressed && valueRow.value != null) {
      value = mode === 'share' ? valueRow.value : view.completionOf(valueRow, view.targetFor(SHARE, code, state.year));
    }
    const itemState = !valueRow ? 'missing' : valueRow.suppressed ? 'suppressed' : value == null ? 'missing' : 'shown';
    const band = itemState === 'shown' && breakValue ? bandOf(value / breakValue) : null;
    return { code, valueRow, value, state: itemState, band: band ? band.key : itemState === 'shown' ? 'none' : itemState };
  }

  function colourOf(item) {
    if (item.state === 'suppressed') return SUPPRESSED.color;
    if (item.state !== 'shown') return MISSING;
    const band = BANDS.find((b) => b.key === item.band);
    return band ? band.color : '#9fb7d9';
  }

  function valueText(view, item) {
    if (item.state === 'suppressed') return '—';
    if (item.state !== 'shown') return view.t('noData');
    return mode === 'share' ? view.formatShare(item.value) : view.formatPercent(item.value);
  }

  function tooltipLines(view, item) {
    const { t } = view;
    const lines = [[mode === 'share' ? t('mapModeShare') : t('mapModeCompletion'), valueText(view, item)]];
    if (item.state === 'suppressed') lines[0][1] = t('statusSuppressed') + ' — ' + t('suppressedTip', { k: view.state.data.k });
    if (mode === 'completion' && item.state === 'shown') lines.push([t('highSkillShareShort'), view.formatShare(item.valueRow.value)]);
    const target = view.targetFor(SHARE, item.code, view.state.year);
    if (target) lines.push([t('target'), view.formatShare(target.value) + (target.official ? '' : ' · ' + t('refTarget', { year: target.year }))]);
    return lines;
  }

  function shortName(view, code) {
    const name = view.regionName(code);
    return view.state.lang === 'zh' ? name.replace(/市$/, '') : name;
  }

  function render(view) {
    lastView = view;
    const { state, $, t } = view;
    const element = $('chart-map');
    if (!element || !window.echarts) return;
    load();
    renderModes(view);
    const province = state.data.province;
    const provinceTarget = view.targetFor(SHARE, province, state.year);
    const breakValue = mode === 'share' ? (provinceTarget ? provinceTarget.value : null) : 1;
    const breakText = mode === 'share' ? (provinceTarget ? view.formatShare(provinceTarget.value) : '—') : '100%';
    $('map-note').textContent =
      mode === 'share' ? t('mapNoteShare', { year: state.year, t: breakText }) + (breakValue ? '' : t('mapNoTarget')) : t('mapNoteCompletion', { year: state.year });
    $('print-scope').textContent = t('mapPrintScope', { name: view.regionName(state.region), year: state.year });
    if (geo instanceof Error) {
      element.dataset.rendered = 'error';
      $('map-note').textContent = t('mapUnavailable', { msg: geo.message });
      return;
    }
    if (geo !== 'ready') return;

    const codes = state.data.regions.map((r) => r.region_code).filter((code) => code !== province);
    const features = new Set(window.echarts.getMap(MAP).geoJSON.features.map((f) => f.properties.region_code));
    const items = codes.map((code) => itemOf(view, code, breakValue));
    const areas = items.filter((item) => features.has(item.code));
    const points = items.filter((item) => !features.has(item.code) && POINTS[item.code]);
    renderLegend(view, items, breakText, breakValue, itemOf(view, province, breakValue));

    const data = areas.map((item) => {
      const colour = colourOf(item);
      const selected = item.code === state.region;
      const itemStyle = { areaColor: colour, borderColor: selected ? SELECTED : '#ffffff', borderWidth: selected ? 3 : 1 };
      if (item.state === 'suppressed') {
        itemStyle.decal = { symbol: 'rect', symbolSize: 1, color: SUPPRESSED.stripe, dashArrayX: [1, 0], dashArrayY: [2, 5], rotation: -Math.PI / 4 };
      }
      return {
        name: item.code,
        value: item.state === 'shown' ? item.value : NaN,
        raw: item.state === 'shown' ? item.value : null,
        state: item.state,
        band: item.band,
        colour,
        region: item.code,
        itemStyle,
        emphasis: { itemStyle: { areaColor: colour, borderColor: INK, borderWidth: 2 } },
        label: { color: item.band === 'far' || item.band === 'ahead' ? '#ffffff' : INK },
      };
    });
    const pointData = points.map((item) => ({
      name: item.code,
      coord: POINTS[item.code],
      value: item.state === 'shown' ? item.value : NaN,
      raw: item.state === 'shown' ? item.value : null,
      state: item.state,
      band: item.band,
      colour: colourOf(item),
      region: item.code,
      itemStyle: { color: colourOf(item), borderColor: item.code === state.region ? SELECTED : INK, borderWidth: 2 },
    }));
    const byCode = new Map(items.map((item) => [item.code, item]));

    let chart = state.charts['chart-map'];
    if (!chart) {
      // Twice the screen's resolution at least, so the printed map stays sharp.
      chart = window.echarts.init(element, null, {
        renderer: 'canvas',
        devicePixelRatio: Math.max(2, window.devicePixelRatio || 1),
        locale: state.lang === 'zh' ? 'ZH' : 'EN',
      });
      state.charts['chart-map'] = chart;
      chart.on('click', (params) => {
        const code = params.data && params.data.region;
        if (code && lastView) lastView.select(code);
      });
    }
    chart.setOption(
      {
        aria: { enabled: true },
        animationDuration: 300,
        tooltip: view.tooltip({
          trigger: 'item',
          formatter: (p) => {
            const item = p.data && byCode.get(p.data.region);
            return item ? view.tooltipText(view.regionName(item.code), tooltipLines(view, item)) : '';
          },
        }),
        series: [
          {
            type: 'map',
            map: MAP,
            nameProperty: 'region_code',
            roam: false,
            selectedMode: false,
            aspectScale: 0.83,
            layoutCenter: ['50%', '50%'],
            layoutSize: '96%',
            label: {
              show: true,
              fontSize: 11,
              lineHeight: 14,
              formatter: (p) => {
                const item = byCode.get(p.name);
                return item ? shortName(view, item.code) + '\n' + valueText(view, item) : '';
              },
            },
            emphasis: { label: { show: true } },
            data,
            markPoint: {
              symbol: 'circle',
              symbolSize: 13,
              label: {
                show: true,
                position: 'bottom',
                distance: 3,
                fontSize: 10,
                backgroundColor: 'rgba(255, 255, 255, 0.85)',
                padding: [1, 3],
                borderRadius: 2,
                color: INK,
                formatter: (p) => t('mapPointLabel') + ' ' + valueText(view, byCode.get(p.data.region)),
              },
              data: pointData,
            },
          },
        ],
      },
      true,
    );
    element.setAttribute(
      'aria-label',
      $('map-title').textContent + ' · ' + $('map-note').textContent + ' · ' +
        items.map((item) => view.regionName(item.code) + ' ' + valueText(view, item)).join('，'),
    );
    element.dataset.rendered = state.year + '|' + mode + '|' + state.lang;
  }

  function renderModes(view) {
    const group = view.$('map-modes');
    group.setAttribute('aria-label', view.t('mapModes'));
    for (const button of group.querySelectorAll('button[data-map-mode]')) {
      button.setAttribute('aria-pressed', String(button.dataset.mapMode === mode));
      if (!button.dataset.bound) {
        button.dataset.bound = 'true';
        button.addEventListener('click', () => {
          if (!MODES.includes(button.dataset.mapMode)) return;
          mode = button.dataset.mapMode;
          if (lastView) render(lastView);
        });
      }
    }
  }

  // The legend: the break and the province's own value, one swatch per band with how many regions fall in it, the
  // withheld and missing swatches, and the airport zone's point.
  function renderLegend(view, items, breakText, breakValue, provinceItem) {
    const { t, cell } = view;
    const legend = view.$('map-legend');
    const head = cell('p', 'map-legend-head');
    head.append(cell('strong', null, t('mapBreak') + ' ' + breakText));
    head.append(cell('span', null, ' · ' + t('mapProvince') + ' ' + valueText(view, provinceItem)));
    const list = cell('ul', 'map-bands');
    const entries = [
      ...(breakValue ? BANDS.map((band) => ({ key: band.key, color: band.color, label: t('mapBand' + band.key[0].toUpperCase() + band.key.slice(1)) })) : []),
      { key: 'suppressed', color: SUPPRESSED.color, label: t('mapBandSuppressed') },
      { key: 'missing', color: MISSING, label: t('mapBandMissing') },
    ];
    for (const entry of entries) {
      const li = cell('li');
      li.dataset.band = entry.key;
      const swatch = cell('span', 'swatch ' + entry.key);
      swatch.style.backgroundColor = entry.color;
      swatch.setAttribute('aria-hidden', 'true');
      const count = items.filter((item) => item.band === entry.key).length;
      li.append(swatch, cell('span', null, entry.label), cell('span', 'count', String(count)));
      list.append(li);
    }
    legend.replaceChildren(head, list, cell('p', 'map-point-note', t('mapPoint')));
  }

  // Printing: when the print layout applies, every chart is redrawn at its printed size (print.css gives each its
  // box), and at its screen size again afterwards; a chart hidden in print is left alone.
  function resizeCharts() {
    if (!lastView) return;
    for (const chart of Object.values(lastView.state.charts)) {
      const dom = chart.getDom();
      if (dom && dom.clientWidth > 0 && dom.clientHeight > 0) {
        chart.resize({ animation: { duration: 0 } });
        // Painted now, not at the next animation frame, which comes after the page is printed.
        chart.getZr().refreshImmediately();
      }
    }
  }
  if (window.matchMedia) {
    const print = window.matchMedia('print');
    if (print.addEventListener) print.addEventListener('change', resizeCharts);
  }

  return { render };
})();
