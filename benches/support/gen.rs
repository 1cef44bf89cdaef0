//! Synthetic agent trace dumps for benchmarks: realistic GenAI agent runs (an agent
//! span, LLM calls with token usage and messages, tool calls with arguments and
//! results, retrievals, HTTP client spans), deterministic for a given seed, written as
//! OTLP/JSON (one document or JSON Lines) or OTLP protobuf (one message or a
//! length-prefixed stream). Both encodings come from one in-memory `TracesData`, so
//! they carry the same content.

#![allow(dead_code)]

use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, TracesData, span,
};
use prost::Message as _;

#[path = "gen_other.rs"]
mod other;
use std::io::{self, Write};

/// Output encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// One OTLP/JSON document.
    Json,
    /// OTLP/JSON Lines, one document per batch of traces.
    Jsonl,
    /// One protobuf `TracesData` message.
    Proto,
    /// Protobuf messages each prefixed by a 4-byte big-endian length.
    ProtoStream,
    /// Jaeger query-API JSON.
    Jaeger,
    /// A Zipkin v2 span array.
    Zipkin,
    /// The collector's debug-exporter text (`kubectl logs`).
    DebugText,
}

impl Encoding {
    /// Parses a name.
    pub fn parse(s: &str) -> Option<Encoding> {
        Some(match s {
            "json" => Encoding::Json,
            "jsonl" => Encoding::Jsonl,
            "proto" | "pb" => Encoding::Proto,
            "proto-stream" => Encoding::ProtoStream,
            "jaeger" => Encoding::Jaeger,
            "zipkin" => Encoding::Zipkin,
            "debug" | "debug-text" => Encoding::DebugText,
            _ => return None,
        })
    }
}

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}
fn s(key: &str, v: impl Into<String>) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.into()))
}
fn i(key: &str, v: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(v))
}

const MODELS: &[&str] = &[
    "gpt-4o-2024-08-06",
    "gpt-4o-mini",
    "claude-sonnet-4-20250514",
    "gemini-2.0-flash",
];
const TOOLS: &[&str] = &[
    "search_orders",
    "get_customer",
    "refund_payment",
    "lookup_inventory",
    "send_email",
];
const WORDS: &[&str] = &[
    "order",
    "refund",
    "customer",
    "shipping",
    "delayed",
    "please",
    "check",
    "status",
    "account",
    "payment",
    "the",
    "was",
    "charged",
    "twice",
    "and",
    "still",
    "not",
    "delivered",
    "warehouse",
    "policy",
    "escalate",
    "ticket",
    "invoice",
    "address",
    "update",
    "confirm",
    "thanks",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut out = String::with_capacity(words * 7);
    for k in 0..words {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(WORDS));
    }
    out
}

/// Builds `traces` agent runs of about `spans_per_trace` spans each.
pub fn build(traces: usize, spans_per_trace: usize, seed: u64) -> Vec<ResourceSpans> {
    let mut rng = Rng(seed);
    let base_ns: u64 = 1_763_000_000_000_000_000;
    let mut out = Vec::with_capacity(traces);
    for t in 0..traces {
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&rng.next().to_be_bytes());
        trace_id[8..].copy_from_slice(&rng.next().to_be_bytes());
        let session = format!("conv-{}", rng.below((traces as u64 / 4).max(1)));
        let start = base_ns + t as u64 * 3_000_000_000 + rng.below(1_000_000_000);
        let mut spans = Vec::with_capacity(spans_per_trace);
        let mut next_id = || {
            let mut id = rng.next().to_be_bytes();
            id[0] |= 1;
            id.to_vec()
        };
        let root_id = next_id();
        let mut cursor = start + 1_000_000;
        let mut k = 1;
        let mut rng2 = Rng(seed ^ (t as u64).wrapping_mul(7919));
        let failing = rng2.below(20) == 0;
        while k < spans_per_trace {
            // One LLM call, then a tool call (with an HTTP child) or a retrieval.
            let model = rng2.pick(MODELS);
            let llm_dur = 300_000_000 + rng2.below(2_000_000_000);
            let input_tokens = 500 + rng2.below(4000) as i64;
            let output_tokens = 20 + rng2.below(600) as i64;
            let n = 3 + rng2.below(12) as usize;
            let prompt = sentence(&mut rng2, n);
            let n = 2 + rng2.below(6) as usize;
            let answer = sentence(&mut rng2, n);
            let llm_id = next_id();
            spans.push(Span {
                trace_id: trace_id.to_vec(),
                span_id: llm_id.clone(),
                parent_span_id: root_id.clone(),
                name: format!("chat {model}"),
                kind: span::SpanKind::Client as i32,
                start_time_unix_nano: cursor,
                end_time_unix_nano: cursor + llm_dur,
                attributes: vec![
                    s("gen_ai.operation.name", "chat"),
                    s("gen_ai.provider.name", if model.starts_with("gpt") { "openai" } else if model.starts_with("claude") { "anthropic" } else { "gcp.gemini" }),
                    s("gen_ai.request.model", model),
                    s("gen_ai.response.model", model),
                    i("gen_ai.usage.input_tokens", input_tokens),
                    i("gen_ai.usage.output_tokens", output_tokens),
                    s("gen_ai.conversation.id", session.clone()),
                    s("gen_ai.input.messages", format!(r#"[{{"role":"user","parts":[{{"type":"text","content":"{prompt}"}}]}}]"#)),
                    s("gen_ai.output.messages", format!(r#"[{{"role":"assistant","parts":[{{"type":"text","content":"{answer}"}}],"finish_reason":"stop"}}]"#)),
                    s("gen_ai.response.finish_reasons", "stop"),
                ],
                status: Some(Status::default()),
                ..Default::default()
            });
            cursor += llm_dur + 1_000_000;
            k += 1;
            if k >= spans_per_trace {
                break;
            }
            let tool = rng2.pick(TOOLS);
            let tool_dur = 5_000_000 + rng2.below(800_000_000);
            let tool_id = next_id();
            let fail_here = failing && k + 3 >= spans_per_trace;
            spans.push(Span {
                trace_id: trace_id.to_vec(),
                span_id: tool_id.clone(),
                parent_span_id: root_id.clone(),
                name: format!("execute_tool {tool}"),
                kind: span::SpanKind::Internal as i32,
                start_time_unix_nano: cursor,
                end_time_unix_nano: cursor + tool_dur,
                attributes: vec![
                    s("gen_ai.operation.name", "execute_tool"),
                    s("gen_ai.tool.name", tool),
                    s("gen_ai.tool.call.id", format!("call_{:016x}", rng2.next())),
                    s(
                        "gen_ai.tool.call.arguments",
                        format!(
                            r#"{{"order_id":"ord-{}","query":"{}"}}"#,
                            rng2.below(100_000),
                            sentence(&mut rng2, 4)
                        ),
                    ),
                    s(
                        "gen_ai.tool.call.result",
                        format!(
                            r#"{{"status":"{}","items":{}}}"#,
                            if fail_here { "error" } else { "ok" },
                            rng2.below(9)
                        ),
                    ),
                ],
                status: Some(if fail_here {
                    Status {
                        code: 2,
                        message: format!("{tool}: upstream returned 503"),
                    }
                } else {
                    Status::default()
                }),
                ..Default::default()
            });
            k += 1;
            if k < spans_per_trace {
                let http_dur = tool_dur / 2;
                spans.push(Span {
                    trace_id: trace_id.to_vec(),
                    span_id: next_id(),
                    parent_span_id: tool_id,
                    name: "POST".into(),
                    kind: span::SpanKind::Client as i32,
                    start_time_unix_nano: cursor + 1_000_000,
                    end_time_unix_nano: cursor + 1_000_000 + http_dur,
                    attributes: vec![
                        s("http.request.method", "POST"),
                        s("url.full", format!("https://api.internal/{tool}")),
                        i(
                            "http.response.status_code",
                            if fail_here { 503 } else { 200 },
                        ),
                    ],
                    status: Some(if fail_here {
                        Status {
                            code: 2,
                            message: "HTTP 503".into(),
                        }
                    } else {
                        Status::default()
                    }),
                    ..Default::default()
                });
                k += 1;
            }
            cursor += tool_dur + 1_000_000;
        }
        let mut root = Span {
            trace_id: trace_id.to_vec(),
            span_id: root_id,
            name: "invoke_agent support".into(),
            kind: span::SpanKind::Internal as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: cursor + 1_000_000,
            attributes: vec![
                s("gen_ai.operation.name", "invoke_agent"),
                s("gen_ai.agent.name", "support"),
                s("gen_ai.conversation.id", session.clone()),
                s("user.id", format!("u-{}", rng2.below(500))),
            ],
            status: Some(if failing {
                Status {
                    code: 2,
                    message: "tool call failed".into(),
                }
            } else {
                Status::default()
            }),
            ..Default::default()
        };
        root.events = vec![span::Event {
            time_unix_nano: start + 10,
            name: "agent.start".into(),
            attributes: vec![s("note", "synthetic")],
            ..Default::default()
        }];
        spans.insert(0, root);
        out.push(ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    s("service.name", "support-agent"),
                    s("deployment.environment", "prod"),
                ],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "opentelemetry.instrumentation.genai".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        });
    }
    out
}

/// Writes the runs in the given encoding.
pub fn write(out: &mut impl Write, rs: &[ResourceSpans], enc: Encoding) -> io::Result<()> {
    match enc {
        Encoding::Jaeger => other::write_jaeger(out, rs),
        Encoding::Zipkin => other::write_zipkin(out, rs),
        Encoding::DebugText => other::write_debug_text(out, rs),
        Encoding::Json => {
            out.write_all(b"{\"resourceSpans\":[")?;
            for (k, r) in rs.iter().enumerate() {
                if k > 0 {
                    out.write_all(b",")?;
                }
                write_resource_spans(out, r)?;
            }
            out.write_all(b"]}\n")
        }
        Encoding::Jsonl => {
            for chunk in rs.chunks(10) {
                out.write_all(b"{\"resourceSpans\":[")?;
                for (k, r) in chunk.iter().enumerate() {
                    if k > 0 {
                        out.write_all(b",")?;
                    }
                    write_resource_spans(out, r)?;
                }
                out.write_all(b"]}\n")?;
            }
            Ok(())
        }
        Encoding::Proto => {
            let msg = TracesData {
                resource_spans: rs.to_vec(),
            };
            out.write_all(&msg.encode_to_vec())
        }
        Encoding::ProtoStream => {
            for chunk in rs.chunks(10) {
                let msg = TracesData {
                    resource_spans: chunk.to_vec(),
                }
                .encode_to_vec();
                out.write_all(&(msg.len() as u32).to_be_bytes())?;
                out.write_all(&msg)?;
            }
            Ok(())
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn json_str(out: &mut impl Write, v: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, v).map_err(io::Error::other)
}

fn write_attrs(out: &mut impl Write, attrs: &[KeyValue]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (k, a) in attrs.iter().enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        out.write_all(b"{\"key\":")?;
        json_str(out, &a.key)?;
        out.write_all(b",\"value\":")?;
        match a.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(v)) => {
                out.write_all(b"{\"stringValue\":")?;
                json_str(out, v)?;
                out.write_all(b"}")?;
            }
            Some(any_value::Value::IntValue(v)) => write!(out, "{{\"intValue\":\"{v}\"}}")?,
            Some(any_value::Value::BoolValue(v)) => write!(out, "{{\"boolValue\":{v}}}")?,
            Some(any_value::Value::DoubleValue(v)) => write!(out, "{{\"doubleValue\":{v}}}")?,
            _ => out.write_all(b"{}")?,
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"]")
}

fn write_resource_spans(out: &mut impl Write, r: &ResourceSpans) -> io::Result<()> {
    out.write_all(b"{\"resource\":{\"attributes\":")?;
    write_attrs(
        out,
        r.resource
            .as_ref()
            .map(|r| &r.attributes[..])
            .unwrap_or(&[]),
    )?;
    out.write_all(b"},\"scopeSpans\":[")?;
    for (k, ss) in r.scope_spans.iter().enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        let scope = ss.scope.clone().unwrap_or_default();
        out.write_all(b"{\"scope\":{\"name\":")?;
        json_str(out, &scope.name)?;
        out.write_all(b",\"version\":")?;
        json_str(out, &scope.version)?;
        out.write_all(b"},\"spans\":[")?;
        for (j, sp) in ss.spans.iter().enumerate() {
            if j > 0 {
                out.write_all(b",")?;
            }
            write!(
                out,
                "{{\"traceId\":\"{}\",\"spanId\":\"{}\",\"parentSpanId\":\"{}\",\"name\":",
                hex(&sp.trace_id),
                hex(&sp.span_id),
                hex(&sp.parent_span_id)
            )?;
            json_str(out, &sp.name)?;
            write!(
                out,
                ",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":",
                sp.kind, sp.start_time_unix_nano, sp.end_time_unix_nano
            )?;
            write_attrs(out, &sp.attributes)?;
            out.write_all(b",\"events\":[")?;
            for (e, ev) in sp.events.iter().enumerate() {
                if e > 0 {
                    out.write_all(b",")?;
                }
                write!(
                    out,
                    "{{\"timeUnixNano\":\"{}\",\"name\":",
                    ev.time_unix_nano
                )?;
                json_str(out, &ev.name)?;
                out.write_all(b",\"attributes\":")?;
                write_attrs(out, &ev.attributes)?;
                out.write_all(b"}")?;
            }
            out.write_all(b"],\"status\":")?;
            let st = sp.status.clone().unwrap_or_default();
            if st.code == 0 && st.message.is_empty() {
                out.write_all(b"{}")?;
            } else {
                write!(out, "{{\"code\":{},\"message\":", st.code)?;
                json_str(out, &st.message)?;
                out.write_all(b"}")?;
            }
            out.write_all(b"}")?;
        }
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}")
}
