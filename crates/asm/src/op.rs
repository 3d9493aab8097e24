//! The 13 instructions of the machine and their operation table.
//!
//! | op      | syntax            | effect                                   | writes |
//! |---------|-------------------|------------------------------------------|--------|
//! | `stop`  | `stop`            | halt                                     | —      |
//! | `noop`  | `noop`            | nothing (padding)                        | —      |
//! | `zero`  | `zero c`          | `r[c] = 0`                               | reg    |
//! | `inc`   | `inc a c`         | `r[c] = r[a] + 1 mod b`                  | reg    |
//! | `dec`   | `dec a c`         | `r[c] = r[a] - 1 mod b`                  | reg    |
//! | `add`   | `add a b c`       | `r[c] = r[a] + r[b] mod b`               | reg    |
//! | `sub`   | `sub a b c`       | `r[c] = r[a] - r[b] mod b`               | reg    |
//! | `min`   | `min a b c`       | `r[c] = min(r[a], r[b])`                 | reg    |
//! | `max`   | `max a b c`       | `r[c] = max(r[a], r[b])`                 | reg    |
//! | `eq`    | `eq a b c`        | `r[c] = (r[a] == r[b]) as 0/1`           | reg    |
//! | `read`  | `read a c`        | `r[c] = mem[r[a]]` (0 past the tape)     | reg    |
//! | `write` | `write a b`       | `mem[r[a]] = r[b]` (dropped past the tape)| mem   |
//! | `jump`  | `jump a -> label` | if `r[a] == 0` go to `label` (JEZ)       | —      |
//!
//! The set is ANC's (Bunel et al. 2016: STOP ZERO INC DEC ADD SUB MIN MAX READ WRITE JEZ) plus
//! `eq` (ANC has LT/LTE/EQ; one comparison is enough for parity as a fold) and an explicit
//! `noop`, which seed 003 pads templates with.

/// One instruction of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// Halt.
    Stop,
    /// Do nothing.
    Noop,
    /// `r[c] = 0`.
    Zero,
    /// `r[c] = r[a] + 1`.
    Inc,
    /// `r[c] = r[a] - 1`.
    Dec,
    /// `r[c] = r[a] + r[b]`.
    Add,
    /// `r[c] = r[a] - r[b]`.
    Sub,
    /// `r[c] = min(r[a], r[b])`.
    Min,
    /// `r[c] = max(r[a], r[b])`.
    Max,
    /// `r[c] = r[a] == r[b]`.
    Eq,
    /// `r[c] = mem[r[a]]`.
    Read,
    /// `mem[r[a]] = r[b]`.
    Write,
    /// If `r[a] == 0`, jump to the target line.
    Jump,
}

/// Number of instructions.
pub const NUM_OPS: usize = 13;

/// Which fields an instruction uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uses {
    /// First input register.
    pub a: bool,
    /// Second input register.
    pub b: bool,
    /// Output register.
    pub c: bool,
    /// Jump target.
    pub target: bool,
}

impl Op {
    /// All instructions, in index order.
    pub const ALL: [Op; NUM_OPS] = [
        Op::Stop,
        Op::Noop,
        Op::Zero,
        Op::Inc,
        Op::Dec,
        Op::Add,
        Op::Sub,
        Op::Min,
        Op::Max,
        Op::Eq,
        Op::Read,
        Op::Write,
        Op::Jump,
    ];

    /// Index in [`Op::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The mnemonic.
    pub fn name(self) -> &'static str {
        match self {
            Op::Stop => "stop",
            Op::Noop => "noop",
            Op::Zero => "zero",
            Op::Inc => "inc",
            Op::Dec => "dec",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Min => "min",
            Op::Max => "max",
            Op::Eq => "eq",
            Op::Read => "read",
            Op::Write => "write",
            Op::Jump => "jump",
        }
    }

    /// Parses a mnemonic (`jez` is accepted for `jump`).
    pub fn from_name(s: &str) -> Option<Op> {
        let s = s.to_ascii_lowercase();
        if s == "jez" {
            return Some(Op::Jump);
        }
        Op::ALL.iter().copied().find(|o| o.name() == s)
    }

    /// The fields the instruction reads or writes.
    pub fn uses(self) -> Uses {
        let (a, b, c, target) = match self {
            Op::Stop | Op::Noop => (false, false, false, false),
            Op::Zero => (false, false, true, false),
            Op::Inc | Op::Dec | Op::Read => (true, false, true, false),
            Op::Add | Op::Sub | Op::Min | Op::Max | Op::Eq => (true, true, true, false),
            Op::Write => (true, true, false, false),
            Op::Jump => (true, false, false, true),
        };
        Uses { a, b, c, target }
    }

    /// Whether the instruction writes its output register.
    pub fn writes_register(self) -> bool {
        self.uses().c
    }

    /// The value a register-writing, memory-free instruction computes (`None` for the others).
    pub fn apply(self, x: usize, y: usize, base: usize) -> Option<usize> {
        Some(match self {
            Op::Zero => 0,
            Op::Inc => (x + 1) % base,
            Op::Dec => (x + base - 1) % base,
            Op::Add => (x + y) % base,
            Op::Sub => (x + base - y) % base,
            Op::Min => x.min(y),
            Op::Max => x.max(y),
            Op::Eq => usize::from(x == y),
            _ => return None,
        })
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
