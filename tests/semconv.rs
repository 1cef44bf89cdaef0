//! Table-driven tests of the GenAI semantics, one row per convention and field, on
//! spans written from `../shared/reference/genai-conventions.md`.

use agtrace::model::{CostSource, Outcome, Step, StepKind, TraceSet};
use agtrace::source::{LoadOptions, load_bytes};
use serde_json::{Value, json};

/// An attribute value in OTLP/JSON form from a plain JSON value.
fn any(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({"stringValue": s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n}),
        Value::Array(a) => json!({"arrayValue": {"values": a.iter().map(any).collect::<Vec<_>>()}}),
        other => json!({"stringValue": other.to_string()}),
    }
}

/// A span description: id, parent, name, attributes, status, events.
struct S<'a> {
    id: u64,
    parent: u64,
    trace: u64,
    name: &'a str,
    attrs: Value,
    status: Option<(i64, &'a str)>,
    events: Vec<(&'a str, Value)>,
}

fn s(id: u64, name: &str, attrs: Value) -> S<'_> {
    S {
        id,
        parent: 0,
        trace: id,
        name,
        attrs,
        status: None,
        events: Vec::new(),
    }
}

fn build(spans: &[S]) -> TraceSet {
    let spans: Vec<Value> = spans
        .iter()
        .map(|sp| {
            let attrs: Vec<Value> = sp
                .attrs
                .as_object()
                .map(|o| o.iter().map(|(k, v)| json!({"key": k, "value": any(v)})).collect())
                .unwrap_or_default();
            let events: Vec<Value> = sp
                .events
                .iter()
                .map(|(n, a)| {
                    let attrs: Vec<Value> = a
                        .as_object()
                        .map(|o| o.iter().map(|(k, v)| json!({"key": k, "value": any(v)})).collect())
                        .unwrap_or_default();
                    json!({"name": n, "timeUnixNano": "1500", "attributes": attrs})
                })
                .collect();
            json!({
                "traceId": format!("{:032x}", sp.trace),
                "spanId": format!("{:016x}", sp.id),
                "parentSpanId": if sp.parent == 0 { String::new() } else { format!("{:016x}", sp.parent) },
                "name": sp.name,
                "startTimeUnixNano": (1000 + sp.id).to_string(),
                "endTimeUnixNano": "100000",
                "attributes": attrs,
                "events": events,
                "status": sp.status.map_or(json!({}), |(c, m)| json!({"code": c, "message": m})),
            })
        })
        .collect();
    let doc = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "t"}}]}, "scopeSpans": [{"spans": spans}]}]});
    let d = load_bytes(
        doc.to_string().into_bytes(),
        "table",
        0,
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let mut set = TraceSet::build(d.batches, vec!["table".into()], vec![]);
    agtrace::semconv::annotate(&mut set, &agtrace::semconv::PriceTable::bundled());
    set
}

fn step_of(set: &TraceSet, id: u64) -> Step {
    let want = format!("{id:016x}");
    let i = set
        .spans
        .iter()
        .position(|s| s.span_id.to_string() == want)
        .unwrap_or_else(|| panic!("no span {want}"));
    set.step(i as u32)
}

#[test]
fn step_kind_per_convention() {
    use StepKind::*;
    let rows: Vec<(&str, Value, StepKind, &str)> = vec![
        // OTel GenAI well-known operations
        (
            "chat gpt-4o",
            json!({"gen_ai.operation.name": "chat"}),
            Llm,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "text_completion"}),
            Llm,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "generate_content"}),
            Llm,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "embeddings"}),
            Embedding,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "retrieval"}),
            Retrieval,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "execute_tool"}),
            Tool,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "invoke_agent"}),
            Agent,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "create_agent"}),
            Other,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "invoke_workflow"}),
            Chain,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "plan"}),
            Chain,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "apply_guardrail"}),
            Guardrail,
            "gen_ai.operation.name",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "search_memory"}),
            Retrieval,
            "gen_ai.operation.name",
        ),
        // Custom operation names seen in emitters
        (
            "x",
            json!({"gen_ai.operation.name": "rerank"}),
            Rerank,
            "gen_ai.operation.name (custom)",
        ),
        (
            "step 1",
            json!({"gen_ai.operation.name": "agent_step"}),
            Chain,
            "gen_ai.operation.name (custom)",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "execute_event_loop_cycle"}),
            Chain,
            "gen_ai.operation.name (custom)",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "invoke_swarm"}),
            Chain,
            "gen_ai.operation.name (custom)",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "vector_db_retrieve"}),
            Retrieval,
            "gen_ai.operation.name (custom)",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "llm_request"}),
            Llm,
            "gen_ai.operation.name (custom)",
        ),
        // OpenInference
        (
            "x",
            json!({"openinference.span.kind": "LLM"}),
            Llm,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "EMBEDDING"}),
            Embedding,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "RETRIEVER"}),
            Retrieval,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "RERANKER"}),
            Rerank,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "TOOL"}),
            Tool,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "AGENT"}),
            Agent,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "CHAIN"}),
            Chain,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "GUARDRAIL"}),
            Guardrail,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"openinference.span.kind": "EVALUATOR"}),
            Other,
            "openinference.span.kind",
        ),
        (
            "chat x",
            json!({"openinference.span.kind": "UNKNOWN"}),
            Llm,
            "heuristic: span name",
        ),
        // OpenLLMetry / Traceloop
        (
            "plan_trip.workflow",
            json!({"traceloop.span.kind": "workflow"}),
            Chain,
            "traceloop.span.kind",
        ),
        (
            "x.task",
            json!({"traceloop.span.kind": "task"}),
            Chain,
            "traceloop.span.kind",
        ),
        (
            "x.agent",
            json!({"traceloop.span.kind": "agent"}),
            Agent,
            "traceloop.span.kind",
        ),
        (
            "x.tool",
            json!({"traceloop.span.kind": "tool"}),
            Tool,
            "traceloop.span.kind",
        ),
        (
            "openai.chat",
            json!({"llm.request.type": "chat"}),
            Llm,
            "llm.request.type",
        ),
        (
            "x",
            json!({"llm.request.type": "embedding"}),
            Embedding,
            "llm.request.type",
        ),
        (
            "x",
            json!({"llm.request.type": "rerank"}),
            Rerank,
            "llm.request.type",
        ),
        ("openai.chat", json!({}), Llm, "span name"),
        ("openai.embeddings", json!({}), Embedding, "span name"),
        // LangSmith (wins over its own lossy gen_ai.operation.name) and Langfuse
        (
            "x",
            json!({"langsmith.span.kind": "retriever", "gen_ai.operation.name": "embeddings"}),
            Retrieval,
            "langsmith.span.kind",
        ),
        (
            "x",
            json!({"langsmith.span.kind": "prompt", "gen_ai.operation.name": "chat"}),
            Other,
            "langsmith.span.kind",
        ),
        (
            "x",
            json!({"langfuse.observation.type": "generation"}),
            Llm,
            "langfuse.observation.type",
        ),
        (
            "x",
            json!({"langfuse.observation.type": "span"}),
            Other,
            "none",
        ),
        // Vercel AI SDK (legacy operation ids)
        ("ai.generateText", json!({}), Agent, "span name"),
        ("ai.generateText.doGenerate", json!({}), Llm, "span name"),
        ("ai.streamText.doStream", json!({}), Llm, "span name"),
        ("ai.toolCall", json!({}), Tool, "span name"),
        ("ai.embedMany", json!({}), Embedding, "span name"),
        ("ai.rerank", json!({}), Rerank, "span name"),
        // Claude Code, ADK, Logfire, pydantic-ai v2
        ("claude_code.interaction", json!({}), Agent, "span name"),
        ("claude_code.llm_request", json!({}), Llm, "span name"),
        ("claude_code.tool", json!({}), Tool, "span name"),
        ("claude_code.hook", json!({}), Other, "span name"),
        (
            "call_llm",
            json!({"gen_ai.system": "gcp.vertex.agent"}),
            Llm,
            "span name",
        ),
        ("Agent run: 'triage'", json!({}), Agent, "span name"),
        ("Function: lookup_order", json!({}), Tool, "span name"),
        ("running tool", json!({}), Tool, "span name"),
        // MCP
        (
            "tools/call get_weather",
            json!({"mcp.method.name": "tools/call"}),
            Tool,
            "mcp.method.name",
        ),
        (
            "resources/list",
            json!({"mcp.method.name": "resources/list"}),
            Other,
            "mcp.method.name",
        ),
        // Heuristics
        (
            "openai request",
            json!({"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4"}),
            Llm,
            "heuristic: model and usage",
        ),
        (
            "lookup",
            json!({"gen_ai.tool.name": "lookup"}),
            Tool,
            "heuristic: tool name",
        ),
        (
            "search",
            json!({"retrieval.documents.0.document.id": "d1"}),
            Retrieval,
            "heuristic: retrieval data",
        ),
        (
            "search",
            json!({"gen_ai.data_source.id": "kb"}),
            Retrieval,
            "heuristic: retrieval data",
        ),
        (
            "GET /health",
            json!({"http.request.method": "GET"}),
            Other,
            "none",
        ),
        // Precedence conflicts
        (
            "x",
            json!({"openinference.span.kind": "AGENT", "gen_ai.operation.name": "chat"}),
            Agent,
            "openinference.span.kind",
        ),
        (
            "x",
            json!({"gen_ai.operation.name": "execute_tool", "traceloop.span.kind": "task"}),
            Tool,
            "gen_ai.operation.name",
        ),
        (
            "execute_tool x",
            json!({"gen_ai.operation.name": "rerank"}),
            Tool,
            "span name",
        ),
    ];
    let spans: Vec<S> = rows
        .iter()
        .enumerate()
        .map(|(k, (n, a, _, _))| s(k as u64 + 1, n, a.clone()))
        .collect();
    let set = build(&spans);
    for (k, (name, attrs, kind, source)) in rows.iter().enumerate() {
        let step = step_of(&set, k as u64 + 1);
        assert_eq!(
            (step.kind, step.kind_source),
            (*kind, *source),
            "row {k}: {name} {attrs}"
        );
    }
}

#[test]
fn fields_try_each_name_in_order() {
    let set = build(&[
        s(
            1,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.provider.name": "openai", "gen_ai.system": "az.ai.openai"}),
        ),
        s(
            2,
            "x",
            json!({"openinference.span.kind": "LLM", "llm.model_name": "claude-3-5-haiku", "llm.provider": "anthropic"}),
        ),
        s(
            3,
            "ai.generateText.doGenerate",
            json!({"ai.model.id": "gpt-4o-mini", "ai.model.provider": "openai.chat"}),
        ),
        s(
            4,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "", "llm.model_name": "fallback-model"}),
        ),
        s(
            5,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.system": "anthropic"}),
        ),
        s(
            6,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.usage.prompt_tokens": 11, "gen_ai.usage.completion_tokens": 22}),
        ),
        s(
            7,
            "x",
            json!({"openinference.span.kind": "LLM", "llm.token_count.prompt": "33", "llm.token_count.completion": "44", "llm.token_count.prompt_details.cache_read": 5, "llm.token_count.completion_details.reasoning": 6}),
        ),
        s(
            8,
            "ai.streamText.doStream",
            json!({"ai.usage.promptTokens": 55, "ai.usage.completionTokens": 66}),
        ),
        s(
            9,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 100, "gen_ai.usage.prompt_tokens": 999, "gen_ai.usage.output_tokens": 7, "gen_ai.usage.cache_creation.input_tokens": 40, "gen_ai.usage.cache_read.input_tokens": 30, "gen_ai.usage.reasoning.output_tokens": 3}),
        ),
        s(
            10,
            "claude_code.llm_request",
            json!({"model": "claude-sonnet-4-20250514", "input_tokens": 2, "output_tokens": 10, "cache_read_tokens": 84562, "cache_creation_tokens": 100}),
        ),
        s(
            11,
            "execute_tool get_weather",
            json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.id": "call_1"}),
        ),
        s(
            12,
            "x",
            json!({"openinference.span.kind": "TOOL", "tool.name": "web_search", "tool.id": "t9"}),
        ),
        s(
            13,
            "lookup.tool",
            json!({"traceloop.span.kind": "tool", "traceloop.entity.name": "lookup"}),
        ),
        s(
            14,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": ["stop", "length"]}),
        ),
        s(
            15,
            "x",
            json!({"openinference.span.kind": "LLM", "llm.finish_reason": "stop"}),
        ),
        s(
            16,
            "invoke_agent planner",
            json!({"gen_ai.operation.name": "invoke_agent", "session.id": "s-oi", "gen_ai.conversation.id": "conv-1", "enduser.id": "u-7"}),
        ),
        s(
            17,
            "agent",
            json!({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "router", "user.id": "u-1", "enduser.id": "u-2"}),
        ),
        s(
            18,
            "x",
            json!({"openinference.span.kind": "TOOL", "tool.name": "(merged tools)"}),
        ),
    ]);
    let st = |id: u64| step_of(&set, id);
    let text = |sym| set.str(sym).to_owned();
    assert_eq!(
        (
            text(st(1).model),
            text(st(1).model_requested),
            text(st(1).provider)
        ),
        ("gpt-4o-2024-08-06".into(), "gpt-4o".into(), "openai".into())
    );
    assert_eq!(
        (text(st(2).model), text(st(2).provider)),
        ("claude-3-5-haiku".into(), "anthropic".into())
    );
    assert_eq!(text(st(3).model), "gpt-4o-mini");
    assert_eq!(
        text(st(4).model),
        "fallback-model",
        "an empty value is skipped"
    );
    assert_eq!(
        text(st(5).provider),
        "anthropic",
        "deprecated gen_ai.system"
    );
    assert_eq!(
        (st(6).tokens.input, st(6).tokens.output),
        (Some(11), Some(22))
    );
    let t7 = st(7).tokens;
    assert_eq!(
        (t7.input, t7.output, t7.cache_read, t7.reasoning),
        (Some(33), Some(44), Some(5), Some(6))
    );
    assert_eq!(
        (st(8).tokens.input, st(8).tokens.output),
        (Some(55), Some(66))
    );
    let t9 = st(9).tokens;
    assert_eq!(
        (
            t9.input,
            t9.output,
            t9.cache_write,
            t9.cache_read,
            t9.reasoning
        ),
        (Some(100), Some(7), Some(40), Some(30), Some(3)),
        "current names win over deprecated ones"
    );
    assert_eq!(
        st(10).tokens.input,
        Some(2 + 84562 + 100),
        "Claude Code's bare input_tokens excludes the cache"
    );
    assert_eq!(
        (text(st(11).tool_name), text(st(11).tool_call_id)),
        ("get_weather".into(), "call_1".into()),
        "tool name from the span name"
    );
    assert_eq!(
        (text(st(12).tool_name), text(st(12).tool_call_id)),
        ("web_search".into(), "t9".into())
    );
    assert_eq!(text(st(13).tool_name), "lookup");
    assert_eq!(text(st(14).finish_reasons), "stop,length");
    assert_eq!(text(st(15).finish_reasons), "stop");
    assert_eq!(
        (
            text(st(16).session),
            text(st(16).user),
            text(st(16).agent_name)
        ),
        ("conv-1".into(), "u-7".into(), "planner".into())
    );
    assert_eq!(
        (text(st(17).agent_name), text(st(17).user)),
        ("router".into(), "u-1".into())
    );
    assert_eq!(
        text(st(18).tool_name),
        "",
        "ADK's placeholder is not a tool name"
    );
}

#[test]
fn tokens_roll_up_from_leaf_llm_steps_only() {
    let mut spans = vec![
        // Agent root repeating the run's totals (the double-counting trap).
        S {
            attrs: json!({"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 3000, "gen_ai.usage.output_tokens": 300}),
            ..s(1, "invoke_agent a", json!({}))
        },
        S {
            parent: 1,
            trace: 1,
            ..s(
                2,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100}),
            )
        },
        // An LLM wrapper (OpenInference) around an inner LLM call: only the inner counts.
        S {
            parent: 1,
            trace: 1,
            ..s(
                3,
                "LiteLLM",
                json!({"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o", "llm.token_count.prompt": 2000, "llm.token_count.completion": 200}),
            )
        },
        S {
            parent: 3,
            trace: 1,
            ..s(
                4,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 2000, "gen_ai.usage.output_tokens": 200}),
            )
        },
        // A tool with token-ish attributes does not count.
        S {
            parent: 1,
            trace: 1,
            ..s(
                5,
                "execute_tool t",
                json!({"gen_ai.operation.name": "execute_tool"}),
            )
        },
    ];
    spans.push(S { parent: 0, trace: 2, ..s(6, "chat", json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "my-private-model", "gen_ai.usage.input_tokens": 5})) });
    let set = build(&spans);
    let t = &set.traces[set.find_traces(&format!("{:032x}", 1))[0] as usize];
    assert_eq!((t.tokens.input, t.tokens.output), (Some(3000), Some(300)));
    // One model call, one LLM call: the wrapper is not counted (it was: 3).
    assert_eq!((t.llm_calls, t.tool_calls, t.billable_steps), (2, 1, 2));
    assert!(
        step_of(&set, 4).billable_leaf
            && !step_of(&set, 3).billable_leaf
            && !step_of(&set, 1).billable_leaf
    );
    // 3000 in × $2.50/M + 300 out × $10/M
    let c = t.cost().expect("priced");
    assert!(
        (c - (3000.0 * 2.5 + 300.0 * 10.0) / 1e6).abs() < 1e-12,
        "{c}"
    );
    // Unknown model: unknown cost, never $0.
    let u = &set.traces[set.find_traces(&format!("{:032x}", 2))[0] as usize];
    assert_eq!(u.cost(), None);
    assert_eq!(step_of(&set, 6).cost_source, CostSource::Unknown);
}

#[test]
fn cost_provided_wins_then_table_then_unknown() {
    let set = build(&[
        s(
            1,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1000, "llm.cost.total": 0.5}),
        ),
        s(
            2,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1000, "operation.cost": 0.25}),
        ),
        s(
            3,
            "x",
            json!({"langfuse.observation.type": "generation", "langfuse.observation.model.name": "x", "gen_ai.usage.input_tokens": 1, "langfuse.observation.cost_details": "{\"input\":0.1,\"output\":0.2,\"total\":0.3}"}),
        ),
        s(
            4,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.response.model": "claude-sonnet-4-20250514", "gen_ai.usage.input_tokens": 1_000_000, "gen_ai.usage.output_tokens": 0}),
        ),
        s(
            5,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "mystery-7b", "gen_ai.usage.input_tokens": 10}),
        ),
        s(
            6,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}),
        ),
    ]);
    let c = |id| (step_of(&set, id).cost(), step_of(&set, id).cost_source);
    assert_eq!(c(1), (Some(0.5), CostSource::Provided));
    assert_eq!(c(2), (Some(0.25), CostSource::Provided));
    assert_eq!(c(3), (Some(0.3), CostSource::Provided));
    assert_eq!(
        c(4),
        (Some(3.0), CostSource::Priced),
        "dated Anthropic name maps to claude-sonnet-4"
    );
    assert_eq!(c(5), (None, CostSource::Unknown));
    assert_eq!(
        c(6),
        (None, CostSource::Unknown),
        "a price without tokens is still unknown"
    );
}

#[test]
fn failure_and_warning_signals() {
    let exc = json!({"exception.type": "Timeout", "exception.message": "took too long"});
    let rows: Vec<(S, Outcome, &str)> = vec![
        (
            S {
                status: Some((2, "boom")),
                ..s(1, "chat", json!({"gen_ai.operation.name": "chat"}))
            },
            Outcome::Error,
            "boom",
        ),
        (
            S {
                status: Some((2, "")),
                events: vec![("exception", exc.clone())],
                ..s(2, "x", json!({}))
            },
            Outcome::Error,
            "Timeout: took too long",
        ),
        (
            s(3, "x", json!({"error.type": "rate_limited"})),
            Outcome::Error,
            "error.type rate_limited",
        ),
        (
            s(
                4,
                "execute_tool t",
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.status": "error"}),
            ),
            Outcome::Error,
            "tool status error",
        ),
        (
            s(
                5,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": ["error"]}),
            ),
            Outcome::Error,
            "finish reason error",
        ),
        (
            s(
                6,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": ["length"]}),
            ),
            Outcome::Warning,
            "output truncated (finish reason length)",
        ),
        (
            s(
                7,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.finish_reason": "max_tokens"}),
            ),
            Outcome::Warning,
            "output truncated (finish reason max_tokens)",
        ),
        (
            s(
                8,
                "x",
                json!({"openinference.span.kind": "LLM", "llm.finish_reason": "MAX_TOKENS"}),
            ),
            Outcome::Warning,
            "output truncated (finish reason max_tokens)",
        ),
        (
            s(
                9,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": ["content_filter"]}),
            ),
            Outcome::Warning,
            "content filtered (finish reason content_filter)",
        ),
        (
            s(
                10,
                "x",
                json!({"ai.response.finishReason": "content-filter"}),
            ),
            Outcome::Warning,
            "content filtered (finish reason content-filter)",
        ),
        (
            s(11, "x", json!({"stop_reason": "guardrail_intervened"})),
            Outcome::Warning,
            "content filtered (finish reason guardrail_intervened)",
        ),
        (
            S {
                events: vec![("exception", exc.clone())],
                ..s(12, "x", json!({}))
            },
            Outcome::Warning,
            "exception recorded: Timeout: took too long",
        ),
        (
            s(
                13,
                "execute_tool t",
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": ""}),
            ),
            Outcome::Warning,
            "tool returned an empty result",
        ),
        (
            s(
                14,
                "execute_tool t",
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": "[]"}),
            ),
            Outcome::Warning,
            "tool returned an empty result",
        ),
        (
            s(
                15,
                "retrieval kb",
                json!({"gen_ai.operation.name": "retrieval", "gen_ai.retrieval.documents": "[]"}),
            ),
            Outcome::Warning,
            "retrieval returned no documents",
        ),
        (
            s(
                16,
                "pinecone.query",
                json!({"db.vector.query.result_count": 0}),
            ),
            Outcome::Warning,
            "retrieval returned no documents",
        ),
        (
            s(
                17,
                "x",
                json!({"openinference.span.kind": "RETRIEVER", "output.value": "[]"}),
            ),
            Outcome::Warning,
            "retrieval returned no documents",
        ),
        (
            s(18, "Guardrail 'pii'", json!({"tripwire_triggered": true})),
            Outcome::Warning,
            "guardrail triggered",
        ),
        (
            s(
                19,
                "execute_tool t",
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.call.result": "{\"ok\":true}"}),
            ),
            Outcome::Ok,
            "",
        ),
        (
            s(
                20,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": ["tool_call"]}),
            ),
            Outcome::Ok,
            "",
        ),
        (
            S {
                status: Some((1, "")),
                ..s(
                    21,
                    "x",
                    json!({"langfuse.observation.level": "WARNING", "langfuse.observation.status_message": "slow"}),
                )
            },
            Outcome::Warning,
            "slow",
        ),
    ];
    let expect: Vec<(Outcome, &str)> = rows.iter().map(|(_, o, r)| (*o, *r)).collect();
    let spans: Vec<S> = rows.into_iter().map(|(sp, _, _)| sp).collect();
    let set = build(&spans);
    for (k, (outcome, reason)) in expect.iter().enumerate() {
        let st = step_of(&set, k as u64 + 1);
        assert_eq!(
            (st.outcome, set.str(st.reason)),
            (*outcome, *reason),
            "row {}",
            k + 1
        );
    }
    // A trace with only warnings is a warning trace; with an error, an error trace.
    let w = &set.traces[set.find_traces(&format!("{:032x}", 6))[0] as usize];
    assert_eq!(w.outcome(), Outcome::Warning);
    let e = &set.traces[set.find_traces(&format!("{:032x}", 1))[0] as usize];
    assert_eq!(e.outcome(), Outcome::Error);
}

#[test]
fn session_id_follows_the_reference_order_and_groups_traces() {
    let set = build(&[
        // Trace 1: the root has session.id, a child has gen_ai.conversation.id: the
        // conversation id ranks first.
        s(
            1,
            "invoke_agent a",
            json!({"gen_ai.operation.name": "invoke_agent", "session.id": "oi-session"}),
        ),
        S {
            parent: 1,
            trace: 1,
            ..s(
                2,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.conversation.id": "conv-42"}),
            )
        },
        // Trace 3: only OpenLLMetry's association property.
        s(
            3,
            "x.workflow",
            json!({"traceloop.span.kind": "workflow", "traceloop.association.properties.session_id": "conv-42"}),
        ),
        // Trace 4: an empty conversation id counts as absent.
        s(
            4,
            "x",
            json!({"gen_ai.conversation.id": "", "session.id": "other"}),
        ),
    ]);
    let sess = |t: u64| {
        set.str(set.traces[set.find_traces(&format!("{t:032x}"))[0] as usize].session)
            .to_owned()
    };
    assert_eq!(sess(1), "conv-42");
    assert_eq!(sess(3), "conv-42");
    assert_eq!(sess(4), "other");
    let conv = set.strings.lookup("conv-42").expect("interned");
    let turns: Vec<String> = set.sessions[&conv]
        .iter()
        .map(|&t| set.traces[t as usize].id.to_string())
        .collect();
    assert_eq!(
        turns,
        vec![format!("{:032x}", 1), format!("{:032x}", 3)],
        "in start order"
    );
}

#[test]
fn conversations_from_each_content_form() {
    use agtrace::semconv::messages::{Part, conversation};
    let set = build(&[
        s(
            1,
            "chat",
            json!({"gen_ai.operation.name": "chat",
            "gen_ai.system_instructions": "[{\"type\":\"text\",\"content\":\"Be terse.\"}]",
            "gen_ai.input.messages": "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]",
            "gen_ai.output.messages": "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"c1\",\"name\":\"f\",\"arguments\":{\"a\":1}}],\"finish_reason\":\"tool_call\"}]"}),
        ),
        s(
            2,
            "x",
            json!({"openinference.span.kind": "LLM",
            "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "sys",
            "llm.input_messages.1.message.role": "user", "llm.input_messages.1.message.content": "q",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.tool_calls.0.tool_call.id": "t1",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "search",
            "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": "{\"q\":\"x\"}"}),
        ),
        s(
            3,
            "openai.chat",
            json!({"llm.request.type": "chat",
            "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "hello",
            "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "world", "gen_ai.completion.0.finish_reason": "stop"}),
        ),
        S {
            events: vec![
                ("gen_ai.user.message", json!({"content": "from event"})),
                (
                    "gen_ai.choice",
                    json!({"index": 0, "finish_reason": "stop", "message": "{\"role\":\"assistant\",\"content\":\"answer\"}"}),
                ),
            ],
            ..s(4, "chat", json!({"gen_ai.operation.name": "chat"}))
        },
        s(
            5,
            "ai.generateText.doGenerate",
            json!({"ai.prompt.messages": "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"vercel\"}]}]", "ai.response.text": "ok"}),
        ),
    ]);
    let conv = |id: u64| {
        let want = format!("{id:016x}");
        let span = set
            .spans
            .iter()
            .find(|s| s.span_id.to_string() == want)
            .expect("span");
        conversation(&set, span)
    };
    let c1 = conv(1);
    assert_eq!(c1.system, vec![Part::Text("Be terse.".into())]);
    assert_eq!(c1.input[0].parts, vec![Part::Text("hi".into())]);
    assert_eq!(c1.output[0].finish_reason.as_deref(), Some("tool_call"));
    assert!(matches!(&c1.output[0].parts[0], Part::ToolCall { name, .. } if name == "f"));
    let c2 = conv(2);
    assert_eq!((c2.input.len(), c2.input[0].role.as_str()), (2, "system"));
    assert_eq!(
        c2.output[0].parts,
        vec![Part::ToolCall {
            id: Some("t1".into()),
            name: "search".into(),
            arguments: json!({"q": "x"})
        }]
    );
    let c3 = conv(3);
    assert_eq!(
        (
            c3.input[0].parts[0].clone(),
            c3.output[0].finish_reason.as_deref()
        ),
        (Part::Text("hello".into()), Some("stop"))
    );
    let c4 = conv(4);
    assert_eq!(c4.input[0].role, "user");
    assert_eq!(c4.output[0].parts, vec![Part::Text("answer".into())]);
    let c5 = conv(5);
    assert_eq!(c5.input[0].parts, vec![Part::Text("vercel".into())]);
    assert_eq!(c5.output[0].parts, vec![Part::Text("ok".into())]);
}

/// gen-ai-dev 1.42 operations and producers' span names (Claude Code's native
/// tracing), next to the names they replace, which keep working.
#[test]
fn late_2026_operations_and_producer_span_names() {
    use StepKind::*;
    let rows: Vec<(&str, Value, StepKind)> = vec![
        (
            "handle_conversation_turn",
            json!({"gen_ai.operation.name": "handle_conversation_turn"}),
            Agent,
        ),
        (
            "invocation support",
            json!({"gen_ai.operation.name": "invocation", "gen_ai.invocation.is_nested": true}),
            Agent,
        ),
        (
            "invoke_agent support",
            json!({"gen_ai.operation.name": "invoke_agent"}),
            Agent,
        ),
        (
            "invoke_workflow w",
            json!({"gen_ai.operation.name": "invoke_workflow"}),
            Chain,
        ),
        (
            "fetch_response",
            json!({"gen_ai.operation.name": "fetch_response", "gen_ai.response.id": "resp_1"}),
            Llm,
        ),
        (
            "realtime",
            json!({"gen_ai.operation.name": "realtime_inference", "gen_ai.realtime_session.id": "rt_1"}),
            Llm,
        ),
        (
            "create_agent a",
            json!({"gen_ai.operation.name": "create_agent"}),
            Other,
        ),
        (
            "run_guardrail pii",
            json!({"gen_ai.operation.name": "run_guardrail"}),
            Guardrail,
        ),
        (
            "claude_code.interaction",
            json!({"session.id": "cc-1"}),
            Agent,
        ),
        (
            "claude_code.llm_request",
            json!({"gen_ai.request.model": "claude-sonnet-4-5"}),
            Llm,
        ),
        (
            "claude_code.tool.execution",
            json!({"tool_name": "Bash"}),
            Tool,
        ),
        ("claude_code.tool.blocked_on_user", json!({}), Other),
        (
            "tools/call get_weather",
            json!({"mcp.method.name": "tools/call", "mcp.session.id": "m1"}),
            Tool,
        ),
    ];
    let spans: Vec<S> = rows
        .iter()
        .enumerate()
        .map(|(k, (name, attrs, _))| s(k as u64 + 1, name, attrs.clone()))
        .collect();
    let set = build(&spans);
    for (k, (name, _, want)) in rows.iter().enumerate() {
        assert_eq!(step_of(&set, k as u64 + 1).kind, *want, "{name}");
    }
    // The MCP tool's name comes from the span name.
    assert_eq!(set.str(step_of(&set, 13).tool_name), "get_weather");
    assert_eq!(set.str(step_of(&set, 11).tool_name), "Bash");
    assert_eq!(set.str(step_of(&set, 9).session), "cc-1");
}

/// New failure signals: each is the step's outcome even when the span status is unset.
#[test]
fn late_2026_outcomes() {
    let rows: Vec<(S, Outcome, &str)> = vec![
        (
            s(
                1,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.status": "failed"}),
            ),
            Outcome::Error,
            "response status failed",
        ),
        (
            s(
                2,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.status": "incomplete"}),
            ),
            Outcome::Warning,
            "response status incomplete",
        ),
        (
            s(
                3,
                "chat",
                json!({"gen_ai.operation.name": "chat", "gen_ai.response.status": "completed"}),
            ),
            Outcome::Ok,
            "",
        ),
        (
            s(
                4,
                "execute_tool command",
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "command", "process.exit.code": 2}),
            ),
            Outcome::Error,
            "exit code 2",
        ),
        (
            s(
                5,
                "execute_tool command",
                json!({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "command", "process.exit.code": 0}),
            ),
            Outcome::Ok,
            "",
        ),
        (
            s(
                6,
                "tools/call search",
                json!({"mcp.method.name": "tools/call", "rpc.response.status_code": "-32602"}),
            ),
            Outcome::Error,
            "JSON-RPC error -32602",
        ),
        (
            s(
                7,
                "tools/call search",
                json!({"mcp.method.name": "tools/call", "error.type": "tool_error"}),
            ),
            Outcome::Error,
            "error.type tool_error",
        ),
        (
            s(
                8,
                "a2a send",
                json!({"a2a.task.state": "TASK_STATE_REJECTED"}),
            ),
            Outcome::Error,
            "A2A task rejected",
        ),
        (
            s(
                9,
                "a2a send",
                json!({"a2a.task.state": "TASK_STATE_CANCELED"}),
            ),
            Outcome::Warning,
            "A2A task canceled",
        ),
        (
            s(
                10,
                "run_guardrail",
                json!({"gen_ai.operation.name": "run_guardrail", "verdict.decision": "block"}),
            ),
            Outcome::Warning,
            "guardrail verdict block",
        ),
        (
            S {
                events: vec![(
                    "agent.threat.detection",
                    json!({"agent.threat.rule": "prompt-injection", "agent.threat.severity": "high", "agent.threat.action": "block"}),
                )],
                ..s(
                    11,
                    "invoke_agent a",
                    json!({"gen_ai.operation.name": "invoke_agent"}),
                )
            },
            Outcome::Error,
            "threat blocked by prompt-injection, severity high",
        ),
        (
            S {
                events: vec![(
                    "agent.threat.detection",
                    json!({"agent.threat.rule": "pii", "agent.threat.action": "log"}),
                )],
                ..s(
                    12,
                    "invoke_agent a",
                    json!({"gen_ai.operation.name": "invoke_agent"}),
                )
            },
            Outcome::Ok,
            "",
        ),
        (
            S {
                events: vec![(
                    "gen_ai.tool.call.decision",
                    json!({"gen_ai.tool.name": "delete_repo", "gen_ai.tool.call.decision": "deny"}),
                )],
                ..s(13, "chat", json!({"gen_ai.operation.name": "chat"}))
            },
            Outcome::Warning,
            "tool call delete_repo denied",
        ),
    ];
    let spans: Vec<S> = rows
        .iter()
        .map(|(sp, _, _)| S {
            events: sp.events.clone(),
            attrs: sp.attrs.clone(),
            ..s(sp.id, sp.name, Value::Null)
        })
        .collect();
    let set = build(&spans);
    for (sp, want, reason) in &rows {
        let st = step_of(&set, sp.id);
        assert_eq!(st.outcome, *want, "{} {}", sp.id, sp.name);
        assert_eq!(set.str(st.reason), *reason, "{} {}", sp.id, sp.name);
    }
}

/// Per-modality cache reads add up when no total is given; recorded breakdowns are
/// only the non-zero ones, so none at all stays unknown.
#[test]
fn per_modality_cache_reads() {
    let set = build(&[
        s(
            1,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 10, "gen_ai.usage.text.cache_read.input_tokens": 300, "gen_ai.usage.image.cache_read.input_tokens": 200}),
        ),
        s(
            2,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 10, "gen_ai.usage.cache_read.input_tokens": 400, "gen_ai.usage.text.cache_read.input_tokens": 300}),
        ),
        s(
            3,
            "chat",
            json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 10}),
        ),
    ]);
    assert_eq!(step_of(&set, 1).tokens.cache_read, Some(500));
    assert_eq!(
        step_of(&set, 2).tokens.cache_read,
        Some(400),
        "the total wins"
    );
    assert_eq!(step_of(&set, 3).tokens.cache_read, None);
}

/// An evaluation event is shown on the step it judges, in `show --json` too.
#[test]
fn evaluation_results_sit_on_their_step() {
    let set = build(&[S {
        events: vec![(
            "gen_ai.evaluation.result",
            json!({"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": 0.82, "gen_ai.evaluation.score.label": "good", "gen_ai.evaluation.explanation": "on topic"}),
        )],
        ..s(1, "chat", json!({"gen_ai.operation.name": "chat"}))
    }]);
    let evals = agtrace::analysis::evaluation::of_span(&set, 0);
    assert_eq!(evals.len(), 1);
    assert_eq!(
        agtrace::analysis::evaluation::short(&evals[0]),
        "relevance 0.82 good"
    );
    let j = agtrace::analysis::json::span_json(&set, 0);
    assert_eq!(j["evaluations"][0]["score"], 0.82);
    assert_eq!(j["evaluations"][0]["explanation"], "on topic");
}

/// Old and new spellings of the same thing in one trace classify as either alone,
/// and an invocation span's usage is not added on top of its inference spans'.
#[test]
fn mixed_spellings_do_not_double_count() {
    let mk = |op: &str| {
        vec![
            s(
                1,
                "root",
                json!({"gen_ai.operation.name": op, "gen_ai.usage.input_tokens": 3000, "gen_ai.usage.output_tokens": 300, "gen_ai.request.model": "gpt-5"}),
            ),
            S {
                parent: 1,
                trace: 1,
                ..s(
                    2,
                    "chat",
                    json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5", "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100}),
                )
            },
            S {
                parent: 1,
                trace: 1,
                ..s(
                    3,
                    "chat",
                    json!({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5", "gen_ai.usage.prompt_tokens": 2000, "gen_ai.usage.completion_tokens": 200}),
                )
            },
        ]
    };
    for op in ["invoke_agent", "invocation", "handle_conversation_turn"] {
        let set = build(&mk(op));
        let tr = &set.traces[0];
        assert_eq!(tr.tokens.input, Some(3000), "{op}");
        assert_eq!(tr.tokens.output, Some(300), "{op}");
        assert_eq!(tr.llm_calls, 2, "{op}");
    }
}

/// Codex CLI: its span tree (codex.exec → session_loop → run_turn → stream_request),
/// the conversation id, usage on the span or only in the `codex.sse_event` log record
/// of `response.completed`, and a denied tool call in `codex.tool_decision`.
#[test]
fn codex_cli_spans_and_its_log_records() {
    let spans = serde_json::json!({"resourceSpans": [{"resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "codex_exec"}}]},
    "scopeSpans": [{"spans": [
      {"traceId": "c0dec0dec0dec0dec0dec0dec0dec0de", "spanId": "0000000000000001", "name": "codex.exec",
       "startTimeUnixNano": "1000", "endTimeUnixNano": "9000",
       "attributes": [{"key": "conversation.id", "value": {"stringValue": "codex-conv-1"}}]},
      {"traceId": "c0dec0dec0dec0dec0dec0dec0dec0de", "spanId": "0000000000000002", "parentSpanId": "0000000000000001",
       "name": "session_loop", "startTimeUnixNano": "1100", "endTimeUnixNano": "8900"},
      {"traceId": "c0dec0dec0dec0dec0dec0dec0dec0de", "spanId": "0000000000000003", "parentSpanId": "0000000000000002",
       "name": "run_turn", "startTimeUnixNano": "1200", "endTimeUnixNano": "8800"},
      {"traceId": "c0dec0dec0dec0dec0dec0dec0dec0de", "spanId": "0000000000000004", "parentSpanId": "0000000000000003",
       "name": "stream_request", "startTimeUnixNano": "1300", "endTimeUnixNano": "4000",
       "attributes": [{"key": "model", "value": {"stringValue": "gpt-5.1-codex"}},
                      {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1200"}},
                      {"key": "gen_ai.usage.cache_read.input_tokens", "value": {"intValue": "800"}},
                      {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "90"}},
                      {"key": "codex.usage.reasoning_output_tokens", "value": {"intValue": "40"}}]},
      {"traceId": "c0dec0dec0dec0dec0dec0dec0dec0de", "spanId": "0000000000000005", "parentSpanId": "0000000000000003",
       "name": "stream_request", "startTimeUnixNano": "4100", "endTimeUnixNano": "8000",
       "attributes": [{"key": "model", "value": {"stringValue": "gpt-5.1-codex"}}]}
    ]}]}]});
    let rec = |span: &str, attrs: serde_json::Value| {
        let kv: Vec<serde_json::Value> = attrs
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| match v {
                serde_json::Value::Number(n) => serde_json::json!({"key": k, "value": {"intValue": n.to_string()}}),
                v => serde_json::json!({"key": k, "value": {"stringValue": v.as_str().unwrap_or_default()}}),
            })
            .collect();
        serde_json::json!({"traceId": "c0dec0dec0dec0dec0dec0dec0dec0de", "spanId": span, "timeUnixNano": "5000", "attributes": kv})
    };
    let logs = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        rec("0000000000000005", serde_json::json!({"event.name": "codex.sse_event", "event.kind": "response.completed",
            "input_token_count": 2000, "cached_token_count": 1500, "output_token_count": 120, "reasoning_token_count": 60})),
        rec("0000000000000005", serde_json::json!({"event.name": "codex.sse_event", "event.kind": "response.output_text.delta"})),
        rec("0000000000000003", serde_json::json!({"event.name": "codex.tool_decision", "tool_name": "shell", "decision": "denied", "source": "user"})),
    ]}]}]});
    let dir = tempfile::tempdir().expect("tempdir");
    let (tp, lp) = (dir.path().join("traces.json"), dir.path().join("logs.json"));
    std::fs::write(&tp, spans.to_string()).expect("write");
    std::fs::write(&lp, logs.to_string()).expect("write");
    let set = agtrace::input::load(
        &[
            agtrace::source::Input::Path(tp),
            agtrace::source::Input::Path(lp),
        ],
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    use StepKind::*;
    let kinds: Vec<StepKind> = (1..=5).map(|i| step_of(&set, i).kind).collect();
    assert_eq!(kinds, vec![Agent, Chain, Chain, Llm, Llm]);
    let first = step_of(&set, 4);
    assert_eq!(first.tokens.input, Some(1200));
    assert_eq!(first.tokens.reasoning, Some(40));
    assert_eq!(first.cost_source, CostSource::Priced);
    let second = step_of(&set, 5);
    assert_eq!(second.tokens.input, Some(2000), "usage from the log record");
    assert_eq!(second.tokens.cache_read, Some(1500));
    assert_eq!(second.tokens.output, Some(120));
    let tr = &set.traces[0];
    assert_eq!(set.str(tr.session), "codex-conv-1");
    assert_eq!(tr.tokens.input, Some(3200));
    let turn = step_of(&set, 3);
    assert_eq!(turn.outcome, Outcome::Warning);
    assert_eq!(set.str(turn.reason), "tool call shell denied");
}

/// testdata/conventions-2026.otlp.json (testdata/make_conventions.py): late-2026
/// producers end to end — Claude Code, a conversation turn with a denied tool call and
/// a failed background response, MCP with a lost parent and a JSON-RPC error, A2A
/// across two agents in one conversation, a blocked threat, an evaluation joined by
/// response id.
#[test]
fn late_2026_fixture_end_to_end() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("conventions-2026.otlp.json");
    let set = agtrace::input::load(
        &[agtrace::source::Input::Path(path)],
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let by = |id: &str| {
        let i = set
            .spans
            .iter()
            .position(|s| s.span_id.to_string() == id)
            .unwrap_or_else(|| panic!("{id}"));
        (i as u32, set.step(i as u32))
    };
    // Claude Code: the tool failed on its exit code; the evaluation found its step.
    let (llm, s) = by("cc00000000000002");
    assert_eq!(s.kind, StepKind::Llm);
    assert_eq!(s.cost_source, CostSource::Priced);
    let evals = agtrace::analysis::evaluation::of_span(&set, llm);
    assert_eq!(evals.len(), 1, "joined by gen_ai.response.id");
    assert_eq!(evals[0].label, "fail");
    assert_eq!(set.str(by("cc00000000000003").1.reason), "exit code 1");
    // The turn: denied call, failed background response, the text cache breakdown.
    assert_eq!(by("7e00000000000001").1.kind, StepKind::Agent);
    assert_eq!(
        set.str(by("7e00000000000002").1.reason),
        "tool call refund_payment denied"
    );
    assert_eq!(by("7e00000000000002").1.tokens.cache_read, Some(1200));
    assert_eq!(by("7e00000000000003").1.outcome, Outcome::Error);
    // MCP: the JSON-RPC failure, and the orphaned server half named as such.
    assert_eq!(by("3c00000000000003").1.outcome, Outcome::Error);
    let mcp = set
        .traces
        .iter()
        .position(|t| t.id.to_string().starts_with("3c"))
        .expect("mcp trace") as u32;
    let broken = agtrace::analysis::findings::of_trace(&set, mcp)
        .expect("findings")
        .iter()
        .find(|f| f.kind == agtrace::model::FindingKind::BrokenTrace)
        .expect("broken trace")
        .message
        .clone();
    assert!(
        broken.contains("MCP") && broken.contains("params._meta"),
        "{broken}"
    );
    // A2A: both agents' traces are one session; the rejected task and the blocked
    // threat are failures.
    let ctx = set.strings.lookup("ctx-trip-1").expect("context id");
    assert_eq!(set.sessions.get(&ctx).map(Vec::len), Some(2));
    assert_eq!(
        set.str(by("a2a0000000000002").1.reason),
        "A2A task rejected"
    );
    assert_eq!(
        set.str(by("a2a0000000000011").1.reason),
        "threat blocked by prompt-injection, severity high"
    );
}
