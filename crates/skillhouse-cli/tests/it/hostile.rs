//! Issue 27 at the edge: what `skillhouse ingest` prints and exits with for hostile input — never a cell of a
//! personal field, every landing entry mentioned, and its own exit code for a broken registry.

use crate::nights::utf8;
use crate::{run, skillhouse, stderr};
use skillhouse_model::IdNumber;

fn id(seq: u16) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(1990, 3, 15).expect("date");
    IdNumber::from_parts("410102", birth, seq).expect("synthetic id").expose().to_string()
}

const REGISTRY: &str = "agency_id,name,agency_type,region_code\nA001,虚构企业评价机构,企业,410100\n";

#[test]
fn ingest_prints_no_personal_data_mentions_every_entry_and_exits_6_on_a_broken_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let landing = dir.path().join("landing");
    std::fs::create_dir_all(landing.join("A001")).expect("landing");
    std::fs::write(landing.join("agencies.csv"), REGISTRY).expect("registry");
    let mut text = String::from("身份证号,姓名,证书编号,证书类型,发证日期\n");
    text.push_str(&format!("{},虚构甲,PX-1,培训合格证书,2024-05-01\n", id(101)));
    text.push_str(&format!("{},\"虚构乙,PX-2,培训合格证书,2024-05-02\n", id(202)));
    for n in 0..30u16 {
        text.push_str(&format!("{},虚构丙,PX-3{n},培训合格证书,2024-05-03\n", id(300 + n)));
    }
    std::fs::write(landing.join("A001/2024-05.csv"), text).expect("stray quote");
    std::fs::write(landing.join("notes.txt"), "x").expect("stray file");
    let key = dir.path().join("key.hex");
    std::fs::write(&key, "cd".repeat(32)).expect("key");
    let warehouse = dir.path().join("warehouse");
    let args = ["ingest", "--warehouse", utf8(&warehouse), "--key-file", utf8(&key), utf8(&landing)];

    let output = run(&mut skillhouse(&args));
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
    assert_eq!(output.status.code(), Some(3), "{printed}");
    assert!(printed.contains("line 3, column 2"), "says where: {printed}");
    assert!(printed.contains("ignored notes.txt"), "the stray file is mentioned: {printed}");
    for n in [101, 202, 300, 329] {
        assert!(!printed.contains(&id(n)), "an ID number was printed: {printed}");
    }
    for name in ["虚构甲", "虚构乙", "虚构丙"] {
        assert!(!printed.contains(name), "a name was printed: {printed}");
    }

    std::fs::write(landing.join("agencies.csv"), "agency_id,name,agency_type,region_code\nA001,x,企业,4101\n")
        .expect("broken registry");
    let broken = run(&mut skillhouse(&args));
    assert_eq!(broken.status.code(), Some(6), "{}", stderr(&broken));
    let message = stderr(&broken);
    assert!(message.contains("agencies.csv, row 2") && message.contains("nothing was ingested"), "{message}");
}
