//! Every file and standard input that weft reads goes through here, with a bound on its size:
//! an endless input (`weft kanren /dev/zero`, a pipe that never closes) or a huge one is
//! refused with its name and the limit, exit code 2, instead of being read until memory runs
//! out.
//!
//! A regular file whose size is known is refused before a byte is read; anything else (a pipe,
//! a device, standard input) is read through `Read::take`, one byte past the limit, so that
//! at most the limit plus one byte is ever held. The limits are per kind of input
//! ([`Kind::limit`]) and far above what weft writes itself.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::path::Path;

const MIB: u64 = 1 << 20;

/// Most bytes weft reads of a text input: a sketch, hypers, hole file, assembly program,
/// miniKanren file (or one form of standard input) or benchmark task list. The largest sketch
/// in the repository is a few kilobytes; a hole file of a million holes is a few megabytes.
pub const TEXT_LIMIT: u64 = 256 * MIB;

/// Most bytes weft reads of a file of data: examples (`--data`, `examples "file";`) and
/// assembly weights. The largest weights file weft writes (4096 lines on 16 registers,
/// pretty-printed) is about 400 MB.
pub const DATA_LIMIT: u64 = 1024 * MIB;

/// What an input is: it names the input in messages and picks its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sketch,
    /// `--data FILE` or a sketch's `examples "file";`.
    Data,
    Hypers,
    Holes,
    /// An assembly program (`.s`).
    Program,
    /// An assembly weights file.
    Weights,
    /// A miniKanren file, or one form read from standard input.
    Kanren,
    /// A benchmark directory's `tasks.json`.
    Tasks,
}

impl Kind {
    /// The most bytes read of an input of this kind.
    pub fn limit(self) -> u64 {
        match self {
            Kind::Data | Kind::Weights => DATA_LIMIT,
            Kind::Sketch
            | Kind::Hypers
            | Kind::Holes
            | Kind::Program
            | Kind::Kanren
            | Kind::Tasks => TEXT_LIMIT,
        }
    }

    /// The input's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sketch => "sketch",
            Kind::Data => "data file",
            Kind::Hypers => "hypers file",
            Kind::Holes => "hole file",
            Kind::Program => "program",
            Kind::Weights => "weights file",
            Kind::Kanren => "miniKanren input",
            Kind::Tasks => "task list",
        }
    }
}

/// Why an input was not read.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system's error (no such file, a directory, not UTF-8 for text), to be
    /// worded by the caller as before ("cannot read hole file `h.json`: …").
    Io(io::Error),
    /// The input goes on past its kind's limit.
    TooLarge { name: String, kind: Kind },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge { name, kind } => {
                let limit = size(kind.limit());
                write!(
                    f,
                    "{name}: larger than {limit}; weft reads at most {limit} of a {}",
                    kind.name()
                )
            }
        }
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// As an `anyhow` error: an I/O error under `context` (the wording callers used before
    /// the limit existed), a refusal by itself.
    pub fn with_context(self, context: impl FnOnce() -> String) -> anyhow::Error {
        match self {
            ReadError::Io(e) => anyhow::Error::new(e).context(context()),
            e @ ReadError::TooLarge { .. } => anyhow::Error::new(e),
        }
    }
}

/// `1024 MiB` as `1 GiB`.
fn size(bytes: u64) -> String {
    if bytes % (1024 * MIB) == 0 {
        format!("{} GiB", bytes / (1024 * MIB))
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

/// The bytes of `path`, at most `kind.limit()` of them.
pub fn read(path: &Path, kind: Kind) -> Result<Vec<u8>, ReadError> {
    let too_large = || ReadError::TooLarge {
        name: path.display().to_string(),
        kind,
    };
    let limit = kind.limit();
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if meta.is_file() && meta.len() > limit {
        return Err(too_large());
    }
    // `len` of a regular file is a hint (it may grow while read); 0 for pipes and devices.
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The text of `path` ([`read`], then UTF-8 as `std::fs::read_to_string` checks it).
pub fn read_text(path: &Path, kind: Kind) -> Result<String, ReadError> {
    String::from_utf8(read(path, kind)?).map_err(|_| {
        ReadError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// Appends the next line of `r` (through its `\n`, or to the end of input) to `line`, which
/// holds `held` bytes read before it that count towards the same limit (the start of a
/// miniKanren form). `Ok(0)` at the end of input.
pub fn read_line(
    r: &mut impl BufRead,
    line: &mut Vec<u8>,
    held: usize,
    name: &str,
    kind: Kind,
) -> Result<usize, ReadError> {
    let room = kind.limit().saturating_sub(held as u64);
    let n = r
        .take(room + 1)
        .read_until(b'\n', line)
        .map_err(ReadError::Io)?;
    if n as u64 > room {
        return Err(ReadError::TooLarge {
            name: name.to_string(),
            kind,
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_device_is_refused_at_the_limit() {
        let e = read(Path::new("/dev/zero"), Kind::Sketch).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: larger than 256 MiB; weft reads at most 256 MiB of a sketch"
        );
    }

    #[test]
    fn a_line_past_the_room_left_is_refused() {
        let limit = Kind::Kanren.limit() as usize;
        let mut line = Vec::new();
        let mut r = io::Cursor::new(b"(run 1 (q))\nmore".to_vec());
        assert_eq!(
            read_line(&mut r, &mut line, limit - 12, "<stdin>", Kind::Kanren).unwrap(),
            12
        );
        line.clear();
        let e = read_line(&mut r, &mut line, limit - 3, "<stdin>", Kind::Kanren).unwrap_err();
        assert!(
            e.to_string().starts_with("<stdin>: larger than 256 MiB"),
            "{e}"
        );
    }

    #[test]
    fn limits_are_shown_in_whole_units() {
        assert_eq!(size(TEXT_LIMIT), "256 MiB");
        assert_eq!(size(DATA_LIMIT), "1 GiB");
    }
}
