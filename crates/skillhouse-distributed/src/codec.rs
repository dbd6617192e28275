//! Plans with in-memory tables, across the wire. Ballista sends the client's logical plan to the scheduler through a
//! [`LogicalExtensionCodec`]; DataFusion's own serialises `ListingTable`s and views but not `MemTable`s, and the build
//! keeps a few small tables in memory (the collected indicator rows, the catalogue, the empty state tables of a full
//! build). [`SkillhouseLogicalCodec`] writes a `MemTable`'s batches as Arrow IPC streams and reads them back; every
//! other node goes to Ballista's own codec. (Physical plans need nothing: DataFusion serialises memory scans itself.)

use ballista_core::serde::BallistaLogicalExtensionCodec;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use std::sync::Arc;

/// What starts an encoded in-memory table (no encoding of Ballista's starts so).
const MAGIC: &[u8; 8] = b"SHMEMT01";

/// Ballista's logical codec, plus in-memory tables.
#[derive(Debug, Default)]
pub struct SkillhouseLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for SkillhouseLogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.strip_prefix(MAGIC.as_slice()) {
            Some(body) => Ok(Arc::new(decode_mem_table(body, schema)?)),
            None => self.inner.try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match node.downcast_ref::<MemTable>() {
            Some(table) => encode_mem_table(table, buf),
            None => self.inner.try_encode_table_provider(table_ref, node, buf),
        }
    }

    fn try_decode_file_format(&self, buf: &[u8], ctx: &TaskContext) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(&self, buf: &mut Vec<u8>, node: Arc<dyn FileFormatFactory>) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.inner.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        self.inner.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.inner.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode_udwf(node, buf)
    }
}

/// `MAGIC`, then per partition its length (u64, little-endian) and an Arrow IPC stream of its batches.
fn encode_mem_table(table: &MemTable, buf: &mut Vec<u8>) -> Result<()> {
    let schema = table.schema();
    buf.extend_from_slice(MAGIC);
    for partition in &table.batches {
        let batches = partition.try_read().map_err(|_| {
            DataFusionError::Execution("an in-memory table is being written while its plan is sent".into())
        })?;
        let mut stream = Vec::new();
        {
            let mut writer = StreamWriter::try_new(&mut stream, &schema)?;
            for batch in batches.iter() {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        buf.extend_from_slice(&(stream.len() as u64).to_le_bytes());
        buf.extend_from_slice(&stream);
    }
    Ok(())
}

fn decode_mem_table(mut body: &[u8], schema: SchemaRef) -> Result<MemTable> {
    let truncated = || DataFusionError::Internal("a truncated in-memory table in a plan".into());
    let mut partitions: Vec<Vec<RecordBatch>> = Vec::new();
    while !body.is_empty() {
        let (length, rest) = body.split_first_chunk::<8>().ok_or_else(truncated)?;
        let length = usize::try_from(u64::from_le_bytes(*length)).map_err(|_| truncated())?;
        let (stream, rest) = rest.split_at_checked(length).ok_or_else(truncated)?;
        let reader = StreamReader::try_new(stream, None)?;
        partitions.push(reader.collect::<std::result::Result<Vec<_>, _>>()?);
        body = rest;
    }
    if partitions.is_empty() {
        partitions.push(Vec::new());
    }
    MemTable::try_new(schema, partitions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn a_mem_table_goes_through_the_codec_with_its_rows_and_partitions() -> Result<()> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("region_code", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = |codes: Vec<Option<&str>>, n: Vec<i64>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(StringArray::from(codes)), Arc::new(Int64Array::from(n))],
            )
        };
        let first = batch(vec![Some("410100"), None], vec![3, 4])?;
        let second = batch(vec![Some("410200")], vec![7])?;
        let table = MemTable::try_new(Arc::clone(&schema), vec![vec![first.clone()], vec![], vec![second.clone()]])?;
        let codec = SkillhouseLogicalCodec::default();
        let mut buf = Vec::new();
        codec.try_encode_table_provider(&TableReference::bare("t"), Arc::new(table), &mut buf)?;
        let decoded = decode_mem_table(
            buf.strip_prefix(MAGIC.as_slice()).ok_or_else(|| DataFusionError::Internal("no magic".into()))?,
            Arc::clone(&schema),
        )?;
        assert_eq!(decoded.batches.len(), 3);
        let read = |i: usize| decoded.batches[i].try_read().map(|b| b.clone()).unwrap_or_default();
        assert_eq!(read(0), vec![first]);
        assert!(read(1).is_empty());
        assert_eq!(read(2), vec![second]);
        // A truncated buffer is an error, not a panic.
        assert!(decode_mem_table(&buf[MAGIC.len()..buf.len() - 3], schema).is_err());
        Ok(())
    }
}
