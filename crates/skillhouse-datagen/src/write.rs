//! Encoding rows into files (CSV in UTF-8, UTF-8 with BOM or GBK; XLSX; JSON Lines), the unreadable files, the
//! registry and the manifest, and writing them in parallel.

use crate::agency::{self, Agency, DATE_STYLES, Format, XlsxDates};
use crate::config::Config;
use crate::error::{DatagenError, Result};
use crate::manifest::{FileEntry, Manifest, ManifestArgs, RegistryEntry, Totals, YearCalibration};
use crate::persons::{Cert, NO_PROGRAMME, REPEAT};
use crate::plan::{FileTask, Plan, UNREGISTERED, Unreadable};
use crate::reference::Occupation;
use crate::render::{self, Cell, Quirks, Renderer};
use crate::rng::Rng;
use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XlsxFormat, FormatAlign, Workbook, XlsxError};
use skillhouse_model::{AgencyType, CertType, Level};
use std::collections::BTreeMap;
use std::path::Path;

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> DatagenError + 'a {
    move |source| DatagenError::Io { action, path: path.to_path_buf(), source }
}

/// Writes the drop of `plan` under `out` (which must be absent or empty) and returns its manifest.
pub(crate) fn write(config: &Config, plan: &Plan, occupations: &[Occupation], out: &Path) -> Result<Manifest> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io("reading folder", out))?;
        if entries.next().is_some() {
            return Err(DatagenError::OutputNotEmpty { path: out.to_path_buf() });
        }
    }
    std::fs::create_dir_all(out).map_err(io("creating folder", out))?;
    let registry = agency::registry_csv(&plan.agencies, config.seed);
    let registry_path = out.join("agencies.csv");
    std::fs::write(&registry_path, registry).map_err(io("writing", &registry_path))?;
    let mut folders: Vec<&str> = plan.files.iter().map(|f| agency_of(plan, f.agency).id.as_str()).collect();
    folders.dedup();
    for folder in folders {
        let dir = out.join(folder);
        std::fs::create_dir_all(&dir).map_err(io("creating folder", &dir))?;
    }
    let renderer = Renderer {
        seed: config.seed,
        as_of: config.resolved_as_of(),
        agencies: &plan.agencies,
        unregistered: &plan.unregistered,
        persons: &plan.persons,
        occupations,
        certs: &plan.certs,
    };
    let entries: Vec<FileEntry> = plan
        .files
        .par_iter()
        .map(|task| {
            let (bytes, entry) = render_file(config, plan, &renderer, task)?;
            let path = out.join(&entry.path);
            std::fs::write(&path, bytes).map_err(io("writing", &path))?;
            Ok(entry)
        })
        .collect::<Result<_>>()?;
    let manifest = manifest(config, plan, entries);
    let text = serde_json::to_string_pretty(&manifest).map_err(DatagenError::Manifest)? + "\n";
    let manifest_path = out.join("manifest.json");
    std::fs::write(&manifest_path, text).map_err(io("writing", &manifest_path))?;
    Ok(manifest)
}

fn agency_of(plan: &Plan, index: u16) -> &Agency {
    if index == UNREGISTERED { &plan.unregistered } else { &plan.agencies[usize::from(index)] }
}

fn render_file(config: &Config, plan: &Plan, renderer: &Renderer<'_>, task: &FileTask) -> Result<(Vec<u8>, FileEntry)> {
    let agency = agency_of(plan, task.agency);
    let style = &agency.style;
    let key = (u64::from(task.agency) << 32) | (task.year as u64 * 100 + u64::from(task.month));
    let mut rng = Rng::derive(config.seed, 0xF11E, key);
    let mut entry = FileEntry {
        path: String::new(),
        agency_id: agency.id.clone(),
        period: task.period(),
        format: style.format.name().to_string(),
        encoding: style.format.encoding().to_string(),
        has_title_row: style.format == Format::Xlsx && style.title_row,
        has_notes_rows: style.format == Format::Xlsx && style.notes_rows,
        data_sheet_index: u32::from(style.format == Format::Xlsx && style.intro_sheet),
        rows: 0,
        valid_rows: 0,
        readable: true,
        why: None,
        defects: BTreeMap::new(),
        duplicate_claims: 0,
        columns: style.columns.iter().map(|(_, h)| (*h).to_string()).collect(),
        date_style: match (style.format, style.xlsx_dates) {
            (Format::Xlsx, XlsxDates::DateCells) => format!("{} / date_cells", DATE_STYLES[style.date_style]),
            (Format::Xlsx, XlsxDates::Serial) => "serial_numbers".to_string(),
            _ => DATE_STYLES[style.date_style].to_string(),
        },
        level_style: render::spell_level(Level::L5, style.level_style),
        quirks: BTreeMap::new(),
    };
    if let Some(kind) = task.unreadable {
        entry.path = format!("{}/{}.{}", agency.id, task.period(), kind.extension());
        entry.format = kind.extension().to_string();
        entry.encoding = if kind.extension() == "xlsx" { "binary" } else { "utf-8" }.to_string();
        entry.has_title_row = false;
        entry.has_notes_rows = false;
        entry.data_sheet_index = 0;
        entry.readable = false;
        entry.why = Some(kind.why().to_string());
        entry.columns.clear();
        entry.date_style.clear();
        entry.level_style.clear();
        let bytes = unreadable_bytes(kind, agency, &entry.path)?;
        return Ok((bytes, entry));
    }
    entry.path = format!("{}/{}.{}", agency.id, task.period(), style.format.extension());
    let certs: &[Cert] = if task.agency == UNREGISTERED {
        &plan.unregistered_certs[task.rows.clone()]
    } else {
        &plan.certs[task.rows.clone()]
    };
    let mut quirks = Quirks::default();
    let rows: Vec<Vec<Cell>> = certs.iter().map(|c| renderer.row(c, task.agency, &mut rng, &mut quirks)).collect();
    for c in certs {
        match c.reason() {
            Some(reason) => *entry.defects.entry(reason.code().to_string()).or_default() += 1,
            None => entry.valid_rows += 1,
        }
        if c.flags & REPEAT != 0 {
            entry.duplicate_claims += 1;
        }
    }
    entry.rows = rows.len() as u64;
    for (name, n) in [
        ("legacy_id", quirks.legacy_id),
        ("lower_x", quirks.lower_x),
        ("full_width", quirks.full_width),
        ("stray_space", quirks.stray_space),
    ] {
        if n > 0 {
            entry.quirks.insert(name.to_string(), n);
        }
    }
    let header: Vec<&str> = style.columns.iter().map(|(_, h)| *h).collect();
    let bytes = match style.format {
        Format::CsvUtf8 | Format::CsvUtf8Bom | Format::CsvGbk => {
            csv_bytes(style.format, style.crlf, &header, &rows, &entry.path)?
        }
        Format::Jsonl => jsonl_bytes(&header, &rows),
        Format::Xlsx => xlsx_bytes(agency, task, &header, &rows, &mut rng)
            .map_err(|source| DatagenError::Xlsx { path: entry.path.clone(), source })?,
    };
    Ok((bytes, entry))
}

fn text_of(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Date(d) | Cell::Serial(d) => render::spell_date(*d, 0),
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
            push_json_string(&mut text, &text_of(cell));
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

fn xlsx_bytes(
    agency: &Agency,
    task: &FileTask,
    header: &[&str],
    rows: &[Vec<Cell>],
    rng: &mut Rng,
) -> Result<Vec<u8>, XlsxError> {
    let style = &agency.style;
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(&agency.name)?);
    if style.intro_sheet {
        let intro = workbook.add_worksheet();
        intro.set_name("填表说明")?;
        intro.write_string(0, 0, "填表说明")?;
        intro.write_string(1, 0, "1. 身份证号填写18位号码，末位X大写。")?;
        intro.write_string(2, 0, "2. 证书编号按人社鉴发〔2019〕2号规则填写。")?;
        intro.write_string(3, 0, "3. 本表数据在“花名册”工作表。")?;
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name(if style.intro_sheet || rng.chance(0.5) { "花名册" } else { "Sheet1" })?;
    let date_format = XlsxFormat::new().set_num_format(if rng.chance(0.5) { "yyyy-mm-dd" } else { "yyyy/m/d" });
    let mut r: u32 = 0;
    if style.title_row {
        let title = format!(
            "{}{}年{}月{}证书发放花名册",
            agency.name,
            task.year,
            task.month,
            if agency.agency_type == AgencyType::SpecialCompetence {
                "专项职业能力"
            } else {
                "职业技能等级"
            }
        );
        let bold = XlsxFormat::new().set_bold().set_align(FormatAlign::Center);
        sheet.merge_range(0, 0, 0, (header.len().max(2) - 1) as u16, &title, &bold)?;
        sheet.write_string(1, 0, format!("填报单位（盖章）：{}", agency.name))?;
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
            }
        }
    }
    if style.notes_rows {
        let clerk = render::person_name(u64::from(agency.code), task.month);
        sheet.write_string(r + 2, 0, format!("填表人：{clerk}    联系电话：0371-6{:07}", agency.code as u32 * 331))?;
        sheet.write_string(r + 3, 0, format!("备注：本表共{}条记录。", rows.len()))?;
    }
    workbook.save_to_buffer()
}

fn unreadable_bytes(kind: Unreadable, agency: &Agency, path: &str) -> Result<Vec<u8>> {
    let header = "身份证号,姓名,证书编号,证书类型,职业编码,等级,发证日期";
    Ok(match kind {
        Unreadable::NotZip => format!(
            "<html><head><meta charset=\"utf-8\"></head><body><table><tr><td>{}</td></tr>\
             <tr><td>41010219900101123X</td><td>张三</td></tr></table></body></html>\n",
            header.replace(',', "</td><td>")
        )
        .into_bytes(),
        Unreadable::TruncatedXlsx => {
            let rows = vec![vec![Cell::Text("41010219900101123X".to_string()), Cell::Text("张三".to_string())]];
            let task = FileTask { agency: 0, year: 2024, month: 1, rows: 0..0, unreadable: None };
            let mut rng = Rng::new(u64::from(agency.code));
            let full = xlsx_bytes(agency, &task, &["身份证号", "姓名"], &rows, &mut rng)
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

fn manifest(config: &Config, plan: &Plan, files: Vec<FileEntry>) -> Manifest {
    let mut totals = Totals { files: files.len() as u64, persons: config.persons, ..Totals::default() };
    for f in &files {
        if !f.readable {
            totals.unreadable_files += 1;
        }
        totals.rows += f.rows;
        totals.valid_rows += f.valid_rows;
        totals.duplicate_claims += f.duplicate_claims;
        for (reason, n) in &f.defects {
            *totals.defects.entry(reason.clone()).or_default() += n;
            totals.defect_rows += n;
        }
    }
    Manifest {
        generator: format!("skillhouse-datagen {}", env!("CARGO_PKG_VERSION")),
        seed: config.seed,
        args: ManifestArgs {
            persons: config.persons,
            years: config.years_text(),
            defect_rate: config.defect_rate,
            agencies: config.resolved_agencies(),
            as_of: config.as_of.map(|d| d.format("%Y-%m-%d").to_string()),
        },
        as_of: config.resolved_as_of().format("%Y-%m-%d").to_string(),
        registry: RegistryEntry { path: "agencies.csv".to_string(), rows: plan.agencies.len() as u64 },
        unregistered_agencies: if plan.unregistered_certs.is_empty() {
            Vec::new()
        } else {
            vec![plan.unregistered.id.clone()]
        },
        files,
        totals,
        calibration: calibration(config, plan),
    }
}

fn calibration(config: &Config, plan: &Plan) -> Vec<YearCalibration> {
    let years = (config.last_year - config.first_year + 1) as usize;
    let mut certificates = vec![0u64; years];
    let mut level_bearing = vec![0u64; years];
    let mut high = vec![0u64; years];
    let mut mix = vec![0u64; years];
    let mut tagged = vec![0u64; years];
    let none = u16::MAX;
    let mut first_skilled = vec![none; plan.persons.len()];
    let mut first_high = vec![none; plan.persons.len()];
    for c in plan.certs.iter().filter(|c| c.is_clean()) {
        let y = (c.date.year() - config.first_year) as usize;
        let cert_type = c.cert_type();
        certificates[y] += 1;
        if cert_type.bears_level() {
            level_bearing[y] += 1;
            high[y] += u64::from(c.level >= 3);
        }
        mix[y] += u64::from(matches!(cert_type, CertType::SpecialCompetence | CertType::Training));
        let agency = &plan.agencies[usize::from(c.agency)];
        tagged[y] += u64::from(c.programme != NO_PROGRAMME && agency.style.has(crate::agency::Field::Programme));
        if cert_type.is_skill() {
            let p = c.person as usize;
            first_skilled[p] = first_skilled[p].min(y as u16);
            if c.level >= 3 {
                first_high[p] = first_high[p].min(y as u16);
            }
        }
    }
    let mut skilled_by = vec![0u64; years];
    let mut high_by = vec![0u64; years];
    for (s, h) in first_skilled.iter().zip(&first_high) {
        if *s != none {
            skilled_by[usize::from(*s)] += 1;
        }
        if *h != none {
            high_by[usize::from(*h)] += 1;
        }
    }
    let share = |a: u64, b: u64| if b == 0 { 0.0 } else { (a as f64 / b as f64 * 10_000.0).round() / 10_000.0 };
    let (mut skilled, mut high_skilled) = (0u64, 0u64);
    (0..years)
        .map(|y| {
            skilled += skilled_by[y];
            high_skilled += high_by[y];
            YearCalibration {
                year: config.first_year + y as i32,
                certificates: certificates[y],
                level_bearing: level_bearing[y],
                high_level_share: share(high[y], level_bearing[y]),
                competence_and_training_share: share(mix[y], certificates[y]),
                skilled_persons: skilled,
                high_skill_share: share(high_skilled, skilled),
                programme_tagged_share: share(tagged[y], certificates[y]),
            }
        })
        .collect()
}
