//! The model as OTLP: spans grouped by their resource and scope into the reference
//! message types (`opentelemetry-proto`), then written as protobuf or as the OTLP
//! JSON mapping (hex ids, 64-bit integers as strings, lowerCamelCase names). Every
//! string passes through the redactor when one is given.

use crate::model::{AttrValue, Slice, SpanKind, StatusCode, TraceSet};
use crate::redact::Redactor;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use std::borrow::Cow;

/// Converts model values to OTLP messages, redacting on the way when asked.
pub struct Encoder<'a> {
    set: &'a TraceSet,
    redactor: Option<&'a Redactor>,
}

impl<'a> Encoder<'a> {
    /// An encoder for `set`; strings go through `redactor` when given.
    pub fn new(set: &'a TraceSet, redactor: Option<&'a Redactor>) -> Encoder<'a> {
        Encoder { set, redactor }
    }

    /// A free-text string (names, status messages).
    fn text(&self, s: &str) -> String {
        match self.redactor {
            Some(r) => r.text(s).into_owned(),
            None => s.to_owned(),
        }
    }

    fn string_value(&self, key: &str, s: &str) -> Value {
        Value::StringValue(match self.redactor {
            Some(r) => r.value(key, s).into_owned(),
            None => s.to_owned(),
        })
    }

    fn any(&self, key: &str, v: &AttrValue) -> AnyValue {
        let st = &self.set.strings;
        let value = match v {
            AttrValue::Empty => None,
            AttrValue::Str(_) | AttrValue::Text(_) => {
                Some(self.string_value(key, v.as_str(st).unwrap_or("")))
            }
            AttrValue::Bool(b) => Some(Value::BoolValue(*b)),
            AttrValue::Int(i) => Some(match self.redactor.and_then(|r| r.int(key, *i)) {
                Some(masked) => Value::StringValue(masked),
                None => Value::IntValue(*i),
            }),
            AttrValue::Double(d) => Some(Value::DoubleValue(*d)),
            AttrValue::Bytes(b) => Some(match self.redactor {
                // Opaque bytes cannot be checked: they go when redacting.
                Some(r) if !b.is_empty() => Value::StringValue(r.bytes(b.len())),
                _ => Value::BytesValue(b.to_vec()),
            }),
            AttrValue::Array(items) => Some(Value::ArrayValue(ArrayValue {
                values: items.iter().map(|x| self.any(key, x)).collect(),
            })),
            AttrValue::KvList(kvs) => Some(Value::KvlistValue(KeyValueList {
                values: kvs
                    .iter()
                    .map(|(k, x)| {
                        let k = st.get(*k);
                        // Nested keys decide too (`{"password": …}` inside a map).
                        let nested = if key.is_empty() {
                            Cow::Borrowed(k)
                        } else {
                            Cow::Owned(format!("{key}.{k}"))
                        };
                        KeyValue {
                            // Map keys are data too (an email used as a key).
                            key: self.text(k),
                            value: Some(self.any(&nested, x)),
                            ..Default::default()
                        }
                    })
                    .collect(),
            })),
        };
        AnyValue { value }
    }

    /// The attributes of `slice` as key/values.
    pub fn attributes(&self, slice: Slice) -> Vec<KeyValue> {
        self.set
            .attrs
            .get(slice.range())
            .unwrap_or_default()
            .iter()
            .map(|a| {
                let key = self.set.str(a.key);
                KeyValue {
                    key: key.to_owned(),
                    value: Some(self.any(key, &a.value)),
                    ..Default::default()
                }
            })
            .collect()
    }

    /// The resource at `i` of the set.
    pub fn resource(&self, i: u32) -> Option<Resource> {
        let r = self.set.resources.get(i as usize)?;
        Some(Resource {
            attributes: self.attributes(r.attrs),
            dropped_attributes_count: r.dropped,
            ..Default::default()
        })
    }

    /// The scope at `i` of the set.
    pub fn scope(&self, i: u32) -> Option<InstrumentationScope> {
        let s = self.set.scopes.get(i as usize)?;
        Some(InstrumentationScope {
            name: self.text(self.set.str(s.name)),
            version: self.text(self.set.str(s.version)),
            attributes: self.attributes(s.attrs),
            dropped_attributes_count: s.dropped,
        })
    }

    /// Span `i` of the arena.
    pub fn span(&self, i: u32) -> Option<Span> {
        let set = self.set;
        let s = set.spans.get(i as usize)?;
        let kind = match s.kind {
            SpanKind::Unspecified => 0,
            SpanKind::Internal => 1,
            SpanKind::Server => 2,
            SpanKind::Client => 3,
            SpanKind::Producer => 4,
            SpanKind::Consumer => 5,
        };
        let code = match s.status {
            StatusCode::Unset => 0,
            StatusCode::Ok => 1,
            StatusCode::Error => 2,
        };
        let message = set.str(s.status_message);
        Some(Span {
            trace_id: s.trace_id.0.to_vec(),
            span_id: s.span_id.0.to_vec(),
            trace_state: self.text(set.str(s.trace_state)),
            parent_span_id: if s.parent_span_id.is_none() {
                Vec::new()
            } else {
                s.parent_span_id.0.to_vec()
            },
            flags: s.flags,
            name: self.text(set.str(s.name)),
            kind,
            start_time_unix_nano: s.start,
            end_time_unix_nano: s.end,
            attributes: self.attributes(s.attrs),
            dropped_attributes_count: s.dropped[0],
            events: set
                .span_events(s)
                .iter()
                .map(|e| span::Event {
                    time_unix_nano: e.time,
                    name: self.text(set.str(e.name)),
                    attributes: self.attributes(e.attrs),
                    dropped_attributes_count: e.dropped,
                })
                .collect(),
            dropped_events_count: s.dropped[1],
            links: set
                .span_links(s)
                .iter()
                .map(|l| span::Link {
                    trace_id: l.trace_id.0.to_vec(),
                    span_id: l.span_id.0.to_vec(),
                    trace_state: self.text(set.str(l.trace_state)),
                    attributes: self.attributes(l.attrs),
                    dropped_attributes_count: l.dropped,
                    flags: l.flags,
                })
                .collect(),
            dropped_links_count: s.dropped[2],
            status: (code != 0 || !message.is_empty()).then(|| Status {
                message: self.text(message),
                code,
            }),
        })
    }

    /// Spans (arena indices) grouped by resource and then scope, in order of first
    /// appearance, each group cut into chunks of at most `chunk` spans: one
    /// `ResourceSpans` per chunk, so no message is ever larger than a chunk.
    pub fn groups(&self, spans: &[u32], chunk: usize) -> Vec<(u32, u32, Vec<u32>)> {
        let mut order: Vec<(u32, u32)> = Vec::new();
        let mut by: rustc_hash::FxHashMap<(u32, u32), Vec<u32>> = Default::default();
        for &i in spans {
            let Some(s) = self.set.spans.get(i as usize) else {
                continue;
            };
            let k = (s.resource, s.scope);
            let v = by.entry(k).or_insert_with(|| {
                order.push(k);
                Vec::new()
            });
            v.push(i);
        }
        let mut out = Vec::new();
        for k in order {
            let all = by.remove(&k).unwrap_or_default();
            for c in all.chunks(chunk.max(1)) {
                out.push((k.0, k.1, c.to_vec()));
            }
        }
        out
    }

    /// One `ResourceSpans` holding `spans`, which share resource `r` and scope `sc`.
    pub fn resource_spans(&self, r: u32, sc: u32, spans: &[u32]) -> ResourceSpans {
        ResourceSpans {
            resource: self.resource(r),
            scope_spans: vec![ScopeSpans {
                scope: self.scope(sc),
                spans: spans.iter().filter_map(|&i| self.span(i)).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }
    }
}
