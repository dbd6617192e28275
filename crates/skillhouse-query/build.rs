//! Bundles the SQL of `sql/models/`, `sql/indicators/`, `sql/values/` and `sql/checks/` into the crate, so a new `.sql` file is built and tested
//! without touching Rust: this script lists the folders and emits one `include_str!` per file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let sql_dir = manifest_dir.join("../../sql");
    let mut code = String::from("/// (kind, file name, SQL text) of every bundled `.sql` file, sorted.\n");
    code.push_str("pub(crate) const BUNDLED_SQL: &[(&str, &str, &str)] = &[\n");
    for kind in ["models", "indicators", "values", "checks"] {
        let dir = sql_dir.join(kind);
        println!("cargo:rerun-if-changed={}", dir.display());
        for path in sql_files(&dir) {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_name().and_then(|n| n.to_str()).expect("utf-8 file name").to_string();
            let absolute = path.canonicalize().expect("sql file path resolves");
            writeln!(code, "    ({kind:?}, {name:?}, include_str!({:?})),", absolute.display().to_string())
                .expect("writing to a String");
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled_sql.rs");
    std::fs::write(out, code).expect("writing bundled_sql.rs");
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}
