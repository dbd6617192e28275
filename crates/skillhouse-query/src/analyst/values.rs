//! Bounds on the values analyst SQL may build (DESIGN §10): functions that make a large value from a small input
//! — `repeat('x', 1000000000)`, `lpad`, `range(1, 1e12)` — allocate outside DataFusion's memory pool, so the
//! per-statement limit never saw them and three such statements grew the server to 4 GB.
//!
//! Each such built-in is replaced, in the analyst's session, by a wrapper of the same name ([`bounded_functions`])
//! that works out from its arguments how many bytes the call will build for the whole batch, before the built-in
//! runs, and refuses above the statement's memory limit with DataFusion's `ResourcesExhausted`, which the bounds
//! report as the memory-limit error (`[bounds.memory_limit]`, SQLSTATE 53200). The result's size is checked too,
//! for whatever the estimate missed.
//!
//! The wrappers are volatile: DataFusion would otherwise fold a constant call such as `repeat('x', 1000000)` into
//! a literal while planning and then copy that literal into every row of every batch, outside any check. The
//! aggregates (`string_agg`, `array_agg`) need no wrapper: the aggregation charges their state to the pool.

use crate::units::format_bytes;
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::compute::kernels::length::length;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::arrow::datatypes::{DataType, Int64Type, IntervalMonthDayNanoType, TimeUnit};
use datafusion::common::DFSchema;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::udf_eq::UdfEq;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::BinaryOperator;
use std::collections::HashMap;
use std::sync::Arc;

/// How a function's output size follows from its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Growth {
    /// `repeat(text, n)`: the text `n` times.
    Repeat,
    /// `lpad(text, n [, fill])`, `rpad`: `n` characters.
    Pad,
    /// `replace(text, from, to)`: every occurrence of `from` (between every character when empty) becomes `to`.
    Replace,
    /// `regexp_replace(text, pattern, replacement [, flags])`: at most one match per position, each replaced.
    RegexpReplace,
    /// `concat(a, b, …)`: the sum of the arguments.
    Concat,
    /// `concat_ws(separator, a, b, …)`: the arguments and a separator between each.
    ConcatWs,
    /// `array_repeat(element, n)`: `n` elements.
    ArrayRepeat,
    /// `array_resize(array, n [, value])`: `n` elements.
    ArrayResize,
    /// `range(…)`: from start up to stop; `generate_series(…)` includes stop.
    Range,
}

/// The built-ins that can build a value far larger than their input, by name.
const BOUNDED: [(&str, Growth); 11] = [
    ("repeat", Growth::Repeat),
    ("lpad", Growth::Pad),
    ("rpad", Growth::Pad),
    ("replace", Growth::Replace),
    ("regexp_replace", Growth::RegexpReplace),
    ("concat", Growth::Concat),
    ("concat_ws", Growth::ConcatWs),
    ("array_repeat", Growth::ArrayRepeat),
    ("array_resize", Growth::ArrayResize),
    ("range", Growth::Range),
    ("generate_series", Growth::Range),
];

/// Wrappers of the size-amplifying built-ins among `functions` (a session's scalar functions), each refusing to
/// build more than `limit` bytes in one call. Register them on the session to replace the built-ins; wrappers
/// found in `functions` are re-wrapped with the new limit, never nested.
pub fn bounded_functions(functions: &HashMap<String, Arc<ScalarUDF>>, limit: usize) -> Vec<ScalarUDF> {
    BOUNDED
        .iter()
        .filter_map(|(name, growth)| {
            let udf = functions.get(*name)?;
            let inner = match udf.inner().downcast_ref::<BoundedFunction>() {
                Some(wrapper) => Arc::clone(&wrapper.inner),
                None => Arc::clone(udf.inner()),
            };
            Some(ScalarUDF::new_from_impl(BoundedFunction::new(inner, *growth, limit)))
        })
        .collect()
}

/// A built-in that refuses calls whose result would exceed the statement's memory limit.
#[derive(Debug, PartialEq, Eq, Hash)]
struct BoundedFunction {
    inner: UdfEq<Arc<dyn ScalarUDFImpl>>,
    growth: Growth,
    limit: usize,
    /// The built-in's signature, volatile (see the module comment).
    signature: Signature,
}

impl BoundedFunction {
    fn new(inner: Arc<dyn ScalarUDFImpl>, growth: Growth, limit: usize) -> Self {
        let signature = Signature { volatility: Volatility::Volatile, ..inner.signature().clone() };
        Self { inner: inner.into(), growth, limit, signature }
    }

    fn refuse(&self, bytes: u64) -> DataFusionError {
        DataFusionError::ResourcesExhausted(format!(
            "{}() would build {} in one batch, more than the statement's memory limit of {}",
            self.inner.name(),
            format_bytes(usize::try_from(bytes).unwrap_or(usize::MAX)),
            format_bytes(self.limit)
        ))
    }
}

impl ScalarUDFImpl for BoundedFunction {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn display_name(&self, args: &[Expr]) -> Result<String> {
        #[expect(deprecated, reason = "delegated as is, so the column names stay the built-in's")]
        self.inner.display_name(args)
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.schema_name(args)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    // `simplify` is left at its default on purpose: a built-in's rewrite (concat's merging of literals) would put
    // the unwrapped built-in back into the plan.

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let limit = u64::try_from(self.limit).unwrap_or(u64::MAX);
        let estimate = estimate(self.growth, &args.args, args.number_rows, limit);
        if estimate > limit {
            return Err(self.refuse(estimate));
        }
        let result = self.inner.invoke_with_args(args)?;
        let built = match &result {
            ColumnarValue::Array(array) => array.get_array_memory_size(),
            ColumnarValue::Scalar(scalar) => scalar.size(),
        };
        let built = u64::try_from(built).unwrap_or(u64::MAX);
        if built > limit {
            return Err(self.refuse(built));
        }
        Ok(result)
    }
}

/// An upper bound of the bytes one call builds for a batch of `rows` rows, summed row by row and stopped once past
/// `limit`. Arguments of unexpected types count as empty: the built-in reports them.
fn estimate(growth: Growth, args: &[ColumnarValue], rows: usize, limit: u64) -> u64 {
    let arg = |index: usize| args.get(index);
    let per_row: Box<dyn Fn(usize) -> u64> = match growth {
        Growth::Repeat => {
            let (text, count) = (sizes(arg(0)), integers(arg(1)));
            Box::new(move |row| text.at(row).saturating_mul(non_negative(count.at(row))))
        }
        Growth::Pad => {
            let length = integers(arg(1));
            // A character takes up to four bytes; plain ASCII text and fill take one.
            let ascii = arg(0).is_none_or(all_ascii) && arg(2).is_none_or(all_ascii);
            let width = if ascii { 1 } else { 4 };
            Box::new(move |row| non_negative(length.at(row)).saturating_mul(width))
        }
        Growth::Replace => {
            let (text, from, to) = (sizes(arg(0)), sizes(arg(1)), sizes(arg(2)));
            Box::new(move |row| {
                let (text, from, to) = (text.at(row), from.at(row), to.at(row));
                // An empty pattern matches between every two characters and at both ends.
                let occurrences = text.checked_div(from).unwrap_or(text + 1);
                text.saturating_add(occurrences.saturating_mul(to))
            })
        }
        Growth::RegexpReplace => {
            let (text, replacement) = (sizes(arg(0)), sizes(arg(2)));
            // At most one match per position; a group reference in the replacement copies at most the text.
            Box::new(move |row| (text.at(row) + 1).saturating_mul(2 * replacement.at(row) + 1))
        }
        Growth::Concat | Growth::ConcatWs => {
            let parts: Vec<PerRow<u64>> = args.iter().map(|a| sizes(Some(a))).collect();
            let separators = if growth == Growth::ConcatWs { args.len().saturating_sub(2) as u64 } else { 0 };
            Box::new(move |row| {
                let total = parts.iter().fold(0u64, |sum, part| sum.saturating_add(part.at(row)));
                match parts.first() {
                    Some(separator) => total.saturating_add(separator.at(row).saturating_mul(separators)),
                    None => total,
                }
            })
        }
        Growth::ArrayRepeat => {
            let (element, count) = (sizes(arg(0)), integers(arg(1)));
            Box::new(move |row| element.at(row).max(1).saturating_mul(non_negative(count.at(row))))
        }
        Growth::ArrayResize => {
            let count = integers(arg(1));
            let element = match arg(0).map(ColumnarValue::data_type) {
                Some(DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _)) => {
                    field.data_type().primitive_width().unwrap_or(16) as u64
                }
                _ => 16,
            };
            let element = element.max(arg(2).map_or(0, |value| sizes(Some(value)).at(0)));
            Box::new(move |row| non_negative(count.at(row)).saturating_mul(element))
        }
        Growth::Range => {
            let span = RangeSpan::of(args);
            // Eight bytes per element (the widest element type range makes).
            Box::new(move |row| span.count(row).saturating_mul(8))
        }
    };
    // Scalar arguments give one value that DataFusion copies into every row of the batch.
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    if all_scalar {
        return per_row(0).saturating_mul(rows.max(1) as u64);
    }
    let mut total = 0u64;
    for row in 0..rows {
        total = total.saturating_add(per_row(row));
        if total > limit {
            break;
        }
    }
    total
}

fn non_negative(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// One value for every row (a scalar argument), or one per row.
enum PerRow<T> {
    All(T),
    Rows(Vec<T>),
}

impl<T: Copy + Default> PerRow<T> {
    fn at(&self, row: usize) -> T {
        match self {
            Self::All(value) => *value,
            Self::Rows(values) => values.get(row).copied().unwrap_or_default(),
        }
    }
}

/// Bytes of each value: text and binary by their length, fixed-width values by their width, anything else by its
/// share of the array's memory.
fn sizes(value: Option<&ColumnarValue>) -> PerRow<u64> {
    match value {
        None => PerRow::All(0),
        Some(ColumnarValue::Scalar(scalar)) => PerRow::All(scalar_size(scalar)),
        Some(ColumnarValue::Array(array)) => PerRow::Rows(array_sizes(array)),
    }
}

fn scalar_size(scalar: &ScalarValue) -> u64 {
    let bytes = match scalar {
        ScalarValue::Utf8(Some(text)) | ScalarValue::LargeUtf8(Some(text)) | ScalarValue::Utf8View(Some(text)) => {
            text.len()
        }
        ScalarValue::Binary(Some(bytes))
        | ScalarValue::LargeBinary(Some(bytes))
        | ScalarValue::BinaryView(Some(bytes))
        | ScalarValue::FixedSizeBinary(_, Some(bytes)) => bytes.len(),
        other if other.is_null() => 0,
        other => other.data_type().primitive_width().unwrap_or_else(|| other.size()),
    };
    bytes as u64
}

fn array_sizes(array: &ArrayRef) -> Vec<u64> {
    let byte_lengths = matches!(
        array.data_type(),
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    );
    if byte_lengths
        && let Ok(lengths) = length(array.as_ref())
        && let Ok(lengths) = cast(&lengths, &DataType::Int64)
    {
        return lengths.as_primitive::<Int64Type>().iter().map(|n| non_negative(n.unwrap_or(0))).collect();
    }
    let each = match array.data_type().primitive_width() {
        Some(width) => width,
        None => array.get_array_memory_size() / array.len().max(1),
    };
    vec![each as u64; array.len()]
}

/// Each value as a whole number (nulls and what does not convert as 0).
fn integers(value: Option<&ColumnarValue>) -> PerRow<i64> {
    match value {
        Some(ColumnarValue::Scalar(scalar)) => match scalar.cast_to(&DataType::Int64) {
            Ok(ScalarValue::Int64(Some(n))) => PerRow::All(n),
            _ => PerRow::All(0),
        },
        Some(ColumnarValue::Array(array)) => match cast(array, &DataType::Int64) {
            Ok(numbers) => PerRow::Rows(numbers.as_primitive::<Int64Type>().iter().map(|n| n.unwrap_or(0)).collect()),
            Err(_) => PerRow::All(0),
        },
        None => PerRow::All(0),
    }
}

/// Whether every text of an argument is plain ASCII (one byte per character); anything not text counts as ASCII.
fn all_ascii(value: &ColumnarValue) -> bool {
    match value {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(text)) | ScalarValue::LargeUtf8(Some(text)) | ScalarValue::Utf8View(Some(text)),
        ) => text.is_ascii(),
        ColumnarValue::Scalar(_) => true,
        ColumnarValue::Array(array) => match array.data_type() {
            DataType::Utf8 => array.as_string::<i32>().iter().all(|t| t.is_none_or(str::is_ascii)),
            DataType::LargeUtf8 => array.as_string::<i64>().iter().all(|t| t.is_none_or(str::is_ascii)),
            DataType::Utf8View => array.as_string_view().iter().all(|t| t.is_none_or(str::is_ascii)),
            _ => true,
        },
    }
}

/// The arguments of `range`/`generate_series` as numbers in one unit: integers as they are, dates and timestamps
/// in nanoseconds, the step of an interval at its shortest (a month as 28 days).
struct RangeSpan {
    start: PerRow<i128>,
    stop: PerRow<i128>,
    step: PerRow<i128>,
}

const NANOS_PER_DAY: i128 = 86_400 * 1_000_000_000;

impl RangeSpan {
    fn of(args: &[ColumnarValue]) -> Self {
        match args {
            [stop] => Self { start: PerRow::All(0), stop: points(stop), step: PerRow::All(1) },
            [start, stop] => Self { start: points(start), stop: points(stop), step: PerRow::All(1) },
            [start, stop, step, ..] => Self { start: points(start), stop: points(stop), step: steps(step) },
            [] => Self { start: PerRow::All(0), stop: PerRow::All(0), step: PerRow::All(1) },
        }
    }

    /// Elements of row `row` (one more than needed for `range`, which leaves out stop).
    fn count(&self, row: usize) -> u64 {
        let step = self.step.at(row).unsigned_abs();
        if step == 0 {
            return 0;
        }
        let span = (self.stop.at(row) - self.start.at(row)).unsigned_abs();
        u64::try_from(span / step + 1).unwrap_or(u64::MAX)
    }
}

/// Start or stop values: integers, dates (as nanoseconds) or timestamps (as nanoseconds).
fn points(value: &ColumnarValue) -> PerRow<i128> {
    let scale: i128 = match value.data_type() {
        DataType::Date32 => NANOS_PER_DAY,
        DataType::Date64 | DataType::Timestamp(TimeUnit::Millisecond, _) => 1_000_000,
        DataType::Timestamp(TimeUnit::Second, _) => 1_000_000_000,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000,
        _ => 1,
    };
    let plain = match value {
        ColumnarValue::Scalar(scalar) => match scalar.cast_to(&DataType::Int64) {
            Ok(ScalarValue::Int64(Some(n))) => PerRow::All(n),
            _ => PerRow::All(0),
        },
        ColumnarValue::Array(array) => integers(Some(&ColumnarValue::Array(Arc::clone(array)))),
    };
    match plain {
        PerRow::All(n) => PerRow::All(i128::from(n) * scale),
        PerRow::Rows(values) => PerRow::Rows(values.into_iter().map(|n| i128::from(n) * scale).collect()),
    }
}

/// Step values: integers, or intervals at their shortest in nanoseconds.
fn steps(value: &ColumnarValue) -> PerRow<i128> {
    let shortest = |months: i32, days: i32, nanoseconds: i64| {
        i128::from(months) * 28 * NANOS_PER_DAY + i128::from(days) * NANOS_PER_DAY + i128::from(nanoseconds)
    };
    match value {
        ColumnarValue::Scalar(ScalarValue::IntervalMonthDayNano(Some(step))) => {
            PerRow::All(shortest(step.months, step.days, step.nanoseconds))
        }
        ColumnarValue::Array(array) if matches!(array.data_type(), DataType::Interval(_)) => {
            match array.as_primitive_opt::<IntervalMonthDayNanoType>() {
                Some(intervals) => PerRow::Rows(
                    intervals
                        .iter()
                        .map(|step| step.map_or(0, |s| shortest(s.months, s.days, s.nanoseconds)))
                        .collect(),
                ),
                None => PerRow::All(0),
            }
        }
        other => match points(other) {
            PerRow::All(n) => PerRow::All(n),
            PerRow::Rows(values) => PerRow::Rows(values),
        },
    }
}

/// The string concatenation operator `a || b`, bounded like the built-ins. `||` is an operator, not a function, so it
/// cannot be replaced by name: [`StringConcatPlanner`] plans it as a call of this function instead, with the
/// operator's meaning (NULL when either side is NULL, both sides as text) and its column name (`a || b`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct BoundedStringConcat {
    limit: usize,
    signature: Signature,
}

impl BoundedStringConcat {
    fn new(limit: usize) -> Self {
        // Volatile for the reason the wrappers are (see the module comment): no folding of constants into literals.
        Self { limit, signature: Signature::user_defined(Volatility::Volatile) }
    }
}

impl ScalarUDFImpl for BoundedStringConcat {
    fn name(&self) -> &str {
        "||"
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        match args {
            [left, right] => Ok(format!("{} || {}", left.schema_name(), right.schema_name())),
            _ => Err(DataFusionError::Internal(format!("`||` takes two operands, got {}", args.len()))),
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(vec![DataType::Utf8; arg_types.len()])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let limit = u64::try_from(self.limit).unwrap_or(u64::MAX);
        let estimate = estimate(Growth::Concat, &args.args, args.number_rows, limit);
        if estimate > limit {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "`||` would build {} in one batch, more than the statement's memory limit of {}",
                format_bytes(usize::try_from(estimate).unwrap_or(usize::MAX)),
                format_bytes(self.limit)
            )));
        }
        let [left, right] = args.args.as_slice() else {
            return Err(DataFusionError::Internal("`||` takes two operands".into()));
        };
        if let (ColumnarValue::Scalar(left), ColumnarValue::Scalar(right)) = (left, right) {
            let text = |value: &ScalarValue| match value {
                ScalarValue::Utf8(text) => text.clone(),
                _ => None,
            };
            let joined = text(left).zip(text(right)).map(|(l, r)| l + &r);
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(joined)));
        }
        let rows = args.number_rows;
        let (left, right) = (left.to_array(rows)?, right.to_array(rows)?);
        let joined = datafusion::arrow::compute::kernels::concat_elements::concat_elements_utf8(
            left.as_string::<i32>(),
            right.as_string::<i32>(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(joined)))
    }
}

/// Plans the string `||` of analyst SQL as [`BoundedStringConcat`]; `||` between arrays is left to DataFusion's
/// own planner, which claims it first.
#[derive(Debug)]
pub(crate) struct StringConcatPlanner {
    operator: Arc<ScalarUDF>,
}

impl StringConcatPlanner {
    /// A planner whose `||` refuses to build more than `limit` bytes in one batch.
    pub(crate) fn new(limit: usize) -> Self {
        Self { operator: Arc::new(ScalarUDF::new_from_impl(BoundedStringConcat::new(limit))) }
    }
}

impl ExprPlanner for StringConcatPlanner {
    fn plan_binary_op(&self, expr: RawBinaryExpr, schema: &DFSchema) -> Result<PlannerResult<RawBinaryExpr>> {
        if expr.op != BinaryOperator::StringConcat {
            return Ok(PlannerResult::Original(expr));
        }
        let is_list = |side: &Expr| {
            matches!(
                side.get_type(schema),
                Ok(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..))
            )
        };
        if is_list(&expr.left) || is_list(&expr.right) {
            return Ok(PlannerResult::Original(expr));
        }
        let call = ScalarFunction::new_udf(Arc::clone(&self.operator), vec![expr.left, expr.right]);
        Ok(PlannerResult::Planned(Expr::ScalarFunction(call)))
    }
}

#[cfg(test)]
mod tests;
