//! Programs: instructions, the parser (with line:column diagnostics) and the printer.
//!
//! The text format follows seed 003's Listing 1: one instruction per line, registers numbered
//! from 1 (`r1`–`rR`; a bare `3` and `r3` both mean register 3), labels on their own line or
//! before an instruction (`map_loop:`), jumps written `jump 3 ↪ map_loop` or `jump 3 -> map_loop`
//! (the arrow is optional). A label after the last instruction names the end of the program:
//! jumping there halts, as `stop` does; running past the last instruction wraps around to the
//! first (the instruction register counts modulo the program length, seed 003 eq. 9). `#` and
//! `//` start comments.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::op::Op;
use crate::Error;

/// One instruction. Register fields are 0-based indices; fields the op does not use are 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    /// The instruction.
    pub op: Op,
    /// First input register.
    pub a: usize,
    /// Second input register.
    pub b: usize,
    /// Output register.
    pub c: usize,
    /// Jump target: a line index, or the program length for "halt".
    pub target: usize,
}

impl Instr {
    /// An instruction with its unused fields cleared.
    pub fn new(op: Op, a: usize, b: usize, c: usize, target: usize) -> Instr {
        let u = op.uses();
        Instr {
            op,
            a: if u.a { a } else { 0 },
            b: if u.b { b } else { 0 },
            c: if u.c { c } else { 0 },
            target: if u.target { target } else { 0 },
        }
    }
}

/// A program: instructions and (optional) label names for printing.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The instructions, one per line of the machine.
    pub instrs: Vec<Instr>,
    /// Label names by line index (`instrs.len()` names the end); used only for printing.
    pub labels: BTreeMap<usize, String>,
}

impl PartialEq for Program {
    /// Programs are equal when their instructions are; label names are cosmetic.
    fn eq(&self, other: &Program) -> bool {
        self.instrs == other.instrs
    }
}
impl Eq for Program {}

impl Program {
    /// A program from instructions, without label names.
    pub fn new(instrs: Vec<Instr>) -> Program {
        Program {
            instrs,
            labels: BTreeMap::new(),
        }
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.instrs.len()
    }

    /// Whether the program has no lines.
    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }

    /// The largest register index used (0-based), if any register is used.
    pub fn max_register(&self) -> Option<usize> {
        self.instrs
            .iter()
            .flat_map(|i| {
                let u = i.op.uses();
                [(u.a, i.a), (u.b, i.b), (u.c, i.c)]
            })
            .filter(|(used, _)| *used)
            .map(|(_, r)| r)
            .max()
    }

    /// Checks that registers and targets fit a machine with `registers` registers.
    pub fn validate(&self, registers: usize) -> Result<(), Error> {
        for (k, i) in self.instrs.iter().enumerate() {
            let u = i.op.uses();
            for (used, r) in [(u.a, i.a), (u.b, i.b), (u.c, i.c)] {
                if used && r >= registers {
                    return Err(Error::Program(format!(
                        "line {}: register {} is out of range (the machine has {registers})",
                        k + 1,
                        r + 1
                    )));
                }
            }
            if u.target && i.target > self.instrs.len() {
                return Err(Error::Program(format!(
                    "line {}: jump target {} is past the end",
                    k + 1,
                    i.target
                )));
            }
        }
        Ok(())
    }
}

/// A problem in program text, at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

struct Tok<'a> {
    text: &'a str,
    col: usize,
}

fn tokens(line: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte, col)
    for (col, (byte, ch)) in line.char_indices().enumerate() {
        let sep = ch.is_whitespace() || ch == ',';
        if sep || ch == '↪' {
            if let Some((b, c)) = start.take() {
                out.push(Tok {
                    text: &line[b..byte],
                    col: c + 1,
                });
            }
            if ch == '↪' {
                out.push(Tok {
                    text: "->",
                    col: col + 1,
                });
            }
        } else if start.is_none() {
            start = Some((byte, col));
        }
    }
    if let Some((b, c)) = start {
        out.push(Tok {
            text: &line[b..],
            col: c + 1,
        });
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let cut = [line.find('#'), line.find("//")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    &line[..cut]
}

fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_alphabetic() || c == '_')
        && cs.all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// Parses program text for a machine with `registers` registers. Every problem is reported,
/// not only the first.
pub fn parse(text: &str, registers: usize) -> Result<Program, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    // (op, regs with columns, optional (label, line, col))
    type Pending = (Op, Vec<(usize, usize)>, Option<(String, usize, usize)>);
    let mut pending: Vec<Pending> = Vec::new();
    for (ln, raw) in text.lines().enumerate() {
        let line_no = ln + 1;
        let toks = tokens(strip_comment(raw));
        let mut rest = &toks[..];
        // Leading labels `name:`.
        while let Some(t) = rest.first() {
            if let Some(name) = t.text.strip_suffix(':') {
                if !is_ident(name) {
                    diags.push(Diagnostic {
                        line: line_no,
                        col: t.col,
                        message: format!("`{name}` is not a valid label name"),
                    });
                } else if labels.insert(name.to_string(), pending.len()).is_some() {
                    diags.push(Diagnostic {
                        line: line_no,
                        col: t.col,
                        message: format!("label `{name}` is defined twice"),
                    });
                }
                rest = &rest[1..];
            } else {
                break;
            }
        }
        let Some((head, args)) = rest.split_first() else {
            continue;
        };
        let Some(op) = Op::from_name(head.text) else {
            diags.push(Diagnostic {
                line: line_no,
                col: head.col,
                message: format!("unknown instruction `{}`", head.text),
            });
            continue;
        };
        let u = op.uses();
        let nregs = [u.a, u.b, u.c].iter().filter(|&&x| x).count();
        let mut regs = Vec::new();
        let mut target = None;
        let mut ok = true;
        let mut i = 0;
        while i < args.len() {
            let t = &args[i];
            if u.target && regs.len() == nregs {
                let t = if t.text == "->" {
                    i += 1;
                    match args.get(i) {
                        Some(t) => t,
                        None => {
                            diags.push(Diagnostic {
                                line: line_no,
                                col: args[i - 1].col,
                                message: "a label is expected after `->`".into(),
                            });
                            ok = false;
                            break;
                        }
                    }
                } else {
                    t
                };
                // `->label` written without a space.
                let (name, col) = match t.text.strip_prefix("->") {
                    Some(rest) if !rest.is_empty() => (rest, t.col + 2),
                    _ => (t.text, t.col),
                };
                if target.is_some() || !is_ident(name) {
                    diags.push(Diagnostic {
                        line: line_no,
                        col: t.col,
                        message: format!("unexpected `{}`: a label was expected", t.text),
                    });
                    ok = false;
                    break;
                }
                target = Some((name.to_string(), line_no, col));
                i += 1;
                continue;
            }
            let num = t.text.strip_prefix('r').unwrap_or(t.text);
            match num.parse::<usize>() {
                Ok(r) if regs.len() < nregs => {
                    if r == 0 || r > registers {
                        diags.push(Diagnostic {
                            line: line_no,
                            col: t.col,
                            message: format!(
                                "register {r} is out of range: the machine has registers 1..={registers}"
                            ),
                        });
                        ok = false;
                    }
                    regs.push((r.saturating_sub(1), t.col));
                }
                // Digits too many for a usize: out of range, not "not a register".
                Err(_)
                    if regs.len() < nregs
                        && !num.is_empty()
                        && num.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    diags.push(Diagnostic {
                        line: line_no,
                        col: t.col,
                        message: format!(
                            "register {num} is out of range: the machine has registers 1..={registers}"
                        ),
                    });
                    ok = false;
                    regs.push((0, t.col));
                }
                _ => {
                    diags.push(Diagnostic {
                        line: line_no,
                        col: t.col,
                        message: format!(
                            "unexpected `{}`: `{op}` takes {nregs} register{}{}",
                            t.text,
                            if nregs == 1 { "" } else { "s" },
                            if u.target { " and a label" } else { "" }
                        ),
                    });
                    ok = false;
                    break;
                }
            }
            i += 1;
        }
        if ok && (regs.len() < nregs || (u.target && target.is_none())) {
            diags.push(Diagnostic {
                line: line_no,
                col: head.col,
                message: format!(
                    "`{op}` takes {nregs} register{}{}, found {}",
                    if nregs == 1 { "" } else { "s" },
                    if u.target { " and a label" } else { "" },
                    regs.len()
                ),
            });
            ok = false;
        }
        if ok {
            pending.push((op, regs, target));
        } else {
            // Keep line numbering stable for labels defined later.
            pending.push((Op::Noop, Vec::new(), None));
        }
    }
    let n = pending.len();
    let mut instrs = Vec::with_capacity(n);
    for (op, regs, target) in pending {
        let u = op.uses();
        let mut it = regs.iter().map(|r| r.0);
        let a = if u.a { it.next().unwrap_or(0) } else { 0 };
        let b = if u.b { it.next().unwrap_or(0) } else { 0 };
        let c = if u.c { it.next().unwrap_or(0) } else { 0 };
        let t = match target {
            Some((name, line, col)) => match labels.get(&name) {
                Some(&t) => t,
                None => {
                    diags.push(Diagnostic {
                        line,
                        col,
                        message: format!("no label `{name}` in the program"),
                    });
                    0
                }
            },
            None => 0,
        };
        instrs.push(Instr::new(op, a, b, c, t.min(n)));
    }
    if !diags.is_empty() {
        diags.sort_by_key(|d| (d.line, d.col));
        return Err(diags);
    }
    Ok(Program {
        instrs,
        labels: labels.into_iter().map(|(k, v)| (v, k)).collect(),
    })
}

/// Prints a program in the syntax [`parse`] reads. Jump targets without a name get `l<line>`
/// (`end` for the end of the program).
pub fn print(p: &Program) -> String {
    let n = p.instrs.len();
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    for i in &p.instrs {
        if i.op.uses().target {
            let t = i.target.min(n);
            names.entry(t).or_insert_with(|| {
                p.labels.get(&t).cloned().unwrap_or_else(|| {
                    if t == n {
                        "end".to_string()
                    } else {
                        format!("l{}", t + 1)
                    }
                })
            });
        }
    }
    for (k, v) in &p.labels {
        names.entry(*k).or_insert_with(|| v.clone());
    }
    let mut out = String::new();
    for (k, ins) in p.instrs.iter().enumerate() {
        if let Some(name) = names.get(&k) {
            let _ = writeln!(out, "{name}:");
        }
        let u = ins.op.uses();
        let mut line = format!("    {}", ins.op);
        for (used, r) in [(u.a, ins.a), (u.b, ins.b), (u.c, ins.c)] {
            if used {
                let _ = write!(line, " {}", r + 1);
            }
        }
        if u.target {
            let t = ins.target.min(n);
            let _ = write!(line, " -> {}", names[&t]);
        }
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(name) = names.get(&n) {
        let _ = writeln!(out, "{name}:");
    }
    out
}

impl std::fmt::Display for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&print(self))
    }
}
