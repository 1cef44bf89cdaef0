//! Span records in any of the layouts of `layouts` — a JSON list of spans (or
//! `{"spans": […]}`, or records one after another), each with its ids, times and
//! attributes somewhere in it: flat records (evaluation tools, AWS ADOT), the Python
//! console exporter, Phoenix's span JSON, any-agent's traces, the JS SDK's
//! ReadableSpans and console output. The layout is told from the first record's
//! fields; each part of a span is read through the layout's field aliases and the
//! value conversions here (ids as hex, `0x…`, base64 or decimal integers up to 2^128,
//! read exactly; times as integers by their size, floats, ISO-8601 or `[s, ns]`;
//! status and kind spellings; attributes as a flat map, OTLP key/values, pairs or
//! Jaeger tags). A record whose ids are missing is kept with a made-up id, and ids
//! that are none of those encodings are derived from their text, each with a warning.

use super::Decoded;
use super::layouts::{self, KindNumbers, Layout, Unit};
use crate::model::{
    Attr, AttrValue, Batch, Event, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId,
};
use serde::Deserialize as _;
use serde_json::Value;
use std::borrow::Cow;

/// True when the input, from its first 64 KiB `head`, looks like span records in one
/// of the layouts (and not OTLP).
pub fn looks_like(head: &str) -> bool {
    let snake = head.contains("\"trace_id\"") && head.contains("\"span_id\"");
    let camel = head.contains("\"traceId\"") && head.contains("\"spanId\"");
    let js_console = head.contains("\"traceId\"")
        && head.contains("\"id\"")
        && head.contains("\"timestamp\"")
        && (head.contains("\"instrumentationScope\"")
            || head.contains("\"instrumentationLibrary\"")
            || head.contains("\"parentSpanContext\"")
            || head.contains("\"parentId\""));
    (snake || camel || js_console)
        && !head.contains("\"resourceSpans\"")
        && !head.contains("\"resource_spans\"")
}

/// Marks a string that was an integer too large for 64 bits in the input (see
/// [`exact_big_integers`]).
const BIG: char = '\u{1}';

/// The input with every integer literal beyond `u64` (a 128-bit decimal id) turned
/// into a string (`"\u0001…digits"`), so that it never passes through a double.
fn exact_big_integers(buf: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied) = (0, 0);
    let mut in_string = false;
    while i < buf.len() {
        let b = buf[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b.is_ascii_digit() {
            let start = i;
            while i < buf.len() && buf[i].is_ascii_digit() {
                i += 1;
            }
            let plain = !matches!(buf.get(i), Some(b'.' | b'e' | b'E'));
            let digits = &buf[start..i];
            let big = digits.len() >= 20
                && std::str::from_utf8(digits)
                    .ok()
                    .is_none_or(|d| d.parse::<u64>().is_err());
            if plain && big && buf[..start].last() != Some(&b'-') {
                let o = out.get_or_insert_with(|| Vec::with_capacity(buf.len() + 64));
                o.extend_from_slice(&buf[copied..start]);
                o.extend_from_slice(b"\"\\u0001");
                o.extend_from_slice(digits);
                o.push(b'"');
                copied = i;
            }
            continue;
        }
        i += 1;
    }
    match out {
        Some(mut o) => {
            o.extend_from_slice(&buf[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(buf),
    }
}

/// Made-up and derived ids, counted for the warnings.
#[derive(Default)]
struct Ids {
    /// Ids that were none of the encodings, derived from their text (one example).
    derived: usize,
    example: Option<String>,
    /// Records without a trace id, or without a span id.
    no_trace: usize,
    no_span: usize,
}

impl Ids {
    /// Counts another reader's.
    fn add(&mut self, o: &Ids) {
        self.derived += o.derived;
        self.no_trace += o.no_trace;
        self.no_span += o.no_span;
        if self.example.is_none() {
            self.example.clone_from(&o.example);
        }
    }

    /// The warnings these ids call for.
    fn problems(&self, synthetic: &TraceId) -> Vec<String> {
        let mut problems = Vec::new();
        if self.no_trace > 0 {
            problems.push(format!(
                "{} records without a trace id: kept together in one trace of their own ({synthetic})",
                self.no_trace
            ));
        }
        if self.no_span > 0 {
            problems.push(format!(
                "{} records without a span id: kept with a made-up id (nothing can name them as a parent)",
                self.no_span
            ));
        }
        if self.derived > 0 {
            problems.push(format!(
                "{} ids are neither hex, base64 nor decimal (such as \"{}\"): derived from their text, so parents still link",
                self.derived,
                crate::sanitize::sanitize(self.example.as_deref().unwrap_or(""))
            ));
        }
        problems
    }
}

fn last<const N: usize>(b: [u8; 16]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[16 - N..]);
    out
}

/// An id of `N` bytes: hex (with or without `0x`, leading zeros lost), base64, a
/// decimal integer (a JSON number or string, exact up to 2^128), or — any other
/// non-empty text — derived from the text. `None` for absent, empty or all-zero ids.
fn id<const N: usize>(v: Option<&Value>, ids: &mut Ids) -> Option<[u8; N]> {
    let decimal = |d: &str| -> Option<[u8; N]> {
        let n: u128 = d.parse().ok()?;
        let bytes = n.to_be_bytes();
        bytes[..16 - N]
            .iter()
            .all(|&b| b == 0)
            .then(|| last::<N>(bytes))
    };
    let out = match v? {
        Value::Number(n) => decimal(&n.as_u64()?.to_string()),
        Value::String(s) => {
            let s = s.trim();
            if let Some(d) = s.strip_prefix(BIG) {
                decimal(d)
            } else {
                // `0x…` only when hex follows: base64 may start with `0X` too.
                let h = s
                    .strip_prefix("0x")
                    .or_else(|| s.strip_prefix("0X"))
                    .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .unwrap_or(s);
                if h.is_empty() {
                    return None;
                }
                let hex = h.bytes().all(|b| b.is_ascii_hexdigit());
                let digits = h.bytes().all(|b| b.is_ascii_digit());
                if hex && h.len() == 2 * N {
                    crate::model::decode_id::<N>(h, "id").ok()
                } else if digits && h.len() > 2 * N {
                    decimal(h)
                } else if hex && h.len() < 2 * N {
                    super::short_hex_id::<N>(h)
                } else if let Ok(b) = crate::model::decode_id::<N>(h, "id") {
                    Some(b)
                } else {
                    ids.derived += 1;
                    ids.example
                        .get_or_insert_with(|| s.chars().take(40).collect());
                    Some(super::derived_id::<N>(s))
                }
            }
        }
        _ => None,
    };
    out.filter(|b| b.iter().any(|&x| x != 0))
}

/// A time as Unix nanoseconds: `[s, ns]`, an integer or float by its size (or in
/// the layout's unit), a numeric string, or an ISO-8601 string.
fn time(v: Option<&Value>, unit: Unit) -> Option<u64> {
    if let Some(hr) = hr_time(v?) {
        return Some(hr);
    }
    if unit == Unit::Micros {
        return micros(v?);
    }
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

/// A duration in nanoseconds: `[s, ns]`, or a number in the layout's unit (ns when
/// told by size).
fn duration(v: Option<&Value>, unit: Unit) -> Option<u64> {
    let v = v?;
    if let Some(hr) = hr_time(v) {
        return Some(hr);
    }
    match unit {
        Unit::Micros => micros(v),
        Unit::BySize => v
            .as_u64()
            .or_else(|| v.as_str()?.trim().parse().ok())
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            }),
    }
}

/// `[seconds, nanos]` (the JS SDK's `HrTime`) as nanoseconds.
fn hr_time(v: &Value) -> Option<u64> {
    let a = v.as_array()?;
    let [s, ns] = a.as_slice() else { return None };
    s.as_u64()?
        .checked_mul(1_000_000_000)?
        .checked_add(ns.as_u64()?)
}

/// A count of microseconds as nanoseconds: whole microseconds exactly (they fit a
/// double's mantissa), a fraction rounded to the nanosecond.
pub(super) fn micros(v: &Value) -> Option<u64> {
    if let Some(us) = v.as_u64() {
        return us.checked_mul(1000);
    }
    let f = v.as_f64().filter(|f| f.is_finite() && *f >= 0.0)?;
    let whole = f.trunc() as u64;
    let frac = ((f - f.trunc()) * 1000.0).round() as u64;
    whole.checked_mul(1000)?.checked_add(frac)
}

fn kind(v: Option<&Value>, numbers: KindNumbers) -> SpanKind {
    match v {
        Some(Value::Number(n)) => {
            let base = u64::from(numbers == KindNumbers::ZeroBased);
            match n.as_u64().map(|k| k + base) {
                Some(1) => SpanKind::Internal,
                Some(2) => SpanKind::Server,
                Some(3) => SpanKind::Client,
                Some(4) => SpanKind::Producer,
                Some(5) => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            }
        }
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

/// A status code: 0/1/2, or a name in any of the spellings (`OK`, `ok`,
/// `STATUS_CODE_ERROR`, `StatusCode.ERROR`).
fn status(v: Option<&Value>) -> StatusCode {
    match v {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(1) => StatusCode::Ok,
            Some(2) => StatusCode::Error,
            _ => StatusCode::Unset,
        },
        Some(Value::String(s)) => {
            let s = s.trim();
            let s = s.rsplit('.').next().unwrap_or(s);
            StatusCode::from_name(s).unwrap_or(StatusCode::Unset)
        }
        _ => StatusCode::Unset,
    }
}

/// An attribute value in plain JSON; a string that was an integer too large for 64
/// bits is its digits.
fn plain(batch: &mut Batch, x: &Value) -> AttrValue {
    match x {
        Value::String(s) if s.starts_with(BIG) => {
            AttrValue::string(&mut batch.strings, s.trim_start_matches(BIG))
        }
        _ => AttrValue::from_json(&mut batch.strings, x),
    }
}

/// An OTLP `AnyValue` in JSON (`{"stringValue": …}` and the others), or plain JSON.
fn any_value(batch: &mut Batch, x: &Value) -> AttrValue {
    let Some(o) = x.as_object().filter(|o| o.len() == 1) else {
        return plain(batch, x);
    };
    let Some((k, v)) = o.iter().next() else {
        return plain(batch, x);
    };
    match (k.as_str(), v) {
        ("stringValue", Value::String(s)) => AttrValue::string(&mut batch.strings, s),
        ("intValue", v) => match v.as_i64().or_else(|| v.as_str()?.parse().ok()) {
            Some(i) => AttrValue::Int(i),
            None => plain(batch, v),
        },
        ("doubleValue", v) => match v.as_f64().or_else(|| v.as_str()?.parse().ok()) {
            Some(f) => AttrValue::Double(f),
            None => plain(batch, v),
        },
        ("boolValue", Value::Bool(b)) => AttrValue::Bool(*b),
        ("arrayValue", v) => AttrValue::Array(Box::new(
            v.get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|e| any_value(batch, e))
                .collect(),
        )),
        ("kvlistValue", v) => AttrValue::KvList(Box::new(
            v.get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|kv| {
                    let key = batch.strings.intern(kv.get("key")?.as_str()?);
                    let value = kv
                        .get("value")
                        .map_or(AttrValue::Empty, |v| any_value(batch, v));
                    Some((key, value))
                })
                .collect(),
        )),
        _ => plain(batch, x),
    }
}

/// Attributes in any of the shapes: a flat object, OTLP's `[{key, value}]`,
/// `[[key, value]]` pairs (the JS SDK's raw attributes) or Jaeger's
/// `[{key, type, value}]` tags.
fn attrs_of(batch: &mut Batch, v: Option<&Value>) -> Vec<Attr> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, x)| {
                let key = batch.strings.intern(k);
                let value = plain(batch, x);
                Attr { key, value }
            })
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| {
                let (k, x) = match item {
                    Value::Array(pair) => match pair.as_slice() {
                        [Value::String(k), x] => (k.as_str(), x),
                        _ => return None,
                    },
                    Value::Object(o) => (o.get("key")?.as_str()?, o.get("value")?),
                    _ => return None,
                };
                let key = batch.strings.intern(k);
                let value = any_value(batch, x);
                Some(Attr { key, value })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Streams the records of one top-level JSON value to `each`: the elements of a
/// list, of a `spans` list inside an object, or the object itself.
struct Records<'f, F>(&'f mut F);

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for Records<'_, F> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for Records<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("span records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if !v.is_object() {
                continue;
            }
            if layouts::of(&v).is_some() {
                (self.0)(v);
            } else {
                // A list of traces, each with its spans.
                unwrap_records(v, 3, self.0);
            }
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut record = serde_json::Map::new();
        let mut wrapper = false;
        while let Some(k) = map.next_key::<String>()? {
            if k == "spans" && !wrapper {
                // `{"spans": […]}`: streamed; a `spans` that is not a list is a field.
                let v = map.next_value_seed(SpansOrValue(&mut *self.0))?;
                match v {
                    None => wrapper = true,
                    Some(v) => {
                        record.insert(k, v);
                    }
                }
            } else {
                record.insert(k, map.next_value::<Value>()?);
            }
        }
        if !wrapper {
            let v = Value::Object(record);
            if layouts::of(&v).is_some() {
                (self.0)(v);
            } else {
                // A wrapper other than `spans` (`{"trace": {"spans": …}}`,
                // `{"data": [...]}`, `{"traces": [{"spans": …}]}`): the lists of records
                // inside it.
                unwrap_records(v, 3, self.0);
            }
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

/// Hands `each` the records found inside `v` (an object that is no record itself):
/// the elements of any list of objects in a known layout, `depth` levels down at most;
/// `v` itself when nothing inside is (the reader then says it is in no layout).
fn unwrap_records(v: Value, depth: u8, each: &mut impl FnMut(Value)) {
    fn find(v: Value, depth: u8, each: &mut impl FnMut(Value), found: &mut bool) {
        match v {
            Value::Array(items) => {
                if items.first().is_some_and(|x| layouts::of(x).is_some()) {
                    *found = true;
                    for x in items.into_iter().filter(Value::is_object) {
                        each(x);
                    }
                } else if depth > 0 {
                    for x in items {
                        find(x, depth - 1, each, found);
                    }
                }
            }
            Value::Object(o) if depth > 0 => {
                for (_, x) in o {
                    find(x, depth - 1, each, found);
                }
            }
            _ => {}
        }
    }
    let mut found = false;
    let probe = v.clone();
    find(v, depth, each, &mut found);
    if !found {
        each(probe);
    }
}

/// A `spans` value: a list is streamed as records (`None`), anything else returned.
struct SpansOrValue<'f, F>(&'f mut F);

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for SpansOrValue<'_, F> {
    type Value = Option<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for SpansOrValue<'_, F> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of spans")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        serde::de::Visitor::visit_seq(Records(self.0), seq).map(|()| None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_str<E>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

/// Streams every record of the input to `each` (one JSON value or values one after
/// another); returns the JSON error that stopped the reading, if any.
fn for_each_record(buf: &[u8], mut each: impl FnMut(Value)) -> Option<serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(buf);
    loop {
        // White space only left: done.
        if de.end().is_ok() {
            return None;
        }
        if let Err(e) = serde::de::DeserializeSeed::deserialize(Records(&mut each), &mut de) {
            return Some(e);
        }
    }
}

/// Inputs smaller than this are read on one thread.
const SPLIT_MIN_BYTES: usize = 4 << 20;

/// The byte ranges of the records of a document that is one list of them, or an
/// object whose top-level `spans` is that list — found by one pass that follows
/// strings and nesting, so the records can be parsed on several threads. `None` for
/// anything else (records one after another, a broken document).
fn record_ranges(buf: &[u8]) -> Option<Vec<(usize, usize)>> {
    let first = buf.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut target = match buf[first] {
        b'[' => 1,
        b'{' => 0,
        _ => return None,
    };
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    let mut i = first;
    let mut start: Option<usize> = None;
    // The last string closed at depth 1 was the key `spans`.
    let mut spans_key = false;
    while i < buf.len() {
        let b = buf[i];
        match b {
            b'"' => {
                let string_start = i;
                i += 1;
                while i < buf.len() && buf[i] != b'"' {
                    if buf[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if depth == 1 && target == 0 {
                    spans_key = &buf[string_start..=i.min(buf.len() - 1)] == b"\"spans\"";
                }
                if depth == target && start.is_none() {
                    start = Some(string_start);
                }
            }
            b'{' | b'[' => {
                if depth == target && target > 0 && start.is_none() {
                    start = Some(i);
                }
                depth += 1;
                if b == b'[' && depth == 2 && target == 0 && spans_key {
                    target = 2;
                }
            }
            b'}' | b']' => {
                if depth == target
                    && let Some(s) = start.take()
                {
                    ranges.push((s, i));
                }
                depth = depth.checked_sub(1)?;
                if target > 0 && depth < target {
                    return (depth + 1 == target).then_some(ranges);
                }
            }
            b',' if depth == target => {
                if let Some(s) = start.take() {
                    ranges.push((s, i));
                }
            }
            b if b.is_ascii_whitespace() => {}
            _ => {
                if depth == target && target > 0 && start.is_none() {
                    start = Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

/// Why span-shaped JSON in `head` (the input's start) is in none of the layouts: the
/// fields its first record has, and what each layout would need; `None` when no record
/// can be read there.
pub fn explain(head: &[u8]) -> Option<String> {
    let mut first: Option<Value> = None;
    for_each_record(head, |v| {
        if first.is_none() {
            first = Some(v);
        }
    });
    let first = first?;
    let o = first.as_object()?;
    let mut fields: Vec<String> = Vec::new();
    for (k, v) in o {
        match v {
            Value::Object(inner) if !inner.is_empty() && inner.len() <= 6 => {
                fields.extend(inner.keys().map(|x| format!("{k}.{x}")));
            }
            _ => fields.push(k.clone()),
        }
    }
    let shown: Vec<&str> = fields.iter().take(16).map(String::as_str).collect();
    let more = fields.len().saturating_sub(shown.len());
    let tried: Vec<String> = layouts::LAYOUTS
        .iter()
        .map(|l| {
            let needs: Vec<String> = l.marks.iter().map(|m| m.join(" + ")).collect();
            format!("{} ({})", l.name, needs.join(" or "))
        })
        .collect();
    Some(format!(
        "span records in a layout agtrace does not know: the first has {}{}; the layouts tried need {}",
        crate::sanitize::sanitize(&shown.join(", ")),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        tried.join("; ")
    ))
}

/// Decodes span records; `None` when the JSON is not a list of records in a known
/// layout.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    let text = exact_big_integers(buf);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads > 1
        && text.len() >= SPLIT_MIN_BYTES
        && let Some(ranges) = record_ranges(&text)
        && let Some(d) = decode_ranges(&text, &ranges, threads, source, name)
    {
        return Some(d);
    }
    let mut reader: Option<Reader> = None;
    let mut unknown = false;
    let damage = for_each_record(&text, |v| {
        if unknown {
            return;
        }
        let r = match &mut reader {
            Some(r) => r,
            None => match layouts::of(&v) {
                Some(l) => reader.insert(Reader::new(l, source, name, buf.len())),
                None => {
                    unknown = true;
                    return;
                }
            },
        };
        r.record(&v);
    });
    let reader = reader?;
    let layout = reader.layout;
    let mut d = reader.finish();
    if d.batches.first().is_none_or(|b| b.spans.is_empty()) {
        return None;
    }
    if let Some(e) = damage {
        let what = if e.is_eof() {
            "ends part way"
        } else {
            "is broken"
        };
        let spans = d.span_count();
        if let Some(b) = d.batches.first_mut() {
            b.warnings.insert(
                0,
                crate::model::Warning {
                    source: name.to_owned(),
                    position: crate::model::Position::Line {
                        line: e.line() as u64,
                        column: e.column() as u64,
                    },
                    message: format!(
                        "the {} {what} here ({e}); kept the {spans} spans read before it",
                        layout.name
                    ),
                },
            );
        }
    }
    Some(d)
}

/// Parses and reads the records at `ranges` on `threads` threads, each run of them
/// into a batch of its own; `None` when a record does not parse or the first is in
/// no known layout (the one-thread reader then says what is wrong).
fn decode_ranges(
    buf: &[u8],
    ranges: &[(usize, usize)],
    threads: usize,
    source: u32,
    name: &str,
) -> Option<Decoded> {
    let first: Value = serde_json::from_slice(&buf[ranges.first()?.0..ranges.first()?.1]).ok()?;
    let layout = layouts::of(&first)?;
    let per = ranges.len().div_ceil(threads).max(1);
    let results: Vec<Option<Reader>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .chunks(per)
            .enumerate()
            .map(|(k, run)| {
                scope.spawn(move || {
                    let mut r = Reader::new(layout, source, name, buf.len() / threads);
                    r.n = k * per;
                    for &(a, b) in run {
                        let v: Value = serde_json::from_slice(&buf[a..b]).ok()?;
                        if v.is_object() {
                            r.record(&v);
                        }
                    }
                    Some(r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut ids = Ids::default();
    let mut batches = Vec::with_capacity(results.len());
    for r in results {
        let r = r?;
        ids.add(&r.ids);
        batches.push(r.batch);
    }
    let mut d = Decoded::new(batches, true, layout.name);
    if let Some(b) = d.batches.first_mut() {
        b.warnings = super::cap_warnings(ids.problems(&synthetic_trace(name)), name);
    }
    Some(d)
}

/// The id of the trace that holds an input's records without a trace id.
fn synthetic_trace(name: &str) -> TraceId {
    TraceId(super::derived_id(&format!(
        "agtrace: {name}: records without a trace id"
    )))
}

/// A resource or scope seen before, found by its JSON's hash (and compared whole).
struct Seen {
    by_hash: rustc_hash::FxHashMap<u64, Vec<(Value, u32)>>,
}

impl Seen {
    fn new() -> Seen {
        Seen {
            by_hash: rustc_hash::FxHashMap::default(),
        }
    }

    fn get(&self, h: u64, v: &Value) -> Option<u32> {
        self.by_hash
            .get(&h)?
            .iter()
            .find(|(x, _)| x == v)
            .map(|&(_, k)| k)
    }

    fn insert(&mut self, h: u64, v: &Value, k: u32) {
        self.by_hash.entry(h).or_default().push((v.clone(), k));
    }
}

/// A hash of a JSON value without writing it out.
fn hash_value(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(v: &Value, h: &mut rustc_hash::FxHasher) {
        match v {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => b.hash(h),
            Value::Number(n) => n.to_string().hash(h),
            Value::String(s) => s.hash(h),
            Value::Array(a) => {
                a.len().hash(h);
                for x in a {
                    feed(x, h);
                }
            }
            Value::Object(o) => {
                o.len().hash(h);
                for (k, x) in o {
                    k.hash(h);
                    feed(x, h);
                }
            }
        }
    }
    let mut h = rustc_hash::FxHasher::default();
    feed(v, &mut h);
    h.finish()
}

/// Reads records of one layout into a batch.
struct Reader<'n> {
    layout: &'static Layout,
    source: u32,
    name: &'n str,
    batch: Batch,
    ids: Ids,
    resources: Seen,
    scopes: Seen,
    synthetic_trace: TraceId,
    n: usize,
}

impl<'n> Reader<'n> {
    fn new(layout: &'static Layout, source: u32, name: &'n str, input_len: usize) -> Reader<'n> {
        Reader {
            layout,
            source,
            name,
            batch: Batch::for_input(input_len),
            ids: Ids::default(),
            resources: Seen::new(),
            scopes: Seen::new(),
            synthetic_trace: synthetic_trace(name),
            n: 0,
        }
    }

    fn record(&mut self, o: &Value) {
        let l = self.layout;
        let n = self.n;
        self.n += 1;
        let batch = &mut self.batch;
        let ids = &mut self.ids;
        let trace_id = match id::<16>(layouts::get(o, l.trace_id), ids) {
            Some(t) => TraceId(t),
            None => {
                ids.no_trace += 1;
                self.synthetic_trace
            }
        };
        let span_id = match id::<8>(layouts::get(o, l.span_id), ids) {
            Some(s) => SpanId(s),
            None => {
                ids.no_span += 1;
                SpanId(super::derived_id(&format!(
                    "agtrace: {}: record {n}",
                    self.name
                )))
            }
        };
        let parent = id::<8>(layouts::get(o, l.parent_id), ids).map_or(SpanId::NONE, SpanId);
        let res = layouts::get(o, l.resource);
        let null = Value::Null;
        let res_v = res.unwrap_or(&null);
        let res_h = hash_value(res_v);
        let resource = match self.resources.get(res_h, res_v) {
            Some(r) => r,
            None => {
                let attrs = attrs_of(batch, res);
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
                self.resources.insert(res_h, res_v, r);
                r
            }
        };
        let sc = layouts::get(o, l.scope);
        let sc_v = sc.unwrap_or(&null);
        let sc_h = hash_value(sc_v);
        let scope = match self.scopes.get(sc_h, sc_v) {
            Some(k) => k,
            None => {
                let get = |k: &str| {
                    sc.and_then(|x| x.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                };
                let (nm, v) = (
                    batch.strings.intern(get("name")),
                    batch.strings.intern(get("version")),
                );
                let k = batch.scopes.len() as u32;
                batch.scopes.push(Scope {
                    name: nm,
                    version: v,
                    ..Scope::default()
                });
                self.scopes.insert(sc_h, sc_v, k);
                k
            }
        };
        let mut a = attrs_of(batch, layouts::get(o, l.attributes));
        // The OpenInference kind kept beside the attributes (Phoenix's `span_kind`).
        if let Some(k) = layouts::get(o, l.openinference_kind).and_then(Value::as_str) {
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
            let k = k.to_ascii_uppercase();
            if known.contains(&k.as_str()) && !a.iter().any(|x| x.key == oi) {
                let value = AttrValue::string(&mut batch.strings, &k);
                a.push(Attr { key: oi, value });
            }
        }
        let a0 = batch.attrs.len();
        batch.attrs.extend(a);
        let attrs = batch.attrs_since(a0);
        let e0 = batch.events.len();
        for e in layouts::get(o, l.events)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ea = attrs_of(batch, e.get("attributes"));
            let a0 = batch.attrs.len();
            batch.attrs.extend(ea);
            let nm = batch
                .strings
                .intern(e.get("name").and_then(Value::as_str).unwrap_or(""));
            batch.events.push(Event {
                time: time(layouts::get(e, layouts::event_time()), l.unit).unwrap_or(0),
                name: nm,
                attrs: batch.attrs_since(a0),
                dropped: 0,
            });
        }
        let events = batch.events_since(e0);
        let code = status(layouts::get(o, l.status_code));
        let message = layouts::get(o, l.status_message)
            .and_then(Value::as_str)
            .unwrap_or("");
        let status_message = batch.strings.intern(message);
        let span_name = batch.strings.intern(
            layouts::get(o, l.span_name)
                .and_then(Value::as_str)
                .unwrap_or(""),
        );
        let start = time(layouts::get(o, l.start), l.unit).unwrap_or(0);
        let end = time(layouts::get(o, l.end), l.unit)
            .or_else(|| {
                let d = duration(layouts::get(o, l.duration), l.unit)?;
                (start > 0).then(|| start.saturating_add(d))
            })
            .unwrap_or(0);
        batch.spans.push(Span {
            trace_id,
            span_id,
            parent_span_id: parent,
            name: span_name,
            kind: kind(layouts::get(o, l.kind), l.kind_numbers),
            status: code,
            status_message,
            start,
            end,
            resource,
            scope,
            attrs,
            events,
            source: self.source,
            ..Span::default()
        });
    }

    fn finish(mut self) -> Decoded {
        let problems = self.ids.problems(&self.synthetic_trace);
        self.batch.warnings = super::cap_warnings(problems, self.name);
        Decoded::new(vec![self.batch], true, self.layout.name)
    }
}

#[cfg(test)]
mod tests {
    use super::{Ids, exact_big_integers, id};

    use serde_json::{Value, json};

    #[test]
    fn record_ranges_follow_strings_and_nesting() {
        use super::record_ranges;
        let text = br#" [ {"a": "x,]}"}, {"b": [1, {"c": 2}]} ,{} ] "#;
        let r = record_ranges(text).expect("a list");
        let got: Vec<&str> = r
            .iter()
            .map(|&(a, b)| std::str::from_utf8(&text[a..b]).expect("utf8").trim())
            .collect();
        assert_eq!(got, [r#"{"a": "x,]}"}"#, r#"{"b": [1, {"c": 2}]}"#, "{}"]);
        let text =
            br#"{"meta": {"spans": 1}, "spans": [{"x": "\"]"}, {"y": 1}], "final_output": "[x]"}"#;
        let r = record_ranges(text).expect("spans in an object");
        assert_eq!(r.len(), 2);
        assert_eq!(&text[r[1].0..r[1].1], br#"{"y": 1}"#);
        assert_eq!(
            record_ranges(br#"{"a": 1} {"b": 2}"#),
            None,
            "objects in a row"
        );
        assert_eq!(record_ranges(br#"[{"a": 1}, {"b""#), None, "cut");
    }

    #[test]
    fn big_decimal_ids_are_exact() {
        let text = br#"{"t": 82133397360970879726729369602474908892, "s": 12467580156169360485, "f": 1.5e300, "n": "123456789012345678901234"}"#;
        let fixed = exact_big_integers(text);
        let v: Value = serde_json::from_slice(&fixed).expect("still JSON");
        let mut ids = Ids::default();
        let t = id::<16>(v.get("t"), &mut ids).expect("trace id");
        assert_eq!(
            u128::from_be_bytes(t),
            82133397360970879726729369602474908892
        );
        let s = id::<8>(v.get("s"), &mut ids).expect("span id");
        assert_eq!(u64::from_be_bytes(s), 12467580156169360485);
        assert_eq!(v["f"], json!(1.5e300));
        assert_eq!(
            v["n"],
            json!("123456789012345678901234"),
            "strings untouched"
        );
        assert_eq!(ids.derived, 0);
    }

    #[test]
    fn ids_in_every_encoding() {
        let mut ids = Ids::default();
        let hex = id::<8>(Some(&json!("0x00f067aa0ba902b7")), &mut ids);
        assert_eq!(hex, Some([0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]));
        assert_eq!(id::<8>(Some(&json!("f067aa0ba902b7")), &mut ids), hex);
        assert_eq!(id::<8>(Some(&json!("APBnqgupArc=")), &mut ids), hex);
        // Base64 that starts like a hex prefix.
        let b = id::<8>(Some(&json!("0Xy2rR9Xr9k=")), &mut ids);
        assert_eq!(b, Some([0xd1, 0x7c, 0xb6, 0xad, 0x1f, 0x57, 0xaf, 0xd9]));
        assert_eq!(
            id::<8>(Some(&json!(67_667_974_448_284_343u64)), &mut ids),
            hex
        );
        assert_eq!(id::<8>(Some(&json!("")), &mut ids), None);
        assert_eq!(id::<8>(Some(&json!("0000000000000000")), &mut ids), None);
        let a = id::<8>(Some(&json!("raw-root")), &mut ids);
        assert!(a.is_some());
        assert_eq!(a, id::<8>(Some(&json!("raw-root")), &mut ids), "stable");
        assert_eq!(ids.derived, 2);
    }
}
