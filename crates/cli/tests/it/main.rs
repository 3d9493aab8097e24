//! End-to-end tests of the `weft` binary: the benchmark corpus, the reference solver on the
//! swap circuit, bad input and exit codes.

mod asm;
mod corpus;
mod data;
mod errors;
mod grad;
mod kanren;
mod limits;
mod sat;
mod solve;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// Runs `weft` with arguments from the repository root.
pub fn weft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the weft binary runs")
}

/// Writes `text` to `name` in a temporary directory of this test process (`dir` tells the
/// test files apart); returns its path.
pub fn tmp_file(dir: &str, name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("{dir}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
