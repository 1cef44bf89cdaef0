//! Findings judged against peers compare like with like, and need a size worth
//! waking someone for: runs of the same service and agent (Vercel AI SDK roots are
//! all `ai.generateText`; their `ai.telemetry.functionId` says which function ran),
//! steps slow by an absolute floor as well as a ratio. Also: a tool polled or paged
//! with the same arguments but a changing result is not a loop, and calls repeated
//! after an error are a retry, not a loop.

mod common;
use agtrace::model::TraceSet;
use serde_json::{Value, json};

/// One span: (trace, span id, parent, name, start ms, duration ms, attributes).
type S<'a> = (u32, u32, u32, &'a str, u64, u64, Value);

const T0: u64 = 1_763_694_720_000_000_000;

/// Loads spans of one service (`svc`) written as OTLP JSON.
fn load(svc: &str, spans: &[S<'_>]) -> TraceSet {
    let to_attrs = |v: &Value| -> Vec<Value> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, x)| {
                        let value = match x {
                            Value::String(s) => json!({"stringValue": s}),
                            Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
                            Value::Number(n) => json!({"doubleValue": n}),
                            Value::Bool(b) => json!({"boolValue": b}),
                            other => json!({"stringValue": other.to_string()}),
                        };
                        json!({"key": k, "value": value})
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let spans: Vec<Value> = spans
        .iter()
        .map(|(t, id, parent, name, start, dur, attrs)| {
            json!({
                "traceId": format!("{t:032x}"),
                "spanId": format!("{id:016x}"),
                "parentSpanId": if *parent == 0 { String::new() } else { format!("{parent:016x}") },
                "name": name,
                "kind": 1,
                "startTimeUnixNano": (T0 + start * 1_000_000).to_string(),
                "endTimeUnixNano": (T0 + (start + dur) * 1_000_000).to_string(),
                "attributes": to_attrs(attrs),
            })
        })
        .collect();
    let doc = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
        "scopeSpans": [{"spans": spans}],
    }]});
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("peers.json");
    std::fs::write(&path, doc.to_string()).expect("write");
    common::load_ok(&[path.to_str().expect("path")])
}

fn kinds(set: &TraceSet, kind: &str) -> Vec<u32> {
    set.findings
        .iter()
        .filter(|f| f.kind.as_str() == kind)
        .map(|f| f.trace)
        .collect()
}

/// Seven short runs of one function and one long run of another, all rooted at
/// `ai.generateText`: the long one has no peers of its own, so no runaway (it was
/// one, judged against the other function's runs).
#[test]
fn runaway_compares_runs_of_the_same_function_only() {
    let mut spans: Vec<S<'_>> = Vec::new();
    let mut id = 1;
    for t in 1..=8u32 {
        let function = if t == 8 { "summarize" } else { "classify" };
        let root = id;
        spans.push((
            t,
            root,
            0,
            "ai.generateText",
            0,
            100,
            json!({"ai.telemetry.functionId": function, "ai.operationId": "ai.generateText"}),
        ));
        id += 1;
        let calls = if t == 8 { 40 } else { 2 };
        for k in 0..calls {
            spans.push((
                t,
                id,
                root,
                "ai.generateText.doGenerate",
                k,
                1,
                json!({"ai.operationId": "ai.generateText.doGenerate", "gen_ai.request.model": "gpt-4o-mini",
                       "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2}),
            ));
            id += 1;
        }
    }
    let set = load("app", &spans);
    assert!(
        kinds(&set, "runaway").is_empty(),
        "{:?}",
        set.findings.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    // Six more runs of `summarize`, short: now it has peers, and the long one is a runaway.
    for t in 9..=14u32 {
        let root = id;
        spans.push((
            t,
            root,
            0,
            "ai.generateText",
            0,
            100,
            json!({"ai.telemetry.functionId": "summarize"}),
        ));
        id += 1;
        spans.push((
            t,
            id,
            root,
            "ai.generateText.doGenerate",
            0,
            1,
            json!({"ai.operationId": "ai.generateText.doGenerate", "gen_ai.request.model": "gpt-4o-mini",
                   "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2}),
        ));
        id += 1;
    }
    let set = load("app", &spans);
    let runaways = kinds(&set, "runaway");
    assert_eq!(runaways.len(), 1, "{runaways:?}");
    assert_eq!(
        set.traces[runaways[0] as usize].id.to_string(),
        format!("{:032x}", 8)
    );
}

/// 24 calls of a tool at 3 ms and one at 10.6 ms: over 2× the p95, but nobody waits
/// on 10 ms — not slow (it was). The same shape at 100 ms and 600 ms is.
#[test]
fn slow_needs_an_absolute_floor_as_well_as_a_ratio() {
    for (usual, odd, want) in [(3u64, 11u64, false), (100, 600, true)] {
        let mut spans: Vec<S<'_>> = Vec::new();
        for t in 1..=25u32 {
            let dur = if t == 25 { odd } else { usual };
            spans.push((
                t,
                t * 10,
                0,
                "run",
                0,
                dur + 10,
                json!({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}),
            ));
            spans.push((
                t,
                t * 10 + 1,
                t * 10,
                "execute_tool lookup",
                1,
                dur,
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"}),
            ));
        }
        let set = load("app", &spans);
        assert_eq!(
            !kinds(&set, "slow").is_empty(),
            want,
            "{usual} ms vs {odd} ms"
        );
    }
}

/// A trace of one agent calling `tool` with `args` and these (outcome, result)s in turn.
fn calls(tool: &str, args: &str, results: &[(bool, &str)]) -> TraceSet {
    let mut spans: Vec<S<'_>> = vec![(
        1,
        1,
        0,
        "invoke_agent a",
        0,
        1000,
        json!({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"}),
    )];
    for (n, (ok, result)) in results.iter().enumerate() {
        let mut a = json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                           "gen_ai.tool.call.arguments": args, "gen_ai.tool.call.result": result});
        if !ok {
            a["error.type"] = json!("TimeoutError");
        }
        spans.push((
            1,
            2 + n as u32,
            1,
            "execute_tool",
            10 + 50 * n as u64,
            20,
            a,
        ));
    }
    load("app", &spans)
}

/// Polling a job with the same arguments while its status changes is waiting, not a
/// loop; the same answer every time is a loop.
#[test]
fn a_poll_whose_answer_changes_is_not_a_loop() {
    let poll = calls(
        "job_status",
        r#"{"job": "j-1"}"#,
        &[
            (true, r#"{"status": "pending"}"#),
            (true, r#"{"status": "pending"}"#),
            (true, r#"{"status": "running"}"#),
            (true, r#"{"status": "done"}"#),
        ],
    );
    assert!(kinds(&poll, "loop").is_empty());
    let stuck = calls(
        "job_status",
        r#"{"job": "j-1"}"#,
        &[(true, r#"{"status": "pending"}"#); 4],
    );
    assert_eq!(kinds(&stuck, "loop").len(), 1);
}

/// A tool that timed out twice and then answered was retried: a `retry` finding
/// (info), not a loop; one that never answered is a warning.
#[test]
fn calls_repeated_after_a_failure_are_a_retry_chain() {
    let recovered = calls(
        "charge",
        r#"{"amount": 10}"#,
        &[(false, "timeout"), (false, "timeout"), (true, "charged")],
    );
    assert!(kinds(&recovered, "loop").is_empty());
    let retry: Vec<_> = recovered
        .findings
        .iter()
        .filter(|f| f.kind.as_str() == "retry")
        .collect();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].spans.len(), 3);
    assert_eq!(retry[0].severity.as_str(), "info");
    assert!(
        retry[0].message.contains("retried 2×"),
        "{}",
        retry[0].message
    );
    let gave_up = calls("charge", r#"{"amount": 10}"#, &[(false, "timeout"); 3]);
    let retry: Vec<_> = gave_up
        .findings
        .iter()
        .filter(|f| f.kind.as_str() == "retry")
        .collect();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].severity.as_str(), "warning");
    assert!(kinds(&gave_up, "loop").is_empty());
}

/// A failed call recorded by two instrumentations (traceloop's span and the
/// provider SDK's own, no response id, no usage) is one LLM call; two failed calls
/// of one instrumentation made in parallel stay two.
#[test]
fn twin_records_of_a_failed_call_merge_but_parallel_calls_do_not() {
    let span = |id: u32, name: &str, start: u64, end: u64| {
        json!({"traceId": format!("{:032x}", 7), "spanId": format!("{id:016x}"),
               "parentSpanId": format!("{:016x}", 1), "name": name, "kind": 3,
               "startTimeUnixNano": (T0 + start * 1_000_000).to_string(),
               "endTimeUnixNano": (T0 + end * 1_000_000).to_string(),
               "status": {"code": 2},
               "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                              {"key": "gen_ai.request.model", "value": {"stringValue": "claude-x"}}]})
    };
    let root = json!({"traceId": format!("{:032x}", 7), "spanId": format!("{:016x}", 1),
        "name": "workflow", "kind": 1, "startTimeUnixNano": T0.to_string(),
        "endTimeUnixNano": (T0 + 100_000_000).to_string()});
    let load_doc = |scopes: Vec<(&str, Vec<Value>)>| {
        let doc = json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "app"}}]},
            "scopeSpans": scopes.into_iter().map(|(name, spans)| json!({"scope": {"name": name}, "spans": spans})).collect::<Vec<_>>(),
        }]});
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("twins.json");
        std::fs::write(&path, doc.to_string()).expect("write");
        common::load_ok(&[path.to_str().expect("path")])
    };
    // traceloop opens its span 8 ms before the SDK's (a loaded machine), the SDK's
    // ends first.
    let twins = load_doc(vec![
        (
            "opentelemetry.instrumentation.anthropic",
            vec![root.clone(), span(2, "anthropic.chat", 10, 40)],
        ),
        (
            "anthropic",
            vec![span(3, "anthropic.messages.create", 18, 35)],
        ),
    ]);
    assert_eq!(twins.traces[0].llm_calls, 1);
    let parallel = load_doc(vec![(
        "opentelemetry.instrumentation.anthropic",
        vec![
            root,
            span(2, "anthropic.chat", 10, 40),
            span(3, "anthropic.chat", 11, 30),
        ],
    )]);
    assert_eq!(parallel.traces[0].llm_calls, 2);
}
