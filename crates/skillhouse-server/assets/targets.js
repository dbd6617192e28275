// SkillHouse dashboard, the all-targets section (DESIGN §17, issue 23): every target of the five seed documents,
// grouped by document (000–004) and clause, each with its value, target, gap, status and basis (computed from the
// records, reported by an office, or no data yet) — the table a leader prints for a review meeting, and exported as
// XLSX or CSV by the API. Everything comes from /api/v1/targets/progress: values, gaps, status and basis are the
// build's decisions; this file only lays them out. dashboard.js calls `render` after each render of the page with
// the language, the access token and the snapshot id; the table is fetched again only when the snapshot changes.
'use strict';

window.SkillhouseTargets = (function () {
  const PATH = '/api/v1/targets/progress';
  const LABELS = {
    zh: {
      heading: '全部目标 · 按文件和条款',
      note: '五份方案文件的全部 {n} 项目标：{computed} 项据记录计算，{reported} 项由单位上报，{noData} 项暂无数据。',
      print: '打印目标表',
      xlsx: '导出 Excel',
      csv: '导出 CSV',
      clause: '条款',
      indicator: '指标',
      region: '地区',
      year: '年度',
      scope: '专项/机构类型',
      target: '目标',
      value: '实际值',
      gap: '差距',
      status: '状态',
      basis: '依据',
      remark: '说明',
      met: '已完成',
      behind: '未完成',
      na: '不适用',
      suppressed: '已隐去',
      reportedBy: '{by} {on} 上报',
      programme: '专项 {p}',
      noClause: '（未注明条款）',
      loadFailed: '目标表暂时无法加载（{msg}）。',
      docs: { '000': '000 共青团河南省委 2022', '001': '001 全省 2022 年工作方案', '002': '002 开封市人才倍增计划（至2025年）', '003': '003 2025年度技能河南建设工作方案', '004': '004 平顶山（截至2023年底，实绩）' },
    },
    en: {
      heading: 'All targets · by document and clause',
      note: 'All {n} targets of the five plans: {computed} computed from the records, {reported} reported by an office, {noData} with no data yet.',
      print: 'Print the targets',
      xlsx: 'Export Excel',
      csv: 'Export CSV',
      clause: 'Clause',
      indicator: 'Indicator',
      region: 'Region',
      year: 'Year',
      scope: 'Programme / agency type',
      target: 'Target',
      value: 'Value',
      gap: 'Gap',
      status: 'Status',
      basis: 'Basis',
      remark: 'Remark',
      met: 'Met',
      behind: 'Behind',
      na: 'n/a',
      suppressed: 'Withheld',
      reportedBy: 'reported by {by} on {on}',
      programme: 'programme {p}',
      noClause: '(no clause given)',
      loadFailed: 'The targets table cannot be loaded just now ({msg}).',
      docs: { '000': '000 Communist Youth League of Henan, 2022', '001': '001 Province, 2022 work plan', '002': '002 Kaifeng talent-doubling plan (to 2025)', '003': '003 Skilled Henan 2025 work plan', '004': '004 Pingdingshan (end-2023, outcomes)' },
    },
  };
  const UNITS = {
    zh: { person_times: '人次', persons: '人', agencies: '家', vouchers: '张', bases: '个', studios: '个', brands: '个', enterprises: '家', events: '场', occupations: '个', certificates: '张' },
    en: { person_times: 'person-times', persons: 'persons', agencies: 'agencies', vouchers: 'vouchers', bases: 'bases', studios: 'studios', brands: 'brands', enterprises: 'enterprises', events: 'events', occupations: 'occupations', certificates: 'certificates' },
  };
  const loaded = { snapshot: null, served: null, rows: null, error: null, pending: null };
  let last = null;

  function label(lang, key, vars) {
    let text = (LABELS[lang] || LABELS.zh)[key];
    for (const [name, value] of Object.entries(vars || {})) text = text.split('{' + name + '}').join(String(value));
    return text;
  }

  function el(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text != null) element.textContent = text;
    return element;
  }

  function number(lang, row, value) {
    if (value == null) return '—';
    if (row.unit === 'share') return (value * 100).toFixed(1) + '%';
    const text = new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { maximumFractionDigits: 2 }).format(value);
    const unit = UNITS[lang][row.unit];
    return unit ? text + ' ' + unit : text;
  }

  function signed(lang, row, value) {
    if (value == null) return '—';
    return (value > 0 ? '+' : '') + number(lang, row, value);
  }

  async function fetchRows(view) {
    const headers = { Accept: 'application/json' };
    if (view.token) headers.Authorization = 'Bearer ' + view.token;
    const response = await fetch(PATH, { headers, cache: 'no-store', credentials: 'same-origin' });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error((body && body.message) || response.statusText || String(response.status));
    return { snapshot: body.snapshot_id, rows: body.data || [] };
  }

  // The section's frame: heading, note and the print / export buttons, created once.
  function frame() {
    let panel = document.getElementById('targets-panel');
    if (panel.dataset.built) return panel;
    panel.dataset.built = 'true';
    const heading = el('h2', null);
    heading.id = 'targets-title';
    const note = el('p', 'note');
    note.id = 'targets-note';
    const actions = el('p', 'targets-actions');
    const print = el('button', 'link');
    print.type = 'button';
    print.id = 'targets-print';
    print.addEventListener('click', () => {
      document.body.classList.add('print-targets');
      window.print();
      document.body.classList.remove('print-targets');
    });
    actions.append(print);
    for (const format of ['xlsx', 'csv']) {
      const link = el('a', 'targets-export');
      link.id = 'targets-export-' + format;
      link.href = PATH + '?format=' + format;
      link.setAttribute('download', 'targets.' + format);
      link.addEventListener('click', (event) => {
        // With an access token the download needs the header: fetched here and saved from memory.
        if (!last || !last.token) return;
        event.preventDefault();
        exportWithToken(format, last.token);
      });
      actions.append(' · ', link);
    }
    const body = el('div', 'targets-documents');
    body.id = 'targets-documents';
    panel.replaceChildren(heading, note, actions, body);
    return panel;
  }

  async function exportWithToken(format, token) {
    const response = await fetch(PATH + '?format=' + format, { headers: { Authorization: 'Bearer ' + token } });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    const link = el('a');
    link.href = url;
    link.download = 'targets.' + format;
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
  }

  function scopeText(lang, row) {
    const parts = [];
    if (row.programme) parts.push(label(lang, 'programme', { p: row.programme }));
    if (row.agency_type) parts.push(row.agency_type);
    return parts.join(' · ');
  }

  function remarkText(lang, row) {
    if (row.basis === 'reported' && row.reported_by) {
      return label(lang, 'reportedBy', { by: row.reported_by, on: row.reported_on || '' });
    }
    return row.note || '';
  }

  function targetRow(lang, row) {
    const tr = el('tr');
    tr.dataset.targetId = row.target_id;
    tr.dataset.basis = row.basis;
    tr.dataset.status = row.suppressed ? 'suppressed' : row.status;
    const title = (lang === 'zh' ? row.title_zh : row.title_en) || row.indicator_id;
    const indicator = el('th', null, title);
    indicator.scope = 'row';
    indicator.append(el('span', 'target-id', row.target_id + ' · ' + row.indicator_id));
    const region = (lang === 'zh' ? row.region_zh : row.region_en) || row.region_code;
    const status = row.suppressed ? 'suppressed' : row.status === 'n/a' ? 'na' : row.status;
    const badge = el('span', 'status ' + status, label(lang, status));
    const statusCell = el('td', 'status-cell');
    statusCell.append(badge);
    const basis = el('td', 'basis-cell');
    const basisBadge = el('span', 'basis ' + row.basis, lang === 'zh' ? row.basis_zh : row.basis_en);
    basisBadge.dataset.basis = row.basis;
    basis.append(basisBadge);
    tr.append(
      indicator,
      el('td', null, region),
      el('td', 'num', row.year == null ? '—' : String(row.year)),
      el('td', null, scopeText(lang, row)),
      el('td', 'num target-cell', (row.comparator && row.comparator !== '=' ? row.comparator + ' ' : '') + number(lang, row, row.target)),
      el('td', 'num value-cell', number(lang, row, row.value)),
      el('td', 'num gap-cell', signed(lang, row, row.gap)),
      statusCell,
      basis,
      el('td', 'remark', remarkText(lang, row)),
    );
    return tr;
  }

  function documentTable(lang, rows) {
    const table = el('table', 'data targets-table');
    const head = el('tr');
    for (const key of ['indicator', 'region', 'year', 'scope', 'target', 'value', 'gap', 'status', 'basis', 'remark']) {
      const th = el('th', ['year', 'target', 'value', 'gap'].includes(key) ? 'num' : null, label(lang, key));
      th.scope = 'col';
      head.append(th);
    }
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    let clause = null;
    for (const row of rows) {
      if (row.clause !== clause) {
        clause = row.clause;
        const tr = el('tr', 'clause');
        const th = el('th', null, clause || label(lang, 'noClause'));
        th.colSpan = 10;
        th.scope = 'rowgroup';
        tr.append(th);
        tbody.append(tr);
      }
      tbody.append(targetRow(lang, row));
    }
    table.append(thead, tbody);
    return table;
  }

  function draw(view) {
    const lang = view.lang === 'en' ? 'en' : 'zh';
    const panel = frame();
    panel.querySelector('#targets-title').textContent = label(lang, 'heading');
    panel.querySelector('#targets-print').textContent = label(lang, 'print');
    panel.querySelector('#targets-export-xlsx').textContent = label(lang, 'xlsx');
    panel.querySelector('#targets-export-csv').textContent = label(lang, 'csv');
    const note = panel.querySelector('#targets-note');
    const documents = panel.querySelector('#targets-documents');
    if (loaded.error) {
      note.textContent = label(lang, 'loadFailed', { msg: loaded.error });
      documents.replaceChildren();
      return;
    }
    const rows = loaded.rows || [];
    const count = (basis) => rows.filter((r) => r.basis === basis).length;
    note.textContent = label(lang, 'note', {
      n: rows.length,
      computed: count('computed'),
      reported: count('reported'),
      noData: count('no_data'),
    });
    const byDocument = new Map();
    for (const row of rows) {
      const doc = row.document || '';
      if (!byDocument.has(doc)) byDocument.set(doc, []);
      byDocument.get(doc).push(row);
    }
    const sections = [...byDocument.keys()].sort().map((doc) => {
      const section = el('section', 'targets-document');
      section.dataset.document = doc;
      const docRows = byDocument.get(doc);
      const title = LABELS[lang].docs[doc] || doc;
      const heading = el('h3', null, title);
      const source = el('p', 'note source-doc', (docRows[0] && docRows[0].source_doc) || '');
      section.append(heading, source, documentTable(lang, docRows));
      return section;
    });
    documents.replaceChildren(...sections);
    panel.dataset.ready = 'true';
    panel.dataset.snapshotId = loaded.served || '';
  }

  // Called by dashboard.js after each render: fetches the table for a new snapshot, redraws in the page's language.
  function render(view) {
    if (!document.getElementById('targets-panel')) return;
    last = view;
    if (loaded.snapshot === view.snapshotId && (loaded.rows || loaded.error)) {
      draw(view);
      return;
    }
    if (loaded.pending === view.snapshotId) return;
    loaded.pending = view.snapshotId;
    fetchRows(view)
      .then((answer) => {
        loaded.rows = answer.rows;
        loaded.served = answer.snapshot;
        loaded.error = null;
      })
      .catch((error) => {
        loaded.rows = null;
        loaded.error = error.message || 'error';
      })
      .finally(() => {
        loaded.snapshot = view.snapshotId;
        loaded.pending = null;
        draw(last);
      });
  }

  return { render };
})();
