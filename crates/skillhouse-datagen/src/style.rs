//! The house style of the files one organisation sends — format and encoding, workbook layout, which columns
//! under which header spellings, the date spelling and the quirks of its clerks — shared by evaluation agencies
//! (certificate files, DESIGN §4) and training providers (trainee files, §16). What differs between the two is
//! the set of columns (`F`) and the spellings of their values (`V`).

use crate::rng::Rng;

/// A column of an input file: its header spellings, as the design lists them.
pub(crate) trait Column: Copy + PartialEq {
    /// The header spellings that must be recognised; the first is the most common Chinese one.
    fn spellings(self) -> &'static [&'static str];
    /// Whether the column holds the ID number (a GBK file heads it in Chinese, see [`Style::random`]).
    fn is_id_number(self) -> bool;
}

/// File format and encoding of an organisation's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    CsvUtf8,
    CsvUtf8Bom,
    CsvGbk,
    Xlsx,
    Jsonl,
}

impl Format {
    /// File extension.
    pub(crate) const fn extension(self) -> &'static str {
        match self {
            Self::CsvUtf8 | Self::CsvUtf8Bom | Self::CsvGbk => "csv",
            Self::Xlsx => "xlsx",
            Self::Jsonl => "jsonl",
        }
    }

    /// Format name in the manifest (as in the ledger: csv, xlsx, jsonl).
    pub(crate) const fn name(self) -> &'static str {
        self.extension()
    }

    /// Encoding name in the manifest (as in the ledger).
    pub(crate) const fn encoding(self) -> &'static str {
        match self {
            Self::CsvUtf8 | Self::Jsonl => "utf-8",
            Self::CsvUtf8Bom => "utf-8-bom",
            Self::CsvGbk => "gbk",
            Self::Xlsx => "binary",
        }
    }
}

/// How dates are stored in an organisation's workbooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XlsxDates {
    /// Text in the organisation's date spelling.
    Text,
    /// Real spreadsheet dates (a number with a date format).
    DateCells,
    /// Bare serial numbers (a date column whose format was lost).
    Serial,
}

/// The date spellings of DESIGN §4, in the order of [`Style::date_style`].
pub(crate) const DATE_STYLES: [&str; 6] =
    ["yyyy-mm-dd", "yyyy/m/d", "yyyymmdd", "yyyy.mm.dd", "yyyy年m月d日", "yyyy-mm-dd hh:mm:ss"];

/// The house style of one organisation's files.
#[derive(Debug, Clone)]
pub(crate) struct Style<F, V> {
    pub format: Format,
    /// CSV line ending `\r\n` (Windows exports) rather than `\n`.
    pub crlf: bool,
    /// XLSX: a merged title row (and a 填报单位 line) above the header.
    pub title_row: bool,
    /// XLSX: 填表人/备注 rows below the data.
    pub notes_rows: bool,
    /// XLSX: an instructions sheet before the data sheet.
    pub intro_sheet: bool,
    /// XLSX: how dates are stored.
    pub xlsx_dates: XlsxDates,
    /// The columns written, in order, with the header spelling this organisation uses.
    pub columns: Vec<(F, &'static str)>,
    /// Index into [`DATE_STYLES`].
    pub date_style: usize,
    /// The spellings of the values of this kind of file (levels and types, or kinds and results).
    pub values: V,
    /// 0: codes, 1: full names, 2: short names, 3: any, row by row.
    pub programme_style: u8,
    /// Writes the check character X as lower-case x.
    pub lower_x: bool,
    /// Share of rows whose holder (born 19xx) is written with the 15-digit legacy number.
    pub legacy_share: f64,
    /// Share of rows with full-width digits in the ID or date.
    pub full_width_share: f64,
    /// Share of cells with stray surrounding spaces.
    pub space_share: f64,
}

impl<F: Column, V> Style<F, V> {
    /// Whether the organisation writes a column for `field`.
    pub(crate) fn has(&self, field: F) -> bool {
        self.columns.iter().any(|(f, _)| *f == field)
    }

    /// The header cells, in order.
    pub(crate) fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(_, h)| *h).collect()
    }

    /// How dates are written, for the manifest: the spelling, and for XLSX how they are stored.
    pub(crate) fn date_style_name(&self) -> String {
        match (self.format, self.xlsx_dates) {
            (Format::Xlsx, XlsxDates::DateCells) => format!("{} / date_cells", DATE_STYLES[self.date_style]),
            (Format::Xlsx, XlsxDates::Serial) => "serial_numbers".to_string(),
            _ => DATE_STYLES[self.date_style].to_string(),
        }
    }

    /// A random style for the organisation in registry position `slot`. `columns` chooses the columns and their
    /// spellings, `values` the value spellings. The draws happen in a fixed order — the order certificate drops
    /// were first generated with: changing it changes every drop of every seed.
    pub(crate) fn random(
        rng: &mut Rng,
        slot: usize,
        columns: impl FnOnce(&mut Rng) -> Vec<(F, &'static str)>,
        values: impl FnOnce(&mut Rng, usize) -> V,
    ) -> Self {
        // The first six organisations cover every format so that even a small drop holds them all.
        const FORCED: [(Format, bool); 6] = [
            (Format::Xlsx, true),
            (Format::CsvGbk, false),
            (Format::Jsonl, false),
            (Format::CsvUtf8Bom, false),
            (Format::Xlsx, false),
            (Format::CsvUtf8, false),
        ];
        let (format, forced_title) = match FORCED.get(slot) {
            Some(f) => *f,
            None => {
                let formats = [Format::CsvUtf8, Format::CsvUtf8Bom, Format::CsvGbk, Format::Xlsx, Format::Jsonl];
                (formats[rng.weighted(&[0.25, 0.15, 0.2, 0.25, 0.15])], rng.chance(0.5))
            }
        };
        let mut columns = columns(rng);
        if rng.chance(0.3) {
            // Some templates put the columns in their own order.
            for i in (1..columns.len()).rev() {
                let j = rng.index(i + 1);
                columns.swap(i, j);
            }
        }
        if format == Format::CsvGbk {
            // A GBK file must hold non-ASCII bytes to be told from UTF-8: GBK organisations head their ID column
            // in Chinese.
            for (field, spelling) in &mut columns {
                if field.is_id_number() && spelling.is_ascii() {
                    *spelling = field.spellings()[0];
                }
            }
        }
        let xlsx_dates = [XlsxDates::Text, XlsxDates::DateCells, XlsxDates::Serial][rng.weighted(&[0.4, 0.4, 0.2])];
        let crlf = rng.chance(0.4);
        let notes_rows = forced_title || rng.chance(0.5);
        let intro_sheet = slot == 4 || rng.chance(0.1);
        let xlsx_dates = match slot {
            0 => XlsxDates::DateCells,
            4 => XlsxDates::Serial,
            _ => xlsx_dates,
        };
        let date_style = if slot < 12 { slot % DATE_STYLES.len() } else { rng.index(DATE_STYLES.len()) };
        let values = values(rng, slot);
        Self {
            format,
            crlf,
            title_row: forced_title,
            notes_rows,
            intro_sheet,
            xlsx_dates,
            columns,
            date_style,
            values,
            programme_style: rng.below(4) as u8,
            lower_x: rng.chance(0.3),
            legacy_share: if rng.chance(0.4) { 0.05 } else { 0.0 },
            full_width_share: if rng.chance(0.3) { 0.03 } else { 0.0 },
            space_share: if rng.chance(0.4) { 0.02 } else { 0.0 },
        }
    }
}
