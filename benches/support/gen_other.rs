//! The benchmark dumps in the other formats agtrace reads — Jaeger query-API JSON,
//! Zipkin v2 JSON and the collector's debug-exporter text — written from the same
//! in-memory runs as the OTLP encodings, mapped the way the collector's translators
//! and its otlptext marshaler do, so load speed compares format against format.

use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use serde_json::{Value, json};
use std::io::{self, Write};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn plain(a: &KeyValue) -> Value {
    match a.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(v)) => Value::from(v.as_str()),
        Some(any_value::Value::IntValue(v)) => Value::from(*v),
        Some(any_value::Value::BoolValue(v)) => Value::from(*v),
        Some(any_value::Value::DoubleValue(v)) => Value::from(*v),
        _ => Value::Null,
    }
}

fn jaeger_tag(a: &KeyValue) -> Value {
    let (t, v) = match a.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::IntValue(v)) => ("int64", Value::from(*v)),
        Some(any_value::Value::BoolValue(v)) => ("bool", Value::from(*v)),
        Some(any_value::Value::DoubleValue(v)) => ("float64", Value::from(*v)),
        _ => ("string", plain(a)),
    };
    json!({"key": a.key, "type": t, "value": v})
}

/// A resource's `service.name`, as JSON (null when it has none).
fn service_of(res: &opentelemetry_proto::tonic::resource::v1::Resource) -> Value {
    res.attributes
        .iter()
        .find(|a| a.key == "service.name")
        .map(plain)
        .unwrap_or_default()
}

const KINDS: [&str; 6] = ["", "internal", "server", "client", "producer", "consumer"];

/// Jaeger's `{"data": [{traceID, spans, processes}]}`, one entry per trace.
pub fn write_jaeger(out: &mut impl Write, rs: &[ResourceSpans]) -> io::Result<()> {
    let mut traces: Vec<(Vec<u8>, Vec<Value>, Value)> = Vec::new();
    for r in rs {
        let res = r.resource.clone().unwrap_or_default();
        let service = service_of(&res);
        let process = json!({
            "serviceName": service,
            "tags": res.attributes.iter().filter(|a| a.key != "service.name").map(jaeger_tag).collect::<Vec<_>>(),
        });
        for ss in &r.scope_spans {
            for sp in &ss.spans {
                if traces.last().is_none_or(|t| t.0 != sp.trace_id) {
                    traces.push((sp.trace_id.clone(), Vec::new(), process.clone()));
                }
                let mut tags: Vec<Value> = sp.attributes.iter().map(jaeger_tag).collect();
                if let Some(k) = KINDS.get(sp.kind as usize).filter(|k| !k.is_empty()) {
                    tags.push(json!({"key": "span.kind", "type": "string", "value": k}));
                }
                let st = sp.status.clone().unwrap_or_default();
                if st.code == 2 {
                    tags.push(
                        json!({"key": "otel.status_code", "type": "string", "value": "ERROR"}),
                    );
                    tags.push(json!({"key": "error", "type": "bool", "value": true}));
                    tags.push(json!({"key": "otel.status_description", "type": "string", "value": st.message}));
                }
                let refs: Vec<Value> = if sp.parent_span_id.is_empty() {
                    Vec::new()
                } else {
                    vec![
                        json!({"refType": "CHILD_OF", "traceID": hex(&sp.trace_id), "spanID": hex(&sp.parent_span_id)}),
                    ]
                };
                let logs: Vec<Value> = sp
                    .events
                    .iter()
                    .map(|e| {
                        let mut fields =
                            vec![json!({"key": "event", "type": "string", "value": e.name})];
                        fields.extend(e.attributes.iter().map(jaeger_tag));
                        json!({"timestamp": e.time_unix_nano / 1000, "fields": fields})
                    })
                    .collect();
                if let Some(t) = traces.last_mut() {
                    t.1.push(json!({
                        "traceID": hex(&sp.trace_id),
                        "spanID": hex(&sp.span_id),
                        "operationName": sp.name,
                        "references": refs,
                        "startTime": sp.start_time_unix_nano / 1000,
                        "duration": (sp.end_time_unix_nano - sp.start_time_unix_nano) / 1000,
                        "tags": tags,
                        "logs": logs,
                        "processID": "p1",
                        "warnings": null,
                    }));
                }
            }
        }
    }
    out.write_all(b"{\"data\":[")?;
    for (k, (id, spans, process)) in traces.iter().enumerate() {
        if k > 0 {
            out.write_all(b",")?;
        }
        let t = json!({"traceID": hex(id), "spans": spans, "processes": {"p1": process}, "warnings": null});
        serde_json::to_writer(&mut *out, &t).map_err(io::Error::other)?;
    }
    out.write_all(b"],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}\n")
}

/// A Zipkin v2 span array.
pub fn write_zipkin(out: &mut impl Write, rs: &[ResourceSpans]) -> io::Result<()> {
    out.write_all(b"[")?;
    let mut first = true;
    for r in rs {
        let res = r.resource.clone().unwrap_or_default();
        let service = service_of(&res);
        for ss in &r.scope_spans {
            for sp in &ss.spans {
                let mut tags = serde_json::Map::new();
                for a in &sp.attributes {
                    let v = match plain(a) {
                        Value::String(s) => s,
                        v => v.to_string(),
                    };
                    tags.insert(a.key.clone(), Value::String(v));
                }
                let st = sp.status.clone().unwrap_or_default();
                if st.code == 2 {
                    tags.insert("otel.status_code".into(), "ERROR".into());
                    tags.insert("error".into(), Value::String(st.message.clone()));
                }
                let mut z = json!({
                    "traceId": hex(&sp.trace_id),
                    "id": hex(&sp.span_id),
                    "name": sp.name,
                    "timestamp": sp.start_time_unix_nano / 1000,
                    "duration": (sp.end_time_unix_nano - sp.start_time_unix_nano) / 1000,
                    "localEndpoint": {"serviceName": service},
                    "tags": tags,
                    "annotations": sp.events.iter().map(|e| json!({"timestamp": e.time_unix_nano / 1000, "value": e.name})).collect::<Vec<_>>(),
                });
                if !sp.parent_span_id.is_empty() {
                    z["parentId"] = Value::String(hex(&sp.parent_span_id));
                }
                if let Some(k) = KINDS
                    .get(sp.kind as usize)
                    .filter(|k| matches!(**k, "server" | "client" | "producer" | "consumer"))
                {
                    z["kind"] = Value::String(k.to_ascii_uppercase());
                }
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                serde_json::to_writer(&mut *out, &z).map_err(io::Error::other)?;
            }
        }
    }
    out.write_all(b"]\n")
}

fn go_time(ns: u64) -> String {
    let secs = (ns / 1_000_000_000) as i64;
    let frac = ns % 1_000_000_000;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if frac > 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s + " +0000 UTC"
}

fn debug_value(a: &KeyValue) -> String {
    match a.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(v)) => format!("Str({v})"),
        Some(any_value::Value::IntValue(v)) => format!("Int({v})"),
        Some(any_value::Value::BoolValue(v)) => format!("Bool({v})"),
        Some(any_value::Value::DoubleValue(v)) => format!("Double({v})"),
        _ => "Empty()".into(),
    }
}

/// What `kubectl logs otel-collector` shows with the debug exporter at `verbosity:
/// detailed`: a log prefix and an exporter summary line before each batch.
pub fn write_debug_text(out: &mut impl Write, rs: &[ResourceSpans]) -> io::Result<()> {
    const KIND_NAMES: [&str; 6] = [
        "Unspecified",
        "Internal",
        "Server",
        "Client",
        "Producer",
        "Consumer",
    ];
    const CODES: [&str; 3] = ["Unset", "Ok", "Error"];
    for (i, r) in rs.iter().enumerate() {
        let n: usize = r.scope_spans.iter().map(|s| s.spans.len()).sum();
        writeln!(
            out,
            "2025-11-21T03:12:00.229Z\tinfo\tTraces\t{{\"resource\": {{}}, \"otelcol.component.id\": \"debug\", \"resource spans\": 1, \"spans\": {n}}}"
        )?;
        writeln!(out, "2025-11-21T03:12:00.229Z\tinfo\tResourceSpans #{i}")?;
        writeln!(out, "Resource SchemaURL: \nResource attributes:")?;
        for a in r
            .resource
            .as_ref()
            .map(|r| &r.attributes[..])
            .unwrap_or(&[])
        {
            writeln!(out, "     -> {}: {}", a.key, debug_value(a))?;
        }
        for (j, ss) in r.scope_spans.iter().enumerate() {
            let scope = ss.scope.clone().unwrap_or_default();
            writeln!(
                out,
                "ScopeSpans #{j}\nScopeSpans SchemaURL: \nInstrumentationScope {} {}",
                scope.name, scope.version
            )?;
            for (k, sp) in ss.spans.iter().enumerate() {
                let st = sp.status.clone().unwrap_or_default();
                writeln!(out, "Span #{k}")?;
                writeln!(out, "    Trace ID       : {}", hex(&sp.trace_id))?;
                writeln!(out, "    Parent ID      : {}", hex(&sp.parent_span_id))?;
                writeln!(out, "    ID             : {}", hex(&sp.span_id))?;
                writeln!(out, "    Name           : {}", sp.name)?;
                writeln!(
                    out,
                    "    Kind           : {}",
                    KIND_NAMES.get(sp.kind as usize).unwrap_or(&"Unspecified")
                )?;
                writeln!(
                    out,
                    "    Start time     : {}",
                    go_time(sp.start_time_unix_nano)
                )?;
                writeln!(
                    out,
                    "    End time       : {}",
                    go_time(sp.end_time_unix_nano)
                )?;
                writeln!(
                    out,
                    "    Status code    : {}",
                    CODES.get(st.code as usize).unwrap_or(&"Unset")
                )?;
                writeln!(out, "    Status message : {}", st.message)?;
                writeln!(out, "Attributes:")?;
                for a in &sp.attributes {
                    writeln!(out, "     -> {}: {}", a.key, debug_value(a))?;
                }
                if !sp.events.is_empty() {
                    writeln!(out, "Events:")?;
                    for (e, ev) in sp.events.iter().enumerate() {
                        writeln!(
                            out,
                            "SpanEvent #{e}\n     -> Name: {}\n     -> Timestamp: {}\n     -> DroppedAttributesCount: 0",
                            ev.name,
                            go_time(ev.time_unix_nano)
                        )?;
                        if !ev.attributes.is_empty() {
                            writeln!(out, "     -> Attributes::")?;
                            for a in &ev.attributes {
                                writeln!(out, "          -> {}: {}", a.key, debug_value(a))?;
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
