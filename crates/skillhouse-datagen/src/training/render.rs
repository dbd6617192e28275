//! Turning a planned trainee row into the cells a provider's clerk would have typed: the provider's value
//! spellings and quirks (shared with certificate files: [`crate::render`]), class and voucher numbers, and the one
//! injected defect of a defect row.

use super::classes::{Class, NO_SATISFACTION, Trainee, trainee};
use super::provider::{Provider, TrainingField, TrainingStyle};
use super::vocab::{Kind, Reason, UNKNOWN_KINDS};
use crate::error::{DatagenError, Result};
use crate::persons::{NO_OCCUPATION, Person};
use crate::plan::UNREGISTERED;
use crate::reference::Occupation;
use crate::render::{self, Cell, IdFault, Quirks};
use crate::rng::Rng;
use crate::style::Format;
use chrono::{Datelike, Days, NaiveDate};

/// Everything needed to render the rows of one training file.
pub(crate) struct TrainingRenderer<'a> {
    pub seed: u64,
    pub as_of: NaiveDate,
    pub providers: &'a [Provider],
    pub unregistered: &'a Provider,
    pub classes: &'a [Class],
    /// The registered providers' rows in path order (sources of reused vouchers).
    pub rows: &'a [Trainee],
    /// Certificate persons.
    pub persons: &'a [Person],
    /// Persons who hold no certificate.
    pub others: &'a [Person],
    pub occupations: &'a [Occupation],
}

/// A voucher number: `PXQ`, the class's end year, the provider's code, the class serial (four digits or more) and
/// the seat (three digits) — unique to one trainee of one class.
fn voucher_no(provider: &Provider, class: &Class, seat: u16) -> String {
    format!("PXQ{}{:04}{:04}{seat:03}", class.end.year(), provider.code, class.serial)
}

impl TrainingRenderer<'_> {
    pub(crate) fn provider(&self, index: u16) -> &Provider {
        if index == UNREGISTERED { self.unregistered } else { &self.providers[usize::from(index)] }
    }

    /// The cells of one row, in the style's column order.
    pub(crate) fn row(&self, row: &Trainee, rng: &mut Rng, quirks: &mut Quirks) -> Result<Vec<Cell>> {
        let class = &self.classes[row.class as usize];
        let provider = self.provider(class.provider);
        let style = &provider.style;
        let values = &style.values;
        let reason = row.reason();
        let person = trainee(self.persons, self.others, row.person)
            .ok_or_else(|| DatagenError::Internal(format!("trainee person {} out of range", row.person)))?;
        let mut id = String::from_utf8_lossy(&person.id).into_owned();
        let mut birth = person.birth;
        let (mut start, mut end) = (class.start, class.end);
        let missing = (reason == Some(Reason::MissingField))
            .then(|| TrainingField::REQUIRED[rng.index(TrainingField::REQUIRED.len())]);
        let invalid_date = (reason == Some(Reason::DateInvalid))
            .then(|| if rng.chance(0.5) { TrainingField::StartDate } else { TrainingField::EndDate });
        match reason {
            Some(Reason::DateFuture) => end = self.as_of + Days::new(rng.between(1, 90) as u64),
            Some(Reason::EndBeforeStart) => start = end + Days::new(rng.between(1, 30) as u64),
            Some(Reason::UnderAge) => render::make_young(&mut id, &mut birth, start, rng),
            _ => {}
        }
        let (mut hours_total, mut hours_practical) =
            (Some(i64::from(class.hours_total)), Some(i64::from(class.hours_practical)));
        let mut hours_text: Option<(TrainingField, String)> = None;
        if reason == Some(Reason::HoursInvalid) {
            match rng.below(4) {
                0 => hours_total = Some(0),
                1 => hours_practical = Some(i64::from(class.hours_total) + rng.between(1, 16)),
                2 => hours_text = Some((TrainingField::HoursTotal, format!("{}.5", class.hours_total))),
                _ => hours_practical = Some(-rng.between(1, 8)),
            }
        }
        let numbers = values.numbers && matches!(style.format, Format::Xlsx | Format::Jsonl);

        let mut cells = Vec::with_capacity(style.columns.len());
        for (field, _) in &style.columns {
            let field = *field;
            if missing == Some(field) {
                cells.push(Cell::Text(String::new()));
                continue;
            }
            let text = match field {
                TrainingField::IdNumber => {
                    let fault = match reason {
                        Some(Reason::IdFormat) => Some(IdFault::Format),
                        Some(Reason::IdChecksum) => Some(IdFault::Checksum),
                        _ => None,
                    };
                    render::id_text(&id, birth, fault, style, rng, quirks)
                }
                TrainingField::Name => render::person_name(self.seed, row.person),
                TrainingField::ProviderId if reason == Some(Reason::ProviderMismatch) => {
                    let n = self.providers.len();
                    let own = usize::from(class.provider).min(n - 1);
                    self.providers[(own + 1 + rng.index(n - 1)) % n].id.clone()
                }
                TrainingField::ProviderId => provider.id.clone(),
                TrainingField::ClassId => provider.class_id(class.end.year(), class.serial),
                TrainingField::Kind if reason == Some(Reason::UnknownTrainingKind) => {
                    rng.pick(&UNKNOWN_KINDS).to_string()
                }
                TrainingField::Kind => spell_kind(class.kind, values.kind_style, rng),
                TrainingField::OccupationCode if reason == Some(Reason::UnknownOccupation) => {
                    let codes: &[&str] = if class.kind.needs_occupation() {
                        &["", "9-99-99-99", "6-31-01-99", "X-01-02-03"]
                    } else {
                        &["9-99-99-99", "6-31-01-99", "X-01-02-03"]
                    };
                    rng.pick(codes).to_string()
                }
                TrainingField::OccupationCode => self.occupation(class).map(|o| o.code.clone()).unwrap_or_default(),
                TrainingField::OccupationName => self.occupation(class).map(|o| o.name_zh.clone()).unwrap_or_default(),
                TrainingField::Programme => render::spell_programme(class.programme, style.programme_style, rng),
                TrainingField::Subsidised => spell_yes_no(row.subsidised, values.subsidised_style).to_string(),
                TrainingField::Voucher if reason == Some(Reason::VoucherReused) => {
                    let source = &self.rows[row.aux as usize];
                    let source_class = &self.classes[source.class as usize];
                    voucher_no(self.provider(source_class.provider), source_class, source.seat)
                }
                TrainingField::Voucher if row.voucher => voucher_no(provider, class, row.seat),
                TrainingField::Voucher => String::new(),
                TrainingField::Organiser if class.youth_league => {
                    ["共青团", "团组织", "youth_league"][usize::from(values.organiser_style.min(2))].to_string()
                }
                TrainingField::Organiser => String::new(),
                TrainingField::StartDate | TrainingField::EndDate => {
                    let date = if field == TrainingField::StartDate { start } else { end };
                    if invalid_date == Some(field) {
                        render::invalid_date(date, rng)
                    } else {
                        match render::date_value(style, date, rng, quirks) {
                            Cell::Text(text) => text,
                            cell => {
                                cells.push(cell);
                                continue;
                            }
                        }
                    }
                }
                TrainingField::HoursTotal | TrainingField::HoursPractical => {
                    let value = if field == TrainingField::HoursTotal { hours_total } else { hours_practical };
                    match (&hours_text, value) {
                        (Some((f, text)), _) if *f == field => text.clone(),
                        (_, Some(v)) if numbers => {
                            cells.push(Cell::Number(v as f64));
                            continue;
                        }
                        (_, Some(v)) => v.to_string(),
                        (_, None) => String::new(),
                    }
                }
                TrainingField::Satisfaction => match satisfaction_cell(row.satisfaction, style, numbers) {
                    Cell::Text(text) => text,
                    cell => {
                        cells.push(cell);
                        continue;
                    }
                },
                TrainingField::Result => {
                    let outcome = row.outcome();
                    let chinese = match values.result_style {
                        0 => true,
                        1 => false,
                        _ => rng.chance(0.5),
                    };
                    if chinese { outcome.name_zh() } else { outcome.code() }.to_string()
                }
            };
            cells.push(Cell::Text(render::stray_space(text, style.space_share, rng, quirks)));
        }
        Ok(cells)
    }

    fn occupation(&self, class: &Class) -> Option<&Occupation> {
        (class.occupation != NO_OCCUPATION).then(|| self.occupations.get(usize::from(class.occupation))).flatten()
    }
}

fn spell_kind(kind: Kind, style: u8, rng: &mut Rng) -> String {
    let chinese = match style {
        0 => true,
        1 => false,
        _ => rng.chance(0.5),
    };
    if chinese {
        let names = kind.names_zh();
        names[rng.index(names.len())].to_string()
    } else {
        kind.code().to_string()
    }
}

fn spell_yes_no(yes: bool, style: u8) -> &'static str {
    match (style, yes) {
        (0, true) => "是",
        (0, false) => "否",
        (1, true) => "yes",
        (1, false) => "no",
        (_, true) => "1",
        (_, false) => "0",
    }
}

/// Satisfaction as the provider writes it: whole per cents, with `%`, or one decimal; a number where the file
/// has numbers (never with `%`).
fn satisfaction_cell(tenths: u16, style: &TrainingStyle, numbers: bool) -> Cell {
    if tenths == NO_SATISFACTION {
        return Cell::Text(String::new());
    }
    let value = f64::from(tenths) / 10.0;
    match style.values.satisfaction_style {
        1 => Cell::Text(format!("{}%", tenths / 10)),
        _ if numbers => Cell::Number(value),
        0 => Cell::Text((tenths / 10).to_string()),
        _ => Cell::Text(format!("{value:.1}")),
    }
}
