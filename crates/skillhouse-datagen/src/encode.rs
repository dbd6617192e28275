//! Encoding rendered rows into file bytes — CSV in UTF-8, UTF-8 with BOM or GBK; XLSX with its title, notes and
//! instructions sheet; JSON Lines — and the bytes of the files that cannot be read at all. Shared by certificate
//! and training files: what differs is only the header, the rows and the words of the workbook around them.

use crate::error::{DatagenError, Result};
use crate::plan::Unreadable;
use crate::render::{self, Cell};
use crate::rng::Rng;
use crate::style::{Format, Style};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XlsxFormat, FormatAlign, Workbook, XlsxError};
use skillhouse_model::ReportingUnit;

/// The words of a workbook around its data, used where the style asks for them.
pub(crate) struct Sheet<'a> {
    /// The organisation: the workbook's author and the 填报单位 line under the title.
    pub organisation: &'a str,
    /// The merged title row above the header.
    pub title: String,
    /// The lines of the instructions sheet in front of the data sheet.
    pub intro: &'a [&'a str],
    /// The organisation's code: seeds the clerk's name and phone number in the notes rows.
    pub code: u16,
    /// The month of the file (seeds the clerk's name: another clerk now and then).
    pub month: u32,
}

/// One organisation of a registry file.
pub(crate) struct RegistryRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// The type's Chinese name and code.
    pub type_names: (&'a str, &'a str),
    /// Index into [`ReportingUnit::UNITS`].
    pub unit: usize,
    pub registered_on: NaiveDate,
}

/// A registry file (UTF-8, `\n`) under `header` (id, name, type, region_code, registered_on), with the type
/// written as a Chinese name or a code, row by row.
pub(crate) fn registry_csv<'a>(header: &str, rows: impl Iterator<Item = RegistryRow<'a>>, rng: &mut Rng) -> String {
    let mut out = format!("{header}\n");
    for row in rows {
        let type_name = if rng.chance(0.5) { row.type_names.0 } else { row.type_names.1 };
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            row.id,
            row.name,
            type_name,
            ReportingUnit::UNITS[row.unit].code,
            row.registered_on.format("%Y-%m-%d")
        ));
    }
    out
}

/// The bytes of one readable file of `style`'s format.
pub(crate) fn file_bytes<F, V>(
    style: &Style<F, V>,
    sheet: &Sheet<'_>,
    header: &[&str],
    rows: &[Vec<Cell>],
    path: &str,
    rng: &mut Rng,
) -> Result<Vec<u8>> {
    match style.format {
        Format::CsvUtf8 | Format::CsvUtf8Bom | Format::CsvGbk => {
            csv_bytes(style.format, style.crlf, header, rows, path)
        }
        Format::Jsonl => Ok(jsonl_bytes(header, rows)),
        Format::Xlsx => xlsx_bytes(style, sheet, header, rows, rng)
            .map_err(|source| DatagenError::Xlsx { path: path.to_string(), source }),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 { format!("{n:.0}") } else { n.to_string() }
}

fn text_of(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Date(d) | Cell::Serial(d) => render::spell_date(*d, 0),
        Cell::Number(n) => number_text(*n),
    }
}

fn push_csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn csv_bytes(format: Format, crlf: bool, header: &[&str], rows: &[Vec<Cell>], path: &str) -> Result<Vec<u8>> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = String::with_capacity(64 + rows.len() * 140);
    if format == Format::CsvUtf8Bom {
        text.push('\u{FEFF}');
    }
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        push_csv_field(&mut text, h);
    }
    text.push_str(eol);
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            push_csv_field(&mut text, &text_of(cell));
        }
        text.push_str(eol);
    }
    if format == Format::CsvGbk {
        let (bytes, _, had_errors) = encoding_rs::GBK.encode(&text);
        if had_errors {
            return Err(DatagenError::Gbk { path: path.to_string() });
        }
        return Ok(bytes.into_owned());
    }
    Ok(text.into_bytes())
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON Lines: every value a string, except [`Cell::Number`]s, which are JSON numbers.
fn jsonl_bytes(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut text = String::with_capacity(rows.len() * 220);
    for row in rows {
        text.push('{');
        for (i, (h, cell)) in header.iter().zip(row).enumerate() {
            if i > 0 {
                text.push(',');
            }
            push_json_string(&mut text, h);
            text.push(':');
            match cell {
                Cell::Number(n) => text.push_str(&number_text(*n)),
                _ => push_json_string(&mut text, &text_of(cell)),
            }
        }
        text.push_str("}\n");
    }
    text.into_bytes()
}

/// Fixed document properties: rust_xlsxwriter would otherwise stamp the current time into docProps/core.xml.
fn properties(author: &str) -> Result<DocProperties, XlsxError> {
    let created = ExcelDateTime::from_ymd(2020, 1, 1)?;
    Ok(DocProperties::new().set_creation_datetime(&created).set_author(author))
}

fn excel_serial(date: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN);
    (date - epoch).num_days() as f64
}

fn xlsx_bytes<F, V>(
    style: &Style<F, V>,
    words: &Sheet<'_>,
    header: &[&str],
    rows: &[Vec<Cell>],
    rng: &mut Rng,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(words.organisation)?);
    if style.intro_sheet {
        let intro = workbook.add_worksheet();
        intro.set_name("填表说明")?;
        for (r, line) in words.intro.iter().enumerate() {
            intro.write_string(r as u32, 0, *line)?;
        }
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name(if style.intro_sheet || rng.chance(0.5) { "花名册" } else { "Sheet1" })?;
    let date_format = XlsxFormat::new().set_num_format(if rng.chance(0.5) { "yyyy-mm-dd" } else { "yyyy/m/d" });
    let mut r: u32 = 0;
    if style.title_row {
        let bold = XlsxFormat::new().set_bold().set_align(FormatAlign::Center);
        sheet.merge_range(0, 0, 0, (header.len().max(2) - 1) as u16, &words.title, &bold)?;
        sheet.write_string(1, 0, format!("填报单位（盖章）：{}", words.organisation))?;
        r = 2;
    }
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(r, c as u16, *h)?;
    }
    for row in rows {
        r += 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    sheet.write_string(r, c, t)?;
                }
                Cell::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    sheet.write_datetime_with_format(r, c, &dt, &date_format)?;
                }
                Cell::Serial(d) => {
                    sheet.write_number(r, c, excel_serial(*d))?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n)?;
                }
            }
        }
    }
    if style.notes_rows {
        let clerk = render::person_name(u64::from(words.code), words.month);
        sheet.write_string(r + 2, 0, format!("填表人：{clerk}    联系电话：0371-6{:07}", words.code as u32 * 331))?;
        sheet.write_string(r + 3, 0, format!("备注：本表共{}条记录。", rows.len()))?;
    }
    workbook.save_to_buffer()
}

/// The bytes of a file that cannot be read, of `kind`. `header` is the CSV header the file would have had;
/// `style` and `sheet` make the workbook that a truncated one is cut from.
pub(crate) fn unreadable_bytes<F, V>(
    kind: Unreadable,
    header: &str,
    style: &Style<F, V>,
    sheet: &Sheet<'_>,
    path: &str,
) -> Result<Vec<u8>> {
    Ok(match kind {
        Unreadable::NotZip => format!(
            "<html><head><meta charset=\"utf-8\"></head><body><table><tr><td>{}</td></tr>\
             <tr><td>41010219900101123X</td><td>张三</td></tr></table></body></html>\n",
            header.replace(',', "</td><td>")
        )
        .into_bytes(),
        Unreadable::TruncatedXlsx => {
            let rows = vec![vec![Cell::Text("41010219900101123X".to_string()), Cell::Text("张三".to_string())]];
            let mut rng = Rng::new(u64::from(sheet.code));
            let full = xlsx_bytes(style, sheet, &["身份证号", "姓名"], &rows, &mut rng)
                .map_err(|source| DatagenError::Xlsx { path: path.to_string(), source })?;
            full[..full.len() * 3 / 5].to_vec()
        }
        Unreadable::Undecodable => {
            let mut bytes = format!("{header}\n").into_bytes();
            for i in 0..3u8 {
                bytes.extend_from_slice(b"4101021990010");
                bytes.extend_from_slice(&[0xFF, 0xFE, 0x81 + i, 0xFF, b',']);
                bytes.extend_from_slice(&[0xFF, 0xFF, b'\n']);
            }
            bytes
        }
        Unreadable::Empty => Vec::new(),
        Unreadable::NoHeader => {
            "序号,人员编号,批次,日期\n1,P0001,第一批,2024-05-01\n2,P0002,第一批,2024-05-01\n".as_bytes().to_vec()
        }
    })
}
