//! Attribute values: every OTLP `AnyValue` variant, kept compactly. Short strings are
//! interned; long ones (prompts, tool payloads) are stored once as owned text.

use super::intern::{INTERN_MAX, Interner, Sym, Txt};

/// One attribute value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum AttrValue {
    /// An `AnyValue` with no value set.
    #[default]
    Empty,
    /// A short, interned string.
    Str(Sym),
    /// A long string, kept in the text arena.
    Text(Txt),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Raw bytes.
    Bytes(Box<Vec<u8>>),
    /// An array of values.
    Array(Box<Vec<AttrValue>>),
    /// A list of key/value pairs.
    KvList(Box<Vec<(Sym, AttrValue)>>),
}

/// One key/value attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    /// The interned key.
    pub key: Sym,
    /// The value.
    pub value: AttrValue,
}

impl AttrValue {
    /// A plain JSON value (not OTLP's `{"stringValue": …}` form) as an attribute
    /// value: objects as key/value lists, `null` as empty.
    pub fn from_json(strings: &mut Interner, j: &serde_json::Value) -> AttrValue {
        use serde_json::Value as J;
        match j {
            J::Null => AttrValue::Empty,
            J::Bool(b) => AttrValue::Bool(*b),
            J::Number(n) if n.is_i64() => AttrValue::Int(n.as_i64().unwrap_or(0)),
            J::Number(n) => AttrValue::Double(n.as_f64().unwrap_or(0.0)),
            J::String(s) => AttrValue::string(strings, s),
            J::Array(a) => AttrValue::Array(Box::new(
                a.iter().map(|x| AttrValue::from_json(strings, x)).collect(),
            )),
            J::Object(o) => AttrValue::KvList(Box::new(
                o.iter()
                    .map(|(k, x)| (strings.intern(k), AttrValue::from_json(strings, x)))
                    .collect(),
            )),
        }
    }

    /// Builds a string value, interning it when short.
    pub fn string(strings: &mut Interner, s: &str) -> AttrValue {
        if s.len() <= INTERN_MAX {
            AttrValue::Str(strings.intern(s))
        } else {
            AttrValue::Text(strings.add_text(s))
        }
    }

    /// The value as a string when it is one.
    pub fn as_str<'a>(&'a self, strings: &'a Interner) -> Option<&'a str> {
        match self {
            AttrValue::Str(s) => Some(strings.get(*s)),
            AttrValue::Text(t) => Some(strings.text(*t)),
            _ => None,
        }
    }

    /// The value as an integer when it is one (or a string holding one).
    pub fn as_i64(&self, strings: &Interner) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(*i),
            AttrValue::Double(d) if d.fract() == 0.0 && d.is_finite() => Some(*d as i64),
            AttrValue::Str(s) => strings.get(*s).trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a float when it is numeric.
    pub fn as_f64(&self, strings: &Interner) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(*i as f64),
            AttrValue::Double(d) => Some(*d),
            AttrValue::Str(s) => strings.get(*s).trim().parse().ok(),
            _ => None,
        }
    }

    /// Rewrites every interned handle through `map` and shifts text handles by
    /// `text_off` (used when merging string tables).
    pub fn remap(&mut self, map: &[Sym], text_off: u32) {
        match self {
            AttrValue::Str(s) => *s = map[s.0 as usize],
            AttrValue::Text(t) => t.0 += text_off,
            AttrValue::Array(items) => items.iter_mut().for_each(|v| v.remap(map, text_off)),
            AttrValue::KvList(items) => items.iter_mut().for_each(|(k, v)| {
                *k = map[k.0 as usize];
                v.remap(map, text_off);
            }),
            _ => {}
        }
    }

    /// Converts to a `serde_json::Value` for JSON output and display.
    pub fn to_json(&self, strings: &Interner) -> serde_json::Value {
        use serde_json::Value;
        match self {
            AttrValue::Empty => Value::Null,
            AttrValue::Str(s) => Value::String(strings.get(*s).to_owned()),
            AttrValue::Text(t) => Value::String(strings.text(*t).to_owned()),
            AttrValue::Bool(b) => Value::Bool(*b),
            AttrValue::Int(i) => Value::from(*i),
            AttrValue::Double(d) => serde_json::Number::from_f64(*d)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(d.to_string())),
            AttrValue::Bytes(b) => {
                use base64::Engine as _;
                Value::String(base64::engine::general_purpose::STANDARD.encode(b.as_slice()))
            }
            AttrValue::Array(items) => {
                Value::Array(items.iter().map(|v| v.to_json(strings)).collect())
            }
            AttrValue::KvList(items) => Value::Object(
                items
                    .iter()
                    .map(|(k, v)| (strings.get(*k).to_owned(), v.to_json(strings)))
                    .collect(),
            ),
        }
    }

    /// A one-line display form (strings unquoted, composites as compact JSON).
    pub fn display(&self, strings: &Interner) -> String {
        match self {
            AttrValue::Str(_) | AttrValue::Text(_) => {
                self.as_str(strings).unwrap_or_default().to_owned()
            }
            AttrValue::Empty => String::new(),
            other => other.to_json(strings).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_sizes() {
        // Attributes are the bulk of the model: keep them at three words.
        assert_eq!(std::mem::size_of::<AttrValue>(), 16);
        assert_eq!(std::mem::size_of::<Attr>(), 24);
    }
}
