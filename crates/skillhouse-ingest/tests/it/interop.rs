//! DuckDB (or pyarrow) reads the warehouse unchanged.

use crate::fixtures;
use crate::run;
use std::process::Command;

fn python_has(module: &str) -> bool {
    Command::new("python3").args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn duckdb_or_pyarrow_reads_the_certificate_partitions() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = fixtures::landing_copy(tmp.path());
    let warehouse = tmp.path().join("warehouse");
    let report = run(&fixtures::options(&warehouse, vec![landing]));
    let certificates = warehouse.join("certificates");
    let script = if python_has("duckdb") {
        format!(
            "import duckdb\n\
             con = duckdb.connect()\n\
             rows = con.execute(\"select issue_year, count(*), count(distinct cert_no), min(issue_date), \
             sum(case when is_youth then 1 else 0 end) from read_parquet('{}/**/*.parquet', hive_partitioning=true) \
             group by issue_year order by issue_year\").fetchall()\n\
             print(';'.join(f'{{y}}:{{n}}:{{d}}:{{m}}' for y, n, d, m, _ in rows))\n\
             ledger = con.execute(\"select count(*) from read_parquet('{}/ledger/ledger.parquet')\").fetchone()[0]\n\
             print(ledger)\n",
            certificates.display(),
            warehouse.display()
        )
    } else if python_has("pyarrow") {
        format!(
            "import pyarrow.dataset as ds\n\
             t = ds.dataset('{}', format='parquet', partitioning='hive').to_table()\n\
             import collections\n\
             c = collections.Counter(t.column('issue_year').to_pylist())\n\
             d = {{y: len(set(n for n, yy in zip(t.column('cert_no').to_pylist(), t.column('issue_year').to_pylist()) if yy == y)) for y in c}}\n\
             m = {{y: min(x for x, yy in zip(t.column('issue_date').to_pylist(), t.column('issue_year').to_pylist()) if yy == y) for y in c}}\n\
             print(';'.join(f'{{y}}:{{c[y]}}:{{d[y]}}:{{m[y]}}' for y in sorted(c)))\n\
             print(ds.dataset('{}/ledger/ledger.parquet').count_rows())\n",
            certificates.display(),
            warehouse.display()
        )
    } else {
        eprintln!(
            "SKIPPED duckdb_or_pyarrow_reads_the_certificate_partitions: neither duckdb nor pyarrow is installed for python3 (pip install duckdb pyarrow)"
        );
        return;
    };
    let output = Command::new("python3").args(["-c", &script]).output().expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let accepted = report.rows_accepted();
    assert_eq!(lines.next(), Some(format!("2024:{accepted}:{accepted}:2024-05-03").as_str()));
    assert_eq!(lines.next(), Some(report.files.len().to_string().as_str()));
}
