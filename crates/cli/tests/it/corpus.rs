//! Every benchmark task checks, and its known answer evaluates to all-pass.

use crate::{root, stderr, stdout, weft};

/// (task, sketch, data, hypers, answer, --set) rows of `benchmarks/terpret/tasks.json`.
fn tasks() -> Vec<(String, Vec<String>, String)> {
    let text =
        std::fs::read_to_string(root().join("benchmarks/terpret/tasks.json")).expect("tasks.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("tasks.json is JSON");
    let mut out = Vec::new();
    for t in v.as_array().expect("an array of tasks") {
        let dir = "benchmarks/terpret/";
        let s = |k: &str| {
            t.get(k)
                .and_then(|x| x.as_str())
                .map(|x| format!("{dir}{x}"))
        };
        let mut args = vec![s("sketch").expect("sketch")];
        if let Some(d) = s("data") {
            args.extend(["--data".to_string(), d]);
        }
        if let Some(h) = s("hypers") {
            args.extend(["--hypers".to_string(), h]);
        }
        if let Some(set) = t.get("set").and_then(|x| x.as_object()) {
            for (k, v) in set {
                args.extend(["--set".to_string(), format!("{k}={v}")]);
            }
        }
        let name = t["task"].as_str().expect("task name").to_string();
        out.push((name, args, s("answer").expect("answer")));
    }
    out
}

#[test]
fn every_benchmark_sketch_checks() {
    let tasks = tasks();
    assert!(tasks.len() >= 12, "the TerpreT suite has at least 12 tasks");
    for (name, args, _) in &tasks {
        let mut a = vec!["check"];
        a.extend(args.iter().map(|s| s.as_str()));
        let o = weft(&a);
        assert!(o.status.success(), "{name}: check failed:\n{}", stderr(&o));
        assert!(stdout(&o).contains("ok"), "{name}: {}", stdout(&o));
    }
}

#[test]
fn every_known_answer_passes_every_example() {
    for (name, args, answer) in tasks() {
        let mut a = vec!["run"];
        a.extend(args.iter().map(|s| s.as_str()));
        a.extend(["--holes", answer.as_str(), "--json"]);
        let o = weft(&a);
        assert!(
            o.status.success(),
            "{name}: run failed:\n{}{}",
            stdout(&o),
            stderr(&o)
        );
        let v: serde_json::Value =
            serde_json::from_str(&stdout(&o)).expect("run --json prints JSON");
        assert_eq!(v["passed"], v["total"], "{name}: {v}");
        assert!(
            v["total"].as_u64().unwrap() >= 1,
            "{name}: no examples were evaluated"
        );
    }
}

#[test]
fn a_wrong_answer_is_reported_as_failing() {
    // The swap answer with its first gate changed to AND no longer swaps.
    let text = std::fs::read_to_string(root().join("benchmarks/terpret/answers/circuit_swap.json"))
        .unwrap();
    let wrong = text.replacen("\"Xor\"", "\"And\"", 1);
    let dir = std::env::temp_dir().join(format!("weft-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrong_swap.json");
    std::fs::write(&path, wrong).unwrap();
    let o = weft(&[
        "run",
        "benchmarks/terpret/circuit.wft",
        "--data",
        "benchmarks/terpret/data/circuit_swap_data.json",
        "--hypers",
        "benchmarks/terpret/data/circuit_swap_hypers.json",
        "--holes",
        path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("FAIL"), "{}", stdout(&o));
}

#[test]
fn every_wft_file_in_the_repository_checks() {
    let mut files = Vec::new();
    for dir in ["benchmarks/terpret", "examples"] {
        for e in std::fs::read_dir(root().join(dir)).expect(dir) {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "wft") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 5, "{files:?}");
    for p in files {
        let o = weft(&["check", p.to_str().unwrap()]);
        assert!(o.status.success(), "{}: {}", p.display(), stderr(&o));
    }
}
