//! Tasks: an input distribution, the expected output (with masks), the machine it runs on and
//! a reference program that solves it.

use crate::diff::Example;
use crate::machine::{run_unchecked, Machine};
use crate::program::{parse, Program};
use crate::rng::Rng;
use crate::Error;

/// The tasks: seed 003's Table 1 columns, then ANC's tasks.
pub const TASKS: &[&str] = &[
    "inc",
    "map-inc",
    "map-dec",
    "reduce",
    "parity",
    "fibonacci",
    "access",
    "increment",
    "swap",
    "list-k",
    "addition",
    "sort",
];

/// Seed 003's Table 1 columns.
pub const TABLE1: &[&str] = &["inc", "map-inc", "map-dec", "reduce", "parity", "fibonacci"];

/// A task.
#[derive(Clone, Debug)]
pub struct Task {
    /// Name (one of [`TASKS`]).
    pub name: &'static str,
    /// What it computes.
    pub description: &'static str,
    /// The machine it runs on.
    pub machine: Machine,
    /// A reference program (Listing 1 style).
    pub reference: &'static str,
    gen: fn(&Machine, &mut Rng) -> Example,
}

const LIST: usize = 4;

fn rand_mem(m: &Machine, rng: &mut Rng) -> Vec<usize> {
    (0..m.cells).map(|_| rng.below(m.base)).collect()
}

fn keep(input: &[usize], cells: std::ops::Range<usize>) -> Vec<Option<usize>> {
    input
        .iter()
        .enumerate()
        .map(|(i, &v)| cells.contains(&i).then_some(v))
        .collect()
}

fn gen_inc(m: &Machine, rng: &mut Rng) -> Example {
    let input = rand_mem(m, rng);
    let mut memory: Vec<Option<usize>> = input.iter().map(|&v| Some(v)).collect();
    memory[0] = Some((input[0] + 1) % m.base);
    Example {
        input,
        memory,
        registers: vec![],
    }
}

fn gen_map(m: &Machine, rng: &mut Rng, delta: usize) -> Example {
    let mut input = vec![0; m.cells];
    for v in input.iter_mut().take(LIST) {
        *v = rng.below(m.base);
    }
    let memory = (0..m.cells)
        .map(|i| (i < LIST).then(|| (input[i] + delta) % m.base))
        .collect();
    Example {
        input,
        memory,
        registers: vec![],
    }
}

fn gen_map_inc(m: &Machine, rng: &mut Rng) -> Example {
    gen_map(m, rng, 1)
}

fn gen_map_dec(m: &Machine, rng: &mut Rng) -> Example {
    gen_map(m, rng, m.base - 1)
}

/// List in cells 1..=4, cell 0 gets `f(list)`, zeros after the list.
fn gen_fold(m: &Machine, rng: &mut Rng, bits: bool, f: fn(&[usize], usize) -> usize) -> Example {
    let mut input = vec![0; m.cells];
    input[0] = rng.below(m.base);
    for v in input.iter_mut().skip(1).take(LIST) {
        *v = rng.below(if bits { 2 } else { m.base });
    }
    let mut memory = keep(&input, 1..LIST + 1);
    memory[0] = Some(f(&input[1..=LIST], m.base));
    Example {
        input,
        memory,
        registers: vec![],
    }
}

fn gen_reduce(m: &Machine, rng: &mut Rng) -> Example {
    gen_fold(m, rng, false, |xs, b| xs.iter().sum::<usize>() % b)
}

fn gen_parity(m: &Machine, rng: &mut Rng) -> Example {
    gen_fold(m, rng, true, |xs, _| xs.iter().fold(0, |a, x| a ^ x))
}

fn gen_fib(m: &Machine, rng: &mut Rng) -> Example {
    let input = rand_mem(m, rng);
    let (mut a, mut b) = (0, 1);
    let memory = (0..m.cells)
        .map(|i| {
            (i < LIST).then(|| {
                let c = (a + b) % m.base;
                a = b;
                b = c;
                c
            })
        })
        .collect();
    Example {
        input,
        memory,
        registers: vec![],
    }
}

/// ANC access: `mem[0] = k`, write `mem[k]` to cell 0 (k in 1..cells).
fn gen_access(m: &Machine, rng: &mut Rng) -> Example {
    let mut input = rand_mem(m, rng);
    input[0] = 1 + rng.below(m.cells - 1);
    let mut memory = keep(&input, 1..m.cells);
    memory[0] = Some(input[input[0]]);
    Example {
        input,
        memory,
        registers: vec![],
    }
}

/// ANC increment: a list of non-zero values terminated by 0; increment each.
fn gen_increment(m: &Machine, rng: &mut Rng) -> Example {
    let len = rng.below(m.cells - 1);
    let mut input = vec![0; m.cells];
    for v in input.iter_mut().take(len) {
        *v = 1 + rng.below(m.base - 2);
    }
    let memory = (0..m.cells)
        .map(|i| Some(if i < len { input[i] + 1 } else { input[i] }))
        .collect();
    Example {
        input,
        memory,
        registers: vec![],
    }
}

/// ANC swap: `mem[0] = p`, `mem[1] = q`; swap `mem[p]` and `mem[q]`.
fn gen_swap(m: &Machine, rng: &mut Rng) -> Example {
    let mut input = rand_mem(m, rng);
    let p = 2 + rng.below(m.cells - 2);
    let q = 2 + rng.below(m.cells - 2);
    input[0] = p;
    input[1] = q;
    let mut out = input.clone();
    out.swap(p, q);
    Example {
        input,
        memory: out.into_iter().map(Some).collect(),
        registers: vec![],
    }
}

/// ANC list-k: a linked list from `mem[0]` (cells hold `next, value` pairs); `mem[1] = k`;
/// output the k-th value in cell 0.
fn gen_list_k(m: &Machine, rng: &mut Rng) -> Example {
    // Nodes at cells 2,4,6,...: node i at 2+2*perm[i]: (next, value).
    let nodes = (m.cells - 2) / 2;
    let mut perm: Vec<usize> = (0..nodes).collect();
    for i in (1..nodes).rev() {
        let j = rng.below(i + 1);
        perm.swap(i, j);
    }
    let mut input = vec![0; m.cells];
    let addr = |i: usize| 2 + 2 * perm[i];
    input[0] = addr(0);
    for i in 0..nodes {
        input[addr(i)] = if i + 1 < nodes { addr(i + 1) } else { 0 };
        input[addr(i) + 1] = rng.below(m.base);
    }
    let k = rng.below(nodes);
    input[1] = k;
    let mut memory = keep(&input, 1..m.cells);
    memory[0] = Some(input[addr(k) + 1]);
    Example {
        input,
        memory,
        registers: vec![],
    }
}

/// ANC addition (simplified to one digit pair): `mem[0] + mem[1]` into cell 0 (mod b) and the
/// carry into cell 1.
fn gen_addition(m: &Machine, rng: &mut Rng) -> Example {
    let mut input = rand_mem(m, rng);
    input[0] = rng.below(m.base);
    input[1] = rng.below(m.base);
    let s = input[0] + input[1];
    let mut memory = keep(&input, 2..m.cells);
    memory[0] = Some(s % m.base);
    memory[1] = Some(usize::from(s >= m.base));
    Example {
        input,
        memory,
        registers: vec![],
    }
}

/// ANC sort (two cells): order `mem[0], mem[1]` ascending.
fn gen_sort(m: &Machine, rng: &mut Rng) -> Example {
    let input = rand_mem(m, rng);
    let mut memory = keep(&input, 2..m.cells);
    memory[0] = Some(input[0].min(input[1]));
    memory[1] = Some(input[0].max(input[1]));
    Example {
        input,
        memory,
        registers: vec![],
    }
}

const fn mach(registers: usize, steps: usize) -> Machine {
    Machine {
        registers,
        base: 8,
        cells: 8,
        steps,
    }
}

/// All tasks.
pub fn all() -> Vec<Task> {
    vec![
        Task {
            name: "inc",
            description: "increment cell 0",
            machine: mach(4, 6),
            reference: "read 1 2\ninc 2 2\nwrite 1 2\nstop\n",
            gen: gen_inc,
        },
        Task {
            name: "map-inc",
            description: "add 1 to each of cells 0..4",
            machine: mach(4, 24),
            reference: "map_loop:\nread 1 2\ninc 2 2\nwrite 1 2\ninc 1 1\njump 3 -> map_loop\n",
            gen: gen_map_inc,
        },
        Task {
            name: "map-dec",
            description: "subtract 1 from each of cells 0..4",
            machine: mach(4, 24),
            reference: "map_loop:\nread 1 2\ndec 2 2\nwrite 1 2\ninc 1 1\njump 3 -> map_loop\n",
            gen: gen_map_dec,
        },
        Task {
            name: "reduce",
            description: "cell 0 = sum of cells 1..=4 (mod base)",
            machine: mach(4, 24),
            reference: "sum_loop:\ninc 1 1\nread 1 2\nadd 3 2 3\nwrite 4 3\njump 4 -> sum_loop\n",
            gen: gen_reduce,
        },
        Task {
            name: "parity",
            description: "cell 0 = xor of the bits in cells 1..=4",
            machine: mach(4, 28),
            reference:
                "par_loop:\ninc 1 1\nread 1 2\neq 3 2 3\neq 3 4 3\nwrite 4 3\njump 4 -> par_loop\n",
            gen: gen_parity,
        },
        Task {
            name: "fibonacci",
            description: "cells 0..4 = 1 2 3 5 (Fibonacci mod base), whatever the memory held",
            machine: mach(4, 29),
            reference: "inc 2 2\nfib_loop:\nwrite 3 2\nadd 1 2 2\nread 3 1\nwrite 3 2\ninc 3 3\njump 4 -> fib_loop\n",
            gen: gen_fib,
        },
        Task {
            name: "access",
            description: "cell 0 = mem[mem[0]]",
            machine: mach(4, 5),
            reference: "read 1 2\nread 2 3\nwrite 1 3\nstop\n",
            gen: gen_access,
        },
        Task {
            name: "increment",
            description: "increment each value of a 0-terminated list (ANC)",
            machine: mach(4, 40),
            reference: "loop:\nread 1 2\njump 2 -> end\ninc 2 2\nwrite 1 2\ninc 1 1\njump 3 -> loop\nend:\n",
            gen: gen_increment,
        },
        Task {
            name: "swap",
            description: "swap mem[mem[0]] and mem[mem[1]] (ANC)",
            machine: mach(4, 9),
            reference: "read 1 2\ninc 1 1\nread 1 3\nread 2 4\nread 3 1\nwrite 2 1\nwrite 3 4\nstop\n",
            gen: gen_swap,
        },
        Task {
            name: "list-k",
            description: "value of the k-th node of a linked list (ANC)",
            machine: mach(4, 40),
            reference: "inc 4 4\nread 4 2\nread 1 1\nloop:\njump 2 -> done\nread 1 1\ndec 2 2\njump 3 -> loop\ndone:\ninc 1 1\nread 1 1\nwrite 3 1\nstop\n",
            gen: gen_list_k,
        },
        Task {
            name: "addition",
            description: "cell 0, cell 1 = (a + b) mod base, carry (ANC, one digit)",
            machine: mach(4, 12),
            reference: "inc 4 4\nread 1 1\nread 4 2\nadd 1 2 3\nmin 3 1 2\neq 2 1 2\nzero 1\neq 2 1 2\nwrite 1 3\nwrite 4 2\nstop\n",
            gen: gen_addition,
        },
        Task {
            name: "sort",
            description: "sort cells 0 and 1 (ANC sort, two elements)",
            machine: mach(4, 10),
            reference: "read 1 2\ninc 1 1\nread 1 3\nmin 2 3 4\nmax 2 3 2\nwrite 1 2\nzero 3\nwrite 3 4\nstop\n",
            gen: gen_sort,
        },
    ]
}

/// A task by name.
pub fn get(name: &str) -> Result<Task, Error> {
    all().into_iter().find(|t| t.name == name).ok_or_else(|| {
        Error::Config(format!(
            "unknown task `{name}` (known: {})",
            TASKS.join(", ")
        ))
    })
}

impl Task {
    /// `n` examples drawn from `rng`.
    pub fn examples(&self, n: usize, rng: &mut Rng) -> Vec<Example> {
        (0..n).map(|_| (self.gen)(&self.machine, rng)).collect()
    }

    /// The reference program.
    pub fn reference_program(&self) -> Result<Program, Error> {
        parse(self.reference, self.machine.registers.max(4)).map_err(Error::Parse)
    }

    /// The task on another machine, if its memory layout and reference program fit.
    pub fn with_machine(&self, machine: Machine) -> Result<Task, Error> {
        machine.validate()?;
        let need_cells = match self.name {
            "inc" | "addition" | "sort" => 2,
            "access" | "increment" | "swap" => 3,
            "list-k" => 6,
            _ => LIST + 1,
        };
        if machine.cells < need_cells || machine.base < machine.cells.max(3) {
            return Err(Error::Machine(format!(
                "task `{}` needs at least {need_cells} memory cells and a base at least the \
                 number of cells (and ≥ 3); the machine has {} cells in base {}",
                self.name, machine.cells, machine.base
            )));
        }
        let p = self.reference_program()?;
        let regs = p.max_register().map_or(0, |r| r + 1);
        if machine.registers < regs {
            return Err(Error::Machine(format!(
                "task `{}` needs {regs} registers; the machine has {}",
                self.name, machine.registers
            )));
        }
        Ok(Task {
            machine,
            ..self.clone()
        })
    }
}

/// Whether `program` solves every example exactly (observational equivalence on the sample).
pub fn verify(machine: &Machine, program: &Program, examples: &[Example]) -> bool {
    if machine.validate().is_err() || program.validate(machine.registers).is_err() {
        return false;
    }
    examples.iter().all(|ex| {
        if machine.check_memory(&ex.input).is_err() {
            return false;
        }
        let out = run_unchecked(machine, program, &ex.input);
        ex.memory
            .iter()
            .zip(&out.memory)
            .all(|(w, &g)| w.is_none_or(|w| w == g))
            && ex
                .registers
                .iter()
                .zip(&out.registers)
                .all(|(w, &g)| w.is_none_or(|w| w == g))
    })
}
