//! Grafana Tempo's HTTP API. A trace by id comes from `/api/v2/traces/{id}` asking
//! for protobuf (a `TraceByIDResponse` whose `trace` is wire-identical to OTLP
//! `TracesData`, so none of the JSON's oddities — base64 ids, enum names, the
//! `batches` key — arise), and JSON is still read when that is what comes back.
//! A search goes to `/api/search` with TraceQL built from the query (a session, a
//! failed status, a duration, a service, a model, a tool, a span name), then each
//! trace found is fetched by id, a few at a time.

use super::Target;
use super::http::{Client, pct};
use super::{Backend, BackendError, Fetched, Query};
use crate::decode::Decoded;
use crate::query::filter::{Glob, Pushdown};
use crate::semconv::keys::{Field, TABLE};
use prost::Message as _;

/// Traces fetched at the same time after a search.
const PARALLEL: usize = 4;

/// Tempo's `TraceByIDResponse`: `trace` (field 1) is wire-identical to `TracesData`;
/// `status` (3) is PARTIAL (1) when the trace was too large to return whole, and
/// `message` (4) says why.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TraceByIdResponse {
    /// The trace.
    #[prost(message, optional, tag = "1")]
    pub trace: Option<opentelemetry_proto::tonic::trace::v1::TracesData>,
    /// 0 complete, 1 partial.
    #[prost(int32, tag = "3")]
    pub status: i32,
    /// Why it is partial.
    #[prost(string, tag = "4")]
    pub message: String,
}

/// A TraceQL string literal.
fn literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `attr = "v"` where case cannot matter, else `attr =~ "(?i)regex"` (the filter
/// language ignores case, so the engine must not narrow by it).
fn compare(attr: &str, g: &Glob) -> String {
    match g.exact() {
        Some(v) if !v.chars().any(char::is_alphabetic) => format!("{attr} = {}", literal(v)),
        _ => format!("{attr} =~ {}", literal(&g.regex())),
    }
}

fn keys(field: Field) -> &'static [&'static str] {
    TABLE
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(&[], |(_, k)| *k)
}

/// An attribute name in TraceQL (quoted when it is not a plain dotted name).
fn attr(scope: &str, key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        format!("{scope}.{key}")
    } else {
        format!("{scope}.{}", literal(key))
    }
}

fn any_of(field: Field, g: &Glob) -> String {
    keys(field)
        .iter()
        .map(|k| compare(&attr("span", k), g))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// The TraceQL for a query: one spanset per condition, all required (`&&`), `{}`
/// when there is none.
pub fn traceql(q: &Query) -> String {
    let mut sets: Vec<String> = Vec::new();
    if let Some(s) = &q.session {
        sets.push(session(s));
    }
    for p in &q.pushdown {
        let set = match p {
            Pushdown::Failed => "status = error".to_owned(),
            Pushdown::Session(s) => session(s),
            Pushdown::MinDuration(ns) => format!("duration >= {ns}ns"),
            Pushdown::Service(g) => compare("resource.service.name", g),
            Pushdown::Name(g) => compare("name", g),
            Pushdown::Model(g) => format!(
                "{} || {}",
                any_of(Field::ModelRequested, g),
                any_of(Field::ModelReturned, g)
            ),
            Pushdown::Tool(g) => any_of(Field::ToolName, g),
            Pushdown::TraceId(_) => continue,
        };
        sets.push(set);
    }
    if sets.is_empty() {
        return "{}".to_owned();
    }
    sets.iter()
        .map(|s| format!("{{ {s} }}"))
        .collect::<Vec<_>>()
        .join(" && ")
}

fn session(s: &str) -> String {
    keys(Field::Session)
        .iter()
        .map(|k| format!("{} = {}", attr("span", k), literal(s)))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// The search URL.
pub fn search_url(b: &Backend, q: &Query) -> String {
    let (from, to) = q.range();
    format!(
        "{}/api/search?q={}&start={}&end={}&limit={}",
        b.base(),
        pct(&traceql(q)),
        from / 1_000_000_000,
        to / 1_000_000_000 + 1,
        q.limit() + 1
    )
}

/// One trace: protobuf asked for, JSON read when that comes.
fn by_id(
    client: &Client,
    b: &Backend,
    id: &str,
    to: &Target<'_>,
) -> Result<Option<Decoded>, BackendError> {
    let a = client.get(
        &format!("{}/api/v2/traces/{}", b.base(), pct(id)),
        &[("Accept", "application/protobuf")],
    )?;
    match a.status {
        200 => {}
        404 => return Ok(None),
        _ => return Err(client.rejected(&a)),
    }
    let is_json = a.content_type.contains("json") || a.body.first() == Some(&b'{');
    let mut d = if is_json {
        // {"trace": {"resourceSpans" | "batches": …}, "status": …} or v1 {"batches": …}.
        let v: serde_json::Value = serde_json::from_slice(&a.body)
            .map_err(|e| client.garbage(format!("the trace is neither protobuf nor JSON ({e})")))?;
        let inner = v.get("trace").cloned().unwrap_or(v);
        let bytes = serde_json::to_vec(&inner).map_err(|e| client.garbage(e.to_string()))?;
        (to.decode)(bytes, client.label(), to.source)
            .map_err(|e| client.garbage(crate::sanitize::sanitize(&e)))?
    } else {
        let r = TraceByIdResponse::decode(a.body.as_slice())
            .map_err(|e| client.garbage(format!("the trace is not a TraceByIDResponse ({e})")))?;
        let partial = r.status == 1;
        let td = r.trace.unwrap_or_default();
        if td.resource_spans.is_empty() {
            return Ok(None);
        }
        let bytes = td.encode_to_vec();
        let mut d = (to.decode)(bytes, client.label(), to.source)
            .map_err(|e| client.garbage(crate::sanitize::sanitize(&e)))?;
        if partial {
            d.batches.push(crate::model::Batch {
                warnings: vec![crate::model::Warning {
                    source: client.label().to_owned(),
                    position: crate::model::Position::Whole,
                    message: format!(
                        "trace {id} is partial: {}",
                        crate::sanitize::sanitize(&r.message)
                    ),
                }],
                ..Default::default()
            });
        }
        d
    };
    d.format = "Tempo";
    Ok(Some(d))
}

/// Fetches what `q` asks for.
pub fn fetch(
    client: &Client,
    b: &Backend,
    q: &Query,
    to: &Target<'_>,
) -> Result<Fetched, BackendError> {
    let (ids, more) = if let Some(ids) = q.whole_ids() {
        (ids, false)
    } else {
        let a = client.get(&search_url(b, q), &[("Accept", "application/json")])?;
        if a.status != 200 {
            return Err(client.rejected(&a));
        }
        let v: serde_json::Value = serde_json::from_slice(&a.body)
            .map_err(|e| client.garbage(format!("the search answer is not JSON ({e})")))?;
        let list = v
            .get("traces")
            .map(|t| t.as_array().cloned().unwrap_or_default())
            .ok_or_else(|| client.garbage("the search answer has no traces list"))?;
        let mut ids: Vec<String> = list
            .iter()
            .filter_map(|t| t.get("traceID").and_then(|i| i.as_str()))
            .filter(|i| !i.is_empty() && i.len() <= 32 && i.bytes().all(|c| c.is_ascii_hexdigit()))
            // Tempo drops leading zeros from ids.
            .map(|i| format!("{:0>32}", i.to_ascii_lowercase()))
            .filter(|i| {
                q.traces.is_empty()
                    || q.traces
                        .iter()
                        .any(|p| i.starts_with(&p.to_ascii_lowercase()))
            })
            .collect();
        let more = ids.len() > q.limit();
        ids.truncate(q.limit());
        (ids, more)
    };
    let mut decoded = Decoded::new(Vec::new(), true, "Tempo");
    for chunk in ids.chunks(PARALLEL) {
        let results: Vec<Result<Option<Decoded>, BackendError>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|id| s.spawn(move || by_id(client, b, id, to)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(client.garbage("a fetch failed")))
                })
                .collect()
        });
        for r in results {
            if let Some(d) = r? {
                decoded.batches.extend(d.batches);
            }
        }
    }
    Ok(Fetched { decoded, more })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::filter::Filter;

    #[test]
    fn traceql_from_a_session_and_the_filter() {
        let q = Query {
            session: Some("conv-\"88\"".into()),
            pushdown: Filter::parse(
                "status:error dur>2s service:checkout model:gpt-4o* tool:refund_payment",
            )
            .expect("filter")
            .pushdown(),
            ..Query::default()
        };
        let t = traceql(&q);
        assert!(
            t.starts_with(
                "{ span.gen_ai.conversation.id = \"conv-\\\"88\\\"\" || span.session.id = "
            ),
            "{t}"
        );
        assert!(t.contains("} && { status = error } && { duration >= 2000000000ns } && { resource.service.name =~ \"(?i)checkout\" }"), "{t}");
        assert!(
            t.contains("span.gen_ai.request.model =~ \"(?i)gpt-4o.*\""),
            "{t}"
        );
        assert!(
            t.contains("{ span.gen_ai.tool.name =~ \"(?i)refund_payment\""),
            "{t}"
        );
        assert_eq!(traceql(&Query::default()), "{}");
    }
}
