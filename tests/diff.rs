//! `agtrace diff`: two runs of an agent aligned step by step, the first divergence
//! found and shown with a diff of what differs (testdata/diff.otlp.json: one run
//! refunded the right charge, the other looked up the wrong order).

mod common;
use assert_cmd::Command;

const A: &str = "d1ff0000000000000000000000000a01";
const B: &str = "d1ff0000000000000000000000000b02";

fn agtrace(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("agtrace")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture() -> String {
    common::fixture("diff.otlp.json").display().to_string()
}

#[test]
fn the_first_divergence_is_the_model_asking_for_another_order() {
    let f = fixture();
    let (code, out, err) = agtrace(&["diff", &f, A, B]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with(['=', '~', '-', '+']))
        .collect();
    let ops: String = rows.iter().map(|l| &l[..1]).collect();
    assert_eq!(ops, "=~~~--", "{out}");
    assert!(rows[2].contains("tool search_orders") && rows[2].contains("arguments, result differ"));
    assert!(rows[4].contains("tool refund_charge"), "{out}");
    assert!(
        out.contains("first divergence: step 2 of 6, llm — answer differs"),
        "{out}"
    );
    // The line diff of what the model asked for.
    assert!(out.contains("-   \"order_id\": \"8812\""), "{out}");
    assert!(out.contains("+   \"order_id\": \"8821\""), "{out}");
    assert!(out.contains("B−A duration −2.80s"), "{out}");
}

#[test]
fn json_lines_give_every_aligned_step() {
    let f = fixture();
    let (code, out, err) = agtrace(&["diff", &f, A, B, "--json"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines[0]["same"], false);
    assert_eq!(lines[0]["first_divergence"], 1);
    assert_eq!(lines[0]["steps"], 6);
    let ops: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["op"].as_str().expect("op"))
        .collect();
    assert_eq!(
        ops,
        ["same", "changed", "changed", "changed", "only_a", "only_a"]
    );
    let tool = &lines[3];
    assert_eq!(tool["label"], "tool search_orders");
    assert_eq!(tool["a_span"], "a100000000000003");
    assert_eq!(tool["b_span"], "b200000000000003");
    let what: Vec<&str> = tool["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["what"].as_str().expect("what"))
        .collect();
    assert_eq!(what, ["arguments", "result"]);
    assert!(
        tool["changes"][1]["b"]
            .as_str()
            .expect("b")
            .contains("\"orders\": []")
    );
}

#[test]
fn a_run_compared_with_itself_is_the_same_and_exit_codes_say_so() {
    let f = fixture();
    let (code, out, err) = agtrace(&["diff", &f, A, A, "--exit-code"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("the runs took the same 6 steps"), "{out}");
    let (code, _, err) = agtrace(&["diff", &f, A, B, "--exit-code"]);
    assert_eq!(code, 4);
    assert!(err.contains("the runs differ (first at step 2)"), "{err}");
    // A word that is not a trace id, and a trace that is not there.
    let (code, _, err) = agtrace(&["diff", &f, A, "nothex"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = agtrace(&["diff", &f, A, "ffff"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no trace id starts with ffff"), "{err}");
    // Stdin works as a source.
    let out = Command::cargo_bin("agtrace")
        .expect("binary")
        .args(["diff", A, B, "--json"])
        .write_stdin(std::fs::read(common::fixture("diff.otlp.json")).expect("fixture"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
}

#[test]
fn hostile_names_are_sanitized() {
    let (code, out, err) = agtrace(&[
        "diff",
        &fixture(),
        &common::fixture("hostile.json").display().to_string(),
        A,
        "2222",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("\\x1b]52"), "{out}");
}

#[test]
fn steps_align_by_meaning_not_by_span_id() {
    // The unit below the command: every step of both runs appears exactly once.
    let set = common::load_ok(&["diff.otlp.json"]);
    let ta = set.find_traces(A)[0];
    let tb = set.find_traces(B)[0];
    let d = agtrace::analysis::diff::diff(&set, ta, tb);
    let mut a: Vec<u32> = d.rows.iter().filter_map(|r| r.a).collect();
    let mut b: Vec<u32> = d.rows.iter().filter_map(|r| r.b).collect();
    a.sort_unstable();
    b.sort_unstable();
    let mut sa = agtrace::analysis::diff::steps_of(&set, ta);
    let mut sb = agtrace::analysis::diff::steps_of(&set, tb);
    sa.sort_unstable();
    sb.sort_unstable();
    assert_eq!((a, b), (sa, sb));
    assert_eq!(d.first_divergence, Some(1));
    assert!(!d.same());
}

#[test]
fn two_huge_runs_with_nothing_in_common_are_compared_without_hanging() {
    // 15,000 tool calls each, no tool name shared (the worst case for a sequence
    // diff), and one shared step whose 1 MB results differ on every line.
    let kv = |k: &str, v: &str| serde_json::json!({"key": k, "value": {"stringValue": v}});
    let mut spans = Vec::new();
    for (t, side) in [("aa", 'a'), ("bb", 'b')] {
        let tid = t.repeat(16);
        spans.push(serde_json::json!({"traceId": tid, "spanId": "0000000000000001", "name": "invoke_agent x",
            "startTimeUnixNano": "1000", "endTimeUnixNano": "9000000000",
            "attributes": [kv("gen_ai.operation.name", "invoke_agent"), kv("gen_ai.agent.name", "x")]}));
        let big: String = (0..40_000).map(|n| format!("{side}{n}\n")).collect();
        spans.push(serde_json::json!({"traceId": tid, "spanId": "0000000000000002", "parentSpanId": "0000000000000001",
            "name": "execute_tool shared", "startTimeUnixNano": "2000", "endTimeUnixNano": "3000",
            "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", "shared"),
                kv("gen_ai.tool.call.result", &big)]}));
        for k in 0..15_000u64 {
            spans.push(serde_json::json!({"traceId": tid, "spanId": format!("{:016x}", k + 16), "parentSpanId": "0000000000000001",
                "name": "execute_tool t", "startTimeUnixNano": (4000 + k).to_string(), "endTimeUnixNano": (5000 + k).to_string(),
                "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", &format!("{side}{k}"))]}));
        }
    }
    let doc =
        serde_json::json!({"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]});
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("huge.json");
    std::fs::write(&p, doc.to_string()).expect("write");
    let p = p.display().to_string();
    let (code, out, err) = agtrace(&["diff", &p, "aaaa", "bbbb", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let count = |op: &str| rows.iter().filter(|r| r["op"] == op).count();
    // Every step of both runs is there once: agent and shared aligned, the rest apart.
    assert_eq!(count("only_a"), 15_000);
    assert_eq!(count("only_b"), 15_000);
    assert_eq!(count("same") + count("changed"), 2);
    let (code, out, err) = agtrace(&["diff", &p, "aaaa", "bbbb"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("first divergence"), "{err}");
}
