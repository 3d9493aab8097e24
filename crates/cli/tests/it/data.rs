//! Bad data, hypers and sketch files: every error names the file, line and column and exits
//! with code 2; nothing is silently dropped, and harmless variants (a byte-order mark, `-0`,
//! `1.0`, a pretty-printed object) are read.

use crate::{stderr, stdout, tmp_file, weft};

const CIRCUIT: &str = "benchmarks/terpret/circuit.wft";
const SWAP_HYPERS: &str = "benchmarks/terpret/data/circuit_swap_hypers.json";

fn tmp(name: &str, text: &str) -> String {
    tmp_file("weft-data", name, text)
}

/// `weft check` of the circuit with extra arguments: (exit code, stdout, stderr).
fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let mut a = vec!["check", CIRCUIT];
    a.extend(args);
    let o = weft(&a);
    let e = stderr(&o);
    assert!(!e.contains("panicked"), "{args:?}: {e}");
    (o.status.code(), stdout(&o), e)
}

/// Asserts that `args` fail with exit code 2 and every one of `wanted` in the message.
fn refused(args: &[&str], wanted: &[&str]) {
    let (code, _, e) = check(args);
    assert_eq!(code, Some(2), "{args:?}: {e}");
    for w in wanted {
        assert!(e.contains(w), "{args:?}: missing {w:?} in\n{e}");
    }
}

/// A TerpreT batch of the swap circuit's first two rows.
fn batch(name: &str) -> String {
    format!(
        "{{\"batch_name\": \"{name}\", \"hypers\": \"W3_G3_O2\", \"instances\": [\
         {{\"initial_wires\": [0, 0, 0], \"final_wires\": [0, 0]}}, \
         {{\"initial_wires\": [0, 1, 0], \"final_wires\": [1, 0]}}]}}"
    )
}

#[test]
fn a_repeated_key_is_refused_where_it_is_written_again() {
    let d = tmp(
        "dup.json",
        "[{\"initial_wires\": [0, 1, 0],\n  \"final_wires\": [1, 0], \"initial_wires\": [1, 1, 0]}]",
    );
    refused(
        &["--data", &d],
        &["dup.json:2:26", "\"initial_wires\" appears twice"],
    );
    let d = tmp(
        "dup.jsonl",
        "{\"initial_wires\": [0, 1, 0], \"final_wires\": [1, 0]}\n  {\"final_wires\": [1, 0], \"final_wires\": [0, 0], \"initial_wires\": [0, 1, 0]}\n",
    );
    refused(
        &["--data", &d],
        &["dup.jsonl:2:27", "\"final_wires\" appears twice"],
    );
    let batches = format!("[{}]", batch("train")).replacen(
        "\"hypers\": \"W3_G3_O2\"",
        "\"hypers\": \"W3_G3_O2\", \"batch_name\": \"test\"",
        1,
    );
    let d = tmp("dup_batch.json", &batches);
    refused(
        &["--data", &d],
        &["dup_batch.json:1:48", "\"batch_name\" appears twice"],
    );
    let h = tmp(
        "dup_hypers.json",
        "{\"W3_G3_O2\": {\"numWires\": 3, \"numGates\": 3,\n \"numOutputs\": 2, \"numGates\": 4}}",
    );
    refused(
        &["--hypers", &h],
        &["dup_hypers.json:2:19", "\"numGates\" appears twice"],
    );
}

#[test]
fn stray_items_and_repeated_or_nameless_batches_are_refused() {
    let cases = [
        (
            "stray_number.json",
            format!("[{},\n 3]", batch("train")),
            "stray_number.json:2:2",
        ),
        (
            "stray_object.json",
            format!("[{},\n {{\"instances\": []}}]", batch("train")),
            "stray_object.json:2:2",
        ),
        (
            "stray_example.json",
            format!(
                "[{},\n {{\"initial_wires\": [0, 0, 0], \"final_wires\": [0, 0]}}]",
                batch("train")
            ),
            "stray_example.json:2:3",
        ),
        (
            "two_trains.json",
            format!("[{},\n {}]", batch("train"), batch("train")),
            "two_trains.json:2:17",
        ),
        (
            "numbered.json",
            format!("[{}]", batch("train").replace("\"train\"", "7")),
            "numbered.json:1:17",
        ),
    ];
    let messages = [
        "a TerpreT batch must be an object",
        "this TerpreT batch has no `batch_name`",
        "a TerpreT batch has no key `initial_wires`",
        "a second batch named `train`",
        "`batch_name` must be a string",
    ];
    for ((name, text, at), message) in cases.iter().zip(messages) {
        let d = tmp(name, text);
        refused(&["--data", &d, "--hypers", SWAP_HYPERS], &[at, message]);
    }
}

#[test]
fn a_file_without_a_train_batch_uses_its_only_batch_and_says_so() {
    let d = tmp("only_test.json", &format!("[{}]", batch("test")));
    let (code, out, e) = check(&["--data", &d, "--hypers", SWAP_HYPERS]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("2 examples"), "{out}");
    assert!(
        e.contains("warning: no batch named `train`: using the only batch, `test`"),
        "{e}"
    );
    assert!(e.contains("only_test.json:1:17"), "{e}");
    // With --batch, the batch is chosen without a word.
    let (code, _, e) = check(&["--data", &d, "--hypers", SWAP_HYPERS, "--batch", "test"]);
    assert_eq!(code, Some(0), "{e}");
    assert!(e.is_empty(), "{e}");
    // Several batches, none `train`: refused, with the names.
    let d = tmp(
        "no_train.json",
        &format!("[{}, {}]", batch("test"), batch("dev")),
    );
    refused(
        &["--data", &d, "--hypers", SWAP_HYPERS],
        &[
            "no batch named `train`",
            "choose one with --batch",
            "its batches are: test, dev",
        ],
    );
}

#[test]
fn a_batch_naming_hypers_the_file_lacks_is_refused() {
    let d = tmp(
        "other_hypers.json",
        &format!("[{}]", batch("train").replace("W3_G3_O2", "W9_G9_O9")),
    );
    refused(
        &["--data", &d, "--hypers", SWAP_HYPERS],
        &[
            "other_hypers.json:1:36",
            "`W9_G9_O9`",
            "has the sets: W3_G3_O2",
        ],
    );
    // Two data files asking for different sets: the second is refused, not read with the
    // first one's params.
    let first = tmp("first.json", &format!("[{}]", batch("train")));
    let h = tmp(
        "two_sets.json",
        "{\"W3_G3_O2\": {\"numWires\": 3, \"numGates\": 3, \"numOutputs\": 2},\n \"W9_G9_O9\": {\"numWires\": 3, \"numGates\": 3, \"numOutputs\": 2}}",
    );
    refused(
        &["--data", &first, "--data", &d, "--hypers", &h],
        &[
            "other_hypers.json:1:36",
            "asks for the hyperparameter set `W9_G9_O9`",
            "set from `W3_G3_O2`",
        ],
    );
    // The set is looked up by the first batch that names one, here the second data file's.
    let nameless = tmp(
        "nameless.json",
        &format!(
            "[{}]",
            batch("train").replace("\"hypers\": \"W3_G3_O2\", ", "")
        ),
    );
    refused(
        &["--data", &nameless, "--data", &d, "--hypers", SWAP_HYPERS],
        &[
            "other_hypers.json:1:36",
            "`W9_G9_O9`",
            "has the sets: W3_G3_O2",
        ],
    );
}

#[test]
fn an_unknown_hyperparameter_is_shown_in_the_hypers_file() {
    let h = tmp(
        "typo_hypers.json",
        "{\"W3_G3_O2\": {\"numWires\": 3,\n   \"numGatez\": 3, \"numOutputs\": 2}}",
    );
    refused(
        &["--hypers", &h],
        &[
            "typo_hypers.json:2:4",
            "hyperparameter `numGatez` is not a param",
            "numGates",
        ],
    );
}

#[test]
fn a_pretty_printed_object_is_one_example_and_its_errors_keep_the_file_lines() {
    let d = tmp(
        "one.json",
        "{\n  \"initial_wires\": [0, 1, 0],\n  \"final_wires\": [1, 0]\n}\n",
    );
    let (code, out, e) = check(&["--data", &d]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("1 example,"), "{out}");
    let d = tmp(
        "one_bad.json",
        "{\n  \"initial_wires\": [0, 1, 0],\n  \"final_wires\": [1, 0\n}\n",
    );
    let (code, _, e) = check(&["--data", &d]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("one_bad.json:4:1"), "{e}");
    assert!(!e.contains("line 1"), "{e}");
    let d = tmp(
        "one_value.json",
        "{\n  \"initial_wires\": [0, 1, 0],\n  \"final_wires\": [1, 2]\n}\n",
    );
    refused(&["--data", &d], &["one_value.json:3:22", "final_wires[1]"]);
    // A single TerpreT batch, not in a list, is a batch.
    let d = tmp("one_batch.json", &batch("train"));
    let (code, out, e) = check(&["--data", &d, "--hypers", SWAP_HYPERS]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("2 examples"), "{out}");
    // JSON Lines: a broken line is shown on its own line of the file.
    let d = tmp("lines.jsonl", "{\"initial_wires\": [0, 1, 0], \"final_wires\": [1, 0]}\n\n{\"initial_wires\": [0, 1, 0] \"final_wires\": [1, 0]}\n");
    refused(
        &["--data", &d],
        &["lines.jsonl:3:29", "expected `,` or `}`"],
    );
    let (_, _, e) = check(&["--data", &d]);
    assert!(!e.contains("line 1"), "{e}");
}

#[test]
fn a_byte_order_mark_is_skipped_in_every_input_file() {
    let bom = "\u{feff}";
    let sketch = std::fs::read_to_string(crate::root().join(CIRCUIT)).unwrap();
    let s = tmp("bom.wft", &format!("{bom}{sketch}"));
    let hypers = std::fs::read_to_string(crate::root().join(SWAP_HYPERS)).unwrap();
    let h = tmp("bom_hypers.json", &format!("{bom}{hypers}"));
    let d = tmp("bom.json", &format!("{bom}[{}]", batch("train")));
    let l = tmp(
        "bom.jsonl",
        &format!("{bom}{{\"initial_wires\": [0, 1, 0], \"final_wires\": [1, 0]}}\n"),
    );
    let o = weft(&["check", &s, "--data", &d, "--data", &l, "--hypers", &h]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("3 examples"), "{}", stdout(&o));
    // Columns on the first line count from after the mark.
    let bad = tmp(
        "bom_bad.json",
        &format!("{bom}[{{\"initial_wires\": [0, 7, 0], \"final_wires\": [1, 0]}}]"),
    );
    refused(&["--data", &bad], &["bom_bad.json:1:24"]);
    let bad = tmp("bom_bad.wft", &format!("{bom}hole h: 0..4; oops\n"));
    let o = weft(&["check", &bad]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bom_bad.wft:1:15"), "{}", stderr(&o));
}

#[test]
fn integers_may_be_written_minus_zero_or_as_integral_floats_but_not_fractions() {
    let d = tmp(
        "floats.jsonl",
        "{\"initial_wires\": [-0, 1.0, 0.0], \"final_wires\": [1, -0.0]}\n",
    );
    let h = tmp(
        "float_hypers.json",
        "{\"W3_G3_O2\": {\"numWires\": 3.0, \"numGates\": 3, \"numOutputs\": 2e0}}",
    );
    let (code, out, e) = check(&["--data", &d, "--hypers", &h]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("1 example,"), "{out}");
    let d = tmp(
        "fraction.jsonl",
        "{\"initial_wires\": [0, 0.5, 0], \"final_wires\": [1, 0]}\n",
    );
    refused(
        &["--data", &d],
        &["fraction.jsonl:1:23", "found the number 0.5"],
    );
    let h = tmp(
        "fraction_hypers.json",
        "{\"W3_G3_O2\": {\"numWires\": 3, \"numGates\": 2.5, \"numOutputs\": 2}}",
    );
    refused(
        &["--hypers", &h],
        &["fraction_hypers.json:1:42", "`numGates` must be an integer"],
    );
}

#[test]
fn batch_is_refused_where_no_file_has_batches() {
    let l = tmp(
        "plain.jsonl",
        "{\"initial_wires\": [0, 1, 0], \"final_wires\": [1, 0]}\n",
    );
    refused(
        &["--data", &l, "--batch", "test"],
        &["--batch test: no example file holds TerpreT batches"],
    );
    refused(&["--batch", "train"], &["--batch train"]);
    // With a batch file among the data, a plain file beside it is read as it is.
    let d = tmp("with_plain.json", &format!("[{}]", batch("test")));
    let (code, out, e) = check(&[
        "--data",
        &l,
        "--data",
        &d,
        "--batch",
        "test",
        "--hypers",
        SWAP_HYPERS,
    ]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("3 examples"), "{out}");
    // The set is the one the batch names, though the first data file names none.
    let h = tmp(
        "sets.json",
        "{\"W2_G2_O2\": {\"numWires\": 2, \"numGates\": 2, \"numOutputs\": 2},\n \"W3_G3_O2\": {\"numWires\": 3, \"numGates\": 3, \"numOutputs\": 2}}",
    );
    let (code, out, e) = check(&[
        "--data", &l, "--data", &d, "--batch", "test", "--hypers", &h,
    ]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("3 examples"), "{out}");
}

#[test]
fn a_batch_naming_hypers_without_a_hypers_file_is_warned_about() {
    let (code, out, e) = check(&["--data", "benchmarks/terpret/data/circuit_swap_data.json"]);
    assert_eq!(code, Some(0), "{e}");
    assert!(out.contains("4 examples"), "{out}");
    assert!(
        e.contains("warning: this batch asks for the hyperparameter set `W3_G3_O2`, but no --hypers file was given"),
        "{e}"
    );
    assert!(e.contains("circuit_swap_data.json:4:19"), "{e}");
    let (code, _, e) = check(&[
        "--data",
        "benchmarks/terpret/data/circuit_swap_data.json",
        "--hypers",
        SWAP_HYPERS,
    ]);
    assert_eq!(code, Some(0), "{e}");
    assert!(e.is_empty(), "{e}");
}
