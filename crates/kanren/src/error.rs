//! The crate's error type.

use crate::stream::Stop;

/// A position in source text (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// Everything that can go wrong.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Malformed source: bad s-expression, unknown relation, unbound variable, bad form.
    #[error("{line}:{col}: {msg}")]
    Syntax {
        line: usize,
        col: usize,
        msg: String,
    },
    /// A budget ran out before the query finished.
    #[error("{}", describe_stop(.0))]
    Stopped(Stop),
    /// A `run` form index that does not exist.
    #[error("no run form number {0}")]
    NoSuchRun(usize),
    /// Several errors in one source (each a [`Error::Syntax`]), in source order, one per
    /// line when displayed.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<Error>),
}

impl Error {
    /// One error, or [`Error::Many`] for several (`None` for none).
    pub fn from_list(mut errors: Vec<Error>) -> Option<Error> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Many(errors)),
        }
    }

    /// The individual errors: the list of an [`Error::Many`], else this one.
    pub fn list(&self) -> &[Error] {
        match self {
            Error::Many(es) => es,
            e => std::slice::from_ref(e),
        }
    }
}

fn describe_stop(s: &Stop) -> String {
    match s {
        Stop::Steps(n) => format!("stopped: the step limit ({n}) was reached"),
        Stop::Vars(n) => {
            format!("stopped: the variable limit ({n}, a bound on memory) was reached")
        }
        Stop::Time(d) => format!(
            "stopped: the time limit ({} s) was reached",
            d.as_secs_f64()
        ),
        Stop::Cancelled => "stopped: cancelled".to_string(),
    }
}

impl From<Stop> for Error {
    fn from(s: Stop) -> Error {
        Error::Stopped(s)
    }
}
