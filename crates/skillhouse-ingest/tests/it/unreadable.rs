//! Files that cannot be read are recorded with a message a clerk can act on, and the batch goes on.

use crate::fixtures::{self, persons};
use crate::{file, run};
use skillhouse_ingest::{FileOutcome, Layout, Ledger, LedgerStatus, XlsxLimits};

fn message(report: &skillhouse_ingest::BatchReport, path: &str) -> String {
    match &file(report, path).outcome {
        FileOutcome::Unreadable { message } => message.clone(),
        other => panic!("{path}: expected unreadable, got {other:?}"),
    }
}

#[test]
fn each_kind_of_bad_file_is_recorded_and_the_batch_continues() {
    let tmp = tempfile::tempdir().expect("tmp");
    let landing = tmp.path().join("landing");
    let dir = landing.join("A001");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::copy(fixtures::fixtures_dir().join("landing/agencies.csv"), landing.join("agencies.csv"))
        .expect("registry");
    let p = persons();
    let good = format!("身份证号,证书编号,证书类型,发证日期\n{},PX-2023-0001,培训合格证书,2023-12-01\n", p.p2);
    let xlsx = fixtures::xlsx_fixture();
    let mut bomb_sheet = rust_xlsxwriter::Workbook::new();
    let sheet = bomb_sheet.add_worksheet();
    for r in 0..20_000u32 {
        sheet.write_string(r, 0, "身份证号身份证号身份证号身份证号").expect("cell");
    }
    let bomb = bomb_sheet.save_to_buffer().expect("bomb");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("2023-01.csv", Vec::new()),
        ("2023-02.csv", b"\x00\x01\x02binary\x00".to_vec()),
        ("2023-03.csv", xlsx.clone()),
        ("2023-04.xlsx", good.clone().into_bytes()),
        ("2023-05.xlsx", xlsx[..xlsx.len() / 2].to_vec()),
        ("2023-06.csv", ["身份证号,证书编号\n".as_bytes(), b"\xFF\xFF\xFF\n"].concat()),
        ("2023-07.csv", "序号,备注\n1,x\n".as_bytes().to_vec()),
        (
            "2023-08.jsonl",
            "{\"身份证号\":\"1\",\"证书编号\":\"2\",\"证书类型\":\"training\",\"发证日期\":\"2023-08-01\"}\n{\"身份"
                .as_bytes()
                .to_vec(),
        ),
        ("2023-09.xlsx", bomb),
        ("2023-10.csv", "   \n\n".as_bytes().to_vec()),
        ("may.csv", good.replace("PX-2023-0001", "PX-2023-0002").into_bytes()),
        ("2023-11.xls", b"\xD0\xCF\x11\xE0old".to_vec()),
        ("2023-12.csv", good.into_bytes()),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).expect("write");
    }
    let warehouse = tmp.path().join("warehouse");
    let mut options = fixtures::options(&warehouse, vec![landing]);
    options.xlsx_limits = XlsxLimits { ratio_floor_bytes: 100_000, max_ratio: 8, ..XlsxLimits::default() };
    let report = run(&options);

    let expect = [
        ("A001/2023-01.csv", "empty"),
        ("A001/2023-02.csv", "not text"),
        ("A001/2023-03.csv", "rename it to .xlsx"),
        ("A001/2023-04.xlsx", "not a workbook"),
        ("A001/2023-05.xlsx", "damaged or truncated"),
        ("A001/2023-06.csv", "neither UTF-8 nor GBK"),
        ("A001/2023-07.csv", "no header row found"),
        ("A001/2023-08.jsonl", "line 2 is not a JSON object"),
        ("A001/2023-09.xlsx", "expands from"),
        ("A001/2023-10.csv", "empty"),
        ("A001/may.csv", "month of issue"),
        ("A001/2023-11.xls", "unsupported file type"),
    ];
    for (path, needle) in expect {
        let m = message(&report, path);
        assert!(m.contains(needle), "{path}: {m}");
    }
    let good = file(&report, "A001/2023-12.csv");
    assert_eq!((good.outcome.clone(), good.rows_accepted), (FileOutcome::Loaded, 1));
    assert_eq!(report.files_unreadable(), 12);
    assert!(report.is_partly_rejected());

    let ledger = Ledger::load(&Layout::new(&warehouse)).expect("ledger");
    let unreadable: Vec<_> = ledger.entries().iter().filter(|e| e.status == LedgerStatus::Unreadable).collect();
    assert_eq!(unreadable.len(), 12);
    for entry in unreadable {
        assert_eq!(entry.rows_read, None, "{}: row count unknown", entry.source_file);
        assert!(entry.message.as_deref().is_some_and(|m| !m.is_empty()));
    }
    // The same unreadable bytes are not re-read by the next batch.
    let again = run(&options);
    assert_eq!(again.files_skipped(), files.len());
}
