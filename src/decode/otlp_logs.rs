//! OTLP log records that belong to spans: current GenAI instrumentations (and Codex)
//! put prompts, completions and tool payloads in log records
//! (`gen_ai.user.message`, `gen_ai.choice`, `gen_ai.client.inference.operation.details`…)
//! carrying the span's ids, in `resourceLogs` beside `resourceSpans` or in a logs file
//! of their own. Each becomes an event of its span (its attributes, and the fields of a
//! map body, as the event's attributes), so the conversation readers find them.

use crate::model::{LogEvent, SpanId, TraceId};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
struct Doc {
    #[serde(default, rename = "resourceLogs", alias = "resource_logs")]
    resource_logs: Vec<ResourceLogs>,
}

#[derive(Deserialize)]
struct ResourceLogs {
    #[serde(default, rename = "scopeLogs", alias = "scope_logs")]
    scope_logs: Vec<ScopeLogs>,
}

#[derive(Deserialize)]
struct ScopeLogs {
    #[serde(default, rename = "logRecords", alias = "log_records")]
    log_records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(default, rename = "traceId", alias = "trace_id")]
    trace_id: Option<String>,
    #[serde(default, rename = "spanId", alias = "span_id")]
    span_id: Option<String>,
    #[serde(default, rename = "timeUnixNano", alias = "time_unix_nano")]
    time: Option<Value>,
    #[serde(
        default,
        rename = "observedTimeUnixNano",
        alias = "observed_time_unix_nano"
    )]
    observed: Option<Value>,
    #[serde(default, rename = "eventName", alias = "event_name")]
    event_name: Option<String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    attributes: Vec<Kv>,
}

#[derive(Deserialize)]
struct Kv {
    key: String,
    #[serde(default)]
    value: Value,
}

/// The attribute a span and a later record about its response share.
pub use crate::model::RESPONSE_ID;

/// True when the buffer holds OTLP log records at all.
pub fn has_logs(buf: &[u8]) -> bool {
    memchr::memmem::find(buf, b"\"resourceLogs\"").is_some()
        || memchr::memmem::find(buf, b"\"resource_logs\"").is_some()
}

/// The log records in one piece of a large document cut between its `resourceSpans`
/// elements: a `resourceLogs` member found in the piece is read as a document of its
/// own (it is the document's last member, as exporters write it).
pub fn span_events_in_piece(piece: &[u8]) -> Vec<LogEvent> {
    let Some(at) = memchr::memmem::find(piece, b"\"resourceLogs\"")
        .or_else(|| memchr::memmem::find(piece, b"\"resource_logs\""))
    else {
        return Vec::new();
    };
    let mut doc = Vec::with_capacity(piece.len() - at + 2);
    doc.push(b'{');
    doc.extend_from_slice(&piece[at..]);
    let end = doc
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    doc.truncate(end + 1);
    if doc.last() != Some(&b'}') || serde_json::from_slice::<serde::de::IgnoredAny>(&doc).is_err() {
        doc.push(b'}');
    }
    span_events(&doc)
}

fn nanos(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|&t| t > 0)
}

/// One record as the event of its span: named by its event name, else its
/// `event.name` attribute, else `log`; a map body's fields join its attributes (any
/// other body is the `body` attribute). A record without span ids that names the
/// response it is about (an evaluation run later) is kept with zero ids, to be joined
/// by `gen_ai.response.id`; any other record without them is not a span's.
fn event(
    ids: (Option<[u8; 16]>, Option<[u8; 8]>),
    time: u64,
    name: Option<String>,
    mut attrs: Vec<(String, Value)>,
    body: Option<Value>,
) -> Option<LogEvent> {
    let by_response = attrs.iter().any(|(k, _)| k == RESPONSE_ID);
    let (t, s) = match ids {
        (Some(t), Some(s)) if s != [0; 8] => (t, s),
        _ if by_response => ([0; 16], [0; 8]),
        _ => return None,
    };
    let name = name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| name_from_attrs(&attrs));
    match body {
        Some(Value::Object(mut b)) if b.contains_key("kvlistValue") => {
            let items = b
                .remove("kvlistValue")
                .and_then(|kv| kv.get("values").cloned())
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            for kv in items {
                if let Some(k) = kv.get("key").and_then(Value::as_str) {
                    attrs.push((k.to_owned(), kv.get("value").cloned().unwrap_or_default()));
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(b) => attrs.push(("body".to_owned(), b)),
    }
    Some(LogEvent {
        trace_id: TraceId(t),
        span_id: SpanId(s),
        time,
        name,
        attrs,
    })
}

/// A record's `event.name` attribute (OTLP `AnyValue` or plain JSON), else `log`.
pub(crate) fn name_from_attrs(attrs: &[(String, Value)]) -> String {
    attrs
        .iter()
        .find(|(k, _)| k == "event.name")
        .and_then(|(_, v)| v.get("stringValue").unwrap_or(v).as_str())
        .unwrap_or("log")
        .to_owned()
}

/// The log records of every document in `buf` that name a span, as span events.
pub fn span_events(buf: &[u8]) -> Vec<LogEvent> {
    let mut out = Vec::new();
    for doc in serde_json::Deserializer::from_slice(buf).into_iter::<Doc>() {
        let Ok(doc) = doc else { break };
        for r in doc
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .flat_map(|s| &s.log_records)
        {
            let ids = (
                r.trace_id
                    .as_deref()
                    .and_then(|t| crate::model::decode_id::<16>(t, "trace id").ok()),
                r.span_id
                    .as_deref()
                    .and_then(|s| crate::model::decode_id::<8>(s, "span id").ok()),
            );
            let attrs: Vec<(String, Value)> = r
                .attributes
                .iter()
                .map(|kv| (kv.key.clone(), kv.value.clone()))
                .collect();
            let time = nanos(r.time.as_ref())
                .or_else(|| nanos(r.observed.as_ref()))
                .unwrap_or(0);
            out.extend(event(
                ids,
                time,
                r.event_name.clone(),
                attrs,
                r.body.clone(),
            ));
        }
    }
    out
}

/// Log records in OTLP protobuf — one `LogsData` / `ExportLogsServiceRequest`
/// message, or a stream of them each behind a 4-byte big-endian length (the file
/// exporter's logs file) — as span events. `None` when the bytes are not that, or hold
/// no record at all.
pub fn proto_span_events(buf: &[u8]) -> Option<Vec<LogEvent>> {
    let mut records = Vec::new();
    if super::proto_wire::log_records(buf, &mut records).is_err() {
        records.clear();
        let mut at = 0usize;
        while at < buf.len() {
            let head = buf.get(at..at + 4)?;
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let body = buf.get(at + 4..at + 4 + len)?;
            super::proto_wire::log_records(body, &mut records).ok()?;
            at += 4 + len;
        }
    }
    if records.is_empty() {
        return None;
    }
    Some(
        records
            .into_iter()
            .filter_map(|r| {
                let time = [r.time, r.observed]
                    .into_iter()
                    .find(|&t| t > 0)
                    .unwrap_or(0);
                event(
                    (r.trace_id, r.span_id),
                    time,
                    Some(r.event_name),
                    r.attrs,
                    r.body,
                )
            })
            .collect(),
    )
}
