//! The machine's shape and the exact interpreter.

use crate::op::Op;
use crate::program::Program;
use crate::Error;

/// The shape of a machine: registers, base, tape length and step budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Number of registers (`r1`..`rR`), all 0 at the start.
    pub registers: usize,
    /// Values are integers modulo `base`; addresses are values.
    pub base: usize,
    /// Memory cells (at most `base`, so that every cell has an address).
    pub cells: usize,
    /// Steps run before the state is read off (fewer if the program halts).
    pub steps: usize,
}

impl Default for Machine {
    fn default() -> Machine {
        Machine {
            registers: 4,
            base: 8,
            cells: 8,
            steps: 32,
        }
    }
}

/// Largest base accepted (the einsum over the table is `13·base²` per step).
pub const MAX_BASE: usize = 64;
/// Largest register count accepted.
pub const MAX_REGISTERS: usize = 16;
/// Largest step budget accepted.
pub const MAX_STEPS: usize = 4096;

impl Machine {
    /// Checks the shape.
    pub fn validate(&self) -> Result<(), Error> {
        if self.registers == 0 || self.registers > MAX_REGISTERS {
            return Err(Error::Machine(format!(
                "registers must be in 1..={MAX_REGISTERS}, got {}",
                self.registers
            )));
        }
        if self.base < 2 || self.base > MAX_BASE {
            return Err(Error::Machine(format!(
                "base must be in 2..={MAX_BASE}, got {}",
                self.base
            )));
        }
        if self.cells == 0 || self.cells > self.base {
            return Err(Error::Machine(format!(
                "memory cells must be in 1..=base ({}), got {}",
                self.base, self.cells
            )));
        }
        if self.steps == 0 || self.steps > MAX_STEPS {
            return Err(Error::Machine(format!(
                "steps must be in 1..={MAX_STEPS}, got {}",
                self.steps
            )));
        }
        Ok(())
    }

    /// Checks that a memory fits the machine.
    pub fn check_memory(&self, mem: &[usize]) -> Result<(), Error> {
        if mem.len() != self.cells {
            return Err(Error::Machine(format!(
                "the memory has {} cells, the machine {}",
                mem.len(),
                self.cells
            )));
        }
        if let Some(v) = mem.iter().find(|&&v| v >= self.base) {
            return Err(Error::Machine(format!(
                "memory value {v} does not fit base {}",
                self.base
            )));
        }
        Ok(())
    }
}

/// The state of the exact machine after a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Final registers.
    pub registers: Vec<usize>,
    /// Final memory.
    pub memory: Vec<usize>,
    /// Whether the program halted (`stop` or a jump to the end; running past the last line wraps
    /// around to the first, as the seed's instruction register counts modulo the program).
    pub halted: bool,
    /// Steps executed.
    pub steps: usize,
}

/// Runs `program` exactly on `memory` for at most `machine.steps` steps.
pub fn run(machine: &Machine, program: &Program, memory: &[usize]) -> Result<Outcome, Error> {
    machine.validate()?;
    program.validate(machine.registers)?;
    machine.check_memory(memory)?;
    Ok(run_unchecked(machine, program, memory))
}

/// [`run`] without the checks (the caller has validated machine, program and memory).
pub(crate) fn run_unchecked(machine: &Machine, program: &Program, memory: &[usize]) -> Outcome {
    let b = machine.base;
    let n = program.len();
    let mut r = vec![0usize; machine.registers];
    let mut m = memory.to_vec();
    let mut pc = 0usize;
    let mut steps = 0;
    while steps < machine.steps && pc < n {
        let ins = program.instrs[pc];
        steps += 1;
        // The instruction register counts modulo the program length (seed 003 eq. 9:
        // `l_n = l_t · T_inc`); only `stop` or a jump to the end halts.
        pc = (pc + 1) % n;
        match ins.op {
            Op::Stop => {
                pc = n;
            }
            Op::Noop => {}
            Op::Read => {
                let addr = r[ins.a];
                r[ins.c] = m.get(addr).copied().unwrap_or(0);
            }
            Op::Write => {
                let addr = r[ins.a];
                if addr < m.len() {
                    m[addr] = r[ins.b];
                }
            }
            Op::Jump => {
                if r[ins.a] == 0 {
                    pc = ins.target;
                }
            }
            op => {
                if let Some(v) = op.apply(r[ins.a], r[ins.b], b) {
                    r[ins.c] = v;
                }
            }
        }
    }
    Outcome {
        registers: r,
        memory: m,
        halted: pc >= n,
        steps,
    }
}
