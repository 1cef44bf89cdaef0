//! Attributes in the store: a JSON array of `[key, type, value]` triples per span
//! (type `s` string, `i` integer, `f` double, `b` bool, `y` bytes as base64, `a` array
//! of `[type, value]`, `m` key/value list of triples, `e` empty). Typed, so a store
//! round-trips to exactly the model it came from; still plain JSON for `json_each`.

use crate::model::{Attr, AttrValue, Batch, Interner, Slice, Sym};
use base64::Engine as _;
use serde_json::{Value, json};

fn typed(strings: &Interner, v: &AttrValue) -> (&'static str, Value) {
    match v {
        AttrValue::Empty => ("e", Value::Null),
        AttrValue::Str(_) | AttrValue::Text(_) => (
            "s",
            Value::String(v.as_str(strings).unwrap_or("").to_owned()),
        ),
        AttrValue::Bool(b) => ("b", Value::Bool(*b)),
        AttrValue::Int(i) => ("i", Value::from(*i)),
        AttrValue::Double(d) => (
            "f",
            serde_json::Number::from_f64(*d)
                .map_or_else(|| Value::String(d.to_string()), Value::Number),
        ),
        AttrValue::Bytes(b) => (
            "y",
            Value::String(base64::engine::general_purpose::STANDARD.encode(b.as_slice())),
        ),
        AttrValue::Array(items) => (
            "a",
            Value::Array(
                items
                    .iter()
                    .map(|x| {
                        let (t, v) = typed(strings, x);
                        json!([t, v])
                    })
                    .collect(),
            ),
        ),
        AttrValue::KvList(items) => (
            "m",
            Value::Array(
                items
                    .iter()
                    .map(|(k, x)| {
                        let (t, v) = typed(strings, x);
                        json!([strings.get(*k), t, v])
                    })
                    .collect(),
            ),
        ),
    }
}

fn push_str_json(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes straight into the buffer: no intermediate value.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn push_value(out: &mut Vec<u8>, strings: &Interner, v: &AttrValue) {
    use std::io::Write as _;
    match v {
        AttrValue::Str(_) | AttrValue::Text(_) => {
            out.extend_from_slice(b"\"s\",");
            push_str_json(out, v.as_str(strings).unwrap_or(""));
        }
        AttrValue::Int(i) => {
            let _ = write!(out, "\"i\",{i}");
        }
        AttrValue::Bool(b) => {
            let _ = write!(out, "\"b\",{b}");
        }
        AttrValue::Empty => out.extend_from_slice(b"\"e\",null"),
        other => {
            // Rare shapes take the general path.
            let (t, val) = typed(strings, other);
            let _ = write!(out, "\"{t}\",{val}");
        }
    }
}

/// Encodes attributes as the typed JSON array into `out` (cleared first).
pub fn encode_into(out: &mut Vec<u8>, strings: &Interner, attrs: &[Attr]) {
    out.clear();
    out.push(b'[');
    for (k, a) in attrs.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'[');
        push_str_json(out, strings.get(a.key));
        out.push(b',');
        push_value(out, strings, &a.value);
        out.push(b']');
    }
    out.push(b']');
}

/// Encodes attributes as the typed JSON array.
pub fn encode(strings: &Interner, attrs: &[Attr]) -> String {
    let mut out = Vec::with_capacity(64 * attrs.len() + 2);
    encode_into(&mut out, strings, attrs);
    String::from_utf8(out).unwrap_or_default()
}

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

/// Decodes the typed JSON array into the batch's attribute arena.
pub fn decode_into(batch: &mut Batch, text: &str) -> Slice {
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
