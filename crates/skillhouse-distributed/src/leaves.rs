//! Plans the two self-generating leaves — `PlaceholderRowExec` (the one row of a `SELECT` without `FROM`) and
//! `EmptyExec` (`WHERE false`, an empty relation) — as in-memory scans when a query runs on Ballista.
//!
//! Why: Ballista 55's scheduler gives each task of a stage its own copy of the stage's plan, restricted to the
//! task's partitions (`ballista_scheduler::state::task_builder`). An arm of a `UNION ALL` that a task does not read
//! is restricted to no partitions, and if that arm is one of these two leaves it becomes a zero-partition in-memory
//! scan in that task only. An in-memory scan reports metrics and the two leaves do not, so the tasks of one stage
//! report different numbers of operators; the scheduler keeps the first task's count as the stage's and refuses a
//! later task whose count differs ("task metrics array size 8 does not equal with the stage metrics array size 9"),
//! which drops that task's status update — the job never completes. Planned as in-memory scans from the start, the
//! leaves are restricted like any other scan and every task of a stage has the same operators.
//!
//! The rows are the same: one row of nulls per partition for a placeholder (its schema's columns are nullable, as
//! DataFusion makes them; a leaf with a non-nullable column is left as it is), none for an empty relation.

use datafusion::arrow::array::{RecordBatch, RecordBatchOptions, new_null_array};
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
use std::sync::Arc;

/// The physical optimizer rule; see the module's documentation.
#[derive(Debug, Default)]
pub struct LeavesAsMemoryScans;

impl PhysicalOptimizerRule for LeavesAsMemoryScans {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            Ok(match memory_scan_for(&node)? {
                Some(scan) => Transformed::yes(scan),
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "skillhouse_leaves_as_memory_scans"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The in-memory scan that yields what `node` yields, if `node` is one of the two leaves.
fn memory_scan_for(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let rows_per_partition = if node.is::<PlaceholderRowExec>() {
        1
    } else if node.is::<EmptyExec>() {
        0
    } else {
        return Ok(None);
    };
    let schema = node.schema();
    if rows_per_partition > 0 && schema.fields().iter().any(|f| !f.is_nullable()) {
        return Ok(None);
    }
    let partitions = node.properties().output_partitioning().partition_count();
    let batch = if rows_per_partition > 0 {
        let columns = schema.fields().iter().map(|f| new_null_array(f.data_type(), 1)).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(1));
        vec![RecordBatch::try_new_with_options(Arc::clone(&schema), columns, &options)?]
    } else {
        Vec::new()
    };
    let source = MemorySourceConfig::try_new(&vec![batch; partitions], schema, None)?;
    Ok(Some(DataSourceExec::from_data_source(source)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::physical_plan::{collect, displayable};
    use datafusion::prelude::SessionContext;

    /// A `UNION ALL` of rows without `FROM` and an empty relation: planned with the rule, no placeholder or empty
    /// leaf is left, and the rows are those of the plan without it.
    #[tokio::test]
    async fn leaves_become_memory_scans_and_the_rows_stay() {
        let sql = "SELECT 'a' AS name, 1 AS n UNION ALL SELECT 'b', 2 UNION ALL SELECT 'c', 3 WHERE false \
                   ORDER BY name";
        let ctx = SessionContext::new();
        let plan = ctx.sql(sql).await.expect("plans").create_physical_plan().await.expect("physical plan");
        let before = displayable(plan.as_ref()).indent(false).to_string();
        assert!(before.contains("PlaceholderRowExec"), "{before}");
        let rows = collect(Arc::clone(&plan), ctx.task_ctx()).await.expect("runs");
        let expected = pretty_format_batches(&rows).expect("formats");

        let rewritten = LeavesAsMemoryScans.optimize(plan, &ConfigOptions::default()).expect("rewrites");
        let after = displayable(rewritten.as_ref()).indent(false).to_string();
        assert!(!after.contains("PlaceholderRowExec") && !after.contains("EmptyExec"), "{after}");
        assert!(after.contains("DataSourceExec"), "{after}");
        let rows = collect(rewritten, ctx.task_ctx()).await.expect("runs rewritten");
        let got = pretty_format_batches(&rows).expect("formats");
        assert_eq!(got.to_string(), expected.to_string());
        assert!(got.to_string().contains("| b    | 2 |"), "{got}");
    }
}
