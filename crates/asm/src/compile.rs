//! Neural compilation (eq. 3) and decompilation, and the weights file.

use crate::diff::{head_probs, Shape};
use crate::op::{Op, NUM_OPS};
use crate::program::{Instr, Program};
use crate::rng::Rng;
use crate::Error;

/// ε of eq. 3.
pub const COMPILE_EPS: f32 = 1e-8;

/// Most program lines a weights file (and so a compiled program) may have: a run has
/// `lines · (lines + …)` logits, since every line has a jump-target head over all lines.
pub const MAX_LINES: usize = 4096;

/// Compiles `program` into one run's logits: `W = log(onehot + γu + ε)` for every head (eq. 3),
/// `u ~ U(0, 1)`. A field the instruction does not use (a `noop`'s registers, a non-jump's
/// target) is no choice: its "one-hot" is the zero vector, so every entry is `log(γu + ε)`,
/// uniform up to the noise. (It used to compile as register 1 / line 1, which gave every no-op
/// line a preferred set of arguments that no program chose.)
pub fn compile(
    program: &Program,
    shape: &Shape,
    noise: f32,
    rng: &mut Rng,
) -> Result<Vec<f32>, Error> {
    if program.len() != shape.lines {
        return Err(Error::Shape(format!(
            "the program has {} lines, the weights {}",
            program.len(),
            shape.lines
        )));
    }
    if shape.lines > MAX_LINES {
        // Quadratic in the lines: 100 000 lines would be 40 GB of logits.
        return Err(Error::Program(format!(
            "the program has {} lines; at most {MAX_LINES} compile",
            shape.lines
        )));
    }
    if shape.registers == 0 || shape.registers > crate::machine::MAX_REGISTERS {
        // `shape.width()` would overflow for a huge register count.
        return Err(Error::Program(format!(
            "registers must be in 1..={}, got {}",
            crate::machine::MAX_REGISTERS,
            shape.registers
        )));
    }
    program.validate(shape.registers)?;
    let w = shape.width();
    let mut out = vec![0.0f32; shape.params()];
    for (i, ins) in program.instrs.iter().enumerate() {
        let u = ins.op.uses();
        let used = [true, u.a, u.b, u.c, u.target];
        let hot = [ins.op.index(), ins.a, ins.b, ins.c, ins.target];
        for (h, &k) in hot.iter().enumerate() {
            let (o, n) = shape.head(h);
            for j in 0..n {
                let one = if used[h] && j == k { 1.0 } else { 0.0 };
                out[i * w + o + j] = (one + noise * rng.uniform() + COMPILE_EPS).ln();
            }
        }
    }
    Ok(out)
}

/// Random logits for "optimization from a random initialisation": `W = log(u + ε)`.
pub fn random_logits(shape: &Shape, rng: &mut Rng) -> Vec<f32> {
    (0..shape.params())
        .map(|_| (rng.uniform() + COMPILE_EPS).ln())
        .collect()
}

/// One decompiled line: the argmax of each head and its probability.
#[derive(Clone, Debug, PartialEq)]
pub struct LineConfidence {
    /// Probability of the chosen instruction.
    pub op: f32,
    /// Probability of each used argument (a, b, c, target), in order.
    pub args: Vec<f32>,
}

/// Decompiles one run's logits: the argmax per head (eq. 2 at a one-hot `l`), with confidences.
pub fn decompile(shape: &Shape, logits: &[f32]) -> Result<(Program, Vec<LineConfidence>), Error> {
    if logits.len() != shape.params() {
        return Err(Error::Shape(format!(
            "expected {} logits for {} lines and {} registers, found {}",
            shape.params(),
            shape.lines,
            shape.registers,
            logits.len()
        )));
    }
    if logits.iter().any(|x| !x.is_finite()) {
        return Err(Error::Shape(
            "the weights contain a non-finite value".into(),
        ));
    }
    let mut probs = vec![0.0; logits.len()];
    head_probs(shape, logits, &mut probs);
    let w = shape.width();
    let mut instrs = Vec::new();
    let mut conf = Vec::new();
    for i in 0..shape.lines {
        let mut pick = [0usize; 5];
        let mut pr = [0f32; 5];
        for h in 0..5 {
            let (o, n) = shape.head(h);
            let seg = &probs[i * w + o..i * w + o + n];
            let (k, &p) =
                seg.iter().enumerate().fold(
                    (0, &f32::NEG_INFINITY),
                    |a, b| if b.1 > a.1 { b } else { a },
                );
            pick[h] = k;
            pr[h] = p;
        }
        let op = Op::ALL[pick[0].min(NUM_OPS - 1)];
        let u = op.uses();
        let args = [u.a, u.b, u.c, u.target]
            .iter()
            .enumerate()
            .filter(|(_, &used)| used)
            .map(|(k, _)| pr[k + 1])
            .collect();
        instrs.push(Instr::new(op, pick[1], pick[2], pick[3], pick[4]));
        conf.push(LineConfidence { op: pr[0], args });
    }
    Ok((Program::new(instrs), conf))
}

/// Writes one run's logits as a weights file (JSON).
pub fn weights_to_json(shape: &Shape, logits: &[f32]) -> String {
    let w = shape.width();
    let names = ["op", "a", "b", "c", "target"];
    let lines: Vec<serde_json::Value> = (0..shape.lines)
        .map(|i| {
            let mut m = serde_json::Map::new();
            for (h, name) in names.iter().enumerate() {
                let (o, n) = shape.head(h);
                let v: Vec<f64> = logits[i * w + o..i * w + o + n]
                    .iter()
                    .map(|&x| x as f64)
                    .collect();
                m.insert((*name).into(), serde_json::json!(v));
            }
            serde_json::Value::Object(m)
        })
        .collect();
    let ops: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
    let v = serde_json::json!({
        "format": "weft-asm-weights/1",
        "registers": shape.registers,
        "lines": shape.lines,
        "ops": ops,
        "logits": lines,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Reads a weights file; every shape mismatch is an error.
pub fn weights_from_json(text: &str) -> Result<(Shape, Vec<f32>), Error> {
    let bad = |m: String| Error::Shape(m);
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let get = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_u64())
            .ok_or_else(|| bad(format!("missing or non-integer `{k}`")))
    };
    let registers = get("registers")? as usize;
    let lines = get("lines")? as usize;
    if registers == 0 || registers > crate::machine::MAX_REGISTERS {
        return Err(bad(format!("`registers` = {registers} is out of range")));
    }
    if lines == 0 || lines > MAX_LINES {
        return Err(bad(format!("`lines` = {lines} is out of range")));
    }
    let shape = Shape { lines, registers };
    let arr = v
        .get("logits")
        .and_then(|x| x.as_array())
        .ok_or_else(|| bad("missing `logits` array".into()))?;
    if arr.len() != lines {
        return Err(bad(format!(
            "`logits` has {} lines, `lines` says {lines}",
            arr.len()
        )));
    }
    let names = ["op", "a", "b", "c", "target"];
    let mut out = vec![0.0f32; shape.params()];
    let w = shape.width();
    for (i, line) in arr.iter().enumerate() {
        for (h, name) in names.iter().enumerate() {
            let (o, n) = shape.head(h);
            let xs = line
                .get(name)
                .and_then(|x| x.as_array())
                .ok_or_else(|| bad(format!("line {}: missing `{name}`", i + 1)))?;
            if xs.len() != n {
                return Err(bad(format!(
                    "line {}: `{name}` has {} values, expected {n}",
                    i + 1,
                    xs.len()
                )));
            }
            for (j, x) in xs.iter().enumerate() {
                let x = x
                    .as_f64()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad(format!("line {}: `{name}`[{j}] is not a number", i + 1)))?;
                // A finite f64 beyond f32's range (1e39) used to become an infinite logit.
                if !(x as f32).is_finite() {
                    return Err(bad(format!(
                        "line {}: `{name}`[{j}] = {x:e} is out of range for a 32-bit float",
                        i + 1
                    )));
                }
                out[i * w + o + j] = x as f32;
            }
        }
    }
    Ok((shape, out))
}
