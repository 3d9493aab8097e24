//! Every external program weft runs (z3, the PyTorch peer) goes through here, with a bound on
//! what it reads back: a program that prints without end would otherwise grow weft's memory
//! until it runs out (`Command::output` keeps everything).
//!
//! Standard output is read through `Read::take`, one byte past its limit; past it the program
//! is killed and the run is an error naming the program and the limit. Standard error is only
//! ever shown in messages, so past its (lower) limit it is read on and thrown away, not an
//! error. The two are read at once, standard error on a thread of its own: a program blocked
//! on a full standard-error pipe while weft waits for its standard output would never end.
//! Nothing here adds a timeout: each caller keeps its own (z3's `-T:`), as with `output`.

use std::fmt;
use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};

const MIB: u64 = 1 << 20;

/// Most bytes read of a program's standard output: z3's model of the largest task in the
/// repository, or the peer's one JSON line, is far below it.
pub const STDOUT_LIMIT: u64 = 64 * MIB;

/// Most bytes kept of a program's standard error (the rest is read and dropped).
pub const STDERR_LIMIT: u64 = MIB;

/// How much of each stream is read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Beyond this many bytes of standard output the program is killed and the run fails.
    pub stdout: u64,
    /// Beyond this many bytes standard error is truncated.
    pub stderr: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            stdout: STDOUT_LIMIT,
            stderr: STDERR_LIMIT,
        }
    }
}

/// A finished program: as `std::process::Output`, with standard error perhaps truncated.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    /// At most [`Limits::stderr`] bytes.
    pub stderr: Vec<u8>,
    /// Whether standard error went on past its limit.
    pub stderr_truncated: bool,
}

impl Output {
    /// Standard error as text for a message, trimmed, with `…` where it was cut.
    pub fn stderr_text(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let text = text.trim();
        if self.stderr_truncated {
            format!("{text}…")
        } else {
            text.to_string()
        }
    }
}

/// Why a program's output was not read.
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started, or a pipe failed.
    Io { program: String, error: io::Error },
    /// The program printed more than the limit on standard output; it was killed.
    TooLarge { program: String, limit: u64 },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Io { program, error } => write!(f, "cannot run `{program}`: {error}"),
            RunError::TooLarge { program, limit } => write!(
                f,
                "`{program}` printed more than {} on standard output and was stopped; weft \
                 reads at most {} of a program's output",
                size(*limit),
                size(*limit)
            ),
        }
    }
}

impl std::error::Error for RunError {}

/// `1048576` as `1 MiB`, a limit below a MiB in bytes.
fn size(bytes: u64) -> String {
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Runs `cmd` to its end, as `Command::output` does (standard input empty), reading at most
/// `limits` of its output; a program that prints more than `limits.stdout` is killed.
pub fn output(cmd: &mut Command, limits: Limits) -> Result<Output, RunError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let io_error = |error| RunError::Io {
        program: program.clone(),
        error,
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io_error)?;
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        stop(&mut child);
        return Err(io_error(io::Error::other("no pipe to the program")));
    };
    let stderr = std::thread::spawn(move || -> io::Result<(Vec<u8>, bool)> {
        let mut kept = Vec::new();
        (&mut err).take(limits.stderr).read_to_end(&mut kept)?;
        // Read to the end, so that the program never blocks on a full pipe.
        let rest = io::copy(&mut err, &mut io::sink())?;
        Ok((kept, rest > 0))
    });
    let mut stdout = Vec::new();
    let read = (&mut out)
        .take(limits.stdout.saturating_add(1))
        .read_to_end(&mut stdout);
    if let Err(error) = read {
        stop(&mut child);
        return Err(io_error(error));
    }
    if stdout.len() as u64 > limits.stdout {
        // The thread reading standard error is left to end by itself when the pipe closes;
        // waiting for it could wait on a grandchild that still holds the pipe open.
        drop(out);
        stop(&mut child);
        return Err(RunError::TooLarge {
            program,
            limit: limits.stdout,
        });
    }
    let status = child.wait().map_err(io_error)?;
    let (stderr, stderr_truncated) = stderr
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the standard-error reader panicked")))
        .map_err(io_error)?;
    Ok(Output {
        status,
        stdout,
        stderr,
        stderr_truncated,
    })
}

/// Kills the program (it may have ended already) and reaps it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, limits: Limits) -> Result<Output, RunError> {
        output(Command::new("sh").args(["-c", script]), limits)
    }

    #[test]
    fn an_endless_program_is_stopped_at_the_limit() {
        // `yes` never ends: returning at all means it was not read to its end.
        let limits = Limits {
            stdout: MIB,
            stderr: 1024,
        };
        let e = sh("yes", limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`sh` printed more than 1 MiB on standard output and was stopped; weft reads at \
             most 1 MiB of a program's output"
        );
        // Endless standard error alongside, from the same process: the same.
        let limits = Limits {
            stdout: 64 << 10,
            stderr: 1024,
        };
        let e = sh("while :; do echo out; echo err >&2; done", limits).unwrap_err();
        assert!(matches!(e, RunError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn output_within_the_limits_comes_back_intact() {
        let o = sh(
            "printf 'sat\\n(model)\\n'; printf oops >&2; exit 3",
            Limits::default(),
        )
        .unwrap();
        assert_eq!(o.stdout, b"sat\n(model)\n");
        assert_eq!(o.stderr_text(), "oops");
        assert_eq!(o.status.code(), Some(3));
        // Exactly the limit is allowed; both pipes full at once do not deadlock.
        let limits = Limits {
            stdout: MIB,
            stderr: MIB,
        };
        let o = sh(
            "head -c 1048576 /dev/zero >&2 & head -c 1048576 /dev/zero; wait",
            limits,
        )
        .unwrap();
        assert_eq!(o.stdout.len(), 1 << 20);
        assert_eq!(o.stderr.len(), 1 << 20);
        assert!(!o.stderr_truncated);
    }

    #[test]
    fn standard_error_past_its_limit_is_truncated() {
        let limits = Limits {
            stdout: MIB,
            stderr: 4,
        };
        let o = sh("head -c 100000 /dev/zero | tr '\\0' x >&2; echo ok", limits).unwrap();
        assert_eq!(o.stdout, b"ok\n");
        assert_eq!(o.stderr_text(), "xxxx…");
        assert!(o.stderr_truncated);
    }

    #[test]
    fn a_missing_program_is_named() {
        let e = output(&mut Command::new("weft-no-such-program"), Limits::default()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot run `weft-no-such-program`:"),
            "{e}"
        );
    }
}
