//! Langfuse's trace export (v3: `{trace: {…}, observations: [{id, traceId,
//! parentObservationId, type, startTime, endTime, model, usageDetails, costDetails,
//! input, output, level, statusMessage, metadata}]}`) and, since Langfuse v4, its
//! observation rows: the Observations API v2's pages (`{data: [rows], meta: {cursor}}`,
//! one after another, in a list or as JSON Lines) or the rows themselves, each row
//! carrying what v3 kept on the trace (`traceName`, `sessionId`, `userId`,
//! `environment`; `providedModelName`, `totalCost`), read as spans carrying the
//! attributes Langfuse's own OpenTelemetry form uses (`langfuse.observation.type`,
//! `.model.name`, `.cost_details`, `.level`, `.status_message`), so the usual GenAI
//! semantics apply: the model, the usage Langfuse counted and the cost it recorded
//! (as provided). `input`/`output` become `input.value`/`output.value`; `level: ERROR`
//! is a failed span. Ids that are not hex (UUIDs with dashes lose them; anything else
//! is hashed) are kept as `langfuse.observation.id`.

use super::Decoded;
use crate::model::{
    Attr, AttrValue, Batch, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId,
};
use serde_json::Value;

/// True when the input, from its first 64 KiB `head`, looks like a Langfuse trace
/// export or observation rows.
pub fn looks_like(head: &str) -> bool {
    let v3 = head.contains("\"observations\"")
        && (head.contains("\"parentObservationId\"") || head.contains("\"traceId\""));
    let v4 = head.contains("\"parentObservationId\"")
        || (head.contains("\"traceId\"")
            && head.contains("\"projectId\"")
            && head.contains("\"startTime\""));
    v3 || v4
}

/// The observations of one JSON value of the input: a v3 export's (on the document or
/// its `trace`), a v4 page's `data`, a list of rows or pages, or one row.
fn observations_of<'a>(doc: &'a Value, out: &mut Vec<(&'a Value, Option<&'a Value>)>) {
    match doc {
        Value::Array(items) => {
            for x in items {
                observations_of(x, out);
            }
        }
        Value::Object(o) => {
            let trace = o.get("trace");
            let lists = [
                o.get("observations"),
                trace.and_then(|t| t.get("observations")),
                o.get("data"),
            ];
            let mut found = false;
            for list in lists.into_iter().flatten().filter_map(Value::as_array) {
                found = true;
                for x in list {
                    if x.get("data").is_some_and(Value::is_array) {
                        observations_of(x, out);
                    } else if x.is_object() {
                        out.push((x, trace.or(Some(doc))));
                    }
                }
            }
            if !found && o.contains_key("id") && o.contains_key("startTime") {
                out.push((doc, None));
            }
        }
        _ => {}
    }
}

/// ISO 8601 (`2025-12-22T10:46:19.155Z`, `…+02:00`) as Unix nanoseconds.
pub(crate) fn iso(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date, rest) = s.split_once('T')?;
    let (clock, offset) = match rest.find(['Z', '+', '-']) {
        Some(at) if rest[at..].starts_with('Z') => (&rest[..at], "+0000".to_owned()),
        Some(at) => (&rest[..at], rest[at..].replace(':', "")),
        None => (rest, "+0000".to_owned()),
    };
    super::debug_text::parse_time(&format!("{date} {clock} {offset}"))
}

fn span_id(s: &str) -> ([u8; 8], bool) {
    let clean: String = s.chars().filter(|c| *c != '-').collect();
    match crate::model::decode_id::<8>(&clean, "span id") {
        Ok(b) => (b, true),
        Err(_) => (super::derived_id(s), false),
    }
}

fn trace_id(s: &str) -> [u8; 16] {
    let clean: String = s.chars().filter(|c| *c != '-').collect();
    crate::model::decode_id::<16>(&clean, "trace id").unwrap_or_else(|_| super::derived_id(s))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        v => Some(v.to_string()),
    }
}

/// Adds the resource of a trace name (the service) and its environment; its index.
fn resource(batch: &mut Batch, service: &str, environment: Option<&str>) -> u32 {
    let a0 = batch.attrs.len();
    let svc = batch.strings.intern(service);
    let key = batch.strings.intern("service.name");
    batch.attrs.push(Attr {
        key,
        value: AttrValue::Str(svc),
    });
    if let Some(env) = environment {
        let key = batch.strings.intern("deployment.environment.name");
        let value = AttrValue::string(&mut batch.strings, env);
        batch.attrs.push(Attr { key, value });
    }
    let r = batch.resources.len() as u32;
    batch.resources.push(Resource {
        service: svc,
        attrs: batch.attrs_since(a0),
        dropped: 0,
    });
    r
}

/// Decodes a Langfuse trace export or observation rows; `None` when it is neither.
pub fn decode(buf: &[u8], source: u32, _name: &str) -> Option<Decoded> {
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(buf)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .collect();
    let mut all = Vec::new();
    for d in &docs {
        observations_of(d, &mut all);
    }
    let mut obs: Vec<(&Value, Option<&Value>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (o, t) in all {
        if let Some(id) = o.get("id").and_then(Value::as_str)
            && o.get("traceId").is_some() | t.is_some()
            && seen.insert(id.to_owned())
        {
            obs.push((o, t));
        }
    }
    if obs.is_empty() {
        return None;
    }
    let v4 = docs
        .iter()
        .all(|d| d.get("trace").is_none() && d.get("observations").is_none());
    let doc = docs.first()?;
    let trace = doc.get("trace").unwrap_or(doc);
    let mut batch = Batch::for_input(buf.len());
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let service = str_of(trace, "name").unwrap_or_else(|| "langfuse".into());
    resource(
        &mut batch,
        &service,
        str_of(trace, "environment").as_deref(),
    );
    let scope_name = batch.strings.intern("langfuse");
    batch.scopes.push(Scope {
        name: scope_name,
        ..Scope::default()
    });
    let trace_default = str_of(trace, "id").unwrap_or_default();
    let (session, user) = (str_of(trace, "sessionId"), str_of(trace, "userId"));
    // v4 rows name their trace, session, user and environment themselves: a resource
    // per trace name.
    let mut services: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for (o, _) in obs {
        let resource = match (v4, str_of(o, "traceName")) {
            (true, Some(svc)) => match services.get(&svc) {
                Some(&r) => r,
                None => {
                    let r = resource(&mut batch, &svc, str_of(o, "environment").as_deref());
                    services.insert(svc, r);
                    r
                }
            },
            _ => 0,
        };
        let session = str_of(o, "sessionId").or_else(|| session.clone());
        let user = str_of(o, "userId").or_else(|| user.clone());
        let tid = trace_id(&str_of(o, "traceId").unwrap_or_else(|| trace_default.clone()));
        let raw_id = str_of(o, "id").unwrap_or_default();
        let (sid, hex) = span_id(&raw_id);
        let parent = str_of(o, "parentObservationId");
        let parent_id = parent
            .as_deref()
            .map_or(SpanId::NONE, |p| SpanId(span_id(p).0));
        let start = o
            .get("startTime")
            .and_then(Value::as_str)
            .and_then(iso)
            .unwrap_or(0);
        let end = o
            .get("endTime")
            .and_then(Value::as_str)
            .and_then(iso)
            .unwrap_or(if str_of(o, "type").as_deref() == Some("EVENT") {
                start
            } else {
                0
            });
        let a0 = batch.attrs.len();
        let put = |batch: &mut Batch, k: &str, v: AttrValue| {
            let key = batch.strings.intern(k);
            batch.attrs.push(Attr { key, value: v });
        };
        let put_str = |batch: &mut Batch, k: &str, v: &str| {
            let value = AttrValue::string(&mut batch.strings, v);
            put(batch, k, value);
        };
        if let Some(t) = str_of(o, "type") {
            put_str(&mut batch, "langfuse.observation.type", &t);
        }
        if let Some(m) = str_of(o, "model").or_else(|| str_of(o, "providedModelName")) {
            put_str(&mut batch, "langfuse.observation.model.name", &m);
        }
        let usage = o.get("usageDetails");
        for (k, name) in [
            ("input", "gen_ai.usage.input_tokens"),
            ("output", "gen_ai.usage.output_tokens"),
        ] {
            if let Some(n) = usage.and_then(|u| u.get(k)).and_then(Value::as_i64) {
                let key = batch.strings.intern(name);
                batch.attrs.push(Attr {
                    key,
                    value: AttrValue::Int(n),
                });
            }
        }
        if let Some(c) = o.get("costDetails").filter(|c| c.get("total").is_some()) {
            put_str(
                &mut batch,
                "langfuse.observation.cost_details",
                &c.to_string(),
            );
        } else if let Some(total) = o.get("totalCost").and_then(Value::as_f64) {
            // v4 rows may carry only the total (the trace's cost is their sum).
            put_str(
                &mut batch,
                "langfuse.observation.cost_details",
                &serde_json::json!({ "total": total }).to_string(),
            );
        }
        let level = str_of(o, "level").unwrap_or_default();
        if !level.is_empty() {
            put_str(&mut batch, "langfuse.observation.level", &level);
        }
        let message = o.get("statusMessage").and_then(text).unwrap_or_default();
        if !message.is_empty() {
            put_str(&mut batch, "langfuse.observation.status_message", &message);
        }
        for (k, name) in [("input", "input.value"), ("output", "output.value")] {
            if let Some(v) = o.get(k).and_then(text) {
                put_str(&mut batch, name, &v);
            }
        }
        if let Some(m) = o.get("metadata").and_then(text).filter(|m| m != "{}") {
            put_str(&mut batch, "langfuse.observation.metadata", &m);
        }
        if parent.is_none() {
            if let Some(s) = &session {
                put_str(&mut batch, "langfuse.session.id", s);
            }
            if let Some(u) = &user {
                put_str(&mut batch, "langfuse.user.id", u);
            }
        }
        if !hex {
            put_str(&mut batch, "langfuse.observation.id", &raw_id);
        }
        let attrs = batch.attrs_since(a0);
        let status = if level.eq_ignore_ascii_case("ERROR") {
            StatusCode::Error
        } else {
            StatusCode::Unset
        };
        let name = batch.strings.intern(&str_of(o, "name").unwrap_or_default());
        let status_message = batch.strings.intern(if status == StatusCode::Error {
            &message
        } else {
            ""
        });
        batch.spans.push(Span {
            trace_id: TraceId(tid),
            span_id: SpanId(sid),
            parent_span_id: parent_id,
            name,
            kind: SpanKind::Internal,
            status,
            status_message,
            start,
            end,
            resource,
            scope: 0,
            attrs,
            source,
            ..Span::default()
        });
    }
    let format = if v4 {
        "Langfuse observations (v4)"
    } else {
        "Langfuse export"
    };
    Some(Decoded::new(vec![batch], true, format))
}
