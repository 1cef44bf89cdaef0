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
use super::borrowed_json::{Json, Key};
use super::layouts::{self, KindNumbers, Layout, Unit};
use crate::model::{
    Attr, AttrValue, Batch, Event, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId,
};
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
    while i < buf.len() {
        let b = buf[i];
        if b == b'"' {
            i = string_end(buf, i + 1) + 1;
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

/// Where the JSON string whose text starts at `i` ends: the index of its closing
/// quote, or the input's length when it is cut. Short strings (most keys and values)
/// are walked byte by byte, longer ones searched.
fn string_end(buf: &[u8], mut i: usize) -> usize {
    let short = buf.len().min(i + 24);
    while i < short {
        match buf[i] {
            b'"' => return i,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    while i < buf.len() {
        match memchr::memchr2(b'"', b'\\', &buf[i..]) {
            Some(k) if buf[i + k] == b'\\' => i += k + 2,
            Some(k) => return i + k,
            None => break,
        }
    }
    buf.len()
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
fn id<const N: usize>(v: Option<&Json>, ids: &mut Ids) -> Option<[u8; N]> {
    let decimal = |d: &str| -> Option<[u8; N]> {
        let n: u128 = d.parse().ok()?;
        let bytes = n.to_be_bytes();
        bytes[..16 - N]
            .iter()
            .all(|&b| b == 0)
            .then(|| last::<N>(bytes))
    };
    let out = match v? {
        Json::U64(n) => decimal(&n.to_string()),
        Json::Str(s) => {
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
fn time(v: Option<&Json>, unit: Unit) -> Option<u64> {
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
        Json::U64(i) => scale(*i),
        Json::I64(_) | Json::F64(_) => float(v?.as_f64()?),
        Json::Str(s) => {
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
fn duration(v: Option<&Json>, unit: Unit) -> Option<u64> {
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
fn hr_time(v: &Json) -> Option<u64> {
    let a = v.as_array()?;
    let [s, ns] = a else { return None };
    s.as_u64()?
        .checked_mul(1_000_000_000)?
        .checked_add(ns.as_u64()?)
}

/// A count of microseconds as nanoseconds: whole microseconds exactly (they fit a
/// double's mantissa), a fraction rounded to the nanosecond.
fn micros(v: &Json) -> Option<u64> {
    micros_of(v.as_u64(), v.as_f64())
}

/// [`micros`] of a number read elsewhere: its value as an integer, if it is one, and
/// as a double.
pub(super) fn micros_of(int: Option<u64>, float: Option<f64>) -> Option<u64> {
    if let Some(us) = int {
        return us.checked_mul(1000);
    }
    let f = float.filter(|f| f.is_finite() && *f >= 0.0)?;
    let whole = f.trunc() as u64;
    let frac = ((f - f.trunc()) * 1000.0).round() as u64;
    whole.checked_mul(1000)?.checked_add(frac)
}

fn kind(v: Option<&Json>, numbers: KindNumbers) -> SpanKind {
    match v {
        Some(Json::U64(n)) => {
            let base = u64::from(numbers == KindNumbers::ZeroBased);
            match n.checked_add(base) {
                Some(1) => SpanKind::Internal,
                Some(2) => SpanKind::Server,
                Some(3) => SpanKind::Client,
                Some(4) => SpanKind::Producer,
                Some(5) => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            }
        }
        Some(Json::Str(s)) => {
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
fn status(v: Option<&Json>) -> StatusCode {
    match v {
        Some(Json::U64(1)) => StatusCode::Ok,
        Some(Json::U64(2)) => StatusCode::Error,
        Some(Json::Str(s)) => {
            let s = s.trim();
            let s = s.rsplit('.').next().unwrap_or(s);
            StatusCode::from_name(s).unwrap_or(StatusCode::Unset)
        }
        _ => StatusCode::Unset,
    }
}

/// An attribute value in plain JSON; a string that was an integer too large for 64
/// bits is its digits.
fn plain(batch: &mut Batch, x: &Json) -> AttrValue {
    match x {
        Json::Null => AttrValue::Empty,
        Json::Bool(b) => AttrValue::Bool(*b),
        Json::U64(n) => i64::try_from(*n).map_or(AttrValue::Double(*n as f64), AttrValue::Int),
        Json::I64(n) => AttrValue::Int(*n),
        Json::F64(f) => AttrValue::Double(*f),
        Json::Str(s) => AttrValue::string(&mut batch.strings, s.trim_start_matches(BIG)),
        Json::Array(a) => AttrValue::Array(Box::new(a.iter().map(|x| plain(batch, x)).collect())),
        Json::Object(o) => AttrValue::KvList(Box::new(
            o.iter()
                .map(|(k, x)| (batch.strings.intern(k), plain(batch, x)))
                .collect(),
        )),
    }
}

/// An OTLP `AnyValue` in JSON (`{"stringValue": …}` and the others), or plain JSON.
fn any_value(batch: &mut Batch, x: &Json) -> AttrValue {
    let Some([(k, v)]) = x.as_object() else {
        return plain(batch, x);
    };
    match (k.as_ref(), v) {
        ("stringValue", Json::Str(s)) => AttrValue::string(&mut batch.strings, s),
        ("intValue", v) => match v.as_i64().or_else(|| v.as_str()?.parse().ok()) {
            Some(i) => AttrValue::Int(i),
            None => plain(batch, v),
        },
        ("doubleValue", v) => match v.as_f64().or_else(|| v.as_str()?.parse().ok()) {
            Some(f) => AttrValue::Double(f),
            None => plain(batch, v),
        },
        ("boolValue", Json::Bool(b)) => AttrValue::Bool(*b),
        ("arrayValue", v) => AttrValue::Array(Box::new(
            v.get("values")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .map(|e| any_value(batch, e))
                .collect(),
        )),
        ("kvlistValue", v) => AttrValue::KvList(Box::new(
            v.get("values")
                .and_then(Json::as_array)
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
fn attrs_of(batch: &mut Batch, v: Option<&Json>) -> Vec<Attr> {
    match v {
        Some(Json::Object(m)) => m
            .iter()
            .map(|(k, x)| {
                let key = batch.strings.intern(k);
                let value = plain(batch, x);
                Attr { key, value }
            })
            .collect(),
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|item| {
                let (k, x) = match item {
                    Json::Array(pair) => match pair.as_slice() {
                        [Json::Str(k), x] => (k.as_ref(), x),
                        _ => return None,
                    },
                    Json::Object(_) => (item.get("key")?.as_str()?, item.get("value")?),
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

impl<'de, F: FnMut(Json<'de>)> serde::de::DeserializeSeed<'de> for Records<'_, F> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Json<'de>)> serde::de::Visitor<'de> for Records<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("span records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Json<'de>>()? {
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
        let mut record = Vec::new();
        let mut wrapper = false;
        while let Some(k) = map.next_key_seed(Key)? {
            if k == "spans" && !wrapper {
                // `{"spans": […]}`: streamed; a `spans` that is not a list is a field.
                match map.next_value_seed(SpansOrValue(&mut *self.0))? {
                    None => wrapper = true,
                    Some(v) => record.push((k, v)),
                }
            } else {
                record.push((k, map.next_value::<Json<'de>>()?));
            }
        }
        if !wrapper {
            let v = Json::Object(record);
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
fn unwrap_records<'a>(v: Json<'a>, depth: u8, each: &mut impl FnMut(Json<'a>)) {
    fn find<'a>(v: Json<'a>, depth: u8, each: &mut impl FnMut(Json<'a>), found: &mut bool) {
        match v {
            Json::Array(items) => {
                if items.first().is_some_and(|x| layouts::of(x).is_some()) {
                    *found = true;
                    for x in items.into_iter().filter(Json::is_object) {
                        each(x);
                    }
                } else if depth > 0 {
                    for x in items {
                        find(x, depth - 1, each, found);
                    }
                }
            }
            Json::Object(o) if depth > 0 => {
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

impl<'de, F: FnMut(Json<'de>)> serde::de::DeserializeSeed<'de> for SpansOrValue<'_, F> {
    type Value = Option<Json<'de>>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Json<'de>>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Json<'de>)> serde::de::Visitor<'de> for SpansOrValue<'_, F> {
    type Value = Option<Json<'de>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of spans")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        seq: A,
    ) -> Result<Option<Json<'de>>, A::Error> {
        serde::de::Visitor::visit_seq(Records(self.0), seq).map(|()| None)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        map: A,
    ) -> Result<Option<Json<'de>>, A::Error> {
        serde::Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::U64(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::I64(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::F64(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::Bool(v)))
    }
    fn visit_unit<E>(self) -> Result<Option<Json<'de>>, E> {
        Ok(Some(Json::Null))
    }
}

/// Streams every record of the input to `each` (one JSON value or values one after
/// another); returns the JSON error that stopped the reading, if any.
fn for_each_record<'a>(buf: &'a [u8], mut each: impl FnMut(Json<'a>)) -> Option<serde_json::Error> {
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

/// Where one record is in the input, and whether it needs [`exact_big_integers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    start: usize,
    end: usize,
    /// It has an integer literal of 20 digits or more.
    big: bool,
}

impl Range {
    /// The record's text, big integers quoted.
    fn text(self, buf: &[u8]) -> Cow<'_, [u8]> {
        let text = &buf[self.start..self.end];
        if self.big {
            exact_big_integers(text)
        } else {
            Cow::Borrowed(text)
        }
    }
}

/// Inputs smaller than this are read on one thread.
const SPLIT_MIN_BYTES: usize = 4 << 20;

/// The byte ranges of the records of a document that is one list of them, or an
/// object whose top-level `spans` is that list — found by one pass that follows
/// strings and nesting, so the records can be parsed on several threads. `None` for
/// anything else (records one after another, a broken document).
#[cfg(test)]
fn record_ranges(buf: &[u8]) -> Option<Vec<Range>> {
    let mut all = Vec::new();
    scan_records(buf, usize::MAX, |run| {
        all.extend(run);
        true
    })
    .then_some(all)
}

/// [`record_ranges`] handed to `emit` in runs of `chunk` as they are found, so that
/// they can be parsed while the scan goes on; `emit` returns false to stop. True when
/// the document was one list of records to its end.
fn scan_records(buf: &[u8], chunk: usize, mut emit: impl FnMut(Vec<Range>) -> bool) -> bool {
    let Some(first) = buf.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let mut target = match buf[first] {
        b'[' => 1,
        b'{' => 0,
        _ => return false,
    };
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    let mut i = first;
    let mut start: Option<usize> = None;
    // The record being scanned has an integer of 20 digits or more.
    let mut big = false;
    // The last string closed at depth 1 was the key `spans`.
    let mut spans_key = false;
    let mut close = |ranges: &mut Vec<Range>, start: usize, end: usize, big: &mut bool| {
        ranges.push(Range {
            start,
            end,
            big: std::mem::take(big),
        });
        ranges.len() < chunk || emit(std::mem::take(ranges))
    };
    while i < buf.len() {
        let b = buf[i];
        match b {
            b'"' => {
                let string_start = i;
                i = string_end(buf, i + 1);
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
                    && !close(&mut ranges, s, i, &mut big)
                {
                    return false;
                }
                let Some(up) = depth.checked_sub(1) else {
                    return false;
                };
                depth = up;
                if target > 0 && depth < target {
                    return depth + 1 == target && (ranges.is_empty() || emit(ranges));
                }
            }
            b',' if depth == target => {
                if let Some(s) = start.take()
                    && !close(&mut ranges, s, i, &mut big)
                {
                    return false;
                }
            }
            b if b.is_ascii_whitespace() => {}
            _ => {
                if depth == target && target > 0 && start.is_none() {
                    start = Some(i);
                }
                if b.is_ascii_digit() {
                    let run = i;
                    while buf.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    big |= i + 1 - run >= 20;
                }
            }
        }
        i += 1;
    }
    false
}

/// Why span-shaped JSON in `head` (the input's start) is in none of the layouts: the
/// fields its first record has, and what each layout would need; `None` when no record
/// can be read there.
pub fn explain(head: &[u8]) -> Option<String> {
    let mut first: Option<Json> = None;
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
            Json::Object(inner) if !inner.is_empty() && inner.len() <= 6 => {
                fields.extend(inner.iter().map(|(x, _)| format!("{k}.{x}")));
            }
            _ => fields.push(k.to_string()),
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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if buf.len() >= SPLIT_MIN_BYTES
        && let Some(d) = decode_ranges(buf, threads, source, name)
    {
        return Some(d);
    }
    let text = exact_big_integers(buf);
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

/// Records per run handed to a parsing thread (each run becomes a batch).
const RUN_RECORDS: usize = 16384;

/// One run of records to parse: its place among the runs, the number of the records
/// before it, the layout, and where its records are.
type Run = (usize, usize, &'static Layout, Vec<Range>);

/// Finds the records of a document that is one list of them (see [`scan_records`])
/// and parses them on `threads` threads while the scan goes on, each run of
/// [`RUN_RECORDS`] into a batch of its own, in the input's order. `None` when the
/// document is not such a list, a record does not parse or the first is in no known
/// layout (the one-thread reader then says what is wrong).
fn decode_ranges(buf: &[u8], threads: usize, source: u32, name: &str) -> Option<Decoded> {
    use std::sync::{Mutex, mpsc};
    let (tx, rx) = mpsc::sync_channel::<Run>(threads * 2);
    let rx = Mutex::new(rx);
    let read: Mutex<Vec<(usize, Option<Reader>)>> = Mutex::new(Vec::new());
    let mut layout: Option<&'static Layout> = None;
    let whole = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((k, before, layout, run)) = job else {
                        return;
                    };
                    let bytes =
                        run.last().map_or(0, |r| r.end) - run.first().map_or(0, |r| r.start);
                    let mut r = Reader::new(layout, source, name, bytes);
                    r.n = before;
                    let mut ok = true;
                    for range in &run {
                        let text = range.text(buf);
                        match serde_json::from_slice::<Json>(&text) {
                            Ok(v) if v.is_object() => r.record(&v),
                            Ok(_) => {}
                            Err(_) => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if let Ok(mut read) = read.lock() {
                        read.push((k, ok.then_some(r)));
                    }
                }
            });
        }
        let (mut k, mut before) = (0, 0);
        let whole = scan_records(buf, RUN_RECORDS, |run| {
            let l = match layout {
                Some(l) => l,
                None => {
                    let Some(first) = run.first().map(|r| r.text(buf)) else {
                        return false;
                    };
                    let found = serde_json::from_slice::<Json>(&first)
                        .ok()
                        .and_then(|v| layouts::of(&v));
                    match found {
                        Some(l) => *layout.insert(l),
                        None => return false,
                    }
                }
            };
            let n = run.len();
            let sent = tx.send((k, before, l, run)).is_ok();
            k += 1;
            before += n;
            sent
        });
        drop(tx);
        whole
    });
    let layout = layout.filter(|_| whole)?;
    let mut read = read.into_inner().ok()?;
    read.sort_by_key(|(k, _)| *k);
    let mut ids = Ids::default();
    let mut batches = Vec::with_capacity(read.len());
    for (_, r) in read {
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

/// Resources or scopes seen before, found by their JSON's hash (and compared whole).
#[derive(Default)]
struct Seen {
    by_hash: rustc_hash::FxHashMap<u64, Vec<(Json<'static>, u32)>>,
}

impl Seen {
    fn hash(v: &Json) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(v)
    }

    fn get(&self, h: u64, v: &Json) -> Option<u32> {
        self.by_hash
            .get(&h)?
            .iter()
            .find(|(x, _)| x == v)
            .map(|&(_, k)| k)
    }

    fn insert(&mut self, h: u64, v: &Json, k: u32) {
        self.by_hash.entry(h).or_default().push((v.to_static(), k));
    }
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
            resources: Seen::default(),
            scopes: Seen::default(),
            synthetic_trace: synthetic_trace(name),
            n: 0,
        }
    }

    fn record(&mut self, o: &Json) {
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
        let null = Json::Null;
        let res_v = res.unwrap_or(&null);
        let res_h = Seen::hash(res_v);
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
        let sc_h = Seen::hash(sc_v);
        let scope = match self.scopes.get(sc_h, sc_v) {
            Some(k) => k,
            None => {
                let get = |k: &str| {
                    sc.and_then(|x| x.get(k))
                        .and_then(Json::as_str)
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
        if let Some(k) = layouts::get(o, l.openinference_kind).and_then(Json::as_str) {
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
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let ea = attrs_of(batch, e.get("attributes"));
            let a0 = batch.attrs.len();
            batch.attrs.extend(ea);
            let nm = batch
                .strings
                .intern(e.get("name").and_then(Json::as_str).unwrap_or(""));
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
            .and_then(Json::as_str)
            .unwrap_or("");
        let status_message = batch.strings.intern(message);
        let span_name = batch.strings.intern(
            layouts::get(o, l.span_name)
                .and_then(Json::as_str)
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

    use crate::decode::borrowed_json::Json;

    #[test]
    fn record_ranges_follow_strings_and_nesting() {
        use super::record_ranges;
        let text = br#" [ {"a": "x,]}"}, {"b": [1, {"c": 2}]} ,{} ] "#;
        let r = record_ranges(text).expect("a list");
        let got: Vec<&str> = r
            .iter()
            .map(|r| {
                std::str::from_utf8(&text[r.start..r.end])
                    .expect("utf8")
                    .trim()
            })
            .collect();
        assert_eq!(got, [r#"{"a": "x,]}"}"#, r#"{"b": [1, {"c": 2}]}"#, "{}"]);
        let text =
            br#"{"meta": {"spans": 1}, "spans": [{"x": "\"]"}, {"y": 1}], "final_output": "[x]"}"#;
        let r = record_ranges(text).expect("spans in an object");
        assert_eq!(r.len(), 2);
        assert_eq!(&text[r[1].start..r[1].end], br#"{"y": 1}"#);
        assert!(r.iter().all(|r| !r.big));
        let r = record_ranges(br#"[{"t": 82133397360970879726729369602474908892}, {"t": "82133397360970879726729369602474908892"}]"#)
            .expect("a list");
        assert_eq!(
            r.iter().map(|r| r.big).collect::<Vec<_>>(),
            [true, false],
            "digits in a string are no integer"
        );
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
        let v: Json = serde_json::from_slice(&fixed).expect("still JSON");
        let mut ids = Ids::default();
        let t = id::<16>(v.get("t"), &mut ids).expect("trace id");
        assert_eq!(
            u128::from_be_bytes(t),
            82133397360970879726729369602474908892
        );
        let s = id::<8>(v.get("s"), &mut ids).expect("span id");
        assert_eq!(u64::from_be_bytes(s), 12467580156169360485);
        assert_eq!(v.get("f"), Some(&Json::F64(1.5e300)));
        assert_eq!(
            v.get("n").and_then(Json::as_str),
            Some("123456789012345678901234"),
            "strings untouched"
        );
        assert_eq!(ids.derived, 0);
    }

    #[test]
    fn ids_in_every_encoding() {
        let mut ids = Ids::default();
        let hex = id::<8>(Some(&Json::Str("0x00f067aa0ba902b7".into())), &mut ids);
        assert_eq!(hex, Some([0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]));
        assert_eq!(
            id::<8>(Some(&Json::Str("f067aa0ba902b7".into())), &mut ids),
            hex
        );
        assert_eq!(
            id::<8>(Some(&Json::Str("APBnqgupArc=".into())), &mut ids),
            hex
        );
        // Base64 that starts like a hex prefix.
        let b = id::<8>(Some(&Json::Str("0Xy2rR9Xr9k=".into())), &mut ids);
        assert_eq!(b, Some([0xd1, 0x7c, 0xb6, 0xad, 0x1f, 0x57, 0xaf, 0xd9]));
        assert_eq!(
            id::<8>(Some(&Json::U64(67_667_974_448_284_343)), &mut ids),
            hex
        );
        assert_eq!(id::<8>(Some(&Json::Str("".into())), &mut ids), None);
        assert_eq!(
            id::<8>(Some(&Json::Str("0000000000000000".into())), &mut ids),
            None
        );
        let a = id::<8>(Some(&Json::Str("raw-root".into())), &mut ids);
        assert!(a.is_some());
        assert_eq!(
            a,
            id::<8>(Some(&Json::Str("raw-root".into())), &mut ids),
            "stable"
        );
        assert_eq!(ids.derived, 2);
    }
}
