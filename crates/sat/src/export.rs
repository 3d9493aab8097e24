//! The problem in standard formats, so that users can hand it to any solver.
//!
//! - [`dimacs`]: the exact CNF this crate solves (facts as unit clauses), with comment lines
//!   mapping every hole value to its variable: `c hole gate[0] And 2`.
//! - [`smtlib`]: an SMT-LIB2 script in **QF_LIA**, at the level of the IR rather than the CNF:
//!   every hole is an `Int` bounded to its value indices (`0 <= h < n`; enum variants and
//!   ranges are numbered as in weft's IR), every node a `define-fun` per example (once for
//!   static nodes) whose body is an `ite` chain over its non-constant arguments (a table) or
//!   over its selector (a multiplexer), and every observation and expected output an
//!   `assert`. Example inputs are numerals, so tables over them fold while writing, as in the
//!   CNF. Costs are the `Int` constant `weft_cost`: the sum of each `cost` statement's weight
//!   of its node's value (`ite` over the value), once for once-costs and once per example for
//!   the others, as `--minimize` counts them (0 when the sketch has no `cost`: it is defined on
//!   every export). The script ends with `(check-sat)` and
//!   `(get-value (...holes))`; [`parse_values`] reads that answer back into an assignment.
//!   With `minimize`, `(minimize weft_cost)` comes before `(check-sat)`: that command is not
//!   in the SMT-LIB standard but is understood by z3 (νZ) and OptiMathSAT, which then answer
//!   with a model of least cost.
//!
//! QF_LIA with bounded `Int` was chosen over QF_BV because the IR's values are indices into
//! finite domains, not machine words: the script reads like the sketch, and every SMT solver
//! supports it.

use std::fmt::Write as _;

use weft_ir::{Assignment, Examples, Graph, Node, NodeId};

use crate::cnf::{Cnf, Sink};
use crate::encode::Holes;
use crate::formula::{encode_problem, n_examples};
use crate::solver::hard_units;
use crate::SatError;

/// The CNF as DIMACS text; see the module documentation.
pub fn dimacs(g: &Graph, ex: &Examples, max_clauses: usize) -> Result<String, SatError> {
    let mut cnf = Cnf::default();
    let f = encode_problem(
        g,
        ex,
        Holes::Free(Default::default(), false),
        max_clauses,
        &mut cnf,
    )?;
    for l in hard_units(&f.facts) {
        cnf.push(&[l]);
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "c weft sketch `{}`: {} holes, {} examples",
        g.name,
        g.holes.len(),
        n_examples(g, ex)
    );
    let _ = writeln!(
        s,
        "c a model sets exactly one variable of each hole true: `c hole NAME VALUE VAR`"
    );
    for (h, val) in g.holes.iter().zip(&f.enc.holes) {
        let d = g.domain(h.domain);
        for &(v, l) in val {
            let _ = writeln!(s, "c hole {} {} {}", h.name, d.show(v), l);
        }
    }
    let _ = writeln!(s, "p cnf {} {}", f.enc.n_vars(), cnf.clauses.len());
    for c in &cnf.clauses {
        for l in c {
            let _ = write!(s, "{l} ");
        }
        s.push_str("0\n");
    }
    Ok(s)
}

/// A hole's SMT-LIB symbol: `|gate[0]|`.
pub fn hole_symbol(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c == '|' || c == '\\' { '_' } else { c })
        .collect();
    format!("|{clean}|")
}

/// A term: a known value or the name of a definition.
#[derive(Clone)]
enum Term {
    Const(u32),
    Name(String),
}

impl Term {
    fn text(&self) -> String {
        match self {
            Term::Const(v) => v.to_string(),
            Term::Name(n) => n.clone(),
        }
    }
}

/// The SMT-LIB2 script; see the module documentation. `max_terms` bounds the size of the
/// `ite` trees written (in leaves), like the clause budget of the CNF.
pub fn smtlib(
    g: &Graph,
    ex: &Examples,
    max_terms: usize,
    minimize: bool,
) -> Result<String, SatError> {
    weft_ir::validate_examples(g, ex)?;
    weft_ir::Evaluator::new(g)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "; weft sketch `{}`: holes are value indices (QF_LIA)",
        g.name
    );
    let _ = writeln!(s, "(set-logic QF_LIA)");
    for h in &g.holes {
        let d = g.domain(h.domain);
        let sym = hole_symbol(&h.name);
        let _ = writeln!(s, "(declare-fun {sym} () Int) ; {d}");
        let _ = writeln!(s, "(assert (and (<= 0 {sym}) (< {sym} {})))", d.size);
    }
    let mut is_static = Vec::with_capacity(g.nodes.len());
    for nd in &g.nodes {
        let st = match &nd.node {
            Node::Input(_) => false,
            Node::Hole(_) | Node::Const(_) => true,
            Node::Apply(_, a) => a.iter().all(|x| is_static[x.0 as usize]),
            Node::Mux(sel, c) => {
                is_static[sel.0 as usize] && c.iter().all(|x| is_static[x.0 as usize])
            }
        };
        is_static.push(st);
    }
    let mut budget = max_terms;
    let mut stat: Vec<Option<Term>> = vec![None; g.nodes.len()];
    for i in 0..g.nodes.len() {
        if is_static[i] {
            let t = node_term(g, i, &stat, &[], &mut s, "s".to_string(), &mut budget)?;
            stat[i] = Some(t);
        }
    }
    // The terms of the total cost.
    let mut costs: Vec<String> = Vec::new();
    let weighted = |t: &Term, w: &[i64]| -> String {
        match t {
            Term::Const(v) => w.get(*v as usize).copied().unwrap_or(0).to_string(),
            Term::Name(n) => {
                let arms: Vec<String> = w.iter().map(i64::to_string).collect();
                ite_chain(n, &arms)
            }
        }
    };
    for c in g.costs.iter().filter(|c| c.once) {
        let t = stat[c.node.0 as usize].clone().unwrap_or(Term::Const(0));
        costs.push(weighted(&t, &c.weights));
    }
    for e in 0..n_examples(g, ex) {
        let inputs: Vec<u32> = ex
            .inputs
            .iter()
            .map(|c| c.get(e).copied().unwrap_or(0))
            .collect();
        let mut copy = stat.clone();
        for i in 0..g.nodes.len() {
            if !is_static[i] {
                let t = node_term(g, i, &copy, &inputs, &mut s, format!("e{e}_"), &mut budget)?;
                copy[i] = Some(t);
            }
        }
        let term = |n: NodeId| copy[n.0 as usize].as_ref().map_or("0".into(), Term::text);
        for o in &g.observations {
            let _ = writeln!(s, "(assert (= {} 1))", term(o.node));
        }
        for (k, out) in g.outputs.iter().enumerate() {
            if let Some(Some(w)) = ex.expected.get(k).and_then(|c| c.get(e)) {
                let _ = writeln!(s, "(assert (= {} {w}))", term(out.node));
            }
        }
        for c in g.costs.iter().filter(|c| !c.once) {
            let t = copy[c.node.0 as usize].clone().unwrap_or(Term::Const(0));
            costs.push(weighted(&t, &c.weights));
        }
    }
    // Defined on every export (0 without `cost` statements), so that a script that adds
    // `(minimize weft_cost)` works whatever the sketch.
    let total = match costs.len() {
        0 => "0".to_string(),
        1 => costs.pop().unwrap_or_default(),
        _ => format!("(+ {})", costs.join(" ")),
    };
    let _ = writeln!(s, "(define-fun weft_cost () Int {total})");
    if minimize {
        let _ = writeln!(s, "(minimize weft_cost)");
    }
    let _ = writeln!(s, "(check-sat)");
    if !g.holes.is_empty() {
        let mut syms: Vec<String> = g.holes.iter().map(|h| hole_symbol(&h.name)).collect();
        syms.push("weft_cost".to_string());
        let _ = writeln!(s, "(get-value ({}))", syms.join(" "));
    }
    Ok(s)
}

fn node_term(
    g: &Graph,
    i: usize,
    known: &[Option<Term>],
    inputs: &[u32],
    s: &mut String,
    prefix: String,
    budget: &mut usize,
) -> Result<Term, SatError> {
    let get = |n: NodeId| known[n.0 as usize].clone().unwrap_or(Term::Const(0));
    let body = match &g.nodes[i].node {
        Node::Input(slot) => {
            return Ok(Term::Const(
                inputs.get(*slot as usize).copied().unwrap_or(0),
            ))
        }
        Node::Const(v) => return Ok(Term::Const(*v)),
        Node::Hole(h) => return Ok(Term::Name(hole_symbol(&g.hole(*h).name))),
        Node::Mux(sel, cases) => match get(*sel) {
            Term::Const(v) => return Ok(get(cases[v as usize])),
            Term::Name(sel) => {
                let terms: Vec<String> = cases.iter().map(|&c| get(c).text()).collect();
                if terms.iter().all(|t| *t == terms[0]) {
                    return Ok(get(cases[0]));
                }
                ite_chain(&sel, &terms)
            }
        },
        Node::Apply(t, args) => {
            let table = g.table(*t);
            let terms: Vec<Term> = args.iter().map(|&a| get(a)).collect();
            let sizes: Vec<usize> = table
                .args
                .iter()
                .map(|&d| g.domain(d).size as usize)
                .collect();
            match ite(&table.data, &sizes, &terms, 0, 0, budget) {
                Some(Ok(v)) => return Ok(Term::Const(v)),
                Some(Err(body)) => body,
                None => {
                    return Err(SatError::TooLarge {
                        clauses: 0,
                        limit: 0,
                        at: format!("node %{i} of the SMT-LIB export (ite budget spent)"),
                    })
                }
            }
        }
    };
    let name = format!("{prefix}{i}");
    let _ = writeln!(s, "(define-fun {name} () Int {body})");
    Ok(Term::Name(name))
}

/// The table restricted to the arguments from `k` on, at row offset `base`: a constant
/// (`Ok`) or an `ite` text (`Err`); `None` when the budget is spent.
fn ite(
    data: &[u32],
    sizes: &[usize],
    terms: &[Term],
    k: usize,
    base: usize,
    budget: &mut usize,
) -> Option<Result<u32, String>> {
    if k == terms.len() {
        *budget = budget.checked_sub(1)?;
        return Some(Ok(data[base]));
    }
    let stride: usize = sizes[k + 1..].iter().product();
    match &terms[k] {
        Term::Const(v) => ite(
            data,
            sizes,
            terms,
            k + 1,
            base + *v as usize * stride,
            budget,
        ),
        Term::Name(n) => {
            let subs: Vec<Result<u32, String>> = (0..sizes[k])
                .map(|v| ite(data, sizes, terms, k + 1, base + v * stride, budget))
                .collect::<Option<_>>()?;
            if let Ok(first) = subs[0] {
                if subs.iter().all(|x| *x == Ok(first)) {
                    return Some(Ok(first));
                }
            }
            let text = |r: &Result<u32, String>| match r {
                Ok(v) => v.to_string(),
                Err(t) => t.clone(),
            };
            let arms: Vec<String> = subs.iter().map(text).collect();
            Some(Err(ite_chain(n, &arms)))
        }
    }
}

/// `(ite (= sel 0) arms[0] (ite (= sel 1) arms[1] … arms[last]))`: the arm the value of `sel`
/// picks (the last arm for every value from `arms.len() - 1` on; `0` when there is none).
fn ite_chain(sel: &str, arms: &[String]) -> String {
    let Some((last, rest)) = arms.split_last() else {
        return "0".to_string();
    };
    let mut body = last.clone();
    for (v, arm) in rest.iter().enumerate().rev() {
        body = format!("(ite (= {sel} {v}) {arm} {body})");
    }
    body
}

/// Reads an SMT solver's answer to the script of [`smtlib`] (`sat` and the `get-value` list)
/// into an assignment; `None` when the answer is not `sat` or a hole is missing or out of its
/// domain.
pub fn parse_values(g: &Graph, answer: &str) -> Option<Assignment> {
    let mut lines = answer.lines();
    if lines.next()?.trim() != "sat" {
        return None;
    }
    let rest: String = lines.collect::<Vec<_>>().join(" ");
    let spaced = rest.replace('(', " ( ").replace(')', " ) ");
    let toks: Vec<&str> = spaced.split_whitespace().collect();
    let mut values = std::collections::HashMap::new();
    for w in toks.windows(2) {
        if w[0].starts_with('|') {
            if let Ok(v) = w[1].parse::<u32>() {
                values.insert(w[0].to_string(), v);
            }
        }
    }
    let a: Option<Vec<u32>> = g
        .holes
        .iter()
        .map(|h| {
            let v = *values.get(&hole_symbol(&h.name))?;
            (v < g.domain(h.domain).size).then_some(v)
        })
        .collect();
    a.map(Assignment)
}
