//! A receipt as the clerk reads it: sections of rows, laid out once ([`Receipt::sections`]) and written as CSV
//! (UTF-8 with a byte-order mark, so that a spreadsheet opens the Chinese right; every text cell neutralised against
//! formula injection) or as an XLSX workbook (strings written as strings, never as formulas).

use crate::error::{ReceiptError, Result};
use crate::{Input, LedgerFile, Receipt, field_label};
use rust_xlsxwriter::{Format, Workbook};
use skillhouse_query::{csv_plain_cell, csv_text_cell};

/// One cell of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count or row number.
    Int(i64),
    /// Nothing.
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::Text(text.to_string())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Option<i64>> for Cell {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Self::Empty, Self::Int)
    }
}

/// A titled block of rows; `header` is the first row of a table (none for the overview's label–value pairs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `概况`, `提交记录`, `拒收原因汇总`, `拒收明细`.
    pub title: &'static str,
    /// Column headings.
    pub header: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

/// The largest number of rejected rows a workbook lists (a sheet holds 1,048,576 rows); the CSV lists them all.
const XLSX_MAX_ROWS: usize = 1_000_000;

/// What became of a file, in words.
pub fn status_zh(file: &LedgerFile) -> &'static str {
    match (file.status.as_str(), file.format.as_str()) {
        ("loaded", "withdraw") => "已受理：本月数据已撤回",
        ("loaded", _) => "已受理：数据已入库",
        ("superseded", _) => "已被本月后来报送的文件替换",
        ("unreadable", _) => "无法读取：整个文件未受理，请更正后重新报送",
        _ => "状态未知",
    }
}

/// Milliseconds since the epoch as Beijing time (UTC+8, no daylight saving), to the minute.
fn beijing_time(ms: Option<i64>) -> String {
    let Some(at) = ms.and_then(chrono::DateTime::from_timestamp_millis) else { return String::new() };
    (at + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string()
}

impl Receipt {
    /// The receipt laid out: overview, files submitted for the month, rejected rows by reason, the rejected rows.
    pub fn sections(&self) -> Vec<Section> {
        let current = self.current();
        let latest = self.latest();
        let mut overview: Vec<Vec<Cell>> = vec![
            vec!["回执".into(), self.key.input.title_zh().into()],
            vec![self.key.input.submitter_zh().into(), self.key.agency_id.clone().into()],
            vec!["报送月份".into(), self.key.period.clone().into()],
            vec!["本月计入的文件".into(), current.map_or("无".to_string(), |f| f.file_name().to_string()).into()],
            vec!["最近一次报送的处理结果".into(), latest.map_or("", status_zh).into()],
            vec!["读取行数".into(), current.and_then(|f| f.rows_read).into()],
            vec!["接收行数".into(), current.and_then(|f| f.rows_accepted).into()],
            vec!["拒收行数".into(), current.and_then(|f| f.rows_rejected).into()],
        ];
        if let (Some(latest), Some(current)) = (latest, current)
            && latest.status == "unreadable"
        {
            let note = format!(
                "最近一次报送的文件 {} 无法读取；本月仍以此前受理的文件 {} 为准",
                latest.file_name(),
                current.file_name()
            );
            overview.push(vec!["注意".into(), note.into()]);
        }
        overview.push(vec![
            "说明".into(),
            "读取行数 = 接收行数 + 拒收行数。拒收的行未计入统计：请按下列原因更正后，将本月文件整体重新报送（新文件替换本月原文件）。身份证号只显示前6位和最后1位。"
                .into(),
        ]);
        overview.push(vec!["数据快照".into(), self.snapshot_id.clone().into()]);

        let files = Section {
            title: "提交记录",
            header: [
                "文件名",
                "读取时间（北京时间）",
                "处理结果",
                "读取行数",
                "接收行数",
                "拒收行数",
                "无法读取的原因",
            ]
            .map(String::from)
            .to_vec(),
            rows: self
                .files
                .iter()
                .map(|f| {
                    vec![
                        f.file_name().into(),
                        beijing_time(f.ingested_at_ms).into(),
                        status_zh(f).into(),
                        f.rows_read.into(),
                        f.rows_accepted.into(),
                        f.rows_rejected.into(),
                        f.message.clone().map_or(Cell::Empty, |m| crate::mask_ids(&m).into_owned().into()),
                    ]
                })
                .collect(),
        };
        let reasons = Section {
            title: "拒收原因汇总",
            header: ["原因代码", "拒收行数", "原因及处理办法", "Reason (English)"].map(String::from).to_vec(),
            rows: self
                .reasons()
                .into_iter()
                .map(|r| vec![r.code.into(), Cell::Int(r.rows), r.zh.into(), r.en.into()])
                .collect(),
        };
        let fields = self.row_fields();
        let mut header: Vec<String> =
            ["行号", "原因代码", "原因及处理办法", "问题字段", "发现的问题"].map(String::from).to_vec();
        header.extend(fields.iter().map(|f| field_label(f).to_string()));
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let explanation = skillhouse_model::reason_text(self.key.input.code(), &row.reason)
                    .map_or_else(String::new, |t| t.zh.clone());
                let mut cells: Vec<Cell> = vec![
                    Cell::Int(row.source_row),
                    row.reason.clone().into(),
                    explanation.into(),
                    row.field.as_deref().map_or(Cell::Empty, |f| field_label(f).into()),
                    self.finding(row).into(),
                ];
                cells.extend(fields.iter().map(|f| row.cells.get(f).map_or(Cell::Empty, |v| v.clone().into())));
                cells
            })
            .collect();
        vec![
            Section { title: "概况", header: Vec::new(), rows: overview },
            files,
            reasons,
            Section { title: "拒收明细", header, rows },
        ]
    }

    /// The receipt as CSV: UTF-8 with a byte-order mark; each section opens with a `【title】` line, then its
    /// heading row and rows; a blank line between sections.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        for (i, section) in self.sections().iter().enumerate() {
            if i > 0 {
                out.push_str("\r\n");
            }
            out.push_str(&format!("【{}】\r\n", section.title));
            if !section.header.is_empty() {
                let header: Vec<_> = section.header.iter().map(|h| csv_text_cell(h)).collect();
                out.push_str(&header.join(","));
                out.push_str("\r\n");
            }
            for row in &section.rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|cell| match cell {
                        Cell::Text(text) => csv_text_cell(text).into_owned(),
                        Cell::Int(n) => csv_plain_cell(&n.to_string()).into_owned(),
                        Cell::Empty => String::new(),
                    })
                    .collect();
                out.push_str(&cells.join(","));
                out.push_str("\r\n");
            }
        }
        out
    }

    /// The receipt as an XLSX workbook: sheet 回执 (overview, files, reasons), sheet 拒收明细 (the rejected rows, at
    /// most a million; the CSV has them all).
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        let error = |source| ReceiptError::Xlsx { slice: self.key.slice(), source };
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sections = self.sections();
        let (detail, summary) = sections
            .split_last()
            .ok_or_else(|| error(rust_xlsxwriter::XlsxError::ParameterError("a receipt has sections".into())))?;
        let sheet = workbook.add_worksheet();
        sheet.set_name("回执").map_err(error)?;
        sheet.set_column_width(0, 24).map_err(error)?;
        sheet.set_column_width(1, 28).map_err(error)?;
        sheet.set_column_width(2, 60).map_err(error)?;
        let mut at: u32 = 0;
        for section in summary {
            sheet.write_string_with_format(at, 0, format!("【{}】", section.title), &bold).map_err(error)?;
            at += 1;
            write_table(sheet, &mut at, section, &bold, usize::MAX).map_err(error)?;
            at += 1;
        }
        let sheet = workbook.add_worksheet();
        sheet.set_name(detail.title).map_err(error)?;
        let mut at: u32 = 0;
        write_table(sheet, &mut at, detail, &bold, XLSX_MAX_ROWS).map_err(error)?;
        if detail.rows.len() > XLSX_MAX_ROWS {
            let note = format!("只列出前 {XLSX_MAX_ROWS} 行，共 {} 行：完整清单见同名 CSV 回执", detail.rows.len());
            sheet.write_string(at, 0, note).map_err(error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(error)?;
        workbook.save_to_buffer().map_err(error)
    }
}

fn write_table(
    sheet: &mut rust_xlsxwriter::Worksheet,
    at: &mut u32,
    section: &Section,
    bold: &Format,
    max_rows: usize,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if !section.header.is_empty() {
        for (col, heading) in section.header.iter().enumerate() {
            sheet.write_string_with_format(*at, column(col), heading, bold)?;
        }
        *at += 1;
    }
    for row in section.rows.iter().take(max_rows) {
        for (col, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(*at, column(col), text)?;
                }
                // Counts and row numbers stay far below 2^53: exact as spreadsheet numbers.
                Cell::Int(n) => {
                    sheet.write_number(*at, column(col), *n as f64)?;
                }
                Cell::Empty => {}
            }
        }
        *at += 1;
    }
    Ok(())
}

/// A column index as the workbook's type; receipts have a few dozen columns.
fn column(index: usize) -> u16 {
    u16::try_from(index).unwrap_or(u16::MAX)
}

impl Input {
    /// The file name of a receipt under an output folder: `<agency_id>/<YYYY-MM>.receipt.<ext>`, training ones
    /// under `training/` (mirroring the landing folder).
    pub fn receipt_path(self, agency_id: &str, period: &str, extension: &str) -> std::path::PathBuf {
        let mut path = std::path::PathBuf::new();
        if self == Self::Training {
            path.push("training");
        }
        path.push(agency_id);
        path.push(format!("{period}.receipt.{extension}"));
        path
    }
}
