//! The `agtrace` binary end to end: output, JSON fields, flags, exit codes, stdin,
//! color rules, sanitizing and closed pipes.

mod common;
use assert_cmd::Command;
use common::fixture;
use predicates::prelude::*;
use std::io::{BufRead, BufReader};

fn agtrace() -> Command {
    let mut c = Command::cargo_bin("agtrace").expect("binary");
    c.env_remove("NO_COLOR").env_remove("AGTRACE_STATS");
    c
}

fn incident() -> String {
    fixture("agent-incident.otlp.json").display().to_string()
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn ls_lists_traces_newest_first() {
    let out = agtrace()
        .args(["ls", &incident()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("STATUS"));
    assert_eq!(lines.len(), 5);
    assert!(lines[1].contains("d4cda95b") && lines[1].contains("RAGChain"));
    assert!(
        lines[3].starts_with("error")
            && lines[3].contains("0af76519")
            && lines[3].contains("34.5s")
    );
    assert!(lines[4].contains("2025-11-21 03:12:00"));
    assert!(!text.contains('\x1b'), "no color when piped");
}

#[test]
fn ls_json_fields_are_stable() {
    let out = agtrace()
        .args(["ls", &incident(), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 4);
    let b = rows
        .iter()
        .find(|r| r["trace_id"] == "0af7651916cd43dd8448eb211c80319c")
        .expect("trace B");
    assert_eq!(b["root_name"], "invoke_agent support");
    assert_eq!(b["service"], "support-agent");
    assert_eq!(b["start_unix_nano"], 1_763_694_780_000_000_000u64);
    assert_eq!(b["duration_ms"], 34500.0);
    assert_eq!(b["span_count"], 5);
    assert_eq!(b["error_count"], 3);
    assert_eq!(b["status"], "error");
    for key in [
        "trace_id",
        "root_name",
        "service",
        "start_unix_nano",
        "duration_ms",
        "span_count",
        "error_count",
        "status",
    ] {
        assert!(
            rows.iter().all(|r| r.get(key).is_some()),
            "every row has {key}"
        );
    }
}

#[test]
fn ls_filters_sort_and_limit() {
    let failed = agtrace()
        .args(["ls", &incident(), "--failed", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&failed);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "error");

    let slow = agtrace()
        .args(["ls", &incident(), "--slow", "5s", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_lines(&slow).len(), 2, "34.5s and 6.1s");

    let by_spans = agtrace()
        .args([
            "ls",
            &incident(),
            "--sort",
            "spans",
            "--limit",
            "1",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&by_spans);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["span_count"], 5);

    agtrace()
        .args(["ls", &incident(), "--slow", "1h"])
        .assert()
        .code(3);
    agtrace()
        .args(["ls", &incident(), "--slow", "soon"])
        .assert()
        .code(2);
}

#[test]
fn show_prints_the_tree_with_bars_and_failures() {
    let out = agtrace()
        .args(["show", &incident(), "0af7"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("trace 0af7651916cd43dd8448eb211c80319c"));
    let tool = text
        .lines()
        .find(|l| l.contains("execute_tool refund_payment"))
        .expect("tool row");
    assert!(tool.contains("error") && tool.contains("payment gateway timeout after 30s"));
    assert!(tool.contains("30.2s"));
    let post = text
        .lines()
        .find(|l| l.contains("POST") && l.contains("[other]"))
        .expect("POST row");
    assert!(post.starts_with("|  `- POST"), "tree drawing: {post}");
    assert!(post.contains("|.===="), "waterfall bar: {post}");
}

#[test]
fn show_json_has_one_object_per_span() {
    let out = agtrace()
        .args(["show", &incident(), "0af7", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 5);
    let post = rows.iter().find(|r| r["name"] == "POST").expect("POST");
    assert_eq!(post["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(post["span_id"], "b000000000000004");
    assert_eq!(post["parent_span_id"], "b000000000000003");
    assert_eq!(post["depth"], 2);
    assert_eq!(post["status"], "error");
    assert_eq!(post["status_reason"], "HTTP 504");
    assert_eq!(post["orphan"], false);
    assert_eq!(post["duration_ms"], 30000.0);
    assert_eq!(post["start_unix_nano"], 1_763_694_781_650_000_000u64);
    assert_eq!(post["attributes"]["http.response.status_code"], 504);
    assert_eq!(rows[0]["parent_span_id"], serde_json::Value::Null);
}

#[test]
fn show_depth_limits_rows() {
    let out = agtrace()
        .args(["show", &incident(), "0af7", "--json", "--depth", "1"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_lines(&out).len(), 4);
}

#[test]
fn show_prefix_errors() {
    agtrace()
        .args(["show", &incident(), "ffff"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("no trace id starts with ffff"));
    agtrace()
        .args(["show", &incident(), "nothex"])
        .assert()
        .code(2);
    // Two traces share a prefix: the candidates are listed.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("two.json");
    let span = |t: &str| {
        format!(
            r#"{{"traceId":"{t}","spanId":"0000000000000001","name":"n{t}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}"#
        )
    };
    std::fs::write(
        &p,
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{},{}]}}]}}]}}"#,
            span("abcd0000000000000000000000000001"),
            span("abcd0000000000000000000000000002")
        ),
    )
    .expect("write");
    agtrace()
        .args(["show", p.to_str().expect("path"), "abcd"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("2 traces start with abcd")
                .and(predicate::str::contains("abcd0000000000000000000000000001")),
        );
    // Short ids in ls grow until they are unambiguous.
    let out = agtrace()
        .args(["ls", p.to_str().expect("path")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("abcd0000000000000000000000000001"));
}

#[test]
fn show_without_prefix_works_for_a_single_trace() {
    agtrace()
        .args([
            "show",
            fixture("shapes/anyvalues.json").to_str().expect("path"),
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("kitchen sink"));
    agtrace()
        .args(["show", &incident()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("4 traces"));
}

#[test]
fn reads_stdin_with_dash_and_when_piped() {
    let data = std::fs::read(fixture("shapes/collector.jsonl.zst")).expect("fixture");
    agtrace()
        .args(["ls", "-", "--json"])
        .write_stdin(data.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("0af7651916cd43dd8448eb211c80319c"));
    agtrace()
        .args(["ls", "--json"])
        .write_stdin(data)
        .assert()
        .success()
        .stdout(predicate::str::contains("d4cda95b652f4a1592b449d5929fda1b"));
}

#[test]
fn exit_codes_for_bad_input() {
    agtrace()
        .args(["ls", fixture("not-traces/app.log").to_str().expect("path")])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("looks like a text file")
                .and(predicate::str::contains("agtrace reads OTLP/JSON")),
        );
    agtrace()
        .args(["ls", "/definitely/not/here.json"])
        .assert()
        .code(1);
    agtrace().args(["ls", "--bogus"]).assert().code(2);
}

#[test]
fn damaged_input_warns_on_stderr_and_still_lists() {
    agtrace()
        .args([
            "ls",
            fixture("damaged/truncated.json").to_str().expect("path"),
        ])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning")
                .and(predicate::str::contains("truncated.json:674:")),
        )
        .stdout(predicate::str::contains("0af76519"));
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let hostile = fixture("hostile.json").display().to_string();
    for args in [
        vec!["ls", hostile.as_str()],
        vec!["ls", hostile.as_str(), "--json"],
        vec!["show", hostile.as_str()],
        vec!["show", hostile.as_str(), "--json"],
    ] {
        let out = agtrace()
            .args(&args)
            .assert()
            .success()
            .get_output()
            .clone();
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{args:?}: raw control character in {text:?}"
            );
            assert!(!text.contains('\u{202e}'), "{args:?}: raw bidi override");
        }
    }
    let out = agtrace()
        .args(["show", &hostile])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8_lossy(&out).contains("\\x1b]52;c;aGk=\\x07"),
        "escapes are shown as text"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Enough rows to overflow a pipe buffer; the reader stops after one line.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("many.jsonl");
    let mut s = String::new();
    for t in 0..5000u32 {
        s.push_str(&format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{t:032x}","spanId":"0000000000000001","name":"n","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
            1000 + t,
            2000 + t
        ));
        s.push('\n');
    }
    std::fs::write(&p, s).expect("write");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("agtrace"))
        .args(["ls", p.to_str().expect("path"), "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("read");
    assert!(first.contains("trace_id"));
    // The reader is dropped here: the pipe closes.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn help_names_every_command() {
    agtrace()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("ls").and(predicate::str::contains("show")));
}

#[test]
fn ls_json_has_the_genai_fields() {
    let out = agtrace()
        .args(["ls", &incident(), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&out);
    let b = rows
        .iter()
        .find(|r| r["trace_id"] == "0af7651916cd43dd8448eb211c80319c")
        .expect("trace B");
    assert_eq!(b["session_id"], "conv-8812");
    assert_eq!(b["agent_name"], "support");
    assert_eq!(b["llm_calls"], 2);
    assert_eq!(b["tool_calls"], 1);
    assert_eq!(b["warning_count"], 1);
    assert_eq!(b["input_tokens"], 1650 + 2100);
    assert_eq!(b["output_tokens"], 60 + 4096);
    // gpt-4o: $2.50 / $10 per million tokens.
    let cost = b["cost_usd"].as_f64().expect("priced");
    assert!(
        (cost - (3750.0 * 2.5 + 4156.0 * 10.0) / 1e6).abs() < 1e-9,
        "{cost}"
    );
    let rag = rows
        .iter()
        .find(|r| r["root_name"] == "RAGChain")
        .expect("RAGChain");
    assert_eq!(rag["session_id"], "sess-77");
    for key in [
        "session_id",
        "agent_name",
        "llm_calls",
        "tool_calls",
        "warning_count",
        "input_tokens",
        "output_tokens",
        "cost_usd",
    ] {
        assert!(
            rows.iter().all(|r| r.get(key).is_some()),
            "every row has {key}"
        );
    }
}

#[test]
fn ls_session_filter_and_genai_sorts() {
    let out = agtrace()
        .args(["ls", &incident(), "--session", "conv-8812", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["session_id"] == "conv-8812"));
    agtrace()
        .args(["ls", &incident(), "--session", "nope"])
        .assert()
        .code(3);
    let out = agtrace()
        .args(["ls", &incident(), "--sort", "cost", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let costs: Vec<f64> = json_lines(&out)
        .iter()
        .map(|r| r["cost_usd"].as_f64().unwrap_or(-1.0))
        .collect();
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");
    let out = agtrace()
        .args([
            "ls",
            &incident(),
            "--sort",
            "tokens",
            "--limit",
            "1",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        json_lines(&out)[0]["trace_id"],
        "0af7651916cd43dd8448eb211c80319c"
    );
}

#[test]
fn unknown_price_is_null_never_zero_and_prices_can_be_overridden() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = dir.path().join("private.json");
    std::fs::write(
        &dump,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","spanId":"0000000000000001","name":"chat acme-1","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"acme-1-2025-01-01"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"0"}}]}]}]}]}"#,
    )
    .expect("write");
    let d = dump.to_str().expect("path");
    let out = agtrace()
        .args(["ls", d, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_lines(&out)[0]["cost_usd"], serde_json::Value::Null);
    let text = agtrace()
        .args(["ls", d])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8_lossy(&text)
            .lines()
            .nth(1)
            .expect("row")
            .split_whitespace()
            .rev()
            .nth(1)
            == Some("?"),
        "the cost cell, before the findings count"
    );
    let prices = dir.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"as_of":"2026-01-01","models":{"acme-1":{"input":2.0,"output":4.0}}}"#,
    )
    .expect("write");
    let out = agtrace()
        .args([
            "ls",
            d,
            "--json",
            "--prices",
            prices.to_str().expect("path"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_lines(&out)[0]["cost_usd"], 2.0);
    let out = agtrace()
        .args(["ls", d, "--json"])
        .env("AGTRACE_PRICES", &prices)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_lines(&out)[0]["cost_usd"], 2.0);
    std::fs::write(&prices, "not json").expect("write");
    agtrace()
        .args(["ls", d, "--prices", prices.to_str().expect("path")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("price file"));
}

#[test]
fn show_rows_carry_kind_model_tokens_cost_and_reason() {
    let out = agtrace()
        .args(["show", &incident(), "0af7"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let llm = text
        .lines()
        .find(|l| l.contains("[llm]") && l.contains("warning"))
        .expect("the truncated LLM row");
    assert!(
        llm.contains("gpt-4o-2024-08-06") && llm.contains("2.10k→4.10k") && llm.contains("$0.0462"),
        "{llm}"
    );
    assert!(llm.contains("output truncated (finish reason length)"));
    let tool = text
        .lines()
        .find(|l| l.contains("[tool]"))
        .expect("tool row");
    assert!(tool.contains("refund_payment") && tool.contains("payment gateway timeout"));
    assert!(text.contains("session \"conv-8812\""));
}

#[test]
fn show_json_has_the_step_fields() {
    let out = agtrace()
        .args(["show", &incident(), "0af7", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_lines(&out);
    let llm = rows
        .iter()
        .find(|r| r["span_id"] == "b000000000000005")
        .expect("llm");
    assert_eq!(llm["kind"], "llm");
    assert_eq!(llm["model"], "gpt-4o-2024-08-06");
    assert_eq!(llm["provider"], "openai");
    assert_eq!(llm["input_tokens"], 2100);
    assert_eq!(llm["output_tokens"], 4096);
    assert_eq!(llm["finish_reasons"], serde_json::json!(["length"]));
    assert_eq!(llm["status"], "warning");
    assert!(llm["cost_usd"].as_f64().is_some());
    let tool = rows
        .iter()
        .find(|r| r["span_id"] == "b000000000000003")
        .expect("tool");
    assert_eq!(tool["kind"], "tool");
    assert_eq!(tool["tool_name"], "refund_payment");
    assert_eq!(tool["cost_usd"], serde_json::Value::Null);
}

#[test]
fn show_session_prints_every_turn_in_order() {
    let out = agtrace()
        .args(["show", &incident(), "--session", "conv-8812"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    let t1 = text.find("── turn 1").expect("turn 1");
    let t2 = text.find("── turn 2").expect("turn 2");
    assert!(t1 < t2);
    assert!(text[t1..t2].contains("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert!(text[t2..].contains("0af7651916cd43dd8448eb211c80319c"));
    assert!(text.contains("session total: 2 turns"));
    agtrace()
        .args(["show", &incident(), "--session", "nope"])
        .assert()
        .code(3);
}

#[test]
fn show_detail_prints_one_step_in_full() {
    let out = agtrace()
        .args(["show", &incident(), "--detail", "b000000000000003"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    // The summary is the explorer's Summary tab: one aligned field per line.
    assert!(text.contains("kind          tool (by gen_ai.operation.name)"));
    assert!(text.contains("── tool call"));
    assert!(
        text.contains("\"order_id\": \"8812\""),
        "arguments pretty-printed"
    );
    assert!(
        text.contains("GatewayTimeout: payment gateway timeout after 30s"),
        "stack trace in events"
    );
    let out = agtrace()
        .args(["show", &incident(), "--detail", "c000000000000004"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.contains("── messages"));
    assert!(text.contains("[user]") && text.contains("My order 8812 was charged twice"));
    assert!(text.contains("  cache       read 4.10k"));
    let out = agtrace()
        .args([
            "show",
            &incident(),
            "--detail",
            "d000000000000003",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(
        v["conversation"]["output"][0]["parts"][0]["content"],
        "Refunds take 5 business days."
    );
    agtrace()
        .args(["show", &incident(), "--detail", "a00000000000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "4 spans start with a00000000000000",
        ));
    agtrace()
        .args(["show", &incident(), "--detail", "ffff"])
        .assert()
        .code(3);
}

/// `show --agent --json` prints what the agent view shows: plumbing folded into its
/// steps, each saying how many spans it holds (it listed every plumbing span).
#[test]
fn show_agent_json_folds_plumbing_as_the_tree_does() {
    let f = common::fixture("findings.otlp.json");
    let f = f.to_str().expect("path");
    let all = agtrace()
        .args(["show", f, "f1d00000000000000000000000000017", "--json"])
        .output()
        .expect("show");
    let folded = agtrace()
        .args([
            "show",
            f,
            "f1d00000000000000000000000000017",
            "--agent",
            "--json",
        ])
        .output()
        .expect("show --agent");
    let (all, folded) = (json_lines(&all.stdout), json_lines(&folded.stdout));
    let held: u64 = folded
        .iter()
        .map(|r| r["folded_spans"].as_u64().expect("folded_spans"))
        .sum();
    assert!(
        folded.len() < all.len(),
        "{} of {}",
        folded.len(),
        all.len()
    );
    assert_eq!(
        folded.len() as u64 + held,
        all.len() as u64,
        "every span shown or held once"
    );
    assert!(
        folded
            .iter()
            .all(|r| r["kind"] != "other" || r["status"] != "ok")
    );
}

#[test]
fn a_mistyped_command_is_not_opened_as_a_file() {
    for (typed, meant) in [
        ("sho", "show"),
        ("stat", "stats"),
        ("lss", "ls"),
        ("expot", "export"),
    ] {
        agtrace()
            .args([typed, &incident()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{typed:?} is neither a file nor a command; did you mean `agtrace {meant}`?"
            )));
    }
    // A file, even one named like a command, is opened as before (here: no terminal).
    let dir = tempfile::tempdir().expect("tempdir");
    let named = dir.path().join("sho");
    std::fs::copy(fixture("agent-incident.otlp.json"), &named).expect("copy");
    agtrace()
        .current_dir(dir.path())
        .args(["sho"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("open needs a terminal"));
    agtrace()
        .args(["nonsense-words", &incident()])
        .assert()
        .stderr(predicate::str::contains("did you mean").not());
}

#[test]
fn stats_json_says_unknown_tokens_are_unknown_as_the_table_does() {
    let json = agtrace()
        .args(["stats", &incident(), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = agtrace()
        .args(["stats", &incident()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).expect("utf8");
    let rows = json_lines(&json);
    assert!(rows.iter().any(|r| r["input_tokens"].is_null()));
    assert!(rows.iter().any(|r| r["input_tokens"].is_u64()));
    for row in rows {
        let key = row["key"].as_str().unwrap_or("total");
        // The table of this grouping (`TOOL …`, `MODEL …`), then the row.
        let by = row["by"].as_str().expect("by").to_uppercase();
        let section = table
            .split("\n\n")
            .find(|s| s.starts_with(&by))
            .expect("a table per grouping");
        let line = section
            .lines()
            .find(|l| l.starts_with(if row["total"] == true { "total" } else { key }))
            .expect("a table row");
        let dash = line.contains(" -/- ");
        assert_eq!(row["input_tokens"].is_null(), dash, "{key}: {line}");
        assert_eq!(row["output_tokens"].is_null(), dash, "{key}: {line}");
    }
}
