//! The Node.js SDK's `ConsoleSpanExporter`: each finished span printed by
//! `console.dir` as a JavaScript object literal (`util.inspect`: unquoted keys,
//! single-quoted strings, `undefined`, `[Object]` past the depth limit), one after
//! another — `traceId`, `id`, `parentId` (SDK 1.x) or `parentSpanContext` (2.x), `kind`
//! as the JavaScript enum (0 internal … 4 consumer), `timestamp` and `duration` in
//! microseconds, event times as `[seconds, nanos]`. The literals are read into plain
//! JSON, mapped onto flat span records and read by the flat-record reader.

use super::Decoded;
use crate::model::{Batch, Position, Warning};
use serde_json::{Map, Value, json};

/// True when the text looks like the Node console exporter's output.
pub fn looks_like(buf: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64 * 1024)]);
    let first = head.trim_start().as_bytes().first().copied();
    (first == Some(b'{') || head.trim_start().starts_with("\u{1b}["))
        && head.contains("traceId: ")
        && head.contains("\n  id: ")
        && head.contains("timestamp: ")
}

/// Decodes the printed spans; `None` when not even the first could be read.
pub fn decode(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    let text = String::from_utf8_lossy(buf);
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
    };
    let mut records = Vec::new();
    let mut damage = None;
    loop {
        p.skip_ws();
        if p.at >= p.s.len() {
            break;
        }
        let start = p.at;
        match p.value() {
            Some(Value::Object(o)) => records.push(record(&o)),
            Some(_) | None => {
                damage = Some(start);
                break;
            }
        }
    }
    if records.is_empty() {
        return None;
    }
    let doc = serde_json::to_vec(&Value::Array(records)).ok()?;
    let mut d = super::flat::decode(&doc, source, name)?;
    d.format = "Node console exporter";
    if let Some(at) = damage {
        let line = text.as_bytes()[..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        d.batches.insert(
            0,
            Batch {
                warnings: vec![Warning {
                    source: name.to_owned(),
                    position: Position::Line { line, column: 1 },
                    message: format!(
                        "the Node console output stops making sense here; kept the {} spans printed before it",
                        d.span_count()
                    ),
                }],
                ..Batch::default()
            },
        );
    }
    Some(d)
}

/// One printed span as a flat span record.
fn record(o: &Map<String, Value>) -> Value {
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let parent = s("parentId")
        .or(s("parentSpanId"))
        .or_else(|| o.get("parentSpanContext")?.get("spanId")?.as_str());
    // The JavaScript SpanKind enum: INTERNAL 0, SERVER 1, CLIENT 2, PRODUCER 3, CONSUMER 4.
    let kind = match o.get("kind").and_then(Value::as_u64) {
        Some(1) => "server",
        Some(2) => "client",
        Some(3) => "producer",
        Some(4) => "consumer",
        _ => "internal",
    };
    let micros = |v: Option<&Value>| super::flat::micros_of(v?.as_u64(), v?.as_f64());
    let start = micros(o.get("timestamp"));
    let end = start.zip(micros(o.get("duration"))).map(|(s, d)| s + d);
    let events: Vec<Value> = o
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            json!({
                "name": e.get("name"),
                "time": hr_time(e.get("time")),
                "attributes": e.get("attributes").filter(|a| a.is_object()),
            })
        })
        .collect();
    let status = o.get("status");
    json!({
        "trace_id": s("traceId"),
        "span_id": s("id"),
        "parent_span_id": parent,
        "name": s("name"),
        "kind": kind,
        "start_time": start,
        "end_time": end,
        "attributes": o.get("attributes").filter(|a| a.is_object()),
        "status": {
            "code": status.and_then(|x| x.get("code")).and_then(Value::as_u64).unwrap_or(0),
            "message": status.and_then(|x| x.get("message")),
        },
        "events": events,
        "resource": o.get("resource").and_then(|r| r.get("attributes")),
        "scope": o.get("instrumentationScope").or(o.get("instrumentationLibrary")),
    })
}

/// `[seconds, nanos]` (an `HrTime`) or a number of milliseconds as Unix nanoseconds.
fn hr_time(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Array(a) => {
            let secs = a.first()?.as_u64()?;
            let nanos = a.get(1).and_then(Value::as_u64).unwrap_or(0);
            secs.checked_mul(1_000_000_000)?.checked_add(nanos)
        }
        Value::Number(n) => n.as_f64().map(|ms| (ms * 1e6) as u64),
        _ => None,
    }
}

/// A lenient reader of `util.inspect` output into JSON values.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    /// Skips whitespace and terminal colour sequences (`console.dir` on a terminal).
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.at += 1;
            } else if c == b'/' && self.s.get(self.at + 1) == Some(&b'/') {
                // A `// …` comment someone added to a pasted object.
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else if c == b'/' && self.s.get(self.at + 1) == Some(&b'*') {
                self.at += 2;
                while self.at < self.s.len() && !self.s[self.at..].starts_with(b"*/") {
                    self.at += 1;
                }
                self.at = (self.at + 2).min(self.s.len());
            } else if c == 0x1b && self.s.get(self.at + 1) == Some(&b'[') {
                self.at += 2;
                while self.peek().is_some_and(|c| !c.is_ascii_alphabetic()) {
                    self.at += 1;
                }
                self.at += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'\'' | b'"' | b'`' => self.string_concat().map(Value::String),
            b'<' => {
                // `<ref *1>` before a value that is referred to again.
                while self.peek()? != b'>' {
                    self.at += 1;
                }
                self.at += 1;
                self.value()
            }
            b'-' | b'0'..=b'9' => self.number(),
            c if is_ident(c) => {
                let word = self.ident();
                self.skip_ws();
                if self.peek() == Some(b'{') {
                    // A class name before an object: `Resource { … }`.
                    return self.object();
                }
                Some(match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::Null,
                })
            }
            _ => None,
        }
    }

    fn ident(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(is_ident) {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.at]).into_owned()
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        while self.peek().is_some_and(|c| {
            c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-' | b'_')
        }) {
            self.at += 1;
        }
        let text: String = String::from_utf8_lossy(&self.s[start..self.at]).replace('_', "");
        if self.peek() == Some(b'n') {
            self.at += 1; // a BigInt
        }
        if text == "-" {
            // -Infinity
            self.ident();
            return Some(Value::Null);
        }
        if let Ok(i) = text.parse::<u64>() {
            return Some(Value::from(i));
        }
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::from(i));
        }
        let f: f64 = text.parse().ok()?;
        Some(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
    }

    /// A string, and any strings joined to it with `+` (older Node split long ones).
    fn string_concat(&mut self) -> Option<String> {
        let mut out = self.string()?;
        loop {
            let save = self.at;
            self.skip_ws();
            if self.peek() == Some(b'+') {
                self.at += 1;
                self.skip_ws();
                if matches!(self.peek(), Some(b'\'' | b'"' | b'`')) {
                    out.push_str(&self.string()?);
                    continue;
                }
            }
            self.at = save;
            return Some(out);
        }
    }

    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.at += 1;
            match c {
                c if c == quote => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.at += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'v' => out.push(11),
                        b'0' => out.push(0),
                        b'x' => {
                            let h = std::str::from_utf8(self.s.get(self.at..self.at + 2)?).ok()?;
                            self.at += 2;
                            let ch = char::from_u32(u32::from_str_radix(h, 16).ok()?)?;
                            out.extend_from_slice(ch.to_string().as_bytes());
                        }
                        b'u' => {
                            let code = if self.peek() == Some(b'{') {
                                let end = self.s[self.at..].iter().position(|&b| b == b'}')?;
                                let h = std::str::from_utf8(&self.s[self.at + 1..self.at + end])
                                    .ok()?;
                                self.at += end + 1;
                                u32::from_str_radix(h, 16).ok()?
                            } else {
                                let h =
                                    std::str::from_utf8(self.s.get(self.at..self.at + 4)?).ok()?;
                                self.at += 4;
                                u32::from_str_radix(h, 16).ok()?
                            };
                            let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                            out.extend_from_slice(ch.to_string().as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    fn array(&mut self) -> Option<Value> {
        self.at += 1;
        self.skip_ws();
        // `[Object]`, `[Array]`, `[Function: f]`, `[Circular *1]`: what the depth limit
        // or a cycle hid.
        if self.peek().is_some_and(|c| c.is_ascii_uppercase()) {
            let end = self.s[self.at..].iter().position(|&b| b == b']')?;
            self.at += end + 1;
            self.skip_ws();
            if self.peek() == Some(b'{') {
                // `[Object: null prototype] { … }`
                return self.object();
            }
            return Some(Value::Null);
        }
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                b']' => {
                    self.at += 1;
                    return Some(Value::Array(items));
                }
                b',' => self.at += 1,
                // `... 1 more item`, or `…` where a doc elided elements.
                b'.' | 0xe2 => self.skip_more(),
                _ => items.push(self.value()?),
            }
        }
    }

    /// `... 12 more items`: what the length limit left out.
    fn skip_more(&mut self) {
        while self
            .peek()
            .is_some_and(|c| !matches!(c, b',' | b']' | b'}' | b'\n'))
        {
            self.at += 1;
        }
    }

    fn object(&mut self) -> Option<Value> {
        self.at += 1;
        let mut m = Map::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                b'}' => {
                    self.at += 1;
                    return Some(Value::Object(m));
                }
                b',' => self.at += 1,
                b'.' | 0xe2 => self.skip_more(),
                b'\'' | b'"' | b'`' => {
                    let k = self.string()?;
                    let v = self.after_key()?;
                    m.insert(k, v);
                }
                b'[' => {
                    // `[Symbol(x)]: …` keys: read and dropped.
                    let end = self.s[self.at..].iter().position(|&b| b == b']')?;
                    self.at += end + 1;
                    self.after_key()?;
                }
                c if is_ident(c) => {
                    let k = self.ident();
                    let v = self.after_key()?;
                    m.insert(k, v);
                }
                _ => return None,
            }
        }
    }

    fn after_key(&mut self) -> Option<Value> {
        self.skip_ws();
        if self.peek()? != b':' {
            return None;
        }
        self.at += 1;
        self.value()
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<Value> {
        Parser {
            s: s.as_bytes(),
            at: 0,
        }
        .value()
    }

    #[test]
    fn reads_inspect_literals() {
        let v = parse(
            "{\n  a: 'it\\'s',\n  'b.c': \"say \\\"hi\\\"\",\n  d: undefined,\n  e: [ 1, -2.5, [Object], ... 3 more items ],\n  f: 'long ' +\n    'string',\n  g: Resource { x: 1n },\n  h: [Object: null prototype] { y: true }\n}",
        )
        .expect("parsed");
        assert_eq!(
            v,
            json!({"a": "it's", "b.c": "say \"hi\"", "d": null, "e": [1, -2.5, null],
                   "f": "long string", "g": {"x": 1}, "h": {"y": true}})
        );
    }

    #[test]
    fn broken_literals_are_refused() {
        assert_eq!(parse("{ a: 'open"), None);
        assert_eq!(parse("{ a 1 }"), None);
    }
}
