use proptest::prelude::*;
use weft_asm::machine::{run, Machine};
use weft_asm::op::{Op, NUM_OPS};
use weft_asm::program::{parse, print, Instr, Program};
use weft_asm::task;

const MAP: &str = "map_loop:\n  read 1 2\n  inc 2 2\n  write 1 2\n  inc 1 1\n  jump 3 ↪ map_loop\n";
// Listing 1's sum-reduce plus a final `stop`: the instruction register counts modulo the
// program length (seed 003 eq. 9), so a program that should end says so.
const SUM: &str = "inc 4 4\ninc 4 4\nsum_loop:\nread 3 2\nadd 1 2 1\ninc 3 3\nmax 3 4 5\nsub 4 5 5\njump 5 -> sum_loop\nwrite 3 1\nstop\n";
const FIB: &str =
    "inc 2 2\nfib_loop:\nwrite 3 2\nadd 1 2 2\nread 3 1\nwrite 3 2\ninc 3 3\njump 4 -> fib_loop\n";

#[test]
fn listing1_map() {
    let p = parse(MAP, 4).unwrap();
    assert_eq!(p.len(), 5);
    let m = Machine {
        registers: 4,
        base: 8,
        cells: 8,
        steps: 20,
    };
    let out = run(&m, &p, &[1, 2, 7, 4, 0, 0, 0, 0]).unwrap();
    assert_eq!(out.memory, vec![2, 3, 0, 5, 0, 0, 0, 0]);
    assert!(!out.halted);
}

#[test]
fn listing1_sum_reduce() {
    let p = parse(SUM, 5).unwrap();
    let m = Machine {
        registers: 5,
        base: 8,
        cells: 8,
        steps: 100,
    };
    let out = run(&m, &p, &[1, 2, 3, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(out.memory[3], 6);
    assert!(out.halted);
}

#[test]
fn the_instruction_register_wraps_around() {
    // No stop: after the last line comes the first again; only `stop` or a jump to the end
    // (a label after the last line) halts.
    let m = Machine {
        registers: 4,
        base: 8,
        cells: 8,
        steps: 7,
    };
    let p = parse("inc 1 1\nwrite 2 1\n", 4).unwrap();
    let out = run(&m, &p, &[0; 8]).unwrap();
    assert_eq!((out.registers[0], out.memory[0], out.halted), (4, 3, false));
    let p = parse("inc 1 1\njump 2 -> end\nwrite 2 1\nend:\n", 4).unwrap();
    let out = run(&m, &p, &[0; 8]).unwrap();
    assert_eq!((out.registers[0], out.steps, out.halted), (1, 2, true));
}

#[test]
fn listing1_fibonacci() {
    let p = parse(FIB, 4).unwrap();
    let m = Machine {
        registers: 4,
        base: 16,
        cells: 16,
        steps: 1 + 6 * 6,
    };
    let out = run(&m, &p, &[9; 16]).unwrap();
    assert_eq!(&out.memory[..6], &[1, 2, 3, 5, 8, 13]);
}

#[test]
fn diagnostics_have_line_and_column() {
    let e = parse("loop:\n  inc 1 1\n  jump 2 -> nowhere\n", 4).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].line, e[0].col), (3, 13));
    assert!(e[0].message.contains("nowhere"), "{}", e[0]);
    let e = parse("add 1 2 9\nfrob 1\ninc 1\n", 4).unwrap_err();
    assert_eq!(e.len(), 3, "{e:?}");
    assert_eq!((e[0].line, e[0].col), (1, 9));
    assert!(e[0].message.contains("out of range"));
    assert_eq!((e[1].line, e[1].col), (2, 1));
    assert!(e[1].message.contains("unknown instruction"));
    assert_eq!(e[2].line, 3);
    assert!(parse("a:\na:\nstop\n", 4).is_err());
    assert!(parse("inc 0 1\n", 4).is_err());
    assert!(parse("jump 1 ->\n", 4).is_err());
    assert!(parse("inc 1 1 1\n", 4).is_err());
    // Arrow variants: `->`, `↪`, none, and no space.
    for j in [
        "jump 1 -> l",
        "jump 1 ↪ l",
        "jump 1 l",
        "jump 1 ->l",
        "jump r1 -> l",
    ] {
        let p = parse(&format!("l:\n{j}\n"), 4).unwrap();
        assert_eq!(p.instrs[0].target, 0, "{j}");
    }
}

#[test]
fn bad_machines_and_memories_are_errors() {
    let p = parse(MAP, 4).unwrap();
    let m = Machine {
        registers: 4,
        base: 8,
        cells: 8,
        steps: 20,
    };
    assert!(run(&m, &p, &[1, 2, 3]).is_err());
    assert!(run(&m, &p, &[9, 0, 0, 0, 0, 0, 0, 0]).is_err());
    assert!(run(&Machine { cells: 9, ..m }, &p, &[0; 9]).is_err());
    assert!(run(&Machine { registers: 2, ..m }, &p, &[0; 8]).is_err());
    assert!(run(&Machine { base: 0, ..m }, &p, &[]).is_err());
}

#[test]
fn every_reference_program_solves_its_task() {
    let mut rng = weft_asm::rng::Rng::new(7);
    for t in task::all() {
        let p = t.reference_program().unwrap();
        let ex = t.examples(300, &mut rng);
        assert!(task::verify(&t.machine, &p, &ex), "task {}", t.name);
        // The inputs are not already solved by the empty program (every task does work).
        let idle = Program::new(vec![Instr::new(Op::Stop, 0, 0, 0, 0)]);
        assert!(!task::verify(&t.machine, &idle, &ex), "task {}", t.name);
    }
}

pub fn arb_program(registers: usize, max_lines: usize) -> impl Strategy<Value = Program> {
    (1..=max_lines).prop_flat_map(move |n| {
        prop::collection::vec(
            (0..NUM_OPS, 0..registers, 0..registers, 0..registers, 0..=n),
            n,
        )
        .prop_map(|v| {
            Program::new(
                v.into_iter()
                    .map(|(o, a, b, c, t)| Instr::new(Op::ALL[o], a, b, c, t))
                    .collect(),
            )
        })
    })
}

proptest! {
    #[test]
    fn parse_print_roundtrip(p in arb_program(4, 12)) {
        let text = print(&p);
        let q = parse(&text, 4).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(&q, &p);
        prop_assert_eq!(print(&q), text);
    }

    #[test]
    fn parser_never_panics(s in "[a-z0-9 :>\\-\n#↪]{0,80}") {
        let _ = parse(&s, 4);
    }
}
