//! Template synthesis: a small high-level language of loops over memory whose operation (and,
//! in the language, registers) are left open, with optional no-op padding, enumerated into
//! assembly.
//!
//! Templates name register *roles* (pointer, temporary, accumulator(s), zero). All registers
//! start at 0, so any injective role→register map gives an observationally equivalent program;
//! the enumerator therefore uses the canonical map `ptr = r1, tmp = r2, acc = r3, zero = r4`
//! (`Template::expand_with` takes any other).
//!
//! | template | assembly (canonical registers) |
//! |---|---|
//! | `once(op)` | `read 4 2; op 2 2; noop*; write 4 2; stop` |
//! | `map(op)` | `loop: read 1 2; op 2 2; write 1 2; inc 1 1; noop*; jump 4 -> loop` (Listing 1 map) |
//! | `fold(op₁[, op₂])` | `loop: inc 1 1; read 1 2; op₁ 3 2 3; [op₂ 3 4 3;] noop*; write 4 3; jump 4 -> loop` (acc = op(acc, x), running result in cell 0) |
//! | `rec2(op)` | `inc 2 2; loop: write 3 2; op 1 2 2; read 3 1; write 3 2; inc 3 3; noop*; jump 4 -> loop` (Listing 1 Fibonacci) |
//! | `counted(n, op)` | Listing 1 sum-reduce over `n` cells (5 registers), then `stop` (the instruction register wraps around at the end) |

use std::fmt;

use crate::op::Op;
use crate::program::{parse, Program};
use crate::Error;

/// A program template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Template {
    /// Apply a unary op to cell 0 once, then stop.
    Once {
        /// The operation.
        op: Op,
        /// No-ops before the write.
        pad: usize,
    },
    /// Map a unary op over memory, forever.
    Map {
        /// The operation.
        op: Op,
        /// No-ops before the jump.
        pad: usize,
    },
    /// Fold cells 1.. into cell 0 with `acc = op₂(op₁(acc, x), 0)`.
    Fold {
        /// One or two binary ops (the second takes the zero register).
        body: Vec<Op>,
        /// No-ops before the write.
        pad: usize,
    },
    /// Two-accumulator recurrence written to memory (Listing 1 Fibonacci with `op = add`).
    Rec2 {
        /// The combining op.
        op: Op,
        /// No-ops before the jump.
        pad: usize,
    },
    /// Listing 1's sum-reduce with a counter: fold `n` cells, then write the result after them.
    Counted {
        /// Number of cells (≥ 1).
        n: usize,
        /// The combining op.
        op: Op,
    },
}

/// Unary ops a template may leave open.
pub const UNARY: [Op; 3] = [Op::Inc, Op::Dec, Op::Zero];
/// Binary ops a template may leave open.
pub const BINARY: [Op; 5] = [Op::Add, Op::Sub, Op::Min, Op::Max, Op::Eq];

/// Register roles: pointer, temporary, accumulator, zero, and a fifth (counter) register.
pub type Roles = [usize; 5];
/// The canonical map (1-based registers).
pub const CANONICAL: Roles = [1, 2, 3, 4, 5];

/// `op t t`, or `zero t` (zero takes only its output register).
fn unary(op: Op, t: usize) -> String {
    if op.uses().a {
        format!("{op} {t} {t}")
    } else {
        format!("{op} {t}")
    }
}

fn pads(n: usize) -> String {
    "noop\n".repeat(n)
}

impl Template {
    /// Registers the expansion needs.
    pub fn registers(&self) -> usize {
        match self {
            Template::Counted { .. } => 5,
            _ => 4,
        }
    }

    /// Expands with the canonical registers.
    pub fn expand(&self, registers: usize) -> Result<Program, Error> {
        self.expand_with(CANONICAL, registers)
    }

    /// Expands with roles `[ptr, tmp, acc, zero, counter]` (1-based registers).
    pub fn expand_with(&self, roles: Roles, registers: usize) -> Result<Program, Error> {
        let [p, t, a, z, c] = roles;
        let text = match self {
            Template::Once { op, pad } => {
                format!("read {z} {t}\n{}\n{}write {z} {t}\nstop\n", unary(*op, t), pads(*pad))
            }
            Template::Map { op, pad } => format!(
                "loop:\nread {p} {t}\n{}\nwrite {p} {t}\ninc {p} {p}\n{}jump {z} -> loop\n",
                unary(*op, t),
                pads(*pad)
            ),
            Template::Fold { body, pad } => {
                let mut s = format!("loop:\ninc {p} {p}\nread {p} {t}\n");
                for (k, op) in body.iter().enumerate() {
                    let arg = if k == 0 { t } else { z };
                    s += &format!("{op} {a} {arg} {a}\n");
                }
                s += &pads(*pad);
                s += &format!("write {z} {a}\njump {z} -> loop\n");
                s
            }
            Template::Rec2 { op, pad } => format!(
                "inc {t} {t}\nloop:\nwrite {a} {t}\n{op} {p} {t} {t}\nread {a} {p}\nwrite {a} {t}\ninc {a} {a}\n{}jump {z} -> loop\n",
                pads(*pad)
            ),
            Template::Counted { n, op } => {
                let mut s = "inc {z} {z}\n".replace("{z}", &z.to_string()).repeat(n.saturating_sub(1));
                s += &format!(
                    "sum_loop:\nread {a} {t}\n{op} {p} {t} {p}\ninc {a} {a}\nmax {a} {z} {c}\nsub {z} {c} {c}\njump {c} -> sum_loop\nwrite {a} {p}\nstop\n"
                );
                s
            }
        };
        parse(&text, registers).map_err(Error::Parse)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pad = |p: &usize| {
            if *p > 0 {
                format!(" pad {p}")
            } else {
                String::new()
            }
        };
        match self {
            Template::Once { op, pad: p } => write!(f, "once({op}){}", pad(p)),
            Template::Map { op, pad: p } => write!(f, "map({op}){}", pad(p)),
            Template::Fold { body, pad: p } => {
                let ops: Vec<&str> = body.iter().map(|o| o.name()).collect();
                write!(f, "fold({}){}", ops.join(", "), pad(p))
            }
            Template::Rec2 { op, pad: p } => write!(f, "rec2({op}){}", pad(p)),
            Template::Counted { n, op } => write!(f, "counted({n}, {op})"),
        }
    }
}

/// Every template with padding up to `max_pad` that fits `registers` registers and `lines`
/// lines (if given), shortest expansion first.
pub fn enumerate(
    max_pad: usize,
    registers: usize,
    lines: Option<usize>,
) -> Vec<(Template, Program)> {
    let mut ts = Vec::new();
    for pad in 0..=max_pad {
        for op in UNARY {
            ts.push(Template::Once { op, pad });
        }
        for op in UNARY {
            ts.push(Template::Map { op, pad });
        }
        for op in BINARY {
            ts.push(Template::Fold {
                body: vec![op],
                pad,
            });
        }
        for op in BINARY {
            ts.push(Template::Rec2 { op, pad });
        }
        for o1 in BINARY {
            for o2 in BINARY {
                ts.push(Template::Fold {
                    body: vec![o1, o2],
                    pad,
                });
            }
        }
    }
    if registers >= 5 {
        for n in 2..=4 {
            for op in BINARY {
                ts.push(Template::Counted { n, op });
            }
        }
    }
    let mut out: Vec<(Template, Program)> = ts
        .into_iter()
        .filter(|t| t.registers() <= registers)
        .filter_map(|t| t.expand(registers).ok().map(|p| (t, p)))
        .filter(|(_, p)| lines.is_none_or(|l| p.len() <= l))
        .collect();
    out.sort_by_key(|(_, p)| p.len());
    out
}
