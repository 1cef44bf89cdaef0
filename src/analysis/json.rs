//! The JSON forms of traces, spans and steps: field names are a stable, documented
//! interface shared by `ls --json`, `show --json`, `show --detail --json` and the
//! explorer's Raw tab.

use crate::model::{CostSource, Marks, Trace, TraceSet};
use crate::semconv::messages::{Conversation, Part};
use crate::semconv::tool_io;
use serde_json::{Map, Value, json};

/// A string for JSON output: `null` when empty.
pub fn opt_str(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { s.into() }
}

/// The JSON object for one trace (field names are a stable, documented interface).
pub fn trace_json(set: &TraceSet, tr: &Trace) -> Value {
    let ig = &tr.integrity;
    let findings = set
        .trace_index
        .get(&tr.id)
        .and_then(|&t| super::findings::of_trace(set, t))
        .map(|fs| Value::Array(fs.iter().map(super::findings::finding_json).collect()))
        .unwrap_or(Value::Null);
    json!({
        "trace_id": tr.id.to_string(),
        "root_name": set.str(tr.root_name),
        "agent_name": opt_str(set.str(tr.agent_name)),
        "service": set.str(tr.service),
        "session_id": opt_str(set.str(tr.session)),
        "start_unix_nano": tr.start,
        "end_unix_nano": tr.end,
        "duration_ms": tr.duration_ns() as f64 / 1e6,
        "span_count": tr.span_count,
        "error_count": tr.error_count,
        "warning_count": tr.warning_count,
        "status": tr.outcome().as_str(),
        "llm_calls": tr.llm_calls,
        "tool_calls": tr.tool_calls,
        "input_tokens": tr.tokens.input,
        "output_tokens": tr.tokens.output,
        "cache_read_tokens": tr.tokens.cache_read,
        "cache_write_tokens": tr.tokens.cache_write,
        "reasoning_tokens": tr.tokens.reasoning,
        "cost_usd": tr.cost(),
        "cost_partial": tr.cost_is_partial(),
        "cost_source": tr.cost_sources().map(|(provided, priced, unknown)| {
            json!({"provided": provided, "priced": priced, "unknown": unknown})
        }),
        "orphan_count": ig.orphans,
        "clock_skew_count": ig.clock_skew,
        "unfinished_count": ig.unfinished,
        "cycle_count": ig.cycles,
        "duplicate_count": ig.duplicates,
        "findings": findings,
        "sources": sources_json(set, tr),
        "evaluations": super::evaluation::of_trace_json(set, set.trace_spans(tr)),
    })
}

/// The inputs a trace came from and the format each was read as.
fn sources_json(set: &TraceSet, tr: &Trace) -> Value {
    Value::Array(
        set.trace_sources(tr)
            .into_iter()
            .map(|s| {
                json!({
                    "name": set.sources.get(s as usize).map_or("", String::as_str),
                    "format": opt_str(set.source_format(s)),
                })
            })
            .collect(),
    )
}

/// Attributes as an object; a key the span repeats keeps every value, the later ones
/// under `key#2`, `key#3`… (a JSON object holds one value per key; the model holds
/// what was sent).
fn attrs_json(set: &TraceSet, attrs: &[crate::model::Attr]) -> Map<String, Value> {
    let mut out = Map::with_capacity(attrs.len());
    for a in attrs {
        let key = set.str(a.key);
        let value = a.value.to_json(&set.strings);
        if !out.contains_key(key) {
            out.insert(key.to_owned(), value);
            continue;
        }
        let mut n = 2;
        while out.contains_key(&format!("{key}#{n}")) {
            n += 1;
        }
        out.insert(format!("{key}#{n}"), value);
    }
    out
}

/// The JSON object for one span (field names are a stable, documented interface).
pub fn span_json(set: &TraceSet, i: u32) -> Value {
    let s = &set.spans[i as usize];
    let step = set.step(i);
    let events: Vec<Value> = set
        .span_events(s)
        .iter()
        .map(|e| json!({"name": set.str(e.name), "time_unix_nano": e.time, "attributes": attrs_json(set, &set.attrs[e.attrs.range()])}))
        .collect();
    let links: Vec<Value> = set
        .span_links(s)
        .iter()
        .map(|l| json!({"trace_id": l.trace_id.to_string(), "span_id": l.span_id.to_string(), "attributes": attrs_json(set, &set.attrs[l.attrs.range()])}))
        .collect();
    let reason = {
        let r = set.str(step.reason);
        if r.is_empty() {
            set.str(s.status_message)
        } else {
            r
        }
    };
    let finish: Vec<&str> = set
        .str(step.finish_reasons)
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let (tool_args, tool_result) = if step.kind == crate::model::StepKind::Tool {
        crate::semconv::tool_io(set, s)
    } else {
        (None, None)
    };
    json!({
        "trace_id": s.trace_id.to_string(),
        "span_id": s.span_id.to_string(),
        "parent_span_id": (!s.parent_span_id.is_none()).then(|| s.parent_span_id.to_string()),
        "depth": s.depth,
        "name": set.str(s.name),
        "kind": step.kind.as_str(),
        "kind_source": step.kind_source,
        "span_kind": s.kind.as_str(),
        "service": set.service_of(s),
        "start_unix_nano": s.start,
        "end_unix_nano": s.end,
        "duration_ms": s.duration_ns() as f64 / 1e6,
        "status": step.outcome.as_str(),
        "status_code": s.status.as_str(),
        "status_reason": opt_str(reason),
        "model": opt_str(set.str(step.model)),
        "model_requested": opt_str(set.str(step.model_requested)),
        "provider": opt_str(set.str(step.provider)),
        "tool_name": opt_str(set.str(step.tool_name)),
        "tool_call_id": opt_str(set.str(step.tool_call_id)),
        "tool_arguments": tool_args,
        "tool_result": tool_result,
        "input_tokens": step.tokens.input,
        "output_tokens": step.tokens.output,
        "cache_read_tokens": step.tokens.cache_read,
        "cache_write_tokens": step.tokens.cache_write,
        "reasoning_tokens": step.tokens.reasoning,
        "cost_usd": step.cost(),
        "cost_source": match step.cost_source {
            CostSource::Provided => "provided",
            CostSource::Priced => "priced",
            CostSource::Unknown => "unknown",
            CostSource::None => "none",
        },
        "finish_reasons": finish,
        "time_to_first_token_ms": super::steptime::time_to_first_token(set, i)
            .map(|ns| ns as f64 / 1e6),
        "session_id": opt_str(set.str(step.session)),
        "user_id": opt_str(set.str(step.user)),
        "agent_name": opt_str(set.str(step.agent_name)),
        "orphan": s.marks.has(Marks::ORPHAN),
        "marks": s.marks.labels(),
        "evaluations": super::evaluation::of_span(set, i)
            .iter()
            .map(super::evaluation::to_json)
            .collect::<Vec<_>>(),
        "findings": super::findings::led_by(set, i)
            .map(super::findings::finding_json)
            .collect::<Vec<_>>(),
        "attributes": attrs_json(set, set.span_attrs(s)),
        "events": events,
        "links": links,
    })
}

/// One transcript entry as JSON: `{span_id, step, role, parts}` (parts as in
/// `conversation`).
pub fn transcript_entry_json(set: &TraceSet, e: &super::transcript::Entry) -> Value {
    let s = &set.spans[e.span as usize];
    let c = Conversation {
        input: vec![crate::semconv::messages::Message {
            role: e.role.clone(),
            parts: e.parts.clone(),
            finish_reason: None,
        }],
        ..Conversation::default()
    };
    let parts = conversation_json(&c)["input"][0]["parts"].clone();
    json!({
        "span_id": s.span_id.to_string(),
        "step": set.str(s.name),
        "role": e.role,
        "parts": parts,
    })
}

/// The conversation as JSON: `{source, system, input, output}`.
pub fn conversation_json(c: &Conversation) -> Value {
    fn part(p: &Part) -> Value {
        match p {
            Part::Text(t) => json!({"type": "text", "content": t}),
            Part::Reasoning(t) => json!({"type": "reasoning", "content": t}),
            Part::ToolCall {
                id,
                name,
                arguments,
            } => json!({"type": "tool_call", "id": id, "name": name, "arguments": arguments}),
            Part::ToolResponse { id, response } => {
                json!({"type": "tool_call_response", "id": id, "response": response})
            }
            Part::Other(v) => v.clone(),
        }
    }
    let msgs = |m: &[crate::semconv::messages::Message]| -> Vec<Value> {
        m.iter()
            .map(|m| json!({"role": m.role, "parts": m.parts.iter().map(part).collect::<Vec<_>>(), "finish_reason": m.finish_reason}))
            .collect()
    };
    json!({
        "source": opt_str(c.source),
        "system": c.system.iter().map(part).collect::<Vec<_>>(),
        "input": msgs(&c.input),
        "output": msgs(&c.output),
    })
}

/// One step in full, as JSON: the span object plus conversation and tool I/O.
pub fn detail_json(set: &TraceSet, i: u32) -> Value {
    let s = &set.spans[i as usize];
    let mut v = span_json(set, i);
    let (args, result) = tool_io(set, s);
    if let Value::Object(o) = &mut v {
        o.insert(
            "conversation".into(),
            conversation_json(&crate::semconv::messages::call_conversation(set, s)),
        );
        o.insert("tool_arguments".into(), args.unwrap_or(Value::Null));
        o.insert("tool_result".into(), result.unwrap_or(Value::Null));
    }
    v
}
