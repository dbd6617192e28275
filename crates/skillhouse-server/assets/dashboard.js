// SkillHouse dashboard: reads every number from the HTTP API of the server that serves this page, renders it with
// Apache ECharts (bundled, no network beyond this origin), and polls /api/v1/snapshot with If-None-Match so a new
// snapshot shows up without a reload. Suppressed cells (small-cell protection) are shown as "—", never as zero.
// Which indicators get a card comes from the catalogue (`headline`, from each indicator's `-- headline:` header
// line); a value's target and status — its own, or the province's target the build chose as a reference — come with
// the value: the page shows those decisions and does not make its own.
'use strict';

(function () {
  const I18N = window.SkillhouseI18n;
  // The panels below the cards draw these indicators (the gauge, the regions table, the trends, the programmes);
  // the cards are the catalogue's headline indicators. Values, targets, status and titles all come from the API.
  const SHARE_INDICATOR = 'high_skill_share';
  const PROGRAMME_INDICATOR = 'programme_new_high_skilled';
  const REGION_COLUMNS = ['new_high_skilled', 'new_youth_technicians', 'youth_share_new_top_grades', 'cert_mix_share'];
  // The regions table's 序时进度 column: the pace of this indicator's own target in the region.
  const PACE_COLUMN = 'new_high_skilled';
  // The training section (training.js) names its own indicators (DESIGN §16).
  const TRAINING = window.SkillhouseTraining;
  // 序时进度 (pace.js): the pace line and monthly chart of flow cards, the pace columns of the tables.
  const PACE = window.SkillhousePace;
  const PANEL_INDICATORS = [SHARE_INDICATOR, ...REGION_COLUMNS, PROGRAMME_INDICATOR, ...TRAINING.INDICATORS];
  const COLOR = { met: '#1b7f3b', behind: '#b3261e', na: '#8a94a6', brand: '#1565c0', deep: '#0b3d91', accent: '#f5b700', ink: '#1b2433', muted: '#5b6575', line: '#dde3ec' };
  const STATUS_ORDER = { met: 0, behind: 1, na: 2, suppressed: 3, missing: 4 };

  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(window.location.search);
  const metaPoll = document.querySelector('meta[name="skillhouse-poll-seconds"]');
  const pollSeconds = clamp(Number(params.get('poll') || (metaPoll && metaPoll.content) || 30), 1, 3600, 30);

  const state = {
    lang: storedLanguage(),
    region: null,
    year: null,
    snapshot: null,
    etag: null,
    data: null,
    sort: { key: 'high_skill_share', dir: 'desc' },
    programmeSort: null,
    token: sessionGet('skillhouse-token'),
    charts: {},
    counters: { polls: 0, notModified: 0, loads: 0 },
    timer: null,
    pollStatus: null,
  };

  // ---------------------------------------------------------------- small helpers

  function clamp(value, low, high, fallback) {
    return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : fallback;
  }

  function storedLanguage() {
    const asked = params.get('lang');
    if (asked === 'en' || asked === 'zh') return asked;
    try {
      const saved = window.localStorage.getItem('skillhouse-lang');
      return saved === 'en' ? 'en' : 'zh';
    } catch (_) {
      return 'zh';
    }
  }

  function sessionGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (_) {
      return null;
    }
  }

  function t(key, vars) {
    const table = I18N[state.lang] || I18N.zh;
    let text = key in table ? table[key] : I18N.zh[key] || key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split('{' + name + '}').join(String(value));
    return text;
  }

  // Tooltips are drawn on the canvas: ECharts' HTML tooltips set inline styles, which the page's CSP refuses.
  // Braces would start ECharts rich-text markup, so names lose them.
  function tooltip(extra) {
    return {
      renderMode: 'richText',
      backgroundColor: '#ffffff',
      borderColor: '#c7d3e6',
      borderWidth: 1,
      padding: [6, 10],
      textStyle: { color: '#1b2433', fontSize: 13, lineHeight: 20 },
      ...extra,
    };
  }

  function tooltipText(title, lines) {
    const plain = (text) => String(text).replace(/[{}]/g, '');
    return [plain(title), ...lines.map(([name, text]) => plain(name) + t('colon') + plain(text))].join('\n');
  }

  function locale() {
    return state.lang === 'zh' ? 'zh-CN' : 'en-GB';
  }

  function isShare(id) {
    const entry = state.data && state.data.catalogue.get(id);
    return entry ? entry.unit === 'share' : /share/.test(id);
  }

  function formatCount(value) {
    return new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(value);
  }

  function formatShare(value) {
    return (value * 100).toFixed(1) + '%';
  }

  function formatValue(id, value) {
    return isShare(id) ? formatShare(value) : formatCount(value);
  }

  function formatPercent(ratio) {
    const digits = ratio < 0.1 ? 2 : 1;
    return (ratio * 100).toFixed(digits) + '%';
  }

  // ---------------------------------------------------------------- the API

  class ApiFailure extends Error {
    constructor(kind, message) {
      super(message);
      this.kind = kind;
    }
  }

  async function api(path, etag) {
    const headers = { Accept: 'application/json' };
    if (etag) headers['If-None-Match'] = etag;
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    let response;
    try {
      response = await fetch(path, { headers, cache: 'no-store', credentials: 'same-origin' });
    } catch (error) {
      throw new ApiFailure('network', error.message || 'network error');
    }
    if (response.status === 304) return { status: 304, etag };
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) {
      const code = body && body.error ? body.error : 'http_' + response.status;
      const kind = response.status === 401 ? 'auth' : code === 'not_ready' ? 'not_ready' : code;
      throw new ApiFailure(kind, (body && body.message) || response.statusText || code);
    }
    return { status: response.status, etag: response.headers.get('ETag'), json: body };
  }

  // Everything the page shows, from one snapshot: fetched together and checked to name the same snapshot.
  async function loadAll(attempt) {
    const snapshot = await api('/api/v1/snapshot');
    const id = snapshot.json.snapshot_id;
    const reference = ['/api/v1/indicators', '/api/v1/regions', '/api/v1/programmes'];
    const [catalogue, regions, programmes] = await Promise.all(reference.map((p) => api(p)));
    const kpis = headlines(catalogue.json.data || []);
    const fetched = [...new Set([...kpis, ...PANEL_INDICATORS])];
    const values = await Promise.all(
      fetched.map((indicator) =>
        api('/api/v1/indicators/' + indicator).catch((error) => {
          if (error.kind === 'unknown_indicator') return { json: { snapshot_id: id, data: [], missing: true } };
          throw error;
        }),
      ),
    );
    const answers = [catalogue, regions, programmes, ...values];
    if (answers.some((a) => a.json.snapshot_id !== id)) {
      // A new snapshot was published while loading: start again so no view mixes two snapshots.
      if ((attempt || 0) < 3) return loadAll((attempt || 0) + 1);
      throw new ApiFailure('changing', 'the snapshot changed while loading');
    }
    state.data = prepare(snapshot.json, catalogue.json, regions.json, programmes.json, kpis, fetched, values);
    state.snapshot = snapshot.json;
    state.etag = snapshot.etag;
    state.counters.loads += 1;
    chooseDefaults();
    renderAll();
    document.body.dataset.snapshotId = id;
    document.body.dataset.ready = 'true';
    return true;
  }

  // The catalogue's headline indicators, in their order.
  function headlines(entries) {
    return entries
      .filter((entry) => entry.headline != null)
      .sort((a, b) => a.headline - b.headline || a.indicator_id.localeCompare(b.indicator_id))
      .map((entry) => entry.indicator_id);
  }

  function prepare(snapshot, catalogue, regions, programmes, kpis, fetched, values) {
    const index = new Map();
    const rowsById = new Map();
    let k = snapshot.suppression && snapshot.suppression.k;
    fetched.forEach((indicator, i) => {
      const answer = values[i].json;
      if (answer.suppression_k != null) k = answer.suppression_k;
      const rows = (answer.data || []).filter((row) => row.agency_type == null);
      rowsById.set(indicator, rows);
      for (const row of rows) index.set(key(indicator, row.region_code, row.year, row.programme), row);
    });
    const regionList = regions.data.slice();
    const province = (regionList.find((r) => r.kind === 'province') || regionList[0] || {}).region_code;
    regionList.sort((a, b) => (a.region_code === province ? -1 : b.region_code === province ? 1 : a.region_code.localeCompare(b.region_code)));
    const years = new Set();
    for (const rows of rowsById.values()) for (const row of rows) if (row.year != null) years.add(row.year);
    return {
      k,
      kpis,
      province,
      index,
      rowsById,
      catalogue: new Map(catalogue.data.map((entry) => [entry.indicator_id, entry])),
      regions: regionList,
      programmes: programmes.data
        .filter((p) => p.parent == null || p.parent === '')
        .sort((a, b) => Number(a.programme) - Number(b.programme)),
      years: [...years].sort((a, b) => a - b),
    };
  }

  function key(indicator, region, year, programme) {
    return [indicator, region, year, programme || ''].join('|');
  }

  function row(indicator, region, year, programme) {
    return state.data.index.get(key(indicator, region, year, programme));
  }

  function regionName(code) {
    const region = state.data.regions.find((r) => r.region_code === code);
    if (!region) return code;
    return state.lang === 'zh' ? region.name_zh : region.name_en;
  }

  function programmeName(programme) {
    return state.lang === 'zh'
      ? programme.programme + ' ' + (programme.short_name_zh || programme.name_zh)
      : programme.programme + ' ' + programme.name_en;
  }

  // ---------------------------------------------------------------- targets and status

  function comparatorOf(indicator) {
    const entry = state.data.catalogue.get(indicator);
    return entry ? entry.comparator : '>=';
  }

  // The value's own target when it has one, else the reference target the build chose for it (the province's
  // target of the indicator, for a share or the province), each with the status the build decided against it.
  function targetFor(indicator, region, year) {
    const own = row(indicator, region, year);
    if (!own) return null;
    if (own.target != null) return { value: own.target, official: true, comparator: comparatorOf(indicator), year, status: own.status };
    if (own.reference_target == null) return null;
    return {
      value: own.reference_target,
      official: false,
      comparator: own.reference_comparator,
      year: own.reference_year,
      status: own.reference_status,
    };
  }

  function statusOf(valueRow, target) {
    if (!valueRow) return 'missing';
    if (valueRow.suppressed) return 'suppressed';
    if (valueRow.value == null || !target) return 'na';
    return target.status === 'met' || target.status === 'behind' ? target.status : 'na';
  }

  function completionOf(valueRow, target) {
    if (!valueRow || valueRow.suppressed || valueRow.value == null || !target || target.comparator === '<=' || !target.value) return null;
    return valueRow.value / target.value;
  }

  function targetText(indicator, target) {
    if (!target) return '';
    const v = formatValue(indicator, target.value);
    let text;
    if (target.comparator === '<=') text = t('cap', { v });
    else if (target.comparator === '~') text = t('targetAbout', { v });
    else if (isShare(indicator)) text = t('floor', { v });
    else text = t('targetAtLeast', { v });
    if (!target.official) text += ' · ' + t('refTarget', { year: target.year });
    return text;
  }

  // ---------------------------------------------------------------- DOM pieces

  // Shows one value: a number, "—" for a suppressed cell (with the reason as a tooltip), or "no data".
  function showValue(element, indicator, valueRow, where) {
    element.classList.remove('suppressed-value', 'no-data');
    element.removeAttribute('title');
    element.removeAttribute('aria-label');
    element.removeAttribute('tabindex');
    element.dataset.indicator = indicator;
    element.dataset.region = where.region;
    element.dataset.year = String(where.year);
    if (where.programme) element.dataset.programme = where.programme;
    if (!valueRow) {
      element.textContent = t('noData');
      element.classList.add('no-data');
      element.dataset.value = 'missing';
    } else if (valueRow.suppressed) {
      element.textContent = '—';
      element.classList.add('suppressed-value');
      element.title = t('suppressedTip', { k: state.data.k });
      element.setAttribute('aria-label', t('statusSuppressed') + t('colon') + element.title);
      element.tabIndex = 0;
      element.dataset.value = 'suppressed';
    } else if (valueRow.value == null) {
      element.textContent = '—';
      element.classList.add('no-data');
      element.title = t('undefinedTip');
      element.dataset.value = 'null';
    } else {
      element.textContent = formatValue(indicator, valueRow.value);
      element.dataset.value = String(valueRow.value);
    }
    return element;
  }

  function showStatus(element, status, target) {
    element.className = element.className.replace(/\b(met|behind|na|suppressed|missing|reference)\b/g, '').trim();
    element.removeAttribute('title');
    const label = { met: 'statusMet', behind: 'statusBehind', na: 'statusNa', suppressed: 'statusSuppressed', missing: 'noData' }[status];
    element.textContent = t(label);
    element.classList.add(status === 'missing' ? 'na' : status);
    element.dataset.status = status;
    if (target && !target.official && (status === 'met' || status === 'behind')) {
      element.classList.add('reference');
      element.title = t('refTarget', { year: target.year });
    }
  }

  function ratioText(valueRow) {
    if (!valueRow || valueRow.suppressed || valueRow.numerator == null || valueRow.denominator == null) return '';
    return formatCount(valueRow.numerator) + ' / ' + formatCount(valueRow.denominator);
  }

  function cell(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text != null) element.textContent = text;
    return element;
  }

  // ---------------------------------------------------------------- rendering

  function chooseDefaults() {
    const data = state.data;
    const hash = new URLSearchParams(window.location.hash.slice(1));
    const regionCodes = data.regions.map((r) => r.region_code);
    const wantedRegion = state.region || hash.get('region');
    state.region = regionCodes.includes(wantedRegion) ? wantedRegion : data.province;
    const wantedYear = Number(state.year || hash.get('year'));
    const asOfYear = Number(String(state.snapshot.as_of || '').slice(0, 4));
    const latest = data.years.length ? data.years[data.years.length - 1] : asOfYear;
    state.year = data.years.includes(wantedYear) ? wantedYear : data.years.includes(asOfYear) ? asOfYear : latest;
  }

  function renderAll() {
    if (!state.data) return;
    renderStatic();
    renderPickers();
    renderMeta();
    renderCards();
    renderCardTitles();
    renderProgrammes();
    renderRegions();
    if (window.SkillhouseMap) window.SkillhouseMap.render(mapView());
    TRAINING.render(trainingView());
    // The all-targets section (targets.js, DESIGN §17) fetches its own table, once per snapshot.
    if (window.SkillhouseTargets) {
      window.SkillhouseTargets.render({ lang: state.lang, token: state.token, snapshotId: state.snapshot.snapshot_id });
    }
    renderTrends();
    window.history.replaceState(null, '', '#region=' + state.region + '&year=' + state.year);
  }

  // What the training section may use of this page: its state and helpers, so both show values alike.
  function trainingView() {
    return {
      state,
      $,
      t,
      cell,
      newCard,
      showCard,
      showValue,
      showStatus,
      ratioText,
      programmeItem,
      programmeName,
      regionName,
      formatCount,
      formatPercent,
      rowOf: row,
      programmeIndicator: PROGRAMME_INDICATOR,
    };
  }

  // What the map (map.js) may use of this page: the training section's helpers, the share's target and completion
  // as the regions table computes them, the canvas tooltips, and selecting a region as the table's links do.
  function mapView() {
    return {
      ...trainingView(),
      targetFor,
      completionOf,
      formatShare,
      tooltip,
      tooltipText,
      select: (code) => {
        state.region = code;
        renderAll();
      },
    };
  }

  function renderStatic() {
    document.documentElement.lang = t('htmlLang');
    document.title = t('title');
    for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
    const toggle = $('lang-toggle');
    toggle.textContent = t('langToggle');
    toggle.setAttribute('aria-label', t('langToggleLabel'));
    toggle.lang = state.lang === 'zh' ? 'en' : 'zh-CN';
    for (const th of document.querySelectorAll('#regions-table th[data-sort] button')) {
      th.setAttribute('aria-label', t('sortBy', { col: th.textContent }));
    }
    if (state.data) $('footer-suppression').textContent = t('footerSuppression', { k: state.data.k });
  }

  function renderPickers() {
    const regionSelect = $('region-select');
    regionSelect.replaceChildren(
      ...state.data.regions.map((region) => {
        const option = new Option(state.lang === 'zh' ? region.name_zh : region.name_en, region.region_code);
        option.selected = region.region_code === state.region;
        return option;
      }),
    );
    const yearSelect = $('year-select');
    yearSelect.replaceChildren(
      ...state.data.years
        .slice()
        .reverse()
        .map((year) => {
          const option = new Option(t('yearOption', { year }), String(year));
          option.selected = year === state.year;
          return option;
        }),
    );
  }

  function renderMeta() {
    const snapshot = state.snapshot;
    $('snapshot-id').textContent = snapshot.snapshot_id;
    $('as-of').textContent = snapshot.as_of;
    const built = new Date(snapshot.built_at);
    $('built-at').textContent = Number.isNaN(built.getTime())
      ? snapshot.built_at
      : built.toLocaleString(locale(), { hour12: false });
    $('built-at').dataset.value = snapshot.built_at;
  }

  // The last poll's outcome, kept as a label key and a time so a language switch can say it again.
  function setPollStatus(labelKey, time) {
    state.pollStatus = { labelKey, time: time || new Date() };
    renderPollStatus();
  }

  function renderPollStatus() {
    if (!state.pollStatus) return;
    const time = state.pollStatus.time.toLocaleTimeString(locale(), { hour12: false });
    $('poll-status').textContent = t(state.pollStatus.labelKey, { time }) + ' · ' + t('pollEvery', { s: pollSeconds });
  }

  function renderCards() {
    const { region, year } = state;
    const province = state.data.province;
    const where = { region, year };
    // A card of the page whose indicator is no longer a headline indicator is hidden, not left empty.
    for (const card of document.querySelectorAll('section.cards > article.card')) {
      card.hidden = !state.data.kpis.includes(card.id.replace(/^card-/, ''));
    }
    for (const indicator of state.data.kpis) {
      cardFor(indicator);
      showCard('kpi-' + indicator, indicator, where);
    }
    $('gauge-region-name').textContent = regionName(region);
    const atProvince = region === province;
    $('gauge-province-box').hidden = atProvince;
    $('gauge-province-box').parentElement.classList.toggle('single', atProvince);
    drawGauge('gauge-region', row('high_skill_share', region, year), targetFor('high_skill_share', region, year), regionName(region));
    if (!atProvince) {
      const provinceRow = row('high_skill_share', province, year);
      const provinceTarget = targetFor('high_skill_share', province, year);
      showValue($('kpi-province-high_skill_share'), 'high_skill_share', provinceRow, { region: province, year });
      $('kpi-province-high_skill_share-target').textContent = targetText('high_skill_share', provinceTarget);
      showStatus($('kpi-province-high_skill_share-status'), statusOf(provinceRow, provinceTarget), provinceTarget);
      drawGauge('gauge-province', provinceRow, provinceTarget, regionName(province));
    } else if (state.charts['gauge-province']) {
      state.charts['gauge-province'].dispose();
      delete state.charts['gauge-province'];
    }
  }

  // One card's value, status, ratio, target line and progress bar, in the elements `base`, `base-status`,
  // `base-detail`, `base-target` and `base-bar` (the last three optional).
  function showCard(base, indicator, where) {
    const valueRow = row(indicator, where.region, where.year);
    const target = targetFor(indicator, where.region, where.year);
    showValue($(base), indicator, valueRow, where);
    const status = statusOf(valueRow, target);
    showStatus($(base + '-status'), status, target);
    const detail = $(base + '-detail');
    if (detail) detail.textContent = ratioText(valueRow);
    const completion = completionOf(valueRow, target);
    let targetLine = targetText(indicator, target);
    if (completion != null && !isShare(indicator)) targetLine += ' · ' + t('completion') + ' ' + formatPercent(completion);
    const targetElement = $(base + '-target');
    if (targetElement) targetElement.textContent = targetLine;
    const bar = $(base + '-bar');
    if (bar) {
      const percent = completion == null ? 0 : Math.min(100, completion * 100);
      bar.querySelector('span').style.width = percent + '%';
      bar.classList.remove('met', 'behind');
      if (status === 'met' || status === 'behind') bar.classList.add(status);
      bar.setAttribute('aria-valuenow', String(Math.round(percent * 10) / 10));
      bar.setAttribute('aria-label', t('completion') + ' ' + (completion == null ? '—' : formatPercent(completion)));
    }
    const pace = $(base + '-pace');
    if (pace) PACE.show(paceView(), pace, valueRow);
    const monthly = $(base + '-monthly');
    if (monthly) PACE.drawMonthly(paceView(), monthly, indicator, where, valueRow);
  }

  // What pace.js may use of this page.
  function paceView() {
    return { state, t, cell, api, chart, tooltip, tooltipText, formatCount, formatPercent };
  }

  // A headline indicator the page has no card for (one added by a new .sql file) gets a plain one: title, value,
  // progress, target and status, in the cards' order.
  function cardFor(indicator) {
    if ($('kpi-' + indicator)) return;
    const card = newCard('kpi-' + indicator, indicator);
    card.id = 'card-' + indicator;
    card.dataset.generated = 'true';
    document.querySelector('section.cards').append(card);
  }

  // A card for one indicator whose elements are `base`, `base-bar`, `-detail`, `-target` and `-status` (as
  // showCard fills them), titled with the catalogue's title of the indicator in the page's language.
  function newCard(base, indicator) {
    const entry = state.data.catalogue.get(indicator) || {};
    const card = cell('article', 'card');
    const title = cell('h2', null, (state.lang === 'zh' ? entry.title_zh : entry.title_en) || indicator);
    title.dataset.catalogueTitle = indicator;
    const value = cell('p', 'kpi-value');
    value.id = base;
    const bar = cell('div', 'progress');
    bar.id = base + '-bar';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.append(document.createElement('span'));
    const detail = cell('p', 'kpi-detail');
    detail.id = base + '-detail';
    const target = cell('p', 'kpi-target');
    target.id = base + '-target';
    const status = cell('p', 'status');
    status.id = base + '-status';
    const pace = cell('p', 'pace');
    pace.id = base + '-pace';
    pace.hidden = true;
    const monthly = cell('div', 'chart chart-monthly');
    monthly.id = base + '-monthly';
    monthly.setAttribute('role', 'img');
    monthly.hidden = true;
    card.append(title, value, bar, detail, target, status, pace, monthly);
    return card;
  }

  function renderCardTitles() {
    for (const title of document.querySelectorAll('[data-catalogue-title]')) {
      const entry = state.data.catalogue.get(title.dataset.catalogueTitle) || {};
      title.textContent = (state.lang === 'zh' ? entry.title_zh : entry.title_en) || title.dataset.catalogueTitle;
    }
  }

  // ---------------------------------------------------------------- charts

  function chart(id) {
    if (!state.charts[id]) {
      state.charts[id] = window.echarts.init($(id), null, { renderer: 'canvas', locale: state.lang === 'zh' ? 'ZH' : 'EN' });
    }
    return state.charts[id];
  }

  function statusColor(status) {
    return COLOR[status] || COLOR.na;
  }

  function drawGauge(id, valueRow, target, name) {
    const shown = valueRow && !valueRow.suppressed && valueRow.value != null;
    const percent = shown ? Math.round(valueRow.value * 1000) / 10 : 0;
    const status = statusOf(valueRow, target);
    const targetPercent = target ? target.value * 100 : null;
    const ring = targetPercent == null ? [[1, '#eceff3']] : [[targetPercent / 100, '#f6dedb'], [1, '#d9efe0']];
    const geometry = { min: 0, max: 100, startAngle: 210, endAngle: -30, radius: '92%', center: ['50%', '58%'] };
    const series = [
      {
        type: 'gauge',
        name,
        ...geometry,
        progress: { show: shown, width: 16, itemStyle: { color: statusColor(status) } },
        axisLine: { lineStyle: { width: 16, color: ring } },
        pointer: { show: false },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        anchor: { show: false },
        title: { show: false },
        detail: {
          offsetCenter: [0, '0%'],
          fontSize: 24,
          fontWeight: 700,
          color: COLOR.ink,
          formatter: () => (shown ? percent.toFixed(1) + '%' : valueRow && valueRow.suppressed ? '—' : t('noData')),
        },
        data: [{ value: percent, name }],
      },
    ];
    if (targetPercent != null) {
      series.push({
        type: 'gauge',
        ...geometry,
        axisLine: { show: false },
        progress: { show: false },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        anchor: { show: false },
        title: { show: true, offsetCenter: [0, '38%'], fontSize: 12, color: COLOR.muted },
        detail: { show: false },
        pointer: { show: true, icon: 'rect', width: 4, length: '22%', offsetCenter: [0, '-78%'], itemStyle: { color: COLOR.deep } },
        data: [{ value: targetPercent, name: t('target') + ' ' + formatShare(target.value) }],
      });
    }
    const element = $(id);
    element.setAttribute(
      'aria-label',
      name + ' ' + t('highSkillShareShort') + ' ' + (shown ? formatShare(valueRow.value) : '—') + (target ? ' · ' + targetText('high_skill_share', target) : ''),
    );
    chart(id).setOption({ animationDuration: 300, series }, true);
  }

  function pointText(indicator, point) {
    if (!point || point.state === 'missing') return t('noData');
    if (point.state === 'suppressed') return '— (' + t('suppressedTip', { k: state.data.k }) + ')';
    if (point.raw == null) return '—';
    return formatValue(indicator, point.raw);
  }

  // A programme's row of an indicator (province only) with its own target and the status the build decided.
  function programmeItem(indicator, programme, year) {
    const valueRow = row(indicator, state.data.province, year, programme.programme);
    const target =
      valueRow && valueRow.target != null ? { value: valueRow.target, official: true, comparator: comparatorOf(indicator), year, status: valueRow.status } : null;
    return { programme, valueRow, target, status: statusOf(valueRow, target), completion: completionOf(valueRow, target) };
  }

  function renderProgrammes() {
    const { year } = state;
    const province = state.data.province;
    $('programmes-note').textContent = t('programmesNote', { year });
    const items = state.data.programmes.map((programme) => programmeItem(PROGRAMME_INDICATOR, programme, year));
    // Sorted by pace on request (furthest behind the calendar first, or last), rows without pace at the end.
    const rows = items.slice();
    const paceHeader = $('programmes-table').querySelector('th[data-sort="pace"]');
    if (state.programmeSort) {
      const factor = state.programmeSort === 'asc' ? 1 : -1;
      rows.sort((a, b) => {
        const x = PACE.sortValue(a.valueRow);
        const y = PACE.sortValue(b.valueRow);
        if (x == null && y == null) return 0;
        if (x == null) return 1;
        if (y == null) return -1;
        return factor * (x - y);
      });
      if (paceHeader) paceHeader.setAttribute('aria-sort', state.programmeSort === 'asc' ? 'ascending' : 'descending');
    } else if (paceHeader) paceHeader.removeAttribute('aria-sort');

    const body = $('programmes-table').querySelector('tbody');
    body.replaceChildren(
      ...rows.map((item) => {
        const tr = document.createElement('tr');
        tr.dataset.programme = item.programme.programme;
        tr.append(cell('th', null, programmeName(item.programme)));
        tr.firstChild.scope = 'row';
        const value = cell('td', 'num');
        value.append(showValue(document.createElement('span'), PROGRAMME_INDICATOR, item.valueRow, { region: province, year, programme: item.programme.programme }));
        tr.append(value);
        tr.append(cell('td', 'num', item.target ? formatCount(item.target.value) : '—'));
        tr.append(cell('td', 'num', item.completion == null ? '—' : formatPercent(item.completion)));
        const statusCell = cell('td', 'status-cell');
        const badge = cell('span', 'status');
        showStatus(badge, item.status, item.target);
        statusCell.append(badge);
        tr.append(statusCell);
        const paceCell = cell('td', 'status-cell');
        paceCell.append(PACE.badge(paceView(), document.createElement('span'), item.valueRow));
        tr.append(paceCell);
        return tr;
      }),
    );

    const data = items.map((item) => ({
      value: item.completion == null ? null : Math.round(item.completion * 10000) / 100,
      raw: item.valueRow && !item.valueRow.suppressed ? item.valueRow.value : null,
      target: item.target ? item.target.value : null,
      state: !item.valueRow ? 'missing' : item.valueRow.suppressed ? 'suppressed' : 'shown',
      programme: item.programme.programme,
      itemStyle: { color: statusColor(item.status) },
    }));
    const maxPercent = Math.max(100, ...data.map((d) => d.value || 0));
    chart('chart-programmes').setOption(
      {
        aria: { enabled: true },
        animationDuration: 300,
        grid: { left: 8, right: 120, top: 24, bottom: 24, containLabel: true },
        tooltip: tooltip({
          trigger: 'item',
          formatter: (p) =>
            tooltipText(p.name, [
              [t('value'), pointText(PROGRAMME_INDICATOR, p.data)],
              [t('target'), p.data.target == null ? '—' : formatCount(p.data.target)],
              [t('completion'), p.data.value == null ? '—' : p.data.value.toFixed(2) + '%'],
            ]),
        }),
        xAxis: { type: 'value', max: Math.ceil(maxPercent / 10) * 10, axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: COLOR.line } } },
        yAxis: { type: 'category', inverse: true, data: items.map((item) => programmeName(item.programme)), axisTick: { show: false } },
        series: [
          {
            type: 'bar',
            name: t('completion'),
            barMaxWidth: 18,
            showBackground: true,
            backgroundStyle: { color: '#eef2f7' },
            data,
            label: {
              show: true,
              position: 'right',
              color: COLOR.ink,
              formatter: (p) => {
                const shown = pointText(PROGRAMME_INDICATOR, p.data);
                if (p.data.state !== 'shown') return p.data.state === 'suppressed' ? '—' : shown;
                return p.data.target == null ? shown + ' / ' + t('statusNa') : shown + ' / ' + formatCount(p.data.target);
              },
            },
            markLine: {
              symbol: 'none',
              silent: true,
              lineStyle: { color: COLOR.deep, type: 'dashed' },
              label: { formatter: t('target'), position: 'start' },
              data: [{ xAxis: 100 }],
            },
          },
        ],
      },
      true,
    );
  }

  function regionRecords() {
    const { year } = state;
    return state.data.regions.map((region) => {
      const code = region.region_code;
      const record = { code, name: regionName(code), province: code === state.data.province, rows: {} };
      for (const indicator of [SHARE_INDICATOR, ...REGION_COLUMNS]) record.rows[indicator] = row(indicator, code, year);
      record.target = targetFor('high_skill_share', code, year);
      record.status = statusOf(record.rows.high_skill_share, record.target);
      record.completion = completionOf(record.rows.high_skill_share, record.target);
      return record;
    });
  }

  function sortValue(record, sortKey) {
    if (sortKey === 'name') return record.name;
    if (sortKey === 'status') return STATUS_ORDER[record.status];
    if (sortKey === 'completion') return record.completion;
    if (sortKey === 'pace') return PACE.sortValue(record.rows[PACE_COLUMN]);
    const valueRow = record.rows[sortKey];
    return valueRow && !valueRow.suppressed ? valueRow.value : null;
  }

  function renderRegions() {
    const { year } = state;
    const provinceTarget = targetFor('high_skill_share', state.data.province, year);
    $('regions-note').textContent = t('regionsNote', { year, t: provinceTarget ? formatShare(provinceTarget.value) : '—' });
    const records = regionRecords();
    const provinceRecord = records.filter((r) => r.province);
    const others = records.filter((r) => !r.province);
    const { key: sortKey, dir } = state.sort;
    const factor = dir === 'asc' ? 1 : -1;
    others.sort((a, b) => {
      const x = sortValue(a, sortKey);
      const y = sortValue(b, sortKey);
      // Withheld and missing values sort last in either direction.
      if (x == null && y == null) return a.code.localeCompare(b.code);
      if (x == null) return 1;
      if (y == null) return -1;
      const order = typeof x === 'string' ? x.localeCompare(y, locale()) : x - y;
      return order !== 0 ? factor * order : a.code.localeCompare(b.code);
    });
    for (const th of document.querySelectorAll('#regions-table th[data-sort]')) {
      if (th.dataset.sort === sortKey) th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const body = $('regions-table').querySelector('tbody');
    body.replaceChildren(...[...provinceRecord, ...others].map((record) => regionRow(record)));
    drawRegionsChart(others, provinceTarget);
  }

  function regionRow(record) {
    const { year } = state;
    const where = { region: record.code, year };
    const tr = document.createElement('tr');
    tr.dataset.region = record.code;
    if (record.province) tr.classList.add('province');
    if (record.code === state.region) tr.classList.add('selected');
    const nameCell = cell('th');
    nameCell.scope = 'row';
    const button = cell('button', 'link', record.name);
    button.type = 'button';
    button.dataset.region = record.code;
    button.setAttribute('aria-label', t('selectRegion', { name: record.name }));
    nameCell.append(button);
    tr.append(nameCell);

    const share = cell('td', 'num');
    share.append(showValue(document.createElement('span'), 'high_skill_share', record.rows.high_skill_share, where));
    const bar = cell('span', 'bar-cell ' + record.status);
    const fill = document.createElement('span');
    fill.style.width = (record.completion == null ? 0 : Math.min(100, record.completion * 100)) + '%';
    bar.append(fill);
    bar.setAttribute('aria-hidden', 'true');
    share.append(bar);
    tr.append(share);
    tr.append(cell('td', 'num', record.completion == null ? '—' : formatPercent(record.completion)));
    for (const indicator of REGION_COLUMNS) {
      const td = cell('td', 'num');
      td.append(showValue(document.createElement('span'), indicator, record.rows[indicator], where));
      tr.append(td);
    }
    const paceCell = cell('td', 'status-cell');
    paceCell.append(PACE.badge(paceView(), document.createElement('span'), record.rows[PACE_COLUMN]));
    tr.append(paceCell);
    const statusCell = cell('td', 'status-cell');
    const badge = cell('span', 'status');
    showStatus(badge, record.status, record.target);
    statusCell.append(badge);
    tr.append(statusCell);
    return tr;
  }

  function drawRegionsChart(records, provinceTarget) {
    const data = records.map((record) => {
      const valueRow = record.rows.high_skill_share;
      const shown = valueRow && !valueRow.suppressed && valueRow.value != null;
      return {
        value: shown ? Math.round(valueRow.value * 1000) / 10 : null,
        raw: shown ? valueRow.value : null,
        state: !valueRow ? 'missing' : valueRow.suppressed ? 'suppressed' : 'shown',
        region: record.code,
        itemStyle: { color: statusColor(record.status) },
      };
    });
    chart('chart-regions').setOption(
      {
        aria: { enabled: true },
        animationDuration: 300,
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
        tooltip: tooltip({
          trigger: 'item',
          formatter: (p) => tooltipText(p.name, [[t('highSkillShareShort'), pointText('high_skill_share', p.data)]]),
        }),
        xAxis: { type: 'category', data: records.map((r) => r.name), axisLabel: { rotate: 40, interval: 0 }, axisTick: { show: false } },
        yAxis: { type: 'value', axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: COLOR.line } } },
        series: [
          {
            type: 'bar',
            name: t('highSkillShareShort'),
            barMaxWidth: 26,
            data,
            label: { show: true, position: 'top', fontSize: 11, formatter: (p) => (p.data.state === 'shown' ? p.data.value.toFixed(1) : '—') },
            markLine: provinceTarget
              ? {
                  symbol: 'none',
                  silent: true,
                  lineStyle: { color: COLOR.deep, type: 'dashed' },
                  label: { formatter: t('target') + ' ' + formatShare(provinceTarget.value), position: 'insideEndTop' },
                  data: [{ yAxis: Math.round(provinceTarget.value * 1000) / 10 }],
                }
              : undefined,
          },
        ],
      },
      true,
    );
  }

  function trendPoints(indicator, region) {
    return state.data.years.map((year) => {
      const valueRow = row(indicator, region, year);
      const shown = valueRow && !valueRow.suppressed && valueRow.value != null;
      const scaled = shown ? (isShare(indicator) ? Math.round(valueRow.value * 1000) / 10 : valueRow.value) : null;
      return { value: scaled, raw: shown ? valueRow.value : null, state: !valueRow ? 'missing' : valueRow.suppressed ? 'suppressed' : 'shown', year };
    });
  }

  function renderTrends() {
    const { region } = state;
    const province = state.data.province;
    $('trends-note').textContent = t('trendsNote', { name: regionName(region) });
    const years = state.data.years.map(String);
    const axisTooltip = (indicatorOf) =>
      tooltip({
        trigger: 'axis',
        formatter: (list) =>
          tooltipText(
            list.length ? list[0].axisValue : '',
            list.map((p) => [p.seriesName, pointText(indicatorOf(p.seriesIndex), p.data)]),
          ),
      });

    const shareSeries = [
      { indicator: 'high_skill_share', region, name: t('highSkillShareShort') },
      { indicator: 'youth_share_new_top_grades', region, name: t('youthShareShort') },
      { indicator: 'cert_mix_share', region, name: t('certMixShort') },
    ];
    if (region !== province) shareSeries.splice(1, 0, { indicator: 'high_skill_share', region: province, name: t('highSkillShareShort') + t('aside', { name: regionName(province) }), dashed: true });
    const target = targetFor('high_skill_share', region, state.year);
    chart('chart-trend-shares').setOption(
      {
        aria: { enabled: true },
        animationDuration: 300,
        color: [COLOR.brand, '#7a8aa6', COLOR.accent, '#8e44ad'],
        legend: { top: 0, type: 'scroll' },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        tooltip: axisTooltip((i) => shareSeries[i].indicator),
        xAxis: { type: 'category', data: years, boundaryGap: false },
        yAxis: { type: 'value', axisLabel: { formatter: '{value}%' }, splitLine: { lineStyle: { color: COLOR.line } } },
        series: shareSeries.map((s, i) => ({
          type: 'line',
          name: s.name,
          data: trendPoints(s.indicator, s.region),
          connectNulls: false,
          symbolSize: 7,
          lineStyle: s.dashed ? { type: 'dashed' } : undefined,
          markLine:
            i === 0 && target
              ? {
                  symbol: 'none',
                  silent: true,
                  lineStyle: { color: COLOR.deep, type: 'dotted' },
                  label: { formatter: t('target') + ' ' + formatShare(target.value), position: 'insideEndTop' },
                  data: [{ yAxis: Math.round(target.value * 1000) / 10 }],
                }
              : undefined,
        })),
      },
      true,
    );

    const countSeries = [
      { indicator: 'new_high_skilled', name: t('newHighSkilled') },
      { indicator: 'new_youth_technicians', name: t('newYouthShort') },
    ];
    chart('chart-trend-counts').setOption(
      {
        aria: { enabled: true },
        animationDuration: 300,
        color: [COLOR.brand, COLOR.accent],
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        tooltip: axisTooltip((i) => countSeries[i].indicator),
        xAxis: { type: 'category', data: years },
        yAxis: { type: 'value', splitLine: { lineStyle: { color: COLOR.line } } },
        series: countSeries.map((s) => ({ type: 'bar', name: s.name, barMaxWidth: 28, data: trendPoints(s.indicator, region) })),
      },
      true,
    );
  }

  // ---------------------------------------------------------------- polling and errors

  function showProblem(error) {
    const banner = $('banner');
    const form = $('token-form');
    form.hidden = error.kind !== 'auth';
    $('banner-text').textContent =
      error.kind === 'auth' ? t('tokenNeeded') : error.kind === 'not_ready' ? t('notReady') : t('offline', { msg: error.message });
    banner.hidden = false;
  }

  function hideProblem() {
    $('banner').hidden = true;
  }

  async function poll() {
    state.counters.polls += 1;
    try {
      if (!state.snapshot) {
        await loadAll();
        setPollStatus('updatedAt');
      } else {
        const answer = await api('/api/v1/snapshot', state.etag);
        if (answer.status === 304) {
          state.counters.notModified += 1;
          setPollStatus('checkedUnchanged');
        } else if (answer.json.snapshot_id !== state.snapshot.snapshot_id) {
          await loadAll();
          setPollStatus('updatedAt');
        } else {
          state.etag = answer.etag;
          setPollStatus('checkedUnchanged');
        }
      }
      hideProblem();
    } catch (error) {
      showProblem(error instanceof ApiFailure ? error : new ApiFailure('network', String(error)));
    } finally {
      document.body.dataset.polls = String(state.counters.polls);
      document.body.dataset.notModified = String(state.counters.notModified);
      document.body.dataset.loads = String(state.counters.loads);
      state.timer = window.setTimeout(poll, pollSeconds * 1000);
    }
  }

  // ---------------------------------------------------------------- events

  function switchLanguage() {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    try {
      window.localStorage.setItem('skillhouse-lang', state.lang);
    } catch (_) {
      // Private windows may refuse storage; the switch still works for this page.
    }
    for (const id of Object.keys(state.charts)) state.charts[id].dispose();
    state.charts = {};
    renderStatic();
    renderAll();
    renderPollStatus();
  }

  function bind() {
    $('region-select').addEventListener('change', (event) => {
      state.region = event.target.value;
      renderAll();
    });
    $('year-select').addEventListener('change', (event) => {
      state.year = Number(event.target.value);
      renderAll();
    });
    $('lang-toggle').addEventListener('click', switchLanguage);
    $('regions-table').addEventListener('click', (event) => {
      const regionButton = event.target.closest('button[data-region]');
      if (regionButton) {
        state.region = regionButton.dataset.region;
        renderAll();
        $('region-select').focus();
        return;
      }
      const header = event.target.closest('th[data-sort]');
      if (header) {
        const sortKey = header.dataset.sort;
        state.sort = state.sort.key === sortKey ? { key: sortKey, dir: state.sort.dir === 'asc' ? 'desc' : 'asc' } : { key: sortKey, dir: sortKey === 'name' ? 'asc' : 'desc' };
        renderRegions();
      }
    });
    $('programmes-table').addEventListener('click', (event) => {
      if (!event.target.closest('th[data-sort="pace"]')) return;
      state.programmeSort = state.programmeSort === 'asc' ? 'desc' : 'asc';
      renderProgrammes();
    });
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      state.token = $('token-input').value.trim() || null;
      try {
        if (state.token) window.sessionStorage.setItem('skillhouse-token', state.token);
      } catch (_) {
        // Without session storage the token lasts until the page is closed.
      }
      window.clearTimeout(state.timer);
      poll();
    });
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(() => Object.values(state.charts).forEach((c) => c.resize()), 150);
    });
  }

  function start() {
    renderStatic();
    $('poll-status').textContent = t('loading');
    bind();
    poll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
