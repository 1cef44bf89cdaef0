//! `agtrace mcp` as an MCP client sees it: a scripted JSON-RPC session over stdio
//! (initialize, tools/list, every tool, paging through a 20,000-span trace, invalid
//! arguments as JSON-RPC errors with a helpful message, redaction), and one session
//! driven by the real `mcp` client library from PyPI when `.ci/run` installed it.

mod common;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Session {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: u64,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agtrace"))
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start agtrace mcp");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        let mut s = Session {
            child,
            input,
            output,
            next_id: 1,
        };
        let init = s.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "agtrace", "{init}");
        s.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        s
    }

    fn send(&mut self, v: Value) {
        writeln!(self.input, "{v}").expect("write");
        self.input.flush().expect("flush");
    }

    /// One request; returns the whole response (and its size in bytes).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let mut line = String::new();
            let n = self.output.read_line(&mut line).expect("read");
            assert!(n > 0, "the server closed the connection");
            let v: Value = serde_json::from_str(&line).expect("a JSON-RPC message per line");
            if v["id"] == id {
                return v;
            }
        }
    }

    /// Calls a tool; returns its JSON answer (the tool's text content, parsed) and
    /// the size of the whole response.
    fn call(&mut self, tool: &str, args: Value) -> (Value, usize) {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let size = r.to_string().len();
        let text = r["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{tool}: no text content in {r}"));
        (
            serde_json::from_str(text).expect("the tool answers JSON"),
            size,
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One trace of 20,000 spans: an agent, 400 LLM calls, each with (up to) 49 tool
/// calls.
fn big_trace(dir: &tempfile::TempDir) -> String {
    let tid = "b1".repeat(16);
    let kv = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    let mut spans = vec![
        json!({"traceId": tid, "spanId": format!("{:016x}", 1), "name": "invoke_agent big",
        "startTimeUnixNano": "1000000000", "endTimeUnixNano": "900000000000",
        "attributes": [kv("gen_ai.operation.name", "invoke_agent")]}),
    ];
    let mut id = 2u64;
    for c in 0..400u64 {
        let llm = id;
        spans.push(json!({"traceId": tid, "spanId": format!("{llm:016x}"), "parentSpanId": format!("{:016x}", 1),
            "name": "chat gpt-4o", "startTimeUnixNano": (2_000_000_000 + c * 1_000_000_000).to_string(),
            "endTimeUnixNano": (2_900_000_000u64 + c * 1_000_000_000).to_string(),
            "attributes": [kv("gen_ai.operation.name", "chat"), kv("gen_ai.request.model", "gpt-4o")]}));
        id += 1;
        for k in 0..49u64 {
            if spans.len() == 20_000 {
                break;
            }
            spans.push(json!({"traceId": tid, "spanId": format!("{id:016x}"), "parentSpanId": format!("{llm:016x}"),
                "name": format!("execute_tool t{k}"), "startTimeUnixNano": (2_000_000_000 + c * 1_000_000_000 + k * 1000).to_string(),
                "endTimeUnixNano": (2_000_000_500u64 + c * 1_000_000_000 + k * 1000).to_string(),
                "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", &format!("t{k}"))]}));
            id += 1;
        }
    }
    assert_eq!(spans.len(), 20_000);
    let doc = json!({"resourceSpans": [{"resource": {"attributes": [kv("service.name", "big")]}, "scopeSpans": [{"spans": spans}]}]});
    let p = dir.path().join("big.json");
    std::fs::write(&p, doc.to_string()).expect("write");
    p.to_str().expect("utf-8").to_owned()
}

#[test]
fn a_scripted_session_uses_every_tool_and_pages_through_20k_spans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = big_trace(&dir);
    let incident = common::fixture("agent-incident.otlp.json");
    let mut s = Session::start(&[incident.to_str().expect("path"), &big]);
    let tools = s.request("tools/list", json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for t in [
        "list_traces",
        "get_trace",
        "get_span",
        "find",
        "stats",
        "compare_traces",
    ] {
        assert!(names.contains(&t), "{t} in {names:?}");
    }
    // list_traces: filtered, paged honestly.
    let (all, _) = s.call("list_traces", json!({"limit": 2}));
    assert_eq!(all["paging"]["total"], 5);
    assert_eq!(all["paging"]["returned"], 2);
    assert_eq!(all["paging"]["more"], 3);
    assert!(
        all["paging"]["next"]
            .as_str()
            .expect("how to go on")
            .contains("offset=2")
    );
    let (failed, _) = s.call("list_traces", json!({"filter": "status:error"}));
    assert_eq!(failed["paging"]["total"], 1);
    let failed_id = failed["traces"][0]["trace_id"]
        .as_str()
        .expect("id")
        .to_owned();
    // get_trace on the 20k-span trace, page by page, within a client's limits.
    let mut seen = std::collections::HashSet::new();
    let mut offset = 0;
    let mut biggest = 0;
    loop {
        let (page, size) = s.call(
            "get_trace",
            json!({"trace_id": "b1b1", "offset": offset, "limit": 500}),
        );
        biggest = biggest.max(size);
        assert_eq!(page["paging"]["total"], 20_000);
        for sp in page["spans"].as_array().expect("spans") {
            seen.insert(sp["span_id"].as_str().expect("id").to_owned());
        }
        let returned = page["paging"]["returned"].as_u64().expect("returned") as usize;
        offset += returned;
        if page["paging"]["more"] == 0 {
            assert!(page["paging"]["next"].is_null());
            break;
        }
        assert!(
            page["paging"]["next"]
                .as_str()
                .expect("next")
                .contains(&format!("offset={offset}"))
        );
    }
    assert_eq!(seen.len(), 20_000, "every span, once");
    assert!(biggest < 400_000, "a page is {biggest} bytes");
    // The outline of the failed trace names its failure origin; get_span reads it.
    let (outline, _) = s.call("get_trace", json!({"trace_id": failed_id}));
    let origin = outline["failure_origins"][0]["span_id"]
        .as_str()
        .expect("an origin")
        .to_owned();
    assert!(!outline["findings"].as_array().expect("findings").is_empty());
    let tool_span = outline["spans"]
        .as_array()
        .expect("spans")
        .iter()
        .find(|sp| sp["kind"] == "tool")
        .expect("a tool step");
    let (detail, _) = s.call(
        "get_span",
        json!({"span_id": tool_span["span_id"], "sections": ["summary", "tool"]}),
    );
    assert!(
        detail["text"]
            .as_str()
            .expect("text")
            .contains("refund_payment"),
        "{detail}"
    );
    let (paged, _) = s.call("get_span", json!({"span_id": origin, "max_chars": 50}));
    assert_eq!(paged["paging"]["returned_chars"], 50);
    assert!(paged["paging"]["more_chars"].as_u64().expect("more") > 0);
    // find and stats.
    let (found, _) = s.call("find", json!({"kind": "failure_origin"}));
    assert!(found["paging"]["total"].as_u64().expect("total") >= 1);
    assert_eq!(found["findings"][0]["trace_id"], failed_id.as_str());
    let (stats, _) = s.call("stats", json!({"by": "tool"}));
    assert!(stats["groups"].as_array().expect("groups").len() >= 2);
    // Invalid arguments: a JSON-RPC error that says what was expected.
    for (tool, args, says) in [
        ("list_traces", json!({"filter": "dur>>"}), "filter"),
        ("list_traces", json!({"sort": "sideways"}), "expected start"),
        ("get_trace", json!({"trace_id": "nothex!"}), "hex digits"),
        (
            "get_trace",
            json!({"trace_id": "ffff"}),
            "no trace id starts with ffff",
        ),
        ("find", json!({"kind": "gremlins"}), "failure_origin"),
        (
            "get_span",
            json!({"span_id": "b1", "sections": ["poetry"]}),
            "expected summary",
        ),
    ] {
        let r = s.request("tools/call", json!({"name": tool, "arguments": args}));
        let msg = r["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{tool}: no error in {r}"));
        assert_eq!(r["error"]["code"], -32602, "{r}");
        assert!(msg.contains(says), "{tool}: {msg}");
    }
    // A missing argument: the SDK answers with a tool error that names it.
    let r = s.request("tools/call", json!({"name": "get_trace", "arguments": {}}));
    let said = r["error"]["message"]
        .as_str()
        .or_else(|| r["result"]["content"][0]["text"].as_str())
        .unwrap_or_default();
    assert!(said.contains("trace_id"), "a missing argument: {r}");
}

#[test]
fn answers_are_redacted_unless_asked_not_to_be() {
    let secrets: Vec<String> = std::fs::read_to_string(common::fixture("secrets.list"))
        .expect("secrets.list")
        .lines()
        .map(str::to_owned)
        .collect();
    let f = common::fixture("secrets.otlp.json");
    let f = f.to_str().expect("path");
    let run = |args: &[&str]| -> String {
        let mut s = Session::start(args);
        let mut all = String::new();
        let (list, _) = s.call("list_traces", json!({}));
        all.push_str(&list.to_string());
        let (outline, _) = s.call("get_trace", json!({"trace_id": "5ec4"}));
        all.push_str(&outline.to_string());
        for sp in outline["spans"].as_array().expect("spans") {
            let (d, _) = s.call(
                "get_span",
                json!({"span_id": sp["span_id"], "sections": ["summary", "messages", "tool", "attributes", "events", "links", "transcript"], "max_chars": 100000}),
            );
            all.push_str(&d.to_string());
        }
        for (tool, args) in [
            ("find", json!({})),
            ("stats", json!({"by": "model"})),
            (
                "compare_traces",
                json!({"trace_a": "5ec4", "trace_b": "5ec4"}),
            ),
        ] {
            all.push_str(&s.call(tool, args).0.to_string());
        }
        all
    };
    let redacted = run(&[f]);
    for secret in &secrets {
        // JSON escapes newlines: compare on the escaped form too.
        let escaped = serde_json::to_string(secret).expect("json");
        assert!(
            !redacted.contains(secret.as_str()) && !redacted.contains(escaped.trim_matches('"')),
            "leaks {secret}"
        );
    }
    assert!(run(&[f, "--no-redact"]).contains("jane.doe@customer-mail.example"));
}

#[test]
fn a_real_mcp_client_library_drives_the_server() {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyvenv/bin/python");
    let ok = python.exists()
        && Command::new(&python)
            .args(["-c", "import mcp"])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        common::skipped(
            "the Python `mcp` package is not installed in target/pyvenv (.ci/run installs it)",
        );
        return;
    }
    let out = Command::new(&python)
        .arg(common::fixture("../tests/mcp_client.py"))
        .arg(env!("CARGO_BIN_EXE_agtrace"))
        .arg(common::fixture("agent-incident.otlp.json"))
        .output()
        .expect("run the client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim()).expect("the client's report");
    assert_eq!(
        v["tools"],
        json!([
            "compare_traces",
            "find",
            "get_span",
            "get_trace",
            "list_traces",
            "stats"
        ])
    );
    assert_eq!(v["traces"], 4);
    assert_eq!(v["failed"], 1);
    assert!(
        v["origin_reason"].as_str().expect("reason").contains("504"),
        "{v}"
    );
    assert!(
        v["error"]
            .as_str()
            .expect("an error")
            .contains("hex digits"),
        "{v}"
    );
}

#[test]
fn compare_traces_finds_where_two_runs_went_different_ways() {
    let f = common::fixture("diff.otlp.json");
    let f = f.to_str().expect("path");
    // Redacted (the default): content is masked before comparing, so the runs first
    // differ where the shape of a result does, and no content is shown.
    let mut s = Session::start(&[f]);
    let (c, _) = s.call(
        "compare_traces",
        json!({"trace_a": "d1ff0000000000000000000000000a01", "trace_b": "d1ff0000000000000000000000000b02"}),
    );
    assert_eq!(c["redacted"], true);
    assert_eq!(c["comparison"]["first_divergence"], 2, "{c}");
    assert!(!c.to_string().contains("8821"), "{c}");
    drop(s);
    let mut s = Session::start(&[f, "--no-redact"]);
    let (c, size) = s.call(
        "compare_traces",
        json!({"trace_a": "d1ff0000000000000000000000000a01", "trace_b": "d1ff0000000000000000000000000b02", "limit": 3}),
    );
    assert!(size < 60_000);
    assert_eq!(c["comparison"]["first_divergence"], 1, "{c}");
    assert_eq!(c["comparison"]["same"], false);
    assert_eq!(c["paging"]["total"], 6);
    assert_eq!(c["paging"]["returned"], 3);
    let steps = c["steps"].as_array().expect("steps");
    assert_eq!(steps[2]["label"], "tool search_orders");
    assert_eq!(steps[2]["changes"][0]["what"], "arguments");
    assert!(
        steps[2]["changes"][0]["b"]
            .as_str()
            .expect("text")
            .contains("8821")
    );
    let (rest, _) = s.call(
        "compare_traces",
        json!({"trace_a": "d1ff0000000000000000000000000a01", "trace_b": "d1ff0000000000000000000000000b02", "offset": 3}),
    );
    let ops: Vec<&str> = rest["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|r| r["op"].as_str().expect("op"))
        .collect();
    assert_eq!(ops, ["changed", "only_a", "only_a"]);
    // A trace that is not there: an invalid-params error naming it.
    let r = s.request(
        "tools/call",
        json!({"name": "compare_traces", "arguments": {"trace_a": "ffff", "trace_b": "d1ff"}}),
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("ffff"),
        "{r}"
    );
}

/// One trace of 100,000 spans built to overflow answers (issue 29): a root and 150
/// spans whose names are 100 KB each, and 99,849 tool calls, one in ten failing.
fn overflowing_trace(dir: &tempfile::TempDir) -> String {
    let tid = "c2".repeat(16);
    let kv = |k: &str, v: &str| json!({"key": k, "value": {"stringValue": v}});
    let long = |k: u64| format!("{k:04} {}", "n".repeat(100_000));
    let mut spans = vec![
        json!({"traceId": tid, "spanId": format!("{:016x}", 1), "name": long(0),
        "startTimeUnixNano": "1000000000", "endTimeUnixNano": "900000000000",
        "attributes": [kv("gen_ai.operation.name", "invoke_agent")]}),
    ];
    for k in 2..152u64 {
        spans.push(json!({"traceId": tid, "spanId": format!("{k:016x}"), "parentSpanId": format!("{:016x}", 1),
            "name": long(k), "startTimeUnixNano": (2_000_000_000 + k * 1000).to_string(),
            "endTimeUnixNano": (2_000_000_500u64 + k * 1000).to_string(),
            "attributes": [kv("gen_ai.operation.name", "chat"), kv("gen_ai.request.model", "m")]}));
    }
    for k in 152..100_001u64 {
        let status = if k % 10 == 0 {
            json!({"code": 2, "message": format!("tool t{k} failed")})
        } else {
            json!({})
        };
        spans.push(json!({"traceId": tid, "spanId": format!("{k:016x}"), "parentSpanId": format!("{:016x}", 1),
            "name": format!("execute_tool t{}", k % 500), "startTimeUnixNano": (3_000_000_000 + k * 1000).to_string(),
            "endTimeUnixNano": (3_000_000_500u64 + k * 1000).to_string(),
            "status": status,
            "attributes": [kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", &format!("t{}", k % 500))]}));
    }
    assert_eq!(spans.len(), 100_000);
    let doc = json!({"resourceSpans": [{"resource": {"attributes": [kv("service.name", "huge")]}, "scopeSpans": [{"spans": spans}]}]});
    let p = dir.path().join("overflow.json");
    std::fs::write(&p, doc.to_string()).expect("write");
    p.to_str().expect("utf-8").to_owned()
}

/// Every answer fits one page (60 KB of rows) however large a row is: rows too big
/// alone are cut and marked `truncated`, a trace row lists its first findings and
/// says how to get the rest, `stats` and `get_trace`'s first page are capped as a
/// whole, and paging still moves on.
#[test]
fn answers_fit_a_page_whatever_the_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = overflowing_trace(&dir);
    let mut s = Session::start(&[&f, "--no-redact"]);
    let limit = 61_000;
    for (tool, args) in [
        ("list_traces", json!({"limit": 1})),
        ("list_traces", json!({})),
        ("get_trace", json!({"trace_id": "c2c2"})),
        (
            "get_trace",
            json!({"trace_id": "c2c2", "offset": 1, "limit": 500}),
        ),
        ("find", json!({"limit": 500})),
        ("stats", json!({"by": "name", "limit": 500})),
        ("stats", json!({"by": "tool", "limit": 500})),
    ] {
        let (answer, size) = s.call(tool, args.clone());
        let text = answer.to_string();
        assert!(
            text.len() <= limit,
            "{tool} {args}: {} bytes of answer ({size} in all)",
            text.len()
        );
        let paging = &answer["paging"];
        assert!(
            paging["returned"].as_u64().is_some_and(|n| n > 0),
            "{tool} {args}: nothing returned: {paging}"
        );
    }
    let (list, _) = s.call("list_traces", json!({"limit": 1}));
    let row = &list["traces"][0];
    assert_eq!(row["truncated"], true, "{row}");
    let (outline, _) = s.call("get_trace", json!({"trace_id": "c2c2"}));
    assert!(
        outline["findings_more"]
            .as_str()
            .is_some_and(|m| m.contains("call find")),
        "{}",
        outline["findings_more"]
    );
}

/// Every request line gets an answer (issue 29): a lone surrogate, params nested 200
/// deep, a line that is not JSON and a line over 16 MiB are answered with JSON-RPC
/// errors carrying their ids, and the session goes on.
#[test]
fn every_request_is_answered_even_unreadable_ones() {
    let f = common::fixture("findings.otlp.json");
    let mut s = Session::start(&[f.to_str().expect("path")]);
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let long = format!(
        r#"{{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{{"name":"list_traces","arguments":{{"filter":"{}"}}}}}}"#,
        "x".repeat(17 << 20)
    );
    for (line, id, code) in [
        (
            r#"{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"list_traces","arguments":{"filter":"\ud800"}}}"#.to_owned(),
            json!(11),
            -32700,
        ),
        (
            format!(r#"{{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{{"name":"find","arguments":{{"x":{deep}}}}}}}"#),
            json!("deep"),
            -32600,
        ),
        ("this is not JSON".to_owned(), Value::Null, -32700),
        (long, json!(14), -32600),
    ] {
        writeln!(s.input, "{line}").expect("write");
        s.input.flush().expect("flush");
        let mut answer = String::new();
        s.output.read_line(&mut answer).expect("read");
        let v: Value = serde_json::from_str(&answer).expect("a JSON-RPC answer");
        assert_eq!(v["id"], id, "{answer}");
        assert_eq!(v["error"]["code"], code, "{answer}");
    }
    // Still serving.
    let (list, _) = s.call("list_traces", json!({}));
    assert!(list["paging"]["total"].as_u64().is_some_and(|n| n > 0));
}
