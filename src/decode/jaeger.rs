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
use super::scalar::Scalar;
use crate::model::{
    Attr, AttrValue, Batch, Event, Link, Resource, Span, SpanId, SpanKind, StatusCode, TraceId,
};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// The `{"data": […]}` answer; without `data`, the object is one trace.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct JTrace<'a> {
    #[serde(borrow, default)]
    spans: Vec<JSpan<'a>>,
    #[serde(borrow, default)]
    processes: HashMap<Cow<'a, str>, JProcess<'a>>,
}

#[derive(Deserialize)]
struct JProcess<'a> {
    #[serde(rename = "serviceName", borrow, default)]
    service_name: Cow<'a, str>,
    #[serde(borrow, default)]
    tags: Vec<JTag<'a>>,
}

#[derive(Deserialize)]
struct JSpan<'a> {
    #[serde(rename = "traceID", borrow)]
    trace_id: Cow<'a, str>,
    #[serde(rename = "spanID", borrow)]
    span_id: Cow<'a, str>,
    #[serde(rename = "operationName", borrow, default)]
    operation_name: Cow<'a, str>,
    #[serde(borrow, default)]
    references: Option<Vec<JRef<'a>>>,
    #[serde(rename = "startTime", borrow, default)]
    start_time: Scalar<'a>,
    #[serde(borrow, default)]
    duration: Scalar<'a>,
    #[serde(borrow, default)]
    tags: Option<Vec<JTag<'a>>>,
    #[serde(borrow, default)]
    logs: Option<Vec<JLog<'a>>>,
    #[serde(rename = "processID", borrow, default)]
    process_id: Cow<'a, str>,
    #[serde(default)]
    flags: Option<u32>,
}

#[derive(Deserialize)]
struct JRef<'a> {
    #[serde(rename = "refType", borrow, default)]
    ref_type: Cow<'a, str>,
    #[serde(rename = "traceID", borrow, default)]
    trace_id: Cow<'a, str>,
    #[serde(rename = "spanID", borrow, default)]
    span_id: Cow<'a, str>,
}

#[derive(Deserialize)]
struct JLog<'a> {
    #[serde(borrow, default)]
    timestamp: Scalar<'a>,
    #[serde(borrow, default)]
    fields: Vec<JTag<'a>>,
}

#[derive(Deserialize)]
struct JTag<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(rename = "type", borrow, default)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Scalar<'a>,
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
    let v = &t.value;
    let text = |batch: &mut Batch| AttrValue::string(&mut batch.strings, &v.text());
    let kind = t.kind.to_ascii_lowercase();
    match (kind.as_str(), v) {
        ("bool", Scalar::Bool(b)) => AttrValue::Bool(*b),
        ("bool", v) => AttrValue::Bool(v.text().eq_ignore_ascii_case("true")),
        ("int64", Scalar::Int(i)) => AttrValue::Int(*i),
        ("int64", Scalar::UInt(u)) => {
            i64::try_from(*u).map_or(AttrValue::Double(*u as f64), AttrValue::Int)
        }
        ("int64", Scalar::Float(f)) => AttrValue::Double(*f),
        ("int64", Scalar::Str(s)) => s
            .trim()
            .parse()
            .map_or_else(|_| text(batch), AttrValue::Int),
        ("float64", Scalar::Float(f)) => AttrValue::Double(*f),
        ("float64", Scalar::Int(i)) => AttrValue::Double(*i as f64),
        ("float64", Scalar::UInt(u)) => AttrValue::Double(*u as f64),
        ("float64", Scalar::Str(s)) => s
            .trim()
            .parse()
            .map_or_else(|_| text(batch), AttrValue::Double),
        ("binary", v) => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(v.text().trim()) {
                Ok(b) => AttrValue::Bytes(Box::new(b)),
                Err(_) => text(batch),
            }
        }
        (_, Scalar::Bool(b)) => AttrValue::Bool(*b),
        (_, Scalar::Int(i)) => AttrValue::Int(*i),
        (_, Scalar::UInt(u)) => {
            i64::try_from(*u).map_or(AttrValue::Double(*u as f64), AttrValue::Int)
        }
        (_, Scalar::Float(f)) => AttrValue::Double(*f),
        (_, Scalar::Null) => AttrValue::Empty,
        _ => text(batch),
    }
}

fn tag_str<'a>(t: &'a JTag) -> Cow<'a, str> {
    t.value.text()
}

/// Decodes Jaeger JSON; `None` when it is not (or not parseable as) Jaeger JSON.
/// Traces are decoded on several threads, each into its own batch.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    let first = buf.iter().find(|b| !b.is_ascii_whitespace())?;
    let raw: Vec<&RawValue> = if *first == b'[' {
        serde_json::from_slice(buf).ok()?
    } else {
        let top: Top = serde_json::from_slice(buf).ok()?;
        match top.data {
            Some(d) => d,
            None => vec![serde_json::from_slice(buf).ok()?],
        }
    };
    let (mut batches, problems) =
        super::decode_runs(&raw, buf.len(), super::cores(), |run, share| {
            read_traces(run, source, share)
        })?;
    if let Some(b) = batches.first_mut() {
        b.warnings = super::cap_warnings(problems, name);
    }
    Some(Decoded::new(batches, true, "Jaeger JSON"))
}

/// Decodes some of the traces into one batch; `None` when one is not a Jaeger trace.
fn read_traces(raw: &[&RawValue], source: u32, share: usize) -> Option<(Batch, Vec<String>)> {
    let mut batch = Batch::for_input(share);
    let mut problems = Vec::new();
    let mut scopes = super::ScopeTable::default();
    for r in raw {
        let tr: JTrace = serde_json::from_str(r.get()).ok()?;
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
            resources.insert(pid.as_ref(), batch.resources.len() as u32);
            batch.resources.push(Resource {
                service,
                attrs: batch.attrs_since(start),
                dropped: 0,
            });
        }
        for s in &tr.spans {
            let Some((trace_id, span_id)) = super::span_ids(&s.trace_id, &s.span_id, &mut problems)
            else {
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
                match t.key.as_ref() {
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
                    "otel.status_description" => message = tag_str(t).into_owned(),
                    "error" => {
                        error_tag = matches!(&t.value, Scalar::Bool(true))
                            || tag_str(t).eq_ignore_ascii_case("true")
                    }
                    "otel.scope.name" | "otel.library.name" => scope_name = tag_str(t).into_owned(),
                    "otel.scope.version" | "otel.library.version" => {
                        scope_version = tag_str(t).into_owned()
                    }
                    "w3c.tracestate" => trace_state = tag_str(t).into_owned(),
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
                        ev_name = tag_str(f).into_owned();
                        continue;
                    }
                    let key = batch.strings.intern(&f.key);
                    let value = value(&mut batch, f);
                    batch.attrs.push(Attr { key, value });
                }
                let ev_attrs = batch.attrs_since(a0);
                let name = batch.strings.intern(&ev_name);
                batch.events.push(Event {
                    time: l.timestamp.micros_as_nanos().unwrap_or(0),
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
            let scope = scopes.index(&mut batch, &scope_name, &scope_version);
            let resource = match resources.get(s.process_id.as_ref()) {
                Some(&r) => r,
                None => {
                    let r = batch.resources.len() as u32;
                    batch.resources.push(Resource::default());
                    resources.insert(s.process_id.as_ref(), r);
                    r
                }
            };
            let start = s.start_time.micros_as_nanos().unwrap_or(0);
            let end = start.saturating_add(s.duration.micros_as_nanos().unwrap_or(0));
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
    Some((batch, problems))
}
