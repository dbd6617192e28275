//! The integration tests' fixture warehouse, for `scripts/schemathesis-check`, `benches/http.sh` and manual
//! poking, without building the whole CLI:
//!
//! - `fixture_warehouse write DIR` writes it (snapshot `S1` published, with its submissions summary);
//! - `fixture_warehouse serve DIR ADDR` serves any warehouse with the default settings (what
//!   `skillhouse serve --warehouse DIR --addr ADDR` does).

#[path = "../tests/it/fixture.rs"]
#[allow(dead_code)] // reason: the test fixture has helpers this example does not call
mod fixture;

use std::path::PathBuf;

const USAGE: &str = "usage: fixture_warehouse write DIR | fixture_warehouse serve DIR ADDR";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["write", dir] => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir)?;
            fixture::publish(&dir, "S1", &fixture::rows());
            fixture::write_submissions(&dir, "S1");
            println!("fixture warehouse written to {}", dir.display());
            Ok(())
        }
        ["serve", dir, addr] => {
            let config = skillhouse_server::ServerConfig::new(PathBuf::from(dir));
            skillhouse_server::serve(config, addr.parse()?).await?;
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
