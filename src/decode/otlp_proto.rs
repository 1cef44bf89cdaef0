//! OTLP protobuf: a single `TracesData` / `ExportTraceServiceRequest` message, a stream
//! of messages each prefixed by a 4-byte big-endian length (collector file exporter,
//! `format: proto`), or a stream of varint-delimited messages. The framing is found by
//! walking field headers only; each `ResourceSpans` is then decoded with prost on its
//! own, so the work spreads over threads and a damaged tail costs only itself.

use super::{DecodeError, Decoded, cap_warnings};
use crate::model::{
    Attr, AttrValue, Batch, Event, Interner, Link, Position, Resource, Scope, Slice, Span, SpanId,
    SpanKind, StatusCode, Sym, TraceId, Warning, id_from_bytes,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use prost::Message as _;
use std::ops::Range;

/// The framing an input was found to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// One message, no prefix.
    Single,
    /// 4-byte big-endian length before each message.
    LengthPrefixed,
    /// Varint length before each message.
    VarintDelimited,
}

/// The outcome of walking one framing over the input.
#[derive(Debug)]
struct Scan {
    framing: Framing,
    /// Byte ranges of every `ResourceSpans` (field 1) payload.
    units: Vec<Range<usize>>,
    /// Bytes that parsed as whole messages.
    consumed: usize,
    /// Messages found.
    messages: usize,
}

impl Scan {
    fn exact(&self, len: usize) -> bool {
        self.consumed == len && self.messages > 0
    }
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Walks the top-level fields of one `TracesData` message occupying all of `msg`
/// (offset `base` in the input). Returns the `ResourceSpans` ranges, or `None` when
/// the bytes are not a well-formed message.
fn walk_message(msg: &[u8], base: usize, units: &mut Vec<Range<usize>>) -> Option<()> {
    let mut pos = 0;
    while pos < msg.len() {
        let tag = read_varint(msg, &mut pos)?;
        let (field, wire) = (tag >> 3, tag & 7);
        if field == 0 {
            return None;
        }
        match wire {
            0 => {
                read_varint(msg, &mut pos)?;
            }
            1 => pos = pos.checked_add(8).filter(|&p| p <= msg.len())?,
            5 => pos = pos.checked_add(4).filter(|&p| p <= msg.len())?,
            2 => {
                let len = usize::try_from(read_varint(msg, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|&e| e <= msg.len())?;
                if field == 1 {
                    units.push(base + pos..base + end);
                }
                pos = end;
            }
            _ => return None,
        }
    }
    // A trace message with no ResourceSpans at all is not evidence of this format.
    Some(())
}

fn scan_single(buf: &[u8]) -> Scan {
    let mut units = Vec::new();
    // Walk field by field so that a truncated single message still yields its
    // complete ResourceSpans.
    let mut pos = 0;
    let mut consumed = 0;
    while pos < buf.len() {
        let mut p = pos;
        let Some(tag) = read_varint(buf, &mut p) else {
            break;
        };
        if tag != 0x0a {
            break;
        }
        let Some(len) = read_varint(buf, &mut p).and_then(|l| usize::try_from(l).ok()) else {
            break;
        };
        let Some(end) = p.checked_add(len).filter(|&e| e <= buf.len()) else {
            break;
        };
        units.push(p..end);
        pos = end;
        consumed = end;
    }
    let messages = usize::from(!units.is_empty());
    Scan {
        framing: Framing::Single,
        units,
        consumed,
        messages,
    }
}

fn scan_stream(buf: &[u8], framing: Framing) -> Scan {
    let mut units = Vec::new();
    let (mut pos, mut messages) = (0usize, 0usize);
    while pos < buf.len() {
        let mut p = pos;
        let len = match framing {
            Framing::LengthPrefixed => {
                let Some(b) = buf.get(p..p + 4) else { break };
                p += 4;
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
            }
            _ => match read_varint(buf, &mut p).and_then(|l| usize::try_from(l).ok()) {
                Some(l) => l,
                None => break,
            },
        };
        let Some(end) = p.checked_add(len).filter(|&e| e <= buf.len()) else {
            break;
        };
        let mark = units.len();
        if walk_message(&buf[p..end], p, &mut units).is_none() || units.len() == mark && len > 0 {
            units.truncate(mark);
            break;
        }
        messages += 1;
        pos = end;
    }
    Scan {
        framing,
        units,
        consumed: pos,
        messages,
    }
}

/// Picks the framing that explains the input: one that covers it exactly, else the
/// one that gets furthest (a truncated input).
fn detect(buf: &[u8]) -> Option<Scan> {
    let mut scans = vec![scan_single(buf)];
    if buf.first() == Some(&0) {
        scans.insert(0, scan_stream(buf, Framing::LengthPrefixed));
    } else {
        scans.push(scan_stream(buf, Framing::LengthPrefixed));
    }
    scans.push(scan_stream(buf, Framing::VarintDelimited));
    if let Some(i) = scans.iter().position(|s| s.exact(buf.len())) {
        return Some(scans.swap_remove(i));
    }
    scans
        .into_iter()
        .filter(|s| !s.units.is_empty())
        .max_by_key(|s| s.consumed)
}

/// The framing that explains the input, if any (for diagnostics and tests).
pub fn detect_framing(buf: &[u8]) -> Option<Framing> {
    detect(buf)
        .filter(|s| !s.units.is_empty())
        .map(|s| s.framing)
}

/// True when the bytes look like OTLP protobuf in some framing.
pub fn looks_like(buf: &[u8]) -> bool {
    detect(buf).is_some_and(|s| !s.units.is_empty())
}

/// Decodes an OTLP protobuf input.
pub fn decode(buf: &[u8], source: u32, name: &str, threads: usize) -> Result<Decoded, DecodeError> {
    let Some(scan) = detect(buf) else {
        return Err(DecodeError::Proto(
            "no message framing fits the bytes".into(),
        ));
    };
    if scan.units.is_empty() {
        return Err(DecodeError::Proto(
            "no message framing fits the bytes".into(),
        ));
    }
    let threads = threads.clamp(1, scan.units.len());
    let per = scan.units.len().div_ceil(threads);
    let mut batches: Vec<Batch> = std::thread::scope(|scope| {
        let handles: Vec<_> = scan
            .units
            .chunks(per)
            .map(|units| scope.spawn(move || decode_units(buf, units, source, name)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let bad = batches.iter().all(|b| b.spans.is_empty())
        && batches.iter().any(|b| !b.warnings.is_empty());
    if bad && scan.units.len() == batches.iter().map(|b| b.warnings.len()).sum::<usize>() {
        return Err(DecodeError::Proto(
            "the messages do not decode as trace data".into(),
        ));
    }
    if scan.consumed < buf.len()
        && let Some(first) = batches.first_mut()
    {
        first.warnings.push(Warning {
            source: name.to_owned(),
            position: Position::Byte(scan.consumed as u64),
            message: format!(
                "the input ends in the middle of a message (cut off while being written?); kept everything before byte {} of {}",
                scan.consumed,
                buf.len()
            ),
        });
    }
    Ok(Decoded {
        batches,
        recognized: true,
    })
}

fn decode_units(buf: &[u8], units: &[Range<usize>], source: u32, name: &str) -> Batch {
    let mut batch = Batch::default();
    let mut problems = Vec::new();
    let mut span_no = 0u64;
    for r in units {
        match ResourceSpans::decode(&buf[r.clone()]) {
            Ok(rs) => add_resource_spans(&mut batch, rs, source, &mut span_no, &mut problems),
            Err(e) => batch.warnings.push(Warning {
                source: name.to_owned(),
                position: Position::Byte(r.start as u64),
                message: format!("a ResourceSpans message could not be decoded ({e}); skipped"),
            }),
        }
    }
    batch.warnings.extend(cap_warnings(problems, name));
    batch
}

fn add_resource_spans(
    batch: &mut Batch,
    rs: ResourceSpans,
    source: u32,
    span_no: &mut u64,
    problems: &mut Vec<String>,
) {
    let res_idx = batch.resources.len() as u32;
    let mut resource = Resource::default();
    if let Some(r) = rs.resource {
        resource.attrs = push_attrs(batch, r.attributes);
        resource.dropped = r.dropped_attributes_count;
        if let Some(sym) = batch.strings.lookup("service.name")
            && let Some(a) = batch.attrs[resource.attrs.range()]
                .iter()
                .find(|a| a.key == sym)
            && let AttrValue::Str(s) = a.value
        {
            resource.service = s;
        }
    }
    batch.resources.push(resource);
    for ss in rs.scope_spans {
        let scope_idx = batch.scopes.len() as u32;
        let mut scope = Scope::default();
        if let Some(s) = ss.scope {
            scope.name = batch.strings.intern(&s.name);
            scope.version = batch.strings.intern(&s.version);
            scope.attrs = push_attrs(batch, s.attributes);
            scope.dropped = s.dropped_attributes_count;
        }
        batch.scopes.push(scope);
        for sp in ss.spans {
            *span_no += 1;
            let label = format!("span #{span_no} {:?}", sp.name);
            let ids = (
                id_from_bytes::<16>(&sp.trace_id, "trace id"),
                id_from_bytes::<8>(&sp.span_id, "span id"),
            );
            let parent = if sp.parent_span_id.is_empty() {
                Ok(SpanId::NONE)
            } else {
                id_from_bytes::<8>(&sp.parent_span_id, "parent span id").map(SpanId)
            };
            let (trace_id, span_id, parent) = match (ids, parent) {
                ((Ok(t), Ok(s)), Ok(p)) => (t, s, p),
                ((Err(e), _), _) | ((_, Err(e)), _) | (_, Err(e)) => {
                    problems.push(format!("{label}: {e}; span skipped"));
                    continue;
                }
            };
            let kind = SpanKind::from_i32(i64::from(sp.kind)).unwrap_or_else(|| {
                problems.push(format!("{label}: unknown span kind {}", sp.kind));
                SpanKind::Unspecified
            });
            let (status, status_message) = match sp.status {
                Some(st) => (
                    StatusCode::from_i32(i64::from(st.code)).unwrap_or_else(|| {
                        problems.push(format!("{label}: unknown status code {}", st.code));
                        StatusCode::Unset
                    }),
                    batch.strings.intern(&st.message),
                ),
                None => (StatusCode::Unset, Sym::EMPTY),
            };
            let attrs = push_attrs(batch, sp.attributes);
            let ev_start = batch.events.len();
            for e in sp.events {
                let attrs = push_attrs(batch, e.attributes);
                let name = batch.strings.intern(&e.name);
                batch.events.push(Event {
                    time: e.time_unix_nano,
                    name,
                    attrs,
                    dropped: e.dropped_attributes_count,
                });
            }
            let events = batch.events_since(ev_start);
            let link_start = batch.links.len();
            for l in sp.links {
                let (Ok(t), Ok(s)) = (
                    id_from_bytes::<16>(&l.trace_id, "trace id"),
                    id_from_bytes::<8>(&l.span_id, "span id"),
                ) else {
                    continue;
                };
                let attrs = push_attrs(batch, l.attributes);
                let trace_state = batch.strings.intern(&l.trace_state);
                batch.links.push(Link {
                    trace_id: TraceId(t),
                    span_id: SpanId(s),
                    trace_state,
                    attrs,
                    flags: l.flags,
                    dropped: l.dropped_attributes_count,
                });
            }
            let links = batch.links_since(link_start);
            let span = Span {
                trace_id: TraceId(trace_id),
                span_id: SpanId(span_id),
                parent_span_id: parent,
                name: batch.strings.intern(&sp.name),
                kind,
                status,
                status_message,
                start: sp.start_time_unix_nano,
                end: sp.end_time_unix_nano,
                flags: sp.flags,
                trace_state: batch.strings.intern(&sp.trace_state),
                resource: res_idx,
                scope: scope_idx,
                attrs,
                events,
                links,
                dropped: [
                    sp.dropped_attributes_count,
                    sp.dropped_events_count,
                    sp.dropped_links_count,
                ],
                source,
                ..Span::default()
            };
            batch.spans.push(span);
        }
    }
}

fn push_attrs(batch: &mut Batch, kvs: Vec<KeyValue>) -> Slice {
    let start = batch.attrs.len();
    for kv in kvs {
        let key = batch.strings.intern(&kv.key);
        let value = convert_value(&mut batch.strings, kv.value);
        batch.attrs.push(Attr { key, value });
    }
    batch.attrs_since(start)
}

fn convert_value(strings: &mut Interner, v: Option<AnyValue>) -> AttrValue {
    let Some(value) = v.and_then(|v| v.value) else {
        return AttrValue::Empty;
    };
    match value {
        any_value::Value::StringValue(s) => AttrValue::string(strings, &s),
        any_value::Value::BoolValue(b) => AttrValue::Bool(b),
        any_value::Value::IntValue(i) => AttrValue::Int(i),
        any_value::Value::DoubleValue(d) => AttrValue::Double(d),
        any_value::Value::BytesValue(b) => AttrValue::Bytes(Box::new(b)),
        any_value::Value::ArrayValue(a) => AttrValue::Array(Box::new(
            a.values
                .into_iter()
                .map(|v| convert_value(strings, Some(v)))
                .collect(),
        )),
        any_value::Value::KvlistValue(kv) => AttrValue::KvList(Box::new(
            kv.values
                .into_iter()
                .map(|kv| (strings.intern(&kv.key), convert_value(strings, kv.value)))
                .collect(),
        )),
        // Dictionary-encoded strings need a dictionary that trace exports never carry.
        any_value::Value::StringValueStrindex(_) => AttrValue::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_roundtrip() {
        let mut pos = 0;
        assert_eq!(read_varint(&[0xac, 0x02], &mut pos), Some(300));
        assert_eq!(pos, 2);
        assert_eq!(read_varint(&[0x80], &mut 0), None);
    }

    #[test]
    fn garbage_is_not_proto() {
        assert!(!looks_like(b"hello world, this is a log line\n"));
        assert!(!looks_like(&[0xff, 0xff, 0xff, 0xff, 0x01]));
    }
}
