//! Third-party sample dumps from `../shared/realdata/` (when present): every OTLP and
//! Jaeger file loads with the span, trace and error counts its PROVENANCE.md gives
//! (and a Jaeger file as the same model as the OTLP it was made from); every other
//! file (Zipkin, vendor exports) and the invalid OTLP files get a clear error or a
//! clear per-span warning, never a panic. Skipped, saying so, when absent.

mod common;
use agtrace::source::{Input, LoadError, LoadOptions, load};
use std::path::PathBuf;

fn realdata() -> Option<PathBuf> {
    // AGTRACE_REALDATA points elsewhere (or nowhere, to see the skip).
    let dir = std::env::var_os("AGTRACE_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata"));
    if dir.join("PROVENANCE.md").exists() {
        Some(dir)
    } else {
        common::skipped(
            "../shared/realdata/PROVENANCE.md not found; this real-data test did not run",
        );
        None
    }
}

struct Row {
    file: String,
    spans: usize,
    traces: usize,
    errors: usize,
    format: String,
}

/// The table rows of PROVENANCE.md. Where the span column explains de-duplication
/// ("2 records …: 1 after de-duplication") the count after de-duplication is used.
fn rows(dir: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("PROVENANCE.md")).expect("read PROVENANCE.md");
    let num = |s: &str| -> usize {
        let s = s.trim();
        let s = s.rsplit_once(':').map_or(s, |(_, after)| after);
        s.split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no number in {s:?}"))
    };
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            Row {
                file: cols[1].trim_matches('`').to_owned(),
                spans: num(cols[3]),
                traces: num(cols[4]),
                errors: num(cols[5]),
                format: cols[6].to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_realdata_file_loads_or_is_refused_clearly() {
    let Some(dir) = realdata() else { return };
    let rows = rows(&dir);
    assert!(
        rows.len() >= 15,
        "PROVENANCE.md table parsed: {} rows",
        rows.len()
    );
    let mut checked = 0;
    for row in rows {
        let path = dir.join(&row.file);
        let result = load(&[Input::Path(path.clone())], &LoadOptions::with_threads(2));
        // Formats agtrace reads: OTLP, Jaeger and Zipkin JSON, Langfuse exports, flat spans.
        let is_otlp = row.format.starts_with("OTLP")
            || row.format.starts_with("Jaeger")
            || row.format.starts_with("Zipkin")
            || row.format.starts_with("Langfuse")
            || row.format.contains("flat spans");
        let invalid = row.format.contains("invalid");
        match (is_otlp, invalid, result) {
            (true, false, Ok(set)) => {
                // A count of records before de-duplication counts the merged copies.
                let records = set.spans.len() + set.integrity.duplicates as usize;
                assert!(
                    set.spans.len() == row.spans || records == row.spans,
                    "{}: {} spans ({records} records), PROVENANCE says {}",
                    row.file,
                    set.spans.len(),
                    row.spans
                );
                assert_eq!(set.traces.len(), row.traces, "{}: traces", row.file);
                let errors: usize = set.traces.iter().map(|t| t.error_count as usize).sum();
                assert_eq!(errors, row.errors, "{}: error spans", row.file);
                checked += 1;
            }
            (true, true, Ok(set)) => {
                // Either the span is refused with a warning naming the problem, or it
                // loads with a warning about the field that was wrong.
                assert!(
                    !set.warnings.is_empty(),
                    "{}: invalid input must warn",
                    row.file
                );
                let w = set.warnings[0].to_string();
                assert!(w.contains(&row.file), "{w}");
                assert!(
                    w.contains("span id") || w.contains("trace id") || w.contains("span kind"),
                    "{w}"
                );
                checked += 1;
            }
            (true, true, Err(e)) => {
                assert!(e.to_string().contains(&row.file));
                checked += 1;
            }
            (false, _, Err(LoadError::NotTrace { what, .. })) => {
                let f = row.format.to_lowercase();
                if f.contains("jaeger") {
                    assert!(what.contains("Jaeger"), "{}: {what}", row.file);
                } else if f.contains("zipkin") {
                    assert!(what.contains("Zipkin"), "{}: {what}", row.file);
                } else if f.contains("langfuse") {
                    assert!(what.contains("Langfuse"), "{}: {what}", row.file);
                } else {
                    assert!(what.contains("not OTLP"), "{}: {what}", row.file);
                }
                checked += 1;
            }
            (is_otlp, invalid, other) => panic!(
                "{}: format {:?} (otlp={is_otlp}, invalid={invalid}) gave {:?}",
                row.file,
                row.format,
                other.map(|s| s.spans.len())
            ),
        }
    }
    eprintln!("checked {checked} real-data files");
}

#[test]
fn json_and_protobuf_forms_of_the_same_payload_agree() {
    let Some(dir) = realdata() else { return };
    let opts = LoadOptions::with_threads(2);
    let json = load(
        &[Input::Path(dir.join("otlp2parquet-trace.otlp.json"))],
        &opts,
    )
    .expect("json");
    let pb = load(
        &[Input::Path(dir.join("otlp2parquet-trace.otlp.pb"))],
        &opts,
    )
    .expect("pb");
    assert_eq!(json.spans.len(), pb.spans.len());
    for (a, b) in json.spans.iter().zip(&pb.spans) {
        assert_eq!(
            (a.trace_id, a.span_id, a.parent_span_id),
            (b.trace_id, b.span_id, b.parent_span_id)
        );
        assert_eq!(
            (a.start, a.end, a.kind, a.status),
            (b.start, b.end, b.kind, b.status)
        );
        assert_eq!(json.str(a.name), pb.str(b.name));
        assert_eq!(a.attrs.len, b.attrs.len);
    }
}

/// strands-evals flat spans → OTLP/JSON (the test converts the layout; agtrace reads
/// only OTLP): ids and times as given, the flat attribute map as typed KeyValues.
fn flat_spans_to_otlp(spans: &[serde_json::Value]) -> String {
    use serde_json::{Value, json};
    let any = |v: &Value| match v {
        Value::String(s) => json!({"stringValue": s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n}),
        other => json!({"stringValue": other.to_string()}),
    };
    let out: Vec<Value> = spans
        .iter()
        .map(|s| {
            let attrs: Vec<Value> = s["attributes"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| json!({"key": k, "value": any(v)}))
                        .collect()
                })
                .unwrap_or_default();
            let code = match s["status"]["code"].as_str() {
                Some("ERROR") => 2,
                Some("OK") => 1,
                _ => 0,
            };
            json!({
                "traceId": s["trace_id"], "spanId": s["span_id"],
                "parentSpanId": s["parent_span_id"].as_str().unwrap_or(""),
                "name": s["name"],
                "startTimeUnixNano": s["start_time"].to_string(),
                "endTimeUnixNano": s["end_time"].to_string(),
                "attributes": attrs,
                "status": {"code": code, "message": s["status"]["message"].as_str().unwrap_or("")},
            })
        })
        .collect();
    json!({"resourceSpans": [{"scopeSpans": [{"spans": out}]}]}).to_string()
}

fn load_text(text: String) -> agtrace::model::TraceSet {
    let set = agtrace::source::load_bytes(
        text.into_bytes(),
        "converted",
        0,
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let mut set = agtrace::model::TraceSet::build(set.batches, vec!["converted".into()], vec![]);
    agtrace::semconv::annotate(&mut set, &agtrace::semconv::PriceTable::bundled());
    set
}

/// Kinds by span name, and the check that trace tokens are the sum of leaf LLM steps.
fn kinds_and_tokens(
    set: &agtrace::model::TraceSet,
) -> (Vec<(String, &'static str)>, u64, u64, u64) {
    use agtrace::model::StepKind;
    let kinds = (0..set.spans.len() as u32)
        .map(|i| {
            (
                set.str(set.spans[i as usize].name).to_owned(),
                set.step(i).kind.as_str(),
            )
        })
        .collect();
    let trace_in: u64 = set.traces.iter().map(|t| t.tokens.input.unwrap_or(0)).sum();
    let leaf_in: u64 = set
        .steps
        .iter()
        .filter(|s| s.billable_leaf && s.kind == StepKind::Llm)
        .map(|s| s.tokens.input.unwrap_or(0))
        .sum();
    let naive_in: u64 = set.steps.iter().map(|s| s.tokens.input.unwrap_or(0)).sum();
    (kinds, trace_in, leaf_in, naive_in)
}

#[test]
fn genai_files_classify_by_their_conventions_and_tokens_add_up_from_leaves() {
    let Some(dir) = realdata() else { return };
    // OpenInference (smolagents): AGENT / CHAIN / LLM / TOOL; the agent span repeats
    // the run's token totals, which must not be added again.
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("strandsevals-smolagents-live.flatspans.json"))
            .expect("read"),
    )
    .expect("json");
    let set = load_text(flat_spans_to_otlp(v.as_array().expect("list")));
    let (kinds, trace_in, leaf_in, naive_in) = kinds_and_tokens(&set);
    for (name, kind) in &kinds {
        let want = match name.as_str() {
            "LiteLLMModel.generate" => "llm",
            "DuckDuckGoSearchTool" | "FinalAnswerTool" => "tool",
            "CodeAgent.run" => "agent",
            n if n.starts_with("Step ") => "chain",
            other => panic!("unexpected span {other}"),
        };
        assert_eq!(kind, &want, "{name}");
    }
    assert_eq!(trace_in, 2366 + 3890);
    assert_eq!(trace_in, leaf_in);
    assert!(
        naive_in > trace_in,
        "the agent span's aggregate is not double-counted"
    );
    assert_eq!(set.traces[0].llm_calls, 2);
    assert_eq!(set.traces[0].tool_calls, 2);

    // OTel GenAI (OpenAI Agents SDK via ADOT): invoke_agent / chat / execute_tool, HTTP
    // spans as other, a failed handoff.
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("strandsevals-openai-agents-genai-adot.flatspans.json"))
            .expect("read"),
    )
    .expect("json");
    let set = load_text(flat_spans_to_otlp(v["spans"].as_array().expect("spans")));
    let (kinds, trace_in, leaf_in, _) = kinds_and_tokens(&set);
    for (name, kind) in &kinds {
        let want = match name.as_str() {
            n if n.starts_with("chat ") => "llm",
            n if n.starts_with("execute_tool ") => "tool",
            n if n.starts_with("invoke_agent ") || n == "Agent workflow" => "agent",
            n if n.starts_with("POST") => "other",
            _ => continue,
        };
        assert_eq!(kind, &want, "{name}");
    }
    assert_eq!(trace_in, leaf_in);
    assert_eq!(
        trace_in,
        148 + 257 + 287,
        "input tokens of the three chat calls"
    );
    let failed: Vec<&str> = set
        .steps
        .iter()
        .zip(&set.spans)
        .filter(|(st, _)| st.outcome == agtrace::model::Outcome::Error)
        .map(|(_, s)| set.str(s.name))
        .collect();
    assert!(
        failed.iter().any(|n| n.starts_with("agent_handoff")),
        "{failed:?}"
    );

    // Google ADK, OTLP with logs: invoke_workflow → invoke_agent → call_llm →
    // generate_content; call_llm repeats the usage of its generate_content child.
    let set = load(
        &[Input::Path(
            dir.join("agentevals-adk-v2-single-turn.otlp+logs.json"),
        )],
        &LoadOptions::with_threads(1),
    )
    .expect("adk");
    let (kinds, trace_in, leaf_in, naive_in) = kinds_and_tokens(&set);
    let kind_of = |prefix: &str| {
        kinds
            .iter()
            .find(|(n, _)| n.starts_with(prefix))
            .map(|(_, k)| *k)
    };
    assert_eq!(kind_of("invoke_workflow"), Some("chain"));
    assert_eq!(kind_of("invoke_agent"), Some("agent"));
    assert_eq!(kind_of("call_llm"), Some("llm"));
    assert_eq!(kind_of("generate_content"), Some("llm"));
    assert!(trace_in > 0);
    assert_eq!(trace_in, leaf_in);
    assert!(naive_in >= trace_in);
    let t = &set.traces[0];
    assert!(
        !set.str(t.session).is_empty(),
        "gen_ai.conversation.id is the session"
    );
}

/// jaegertracing/jaeger's translator fixture pair: the same trace as OTLP/JSON and as
/// the query API's Jaeger JSON loads as the same spans, tree, times, kinds, status and
/// attributes.
#[test]
fn jaeger_json_loads_as_the_otlp_it_was_made_from() {
    let Some(dir) = realdata() else { return };
    let one =
        |f: &str| load(&[Input::Path(dir.join(f))], &LoadOptions::with_threads(1)).expect("load");
    let (otlp, jaeger) = (
        one("jaeger-otlp2jaeger-in.otlp.json"),
        one("jaeger-otlp2jaeger-out.jaeger.json"),
    );
    let digest = |set: &agtrace::model::TraceSet| -> Vec<String> {
        set.spans
            .iter()
            .map(|s| {
                let mut attrs: Vec<String> = set
                    .span_attrs(s)
                    .iter()
                    .map(|a| format!("{}={}", set.str(a.key), a.value.display(&set.strings)))
                    .collect();
                attrs.sort();
                format!(
                    "{} {} {} {} {:?} {:?} {} {} [{}] svc={}",
                    s.trace_id,
                    s.span_id,
                    s.parent_span_id,
                    set.str(s.name),
                    s.kind,
                    s.status,
                    s.start,
                    s.end,
                    attrs.join(","),
                    set.service_of(s)
                )
            })
            .collect()
    };
    assert_eq!(digest(&jaeger), digest(&otlp));
}

/// The ADK run exported with its GenAI log records beside the spans: the model call
/// shows its conversation from them.
#[test]
fn genai_log_records_in_a_real_export_show_the_conversation() {
    let Some(dir) = realdata() else { return };
    let set = load(
        &[Input::Path(
            dir.join("agentevals-adk-v2-single-turn.otlp+logs.json"),
        )],
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let with_messages = set
        .spans
        .iter()
        .filter(|s| !agtrace::semconv::messages::conversation(&set, s).is_empty())
        .count();
    assert!(with_messages >= 1, "no span shows its messages");
}
