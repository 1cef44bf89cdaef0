//! Jaeger's query API: v2/v3 (`/api/v3/traces/{id}`, `/api/v3/traces?query.*`, OTLP
//! JSON wrapped in `{"result": …}`), falling back to the v1 JSON API
//! (`/api/traces/{id}`, `/api/traces?service=…`) of older deployments. Jaeger
//! searches one service at a time: a `service:` term names it, otherwise every
//! service the server lists is searched (up to [`MAX_SERVICES`]). A session goes in
//! as an attribute condition (`query.attributes`, Jaeger 2.19+; `tags` on v1), a
//! duration as the minimum; the rest of the filter runs locally (Jaeger compares
//! attribute values exactly, the filter language ignores case).

use super::Target;
use super::http::{Answer, Client, pct};
use super::{Backend, BackendError, Fetched, Query};
use crate::decode::Decoded;
use crate::query::filter::Pushdown;

/// Services searched at most when the query names none.
pub const MAX_SERVICES: usize = 20;

/// The API generation a server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    V3,
    V1,
}

fn decode(client: &Client, body: Vec<u8>, to: &Target<'_>) -> Result<Decoded, BackendError> {
    (to.decode)(body, client.label(), to.source)
        .map_err(|e| client.garbage(crate::sanitize::sanitize(&e)))
}

/// Whether an answer is Jaeger's "not found" for a trace (v3 error object or v1
/// `errors` list), rather than a server without that API.
fn not_found(a: &Answer) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&a.body) else {
        return false;
    };
    v.get("error").is_some() || v.get("errors").is_some_and(|e| !e.is_null())
}

/// A v3 or v1 answer with no traces in it.
fn empty(a: &Answer) -> bool {
    match serde_json::from_slice::<serde_json::Value>(&a.body) {
        Ok(v) => {
            v.get("data")
                .is_some_and(|d| d.is_null() || d.as_array().is_some_and(Vec::is_empty))
                || v.get("result")
                    .and_then(|r| r.get("resourceSpans"))
                    .is_some_and(|r| r.as_array().is_some_and(Vec::is_empty))
                || v.get("result").is_some_and(|r| r.is_null())
        }
        Err(_) => false,
    }
}

/// One trace by id: v3 first, v1 when the server has no v3.
fn by_id(
    client: &Client,
    b: &Backend,
    id: &str,
    to: &Target<'_>,
) -> Result<Option<Decoded>, BackendError> {
    let v3 = client.get(
        &format!("{}/api/v3/traces/{}", b.base(), pct(id)),
        &[("Accept", "application/json")],
    )?;
    let a = if v3.status == 404 && !not_found(&v3) {
        client.get(
            &format!("{}/api/traces/{}", b.base(), pct(id)),
            &[("Accept", "application/json")],
        )?
    } else {
        v3
    };
    match a.status {
        200 if empty(&a) => Ok(None),
        200 => decode(client, a.body, to).map(Some),
        404 => Ok(None),
        _ => Err(client.rejected(&a)),
    }
}

/// The attribute conditions Jaeger can search on, as a JSON object.
fn attributes(q: &Query) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    if let Some(s) = &q.session {
        out.insert("gen_ai.conversation.id".into(), s.clone().into());
    }
    // Jaeger compares attribute values exactly and with case; model and tool terms
    // ignore case, so they are left to the local filter.
    for p in &q.pushdown {
        if let Pushdown::Session(s) = p {
            out.insert("gen_ai.conversation.id".into(), s.clone().into());
        }
    }
    out
}

fn rfc3339(ns: u64) -> String {
    let secs = (ns / 1_000_000_000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::format::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ns % 1_000_000_000
    )
}

/// The v3 search URL for one service (canonical and pre-2.20 parameter names both
/// given: a server reads the ones it knows).
pub fn search_url_v3(b: &Backend, q: &Query, service: &str) -> String {
    let (from, to) = q.range();
    let limit = (q.limit() + 1).to_string();
    let mut params: Vec<(&str, String)> = vec![
        ("query.serviceName", service.to_owned()),
        ("query.service_name", service.to_owned()),
        ("query.startTimeMin", rfc3339(from)),
        ("query.start_time_min", rfc3339(from)),
        ("query.startTimeMax", rfc3339(to)),
        ("query.start_time_max", rfc3339(to)),
        ("query.searchDepth", limit.clone()),
        ("query.num_traces", limit),
    ];
    for p in &q.pushdown {
        if let Pushdown::MinDuration(ns) = p {
            params.push(("query.durationMin", format!("{ns}ns")));
            params.push(("query.duration_min", format!("{ns}ns")));
        }
        if let Pushdown::Name(g) = p
            && let Some(op) = g.exact()
        {
            params.push(("query.operationName", op.to_owned()));
        }
    }
    let attrs = attributes(q);
    if !attrs.is_empty() {
        params.push((
            "query.attributes",
            serde_json::Value::Object(attrs).to_string(),
        ));
    }
    let qs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", pct(v)))
        .collect();
    format!("{}/api/v3/traces?{}", b.base(), qs.join("&"))
}

/// The v1 search URL for one service.
pub fn search_url_v1(b: &Backend, q: &Query, service: &str) -> String {
    let (from, to) = q.range();
    let mut params: Vec<(&str, String)> = vec![
        ("service", service.to_owned()),
        ("start", (from / 1000).to_string()),
        ("end", (to / 1000).to_string()),
        ("limit", (q.limit() + 1).to_string()),
    ];
    for p in &q.pushdown {
        if let Pushdown::MinDuration(ns) = p {
            params.push(("minDuration", format!("{}us", ns / 1000)));
        }
    }
    let attrs = attributes(q);
    if !attrs.is_empty() {
        params.push(("tags", serde_json::Value::Object(attrs).to_string()));
    }
    let qs: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", pct(v)))
        .collect();
    format!("{}/api/traces?{}", b.base(), qs.join("&"))
}

/// The services to search, and which API the server speaks.
fn services(client: &Client, b: &Backend, q: &Query) -> Result<(Vec<String>, Api), BackendError> {
    let named: Vec<String> = q
        .pushdown
        .iter()
        .filter_map(|p| match p {
            Pushdown::Service(g) => g.exact().map(str::to_owned),
            _ => None,
        })
        .collect();
    let v3 = client.get(
        &format!("{}/api/v3/services", b.base()),
        &[("Accept", "application/json")],
    )?;
    let (api, a) = if v3.status == 404 {
        let v1 = client.get(
            &format!("{}/api/services", b.base()),
            &[("Accept", "application/json")],
        )?;
        (Api::V1, v1)
    } else {
        (Api::V3, v3)
    };
    if !named.is_empty() {
        return Ok((named, api));
    }
    if a.status != 200 {
        return Err(client.rejected(&a));
    }
    let v: serde_json::Value = serde_json::from_slice(&a.body)
        .map_err(|e| client.garbage(format!("the service list is not JSON ({e})")))?;
    let list = v
        .get("services")
        .or_else(|| v.get("data"))
        .and_then(|s| s.as_array())
        .ok_or_else(|| client.garbage("the service list has no services"))?;
    let mut names: Vec<String> = list
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .filter(|s| !s.starts_with("jaeger"))
        .collect();
    names.sort();
    names.truncate(MAX_SERVICES);
    Ok((names, api))
}

/// Counts the distinct trace ids of a decoded answer.
fn trace_count(d: &Decoded) -> usize {
    let mut ids: Vec<_> = d
        .batches
        .iter()
        .flat_map(|b| b.spans.iter().map(|s| s.trace_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// Fetches what `q` asks for.
pub fn fetch(
    client: &Client,
    b: &Backend,
    q: &Query,
    to: &Target<'_>,
) -> Result<Fetched, BackendError> {
    let mut decoded = Decoded::new(Vec::new(), true, "Jaeger query API");
    let mut more = false;
    if let Some(ids) = q.whole_ids() {
        for id in &ids {
            if let Some(d) = by_id(client, b, id, to)? {
                decoded.batches.extend(d.batches);
            }
        }
        return Ok(Fetched { decoded, more });
    }
    let (services, api) = services(client, b, q)?;
    for service in services {
        let url = match api {
            Api::V3 => search_url_v3(b, q, &service),
            Api::V1 => search_url_v1(b, q, &service),
        };
        let a = client.get(&url, &[("Accept", "application/json")])?;
        if a.status == 404 || (a.status == 200 && empty(&a)) {
            continue;
        }
        if a.status != 200 {
            return Err(client.rejected(&a));
        }
        let d = decode(client, a.body, to)?;
        more |= trace_count(&d) > q.limit();
        decoded.batches.extend(d.batches);
    }
    Ok(Fetched { decoded, more })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::filter::Filter;

    #[test]
    fn search_urls_carry_the_time_range_limit_and_attributes() {
        let b = Backend::parse("jaeger://jaeger:16686").expect("url");
        let q = Query {
            session: Some("conv 88".into()),
            pushdown: Filter::parse("dur>2s model:gpt-4o")
                .expect("filter")
                .pushdown(),
            from: Some(1_764_000_000_000_000_000),
            to: Some(1_764_003_600_000_000_000),
            limit: Some(20),
            ..Query::default()
        };
        let url = search_url_v3(&b, &q, "support-agent");
        assert!(
            url.starts_with("http://jaeger:16686/api/v3/traces?query.serviceName=support%2Dagent"),
            "{url}"
        );
        assert!(
            url.contains("query.startTimeMin=2025%2D11%2D24T16%3A00%3A00%2E000000000Z"),
            "{url}"
        );
        assert!(url.contains("query.searchDepth=21"), "{url}");
        assert!(url.contains("query.durationMin=2000000000ns"), "{url}");
        let attrs = pct(r#"{"gen_ai.conversation.id":"conv 88"}"#);
        assert!(url.contains(&format!("query.attributes={attrs}")), "{url}");
        let v1 = search_url_v1(&b, &q, "support-agent");
        assert!(
            v1.contains("start=1764000000000000")
                && v1.contains("limit=21")
                && v1.contains("minDuration=2000000us"),
            "{v1}"
        );
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
    }
}
