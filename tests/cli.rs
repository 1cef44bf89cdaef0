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
    assert!(lines[4].contains("2025-11-21 03:12:00.000"));
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
    let post = text.lines().find(|l| l.contains("POST")).expect("POST row");
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
        .args([
            "ls",
            fixture("not-traces/jaeger.json").to_str().expect("path"),
        ])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("looks like a Jaeger JSON export")
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
