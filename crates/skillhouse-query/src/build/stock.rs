//! `stock_by_year_end`: a person's principal certificate at every year end, as one aggregate over the person's
//! certificates. The `persons` model groups by person and unnests the list this returns.
//!
//! ```sql
//! stock_by_year_end(issue_year, rank, issue_date, cert_no, region_code, last_year [, until_year])
//!   -> list of {year, rank, cert_no, region_code}
//! ```
//!
//! For every year end from the group's first `issue_year` to `last_year`, one element: the best of the group's rows
//! in force at that year end, where a row with a `rank` (a skill certificate) beats a row without one and the best
//! is the greatest `(rank, issue_date, cert_no)`. A row is in force at the year ends from its `issue_year` to its
//! `until_year` (DESIGN §18: the last year end before it was revoked or lapsed; null, or no seventh argument, for a
//! certificate in force for good). Its `rank`, `cert_no` and `region_code` are null at a year end where no ranked
//! row is in force — before the first, or after every one has ended. A row with a null `issue_year` is ignored; rows
//! issued after `last_year` never count. A certificate with several terms (renewed after it lapsed) is several rows.
//!
//! Why an aggregate: the SQL formulation (best per person and issue year, then every per-year best replicated to each
//! later year end and aggregated again by person and year end) hashed 21M groups of 64-character keys at 10M
//! certificates and spilled. This groups by person only (6.6M groups) and keeps, per person, one small entry per
//! issue year; the year ends are produced when the groups are emitted.
//!
//! Two-phase aggregation: the state is the list of per-(issue year, until year) bests (`year, rank, issue_date,
//! cert_no, region_code, until`) and `last_year`; merging lists is the same update as for input rows, so a partial aggregation, its
//! skipping (`convert_to_state`: one row is a list of one entry) and spilling all give the same answer.

use datafusion::arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, BooleanArray, Int32Array, Int32Builder, ListArray, StringBuilder,
    StringViewBuilder, StructArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{filter, nullif};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, FieldRef, Fields, Int32Type};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use std::ops::Range;
use std::sync::Arc;

/// The SQL name of the aggregate.
pub const NAME: &str = "stock_by_year_end";

/// At most this many year ends per group: a guard against a `last_year` decades away from the data, which would
/// otherwise multiply every person into thousands of rows.
const MAX_YEAR_ENDS: i32 = 200;

/// The input types, in argument order (the seventh, `until_year`, is optional).
fn input_types() -> [DataType; 7] {
    [
        DataType::Int32,
        DataType::Int32,
        DataType::Date32,
        DataType::Utf8View,
        DataType::Utf8View,
        DataType::Int32,
        DataType::Int32,
    ]
}

/// `until` of a row in force for good.
const FOR_GOOD: i32 = i32::MAX;

/// `{year, rank, cert_no, region_code}`: one year end of the result.
fn output_fields() -> Fields {
    Fields::from(vec![
        Field::new("year", DataType::Int32, false),
        Field::new("rank", DataType::Int32, true),
        Field::new("cert_no", DataType::Utf8, true),
        Field::new("region_code", DataType::Utf8, true),
    ])
}

/// `{year, rank, issue_date, cert_no, region_code}`: one issue year's best in the state.
fn state_fields() -> Fields {
    Fields::from(vec![
        Field::new("year", DataType::Int32, true),
        Field::new("rank", DataType::Int32, true),
        Field::new("issue_date", DataType::Date32, true),
        Field::new("cert_no", DataType::Utf8View, true),
        Field::new("region_code", DataType::Utf8View, true),
        Field::new("until", DataType::Int32, true),
    ])
}

fn list_of(fields: Fields) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Struct(fields), true)))
}

/// The aggregate, for registering in a session.
pub fn stock_by_year_end() -> AggregateUDF {
    AggregateUDF::from(StockByYearEnd { signature: Signature::user_defined(Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct StockByYearEnd {
    signature: Signature,
}

impl AggregateUDFImpl for StockByYearEnd {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            6 | 7 => Ok(input_types()[..arg_types.len()].to_vec()),
            n => exec_err!(
                "{NAME} takes 6 or 7 arguments (issue_year, rank, issue_date, cert_no, region_code, last_year \
                 [, until_year]), not {n}"
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(output_fields()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(format!("{}[entries]", args.name), list_of(state_fields()), true)),
            Arc::new(Field::new(format!("{}[last_year]", args.name), DataType::Int32, true)),
        ])
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneGroup(Stock::default())))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Stock::default()))
    }
}

/// "No entry" / "no certificate" in the index fields.
const NONE: u32 = u32::MAX;

/// One issue year and until year of one group: its best ranked row (`cert == NONE`: none yet), and the group's
/// next entry (in ascending `(year, until)`).
#[derive(Debug, Clone, Copy)]
struct Entry {
    year: i32,
    /// The last year end the entry is in force at ([`FOR_GOOD`]: every one).
    until: i32,
    rank: i32,
    date: i32,
    cert: u32,
    next: u32,
}

/// A certificate's texts in [`Stock::texts`]: start, length of the cert_no, length of the region code (`NONE`: null).
#[derive(Debug, Clone, Copy)]
struct Texts {
    start: usize,
    cert_len: u32,
    region_len: u32,
}

/// The state of every group: per group a list of entries in ascending (issue year, until year), linked through `entries` (a few
/// bytes per entry instead of a vector per group); texts are appended only when a row becomes a year's best.
#[derive(Debug, Default)]
struct Stock {
    heads: Vec<u32>,
    entries: Vec<Entry>,
    certs: Vec<Texts>,
    /// Every interned cert_no and region code, back to back: a `String`, so a slice of it is text without checking.
    texts: String,
    last_year: Option<i32>,
}

/// A ranked row: `(rank, issue date, cert_no, region_code)`.
type Ranked<'a> = (i32, i32, &'a str, Option<&'a str>);

impl Stock {
    fn cert_no(&self, cert: u32) -> &str {
        let t = self.certs[cert as usize];
        &self.texts[t.start..t.start + t.cert_len as usize]
    }

    fn region(&self, cert: u32) -> Option<&str> {
        let t = self.certs[cert as usize];
        (t.region_len != NONE).then(|| {
            let start = t.start + t.cert_len as usize;
            &self.texts[start..start + t.region_len as usize]
        })
    }

    fn intern(&mut self, cert_no: &str, region: Option<&str>) -> Result<u32> {
        let id = u32::try_from(self.certs.len()).ok().filter(|id| *id != NONE).ok_or_else(too_many)?;
        let start = self.texts.len();
        self.texts.push_str(cert_no);
        let region_len = match region {
            Some(region) => {
                self.texts.push_str(region);
                u32::try_from(region.len()).map_err(|_| too_many())?
            }
            None => NONE,
        };
        let cert_len = u32::try_from(cert_no.len()).map_err(|_| too_many())?;
        self.certs.push(Texts { start, cert_len, region_len });
        Ok(id)
    }

    fn set_last_year(&mut self, last_year: Option<i32>) -> Result<()> {
        match (self.last_year, last_year) {
            (_, None) => Ok(()),
            (None, Some(year)) => {
                self.last_year = Some(year);
                Ok(())
            }
            (Some(a), Some(b)) if a == b => Ok(()),
            (Some(a), Some(b)) => exec_err!("{NAME}: last_year must be the same in every row ({a} and {b})"),
        }
    }

    /// Adds a row of issue year `year`, in force until the end of `until`, to group `group`.
    fn add(&mut self, group: usize, year: i32, until: i32, ranked: Option<Ranked<'_>>) -> Result<()> {
        let key = (year, until);
        let (mut previous, mut at) = (NONE, self.heads[group]);
        while at != NONE && self.key(at) < key {
            previous = at;
            at = self.entries[at as usize].next;
        }
        let index = if at != NONE && self.key(at) == key {
            at
        } else {
            let new = u32::try_from(self.entries.len()).ok().filter(|id| *id != NONE).ok_or_else(too_many)?;
            self.entries.push(Entry { year, until, rank: 0, date: 0, cert: NONE, next: at });
            match previous {
                NONE => self.heads[group] = new,
                previous => self.entries[previous as usize].next = new,
            }
            new
        };
        let Some((rank, date, cert_no, region)) = ranked else { return Ok(()) };
        let entry = self.entries[index as usize];
        if entry.cert == NONE || (rank, date, cert_no) > (entry.rank, entry.date, self.cert_no(entry.cert)) {
            let cert = self.intern(cert_no, region)?;
            self.entries[index as usize] = Entry { rank, date, cert, ..entry };
        }
        Ok(())
    }

    fn key(&self, at: u32) -> (i32, i32) {
        let entry = &self.entries[at as usize];
        (entry.year, entry.until)
    }

    fn resize(&mut self, total_num_groups: usize) {
        if self.heads.len() < total_num_groups {
            self.heads.resize(total_num_groups, NONE);
        }
    }

    /// The rows of input arguments (or of [`convert_to_state`]'s entries, which have the same leading columns), with
    /// their until years (none: every row in force for good).
    fn update_rows(
        &mut self,
        columns: &[ArrayRef],
        untils: Option<&ArrayRef>,
        groups: impl Iterator<Item = (usize, usize)>,
        opt_filter: Option<&BooleanArray>,
    ) -> Result<()> {
        let years = columns[0].as_primitive::<Int32Type>();
        let ranks = columns[1].as_primitive::<Int32Type>();
        let dates = columns[2].as_primitive::<Date32Type>();
        let certs = columns[3].as_string_view();
        let regions = columns[4].as_string_view();
        let untils = untils.map(|u| u.as_primitive::<Int32Type>());
        for (row, group) in groups {
            if opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) || years.is_null(row) {
                continue;
            }
            let ranked = ranks.is_valid(row).then(|| {
                let date = if dates.is_valid(row) { dates.value(row) } else { i32::MIN };
                let cert = if certs.is_valid(row) { certs.value(row) } else { "" };
                (ranks.value(row), date, cert, regions.is_valid(row).then(|| regions.value(row)))
            });
            let until = untils.filter(|u| u.is_valid(row)).map_or(FOR_GOOD, |u| u.value(row));
            self.add(group, years.value(row), until, ranked)?;
        }
        Ok(())
    }

    fn update(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<()> {
        check_input_arity(values)?;
        for year in values[5].as_primitive::<Int32Type>().iter().flatten() {
            self.set_last_year(Some(year))?;
        }
        self.update_rows(values, values.get(6), group_indices.iter().copied().enumerate(), opt_filter)
    }

    fn merge(&mut self, values: &[ArrayRef], group_indices: &[usize]) -> Result<()> {
        check_arity(values, 2)?;
        for year in values[1].as_primitive::<Int32Type>().iter().flatten() {
            self.set_last_year(Some(year))?;
        }
        let lists = values[0].as_list::<i32>();
        let entries = lists.values().as_struct();
        let offsets = lists.value_offsets();
        let rows = group_indices.iter().enumerate().filter(|(row, _)| lists.is_valid(*row)).flat_map(|(row, group)| {
            (offsets[row] as usize..offsets[row + 1] as usize).map(move |entry| (entry, *group))
        });
        self.update_rows(entries.columns(), entries.columns().get(5), rows, None)
    }

    /// The year ends of `group`, from its first issue year to `last_year`, each with the best entry issued by then.
    fn year_ends(&self, group: usize) -> Result<YearEnds<'_>> {
        let at = self.heads[group];
        let (Some(last), true) = (self.last_year, at != NONE) else {
            return Ok(YearEnds { stock: self, head: NONE, year: 1, last: 0 });
        };
        let first = self.entries[at as usize].year;
        if last.saturating_sub(first) >= MAX_YEAR_ENDS {
            return exec_err!("{NAME}: {first} to {last} is more than {MAX_YEAR_ENDS} year ends; is last_year right?");
        }
        Ok(YearEnds { stock: self, head: at, year: first, last })
    }

    /// The result of the groups in `groups`: one list per group.
    fn output(&self, groups: Range<usize>) -> Result<ArrayRef> {
        // Sized exactly by a first pass: grown by doubling, arrays of tens of millions of elements were copied and
        // their fresh pages zeroed by the kernel again, and the last doubling could leave half the memory unused.
        let (mut elements, mut cert_bytes, mut region_bytes) = (0usize, 0usize, 0usize);
        for group in groups.clone() {
            for (_, best) in self.year_ends(group)? {
                elements += 1;
                if let Some(best) = best {
                    cert_bytes += self.cert_no(best.cert).len();
                    region_bytes += self.region(best.cert).map_or(0, str::len);
                }
            }
        }
        i32::try_from(elements).map_err(|_| too_many())?;
        let mut offsets = Vec::with_capacity(groups.len() + 1);
        offsets.push(0i32);
        let (mut years, mut ranks) = (Int32Builder::with_capacity(elements), Int32Builder::with_capacity(elements));
        let mut certs = StringBuilder::with_capacity(elements, cert_bytes);
        let mut regions = StringBuilder::with_capacity(elements, region_bytes);
        for group in groups {
            for (year, best) in self.year_ends(group)? {
                years.append_value(year);
                ranks.append_option(best.map(|b| b.rank));
                certs.append_option(best.map(|b| self.cert_no(b.cert)));
                regions.append_option(best.and_then(|b| self.region(b.cert)));
            }
            offsets.push(i32::try_from(years.len()).map_err(|_| too_many())?);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(years.finish()),
            Arc::new(ranks.finish()),
            Arc::new(certs.finish()),
            Arc::new(regions.finish()),
        ];
        list(output_fields(), offsets, columns)
    }

    fn beats(&self, a: &Entry, b: &Entry) -> bool {
        (a.rank, a.date, self.cert_no(a.cert)) > (b.rank, b.date, self.cert_no(b.cert))
    }

    /// The state of the groups in `groups`: the list of per-issue-year entries of each, and `last_year`.
    fn state_of(&self, groups: Range<usize>) -> Result<Vec<ArrayRef>> {
        let rows = groups.len();
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i32);
        let (mut years, mut ranks, mut dates) = (Int32Builder::new(), Int32Builder::new(), Vec::new());
        let (mut certs, mut regions) = (StringViewBuilder::new(), StringViewBuilder::new());
        let mut untils = Int32Builder::new();
        let mut count = 0i32;
        for group in groups {
            let mut at = self.heads[group];
            while at != NONE {
                let entry = self.entries[at as usize];
                years.append_value(entry.year);
                untils.append_option((entry.until != FOR_GOOD).then_some(entry.until));
                let ranked = entry.cert != NONE;
                ranks.append_option(ranked.then_some(entry.rank));
                dates.push(ranked.then_some(entry.date));
                certs.append_option(ranked.then(|| self.cert_no(entry.cert)));
                regions.append_option(if ranked { self.region(entry.cert) } else { None });
                count = count.checked_add(1).ok_or_else(too_many)?;
                at = entry.next;
            }
            offsets.push(count);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(years.finish()),
            Arc::new(ranks.finish()),
            Arc::new(datafusion::arrow::array::Date32Array::from(dates)),
            Arc::new(certs.finish()),
            Arc::new(regions.finish()),
            Arc::new(untils.finish()),
        ];
        Ok(vec![list(state_fields(), offsets, columns)?, Arc::new(Int32Array::from(vec![self.last_year; rows]))])
    }

    /// How many groups `emit_to` emits.
    fn emitted(&self, emit_to: EmitTo) -> usize {
        match emit_to {
            EmitTo::All => self.heads.len(),
            EmitTo::First(n) => n.min(self.heads.len()),
        }
    }

    /// Drops the first `n` groups (all of them for [`EmitTo::All`]), renumbering the rest from 0.
    fn forget(&mut self, emit_to: EmitTo) -> Result<()> {
        let keep = match emit_to {
            EmitTo::All => Vec::new(),
            EmitTo::First(n) => self.heads.split_off(n.min(self.heads.len())),
        };
        let old = std::mem::replace(self, Stock { last_year: self.last_year, ..Stock::default() });
        self.resize(keep.len());
        for (group, head) in keep.into_iter().enumerate() {
            let mut at = head;
            while at != NONE {
                let entry = old.entries[at as usize];
                let ranked = (entry.cert != NONE)
                    .then(|| (entry.rank, entry.date, old.cert_no(entry.cert), old.region(entry.cert)));
                self.add(group, entry.year, entry.until, ranked)?;
                at = entry.next;
            }
        }
        Ok(())
    }

    fn memory(&self) -> usize {
        self.heads.capacity() * size_of::<u32>()
            + self.entries.capacity() * size_of::<Entry>()
            + self.certs.capacity() * size_of::<Texts>()
            + self.texts.capacity()
    }
}

/// The year ends of one group (see [`Stock::year_ends`]).
struct YearEnds<'a> {
    stock: &'a Stock,
    head: u32,
    year: i32,
    last: i32,
}

impl Iterator for YearEnds<'_> {
    type Item = (i32, Option<Entry>);

    /// The best entry issued by the year end and in force at it. A group has a handful of entries, so each year end
    /// looks at them all: an entry that ended makes way for the next best (a revoked principal certificate's
    /// holder falls back to the next), which a running maximum could not do.
    fn next(&mut self) -> Option<Self::Item> {
        if self.year > self.last {
            return None;
        }
        let mut best: Option<Entry> = None;
        let mut at = self.head;
        while at != NONE && self.stock.entries[at as usize].year <= self.year {
            let entry = self.stock.entries[at as usize];
            if entry.cert != NONE && entry.until >= self.year && best.is_none_or(|b| self.stock.beats(&entry, &b)) {
                best = Some(entry);
            }
            at = entry.next;
        }
        let item = (self.year, best);
        self.year += 1;
        Some(item)
    }
}

fn too_many() -> DataFusionError {
    DataFusionError::Execution(format!("{NAME}: more than 4 billion entries in one aggregation"))
}

/// The input arguments: six, or seven with `until_year`.
fn check_input_arity(values: &[ArrayRef]) -> Result<()> {
    if matches!(values.len(), 6 | 7) {
        Ok(())
    } else {
        exec_err!("{NAME}: expected 6 or 7 columns, got {}", values.len())
    }
}

fn check_arity(values: &[ArrayRef], expected: usize) -> Result<()> {
    if values.len() == expected {
        Ok(())
    } else {
        exec_err!("{NAME}: expected {expected} columns, got {}", values.len())
    }
}

fn list(fields: Fields, offsets: Vec<i32>, columns: Vec<ArrayRef>) -> Result<ArrayRef> {
    let entries = StructArray::try_new(fields.clone(), columns, None)?;
    let field = Arc::new(Field::new_list_field(DataType::Struct(fields), true));
    Ok(Arc::new(ListArray::try_new(field, OffsetBuffer::new(offsets.into()), Arc::new(entries), None)?))
}

impl GroupsAccumulator for Stock {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        self.update(values, group_indices, opt_filter)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let n = self.emitted(emit_to);
        let out = self.output(0..n)?;
        self.forget(emit_to)?;
        Ok(out)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let n = self.emitted(emit_to);
        let state = self.state_of(0..n)?;
        self.forget(emit_to)?;
        Ok(state)
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.resize(total_num_groups);
        self.merge(values, group_indices)
    }

    /// Each input row becomes a list of one entry (none when filtered out or without an issue year).
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        check_input_arity(values)?;
        let rows = values[0].len();
        let keep: Vec<bool> = (0..rows)
            .map(|row| values[0].is_valid(row) && opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row)))
            .collect();
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i32);
        let mut count = 0i32;
        for kept in &keep {
            count += i32::from(*kept);
            offsets.push(count);
        }
        let mask = BooleanArray::from(keep);
        let ranks = values[1].as_primitive::<Int32Type>();
        // The state carries the date and texts of ranked rows only, as `state_of` does.
        let unranked = ranks.iter().map(|rank| Some(rank.is_none())).collect::<BooleanArray>();
        let mut columns = values[..5]
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let column = if i >= 2 { nullif(column, &unranked)? } else { Arc::clone(column) };
                Ok(filter(&column, &mask)?)
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let untils: ArrayRef = match values.get(6) {
            Some(untils) => Arc::clone(untils),
            None => Arc::new(Int32Array::new_null(rows)),
        };
        columns.push(filter(&untils, &mask)?);
        Ok(vec![list(state_fields(), offsets, columns)?, Arc::clone(&values[5])])
    }

    fn size(&self) -> usize {
        self.memory()
    }
}

/// The aggregate without GROUP BY (or as a window function): one group.
#[derive(Debug)]
struct OneGroup(Stock);

impl Accumulator for OneGroup {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0.resize(1);
        let rows = values.first().map_or(0, |v| v.len());
        self.0.update(values, &vec![0; rows], None)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.resize(1);
        ScalarValue::try_from_array(&self.0.output(0..1)?, 0)
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.0.memory()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0.resize(1);
        self.0.state_of(0..1)?.iter().map(|column| ScalarValue::try_from_array(column, 0)).collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.0.resize(1);
        let rows = states.first().map_or(0, |v| v.len());
        self.0.merge(states, &vec![0; rows])
    }
}

#[cfg(test)]
mod tests;
