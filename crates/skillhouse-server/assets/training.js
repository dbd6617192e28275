// SkillHouse dashboard, the training section (DESIGN §16, issue 22): training 人次 and subsidised training against
// their targets, the ten programmes' training targets beside their high-skilled targets, 持证率 and non-compliant
// classes by region. Loaded before dashboard.js, which fetches the indicators named here with the rest of the page
// (one snapshot) and calls `render` with its own helpers, so values, "—" for withheld cells, targets and status are
// shown exactly as in the other panels: every number comes from the API, every status is the build's decision.
'use strict';

window.SkillhouseTraining = (function () {
  const PERSONS = 'training_persons';
  const SUBSIDISED = 'subsidised_training';
  const RATE = 'training_certification_rate';
  const NONCOMPLIANT = 'noncompliant_classes';
  // The cards (value against the target of the selected region and year) and the regions table's columns.
  const CARDS = [PERSONS, SUBSIDISED];
  const REGION_COLUMNS = [PERSONS, SUBSIDISED, RATE, NONCOMPLIANT];
  // What dashboard.js fetches for this section (the programme table's high-skilled column is its own panel's).
  const INDICATORS = REGION_COLUMNS;

  function render(view) {
    const { state, $, t } = view;
    $('training-note').textContent = t('trainingNote', { year: state.year, name: view.regionName(state.region) });
    for (const indicator of CARDS) {
      const base = 'training-' + indicator;
      if (!$(base)) $('training-cards').append(view.newCard(base, indicator));
      view.showCard(base, indicator, { region: state.region, year: state.year });
    }
    renderProgrammes(view);
    renderRegions(view);
  }

  // Value, target, completion and status of one programme row, as table cells.
  function programmeCells(view, indicator, item, year) {
    const { cell } = view;
    const value = cell('td', 'num');
    const where = { region: view.state.data.province, year, programme: item.programme.programme };
    value.append(view.showValue(document.createElement('span'), indicator, item.valueRow, where));
    const target = cell('td', 'num', item.target ? view.formatCount(item.target.value) : '—');
    const completion = cell('td', 'num', item.completion == null ? '—' : view.formatPercent(item.completion));
    const statusCell = cell('td', 'status-cell');
    const badge = cell('span', 'status');
    view.showStatus(badge, item.status, item.target);
    statusCell.append(badge);
    return [value, target, completion, statusCell];
  }

  // Each programme's training 人次 against its training target, beside its new high-skilled persons against the
  // high-skilled target (both province rows of the API, with the targets and status the build attached).
  function renderProgrammes(view) {
    const { state, $, t } = view;
    const year = state.year;
    $('training-programmes-note').textContent = t('trainingProgrammesNote', { year });
    const body = $('training-programmes-table').querySelector('tbody');
    body.replaceChildren(
      ...state.data.programmes.map((programme) => {
        const tr = document.createElement('tr');
        tr.dataset.programme = programme.programme;
        const name = view.cell('th', null, view.programmeName(programme));
        name.scope = 'row';
        tr.append(name);
        tr.append(...programmeCells(view, PERSONS, view.programmeItem(PERSONS, programme, year), year));
        tr.append(...programmeCells(view, view.programmeIndicator, view.programmeItem(view.programmeIndicator, programme, year), year));
        return tr;
      }),
    );
  }

  // 持证率 and non-compliant classes by region, beside the region's training and subsidised 人次; the province first.
  function renderRegions(view) {
    const { state, $, t, cell } = view;
    const year = state.year;
    $('training-regions-note').textContent = t('trainingRegionsNote', { year });
    const body = $('training-regions-table').querySelector('tbody');
    body.replaceChildren(
      ...state.data.regions.map((region) => {
        const code = region.region_code;
        const tr = document.createElement('tr');
        tr.dataset.region = code;
        if (code === state.data.province) tr.classList.add('province');
        if (code === state.region) tr.classList.add('selected');
        const name = cell('th', null, view.regionName(code));
        name.scope = 'row';
        tr.append(name);
        for (const indicator of REGION_COLUMNS) {
          const valueRow = view.rowOf(indicator, code, year);
          const td = cell('td', 'num');
          td.append(view.showValue(document.createElement('span'), indicator, valueRow, { region: code, year }));
          const ratio = indicator === PERSONS || indicator === SUBSIDISED ? '' : view.ratioText(valueRow);
          if (ratio) td.append(cell('span', 'ratio', ratio));
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  return { INDICATORS, render };
})();
