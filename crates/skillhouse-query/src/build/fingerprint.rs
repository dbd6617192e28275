//! `fingerprint64(text)`: a 64-bit hash (XXH3) of a string, as `BIGINT`; `NULL` for `NULL`.
//!
//! For checks over a column of tens of millions of distinct strings, such as certificate numbers: grouping their
//! 8-byte prints is several times cheaper than grouping the strings, whose every distinct value the hash table
//! would copy. A check built on it groups by the print, then compares the real values of the rows whose prints
//! repeat, so a collision costs a little work and never a wrong answer (`sql/checks/unique_cert_no.sql`).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use std::sync::Arc;
use xxhash_rust::xxh3::xxh3_64;

/// The function, for `SessionContext::register_udf`.
pub(crate) fn fingerprint64() -> ScalarUDF {
    ScalarUDF::new_from_impl(Fingerprint64 { signature: Signature::string(1, Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Fingerprint64 {
    signature: Signature,
}

impl ScalarUDFImpl for Fingerprint64 {
    fn name(&self) -> &str {
        "fingerprint64"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else { return exec_err!("fingerprint64 takes one argument") };
        match arg {
            ColumnarValue::Array(array) => Ok(ColumnarValue::Array(prints(array)?)),
            ColumnarValue::Scalar(value) => {
                let text = match value {
                    ScalarValue::Utf8(v) | ScalarValue::Utf8View(v) | ScalarValue::LargeUtf8(v) => v.as_deref(),
                    other => return exec_err!("fingerprint64 takes text, not {}", other.data_type()),
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Int64(text.map(print))))
            }
        }
    }
}

fn print(text: &str) -> i64 {
    xxh3_64(text.as_bytes()) as i64
}

fn prints(array: &ArrayRef) -> Result<ArrayRef> {
    let out: Int64Array = match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().map(|v| v.map(print)).collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().map(|v| v.map(print)).collect(),
        DataType::Utf8View => array.as_string_view().iter().map(|v| v.map(print)).collect(),
        other => return exec_err!("fingerprint64 takes text, not {other}"),
    };
    debug_assert_eq!(out.len(), array.len());
    Ok(Arc::new(out))
}

#[cfg(test)]
mod tests {
    use crate::config::QueryConfig;

    #[tokio::test]
    async fn equal_texts_print_equal_and_null_stays_null() {
        let ctx = QueryConfig::default().session().expect("session");
        let batches = ctx
            .sql(
                "SELECT fingerprint64(a) = fingerprint64(b) AS same, fingerprint64(CAST(NULL AS VARCHAR)) IS NULL AS n, \
                 fingerprint64('Y1') = fingerprint64(arrow_cast('Y1', 'Utf8View')) AS view \
                 FROM (VALUES ('Y1', 'Y1'), ('Y1', 'Y2'), ('', ' ')) AS t(a, b)",
            )
            .await
            .expect("plan")
            .collect()
            .await
            .expect("run");
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).expect("format").to_string();
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
        assert_eq!(rows, ["| true  | true | true |", "| false | true | true |", "| false | true | true |"], "{text}");
    }
}
