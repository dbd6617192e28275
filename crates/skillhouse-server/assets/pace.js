// SkillHouse dashboard, 序时进度 (pace against the calendar, issue 28, docs/pace.md): beside a yearly flow target's
// value, target and completion, what the calendar expects by the as-of date and whether the value is ahead of it, on
// it or behind it — the build's decision (`elapsed_share`, `expected_to_date`, `pace_status` of every value row), not
// the page's; and the year's course month by month (`/api/v1/monthly`) against the straight line from zero on
// 1 January to the target on 31 December. Loaded before dashboard.js, which calls these with its own helpers.
'use strict';

window.SkillhousePace = (function () {
  // Table order when sorting by pace: furthest behind the calendar first (ascending).
  const STATUS_LABEL = { ahead: 'paceAhead', on_pace: 'paceOn', behind_pace: 'paceBehind', 'n/a': 'statusNa' };
  const COLOR = { ahead: '#1b7f3b', on_pace: '#1565c0', behind_pace: '#b3261e', value: '#1565c0', line: '#0b3d91', grid: '#dde3ec' };
  const monthly = new Map();

  function hasPace(valueRow) {
    return Boolean(valueRow && valueRow.pace_status);
  }

  // How far ahead of the calendar (completion − elapsed share) a row is, for sorting; null without pace or a value.
  function sortValue(valueRow) {
    if (!hasPace(valueRow) || valueRow.suppressed || valueRow.value == null || !valueRow.target) return null;
    return valueRow.value / valueRow.target - valueRow.elapsed_share;
  }

  // A short badge: 超序时 / 达序时 / 落后序时, or "—" where pace does not apply.
  function badge(view, element, valueRow) {
    element.className = 'pace-badge';
    element.removeAttribute('title');
    if (!hasPace(valueRow)) {
      element.textContent = '—';
      element.dataset.pace = 'none';
      return element;
    }
    const status = valueRow.pace_status;
    element.textContent = view.t(STATUS_LABEL[status] || 'statusNa');
    element.classList.add(status === 'n/a' ? 'na' : status);
    element.dataset.pace = status;
    if (valueRow.expected_to_date != null) {
      element.title = view.t('paceExpected', { v: view.formatCount(valueRow.expected_to_date), p: view.formatPercent(valueRow.elapsed_share) });
    }
    return element;
  }

  // The card's 序时进度 line: expected by the as-of date, the elapsed share of the year, and the status badge.
  function show(view, element, valueRow) {
    element.replaceChildren();
    element.hidden = !hasPace(valueRow);
    if (!hasPace(valueRow)) return;
    const text = view.t('paceLine', {
      v: valueRow.expected_to_date == null ? '—' : view.formatCount(valueRow.expected_to_date),
      p: view.formatPercent(valueRow.elapsed_share),
    });
    element.append(view.cell('span', 'pace-text', text), ' ', badge(view, document.createElement('span'), valueRow));
    element.dataset.expected = String(valueRow.expected_to_date);
    element.dataset.elapsed = String(valueRow.elapsed_share);
  }

  function daysInYear(year) {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 366 : 365;
  }

  // Day of year of a month's last day (the straight target line's x at each month end).
  function monthEndDay(year, month) {
    const end = Date.UTC(year, month, 0);
    return Math.round((end - Date.UTC(year, 0, 0)) / 86400000);
  }

  async function fetchMonthly(view, indicator, region, year) {
    const path = '/api/v1/monthly?indicator=' + encodeURIComponent(indicator) + '&region=' + encodeURIComponent(region) + '&year=' + year;
    const cacheKey = view.state.snapshot.snapshot_id + '|' + path;
    if (!monthly.has(cacheKey)) {
      monthly.set(
        cacheKey,
        view.api(path).then(
          (answer) => (answer.json && answer.json.data) || [],
          () => null,
        ),
      );
    }
    return monthly.get(cacheKey);
  }

  // The monthly chart of a flow card: the cumulative value from 1 January to each month's end (withheld months as
  // gaps) and the straight target line; drawn once the monthly rows arrive, unless the card moved on meanwhile.
  async function drawMonthly(view, element, indicator, where, valueRow) {
    const entry = view.state.data.catalogue.get(indicator) || {};
    const wanted = [indicator, where.region, where.year, view.state.lang].join('|');
    element.dataset.wanted = wanted;
    if (entry.kind !== 'flow') {
      element.hidden = true;
      return;
    }
    element.hidden = false;
    const rows = await fetchMonthly(view, indicator, where.region, where.year);
    if (element.dataset.wanted !== wanted) return;
    const months = Array.from({ length: 12 }, (_, i) => i + 1);
    const byMonth = new Map((rows || []).filter((r) => r.programme == null).map((r) => [r.month, r]));
    const values = months.map((m) => {
      const r = byMonth.get(m);
      return r && !r.suppressed && r.value != null ? r.value : null;
    });
    const target = valueRow && valueRow.target != null ? valueRow.target : null;
    const days = daysInYear(where.year);
    const line = target == null ? [] : months.map((m) => Math.round((target * monthEndDay(where.year, m)) / days));
    element.dataset.months = String(byMonth.size);
    element.dataset.values = JSON.stringify(values);
    element.dataset.targetLine = JSON.stringify(line);
    element.setAttribute('aria-label', view.t('monthlyChart', { name: entry[view.state.lang === 'zh' ? 'title_zh' : 'title_en'] || indicator }));
    const series = [
      { type: 'line', name: view.t('cumulative'), data: values, connectNulls: false, symbolSize: 5, lineStyle: { color: COLOR.value }, itemStyle: { color: COLOR.value }, areaStyle: { opacity: 0.08 } },
    ];
    if (target != null) {
      series.push({ type: 'line', name: view.t('paceTargetLine'), data: line, symbol: 'none', lineStyle: { color: COLOR.line, type: 'dashed', width: 1.5 }, itemStyle: { color: COLOR.line } });
    }
    view.chart(element.id).setOption(
      {
        aria: { enabled: true },
        animationDuration: 300,
        legend: { top: 0, textStyle: { fontSize: 11 } },
        grid: { left: 4, right: 8, top: 24, bottom: 4, containLabel: true },
        tooltip: view.tooltip({
          trigger: 'axis',
          formatter: (list) =>
            view.tooltipText(
              list.length ? list[0].axisValue : '',
              list.map((p) => [p.seriesName, p.data == null ? '—' : view.formatCount(p.data)]),
            ),
        }),
        xAxis: { type: 'category', data: months.map((m) => view.t('monthLabel', { m })), axisLabel: { fontSize: 10 }, boundaryGap: false },
        yAxis: { type: 'value', axisLabel: { fontSize: 10 }, splitLine: { lineStyle: { color: COLOR.grid } } },
        series,
      },
      true,
    );
  }

  return { show, badge, sortValue, drawMonthly, hasPace };
})();
