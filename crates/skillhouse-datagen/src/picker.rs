//! Choosing an organisation for a certificate or a class: by month (registered by then, and holding evaluations or
//! classes that month), by type (weighted), and preferably in the person's home reporting unit. Used for evaluation
//! agencies and training providers alike.

use crate::config::Config;
use crate::rng::Rng;
use chrono::{Datelike, NaiveDate};
use skillhouse_model::ReportingUnit;

/// The most organisation types a picker distinguishes.
const MAX_TYPES: usize = 8;

/// Organisations eligible per month and type, with cumulative weights, for fast weighted choice.
#[derive(Debug, Default, Clone)]
struct Pool {
    ids: Vec<u16>,
    cumulative: Vec<f64>,
}

impl Pool {
    fn push(&mut self, id: u16, weight: f64) {
        let last = self.cumulative.last().copied().unwrap_or(0.0);
        self.ids.push(id);
        self.cumulative.push(last + weight);
    }
}

/// What the picker knows of one organisation (its index in the registry is its position in the list).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    /// Index of its type, below the picker's number of types.
    pub type_slot: usize,
    /// Index into [`ReportingUnit::UNITS`].
    pub unit: usize,
    /// First day it may be chosen.
    pub active_from: NaiveDate,
    /// Relative size among organisations of its type.
    pub weight: f64,
    /// Calendar months (bit 0 = January) in which it is active.
    pub month_mask: u16,
}

/// Chooses organisations by month, type and reporting unit.
pub(crate) struct Picker {
    first_year: i32,
    types: usize,
    /// [month × types + type]: active that month.
    active: Vec<Pool>,
    /// [month × types + type]: registered, whatever the month (fallback).
    registered: Vec<Pool>,
    /// [(month × types + type) × units + unit]: active that month in that unit.
    regional: Vec<Pool>,
}

impl Picker {
    /// A picker over `candidates` of `types` types (at most 8), for the months of `config`'s years.
    pub(crate) fn new(config: &Config, types: usize, candidates: &[Candidate]) -> Self {
        let types = types.clamp(1, MAX_TYPES);
        let months = ((config.last_year - config.first_year + 1) * 12) as usize;
        let units = ReportingUnit::UNITS.len();
        let mut active = vec![Pool::default(); months * types];
        let mut registered = vec![Pool::default(); months * types];
        let mut regional = vec![Pool::default(); months * types * units];
        for m in 0..months {
            let year = config.first_year + (m / 12) as i32;
            let month = (m % 12) as u32 + 1;
            let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
            for (i, c) in candidates.iter().enumerate() {
                if c.active_from > first || c.type_slot >= types {
                    continue;
                }
                let slot = m * types + c.type_slot;
                registered[slot].push(i as u16, c.weight);
                if c.month_mask & (1 << (month - 1)) != 0 {
                    active[slot].push(i as u16, c.weight);
                    regional[slot * units + c.unit.min(units - 1)].push(i as u16, c.weight);
                }
            }
        }
        Self { first_year: config.first_year, types, active, registered, regional }
    }

    /// An organisation for something dated `date`, of one of the types weighted by `type_weights` (by type
    /// slot), preferring the person's `home` unit. Dates outside the years count as their first or last month.
    pub(crate) fn pick(&self, rng: &mut Rng, date: NaiveDate, type_weights: &[f64], home: usize) -> u16 {
        let months = self.active.len() / self.types;
        let m = ((date.year() - self.first_year) * 12 + date.month0() as i32).max(0) as usize;
        let m = m.min(months.saturating_sub(1));
        let mut weights = [0.0; MAX_TYPES];
        for (t, w) in weights.iter_mut().enumerate().take(self.types) {
            let given = type_weights.get(t).copied().unwrap_or(0.0);
            *w = if self.registered[m * self.types + t].ids.is_empty() { 0.0 } else { given };
        }
        let slot = m * self.types + rng.weighted(&weights[..self.types]);
        let units = ReportingUnit::UNITS.len();
        let regional = &self.regional[slot * units + home.min(units - 1)];
        let pool = if !regional.ids.is_empty() && rng.chance(0.7) {
            regional
        } else if !self.active[slot].ids.is_empty() {
            &self.active[slot]
        } else {
            &self.registered[slot]
        };
        pool.ids.get(rng.cumulative(&pool.cumulative)).copied().unwrap_or(0)
    }
}
