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

/// Encodes attributes as the typed JSON array.
pub fn encode(strings: &Interner, attrs: &[Attr]) -> String {
    let items: Vec<Value> = attrs
        .iter()
        .map(|a| {
            let (t, v) = typed(strings, &a.value);
            json!([strings.get(a.key), t, v])
        })
        .collect();
    Value::Array(items).to_string()
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
