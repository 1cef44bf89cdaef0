//! Jaeger JSON — the UI's "Download JSON" and the query API (`{"data": [{traceID,
//! spans, processes}]}`, a bare list of traces, or one trace) — mapped onto OTLP as
//! the collector's `pkg/translator/jaeger` does: the parent is the first `CHILD_OF`
//! reference in the same trace (else the first `FOLLOWS_FROM`), other references are
//! links; `span.kind`, `otel.status_code` / `otel.status_description`, `error`,
//! `otel.scope.name` / `otel.scope.version` (and the `otel.library.*` names) and
//! `w3c.tracestate` tags become the span's fields, not attributes; logs become events
//! named by their `event` field; a process is the resource (`serviceName` as
//! `service.name`, its tags as attributes). Times are microseconds. Also Jaeger v2's
//! OTLP answer wrapped in `{"result": …}`, handed back to the OTLP reader.

use super::Decoded;
use crate::model::{
    Attr, AttrValue, Batch, Event, Link, Resource, Scope, Slice, Span, SpanId, SpanKind,
    StatusCode, TraceId,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(untagged)]
enum Doc {
    Data { data: Vec<JTrace> },
    List(Vec<JTrace>),
    One(JTrace),
}

#[derive(Deserialize)]
struct JTrace {
    #[serde(rename = "traceID")]
    _trace_id: Option<String>,
    #[serde(default)]
    spans: Vec<JSpan>,
    #[serde(default)]
    processes: HashMap<String, JProcess>,
}

#[derive(Deserialize)]
struct JProcess {
    #[serde(rename = "serviceName", default)]
    service_name: String,
    #[serde(default)]
    tags: Vec<JTag>,
}

#[derive(Deserialize)]
struct JSpan {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(rename = "operationName", default)]
    operation_name: String,
    #[serde(default)]
    references: Option<Vec<JRef>>,
    #[serde(rename = "startTime", default)]
    start_time: Value,
    #[serde(default)]
    duration: Value,
    #[serde(default)]
    tags: Option<Vec<JTag>>,
    #[serde(default)]
    logs: Option<Vec<JLog>>,
    #[serde(rename = "processID", default)]
    process_id: String,
    #[serde(default)]
    flags: Option<u32>,
}

#[derive(Deserialize)]
struct JRef {
    #[serde(rename = "refType", default)]
    ref_type: String,
    #[serde(rename = "traceID", default)]
    trace_id: String,
    #[serde(rename = "spanID", default)]
    span_id: String,
}

#[derive(Deserialize)]
struct JLog {
    #[serde(default)]
    timestamp: Value,
    #[serde(default)]
    fields: Vec<JTag>,
}

#[derive(Deserialize)]
struct JTag {
    key: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    value: Value,
}

/// True when the input, from its first 64 KiB `head`, looks like Jaeger JSON (a cheap look at its start).
pub fn looks_like(head: &str) -> bool {
    head.contains("\"traceID\"") && (head.contains("\"spanID\"") || head.contains("\"processes\""))
}

/// Jaeger v2's OTLP answer: the document inside `{"result": …}`, for the OTLP reader.
pub fn unwrap_result(buf: &[u8]) -> Option<Vec<u8>> {
    let head = String::from_utf8_lossy(&buf[..buf.len().min(4096)]);
    if !head.contains("\"result\"") {
        return None;
    }
    let v: Value = serde_json::from_slice(buf).ok()?;
    let inner = v.get("result")?;
    inner.get("resourceSpans")?;
    serde_json::to_vec(inner).ok()
}

/// A tag's value, typed as Jaeger says (`string|bool|int64|float64|binary`).
fn value(batch: &mut Batch, t: &JTag) -> AttrValue {
    let text = || match &t.value {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    match t.kind.to_ascii_lowercase().as_str() {
        "bool" => match &t.value {
            Value::Bool(b) => AttrValue::Bool(*b),
            v => AttrValue::Bool(v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))),
        },
        "int64" => match &t.value {
            Value::Number(n) => n
                .as_i64()
                .map(AttrValue::Int)
                .unwrap_or_else(|| AttrValue::Double(n.as_f64().unwrap_or(0.0))),
            v => v.as_str().and_then(|s| s.parse().ok()).map_or_else(
                || AttrValue::string(&mut batch.strings, &text()),
                AttrValue::Int,
            ),
        },
        "float64" => match &t.value {
            Value::Number(n) => AttrValue::Double(n.as_f64().unwrap_or(0.0)),
            v => v.as_str().and_then(|s| s.parse().ok()).map_or_else(
                || AttrValue::string(&mut batch.strings, &text()),
                AttrValue::Double,
            ),
        },
        "binary" => {
            use base64::Engine as _;
            let s = text();
            match base64::engine::general_purpose::STANDARD.decode(s.trim()) {
                Ok(b) => AttrValue::Bytes(Box::new(b)),
                Err(_) => AttrValue::string(&mut batch.strings, &s),
            }
        }
        _ => match &t.value {
            Value::Bool(b) => AttrValue::Bool(*b),
            Value::Number(n) if n.is_i64() => AttrValue::Int(n.as_i64().unwrap_or(0)),
            Value::Number(n) => AttrValue::Double(n.as_f64().unwrap_or(0.0)),
            Value::Null => AttrValue::Empty,
            _ => AttrValue::string(&mut batch.strings, &text()),
        },
    }
}

fn tag_str(t: &JTag) -> String {
    match &t.value {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Decodes Jaeger JSON; `None` when it is not (or not parseable as) Jaeger JSON.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    let doc: Doc = serde_json::from_slice(buf).ok()?;
    let traces = match doc {
        Doc::Data { data } => data,
        Doc::List(l) => l,
        Doc::One(t) => vec![t],
    };
    let mut batch = Batch::for_input(buf.len());
    let mut problems = Vec::new();
    let mut scopes: HashMap<(String, String), u32> = HashMap::new();
    for tr in &traces {
        // Each process of the trace is a resource.
        let mut resources: HashMap<&str, u32> = HashMap::new();
        for (pid, p) in &tr.processes {
            let start = batch.attrs.len();
            let key = batch.strings.intern("service.name");
            let service = batch.strings.intern(&p.service_name);
            batch.attrs.push(Attr {
                key,
                value: AttrValue::Str(service),
            });
            for t in &p.tags {
                let key = batch.strings.intern(&t.key);
                let value = value(&mut batch, t);
                batch.attrs.push(Attr { key, value });
            }
            resources.insert(pid.as_str(), batch.resources.len() as u32);
            batch.resources.push(Resource {
                service,
                attrs: batch.attrs_since(start),
                dropped: 0,
            });
        }
        for s in &tr.spans {
            let (Some(trace_id), Some(span_id)) = (
                super::short_hex_id::<16>(&s.trace_id),
                super::short_hex_id::<8>(&s.span_id),
            ) else {
                problems.push(format!(
                    "span {:?} of trace {:?}: unreadable ids; skipped",
                    crate::sanitize::sanitize(&s.span_id),
                    crate::sanitize::sanitize(&s.trace_id)
                ));
                continue;
            };
            let refs = s.references.as_deref().unwrap_or_default();
            let same_trace = |r: &&JRef| super::short_hex_id::<16>(&r.trace_id) == Some(trace_id);
            let parent = refs
                .iter()
                .filter(same_trace)
                .find(|r| r.ref_type.eq_ignore_ascii_case("CHILD_OF"))
                .or_else(|| {
                    refs.iter()
                        .filter(same_trace)
                        .find(|r| r.ref_type.eq_ignore_ascii_case("FOLLOWS_FROM"))
                });
            let parent_id = parent
                .and_then(|r| super::short_hex_id::<8>(&r.span_id))
                .map_or(SpanId::NONE, SpanId);
            let (mut kind, mut status, mut message) =
                (SpanKind::Unspecified, StatusCode::Unset, String::new());
            let (mut scope_name, mut scope_version, mut trace_state) =
                (String::new(), String::new(), String::new());
            let mut error_tag = false;
            let attr_start = batch.attrs.len();
            for t in s.tags.as_deref().unwrap_or_default() {
                match t.key.as_str() {
                    "span.kind" => {
                        kind = match tag_str(t).to_ascii_lowercase().as_str() {
                            "client" => SpanKind::Client,
                            "server" => SpanKind::Server,
                            "producer" => SpanKind::Producer,
                            "consumer" => SpanKind::Consumer,
                            "internal" => SpanKind::Internal,
                            _ => SpanKind::Unspecified,
                        }
                    }
                    "otel.status_code" => {
                        status = StatusCode::from_name(&tag_str(t)).unwrap_or(StatusCode::Unset)
                    }
                    "otel.status_description" => message = tag_str(t),
                    "error" => {
                        error_tag = matches!(&t.value, Value::Bool(true))
                            || tag_str(t).eq_ignore_ascii_case("true")
                    }
                    "otel.scope.name" | "otel.library.name" => scope_name = tag_str(t),
                    "otel.scope.version" | "otel.library.version" => scope_version = tag_str(t),
                    "w3c.tracestate" => trace_state = tag_str(t),
                    _ => {
                        let key = batch.strings.intern(&t.key);
                        let value = value(&mut batch, t);
                        batch.attrs.push(Attr { key, value });
                    }
                }
            }
            if status == StatusCode::Unset && error_tag {
                status = StatusCode::Error;
            }
            let attrs = batch.attrs_since(attr_start);
            let event_start = batch.events.len();
            for l in s.logs.as_deref().unwrap_or_default() {
                let a0 = batch.attrs.len();
                let mut ev_name = String::new();
                for f in &l.fields {
                    if f.key == "event" && ev_name.is_empty() {
                        ev_name = tag_str(f);
                        continue;
                    }
                    let key = batch.strings.intern(&f.key);
                    let value = value(&mut batch, f);
                    batch.attrs.push(Attr { key, value });
                }
                let ev_attrs = batch.attrs_since(a0);
                let name = batch.strings.intern(&ev_name);
                batch.events.push(Event {
                    time: super::micros_as_nanos(Some(&l.timestamp)).unwrap_or(0),
                    name,
                    attrs: ev_attrs,
                    dropped: 0,
                });
            }
            let events = batch.events_since(event_start);
            let link_start = batch.links.len();
            for r in refs {
                if parent.is_some_and(|p| std::ptr::eq(p, r)) {
                    continue;
                }
                let (Some(t), Some(sp)) = (
                    super::short_hex_id::<16>(&r.trace_id),
                    super::short_hex_id::<8>(&r.span_id),
                ) else {
                    continue;
                };
                let a0 = batch.attrs.len();
                let key = batch.strings.intern("opentracing.ref_type");
                let v = AttrValue::string(&mut batch.strings, &r.ref_type.to_ascii_lowercase());
                batch.attrs.push(Attr { key, value: v });
                let la = batch.attrs_since(a0);
                batch.links.push(Link {
                    trace_id: TraceId(t),
                    span_id: SpanId(sp),
                    trace_state: crate::model::Sym::EMPTY,
                    attrs: la,
                    flags: 0,
                    dropped: 0,
                });
            }
            let links = batch.links_since(link_start);
            let scope_key = (scope_name.clone(), scope_version.clone());
            let scope = match scopes.get(&scope_key) {
                Some(&k) => k,
                None => {
                    let k = batch.scopes.len() as u32;
                    let (n, v) = (
                        batch.strings.intern(&scope_name),
                        batch.strings.intern(&scope_version),
                    );
                    batch.scopes.push(Scope {
                        name: n,
                        version: v,
                        attrs: Slice::default(),
                        dropped: 0,
                    });
                    scopes.insert(scope_key, k);
                    k
                }
            };
            let resource = match resources.get(s.process_id.as_str()) {
                Some(&r) => r,
                None => {
                    let r = batch.resources.len() as u32;
                    batch.resources.push(Resource::default());
                    resources.insert(s.process_id.as_str(), r);
                    r
                }
            };
            let start = super::micros_as_nanos(Some(&s.start_time)).unwrap_or(0);
            let end = start.saturating_add(super::micros_as_nanos(Some(&s.duration)).unwrap_or(0));
            let name = batch.strings.intern(&s.operation_name);
            let status_message = batch.strings.intern(&message);
            let trace_state = batch.strings.intern(&trace_state);
            batch.spans.push(Span {
                trace_id: TraceId(trace_id),
                span_id: SpanId(span_id),
                parent_span_id: parent_id,
                name,
                kind,
                status,
                status_message,
                start,
                end,
                flags: s.flags.unwrap_or(0),
                trace_state,
                resource,
                scope,
                attrs,
                events,
                links,
                source,
                ..Span::default()
            });
        }
    }
    batch.warnings = super::cap_warnings(problems, name);
    Some(Decoded::new(vec![batch], true, "Jaeger JSON"))
}
