//! Attributes in the store. Schema 2 writes one JSON object per attribute list, keys
//! in their original order: strings, integers, booleans and `null` (an empty value) as
//! themselves, doubles always with a fraction or exponent (so `1.0` stays a double),
//! arrays as arrays and key/value lists as objects. The few values JSON has no form
//! for are one-key objects: `{"$b": base64}` for bytes, `{"$f": "NaN"}` (or
//! `"Infinity"`, `"-Infinity"`) for non-finite doubles, and `{"$m": {…}}` wraps a
//! key/value list whose first key is one of those three. So `attributes ->> '$."k"'`
//! works in SQL and a store still round-trips to exactly the model it came from.
//! Schema 1's typed `[key, type, value]` triples are still read, to migrate old stores.

use crate::decode::json_seeds::SymSeed;
use crate::model::{Attr, AttrValue, Batch, Interner, Slice, Sym};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Keys that mark a one-key object as a value JSON has no form for.
const TAG_BYTES: &str = "$b";
const TAG_FLOAT: &str = "$f";
const TAG_MAP: &str = "$m";

fn push_str_json(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes straight into the buffer: no intermediate value.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn push_value(out: &mut Vec<u8>, strings: &Interner, v: &AttrValue) {
    use std::io::Write as _;
    match v {
        AttrValue::Str(_) | AttrValue::Text(_) => {
            push_str_json(out, v.as_str(strings).unwrap_or(""));
        }
        AttrValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        AttrValue::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        AttrValue::Empty => out.extend_from_slice(b"null"),
        AttrValue::Double(d) if d.is_finite() => {
            // serde_json (ryu) always writes a fraction or an exponent.
            let _ = serde_json::to_writer(&mut *out, d);
        }
        AttrValue::Double(d) => {
            let name = if d.is_nan() {
                "NaN"
            } else if *d > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            let _ = write!(out, "{{\"{TAG_FLOAT}\":\"{name}\"}}");
        }
        AttrValue::Bytes(b) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(b.as_slice());
            let _ = write!(out, "{{\"{TAG_BYTES}\":\"{b64}\"}}");
        }
        AttrValue::Array(items) => {
            out.push(b'[');
            for (k, x) in items.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                push_value(out, strings, x);
            }
            out.push(b']');
        }
        AttrValue::KvList(items) => {
            let wrap = items
                .first()
                .is_some_and(|(k, _)| [TAG_BYTES, TAG_FLOAT, TAG_MAP].contains(&strings.get(*k)));
            if wrap {
                let _ = write!(out, "{{\"{TAG_MAP}\":");
            }
            push_object(out, strings, items.iter().map(|(k, v)| (*k, v)));
            if wrap {
                out.push(b'}');
            }
        }
    }
}

fn push_object<'a>(
    out: &mut Vec<u8>,
    strings: &Interner,
    items: impl Iterator<Item = (Sym, &'a AttrValue)>,
) {
    out.push(b'{');
    for (n, (k, v)) in items.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        push_str_json(out, strings.get(k));
        out.push(b':');
        push_value(out, strings, v);
    }
    out.push(b'}');
}

/// Encodes attributes as one JSON object into `out` (cleared first) and returns it as
/// text; `out` is a buffer reused from call to call.
pub fn encode_into<'b>(out: &'b mut Vec<u8>, strings: &Interner, attrs: &[Attr]) -> &'b str {
    out.clear();
    push_object(out, strings, attrs.iter().map(|a| (a.key, &a.value)));
    // The encoder writes only JSON built from `str`s, so this always holds.
    std::str::from_utf8(out).unwrap_or("{}")
}

/// Encodes attributes as one JSON object.
pub fn encode(strings: &Interner, attrs: &[Attr]) -> String {
    let mut out = Vec::with_capacity(64 * attrs.len() + 2);
    encode_into(&mut out, strings, attrs).to_owned()
}

/// Decodes an attribute object into the batch's attribute arena. Text that is not
/// such an object gives no attributes (the store's own writer never produces it).
pub fn decode_into(batch: &mut Batch, text: &str) -> Slice {
    let start = batch.attrs.len();
    let mut de = serde_json::Deserializer::from_str(text);
    if de.deserialize_map(TopVisitor(batch)).is_err() {
        batch.attrs.truncate(start);
    }
    batch.attrs_since(start)
}

/// The top-level object: attributes pushed straight into the arena, duplicates kept.
struct TopVisitor<'a>(&'a mut Batch);

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(SymSeed(&mut self.0.strings))? {
            let value = map.next_value_seed(ValueSeed(&mut self.0.strings, true))?;
            self.0.attrs.push(Attr { key, value });
        }
        Ok(())
    }
}

/// One value of any shape. With `tags` off, an object is always a key/value list (the
/// payload of a `$m` wrapper).
struct ValueSeed<'a>(&'a mut Interner, bool);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = AttrValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<AttrValue, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = AttrValue;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<AttrValue, E> {
        Ok(AttrValue::string(self.0, s))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<AttrValue, E> {
        Ok(AttrValue::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<AttrValue, E> {
        Ok(i64::try_from(v).map_or(AttrValue::Double(v as f64), AttrValue::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<AttrValue, E> {
        Ok(AttrValue::Double(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<AttrValue, E> {
        Ok(AttrValue::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<AttrValue, E> {
        Ok(AttrValue::Empty)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AttrValue, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(ValueSeed(&mut *self.0, true))? {
            items.push(v);
        }
        Ok(AttrValue::Array(Box::new(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttrValue, A::Error> {
        let mut items: Vec<(Sym, AttrValue)> = Vec::new();
        let mut first = true;
        while let Some(key) = map.next_key_seed(SymSeed(&mut *self.0))? {
            if first && self.1 {
                first = false;
                let tag = self.0.get(key);
                if tag == TAG_BYTES || tag == TAG_FLOAT {
                    let is_bytes = tag == TAG_BYTES;
                    let text: String = map.next_value()?;
                    let value = if is_bytes {
                        base64::engine::general_purpose::STANDARD
                            .decode(&text)
                            .map(|b| AttrValue::Bytes(Box::new(b)))
                            .map_err(de::Error::custom)?
                    } else {
                        AttrValue::Double(match text.as_str() {
                            "Infinity" => f64::INFINITY,
                            "-Infinity" => f64::NEG_INFINITY,
                            _ => f64::NAN,
                        })
                    };
                    return finish_tag(map, value);
                }
                if tag == TAG_MAP {
                    let value = map.next_value_seed(ValueSeed(&mut *self.0, false))?;
                    return finish_tag(map, value);
                }
            }
            let value = map.next_value_seed(ValueSeed(&mut *self.0, true))?;
            items.push((key, value));
        }
        Ok(AttrValue::KvList(Box::new(items)))
    }
}

/// A tag object has exactly one key.
fn finish_tag<'de, A: MapAccess<'de>>(mut map: A, value: AttrValue) -> Result<AttrValue, A::Error> {
    match map.next_key::<de::IgnoredAny>()? {
        None => Ok(value),
        Some(_) => Err(de::Error::custom("a tagged value has one key")),
    }
}

/// Schema 1's typed triples: `[key, type, value]`.
fn untyped(strings: &mut Interner, t: &str, v: &Value) -> AttrValue {
    match (t, v) {
        ("s", Value::String(s)) => AttrValue::string(strings, s),
        ("i", v) => v.as_i64().map(AttrValue::Int).unwrap_or_default(),
        ("f", Value::String(s)) => s.parse().map(AttrValue::Double).unwrap_or_default(),
        ("f", v) => v.as_f64().map(AttrValue::Double).unwrap_or_default(),
        ("b", Value::Bool(b)) => AttrValue::Bool(*b),
        ("y", Value::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(|b| AttrValue::Bytes(Box::new(b)))
            .unwrap_or_default(),
        ("a", Value::Array(items)) => AttrValue::Array(Box::new(
            items
                .iter()
                .map(|x| {
                    untyped(
                        strings,
                        x.get(0).and_then(Value::as_str).unwrap_or("e"),
                        x.get(1).unwrap_or(&Value::Null),
                    )
                })
                .collect(),
        )),
        ("m", Value::Array(items)) => AttrValue::KvList(Box::new(
            items
                .iter()
                .map(|x| {
                    let k = strings.intern(x.get(0).and_then(Value::as_str).unwrap_or(""));
                    let v = untyped(
                        strings,
                        x.get(1).and_then(Value::as_str).unwrap_or("e"),
                        x.get(2).unwrap_or(&Value::Null),
                    );
                    (k, v)
                })
                .collect(),
        )),
        _ => AttrValue::Empty,
    }
}

/// Decodes schema 1's typed JSON array into the batch's attribute arena.
pub fn decode_v1_into(batch: &mut Batch, text: &str) -> Slice {
    let start = batch.attrs.len();
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) {
        for it in items {
            let key = it.get(0).and_then(Value::as_str).unwrap_or("");
            let key: Sym = batch.strings.intern(key);
            let t = it.get(1).and_then(Value::as_str).unwrap_or("e").to_owned();
            let value = untyped(&mut batch.strings, &t, it.get(2).unwrap_or(&Value::Null));
            batch.attrs.push(Attr { key, value });
        }
    }
    batch.attrs_since(start)
}

/// Pushes plain JSON attributes (Phoenix's dot-nested objects, flattened back to
/// dotted keys) into the batch.
pub fn push_nested_json(batch: &mut Batch, v: &Value) -> Slice {
    fn walk(batch: &mut Batch, prefix: &str, v: &Value) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(batch, &key, x);
                }
            }
            leaf => {
                let key = batch.strings.intern(prefix);
                let value = match leaf {
                    Value::String(s) => AttrValue::string(&mut batch.strings, s),
                    Value::Bool(b) => AttrValue::Bool(*b),
                    Value::Number(n) if n.is_i64() => AttrValue::Int(n.as_i64().unwrap_or(0)),
                    Value::Number(n) => AttrValue::Double(n.as_f64().unwrap_or(0.0)),
                    Value::Array(items) => AttrValue::Array(Box::new(
                        items
                            .iter()
                            .map(|x| match x {
                                Value::String(s) => AttrValue::string(&mut batch.strings, s),
                                Value::Bool(b) => AttrValue::Bool(*b),
                                Value::Number(n) if n.is_i64() => {
                                    AttrValue::Int(n.as_i64().unwrap_or(0))
                                }
                                Value::Number(n) => AttrValue::Double(n.as_f64().unwrap_or(0.0)),
                                other => AttrValue::string(&mut batch.strings, &other.to_string()),
                            })
                            .collect(),
                    )),
                    Value::Null => AttrValue::Empty,
                    Value::Object(_) => AttrValue::Empty,
                };
                batch.attrs.push(Attr { key, value });
            }
        }
    }
    let start = batch.attrs.len();
    walk(batch, "", v);
    batch.attrs_since(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Batch;

    #[test]
    fn every_value_type_round_trips() {
        let mut b = Batch::default();
        let push = |b: &mut Batch, k: &str, v: AttrValue| {
            let key = b.strings.intern(k);
            b.attrs.push(Attr { key, value: v });
        };
        let s = AttrValue::string(&mut b.strings, "quote \" and \\ and \n");
        push(&mut b, "s", s);
        push(&mut b, "i", AttrValue::Int(-7));
        push(&mut b, "f", AttrValue::Double(0.5));
        push(&mut b, "nan", AttrValue::Double(f64::INFINITY));
        push(&mut b, "b", AttrValue::Bool(true));
        push(&mut b, "y", AttrValue::Bytes(Box::new(vec![0, 255])));
        push(&mut b, "e", AttrValue::Empty);
        let inner = b.strings.intern("k");
        push(
            &mut b,
            "a",
            AttrValue::Array(Box::new(vec![AttrValue::Int(1), AttrValue::Bool(false)])),
        );
        push(
            &mut b,
            "m",
            AttrValue::KvList(Box::new(vec![(inner, AttrValue::Int(2))])),
        );
        // A list whose first key looks like a tag, and a key given twice.
        let tag_key = b.strings.intern("$b");
        push(
            &mut b,
            "m2",
            AttrValue::KvList(Box::new(vec![
                (tag_key, AttrValue::Int(1)),
                (inner, AttrValue::Double(1.0)),
            ])),
        );
        push(&mut b, "nan", AttrValue::Double(f64::NEG_INFINITY));
        push(&mut b, "big", AttrValue::Double(1e300));
        let text = encode(&b.strings, &b.attrs);
        let n = b.attrs.len();
        let mut c = Batch::default();
        let slice = decode_into(&mut c, &text);
        assert_eq!(slice.len as usize, n);
        for (x, y) in b.attrs.iter().zip(&c.attrs[slice.range()]) {
            assert_eq!(b.strings.get(x.key), c.strings.get(y.key));
            assert_eq!(
                x.value.to_json(&b.strings),
                y.value.to_json(&c.strings),
                "{}",
                b.strings.get(x.key)
            );
        }
    }
}
