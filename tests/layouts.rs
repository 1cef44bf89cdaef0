//! Span-shaped JSON in every layout `decode::layouts` knows: random span sets written
//! in each layout (the way its producer writes it: any-agent's decimal ids up to 2^128,
//! the JS SDK's `[s, ns]` times and 0-based kinds, the Node console's microseconds,
//! the Python console's `0x` ids and ISO times, Phoenix's `span_kind`, flat records)
//! load to the spans they were made from — ids, parents, names, kinds, times to the
//! layout's precision, status, attributes, service — compared with the generator's
//! own record of them, not with another reader.

use agtrace::model::{AttrValue, TraceSet};
use agtrace::source::{Input, LoadOptions};
use serde_json::{Value, json};

/// xorshift64*: a small deterministic generator (the same sets on every run).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Debug)]
struct Gen {
    trace: u128,
    span: u64,
    parent: Option<u64>,
    name: String,
    /// OTLP's numbering: 1 internal … 5 consumer.
    kind: u8,
    start_us: u64,
    end_us: u64,
    /// 0 unset, 1 ok, 2 error.
    status: u8,
    message: String,
    service: String,
    attrs: Vec<(String, Value)>,
}

fn spans(seed: u64) -> Vec<Gen> {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut out = Vec::new();
    for _ in 0..1 + r.below(3) {
        // Full-width ids: the high bits set, so a double would lose them.
        let trace = (u128::from(r.next() | 1 << 63) << 64) | u128::from(r.next());
        let service = format!("svc-{}", r.below(3));
        let base = 1_700_000_000_000_000 + r.below(1_000_000_000);
        let mut ids: Vec<u64> = Vec::new();
        for k in 0..1 + r.below(8) {
            let span = r.next() | 1 << 62;
            let parent = (k > 0).then(|| ids[r.below(ids.len() as u64) as usize]);
            ids.push(span);
            let start_us = base + r.below(5_000_000);
            let status = r.below(3) as u8;
            let mut attrs = vec![
                (
                    "gen_ai.operation.name".to_owned(),
                    json!(["chat", "execute_tool", "invoke_agent"][r.below(3) as usize]),
                ),
                ("n".to_owned(), json!(r.below(1_000_000) as i64 - 500_000)),
                ("ok".to_owned(), json!(r.below(2) == 1)),
                ("ratio".to_owned(), json!(r.below(1000) as f64 + 0.5)),
            ];
            if r.below(2) == 1 {
                attrs.push(("note".to_owned(), json!(format!("π≈3.14 \"quoted\" #{k}"))));
            }
            out.push(Gen {
                trace,
                span,
                parent,
                name: format!("step {k}"),
                kind: 1 + r.below(5) as u8,
                start_us,
                end_us: start_us + 1 + r.below(3_000_000),
                status,
                message: if status == 2 {
                    format!("boom {k}")
                } else {
                    String::new()
                },
                service: service.clone(),
                attrs,
            });
        }
    }
    out
}

const KINDS: [&str; 5] = ["INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];
const STATUS: [&str; 3] = ["UNSET", "OK", "ERROR"];

fn attr_map(g: &Gen) -> Value {
    Value::Object(g.attrs.iter().cloned().collect())
}

/// Unix microseconds as ISO-8601 UTC with microseconds.
fn iso(us: u64) -> String {
    let secs = (us / 1_000_000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        us % 1_000_000
    )
}

/// The spans written in `layout`, as the file's bytes.
fn write(layout: &str, gs: &[Gen]) -> Vec<u8> {
    let hr = |us: u64| json!([us / 1_000_000, us % 1_000_000 * 1000]);
    let records: Vec<Value> = gs
        .iter()
        .map(|g| {
            let kind = KINDS[g.kind as usize - 1];
            match layout {
                "any-agent" => json!({
                    "name": g.name,
                    "kind": kind.to_ascii_lowercase(),
                    "parent": {
                        "trace_id": g.parent.map(|_| format!("DECT{}", g.trace)),
                        "span_id": g.parent.map(|p| format!("DEC{p}")),
                        "is_remote": false,
                        "trace_flags": {"value": 0},
                        "trace_state": {"entries": {}},
                    },
                    "start_time": g.start_us * 1000,
                    "end_time": g.end_us * 1000,
                    "status": {"status_code": STATUS[g.status as usize].to_ascii_lowercase(), "description": (!g.message.is_empty()).then_some(&g.message)},
                    "context": {"trace_id": format!("DECT{}", g.trace), "span_id": format!("DEC{}", g.span), "is_remote": false},
                    "attributes": attr_map(g),
                    "links": [],
                    "events": [],
                    "resource": {"attributes": {"service.name": g.service}, "schema_url": ""},
                }),
                "js-readable" => json!({
                    "name": g.name,
                    "kind": g.kind - 1,
                    "_spanContext": {"traceId": format!("{:032x}", g.trace), "spanId": format!("{:016x}", g.span), "traceFlags": 1},
                    "parentSpanContext": g.parent.map(|p| json!({"traceId": format!("{:032x}", g.trace), "spanId": format!("{p:016x}")})),
                    "startTime": hr(g.start_us),
                    "endTime": hr(g.end_us),
                    "duration": hr(g.end_us - g.start_us),
                    "attributes": attr_map(g),
                    "status": if g.message.is_empty() { json!({"code": g.status}) } else { json!({"code": g.status, "message": g.message}) },
                    "events": [],
                    "links": [],
                    "resource": {"_rawAttributes": [["service.name", g.service]]},
                    "instrumentationLibrary": {"name": "test", "version": "1.0"},
                    "_ended": true,
                }),
                "node-console" => json!({
                    "resource": {"attributes": {"service.name": g.service}},
                    "instrumentationScope": {"name": "test"},
                    "traceId": format!("{:032x}", g.trace),
                    "parentSpanContext": g.parent.map(|p| json!({"traceId": format!("{:032x}", g.trace), "spanId": format!("{p:016x}"), "traceFlags": 1})),
                    "name": g.name,
                    "id": format!("{:016x}", g.span),
                    "kind": g.kind - 1,
                    "timestamp": g.start_us,
                    "duration": g.end_us - g.start_us,
                    "attributes": attr_map(g),
                    "status": if g.message.is_empty() { json!({"code": g.status}) } else { json!({"code": g.status, "message": g.message}) },
                    "events": [],
                    "links": [],
                }),
                "python-console" => json!({
                    "name": g.name,
                    "context": {"trace_id": format!("0x{:032x}", g.trace), "span_id": format!("0x{:016x}", g.span), "trace_state": "[]"},
                    "kind": format!("SpanKind.{kind}"),
                    "parent_id": g.parent.map(|p| format!("0x{p:016x}")),
                    "start_time": iso(g.start_us),
                    "end_time": iso(g.end_us),
                    "status": if g.message.is_empty() { json!({"status_code": STATUS[g.status as usize]}) } else { json!({"status_code": STATUS[g.status as usize], "description": g.message}) },
                    "attributes": attr_map(g),
                    "events": [],
                    "links": [],
                    "resource": {"attributes": {"service.name": g.service}, "schema_url": ""},
                }),
                "phoenix" => json!({
                    "name": g.name,
                    "context": {"trace_id": format!("{:032x}", g.trace), "span_id": format!("{:016x}", g.span)},
                    "span_kind": "CHAIN",
                    "kind": kind,
                    "parent_id": g.parent.map(|p| format!("{p:016x}")),
                    "start_time": iso(g.start_us),
                    "end_time": iso(g.end_us),
                    "status_code": STATUS[g.status as usize],
                    "status_message": g.message,
                    "attributes": attr_map(g),
                    "events": [],
                    "resource": {"attributes": {"service.name": g.service}},
                }),
                "otlp" => {
                    let any = |v: &Value| match v {
                        Value::String(x) => json!({"stringValue": x}),
                        Value::Bool(b) => json!({"boolValue": b}),
                        Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
                        other => json!({"doubleValue": other}),
                    };
                    json!({
                        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": g.service}}]},
                        "scopeSpans": [{"scope": {"name": "test"}, "spans": [{
                            "traceId": format!("{:032x}", g.trace),
                            "spanId": format!("{:016x}", g.span),
                            "parentSpanId": g.parent.map_or(String::new(), |p| format!("{p:016x}")),
                            "name": g.name,
                            "kind": g.kind,
                            "startTimeUnixNano": (g.start_us * 1000).to_string(),
                            "endTimeUnixNano": (g.end_us * 1000).to_string(),
                            "attributes": g.attrs.iter().map(|(k, v)| json!({"key": k, "value": any(v)})).collect::<Vec<_>>(),
                            "status": if g.status == 0 { json!({}) } else { json!({"code": g.status, "message": g.message}) },
                        }]}],
                    })
                }
                // As the collector's OTLP -> Jaeger translator writes it: kind, status and
                // message as tags, typed tags, the parent a CHILD_OF reference, µs times.
                "jaeger" => {
                    let tag = |k: &str, v: &Value| match v {
                        Value::String(x) => json!({"key": k, "type": "string", "value": x}),
                        Value::Bool(b) => json!({"key": k, "type": "bool", "value": b}),
                        Value::Number(n) if n.is_i64() => json!({"key": k, "type": "int64", "value": n}),
                        other => json!({"key": k, "type": "float64", "value": other}),
                    };
                    let mut tags: Vec<Value> = g.attrs.iter().map(|(k, v)| tag(k, v)).collect();
                    tags.push(tag("span.kind", &json!(kind.to_ascii_lowercase())));
                    if g.status > 0 {
                        tags.push(tag("otel.status_code", &json!(STATUS[g.status as usize])));
                    }
                    if g.status == 2 {
                        tags.push(tag("error", &json!(true)));
                    }
                    if !g.message.is_empty() {
                        tags.push(tag("otel.status_description", &json!(g.message)));
                    }
                    json!({
                        "traceID": format!("{:032x}", g.trace),
                        "spanID": format!("{:016x}", g.span),
                        "operationName": g.name,
                        "references": g.parent.map(|p| json!([{"refType": "CHILD_OF", "traceID": format!("{:032x}", g.trace), "spanID": format!("{p:016x}")}])).unwrap_or(json!([])),
                        "startTime": g.start_us,
                        "duration": g.end_us - g.start_us,
                        "tags": tags,
                        "logs": [],
                        "processID": format!("p-{}", g.service),
                        "warnings": null,
                    })
                }
                // Zipkin v2 as the OpenTelemetry exporter writes it: tags are strings,
                // INTERNAL has no kind, status as `otel.status_code` (and `error`).
                "zipkin" => {
                    let mut tags: serde_json::Map<String, Value> = g
                        .attrs
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v.as_str().map_or_else(|| v.to_string(), str::to_owned))))
                        .collect();
                    if g.status > 0 {
                        tags.insert("otel.status_code".into(), json!(STATUS[g.status as usize]));
                    }
                    if g.status == 2 {
                        tags.insert("error".into(), json!(g.message));
                    }
                    if !g.message.is_empty() {
                        tags.insert("otel.status_description".into(), json!(g.message));
                    }
                    let mut z = json!({
                        "traceId": format!("{:032x}", g.trace),
                        "id": format!("{:016x}", g.span),
                        "name": g.name,
                        "timestamp": g.start_us,
                        "duration": g.end_us - g.start_us,
                        "localEndpoint": {"serviceName": g.service},
                        "tags": tags,
                    });
                    if let Some(p) = g.parent {
                        z["parentId"] = json!(format!("{p:016x}"));
                    }
                    if g.kind > 1 {
                        z["kind"] = json!(kind);
                    }
                    z
                }
                "phoenix-b64" => {
                    use base64::Engine as _;
                    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
                    json!({
                        "name": g.name,
                        "context": {"trace_id": b64(&g.trace.to_be_bytes()), "span_id": b64(&g.span.to_be_bytes())},
                        "openinference.span.kind": "CHAIN",
                        "kind": kind,
                        "parent_id": g.parent.map(|p| b64(&p.to_be_bytes())),
                        "start_time": iso(g.start_us),
                        "end_time": iso(g.end_us),
                        "status_code": STATUS[g.status as usize],
                        "status_message": g.message,
                        "attributes": attr_map(g),
                        "events": [],
                        "resource": {"attributes": {"service.name": g.service}},
                    })
                }
                _ => json!({
                    "trace_id": format!("{:032x}", g.trace),
                    "span_id": format!("{:016x}", g.span),
                    "parent_span_id": g.parent.map(|p| format!("{p:016x}")),
                    "name": g.name,
                    "kind": format!("SPAN_KIND_{kind}"),
                    "start_time": g.start_us * 1000,
                    "end_time": g.end_us * 1000,
                    "status": {"code": format!("STATUS_CODE_{}", STATUS[g.status as usize]), "message": g.message},
                    "attributes": attr_map(g),
                    "resource": {"attributes": {"service.name": g.service}},
                }),
            }
        })
        .collect();
    match layout {
        // any-agent's ids are integers; JSON numbers beyond 2^64 are written into the
        // text as the producer does (Python's json writes any int).
        "any-agent" => {
            let text =
                serde_json::to_string_pretty(&json!({"spans": records, "final_output": "done"}))
                    .expect("json");
            // Placeholders `"DEC…"` / `"DECT…"` become the bare integers.
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(at) = rest.find("\"DEC") {
                out.push_str(&rest[..at]);
                let tail = &rest[at + 4..];
                let tail = tail.strip_prefix('T').unwrap_or(tail);
                let end = tail.find('"').expect("placeholder ends");
                out.push_str(&tail[..end]);
                rest = &tail[end + 1..];
            }
            out.push_str(rest);
            out.into_bytes()
        }
        // The Python console exporter prints objects one after another.
        "python-console" => records
            .iter()
            .map(|r| serde_json::to_string_pretty(r).expect("json") + "\n")
            .collect::<String>()
            .into_bytes(),
        "node-console" | "js-readable" | "zipkin" => {
            serde_json::to_vec_pretty(&records).expect("json")
        }
        // The Jaeger query API's answer: the spans of each trace, its processes.
        "jaeger" => {
            let mut traces: Vec<(String, Vec<Value>)> = Vec::new();
            for r in records {
                let t = r["traceID"].as_str().expect("trace id").to_owned();
                match traces.iter_mut().find(|(x, _)| *x == t) {
                    Some((_, spans)) => spans.push(r),
                    None => traces.push((t, vec![r])),
                }
            }
            let data: Vec<Value> = traces
                .into_iter()
                .map(|(t, spans)| {
                    let processes: serde_json::Map<String, Value> = spans
                        .iter()
                        .map(|s| {
                            let p = s["processID"].as_str().expect("process").to_owned();
                            let service = p.trim_start_matches("p-").to_owned();
                            (p, json!({"serviceName": service, "tags": []}))
                        })
                        .collect();
                    json!({"traceID": t, "spans": spans, "processes": processes, "warnings": null})
                })
                .collect();
            serde_json::to_vec(
                &json!({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": null}),
            )
            .expect("json")
        }
        // OTLP/JSON as the collector's file exporter writes it: a document per line.
        "otlp" => records
            .iter()
            .map(|r| json!({"resourceSpans": [r]}).to_string() + "\n")
            .collect::<String>()
            .into_bytes(),
        _ => serde_json::to_vec(&json!({"spans": records})).expect("json"),
    }
}

/// One line per span, from what the generator made.
fn expected(gs: &[Gen]) -> Vec<String> {
    expected_in(gs, "")
}

/// [`expected`] as `layout` can keep it: Zipkin's tags are strings and its INTERNAL
/// spans carry no kind.
fn expected_in(gs: &[Gen], layout: &str) -> Vec<String> {
    let zipkin = layout == "zipkin";
    let mut v: Vec<String> = gs
        .iter()
        .map(|g| {
            let mut attrs: Vec<String> = g
                .attrs
                .iter()
                .map(|(k, v)| match v {
                    Value::String(_) => format!("{k}={v}"),
                    _ if zipkin => format!("{k}={}", json!(v.to_string())),
                    _ => format!("{k}={v}"),
                })
                .collect();
            attrs.sort();
            format!(
                "{:032x} {:016x} {} {} {} {} {} {} {:?} {} [{}]",
                g.trace,
                g.span,
                g.parent.map_or("-".to_owned(), |p| format!("{p:016x}")),
                g.name,
                if zipkin && g.kind == 1 {
                    "unspecified".to_owned()
                } else {
                    KINDS[g.kind as usize - 1].to_ascii_lowercase()
                },
                g.start_us,
                g.end_us,
                STATUS[g.status as usize].to_ascii_lowercase(),
                g.message,
                g.service,
                attrs.join(", ")
            )
        })
        .collect();
    v.sort();
    v
}

fn json_of(v: &AttrValue, set: &TraceSet) -> String {
    match v {
        AttrValue::Int(i) => i.to_string(),
        AttrValue::Double(d) => json!(d).to_string(),
        AttrValue::Bool(b) => b.to_string(),
        other => json!(other.as_str(&set.strings).unwrap_or_default()).to_string(),
    }
}

/// One line per span, from what agtrace loaded.
fn loaded(set: &TraceSet) -> Vec<String> {
    let mut v: Vec<String> = set
        .spans
        .iter()
        .map(|s| {
            let mut attrs: Vec<String> = set
                .span_attrs(s)
                .iter()
                .filter(|a| set.str(a.key) != "openinference.span.kind")
                .map(|a| format!("{}={}", set.str(a.key), json_of(&a.value, set)))
                .collect();
            attrs.sort();
            format!(
                "{} {} {} {} {} {} {} {} {:?} {} [{}]",
                s.trace_id,
                s.span_id,
                if s.parent_span_id.is_none() {
                    "-".to_owned()
                } else {
                    s.parent_span_id.to_string()
                },
                set.str(s.name),
                s.kind.as_str(),
                s.start / 1000,
                s.end / 1000,
                s.status.as_str(),
                set.str(s.status_message),
                set.service_of(s),
                attrs.join(", ")
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn random_span_sets_load_the_same_in_every_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layouts = [
        ("any-agent", "any-agent trace"),
        ("js-readable", "OpenTelemetry JS ReadableSpan"),
        ("node-console", "Node console exporter"),
        ("python-console", "Python console exporter"),
        ("phoenix", "Phoenix span JSON"),
        ("phoenix-b64", "Phoenix span JSON"),
        ("otlp", "OTLP/JSON"),
        ("flat", "flat span records"),
        ("jaeger", "Jaeger JSON"),
        ("zipkin", "Zipkin v2 JSON"),
    ];
    for seed in 1..=40u64 {
        let gs = spans(seed);
        for (layout, format) in layouts {
            let want = expected_in(&gs, layout);
            let path = dir.path().join(format!("{layout}-{seed}.json"));
            std::fs::write(&path, write(layout, &gs)).expect("write");
            let set =
                agtrace::input::load(&[Input::Path(path.clone())], &LoadOptions::with_threads(1))
                    .unwrap_or_else(|e| panic!("{layout} seed {seed}: {e}"));
            let got = loaded(&set);
            assert_eq!(got, want, "{layout}, seed {seed}");
            assert!(
                set.warnings.is_empty(),
                "{layout} seed {seed}: {:?}",
                set.warnings
            );
            assert!(
                set.source_formats.iter().all(|f| f.starts_with(format)),
                "{layout} read as {:?}",
                set.source_formats
            );
        }
    }
}

fn load_text(dir: &std::path::Path, name: &str, text: &str) -> TraceSet {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    agtrace::input::load(&[Input::Path(path)], &LoadOptions::with_threads(1))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// JS ReadableSpans whose ids are not hex (a test double's `raw-root`), with the raw
/// resource attributes and a duration instead of an end: the ids are derived from
/// their text so the parent still links, and a warning says so.
#[test]
fn ids_that_are_no_encoding_are_derived_and_still_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = json!({
        "name": "invoke_agent",
        "_spanContext": {"traceId": "raw-trace", "spanId": "raw-root"},
        "startTime": [1_700_000_000, 0],
        "duration": [1, 500],
        "attributes": {"gen_ai.operation.name": "invoke_agent"},
        "resource": {"_rawAttributes": [["service.name", "copilot-chat"]]},
        "events": [],
        "status": {"code": 1},
    });
    let tool = json!({
        "name": "execute_tool",
        "_spanContext": {"traceId": "raw-trace", "spanId": "raw-tool"},
        "parentSpanContext": {"spanId": "raw-root"},
        "startTime": [1_700_000_000, 100],
        "endTime": [1_700_000_000, 200],
        "attributes": {"gen_ai.tool.name": "research"},
        "events": [],
        "status": {"code": 2, "message": "no such skill"},
    });
    let text = format!("{root}\n{tool}\n");
    let set = load_text(dir.path(), "raw.jsonl", &text);
    assert_eq!(set.spans.len(), 2);
    assert_eq!(set.traces.len(), 1, "one trace");
    let by_name = |n: &str| {
        set.spans
            .iter()
            .find(|s| set.str(s.name) == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let (r, t) = (by_name("invoke_agent"), by_name("execute_tool"));
    assert_eq!(t.parent_span_id, r.span_id, "the parent links");
    assert_eq!(r.end - r.start, 1_000_000_500, "duration [1, 500]");
    assert_eq!(set.service_of(r), "copilot-chat");
    assert_eq!(t.status, agtrace::model::StatusCode::Error);
    let w: Vec<String> = set.warnings.iter().map(|w| w.message.clone()).collect();
    assert!(
        w.iter()
            .any(|m| m.contains("derived from their text") && m.contains("raw-")),
        "{w:?}"
    );
}

/// A record without ids is kept (in a trace of its own, with a made-up span id) and
/// said, not skipped.
#[test]
fn records_without_ids_are_kept_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = json!({"spans": [
        {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", "name": "root", "start_time": 1_700_000_000_000_000_000u64, "end_time": 1_700_000_001_000_000_000u64},
        {"trace_id": "", "span_id": "", "name": "lost", "start_time": 1_700_000_000_500_000_000u64, "end_time": 1_700_000_000_600_000_000u64},
    ]})
    .to_string();
    let set = load_text(dir.path(), "noids.json", &text);
    assert_eq!(set.spans.len(), 2, "both kept");
    let w: Vec<String> = set.warnings.iter().map(|w| w.message.clone()).collect();
    assert!(
        w.iter().any(|m| m.contains("1 records without a trace id")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|m| m.contains("1 records without a span id")),
        "{w:?}"
    );
}

/// any-agent's own test traces (mozilla-ai/any-agent `tests/assets/*_trace.json`),
/// when a checkout is at `AGTRACE_ANY_AGENT_ASSETS`: every file opens with exact ids,
/// and its span and token counts match a count made here from the JSON.
#[test]
fn any_agent_assets_open_with_exact_counts() {
    let Some(dir) = std::env::var_os("AGTRACE_ANY_AGENT_ASSETS") else {
        eprintln!(
            "skipped: AGTRACE_ANY_AGENT_ASSETS is not set (a folder of any-agent's *_trace.json)"
        );
        return;
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let doc: Value = serde_json::from_str(&text).expect("json");
        let spans = doc["spans"].as_array().expect("spans");
        let tokens: u64 = spans
            .iter()
            .filter_map(|s| s["attributes"]["gen_ai.usage.input_tokens"].as_u64())
            .sum();
        let set = agtrace::input::load(&[Input::Path(path.clone())], &LoadOptions::with_threads(1))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(set.spans.len(), spans.len(), "{}", path.display());
        let loaded: u64 = set.traces.iter().filter_map(|t| t.tokens.input).sum();
        assert_eq!(loaded, tokens, "{}", path.display());
        seen += 1;
    }
    assert!(seen > 0, "no any-agent traces in {dir:?}");
}

/// A file large enough to be read on several threads (over 4 MiB: its records are
/// found by one pass and parsed in runs) loads the same spans as the generator made.
#[test]
fn a_large_file_read_on_several_threads_loads_every_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gs = Vec::new();
    let mut seed = 1000;
    // More records than one run of a parsing thread holds (16,384), so that runs are
    // parsed while the scan goes on and put back in order.
    while gs.len() < 36_000 {
        gs.extend(spans(seed));
        seed += 1;
    }
    let want = expected(&gs);
    for layout in ["flat", "js-readable", "any-agent"] {
        let bytes = write(layout, &gs);
        assert!(bytes.len() > 4 << 20, "{layout}: {} bytes", bytes.len());
        let path = dir.path().join(format!("{layout}-large.json"));
        std::fs::write(&path, bytes).expect("write");
        let set = agtrace::input::load(&[Input::Path(path)], &LoadOptions::with_threads(2))
            .unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(loaded(&set), want, "{layout}");
        assert!(set.warnings.is_empty(), "{layout}: {:?}", set.warnings);
    }
}

/// A large file cut inside a record still opens with every record before the cut
/// (the parallel reader gives way to the streaming one, which says where it stopped).
#[test]
fn a_large_file_cut_part_way_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gs = Vec::new();
    let mut seed = 2000;
    while gs.len() < 20_000 {
        gs.extend(spans(seed));
        seed += 1;
    }
    let n = gs.len() - 10;
    let whole = write("flat", &gs[..n]);
    let next = write("flat", &gs[n..=n]);
    let prefix = br#"{"spans":["#;
    assert!(whole.starts_with(prefix) && whole.ends_with(b"]}"));
    let mut cut = whole[..whole.len() - 2].to_vec();
    cut.push(b',');
    cut.extend_from_slice(&next[prefix.len()..next.len() / 2]);
    assert!(cut.len() > 4 << 20, "{} bytes", cut.len());
    let path = dir.path().join("cut.json");
    std::fs::write(&path, cut).expect("write");
    let set = agtrace::input::load(&[Input::Path(path)], &LoadOptions::with_threads(2))
        .expect("a cut file opens");
    assert_eq!(loaded(&set), expected(&gs[..n]));
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("ends part way")),
        "{:?}",
        set.warnings
    );
}

/// Span records inside other wrappers than `{"spans": […]}` — an evaluation tool's
/// `{"trace": {"spans": …}}`, `{"data": {"spans": …}}`, a list of traces each with its
/// spans — load the same spans.
#[test]
fn records_inside_other_wrappers_load_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gs = spans(7);
    let want = expected(&gs);
    let flat: Value = serde_json::from_slice(&write("flat", &gs)).expect("json");
    let records = flat["spans"].clone();
    let mut by_trace: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for r in records.as_array().expect("list") {
        by_trace
            .entry(r["trace_id"].as_str().expect("id").to_owned())
            .or_default()
            .push(r.clone());
    }
    let traces: Vec<Value> = by_trace
        .into_iter()
        .map(|(id, spans)| json!({"trace_id": id, "spans": spans}))
        .collect();
    for (name, doc) in [
        ("trace", json!({"trace": {"id": "t1", "spans": records}})),
        (
            "data",
            json!({"data": {"spans": records}, "meta": {"page": 1}}),
        ),
        ("traces", json!({"traces": traces})),
        ("list-of-traces", Value::Array(traces.clone())),
    ] {
        let set = load_text(dir.path(), &format!("{name}.json"), &doc.to_string());
        assert_eq!(loaded(&set), want, "{name}");
    }
}

/// Span-shaped JSON in no known layout is refused naming the fields its first record
/// has and what each layout tried would need.
#[test]
fn an_unknown_layout_is_refused_naming_its_fields_and_the_layouts_tried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("unknown.json");
    std::fs::write(
        &path,
        r#"{"spans": [{"sid": 1, "tid": 2, "op": "x", "ts": 5, "meta": {"a": 1}}]}"#,
    )
    .expect("write");
    let err = agtrace::input::load(&[Input::Path(path)], &LoadOptions::with_threads(1))
        .expect_err("no layout");
    let msg = err.to_string();
    for want in [
        "sid, tid, op, ts, meta.a",
        "any-agent trace",
        "flat span records (trace_id + span_id",
    ] {
        assert!(msg.contains(want), "{want:?} in {msg}");
    }
}
