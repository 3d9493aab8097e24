//! Goals as data: a compiled program is an arena of goal nodes plus relation definitions.
//!
//! A goal never captures a Rust closure: it is a node in [`Program`] paired at run time
//! with an environment (the terms bound to the relation's parameters and `fresh`
//! variables). That is what lets the search print every pending branch as an s-expression
//! and lets a policy choose among them. Terms inside goals are [`Tpl`]s: constants, slots
//! of the environment, or a small postfix program that conses them (so instantiating a long
//! quasiquoted list is a loop, not a recursion).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

use crate::constraint::Type;
use crate::subst::{Cells, Subst};
use crate::term::{write_term, Term, VarStyle};
use crate::unify::{occurs, unify_into, Added};

/// An index into [`Program::goals`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GoalId(pub u32);

/// An index into [`Program::rels`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RelId(pub u32);

/// The run-time environment of one relation activation.
pub type Env = Rc<[Term]>;

/// The empty list, for slots out of range.
const NIL: &Term = &Term::Nil;

/// One instruction of a term template.
#[derive(Clone, Debug)]
pub enum Op {
    Const(Term),
    Slot(u16),
    /// Pops the cdr, then the car, pushes their pair.
    Cons,
}

/// A term with holes filled from the environment.
#[derive(Clone, Debug)]
pub enum Tpl {
    Const(Term),
    Slot(u16),
    Build(Rc<[Op]>),
}

impl Tpl {
    /// The term this template denotes in `env`.
    pub fn build(&self, env: &[Term]) -> Term {
        self.build_in(env, &mut Vec::new())
    }

    /// The term a constant or a slot denotes, by reference (`None` for a template that
    /// must be built): `==` and the constraints read their operands in place instead of
    /// cloning them.
    #[inline]
    pub(crate) fn get<'a>(&'a self, env: &'a [Term]) -> Option<&'a Term> {
        match self {
            Tpl::Const(t) => Some(t),
            Tpl::Slot(i) => Some(env.get(*i as usize).unwrap_or(NIL)),
            Tpl::Build(_) => None,
        }
    }

    /// [`Tpl::build`] with a scratch stack (left empty), so that the search allocates none.
    pub fn build_in(&self, env: &[Term], stack: &mut Vec<Term>) -> Term {
        match self {
            Tpl::Const(t) => t.clone(),
            Tpl::Slot(i) => env.get(*i as usize).cloned().unwrap_or(Term::Nil),
            Tpl::Build(ops) => build_ops(ops, env, stack),
        }
    }

    /// Unifies the term this template denotes in `env` with `t`, as
    /// [`unify_into`](crate::unify::unify_into) would (same bindings, in the same order),
    /// but without building the parts of the template that meet pairs: a quasiquoted
    /// pattern taking a bound term apart allocates nothing, and one that does not match
    /// fails at the first mismatch. Only a part that meets an unbound variable is built (to
    /// be bound to it).
    pub(crate) fn unify_into(
        &self,
        env: &[Term],
        t: &Term,
        s: &mut Subst,
        cells: &mut Cells,
        added: &mut Added,
        stack: &mut Vec<Term>,
    ) -> bool {
        let Tpl::Build(ops) = self else {
            return unify_into(&self.build_in(env, stack), t, s, cells, added);
        };
        // `start[k]`: where the subterm whose last instruction is `k` begins. A `Cons`'s
        // cdr ends just before it and its car just before the cdr begins, so one pass
        // suffices (a malformed program is built and unified instead).
        let mut start = std::mem::take(&mut cells.spans);
        start.clear();
        let mut ok = !ops.is_empty();
        for (k, op) in ops.iter().enumerate() {
            let begins = match op {
                Op::Const(_) | Op::Slot(_) => Some(k as u32),
                Op::Cons => start
                    .get(k.wrapping_sub(1))
                    .and_then(|&cdr| start.get((cdr as usize).wrapping_sub(1)))
                    .copied(),
            };
            match begins {
                Some(b) => start.push(b),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || start.last() != Some(&0) {
            cells.spans = start;
            return unify_into(&self.build_in(env, stack), t, s, cells, added);
        }
        // Pre-order, car before cdr, as `unify_into` walks two terms.
        let mut work = std::mem::take(&mut cells.work);
        work.clear();
        work.push((ops.len() as u32 - 1, t.clone()));
        let mut ok = true;
        while let Some((e, target)) = work.pop() {
            let e = e as usize;
            ok = match &ops[e] {
                Op::Const(c) => unify_into(c, &target, s, cells, added),
                Op::Slot(i) => {
                    let u = env.get(*i as usize).unwrap_or(NIL);
                    unify_into(u, &target, s, cells, added)
                }
                Op::Cons => match s.walk(cells, &target).clone() {
                    Term::Pair(p) => {
                        // The cdr's subterm ends just before this `Cons`; the car's just
                        // before the cdr's begins.
                        let cdr_end = e - 1;
                        let car_end = start[cdr_end] as usize - 1;
                        work.push((cdr_end as u32, p.cdr().clone()));
                        work.push((car_end as u32, p.car().clone()));
                        true
                    }
                    Term::Var(x) => {
                        let u = build_ops(&ops[start[e] as usize..=e], env, stack);
                        if occurs(x, &u, s, cells) {
                            false
                        } else {
                            if cells.quiet {
                                s.bind(cells, x, u);
                            } else {
                                s.bind(cells, x, u.clone());
                                added.push((x, u));
                            }
                            true
                        }
                    }
                    _ => false,
                },
            };
            if !ok {
                break;
            }
        }
        work.clear();
        cells.work = work;
        cells.spans = start;
        ok
    }

    /// `(cons a d)` of two templates.
    pub fn cons(a: Tpl, d: Tpl) -> Tpl {
        if let (Tpl::Const(x), Tpl::Const(y)) = (&a, &d) {
            return Tpl::Const(Term::cons(x.clone(), y.clone()));
        }
        let mut ops = Vec::new();
        for t in [a, d] {
            match t {
                Tpl::Const(t) => ops.push(Op::Const(t)),
                Tpl::Slot(i) => ops.push(Op::Slot(i)),
                Tpl::Build(o) => ops.extend(o.iter().cloned()),
            }
        }
        ops.push(Op::Cons);
        Tpl::Build(ops.into())
    }
}

/// Runs a postfix template program (left-over stack entries are ignored).
fn build_ops(ops: &[Op], env: &[Term], stack: &mut Vec<Term>) -> Term {
    stack.clear();
    for op in ops {
        match op {
            Op::Const(t) => stack.push(t.clone()),
            Op::Slot(i) => stack.push(env.get(*i as usize).cloned().unwrap_or(Term::Nil)),
            Op::Cons => {
                let d = stack.pop().unwrap_or(Term::Nil);
                let a = stack.pop().unwrap_or(Term::Nil);
                stack.push(Term::cons(a, d));
            }
        }
    }
    let t = stack.pop().unwrap_or(Term::Nil);
    stack.clear();
    t
}

/// A goal node.
#[derive(Clone, Debug)]
pub enum Goal {
    Succeed,
    Fail,
    Eq(Tpl, Tpl),
    Neq(Tpl, Tpl),
    Type(Type, Tpl),
    Absento(Tpl, Tpl),
    /// Goals run in sequence: the first is applied, the rest are bound over its stream.
    Conj(Vec<GoalId>),
    /// A suspension that allocates fresh variables into `slots`, then runs `body`.
    Fresh {
        slots: Vec<u16>,
        body: GoalId,
    },
    /// A suspension that runs its clauses (each a goal) interleaved.
    Conde(Vec<GoalId>),
    /// A call of a relation.
    Call {
        rel: RelId,
        args: Vec<Tpl>,
    },
    /// The end of a `run`: yields the state as an answer.
    Reify,
}

impl Goal {
    /// Whether the goal's stream is always empty or a single state, computed on the spot
    /// (no suspension, no branching): `succeed`, `fail` and the constraints.
    pub fn is_immediate(&self) -> bool {
        matches!(
            self,
            Goal::Succeed
                | Goal::Fail
                | Goal::Eq(..)
                | Goal::Neq(..)
                | Goal::Type(..)
                | Goal::Absento(..)
        )
    }
}

/// A relation definition.
#[derive(Clone, Debug)]
pub struct Rel {
    pub name: String,
    pub arity: usize,
    /// The initial environment: parameters, then one slot per `fresh` variable (holding its
    /// name until the variable is allocated, so pending goals print readably).
    pub frame: Rc<[Term]>,
    pub body: GoalId,
}

/// A compiled program: relations and the goals they are made of.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub goals: Vec<Goal>,
    pub rels: Vec<Rel>,
    pub by_name: HashMap<String, RelId>,
}

impl Program {
    pub fn new() -> Program {
        Program::default()
    }

    /// Adds a goal node.
    pub fn add(&mut self, g: Goal) -> GoalId {
        self.goals.push(g);
        GoalId(self.goals.len() as u32 - 1)
    }

    pub fn goal(&self, id: GoalId) -> &Goal {
        self.goals.get(id.0 as usize).unwrap_or(&Goal::Fail)
    }

    pub fn rel(&self, id: RelId) -> Option<&Rel> {
        self.rels.get(id.0 as usize)
    }

    pub fn lookup(&self, name: &str) -> Option<RelId> {
        self.by_name.get(name).copied()
    }

    /// Declares a relation (its body is set later by [`Program::define`]), so that
    /// mutually recursive relations can refer to each other.
    pub fn declare(&mut self, name: &str, arity: usize) -> RelId {
        if let Some(id) = self.lookup(name) {
            return id;
        }
        let id = RelId(self.rels.len() as u32);
        let fail = self.add(Goal::Fail);
        self.rels.push(Rel {
            name: name.to_string(),
            arity,
            frame: Rc::from(Vec::new()),
            body: fail,
        });
        self.by_name.insert(name.to_string(), id);
        id
    }

    /// Sets a declared relation's body and frame.
    pub fn define(&mut self, id: RelId, arity: usize, frame: Vec<Term>, body: GoalId) {
        if let Some(r) = self.rels.get_mut(id.0 as usize) {
            r.arity = arity;
            r.frame = frame.into();
            r.body = body;
        }
    }

    /// Writes a goal (in `env`, terms walked by `walk`) as an s-expression.
    pub(crate) fn write_goal(
        &self,
        out: &mut String,
        g: GoalId,
        env: &[Term],
        walk: &dyn Fn(&Term) -> Term,
    ) {
        // Iterative: nested goals are pushed as jobs.
        enum Job {
            Goal(GoalId),
            Text(&'static str),
            Sep,
        }
        let mut jobs = vec![Job::Goal(g)];
        let term = |out: &mut String, t: &Tpl| {
            let _ = write_term(out, &walk(&t.build(env)), VarStyle::Raw);
        };
        while let Some(job) = jobs.pop() {
            let g = match job {
                Job::Text(s) => {
                    out.push_str(s);
                    continue;
                }
                Job::Sep => {
                    out.push(' ');
                    continue;
                }
                Job::Goal(g) => g,
            };
            match self.goal(g) {
                Goal::Succeed => out.push_str("succeed"),
                Goal::Fail => out.push_str("fail"),
                Goal::Reify => out.push_str("reify"),
                Goal::Eq(a, b) | Goal::Neq(a, b) | Goal::Absento(a, b) => {
                    let name = match self.goal(g) {
                        Goal::Eq(..) => "==",
                        Goal::Neq(..) => "=/=",
                        _ => "absento",
                    };
                    let _ = write!(out, "({name} ");
                    term(out, a);
                    out.push(' ');
                    term(out, b);
                    out.push(')');
                }
                Goal::Type(ty, a) => {
                    let _ = write!(out, "({} ", ty.goal());
                    term(out, a);
                    out.push(')');
                }
                Goal::Call { rel, args } => {
                    let name = self.rel(*rel).map(|r| r.name.as_str()).unwrap_or("?");
                    let _ = write!(out, "({name}");
                    for a in args {
                        out.push(' ');
                        term(out, a);
                    }
                    out.push(')');
                }
                Goal::Conj(gs) => {
                    out.push_str("(conj");
                    jobs.push(Job::Text(")"));
                    for x in gs.iter().rev() {
                        jobs.push(Job::Goal(*x));
                        jobs.push(Job::Sep);
                    }
                }
                Goal::Fresh { slots, body } => {
                    out.push_str("(fresh (");
                    for (i, s) in slots.iter().enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        term(out, &Tpl::Slot(*s));
                    }
                    out.push(')');
                    jobs.push(Job::Text(")"));
                    jobs.push(Job::Goal(*body));
                    jobs.push(Job::Sep);
                }
                Goal::Conde(cs) => {
                    out.push_str("(conde");
                    jobs.push(Job::Text(")"));
                    for x in cs.iter().rev() {
                        jobs.push(Job::Goal(*x));
                        jobs.push(Job::Sep);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Var;

    /// Matching a template against a term binds exactly what building it and unifying
    /// would, in the same order, and fails exactly when that fails.
    #[test]
    fn template_unification_agrees_with_building() {
        let v = |i| Term::Var(Var(i));
        let sym = Term::sym;
        // `(lambda (,x) ,body)` and `(,a ,a . ,d)` in env [x, body, a, d].
        let lam = Tpl::cons(
            Tpl::Const(sym("lambda")),
            Tpl::cons(
                Tpl::cons(Tpl::Slot(0), Tpl::Const(Term::Nil)),
                Tpl::cons(Tpl::Slot(1), Tpl::Const(Term::Nil)),
            ),
        );
        let twice = Tpl::cons(Tpl::Slot(2), Tpl::cons(Tpl::Slot(2), Tpl::Slot(3)));
        let env = [v(0), v(1), v(2), v(3)];
        let targets = [
            v(4),
            Term::list([sym("lambda"), Term::list([sym("y")]), v(5)]),
            Term::list([sym("quote"), v(5)]),
            Term::list([sym("lambda"), v(5), v(6)]),
            Term::list_with_tail([Term::Int(1), v(5)], v(6)),
            Term::list([Term::Int(1), Term::Int(2)]),
            Term::list([v(5), v(5), v(2)]),
        ];
        for tpl in [&lam, &twice] {
            for t in &targets {
                let mut cells = Cells::new();
                cells.fresh(8, 0);
                let s0 = Subst::new();
                let (mut s1, mut a1) = (s0.clone(), Vec::new());
                let built = tpl.build(&env);
                let ok1 = unify_into(&built, t, &mut s1, &mut cells, &mut a1);
                let (mut s2, mut a2) = (s0.clone(), Vec::new());
                let ok2 = tpl.unify_into(&env, t, &mut s2, &mut cells, &mut a2, &mut Vec::new());
                assert_eq!(ok1, ok2, "{t}");
                if ok1 {
                    assert_eq!(format!("{a1:?}"), format!("{a2:?}"), "{t}: bindings differ");
                    let w = |s: &Subst| s.walk_star(&cells, &built).to_string();
                    assert_eq!(w(&s1), w(&s2));
                }
            }
        }
    }
}
