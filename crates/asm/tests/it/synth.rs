use weft_asm::compile::compile;
use weft_asm::diff::Shape;
use weft_asm::experiment::{run_cell, Config, Init, Method};
use weft_asm::machine::Machine;
use weft_asm::op::Op;
use weft_asm::program::parse;
use weft_asm::rng::Rng;
use weft_asm::task;
use weft_asm::template::{enumerate, Template, CANONICAL};
use weft_asm::tune::{tune, TuneConfig};

#[test]
fn listing1_programs_are_templates() {
    let map = parse(
        "map_loop:\nread 1 2\ninc 2 2\nwrite 1 2\ninc 1 1\njump 3 -> map_loop\n",
        4,
    )
    .unwrap();
    let t = Template::Map {
        op: Op::Inc,
        pad: 0,
    };
    assert_eq!(t.expand_with([1, 2, 4, 3, 5], 4).unwrap(), map);
    let sum = parse(
        "inc 4 4\ninc 4 4\nsum_loop:\nread 3 2\nadd 1 2 1\ninc 3 3\nmax 3 4 5\nsub 4 5 5\njump 5 -> sum_loop\nwrite 3 1\nstop\n",
        5,
    )
    .unwrap();
    let t = Template::Counted { n: 3, op: Op::Add };
    assert_eq!(t.expand_with(CANONICAL, 5).unwrap(), sum);
    let fib = parse(
        "inc 2 2\nfib_loop:\nwrite 3 2\nadd 1 2 2\nread 3 1\nwrite 3 2\ninc 3 3\njump 4 -> fib_loop\n",
        4,
    )
    .unwrap();
    assert_eq!(
        Template::Rec2 {
            op: Op::Add,
            pad: 0
        }
        .expand(4)
        .unwrap(),
        fib
    );
    // Padding adds no-ops; the 5-register template is refused on a 4-register machine.
    let padded = Template::Map {
        op: Op::Dec,
        pad: 2,
    }
    .expand(4)
    .unwrap();
    assert_eq!(padded.instrs.iter().filter(|i| i.op == Op::Noop).count(), 2);
    assert!(Template::Counted { n: 3, op: Op::Add }.expand(4).is_err());
}

#[test]
fn enumeration_is_ordered_and_fits() {
    let c = enumerate(1, 4, None);
    assert_eq!(c.len(), 82);
    assert!(c.windows(2).all(|w| w[0].1.len() <= w[1].1.len()));
    assert!(c.iter().all(|(_, p)| p.validate(4).is_ok()));
    let short = enumerate(1, 4, Some(5));
    assert!(short.iter().all(|(_, p)| p.len() <= 5));
    assert!(enumerate(0, 5, None)
        .iter()
        .any(|(t, _)| matches!(t, Template::Counted { .. })));
}

#[test]
fn synthesis_and_both_recover_table1_tasks() {
    let cfg = Config {
        runs: 3,
        ..Config::default()
    };
    for name in task::TABLE1 {
        let t = task::get(name).unwrap();
        for m in [Method::Synthesis, Method::Both] {
            let r = run_cell(m, &t, &cfg).unwrap();
            assert_eq!(r.recovered, 3, "{name} {m:?}");
            let p = r.program.unwrap();
            let ex = t.examples(200, &mut Rng::new(99));
            assert!(task::verify(&t.machine, &p, &ex), "{name}");
        }
    }
}

#[test]
fn tuning_turns_map_inc_into_map_dec() {
    // A near miss: Listing 1's map with `inc`, compiled with noise, tuned on map-dec.
    let t = task::get("map-dec").unwrap();
    let init = parse(
        "l:\nread 1 2\ninc 2 2\nwrite 1 2\ninc 1 1\njump 3 -> l\n",
        4,
    )
    .unwrap();
    let shape = Shape {
        lines: init.len(),
        registers: 4,
    };
    let root = Rng::new(1);
    let runs = 16;
    let mut w = Vec::new();
    for r in 0..runs {
        w.extend(compile(&init, &shape, 0.3, &mut root.fork(r)).unwrap());
    }
    let mut rng = Rng::new(2);
    let train = t.examples(8, &mut rng);
    let held = t.examples(64, &mut rng);
    let cfg = TuneConfig {
        steps: 200,
        ..TuneConfig::default()
    };
    let out = tune(&t.machine, shape, w, &train, &held, &cfg).unwrap();
    let ok: Vec<_> = out.iter().filter(|o| o.recovered).collect();
    assert!(!ok.is_empty(), "no run recovered map-dec");
    for o in ok {
        assert!(task::verify(
            &t.machine,
            &o.program,
            &t.examples(300, &mut Rng::new(5))
        ));
        assert!(o.step.unwrap() > 0);
    }
}

#[test]
fn init_rows_run_and_bad_machines_are_errors() {
    let t = task::get("inc").unwrap();
    let cfg = Config {
        runs: 2,
        tune: TuneConfig {
            steps: 20,
            ..TuneConfig::default()
        },
        ..Config::default()
    };
    let r = run_cell(Method::Init(Init::LoopNoop), &t, &cfg).unwrap();
    assert!(r.recovered <= 2);
    assert!(run_cell(Method::Optimization, &t, &Config { runs: 0, ..cfg }).is_err());
    let small = Machine {
        registers: 4,
        base: 8,
        cells: 3,
        steps: 30,
    };
    assert!(task::get("reduce").unwrap().with_machine(small).is_err());
    assert!(task::get("reduce")
        .unwrap()
        .with_machine(Machine {
            registers: 2,
            ..Machine::default()
        })
        .is_err());
    assert!(task::get("nope").is_err());
    assert!(task::get("swap")
        .unwrap()
        .with_machine(Machine::default())
        .is_ok());
}

/// The estimate of a tuning: four `f32` per logit of every run dominate its memory, and its
/// work is runs × examples × Adam steps × machine steps × the work of one step.
#[test]
fn the_cost_of_a_tuning_is_worked_out_from_its_sizes() {
    let m = Machine {
        registers: 4,
        base: 8,
        cells: 8,
        steps: 24,
    };
    let shape = Shape {
        lines: 256,
        registers: 4,
    };
    let cfg = TuneConfig::default();
    // 256 lines of 13 + 3·4 + 257 logits; 5·8² + (3·4 + 2·8)·8 for the table and state.
    assert_eq!(shape.params(), 72_192);
    assert_eq!(weft_asm::tune::step_work(&m, &shape), 72_192 + 320 + 224);
    let one = weft_asm::tune::cost(&m, &shape, 1, 8, &cfg);
    let many = weft_asm::tune::cost(&m, &shape, 1001, 8, &cfg);
    // Plus, per run, its loss and its decompiled program (a few words a line).
    let per_run = (many.bytes - one.bytes) / 1000;
    assert!(
        (16 * 72_192..16 * 72_192 + 64 * 256).contains(&per_run),
        "{per_run}"
    );
    assert_eq!(many.work, 1001.0 * 8.0 * 200.0 * 24.0 * 72_736.0);
    assert_eq!(
        weft_asm::tune::cost(&m, &shape, 1, 8, &TuneConfig { steps: 0, ..cfg }).work,
        0.0
    );
}
