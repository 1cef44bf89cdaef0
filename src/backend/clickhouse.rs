//! ClickHouse with the OpenTelemetry collector's `clickhouse` exporter schema
//! (`otel_traces` and its `otel_traces_trace_id_ts` lookup table, as ClickStack /
//! HyperDX use it), over ClickHouse's HTTP interface. Every value goes in as a query
//! parameter (`{name:Type}` with `param_name`; table names as `Identifier`), never
//! into the SQL text. Traces by id are bounded in time through the lookup table, as
//! the exporter's documentation queries them; a listing asks the engine for the
//! newest matching trace ids (filter terms as conditions the bloom-filter indexes on
//! attribute keys and values serve), then for their spans. Rows come back as
//! `JSONEachRow` and are mapped into OTLP/JSON, then decoded as a file is.

use super::http::{Answer, Client};
use super::{Backend, BackendError, Fetched, Query};
use crate::query::filter::{Glob, Pushdown};
use crate::semconv::keys::{Field, TABLE};
use serde_json::{Map, Value, json};
use std::fmt::Write as _;

/// The span columns, in the shape the row mapping reads. Schemas from before the
/// scope columns keep the scope in the span attributes (`otel.scope.name`).
fn columns(scope_columns: bool) -> String {
    let scope = if scope_columns {
        "ScopeName, ScopeVersion"
    } else {
        "SpanAttributes['otel.scope.name'] AS ScopeName, SpanAttributes['otel.scope.version'] AS ScopeVersion"
    };
    format!(
        "TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, \
         ResourceAttributes, {scope}, SpanAttributes, \
         toString(toUnixTimestamp64Nano(Timestamp)) AS StartNs, toString(Duration) AS DurationNs, \
         StatusCode, StatusMessage, \
         arrayMap(t -> toString(toUnixTimestamp64Nano(t)), `Events.Timestamp`) AS EventTimes, \
         `Events.Name` AS EventNames, `Events.Attributes` AS EventAttributes, \
         `Links.TraceId` AS LinkTraceIds, `Links.SpanId` AS LinkSpanIds, \
         `Links.TraceState` AS LinkTraceStates, `Links.Attributes` AS LinkAttributes"
    )
}

/// A query and its parameters.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sql {
    /// The SQL text, with `{name:Type}` placeholders only.
    pub text: String,
    /// `param_name` values, in ClickHouse's escaped text form.
    pub params: Vec<(String, String)>,
}

impl Sql {
    fn param(&mut self, ty: &str, value: String) -> String {
        let name = format!("p{}", self.params.len());
        self.params.push((name.clone(), value));
        format!("{{{name}:{ty}}}")
    }

    fn string(&mut self, v: &str) -> String {
        self.param("String", escape(v))
    }

    fn array(&mut self, ids: &[String]) -> String {
        let items: Vec<String> = ids.iter().map(|i| format!("'{}'", quote(i))).collect();
        self.param("Array(String)", format!("[{}]", items.join(",")))
    }
}

/// A parameter value as ClickHouse reads it (TSV escaping).
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out
}

/// Inside a quoted literal of an array parameter.
fn quote(v: &str) -> String {
    escape(v).replace('\'', "\\'")
}

/// The attribute keys the semantic conventions read for `field`.
fn keys(field: Field) -> &'static [&'static str] {
    TABLE
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(&[], |(_, k)| *k)
}

/// `column ILIKE pattern` (or `=` for an exact value, which the indexes serve).
fn matches(sql: &mut Sql, column: &str, g: &Glob) -> String {
    match g.exact() {
        Some(v) => format!("lower({column}) = {}", sql.string(v)),
        None => format!("{column} ILIKE {}", sql.string(&g.like())),
    }
}

fn any_attr(sql: &mut Sql, field: Field, g: &Glob) -> String {
    let parts: Vec<String> = keys(field)
        .iter()
        .map(|k| {
            let key = sql.string(k);
            matches(sql, &format!("SpanAttributes[{key}]"), g)
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

/// The condition one pushed-down term puts on a span.
fn condition(sql: &mut Sql, p: &Pushdown) -> String {
    match p {
        Pushdown::Failed => "StatusCode IN ('STATUS_CODE_ERROR', 'Error')".to_owned(),
        Pushdown::Session(s) => {
            let parts: Vec<String> = keys(Field::Session)
                .iter()
                .map(|k| {
                    let key = sql.string(k);
                    let v = sql.string(s);
                    format!("SpanAttributes[{key}] = {v}")
                })
                .collect();
            format!("({})", parts.join(" OR "))
        }
        Pushdown::MinDuration(ns) => format!("Duration >= {}", sql.param("UInt64", ns.to_string())),
        Pushdown::Service(g) => matches(sql, "ServiceName", g),
        Pushdown::Name(g) => matches(sql, "SpanName", g),
        Pushdown::Model(g) => {
            let a = any_attr(sql, Field::ModelRequested, g);
            let b = any_attr(sql, Field::ModelReturned, g);
            format!("({a} OR {b})")
        }
        Pushdown::Tool(g) => any_attr(sql, Field::ToolName, g),
        Pushdown::TraceId(prefix) => format!("startsWith(TraceId, {})", sql.string(prefix)),
    }
}

/// The listing: the newest `limit + 1` trace ids in the range whose spans meet every
/// pushed-down term (each term may hold on a different span of the trace).
pub fn list_sql(b: &Backend, q: &Query) -> Sql {
    let mut sql = Sql::default();
    let (from, to) = q.range();
    let db = sql.param("Identifier", b.database.clone());
    let table = sql.param("Identifier", b.table.clone());
    let lo = sql.param("Int64", from.to_string());
    let hi = sql.param("Int64", to.to_string());
    let range = format!(
        "Timestamp >= fromUnixTimestamp64Nano({lo}) AND Timestamp <= fromUnixTimestamp64Nano({hi})"
    );
    let mut terms: Vec<Pushdown> = q.pushdown.clone();
    if let Some(s) = &q.session {
        terms.push(Pushdown::Session(s.clone()));
    }
    for t in &q.traces {
        terms.push(Pushdown::TraceId(t.to_ascii_lowercase()));
    }
    let _ = write!(
        sql.text,
        "SELECT TraceId, min(Timestamp) AS Start FROM {db}.{table} WHERE {range}"
    );
    for t in &terms {
        let cond = condition(&mut sql, t);
        let _ = write!(
            sql.text,
            " AND TraceId IN (SELECT TraceId FROM {db}.{table} WHERE {range} AND {cond})"
        );
    }
    let limit = sql.param("UInt32", (q.limit() + 1).to_string());
    let _ = write!(
        sql.text,
        " GROUP BY TraceId ORDER BY Start DESC LIMIT {limit} FORMAT JSONEachRow"
    );
    sql
}

/// The spans of these traces, bounded in time by the exporter's lookup table.
pub fn spans_sql(b: &Backend, ids: &[String], lookup: bool, scope_columns: bool) -> Sql {
    let mut sql = Sql::default();
    let db = sql.param("Identifier", b.database.clone());
    let table = sql.param("Identifier", b.table.clone());
    let ids_p = sql.array(ids);
    let cols = columns(scope_columns);
    if lookup {
        let lk = sql.param("Identifier", format!("{}_trace_id_ts", b.table));
        let _ = write!(
            sql.text,
            "WITH (SELECT min(Start) FROM {db}.{lk} WHERE TraceId IN {ids_p}) AS first, \
             (SELECT max(End) + 1 FROM {db}.{lk} WHERE TraceId IN {ids_p}) AS last \
             SELECT {cols} FROM {db}.{table} WHERE TraceId IN {ids_p} \
             AND Timestamp >= first AND Timestamp <= last FORMAT JSONEachRow"
        );
    } else {
        let _ = write!(
            sql.text,
            "SELECT {cols} FROM {db}.{table} WHERE TraceId IN {ids_p} FORMAT JSONEachRow"
        );
    }
    sql
}

fn run(client: &Client, b: &Backend, sql: &Sql) -> Result<Answer, BackendError> {
    let mut url = format!("{}/?database={}", b.base(), super::http::pct(&b.database));
    for (k, v) in &sql.params {
        let _ = write!(url, "&param_{k}={}", super::http::pct(v));
    }
    let mut a = client.post(
        &url,
        &[("Content-Type", "text/plain; charset=UTF-8")],
        sql.text.as_bytes(),
    )?;
    if a.status != 200 {
        a.body = without_query_echo(&a.body);
        return Err(client.rejected(&a));
    }
    Ok(a)
}

/// A ClickHouse error without the query it echoes (`In scope SELECT …`), keeping the
/// error's name at its end: `Code: 60. DB::Exception: Unknown table … (UNKNOWN_TABLE)`.
fn without_query_echo(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let Some(at) = text.find(" In scope ") else {
        return text.as_bytes().to_vec();
    };
    let name = text
        .rfind(" (")
        .filter(|&i| i > at && text.ends_with(')'))
        .map_or("", |i| &text[i..]);
    format!("{}{name}", &text[..at]).into_bytes()
}

/// Fetches what `q` asks for.
pub fn fetch(
    client: &Client,
    b: &Backend,
    q: &Query,
    source: u32,
) -> Result<Fetched, BackendError> {
    // Full trace ids need no listing; anything else asks the engine which traces match.
    let whole = q
        .whole_ids()
        .filter(|_| q.pushdown.is_empty() && q.session.is_none());
    let (ids, more) = if let Some(ids) = whole {
        (ids, false)
    } else {
        let a = run(client, b, &list_sql(b, q))?;
        let mut ids = Vec::new();
        for line in a.body.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
            let v: Value = serde_json::from_slice(line)
                .map_err(|e| client.garbage(format!("a listing row is not JSON ({e})")))?;
            let id = v
                .get("TraceId")
                .and_then(Value::as_str)
                .ok_or_else(|| client.garbage("a listing row has no TraceId"))?;
            ids.push(id.to_owned());
        }
        let more = ids.len() > q.limit();
        ids.truncate(q.limit());
        (ids, more)
    };
    if ids.is_empty() {
        return Ok(Fetched {
            decoded: crate::decode::Decoded::new(Vec::new(), true, "ClickHouse otel_traces"),
            more,
        });
    }
    let mut body = None;
    let mut last_err = None;
    // The lookup table and the scope columns are what the current exporter creates;
    // older or hand-made schemas may lack them.
    for (lookup, scope) in [(true, true), (false, true), (true, false), (false, false)] {
        match run(client, b, &spans_sql(b, &ids, lookup, scope)) {
            Ok(a) => {
                body = Some(a.body);
                break;
            }
            Err(e @ BackendError::Rejected { .. }) => {
                let text = e.to_string();
                let schema = text.contains("UNKNOWN_TABLE")
                    || text.contains("UNKNOWN_IDENTIFIER")
                    || text.contains("Unknown")
                    || text.contains("Missing columns");
                last_err = Some(e);
                if !schema {
                    break;
                }
            }
            Err(e) => return Err(e),
        }
    }
    let Some(body) = body else {
        return Err(last_err.unwrap_or_else(|| client.garbage("no answer")));
    };
    let doc = rows_to_otlp(&body).map_err(|m| client.garbage(m))?;
    let mut bytes = serde_json::to_vec(&doc).map_err(|e| client.garbage(e.to_string()))?;
    let mut decoded = crate::decode::otlp_json::decode(&mut bytes, source, client.label(), 2)
        .map_err(|e| client.garbage(e.to_string()))?;
    decoded.format = "ClickHouse otel_traces";
    Ok(Fetched { decoded, more })
}

fn str_of<'a>(row: &'a Value, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A `Map(String, String)` column as OTLP attributes (values are strings: the
/// exporter stored them as text).
fn attributes(v: Option<&Value>) -> Value {
    let Some(Value::Object(m)) = v else {
        return json!([]);
    };
    let mut items: Vec<(&String, &Value)> = m.iter().collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    Value::Array(
        items
            .into_iter()
            .map(|(k, v)| json!({"key": k, "value": {"stringValue": v.as_str().unwrap_or("")}}))
            .collect(),
    )
}

fn kind_number(k: &str) -> u8 {
    match k
        .trim_start_matches("SPAN_KIND_")
        .to_ascii_uppercase()
        .as_str()
    {
        "INTERNAL" => 1,
        "SERVER" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => 0,
    }
}

fn status_number(s: &str) -> u8 {
    match s
        .trim_start_matches("STATUS_CODE_")
        .to_ascii_uppercase()
        .as_str()
    {
        "OK" => 1,
        "ERROR" => 2,
        _ => 0,
    }
}

fn array<'a>(row: &'a Value, key: &str) -> &'a [Value] {
    row.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `JSONEachRow` span rows as one OTLP/JSON document, a `resourceSpans` entry per
/// distinct resource and scope.
pub fn rows_to_otlp(body: &[u8]) -> Result<Value, String> {
    let mut groups: Vec<(String, Value, Value, Vec<Value>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (n, line) in body.split(|&c| c == b'\n').enumerate() {
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let row: Value =
            serde_json::from_slice(line).map_err(|e| format!("row {} is not JSON ({e})", n + 1))?;
        if !row.is_object() {
            return Err(format!("row {} is not an object", n + 1));
        }
        let start: u64 = str_of(&row, "StartNs").parse().unwrap_or(0);
        let dur: u64 = match row.get("DurationNs") {
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            Some(v) => v.as_u64().unwrap_or(0),
            None => 0,
        };
        let times = array(&row, "EventTimes");
        let names = array(&row, "EventNames");
        let eattrs = array(&row, "EventAttributes");
        let events: Vec<Value> = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                json!({
                    "timeUnixNano": t.as_str().unwrap_or("0"),
                    "name": names.get(i).and_then(Value::as_str).unwrap_or(""),
                    "attributes": attributes(eattrs.get(i)),
                })
            })
            .collect();
        let ltraces = array(&row, "LinkTraceIds");
        let lspans = array(&row, "LinkSpanIds");
        let lstates = array(&row, "LinkTraceStates");
        let lattrs = array(&row, "LinkAttributes");
        let links: Vec<Value> = ltraces
            .iter()
            .enumerate()
            .map(|(i, t)| {
                json!({
                    "traceId": t.as_str().unwrap_or(""),
                    "spanId": lspans.get(i).and_then(Value::as_str).unwrap_or(""),
                    "traceState": lstates.get(i).and_then(Value::as_str).unwrap_or(""),
                    "attributes": attributes(lattrs.get(i)),
                })
            })
            .collect();
        let mut span = Map::new();
        span.insert("traceId".into(), json!(str_of(&row, "TraceId")));
        span.insert("spanId".into(), json!(str_of(&row, "SpanId")));
        if !str_of(&row, "ParentSpanId").is_empty() {
            span.insert("parentSpanId".into(), json!(str_of(&row, "ParentSpanId")));
        }
        if !str_of(&row, "TraceState").is_empty() {
            span.insert("traceState".into(), json!(str_of(&row, "TraceState")));
        }
        span.insert("name".into(), json!(str_of(&row, "SpanName")));
        span.insert("kind".into(), json!(kind_number(str_of(&row, "SpanKind"))));
        span.insert("startTimeUnixNano".into(), json!(start.to_string()));
        span.insert(
            "endTimeUnixNano".into(),
            json!(start.saturating_add(dur).to_string()),
        );
        span.insert("attributes".into(), attributes(row.get("SpanAttributes")));
        span.insert(
            "status".into(),
            json!({"code": status_number(str_of(&row, "StatusCode")), "message": str_of(&row, "StatusMessage")}),
        );
        if !events.is_empty() {
            span.insert("events".into(), Value::Array(events));
        }
        if !links.is_empty() {
            span.insert("links".into(), Value::Array(links));
        }
        let resource = attributes(row.get("ResourceAttributes"));
        let scope =
            json!({"name": str_of(&row, "ScopeName"), "version": str_of(&row, "ScopeVersion")});
        let key = format!("{resource}\u{0}{scope}");
        let at = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, resource, scope, Vec::new()));
            groups.len() - 1
        });
        groups[at].3.push(Value::Object(span));
    }
    Ok(json!({
        "resourceSpans": groups
            .into_iter()
            .map(|(_, resource, scope, spans)| json!({
                "resource": {"attributes": resource},
                "scopeSpans": [{"scope": scope, "spans": spans}],
            }))
            .collect::<Vec<_>>()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> Backend {
        Backend::parse("clickhouse://ch:8123/otel").expect("url")
    }

    #[test]
    fn every_value_is_a_parameter_never_sql_text() {
        let q = Query {
            session: Some("conv-1' OR 1=1 --".into()),
            pushdown: vec![
                Pushdown::Failed,
                Pushdown::Model(Glob {
                    parts: vec!["gpt-4o".into()],
                    anchored_start: true,
                    anchored_end: false,
                }),
            ],
            from: Some(1),
            to: Some(2),
            limit: Some(10),
            ..Query::default()
        };
        let sql = list_sql(&backend(), &q);
        assert!(!sql.text.contains("conv-1"), "{}", sql.text);
        assert!(!sql.text.contains("gpt"), "{}", sql.text);
        assert!(!sql.text.contains("otel"), "{}", sql.text);
        assert!(sql.params.iter().any(|(_, v)| v == "conv-1' OR 1=1 --"));
        assert!(sql.params.iter().any(|(_, v)| v == "gpt-4o%"));
        assert!(
            sql.params.iter().any(|(_, v)| v == "11"),
            "limit + 1 detects more"
        );
        assert!(sql.text.contains("{p0:Identifier}.{p1:Identifier}"));
        let spans = spans_sql(&backend(), &["ab".repeat(16)], true, true);
        assert!(
            spans.text.contains("_trace_id_ts")
                || spans
                    .params
                    .iter()
                    .any(|(_, v)| v.ends_with("_trace_id_ts"))
        );
        assert!(
            spans
                .params
                .iter()
                .any(|(_, v)| v == &format!("['{}']", "ab".repeat(16)))
        );
    }

    #[test]
    fn errors_lose_the_echoed_query_but_keep_their_name() {
        let e = b"Code: 60. DB::Exception: Unknown table expression identifier 'otel.nope'. In scope SELECT TraceId FROM otel.nope WHERE x. (UNKNOWN_TABLE)\n";
        assert_eq!(
            String::from_utf8_lossy(&without_query_echo(e)),
            "Code: 60. DB::Exception: Unknown table expression identifier 'otel.nope'. (UNKNOWN_TABLE)"
        );
    }

    #[test]
    fn escaping_follows_the_text_format() {
        assert_eq!(escape("a\tb\\c\nd"), "a\\tb\\\\c\\nd");
        assert_eq!(quote("it's"), "it\\'s");
    }

    #[test]
    fn rows_become_otlp_with_kinds_status_events_and_links() {
        let row = r#"{"TraceId":"0af7651916cd43dd8448eb211c80319c","SpanId":"b000000000000001","ParentSpanId":"","TraceState":"","SpanName":"invoke_agent","SpanKind":"SPAN_KIND_SERVER","ServiceName":"svc","ResourceAttributes":{"service.name":"svc"},"ScopeName":"s","ScopeVersion":"1","SpanAttributes":{"gen_ai.usage.input_tokens":"12"},"StartNs":"1000","DurationNs":"500","StatusCode":"STATUS_CODE_ERROR","StatusMessage":"boom","EventTimes":["1100"],"EventNames":["exception"],"EventAttributes":[{"exception.message":"boom"}],"LinkTraceIds":["4bf92f3577b34da6a3ce929d0e0e4736"],"LinkSpanIds":["a000000000000001"],"LinkTraceStates":[""],"LinkAttributes":[{}]}"#;
        let doc = rows_to_otlp(row.as_bytes()).expect("maps");
        let span = &doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["kind"], 2);
        assert_eq!(span["status"]["code"], 2);
        assert_eq!(span["endTimeUnixNano"], "1500");
        assert_eq!(span["events"][0]["name"], "exception");
        assert_eq!(span["links"][0]["spanId"], "a000000000000001");
        assert!(rows_to_otlp(b"not json").is_err());
    }
}
