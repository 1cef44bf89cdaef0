//! Zipkin v2 JSON (a span array, as the API and the UI's download give it) mapped onto
//! OTLP as the collector's `pkg/translator/zipkin` does: `kind` as the span kind,
//! `timestamp`/`duration` in microseconds, `localEndpoint.serviceName` as the
//! resource's `service.name`, `remoteEndpoint` as `peer.service` / `net.peer.ip` /
//! `net.peer.port`, `tags` as attributes except `otel.status_code` /
//! `otel.status_description` / `error` (the status; an `error` tag's value is the
//! message) and `otel.scope.name` / `otel.scope.version` (the scope), annotations as
//! events. 64-bit trace ids are padded to 128 bits. A `shared` span (the server half
//! of an RPC that reuses the client's span id) gets an id of its own — the client's id
//! with its first byte inverted, the original kept as `zipkin.shared_span_id` — and
//! the client half as its parent; spans of the server's service whose parent is that
//! id follow the server half.

use super::Decoded;
use super::scalar::Scalar;
use crate::model::{
    Attr, AttrValue, Batch, Event, Resource, Slice, Span, SpanId, SpanKind, StatusCode, TraceId,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize)]
struct ZSpan<'a> {
    #[serde(rename = "traceId", borrow)]
    trace_id: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "parentId", borrow, default)]
    parent_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Scalar<'a>,
    #[serde(borrow, default)]
    duration: Scalar<'a>,
    #[serde(rename = "localEndpoint", borrow, default)]
    local: Option<ZEndpoint<'a>>,
    #[serde(rename = "remoteEndpoint", borrow, default)]
    remote: Option<ZEndpoint<'a>>,
    /// In key order, as the collector's translator adds them.
    #[serde(borrow, default)]
    tags: Option<BTreeMap<Cow<'a, str>, Scalar<'a>>>,
    #[serde(borrow, default)]
    annotations: Option<Vec<ZAnnotation<'a>>>,
    #[serde(default)]
    shared: Option<bool>,
}

#[derive(Deserialize, Default)]
struct ZEndpoint<'a> {
    #[serde(rename = "serviceName", borrow, default)]
    service_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ipv4: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ipv6: Option<Cow<'a, str>>,
    #[serde(default)]
    port: Option<i64>,
}

#[derive(Deserialize)]
struct ZAnnotation<'a> {
    #[serde(borrow, default)]
    timestamp: Scalar<'a>,
    #[serde(borrow, default)]
    value: Cow<'a, str>,
}

/// A shared span by trace and the client's span id.
type SharedKey = ([u8; 16], [u8; 8]);

/// True when the input, from its first 64 KiB `head`, looks like Zipkin v2 JSON (a cheap look at its start).
pub fn looks_like(head: &str) -> bool {
    head.trim_start().starts_with('[')
        && head.contains("\"traceId\"")
        && (head.contains("\"localEndpoint\"")
            || head.contains("\"remoteEndpoint\"")
            || head.contains("\"annotations\"")
            || (head.contains("\"timestamp\"") && !head.contains("\"resourceSpans\"")))
}

fn text(v: &Scalar) -> String {
    v.text().into_owned()
}

/// Decodes Zipkin v2 JSON; `None` when it is not (or not parseable as) a span array.
/// Spans are decoded on several threads, each into its own batch.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    let raw: Vec<&RawValue> = serde_json::from_slice(buf).ok()?;
    // Shared (server) halves first: (trace, client id) → (own id, service).
    let mut shared: HashMap<SharedKey, ([u8; 8], String)> = HashMap::new();
    for r in &raw {
        if memchr::memmem::find(r.get().as_bytes(), b"\"shared\"").is_none() {
            continue;
        }
        let s: ZSpan = serde_json::from_str(r.get()).ok()?;
        if s.shared == Some(true)
            && let (Some(t), Some(i)) = (
                super::short_hex_id::<16>(&s.trace_id),
                super::short_hex_id::<8>(&s.id),
            )
        {
            let mut own = i;
            own[0] = !own[0];
            let svc = s
                .local
                .as_ref()
                .and_then(|e| e.service_name.as_deref())
                .unwrap_or_default()
                .to_owned();
            shared.insert((t, i), (own, svc));
        }
    }
    let shared = &shared;
    // Small arrays are not worth a thread each.
    let threads = super::cores().min(raw.len() / 1000 + 1);
    let (mut batches, problems) = super::decode_runs(&raw, buf.len(), threads, |run, share| {
        read_spans(run, shared, source, share)
    })?;
    if batches.is_empty() {
        batches.push(Batch::default());
    }
    if let Some(b) = batches.first_mut() {
        b.warnings = super::cap_warnings(problems, name);
    }
    Some(Decoded::new(batches, true, "Zipkin v2 JSON"))
}

/// Decodes some of the spans into one batch; `None` when one is not a Zipkin span.
fn read_spans(
    raw: &[&RawValue],
    shared: &HashMap<SharedKey, ([u8; 8], String)>,
    source: u32,
    share: usize,
) -> Option<(Batch, Vec<String>)> {
    let mut batch = Batch::for_input(share);
    let mut problems = Vec::new();
    let mut resources: HashMap<String, u32> = HashMap::new();
    let mut scopes = super::ScopeTable::default();
    for r in raw {
        let s: ZSpan = serde_json::from_str(r.get()).ok()?;
        let s = &s;
        let Some((trace_id, raw_id)) = super::span_ids(&s.trace_id, &s.id, &mut problems) else {
            continue;
        };
        let service = s
            .local
            .as_ref()
            .and_then(|e| e.service_name.as_deref())
            .unwrap_or_default();
        let is_shared = s.shared == Some(true);
        let (span_id, parent_id) = if is_shared {
            let own = shared.get(&(trace_id, raw_id)).map_or(raw_id, |x| x.0);
            (own, SpanId(raw_id))
        } else {
            let parent = s.parent_id.as_deref().and_then(super::short_hex_id::<8>);
            let parent = match parent {
                // A span of the server's service under a shared id: the server half.
                Some(p) => match shared.get(&(trace_id, p)) {
                    Some((own, svc)) if *svc == service => SpanId(*own),
                    _ => SpanId(p),
                },
                None => SpanId::NONE,
            };
            (raw_id, parent)
        };
        let resource = match resources.get(service) {
            Some(&r) => r,
            None => {
                let start = batch.attrs.len();
                let svc = batch.strings.intern(service);
                if !service.is_empty() {
                    let key = batch.strings.intern("service.name");
                    batch.attrs.push(Attr {
                        key,
                        value: AttrValue::Str(svc),
                    });
                }
                let r = batch.resources.len() as u32;
                batch.resources.push(Resource {
                    service: svc,
                    attrs: batch.attrs_since(start),
                    dropped: 0,
                });
                resources.insert(service.to_owned(), r);
                r
            }
        };
        let kind = match s.kind.as_deref().map(str::to_ascii_uppercase).as_deref() {
            Some("CLIENT") => SpanKind::Client,
            Some("SERVER") => SpanKind::Server,
            Some("PRODUCER") => SpanKind::Producer,
            Some("CONSUMER") => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        };
        let (mut status, mut message) = (StatusCode::Unset, String::new());
        let (mut scope_name, mut scope_version) = (String::new(), String::new());
        let mut error: Option<String> = None;
        let attr_start = batch.attrs.len();
        for (k, v) in s.tags.iter().flatten() {
            match k.as_ref() {
                "otel.status_code" => {
                    status = StatusCode::from_name(&text(v)).unwrap_or(StatusCode::Unset)
                }
                "otel.status_description" => message = text(v),
                "error" => error = Some(text(v)),
                "otel.scope.name" | "otel.library.name" => scope_name = text(v),
                "otel.scope.version" | "otel.library.version" => scope_version = text(v),
                _ => {
                    let key = batch.strings.intern(k);
                    let value = AttrValue::string(&mut batch.strings, &text(v));
                    batch.attrs.push(Attr { key, value });
                }
            }
        }
        if let Some(r) = &s.remote {
            for (k, v) in [
                ("peer.service", r.service_name.as_deref().map(str::to_owned)),
                (
                    "net.peer.ip",
                    r.ipv4.as_deref().or(r.ipv6.as_deref()).map(str::to_owned),
                ),
                ("net.peer.port", r.port.map(|p| p.to_string())),
            ] {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    let key = batch.strings.intern(k);
                    let value = match k {
                        "net.peer.port" => v.parse().map_or_else(
                            |_| AttrValue::string(&mut batch.strings, &v),
                            AttrValue::Int,
                        ),
                        _ => AttrValue::string(&mut batch.strings, &v),
                    };
                    batch.attrs.push(Attr { key, value });
                }
            }
        }
        if is_shared {
            let key = batch.strings.intern("zipkin.shared_span_id");
            let value = AttrValue::string(&mut batch.strings, &SpanId(raw_id).to_string());
            batch.attrs.push(Attr { key, value });
        }
        if let Some(e) = error
            && status == StatusCode::Unset
        {
            status = StatusCode::Error;
            if message.is_empty() && !e.eq_ignore_ascii_case("true") {
                message = e;
            }
        }
        let attrs = batch.attrs_since(attr_start);
        let event_start = batch.events.len();
        for a in s.annotations.iter().flatten() {
            let n = batch.strings.intern(&a.value);
            batch.events.push(Event {
                time: a.timestamp.micros_as_nanos().unwrap_or(0),
                name: n,
                attrs: Slice::default(),
                dropped: 0,
            });
        }
        let events = batch.events_since(event_start);
        let scope = scopes.index(&mut batch, &scope_name, &scope_version);
        let start = s.timestamp.micros_as_nanos().unwrap_or(0);
        let end = match s.duration.micros_as_nanos() {
            Some(d) => start.saturating_add(d),
            None => 0,
        };
        let span_name = batch.strings.intern(s.name.as_deref().unwrap_or(""));
        let status_message = batch.strings.intern(&message);
        batch.spans.push(Span {
            trace_id: TraceId(trace_id),
            span_id: SpanId(span_id),
            parent_span_id: parent_id,
            name: span_name,
            kind,
            status,
            status_message,
            start,
            end,
            resource,
            scope,
            attrs,
            events,
            source,
            ..Span::default()
        });
    }
    Some((batch, problems))
}
