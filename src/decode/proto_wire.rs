//! A zero-copy reader for the OTLP trace messages: walks protobuf wire format and
//! writes spans straight into a [`Batch`], strings interned from the input bytes with
//! no intermediate message structs. prost's generated types would allocate a `String`
//! and a `Vec` for every field of every span before the model copied them again; this
//! reader is what makes protobuf input faster to load than JSON. Field numbers are
//! those of `opentelemetry/proto/trace/v1/trace.proto` and `common/v1/common.proto`;
//! unknown fields are skipped, as protobuf requires.

use crate::model::{
    Attr, AttrValue, Batch, Event, Interner, Link, Resource, Scope, Span, SpanId, SpanKind,
    StatusCode, Sym, TraceId,
};

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub &'static str);

type R<T> = Result<T, WireError>;

/// A cursor over one message's bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn varint(&mut self) -> R<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or(WireError("truncated varint"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(WireError("varint too long"))
    }

    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(WireError("field runs past the end"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Like [`Reader::field`], but a length-delimited field cut off by the end of
    /// the input yields the bytes that are there, marked as cut.
    fn field_or_tail(&mut self) -> R<Option<(u64, Value<'a>, bool)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let save = self.pos;
        let tag = self.varint()?;
        if tag & 7 == 2 {
            let n = usize::try_from(self.varint()?).map_err(|_| WireError("length too large"))?;
            let rest = self.buf.len() - self.pos;
            if n > rest {
                let b = &self.buf[self.pos..];
                self.pos = self.buf.len();
                return Ok(Some((tag >> 3, Value::Bytes(b), true)));
            }
        }
        self.pos = save;
        Ok(self.field()?.map(|(n, v)| (n, v, false)))
    }

    /// The next field: number and value, or `None` at the end.
    fn field(&mut self) -> R<Option<(u64, Value<'a>)>> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let (num, wire) = (tag >> 3, tag & 7);
        let v = match wire {
            0 => Value::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Value::Fixed64(u64::from_le_bytes([
                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                ]))
            }
            2 => {
                let n =
                    usize::try_from(self.varint()?).map_err(|_| WireError("length too large"))?;
                Value::Bytes(self.take(n)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            _ => return Err(WireError("unsupported wire type")),
        };
        Ok(Some((num, v)))
    }
}

fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn as_u64(v: &Value) -> u64 {
    match v {
        Value::Varint(x) | Value::Fixed64(x) => *x,
        Value::Fixed32(x) => u64::from(*x),
        Value::Bytes(_) => 0,
    }
}

/// Problems with one span that do not stop decoding.
pub struct Notes {
    /// Messages, one per span problem.
    pub problems: Vec<String>,
    span_no: u64,
}

impl Notes {
    /// Empty notes.
    pub fn new() -> Self {
        Notes {
            problems: Vec::new(),
            span_no: 0,
        }
    }
}

impl Default for Notes {
    fn default() -> Self {
        Notes::new()
    }
}

/// Decodes one `ResourceSpans` message into the batch.
pub fn resource_spans(
    batch: &mut Batch,
    msg: &[u8],
    source: u32,
    notes: &mut Notes,
) -> Result<(), WireError> {
    let cp = batch.checkpoint();
    let scopes_before = batch.scopes.len();
    let res_idx = batch.resources.len() as u32;
    batch.resources.push(Resource::default());
    let r = (|| -> R<()> {
        let mut rd = Reader::new(msg);
        while let Some((num, v)) = rd.field()? {
            match (num, v) {
                (1, Value::Bytes(b)) => {
                    let res = resource(batch, b)?;
                    batch.resources[res_idx as usize] = res;
                }
                (2 | 1000, Value::Bytes(b)) => scope_spans(batch, b, res_idx, source, notes)?,
                _ => {}
            }
        }
        Ok(())
    })();
    if r.is_err() {
        batch.rollback(cp);
        batch.resources.truncate(res_idx as usize);
        batch.scopes.truncate(scopes_before);
    }
    r
}

/// Decodes the part of a `ResourceSpans` that came before the input was cut: its
/// resource, its scopes and every span that is complete; the span the cut went
/// through is left out. Returns the spans kept.
pub fn resource_spans_cut(batch: &mut Batch, msg: &[u8], source: u32, notes: &mut Notes) -> usize {
    let before = batch.spans.len();
    let res_idx = batch.resources.len() as u32;
    batch.resources.push(Resource::default());
    let mut rd = Reader::new(msg);
    while let Ok(Some((num, v, cut))) = rd.field_or_tail() {
        match (num, v) {
            (1, Value::Bytes(b)) if !cut => match resource(batch, b) {
                Ok(res) => batch.resources[res_idx as usize] = res,
                Err(_) => break,
            },
            (2 | 1000, Value::Bytes(b))
                if scope_spans_cut(batch, b, res_idx, source, notes) || cut =>
            {
                break;
            }
            (2 | 1000, _) => {}
            _ if cut => break,
            _ => {}
        }
    }
    batch.spans.len() - before
}

/// [`scope_spans`] over bytes that may end in the middle; true when it stopped early.
fn scope_spans_cut(
    batch: &mut Batch,
    msg: &[u8],
    res_idx: u32,
    source: u32,
    notes: &mut Notes,
) -> bool {
    let scope_idx = batch.scopes.len() as u32;
    batch.scopes.push(Scope::default());
    let mut rd = Reader::new(msg);
    loop {
        match rd.field_or_tail() {
            Ok(Some((1, Value::Bytes(b), false))) => match scope(batch, b) {
                Ok(sc) => batch.scopes[scope_idx as usize] = sc,
                Err(_) => return true,
            },
            Ok(Some((2, Value::Bytes(b), false))) => {
                let cp = batch.checkpoint();
                if span(batch, b, res_idx, scope_idx, source, notes).is_err() {
                    batch.rollback(cp);
                    return true;
                }
            }
            Ok(Some((_, _, true))) | Err(_) => return true,
            Ok(Some(_)) => {}
            Ok(None) => return false,
        }
    }
}

fn resource(batch: &mut Batch, msg: &[u8]) -> R<Resource> {
    let mut res = Resource::default();
    let start = batch.attrs.len();
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => key_value_into(batch, b)?,
            (2, v) => res.dropped = as_u64(&v) as u32,
            _ => {}
        }
    }
    res.attrs = batch.attrs_since(start);
    if let Some(sym) = batch.strings.lookup("service.name")
        && let Some(a) = batch.attrs[res.attrs.range()].iter().find(|a| a.key == sym)
        && let AttrValue::Str(s) = a.value
    {
        res.service = s;
    }
    Ok(res)
}

fn scope_spans(
    batch: &mut Batch,
    msg: &[u8],
    res_idx: u32,
    source: u32,
    notes: &mut Notes,
) -> R<()> {
    let scope_idx = batch.scopes.len() as u32;
    batch.scopes.push(Scope::default());
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => {
                let sc = scope(batch, b)?;
                batch.scopes[scope_idx as usize] = sc;
            }
            (2, Value::Bytes(b)) => span(batch, b, res_idx, scope_idx, source, notes)?,
            _ => {}
        }
    }
    Ok(())
}

fn scope(batch: &mut Batch, msg: &[u8]) -> R<Scope> {
    let mut sc = Scope::default();
    let start = batch.attrs.len();
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => sc.name = batch.strings.intern(&text(b)),
            (2, Value::Bytes(b)) => sc.version = batch.strings.intern(&text(b)),
            (3, Value::Bytes(b)) => key_value_into(batch, b)?,
            (4, v) => sc.dropped = as_u64(&v) as u32,
            _ => {}
        }
    }
    sc.attrs = batch.attrs_since(start);
    Ok(sc)
}

fn span(
    batch: &mut Batch,
    msg: &[u8],
    res_idx: u32,
    scope_idx: u32,
    source: u32,
    notes: &mut Notes,
) -> R<()> {
    notes.span_no += 1;
    let cp = batch.checkpoint();
    let mut s = Span {
        resource: res_idx,
        scope: scope_idx,
        source,
        ..Span::default()
    };
    let (mut trace_id, mut span_id): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut parent: &[u8] = &[];
    let mut problems: Vec<String> = Vec::new();
    // Attributes, events and links are pushed as they come; a span's fields may
    // arrive in any order, so events/links are collected first, attributes last.
    let mut attr_fields: Vec<&[u8]> = Vec::new();
    let mut event_fields: Vec<&[u8]> = Vec::new();
    let mut link_fields: Vec<&[u8]> = Vec::new();
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => trace_id = Some(b),
            (2, Value::Bytes(b)) => span_id = Some(b),
            (3, Value::Bytes(b)) => s.trace_state = batch.strings.intern(&text(b)),
            (4, Value::Bytes(b)) => parent = b,
            (16, v) => s.flags = as_u64(&v) as u32,
            (5, Value::Bytes(b)) => s.name = batch.strings.intern(&text(b)),
            (6, v) => {
                let k = as_u64(&v) as i64;
                s.kind = SpanKind::from_i32(k).unwrap_or_else(|| {
                    problems.push(format!("unknown span kind {k}"));
                    SpanKind::Unspecified
                });
            }
            (7, v) => s.start = as_u64(&v),
            (8, v) => s.end = as_u64(&v),
            (9, Value::Bytes(b)) => attr_fields.push(b),
            (10, v) => s.dropped[0] = as_u64(&v) as u32,
            (11, Value::Bytes(b)) => event_fields.push(b),
            (12, v) => s.dropped[1] = as_u64(&v) as u32,
            (13, Value::Bytes(b)) => link_fields.push(b),
            (14, v) => s.dropped[2] = as_u64(&v) as u32,
            (15, Value::Bytes(b)) => {
                let mut st = Reader::new(b);
                while let Some((n, v)) = st.field()? {
                    match (n, v) {
                        (2, Value::Bytes(m)) => s.status_message = batch.strings.intern(&text(m)),
                        (3, v) => {
                            let c = as_u64(&v) as i64;
                            s.status = StatusCode::from_i32(c).unwrap_or_else(|| {
                                problems.push(format!("unknown status code {c}"));
                                StatusCode::Unset
                            });
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let ev_start = batch.events.len();
    for b in event_fields {
        let e = event(batch, b)?;
        batch.events.push(e);
    }
    s.events = batch.events_since(ev_start);
    let link_start = batch.links.len();
    for b in link_fields {
        if let Some(l) = link(batch, b)? {
            batch.links.push(l);
        }
    }
    s.links = batch.links_since(link_start);
    let attr_start = batch.attrs.len();
    for b in attr_fields {
        key_value_into(batch, b)?;
    }
    s.attrs = batch.attrs_since(attr_start);
    let label = format!("span {:?}", batch.strings.get(s.name));
    let id = |b: Option<&[u8]>, n: usize, what: &str| -> Result<Vec<u8>, String> {
        match b {
            Some(b) if b.len() == n => Ok(b.to_vec()),
            Some(b) => Err(format!("{what} has {} bytes, expected {n}", b.len())),
            None => Err(format!("no {what}")),
        }
    };
    let ids = (id(trace_id, 16, "trace id"), id(span_id, 8, "span id"));
    match ids {
        (Ok(t), Ok(sid)) => {
            s.trace_id = TraceId(t.try_into().unwrap_or([0; 16]));
            s.span_id = SpanId(sid.try_into().unwrap_or([0; 8]));
            if parent.len() == 8 {
                s.parent_span_id = SpanId(parent.try_into().unwrap_or([0; 8]));
            } else if !parent.is_empty() {
                // Kept, under a parent no span has: an orphan.
                s.parent_span_id = SpanId::unreadable(parent);
                notes.problems.push(format!(
                    "{label}: parent span id has {} bytes, expected 8; kept as an orphan",
                    parent.len()
                ));
            }
            for p in problems {
                notes.problems.push(format!("{label}: {p}"));
            }
            batch.spans.push(s);
        }
        (Err(e), _) | (_, Err(e)) => {
            batch.rollback(cp);
            notes.problems.push(format!("{label}: {e}; span skipped"));
        }
    }
    Ok(())
}

fn event(batch: &mut Batch, msg: &[u8]) -> R<Event> {
    let mut e = Event::default();
    let mut attr_fields = Vec::new();
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, v) => e.time = as_u64(&v),
            (2, Value::Bytes(b)) => e.name = batch.strings.intern(&text(b)),
            (3, Value::Bytes(b)) => attr_fields.push(b),
            (4, v) => e.dropped = as_u64(&v) as u32,
            _ => {}
        }
    }
    let start = batch.attrs.len();
    for b in attr_fields {
        key_value_into(batch, b)?;
    }
    e.attrs = batch.attrs_since(start);
    Ok(e)
}

fn link(batch: &mut Batch, msg: &[u8]) -> R<Option<Link>> {
    let mut l = Link::default();
    let mut ok = (false, false);
    let mut attr_fields = Vec::new();
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) if b.len() == 16 => {
                l.trace_id = TraceId(b.try_into().unwrap_or([0; 16]));
                ok.0 = true;
            }
            (2, Value::Bytes(b)) if b.len() == 8 => {
                l.span_id = SpanId(b.try_into().unwrap_or([0; 8]));
                ok.1 = true;
            }
            (3, Value::Bytes(b)) => l.trace_state = batch.strings.intern(&text(b)),
            (4, Value::Bytes(b)) => attr_fields.push(b),
            (5, v) => l.dropped = as_u64(&v) as u32,
            (6, v) => l.flags = as_u64(&v) as u32,
            _ => {}
        }
    }
    let start = batch.attrs.len();
    for b in attr_fields {
        key_value_into(batch, b)?;
    }
    l.attrs = batch.attrs_since(start);
    Ok((ok.0 && ok.1).then_some(l))
}

/// Decodes one `KeyValue` and appends it to the batch's attribute arena.
fn key_value_into(batch: &mut Batch, msg: &[u8]) -> R<()> {
    let (key, value) = key_value(&mut batch.strings, msg, 0)?;
    batch.attrs.push(Attr { key, value });
    Ok(())
}

/// Nesting limit for AnyValue arrays and lists (as prost's recursion limit).
const MAX_DEPTH: u32 = 64;

fn key_value(strings: &mut Interner, msg: &[u8], depth: u32) -> R<(Sym, AttrValue)> {
    let (mut key, mut value) = (Sym::EMPTY, AttrValue::Empty);
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => key = strings.intern(&text(b)),
            (2, Value::Bytes(b)) => value = any_value(strings, b, depth + 1)?,
            _ => {}
        }
    }
    Ok((key, value))
}

/// What stands for a value nested deeper than [`MAX_DEPTH`]: the rest of the span
/// (and of the document) is kept.
pub const TOO_DEEP: &str = "[value nested deeper than 64 levels: cut]";

fn any_value(strings: &mut Interner, msg: &[u8], depth: u32) -> R<AttrValue> {
    if depth > MAX_DEPTH {
        return Ok(AttrValue::string(strings, TOO_DEEP));
    }
    let mut out = AttrValue::Empty;
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        out = match (num, v) {
            (1, Value::Bytes(b)) => AttrValue::string(strings, &text(b)),
            (2, v) => AttrValue::Bool(as_u64(&v) != 0),
            (3, v) => AttrValue::Int(as_u64(&v) as i64),
            (4, Value::Fixed64(x)) => AttrValue::Double(f64::from_bits(x)),
            (5, Value::Bytes(b)) => {
                let mut items = Vec::new();
                let mut r = Reader::new(b);
                while let Some((n, v)) = r.field()? {
                    if let (1, Value::Bytes(x)) = (n, v) {
                        items.push(any_value(strings, x, depth + 1)?);
                    }
                }
                AttrValue::Array(Box::new(items))
            }
            (6, Value::Bytes(b)) => {
                let mut items = Vec::new();
                let mut r = Reader::new(b);
                while let Some((n, v)) = r.field()? {
                    if let (1, Value::Bytes(x)) = (n, v) {
                        items.push(key_value(strings, x, depth + 1)?);
                    }
                }
                AttrValue::KvList(Box::new(items))
            }
            (7, Value::Bytes(b)) => AttrValue::Bytes(Box::new(b.to_vec())),
            _ => out,
        };
    }
    Ok(out)
}

/// One OTLP log record as read from protobuf: ids, times, event name, and its
/// attributes and body in OTLP/JSON `AnyValue` form.
#[derive(Default)]
pub struct LogRecord {
    /// `trace_id` when it is 16 bytes.
    pub trace_id: Option<[u8; 16]>,
    /// `span_id` when it is 8 bytes.
    pub span_id: Option<[u8; 8]>,
    /// `time_unix_nano`.
    pub time: u64,
    /// `observed_time_unix_nano`.
    pub observed: u64,
    /// `event_name`.
    pub event_name: String,
    /// Attributes: key and `AnyValue` JSON.
    pub attrs: Vec<(String, serde_json::Value)>,
    /// The body, as `AnyValue` JSON.
    pub body: Option<serde_json::Value>,
}

/// Walks a `LogsData` message (fields of `opentelemetry/proto/logs/v1/logs.proto`:
/// resource_logs 1 → scope_logs 2 → log_records 2) and appends its records. An error
/// when the bytes are not well-formed protobuf of that shape (a span, say).
pub fn log_records(msg: &[u8], out: &mut Vec<LogRecord>) -> R<()> {
    let mut top = Reader::new(msg);
    while let Some((num, v)) = top.field()? {
        let (1, Value::Bytes(rl)) = (num, v) else {
            return Err(WireError("not LogsData"));
        };
        let mut r = Reader::new(rl);
        while let Some((num, v)) = r.field()? {
            if let (2, Value::Bytes(sl)) = (num, v) {
                let mut s = Reader::new(sl);
                while let Some((num, v)) = s.field()? {
                    if let (2, Value::Bytes(rec)) = (num, v) {
                        out.push(log_record(rec)?);
                    }
                }
            }
        }
    }
    Ok(())
}

fn log_record(msg: &[u8]) -> R<LogRecord> {
    let mut rec = LogRecord::default();
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Fixed64(t)) => rec.time = t,
            (11, Value::Fixed64(t)) => rec.observed = t,
            (2, Value::Varint(_)) | (7, Value::Varint(_)) | (8, Value::Fixed32(_)) => {}
            (3, Value::Bytes(_)) => {}
            (5, Value::Bytes(b)) => rec.body = Some(any_json(b, 0)?),
            (6, Value::Bytes(b)) => rec.attrs.push(key_value_json(b, 0)?),
            (9, Value::Bytes(b)) => rec.trace_id = <[u8; 16]>::try_from(b).ok(),
            (10, Value::Bytes(b)) => rec.span_id = <[u8; 8]>::try_from(b).ok(),
            (12, Value::Bytes(b)) => rec.event_name = text(b).into_owned(),
            // A field of the right number with the wrong wire type: not a log record.
            (1 | 2 | 3 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12, _) => {
                return Err(WireError("not a log record"));
            }
            _ => {}
        }
    }
    Ok(rec)
}

fn key_value_json(msg: &[u8], depth: u32) -> R<(String, serde_json::Value)> {
    let (mut key, mut value) = (String::new(), serde_json::Value::Null);
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        match (num, v) {
            (1, Value::Bytes(b)) => key = text(b).into_owned(),
            (2, Value::Bytes(b)) => value = any_json(b, depth + 1)?,
            _ => {}
        }
    }
    Ok((key, value))
}

/// An `AnyValue` in its OTLP/JSON form (`{"stringValue": …}`…).
fn any_json(msg: &[u8], depth: u32) -> R<serde_json::Value> {
    use serde_json::json;
    if depth > MAX_DEPTH {
        return Ok(json!({ "stringValue": TOO_DEEP }));
    }
    let mut out = serde_json::Value::Null;
    let mut rd = Reader::new(msg);
    while let Some((num, v)) = rd.field()? {
        out = match (num, v) {
            (1, Value::Bytes(b)) => json!({ "stringValue": text(b) }),
            (2, v) => json!({ "boolValue": as_u64(&v) != 0 }),
            (3, v) => json!({ "intValue": (as_u64(&v) as i64).to_string() }),
            (4, Value::Fixed64(x)) => json!({ "doubleValue": f64::from_bits(x) }),
            (5, Value::Bytes(b)) => {
                let mut items = Vec::new();
                let mut r = Reader::new(b);
                while let Some((n, v)) = r.field()? {
                    if let (1, Value::Bytes(x)) = (n, v) {
                        items.push(any_json(x, depth + 1)?);
                    }
                }
                json!({ "arrayValue": { "values": items } })
            }
            (6, Value::Bytes(b)) => {
                let mut items = Vec::new();
                let mut r = Reader::new(b);
                while let Some((n, v)) = r.field()? {
                    if let (1, Value::Bytes(x)) = (n, v) {
                        let (k, v) = key_value_json(x, depth + 1)?;
                        items.push(json!({ "key": k, "value": v }));
                    }
                }
                json!({ "kvlistValue": { "values": items } })
            }
            (7, Value::Bytes(b)) => {
                use base64::Engine as _;
                json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(b) })
            }
            _ => out,
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_fields_are_errors_not_panics() {
        let mut b = Batch::default();
        let mut notes = Notes::new();
        assert!(resource_spans(&mut b, &[0x12, 0x05, 0x01], 0, &mut notes).is_err());
        assert!(resource_spans(&mut b, &[0xff], 0, &mut notes).is_err());
        assert!(b.spans.is_empty());
        assert!(b.resources.is_empty() && b.scopes.is_empty());
    }
}
