//! Flat span records: a JSON list of spans (or `{"spans": […]}`), each with its ids,
//! times and a flat attribute map, as evaluation tools and the AWS ADOT / CloudWatch
//! `aws/spans` group write them: `trace_id`/`traceId`, `span_id`/`spanId`,
//! `parent_span_id`/`parentSpanId`, `name`, `kind`, `start_time`/`startTimeUnixNano`
//! (nanoseconds, or an ISO time), `end_time`, `attributes`, `resource.attributes`,
//! `scope`, `status {code, message}`, `span_events`/`events`. Also the Python SDK's
//! `ConsoleSpanExporter` (objects one after another, ids in `context` with `0x`, ISO
//! times, `SpanKind.CLIENT`, a span printed unfinished and again finished: the copies
//! merge) and Phoenix's span JSON (`context`, `parent_id`, `span_kind` as the
//! OpenInference kind, `status_code`, `status_message`).

use super::Decoded;
use crate::model::{
    Attr, AttrValue, Batch, Event, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId,
};
use serde_json::Value;
use std::collections::HashMap;

/// True when the input, from its first 64 KiB `head`, looks like flat span records (and not OTLP, Zipkin or Jaeger).
pub fn looks_like(head: &str) -> bool {
    // Also Python's ConsoleSpanExporter and Phoenix, with the ids inside `context`.
    let snake = head.contains("\"trace_id\"") && head.contains("\"span_id\"");
    let camel = head.contains("\"traceId\"") && head.contains("\"spanId\"");
    (snake || camel) && !head.contains("\"resourceSpans\"") && !head.contains("\"resource_spans\"")
}

fn field<'a>(o: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| o.get(*n).filter(|v| !v.is_null()))
}

/// A time as Unix nanoseconds: an integer in ns, µs, ms or s by its size, or an ISO
/// string.
fn time(v: Option<&Value>) -> Option<u64> {
    // Integers exactly (a nanosecond count does not fit a double), by their size.
    let scale = |n: u64| match n {
        n if n >= 100_000_000_000_000_000 => Some(n),
        n if n >= 100_000_000_000_000 => n.checked_mul(1_000),
        n if n >= 100_000_000_000 => n.checked_mul(1_000_000),
        n => n.checked_mul(1_000_000_000),
    };
    let float = |n: f64| {
        let ns = if n >= 1e17 {
            n
        } else if n >= 1e14 {
            n * 1e3
        } else if n >= 1e11 {
            n * 1e6
        } else {
            n * 1e9
        };
        (ns.is_finite() && ns >= 0.0).then_some(ns as u64)
    };
    match v? {
        Value::Number(n) => match n.as_u64() {
            Some(i) => scale(i),
            None => float(n.as_f64()?),
        },
        Value::String(s) => {
            let s = s.trim();
            match (s.parse::<u64>(), s.parse::<f64>()) {
                (Ok(i), _) => scale(i),
                (_, Ok(f)) => float(f),
                _ => super::langfuse::iso(s),
            }
        }
        _ => None,
    }
}

fn id<const N: usize>(v: Option<&Value>) -> Option<[u8; N]> {
    let s = v?.as_str()?.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    crate::model::decode_id::<N>(s, "id").ok()
}

fn kind(v: Option<&Value>) -> SpanKind {
    match v {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(1) => SpanKind::Internal,
            Some(2) => SpanKind::Server,
            Some(3) => SpanKind::Client,
            Some(4) => SpanKind::Producer,
            Some(5) => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        },
        Some(Value::String(s)) => {
            let s = s.to_ascii_lowercase();
            [
                ("internal", SpanKind::Internal),
                ("server", SpanKind::Server),
                ("client", SpanKind::Client),
                ("producer", SpanKind::Producer),
                ("consumer", SpanKind::Consumer),
            ]
            .into_iter()
            .find(|(k, _)| s.contains(k))
            .map_or(SpanKind::Unspecified, |(_, k)| k)
        }
        _ => SpanKind::Unspecified,
    }
}

fn attrs_of(batch: &mut Batch, v: Option<&Value>) -> Vec<Attr> {
    let Some(Value::Object(m)) = v else {
        return Vec::new();
    };
    m.iter()
        .map(|(k, x)| {
            let key = batch.strings.intern(k);
            let value = AttrValue::from_json(&mut batch.strings, x);
            Attr { key, value }
        })
        .collect()
}

/// Decodes flat span records; `None` when the JSON is not a list of such records.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    // One JSON value, or objects one after another (a console exporter's output).
    let mut values: Vec<Value> = Vec::new();
    let mut damage = None;
    for v in serde_json::Deserializer::from_slice(buf).into_iter::<Value>() {
        match v {
            Ok(v) => values.push(v),
            Err(e) => {
                damage = Some(e);
                break;
            }
        }
    }
    let in_a_row = values.len() > 1;
    let values_empty = values.is_empty();
    let owned: Vec<Value>;
    let list: &Vec<Value> = match values.as_slice() {
        [Value::Array(a)] => a,
        [Value::Object(o)] if o.get("spans").is_some_and(Value::is_array) => {
            o.get("spans")?.as_array()?
        }
        [] => return None,
        _ => {
            owned = values.into_iter().filter(Value::is_object).collect();
            &owned
        }
    };
    let first = list.first();
    let console = first
        .and_then(|o| o.get("kind"))
        .and_then(Value::as_str)
        .is_some_and(|k| k.starts_with("SpanKind."));
    let format = if in_a_row || console {
        "Python console exporter"
    } else if first.is_some_and(|o| o.get("span_kind").is_some()) {
        "Phoenix span JSON"
    } else {
        "flat span records"
    };
    let mut batch = Batch::for_input(buf.len());
    let mut problems = Vec::new();
    let mut resources: HashMap<String, u32> = HashMap::new();
    let mut scopes: HashMap<String, u32> = HashMap::new();
    for o in list {
        let ctx = o.get("context");
        let (Some(t), Some(s)) = (
            id::<16>(field(o, &["trace_id", "traceId"]).or(ctx.and_then(|c| c.get("trace_id")))),
            id::<8>(field(o, &["span_id", "spanId"]).or(ctx.and_then(|c| c.get("span_id")))),
        ) else {
            problems.push(format!(
                "a record without readable trace and span ids ({}); skipped",
                crate::sanitize::sanitize(&o.to_string().chars().take(60).collect::<String>())
            ));
            continue;
        };
        let parent = id::<8>(field(o, &["parent_span_id", "parentSpanId", "parent_id"]))
            .map_or(SpanId::NONE, SpanId);
        // The resource: its attributes when the record has them.
        let res = field(o, &["resource"]).and_then(|r| r.get("attributes").or(Some(r)));
        let res_key = res.map(Value::to_string).unwrap_or_default();
        let resource = match resources.get(&res_key) {
            Some(&r) => r,
            None => {
                let attrs = attrs_of(&mut batch, res);
                let svc_key = batch.strings.intern("service.name");
                let service = attrs
                    .iter()
                    .find(|a| a.key == svc_key)
                    .and_then(|a| a.value.as_str(&batch.strings).map(str::to_owned))
                    .unwrap_or_default();
                let a0 = batch.attrs.len();
                batch.attrs.extend(attrs);
                let service = batch.strings.intern(&service);
                let r = batch.resources.len() as u32;
                batch.resources.push(Resource {
                    service,
                    attrs: batch.attrs_since(a0),
                    dropped: 0,
                });
                resources.insert(res_key, r);
                r
            }
        };
        let sc = field(
            o,
            &["scope", "instrumentation_scope", "instrumentationScope"],
        );
        let sc_key = sc.map(Value::to_string).unwrap_or_default();
        let scope = match scopes.get(&sc_key) {
            Some(&k) => k,
            None => {
                let get = |k: &str| {
                    sc.and_then(|x| x.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                };
                let (n, v) = (
                    batch.strings.intern(get("name")),
                    batch.strings.intern(get("version")),
                );
                let k = batch.scopes.len() as u32;
                batch.scopes.push(Scope {
                    name: n,
                    version: v,
                    ..Scope::default()
                });
                scopes.insert(sc_key, k);
                k
            }
        };
        let mut a = attrs_of(&mut batch, field(o, &["attributes"]));
        // Phoenix's `span_kind` is the OpenInference kind.
        if let Some(k) = o.get("span_kind").and_then(Value::as_str) {
            let oi = batch.strings.intern("openinference.span.kind");
            let known = [
                "LLM",
                "TOOL",
                "CHAIN",
                "AGENT",
                "RETRIEVER",
                "EMBEDDING",
                "RERANKER",
                "GUARDRAIL",
                "EVALUATOR",
            ];
            if known.contains(&k.to_ascii_uppercase().as_str()) && !a.iter().any(|x| x.key == oi) {
                let value = AttrValue::string(&mut batch.strings, &k.to_ascii_uppercase());
                a.push(Attr { key: oi, value });
            }
        }
        let a0 = batch.attrs.len();
        batch.attrs.extend(a);
        let attrs = batch.attrs_since(a0);
        let e0 = batch.events.len();
        for e in field(o, &["span_events", "events"])
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ea = attrs_of(&mut batch, e.get("attributes"));
            let a0 = batch.attrs.len();
            batch.attrs.extend(ea);
            let n = batch
                .strings
                .intern(e.get("name").and_then(Value::as_str).unwrap_or(""));
            batch.events.push(Event {
                time: time(field(
                    e,
                    &["time", "timestamp", "time_unix_nano", "timeUnixNano"],
                ))
                .unwrap_or(0),
                name: n,
                attrs: batch.attrs_since(a0),
                dropped: 0,
            });
        }
        let events = batch.events_since(e0);
        let st = field(o, &["status"]).or(Some(o));
        let status = match st.and_then(|s| s.get("code").or(s.get("status_code"))) {
            Some(Value::Number(n)) => match n.as_u64() {
                Some(1) => StatusCode::Ok,
                Some(2) => StatusCode::Error,
                _ => StatusCode::Unset,
            },
            Some(Value::String(s)) => StatusCode::from_name(s).unwrap_or(StatusCode::Unset),
            _ => StatusCode::Unset,
        };
        let message = st
            .and_then(|s| {
                s.get("message")
                    .or(s.get("description"))
                    .or(s.get("status_message"))
            })
            .and_then(Value::as_str)
            .unwrap_or("");
        let status_message = batch.strings.intern(message);
        let span_name = batch
            .strings
            .intern(field(o, &["name"]).and_then(Value::as_str).unwrap_or(""));
        batch.spans.push(Span {
            trace_id: TraceId(t),
            span_id: SpanId(s),
            parent_span_id: parent,
            name: span_name,
            kind: kind(field(o, &["kind"])),
            status,
            status_message,
            start: time(field(
                o,
                &[
                    "start_time",
                    "startTimeUnixNano",
                    "start_time_unix_nano",
                    "startTime",
                ],
            ))
            .unwrap_or(0),
            end: time(field(
                o,
                &[
                    "end_time",
                    "endTimeUnixNano",
                    "end_time_unix_nano",
                    "endTime",
                ],
            ))
            .unwrap_or(0),
            resource,
            scope,
            attrs,
            events,
            source,
            ..Span::default()
        });
    }
    if batch.spans.is_empty() {
        return None;
    }
    batch.warnings = super::cap_warnings(problems, name);
    if let Some(e) = damage.filter(|_| !values_empty) {
        let what = if e.is_eof() {
            "ends part way"
        } else {
            "is broken"
        };
        batch.warnings.insert(
            0,
            crate::model::Warning {
                source: name.to_owned(),
                position: crate::model::Position::Line {
                    line: e.line() as u64,
                    column: e.column() as u64,
                },
                message: format!(
                    "the {format} {what} here ({e}); kept the {} spans printed before it",
                    batch.spans.len()
                ),
            },
        );
    }
    Some(Decoded::new(vec![batch], true, format))
}
