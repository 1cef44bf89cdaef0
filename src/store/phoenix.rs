//! Arize Phoenix's local store (`phoenix.db`), read-only: `projects` → `traces` →
//! `spans`, attributes as dot-nested JSON (flattened back to dotted keys), parents by
//! span id, OpenInference kinds, costs from `span_costs` as provided costs. Layout
//! facts: `../shared/reference/phoenix-store.md`.

use super::codec;
use crate::model::{
    AttrValue, Batch, Event, Resource, Scope, Span, SpanId, SpanKind, StatusCode, TraceId,
    decode_id,
};
use rusqlite::Connection;
use serde_json::Value;

/// Phoenix timestamps: ISO-8601 text with `T` or a space, optional fraction and offset.
pub fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date, rest) = s.split_at(s.find(['T', ' '])?);
    let rest = &rest[1..];
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    // Offset: trailing Z, +HH:MM or -HH:MM.
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0i64)
    } else if let Some(p) = rest.rfind(['+', '-']).filter(|&p| p >= 8) {
        let (t, off) = rest.split_at(p);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let mut hm = off[1..].split(':');
        let h: i64 = hm
            .next()?
            .parse()
            .ok()
            .filter(|h: &i64| (0..=26).contains(h))?;
        let mi: i64 = hm
            .next()
            .unwrap_or("0")
            .parse()
            .ok()
            .filter(|m: &i64| (0..=59).contains(m))?;
        (t, sign * (h * 3600 + mi * 60))
    } else {
        (rest, 0)
    };
    let mut parts = time.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let mi: i64 = parts.next()?.parse().ok()?;
    let sec_text = parts.next().unwrap_or("0");
    let (sec, frac) = match sec_text.split_once('.') {
        Some((a, b)) => (a.parse::<i64>().ok()?, b),
        None => (sec_text.parse::<i64>().ok()?, ""),
    };
    let nanos: i64 = format!("{frac:0<9}").get(..9)?.parse().ok()?;
    crate::format::unix_nanos(y, m, day, h, mi, sec, nanos, offset_secs)
}

/// Loads every Phoenix span as one batch (one resource per project).
pub fn load(conn: &Connection, source: u32) -> rusqlite::Result<Batch> {
    let mut batch = Batch::default();
    let scope = batch.strings.intern("phoenix");
    batch.scopes.push(Scope {
        name: scope,
        ..Scope::default()
    });
    let mut projects = rustc_hash::FxHashMap::default();
    {
        let mut st = conn.prepare("SELECT id, name FROM projects")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let name: String = r.get(1)?;
            let start = batch.attrs.len();
            let key = batch.strings.intern("service.name");
            let value = AttrValue::string(&mut batch.strings, &name);
            batch.attrs.push(crate::model::Attr { key, value });
            let svc = batch.strings.intern(&name);
            projects.insert(id, batch.resources.len() as u32);
            batch.resources.push(Resource {
                service: svc,
                attrs: batch.attrs_since(start),
                dropped: 0,
            });
        }
    }
    if batch.resources.is_empty() {
        batch.resources.push(Resource::default());
    }
    let has_costs = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='span_costs'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    let sql = format!(
        "SELECT t.trace_id, t.project_rowid, s.span_id, s.parent_id, s.name, s.span_kind, s.start_time, s.end_time, s.attributes, s.events, s.status_code, s.status_message, {} FROM spans s JOIN traces t ON t.id = s.trace_rowid",
        if has_costs {
            "(SELECT total_cost FROM span_costs c WHERE c.span_rowid = s.id)"
        } else {
            "NULL"
        }
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let trace: String = r.get(0)?;
        let project: i64 = r.get(1)?;
        let span_id: String = r.get(2)?;
        let parent: Option<String> = r.get(3)?;
        let name: String = r.get(4)?;
        let kind: Option<String> = r.get(5)?;
        let start: String = r.get(6)?;
        let end: Option<String> = r.get(7)?;
        let attrs_json: Option<String> = r.get(8)?;
        let events_json: Option<String> = r.get(9)?;
        let status: Option<String> = r.get(10)?;
        let message: Option<String> = r.get(11)?;
        let cost: Option<f64> = r.get(12)?;
        let (Ok(t), Ok(s)) = (
            decode_id::<16>(&trace, "trace id"),
            decode_id::<8>(&span_id, "span id"),
        ) else {
            continue;
        };
        let attrs_value: Value = attrs_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or(Value::Null);
        let attr_start = batch.attrs.len();
        codec::push_nested_json(&mut batch, &attrs_value);
        // The span_kind column is the OpenInference kind; keep it as the attribute
        // the conventions read, unless the attributes already carry it.
        let oi = batch.strings.intern("openinference.span.kind");
        if let Some(k) = kind.filter(|k| !k.is_empty())
            && !batch.attrs[attr_start..].iter().any(|a| a.key == oi)
        {
            let value = AttrValue::string(&mut batch.strings, &k);
            batch.attrs.push(crate::model::Attr { key: oi, value });
        }
        if let Some(c) = cost {
            let key = batch.strings.intern("llm.cost.total");
            if !batch.attrs[attr_start..].iter().any(|a| a.key == key) {
                batch.attrs.push(crate::model::Attr {
                    key,
                    value: AttrValue::Double(c),
                });
            }
        }
        let attrs = batch.attrs_since(attr_start);
        let ev_start = batch.events.len();
        if let Some(Value::Array(evs)) = events_json
            .as_deref()
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
        {
            for e in evs {
                let name = e
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("event")
                    .to_owned();
                let time = e
                    .get("timestamp")
                    .and_then(Value::as_str)
                    .and_then(parse_time)
                    .unwrap_or(0);
                let a = codec::push_nested_json(
                    &mut batch,
                    e.get("attributes").unwrap_or(&Value::Null),
                );
                let name = batch.strings.intern(&name);
                batch.events.push(Event {
                    time,
                    name,
                    attrs: a,
                    dropped: 0,
                });
            }
        }
        let events = batch.events_since(ev_start);
        let parent_span_id = parent
            .filter(|p| !p.is_empty())
            .and_then(|p| decode_id::<8>(&p, "span id").ok())
            .map(SpanId)
            .unwrap_or(SpanId::NONE);
        let span = Span {
            trace_id: TraceId(t),
            span_id: SpanId(s),
            parent_span_id,
            name: batch.strings.intern(&name),
            kind: SpanKind::Internal,
            status: StatusCode::from_name(status.as_deref().unwrap_or("UNSET")).unwrap_or_default(),
            status_message: batch.strings.intern(message.as_deref().unwrap_or("")),
            start: parse_time(&start).unwrap_or(0),
            end: end.as_deref().and_then(parse_time).unwrap_or(0),
            resource: projects.get(&project).copied().unwrap_or(0),
            scope: 0,
            attrs,
            events,
            source,
            ..Span::default()
        };
        batch.spans.push(span);
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phoenix_timestamps() {
        assert_eq!(
            parse_time("2025-11-21T03:12:00+00:00"),
            Some(1_763_694_720_000_000_000)
        );
        assert_eq!(
            parse_time("2025-11-21 03:12:00.5"),
            Some(1_763_694_720_500_000_000)
        );
        assert_eq!(
            parse_time("2025-11-21 05:12:00.000001+02:00"),
            Some(1_763_694_720_000_001_000)
        );
        assert_eq!(
            parse_time("2025-11-21T03:12:00Z"),
            Some(1_763_694_720_000_000_000)
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}
