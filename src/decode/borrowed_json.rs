//! A JSON value whose strings borrow from the input wherever they hold no escapes,
//! and whose objects are lists of pairs in the order written: span records are read
//! into it without copying a string or hashing a key, which is most of the cost of
//! `serde_json::Value` for the record layouts `flat` reads. (`serde_json_borrow` is
//! close, but cannot build an object whose keys had escapes, which a streamed
//! top-level record needs.)

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::hash::{Hash, Hasher};

/// One JSON value borrowing from the text it was read from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json<'a> {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// Any other number.
    F64(f64),
    /// A string, borrowed when it had no escapes.
    Str(Cow<'a, str>),
    /// A list.
    Array(Vec<Json<'a>>),
    /// An object's fields in the order written.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// The field `key` of an object (the first of that name).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An integer that fits `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Json::U64(n) => Some(n),
            _ => None,
        }
    }

    /// An integer that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Json::U64(n) => i64::try_from(n).ok(),
            Json::I64(n) => Some(n),
            _ => None,
        }
    }

    /// Any number, as a double.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Json::U64(n) => Some(n as f64),
            Json::I64(n) => Some(n as f64),
            Json::F64(f) => Some(f),
            _ => None,
        }
    }

    /// The elements of a list.
    pub fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The fields of an object.
    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Json<'a>)]> {
        match self {
            Json::Object(fields) => Some(fields),
            _ => None,
        }
    }

    /// True for an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// The same value owning all its text.
    pub fn to_static(&self) -> Json<'static> {
        match self {
            Json::Null => Json::Null,
            Json::Bool(b) => Json::Bool(*b),
            Json::U64(n) => Json::U64(*n),
            Json::I64(n) => Json::I64(*n),
            Json::F64(f) => Json::F64(*f),
            Json::Str(s) => Json::Str(Cow::Owned(s.to_string())),
            Json::Array(items) => Json::Array(items.iter().map(Json::to_static).collect()),
            Json::Object(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (Cow::Owned(k.to_string()), v.to_static()))
                    .collect(),
            ),
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

/// JSON has no NaN, so equality is total.
impl Eq for Json<'_> {}

impl Hash for Json<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            Json::Null => {}
            Json::Bool(b) => b.hash(h),
            Json::U64(n) => n.hash(h),
            Json::I64(n) => n.hash(h),
            // +0.0 and -0.0 are equal, so hash alike.
            Json::F64(f) => (f + 0.0).to_bits().hash(h),
            Json::Str(s) => s.hash(h),
            Json::Array(items) => items.hash(h),
            Json::Object(fields) => fields.hash(h),
        }
    }
}

/// Reads any value, borrowing strings where the deserializer allows.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(if v >= 0 {
            Json::U64(v as u64)
        } else {
            Json::I64(v)
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json<'de>, E> {
        Ok(Json::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(x) = seq.next_element()? {
            items.push(x);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(k) = map.next_key_seed(Key)? {
            fields.push((k, map.next_value()?));
        }
        Ok(Json::Object(fields))
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json<'de>, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// Reads an object key, borrowed when it had no escapes.
pub struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::Json;
    use std::borrow::Cow;

    #[test]
    fn strings_borrow_unless_escaped_and_numbers_keep_their_kind() {
        let text = br#"{"a": "plain", "b\n": "esc\"aped", "n": [1, -2, 2.5, 18446744073709551615], "z": null}"#;
        let v: Json = serde_json::from_slice(text).expect("JSON");
        assert!(matches!(
            v.get("a"),
            Some(Json::Str(Cow::Borrowed("plain")))
        ));
        assert!(matches!(v.get("b\n"), Some(Json::Str(Cow::Owned(s))) if s == "esc\"aped"));
        let n = v.get("n").and_then(Json::as_array).expect("list");
        assert_eq!(n[0].as_u64(), Some(1));
        assert_eq!(n[1].as_i64(), Some(-2));
        assert_eq!(n[2].as_f64(), Some(2.5));
        assert_eq!(n[3].as_u64(), Some(u64::MAX));
        assert_eq!(n[3].as_i64(), None);
        assert!(v.get("z").is_some_and(Json::is_null));
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .iter()
            .map(|(k, _)| k.as_ref())
            .collect();
        assert_eq!(keys, ["a", "b\n", "n", "z"], "in the order written");
    }
}
