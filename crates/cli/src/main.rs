//! `weft`: the command-line front end. It is the only crate that knows about argv, files and
//! terminals; everything else takes values and returns values.
//!
//! Exit codes (also in `weft --help`):
//! - 0: success (check passed, every example passes, a program was found)
//! - 1: a definite "no": `run` found failing examples, `solve` proved that no program fits
//! - 2: bad input: a malformed sketch, data, hypers or hole file, or bad flags
//! - 3: the solver gave up (search-space limit, timeout) without an answer either way

// First: its `diag!` and `diag_part!` (`eprintln!`/`eprint!` that never panic) are used by
// every module below.
#[macro_use]
mod out;

mod asm_cmd;
mod bench;
mod cmd;
mod external;
mod grad_bench;
mod grad_cmd;
mod input;
mod interrupt;
mod kanren_cmd;
mod load;
mod sat_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    interrupt::install();
    let cli = match cmd::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cmd::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`weft ... | head`) is not an error.
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
