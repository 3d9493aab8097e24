//! Standard output and standard error that never panic. A diagnostic that cannot be written
//! (standard error closed or full) is dropped: the exit code still tells what happened. A
//! failed write to standard output is an error that names standard output and keeps its kind,
//! so that `main` ends quietly on a closed pipe (`weft … | head`).

use std::io::{self, Write};

/// `eprintln!` that drops what cannot be written instead of panicking.
macro_rules! diag {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that drops what cannot be written instead of panicking.
macro_rules! diag_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

/// Standard output, locked for the caller.
pub struct Stdout(io::StdoutLock<'static>);

/// Locks standard output; its write errors say "cannot write to standard output".
pub fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(named)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(named)
    }
}

/// The error of a write to standard output, with the same kind, saying where it failed.
fn named(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))
}

/// Standard error as a writer that drops what cannot be written, like [`diag!`].
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
