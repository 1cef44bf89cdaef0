//! Scalar JSON values read straight from the input (borrowed strings, no
//! `serde_json::Value` tree): the tag values and microsecond times of the Jaeger and
//! Zipkin readers, where building a `Value` per tag cost most of the load time.

use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// A tag's (or a time's) JSON value, read without building a `serde_json::Value`:
/// Jaeger and Zipkin values are scalars; anything else is kept as its JSON text.
#[derive(Default)]
pub enum Scalar<'a> {
    #[default]
    /// JSON null or absent.
    Null,
    /// A string, borrowed from the input when it has no escapes.
    Str(Cow<'a, str>),
    /// A boolean.
    Bool(bool),
    /// A negative integer.
    Int(i64),
    /// A non-negative integer.
    UInt(u64),
    /// Any other number.
    Float(f64),
    /// An array or object, as JSON text.
    Json(String),
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tag value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                let v: Value =
                    Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(a))?;
                Ok(Scalar::Json(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                let v: Value =
                    Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(a))?;
                Ok(Scalar::Json(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Scalar<'_> {
    /// The value as text (a string as it is, others as JSON).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Scalar::Null => Cow::Borrowed("null"),
            Scalar::Str(s) => Cow::Borrowed(s),
            Scalar::Bool(b) => Cow::Owned(b.to_string()),
            Scalar::Int(i) => Cow::Owned(i.to_string()),
            Scalar::UInt(u) => Cow::Owned(u.to_string()),
            Scalar::Float(f) => Cow::Owned(f.to_string()),
            Scalar::Json(j) => Cow::Borrowed(j),
        }
    }

    /// A microsecond count as nanoseconds.
    pub fn micros_as_nanos(&self) -> Option<u64> {
        match self {
            Scalar::UInt(u) => Some(*u),
            Scalar::Int(i) => u64::try_from(*i).ok(),
            Scalar::Float(f) if *f >= 0.0 => Some(*f as u64),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
        .map(|us| us.saturating_mul(1000))
    }
}
