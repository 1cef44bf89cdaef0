//! Every input shape loads to the same model as the canonical OTLP/JSON fixture, and
//! that model holds the spans, tree, ids and timing the fixture describes.

mod common;
use agtrace::model::{AttrValue, Marks, NONE, SpanKind, StatusCode};
use common::*;

const T0: u64 = 1_763_694_720_000_000_000;
const MS: u64 = 1_000_000;

#[test]
fn canonical_fixture_loads_every_span_tree_and_time() {
    let set = load_ok(&["agent-incident.otlp.json"]);
    assert_eq!(set.spans.len(), 16);
    assert_eq!(set.traces.len(), 4);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    assert!(set.integrity.is_clean());

    let tb = set.find_traces("0af7");
    assert_eq!(tb.len(), 1);
    let t = &set.traces[tb[0] as usize];
    assert_eq!(t.id.to_string(), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(set.str(t.root_name), "invoke_agent support");
    assert_eq!(set.str(t.service), "support-agent");
    assert_eq!(t.span_count, 5);
    assert_eq!(t.error_count, 3);
    assert_eq!(t.start, T0 + 60_000 * MS);
    assert_eq!(t.duration_ns(), 34_500 * MS);

    // Tree: root → [chat, tool → POST, chat], children in start order.
    let order: Vec<(String, u32)> = set
        .trace_spans(t)
        .iter()
        .map(|&i| {
            (
                set.str(set.spans[i as usize].name).to_owned(),
                set.spans[i as usize].depth,
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("invoke_agent support".to_owned(), 0),
            ("chat gpt-4o".to_owned(), 1),
            ("execute_tool refund_payment".to_owned(), 1),
            ("POST".to_owned(), 2),
            ("chat gpt-4o".to_owned(), 1),
        ]
    );
    let post = &set.spans[span_by_id(&set, "b000000000000004")];
    let tool = span_by_id(&set, "b000000000000003");
    assert_eq!(post.parent, tool as u32);
    assert_eq!(post.kind, SpanKind::Client);
    assert_eq!(post.status, StatusCode::Error);
    assert_eq!(set.str(post.status_message), "HTTP 504");
    assert_eq!(post.start, T0 + 61_650 * MS);
    assert_eq!(post.end, T0 + 91_650 * MS);
    assert_eq!(
        set.spans[tool].parent_span_id.to_string(),
        "b000000000000001"
    );
    let root = &set.spans[span_by_id(&set, "b000000000000001")];
    assert_eq!(root.parent, NONE);
    assert!(root.parent_span_id.is_none());
    assert_eq!(root.marks, Marks::default());

    // The exception event and typed attributes survive.
    let tool_span = &set.spans[tool];
    let ev = &set.span_events(tool_span)[0];
    assert_eq!(set.str(ev.name), "exception");
    assert_eq!(ev.time, T0 + 91_790 * MS);
    let status_code = set.span_attr(post, "http.response.status_code");
    assert_eq!(status_code, Some(&AttrValue::Int(504)));
    let tokens = set.span_attr(
        &set.spans[span_by_id(&set, "b000000000000005")],
        "gen_ai.usage.output_tokens",
    );
    assert_eq!(tokens, Some(&AttrValue::Int(4096)));
}

fn assert_same_model(rel: &str) {
    let want = canonical(&load_ok(&["agent-incident.otlp.json"]));
    let set = load_ok(&[rel]);
    assert!(
        set.warnings.is_empty(),
        "{rel}: unexpected warnings {:?}",
        set.warnings
    );
    let got = canonical(&set);
    if got != want {
        let first = got.lines().zip(want.lines()).find(|(a, b)| a != b);
        panic!(
            "{rel} loads differently from agent-incident.otlp.json; first difference: {first:?}"
        );
    }
}

#[test]
fn snake_case_numbers_enum_names_and_base64_ids() {
    assert_same_model("shapes/snake_case.json");
}

#[test]
fn json_lines_with_a_logs_line() {
    assert_same_model("shapes/collector.jsonl");
}

#[test]
fn concatenated_documents() {
    assert_same_model("shapes/concatenated.json");
}

#[test]
fn array_of_documents() {
    assert_same_model("shapes/array.json");
}

#[test]
fn legacy_instrumentation_library_spans() {
    assert_same_model("shapes/legacy-instrumentation-library.json");
}

#[test]
fn tempo_batches() {
    assert_same_model("shapes/tempo-batches.json");
}

#[test]
fn traces_with_logs_and_metrics_in_one_document() {
    assert_same_model("shapes/traces-and-logs.json");
}

#[test]
fn protobuf_single_message_matches_json() {
    assert_same_model("shapes/agent-incident.pb");
}

#[test]
fn protobuf_length_prefixed_stream_matches_json() {
    assert_same_model("shapes/agent-incident.pbstream");
}

#[test]
fn protobuf_varint_delimited_stream_matches_json() {
    assert_same_model("shapes/agent-incident.pbdelim");
}

#[test]
fn compressed_inputs_match_json() {
    assert_same_model("shapes/collector.jsonl.gz");
    assert_same_model("shapes/collector.jsonl.zst");
    assert_same_model("shapes/agent-incident.pb.zst");
}

#[test]
fn framing_is_detected() {
    use agtrace::decode::otlp_proto::{Framing, detect_framing};
    let read = |r: &str| std::fs::read(fixture(r)).expect("fixture");
    assert_eq!(
        detect_framing(&read("shapes/agent-incident.pb")),
        Some(Framing::Single)
    );
    assert_eq!(
        detect_framing(&read("shapes/agent-incident.pbstream")),
        Some(Framing::LengthPrefixed)
    );
    assert_eq!(
        detect_framing(&read("shapes/agent-incident.pbdelim")),
        Some(Framing::VarintDelimited)
    );
}

#[test]
fn every_anyvalue_variant_events_links_and_counts() {
    let json = load_ok(&["shapes/anyvalues.json"]);
    let pb = load_ok(&["shapes/anyvalues.pb"]);
    assert_eq!(canonical(&json), canonical(&pb));
    let s = &json.spans[0];
    let st = &json.strings;
    let get = |k: &str| {
        json.span_attr(s, k)
            .cloned()
            .unwrap_or_else(|| panic!("no attribute {k}"))
    };
    assert_eq!(get("str").as_str(st), Some("hello"));
    assert_eq!(get("flag"), AttrValue::Bool(true));
    assert_eq!(get("count"), AttrValue::Int(-42));
    assert_eq!(get("ratio"), AttrValue::Double(0.25));
    assert_eq!(get("raw"), AttrValue::Bytes(Box::new(vec![0, 1, 0xfe])));
    assert_eq!(get("empty"), AttrValue::Empty);
    assert_eq!(get("long").as_str(st).map(str::len), Some(300));
    assert_eq!(get("list").to_json(st), serde_json::json!(["a", 7, false]));
    assert_eq!(
        get("map").to_json(st),
        serde_json::json!({"inner": "v", "nested": [1.5]})
    );
    assert_eq!(s.kind, SpanKind::Server);
    assert_eq!(s.status, StatusCode::Ok);
    assert_eq!(s.flags, 769);
    assert_eq!(json.str(s.trace_state), "vendor=a:1");
    assert_eq!(s.dropped, [2, 3, 4]);
    let ev = &json.span_events(s)[0];
    assert_eq!((json.str(ev.name), ev.dropped), ("cache.miss", 1));
    let link = &json.span_links(s)[0];
    assert_eq!(
        link.trace_id.to_string(),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(link.span_id.to_string(), "a000000000000001");
    assert_eq!(json.str(link.trace_state), "vendor=b:2");
    assert_eq!(link.flags, 1);
    assert_eq!(json.resources[s.resource as usize].dropped, 1);
    let scope = &json.scopes[s.scope as usize];
    assert_eq!(
        (json.str(scope.name), json.str(scope.version)),
        ("fixture", "1.0.0")
    );
    assert_eq!(json.traces[0].integrity.dropped, 9);
}

#[test]
fn several_sources_merge_and_duplicates_are_kept_once() {
    let set = load_ok(&["agent-incident.otlp.json", "shapes/agent-incident.pb"]);
    assert_eq!(set.spans.len(), 16);
    assert_eq!(set.traces.len(), 4);
    assert_eq!(set.integrity.duplicates, 16);
    assert_eq!(set.sources.len(), 2);
}

#[test]
fn a_folder_of_rotated_files_joins_a_trace_split_across_them() {
    let set = load_ok(&["folder"]);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    assert_eq!(set.traces.len(), 3);
    let t = &set.traces[set.find_traces("0af7")[0] as usize];
    assert_eq!(t.span_count, 5);
    assert_eq!(
        t.integrity.orphans, 0,
        "the POST span's parent arrived in the other file"
    );
    assert_eq!(t.integrity.duplicates, 1, "the tool span is in both files");
    let post = &set.spans[span_by_id(&set, "b000000000000004")];
    assert_eq!(post.depth, 2);
}

/// The collector file exporter with `compression: zstd` (or gzip): a 4-byte length and
/// one compressed frame per record, in JSON and protobuf mode; a cut tail keeps the
/// records before it and says where.
#[test]
fn collector_compressed_record_framing() {
    use agtrace::source::{LoadOptions, load_bytes};
    let frame = |records: &[Vec<u8>], gzip: bool| -> Vec<u8> {
        let mut out = Vec::new();
        for r in records {
            let c = if gzip {
                use std::io::Write as _;
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(r).expect("gzip");
                e.finish().expect("gzip")
            } else {
                zstd::encode_all(&r[..], 3).expect("zstd")
            };
            out.extend_from_slice(&(c.len() as u32).to_be_bytes());
            out.extend_from_slice(&c);
        }
        out
    };
    let model = |buf: Vec<u8>| {
        let d = load_bytes(buf, "framed", 0, &LoadOptions::with_threads(1)).expect("load");
        let warnings: Vec<String> = d
            .batches
            .iter()
            .flat_map(|b| b.warnings.iter().map(|w| w.to_string()))
            .collect();
        let set = agtrace::model::TraceSet::build(d.batches, vec!["framed".into()], Vec::new());
        (common::canonical(&set), warnings)
    };
    let direct = common::canonical(&common::load_ok(&["agent-incident.otlp.json"]));
    // JSON mode: the fixture's documents, one per record.
    let text = std::fs::read_to_string(common::fixture("shapes/collector.jsonl")).expect("read");
    let docs: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| l.contains("resourceSpans"))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    assert!(docs.len() >= 2, "several records");
    let jsonl_model = common::canonical(&common::load_ok(&["shapes/collector.jsonl"]));
    for gzip in [false, true] {
        let (m, w) = model(frame(&docs, gzip));
        assert_eq!(m, jsonl_model, "gzip={gzip}");
        assert!(w.is_empty(), "{w:?}");
    }
    // Protobuf mode: one TracesData message per record.
    let pb = std::fs::read(common::fixture("shapes/agent-incident.pb")).expect("read");
    let (m, w) = model(frame(&[pb], false));
    assert_eq!(m, direct);
    assert!(w.is_empty(), "{w:?}");
    // A cut tail: the records before it, and a warning with the byte offset.
    let mut cut = frame(&docs, false);
    let first = 4 + u32::from_be_bytes([cut[0], cut[1], cut[2], cut[3]]) as usize;
    cut.truncate(first + 10);
    let (m, w) = model(cut);
    assert!(!m.is_empty());
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains(&format!("byte {first}")) && w[0].contains("cut off"),
        "{w:?}"
    );
}

/// The incident fixture as Jaeger query-API JSON (testdata/make_jaeger.py, converted as
/// the collector's translator does) loads as the same spans, tree, times, kinds,
/// status, attributes (arrays and maps arrive as JSON strings: Jaeger has no such
/// type), events and services, and the same steps and findings.
#[test]
fn jaeger_json_matches_the_otlp_fixture() {
    let digest = |set: &agtrace::model::TraceSet| parity_digest(set, Lossy::default());
    let otlp = load_ok(&["agent-incident.otlp.json"]);
    let jaeger = load_ok(&["shapes/agent-incident.jaeger.json"]);
    assert!(jaeger.warnings.is_empty(), "{:?}", jaeger.warnings);
    let (a, b) = (digest(&otlp), digest(&jaeger));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
}

/// What a format cannot carry, left out of the comparison.
#[derive(Clone, Copy, Default)]
struct Lossy {
    /// Internal kind reads as unspecified.
    internal_kind: bool,
    /// Event attributes are lost.
    event_attrs: bool,
}

/// One line per span, sorted: ids, tree, name, kind, status, times, attributes,
/// events, service and the derived step — what two formats of one trace must agree on.
fn parity_digest(set: &agtrace::model::TraceSet, lossy: Lossy) -> Vec<String> {
    let flat = |v: &AttrValue| match v {
        AttrValue::Array(_) | AttrValue::KvList(_) => v.to_json(&set.strings).to_string(),
        v => v.display(&set.strings),
    };
    let mut rows: Vec<String> = (0..set.spans.len() as u32)
        .map(|i| {
            let s = &set.spans[i as usize];
            let mut attrs: Vec<String> = set
                .span_attrs(s)
                .iter()
                .map(|a| format!("{}={}", set.str(a.key), flat(&a.value)))
                .collect();
            attrs.sort();
            let events: Vec<String> = set
                .span_events(s)
                .iter()
                .map(|e| {
                    let mut a: Vec<String> = set.attrs[e.attrs.range()]
                        .iter()
                        .map(|a| format!("{}={}", set.str(a.key), flat(&a.value)))
                        .collect();
                    a.sort();
                    if lossy.event_attrs {
                        a.clear();
                    }
                    format!("{}@{}[{}]", set.str(e.name), e.time, a.join(","))
                })
                .collect();
            let kind = match s.kind {
                SpanKind::Internal if lossy.internal_kind => SpanKind::Unspecified,
                k => k,
            };
            let step = set.step(i);
            format!(
                "{} {} {} {} {kind:?} {:?} {:?} {}..{} [{}] {events:?} svc={} kind={} outcome={:?} tokens={:?} findings={}",
                s.trace_id,
                s.span_id,
                s.parent_span_id,
                set.str(s.name),
                s.status,
                set.str(s.status_message),
                s.start,
                s.end,
                attrs.join(","),
                set.service_of(s),
                step.kind.as_str(),
                step.outcome,
                step.tokens,
                set.finding_marks[i as usize]
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The incident fixture as Node's console exporter prints it
/// (testdata/make_node_console.py: util.inspect literals, microsecond times, the
/// JavaScript kind enum) loads as the same model as the OTLP it was made from.
#[test]
fn node_console_output_matches_the_otlp_fixture() {
    let otlp = load_ok(&["agent-incident.otlp.json"]);
    let node = load_ok(&["shapes/agent-incident.node-console.txt"]);
    assert!(node.warnings.is_empty(), "{:?}", node.warnings);
    assert_eq!(
        node.source_formats,
        vec!["Node console exporter".to_owned()]
    );
    let (a, b) = (
        parity_digest(&otlp, Lossy::default()),
        parity_digest(&node, Lossy::default()),
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}

/// Node SDK 1.x printed `parentId`; older Node split long strings with `+`; a
/// terminal gets colours. A cut at the end keeps the spans printed before it.
#[test]
fn node_console_variants_and_damage() {
    use agtrace::source::{LoadOptions, load_bytes};
    let text = "\u{1b}[1m{\u{1b}[22m\n  traceId: \u{1b}[32m'4bf92f3577b34da6a3ce929d0e0e4736'\u{1b}[39m,\n  parentId: undefined,\n  traceState: undefined,\n  name: 'invoke_agent support',\n  id: 'a000000000000001',\n  kind: 0,\n  timestamp: 1763694720000000,\n  duration: 4200000.5,\n  attributes: {\n    'gen_ai.operation.name': 'invoke_' +\n      'agent',\n    'gen_ai.agent.name': \"support's\"\n  },\n  status: { code: 2, message: 'boom' },\n  events: [\n    {\n      name: 'exception',\n      attributes: { 'exception.message': 'boom', 'exception.stacktrace': [Array] },\n      time: [ 1763694721, 500000000 ],\n      droppedAttributesCount: 0\n    }\n  ],\n  links: []\n}\n{\n  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',\n  parentId: 'a000000000000001',\n  name: 'chat',\n  id: 'a000000000000002',\n  kind: 2,\n  timestamp: 1763694720100000,\n  duration: 1000,\n  attributes: { 'gen_ai.operation.name': 'chat' },\n  status: { code: 0 },\n  events: [],\n  links: []\n}\n{\n  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',\n  parentId: 'a000000000000001',\n  name: 'cut";
    let d = load_bytes(
        text.as_bytes().to_vec(),
        "node",
        0,
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["node".into()], Vec::new());
    assert_eq!(set.spans.len(), 2);
    let root = &set.spans[common::span_by_id(&set, "a000000000000001")];
    assert_eq!(set.str(root.name), "invoke_agent support");
    assert_eq!(root.kind, SpanKind::Internal);
    assert_eq!(root.status, StatusCode::Error);
    assert_eq!(set.str(root.status_message), "boom");
    assert_eq!(root.start, T0);
    assert_eq!(root.end - root.start, 4_200_000_500);
    assert_eq!(
        set.span_attr(root, "gen_ai.operation.name")
            .and_then(|v| v.as_str(&set.strings)),
        Some("invoke_agent")
    );
    assert_eq!(
        set.span_attr(root, "gen_ai.agent.name")
            .and_then(|v| v.as_str(&set.strings)),
        Some("support's")
    );
    assert_eq!(set.span_events(root)[0].time, T0 + 1_500 * MS);
    let child = &set.spans[common::span_by_id(&set, "a000000000000002")];
    assert_eq!(child.parent_span_id.to_string(), "a000000000000001");
    assert_eq!(child.kind, SpanKind::Client);
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("kept the 2 spans")),
        "{:?}",
        set.warnings
    );
}

/// Jaeger v2's query API answers with OTLP wrapped in `{"result": …}`.
#[test]
fn jaeger_v2_wrapped_otlp() {
    let text = std::fs::read_to_string(fixture("agent-incident.otlp.json")).expect("read");
    let wrapped = format!("{{\"result\": {text}}}");
    let d = agtrace::source::load_bytes(
        wrapped.into_bytes(),
        "v2",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["v2".into()], Vec::new());
    assert_eq!(
        canonical(&set),
        canonical(&load_ok(&["agent-incident.otlp.json"]))
    );
}

/// The incident fixture as a Zipkin v2 span array (testdata/make_zipkin.py, converted as
/// the collector's translator does) loads as the same spans, tree, times, status,
/// services, steps, tokens and findings; what Zipkin cannot carry (typed values: tags
/// are strings; an INTERNAL kind; event attributes; links) is compared as it arrives.
#[test]
fn zipkin_json_matches_the_otlp_fixture() {
    // Zipkin has no internal kind and no event attributes.
    let lossy = Lossy {
        internal_kind: true,
        event_attrs: true,
    };
    let digest = |set: &agtrace::model::TraceSet| parity_digest(set, lossy);
    let otlp = load_ok(&["agent-incident.otlp.json"]);
    let zipkin = load_ok(&["shapes/agent-incident.zipkin.json"]);
    assert!(zipkin.warnings.is_empty(), "{:?}", zipkin.warnings);
    let (a, b) = (digest(&otlp), digest(&zipkin));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
}

/// The incident fixture as the collector's debug exporter prints it (`kubectl logs
/// otel-collector`, testdata/make_debug_text.py: log prefixes, summary lines and the
/// collector's own log lines in between, multi-line stack traces) loads as the same
/// model as the OTLP it was made from.
#[test]
fn collector_debug_exporter_text_matches_the_otlp_fixture() {
    assert_same_model("shapes/agent-incident.debug.txt");
}

/// The old `logging` exporter's spellings, and a stream without span detail.
#[test]
fn collector_debug_exporter_variants() {
    use agtrace::source::{LoadOptions, load_bytes};
    let old = "2025-11-21T03:12:00.229Z\tINFO\tloggingexporter/logging_exporter.go:41\tTracesExporter\t{\"#spans\": 1}\n\
2025-11-21T03:12:00.229Z\tDEBUG\tloggingexporter/logging_exporter.go:51\tResourceSpans #0\n\
Resource labels:\n\
     -> service.name: STRING(legacy)\n\
InstrumentationLibrarySpans #0\n\
InstrumentationLibrary io.opentelemetry 1.0\n\
Span #0\n\
    Trace ID       : 4bf92f3577b34da6a3ce929d0e0e4736\n\
    Parent ID      : \n\
    ID             : a000000000000001\n\
    Name           : checkout\n\
    Kind           : SPAN_KIND_SERVER\n\
    Start time     : 2025-11-21 03:12:00.5 +0000 UTC\n\
    End time       : 2025-11-21 03:12:01 +0000 UTC\n\
    Status code    : STATUS_CODE_ERROR\n\
    Status message : payment declined\n\
Attributes:\n\
     -> http.status_code: INT(502)\n";
    let d = load_bytes(
        old.as_bytes().to_vec(),
        "old",
        0,
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["old".into()], Vec::new());
    assert_eq!(set.spans.len(), 1);
    let s = &set.spans[0];
    assert_eq!(set.str(s.name), "checkout");
    assert_eq!(s.kind, SpanKind::Server);
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(set.str(s.status_message), "payment declined");
    assert_eq!(s.end - s.start, 500 * MS);
    assert_eq!(set.service_of(s), "legacy");
    assert!(matches!(set.span_attrs(s)[0].value, AttrValue::Int(502)));
    let normal = "2025-11-21T03:12:00.229Z\tinfo\tTracesExporter\t{\"kind\": \"exporter\", \"data_type\": \"traces\", \"name\": \"debug\", \"resource spans\": 1, \"spans\": 2}\n";
    match load_bytes(
        normal.as_bytes().to_vec(),
        "normal",
        0,
        &LoadOptions::with_threads(1),
    ) {
        Err(e) => assert!(e.to_string().contains("verbosity: detailed"), "{e}"),
        Ok(_) => panic!("a summary-only stream has no spans to read"),
    }
}

/// A Langfuse trace export: observations become spans with Langfuse's own attribute
/// names, so the model, the usage and the cost Langfuse recorded (as provided) and an
/// ERROR level come through; UUID ids lose their dashes, other ids are hashed and kept.
#[test]
fn langfuse_export_observations_become_steps() {
    let doc = serde_json::json!({
        "trace": {"id": "7c8f6c2e-3b1a-4d0e-9f3a-2b1c0d9e8f7a", "name": "support-bot",
                  "sessionId": "conv-77", "environment": "prod"},
        "observations": [
            {"id": "root-1", "traceId": "7c8f6c2e-3b1a-4d0e-9f3a-2b1c0d9e8f7a", "type": "AGENT",
             "name": "support", "startTime": "2025-11-21T03:12:00.000Z", "endTime": "2025-11-21T03:12:03.000Z",
             "level": "DEFAULT"},
            {"id": "a1b2c3d4e5f60718", "traceId": "7c8f6c2e-3b1a-4d0e-9f3a-2b1c0d9e8f7a",
             "parentObservationId": "root-1", "type": "GENERATION", "name": "chat",
             "startTime": "2025-11-21T03:12:00.100Z", "endTime": "2025-11-21T03:12:01.100Z",
             "model": "gpt-4o", "usageDetails": {"input": 1200, "output": 80, "total": 1280},
             "costDetails": {"input": 0.003, "output": 0.0008, "total": 0.0038},
             "input": [{"role": "user", "content": "refund please"}], "output": "On it.",
             "level": "DEFAULT"},
            {"id": "tool-9", "traceId": "7c8f6c2e-3b1a-4d0e-9f3a-2b1c0d9e8f7a",
             "parentObservationId": "root-1", "type": "TOOL", "name": "refund_payment",
             "startTime": "2025-11-21T03:12:01.200+00:00", "endTime": "2025-11-21T03:12:02.200+00:00",
             "level": "ERROR", "statusMessage": "gateway timeout"}
        ]
    });
    let d = agtrace::source::load_bytes(
        doc.to_string().into_bytes(),
        "lf",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load");
    let mut set = agtrace::model::TraceSet::build(d.batches, vec!["lf".into()], Vec::new());
    agtrace::semconv::annotate(&mut set, &agtrace::semconv::PriceTable::bundled());
    assert_eq!(set.traces.len(), 1);
    assert_eq!(
        set.traces[0].id.to_string(),
        "7c8f6c2e3b1a4d0e9f3a2b1c0d9e8f7a"
    );
    assert_eq!(set.spans.len(), 3);
    let by_name = |n: &str| {
        (0..set.spans.len() as u32)
            .find(|&i| set.str(set.spans[i as usize].name) == n)
            .expect(n)
    };
    let (root, chat, tool) = (
        by_name("support"),
        by_name("chat"),
        by_name("refund_payment"),
    );
    assert_eq!(set.spans[chat as usize].parent, root);
    assert_eq!(set.spans[tool as usize].parent, root);
    let step = set.step(chat);
    assert_eq!(step.kind, agtrace::model::StepKind::Llm);
    assert_eq!(
        (step.tokens.input, step.tokens.output),
        (Some(1200), Some(80))
    );
    assert_eq!(step.cost(), Some(0.0038));
    assert_eq!(step.cost_source, agtrace::model::CostSource::Provided);
    let t = set.step(tool);
    assert_eq!(t.kind, agtrace::model::StepKind::Tool);
    assert_eq!(t.outcome, agtrace::model::Outcome::Error);
    assert_eq!(
        set.str(set.spans[tool as usize].status_message),
        "gateway timeout"
    );
    assert_eq!(set.spans[tool as usize].duration_ns(), 1_000 * MS);
    assert!(
        set.span_attr(&set.spans[root as usize], "langfuse.observation.id")
            .is_some()
    );
    assert_eq!(set.str(set.step(root).session), "conv-77");
}

/// Langfuse v4's observation rows — the Observations API v2's cursor pages, one per
/// line — read as the v3 trace export of the same observations: the rows carry what
/// v3 kept on the trace (trace name, session, environment), the model as
/// `providedModelName`, the cost as `totalCost` (the trace's cost is their sum).
#[test]
fn langfuse_v4_observation_pages_read_as_the_v3_export() {
    let tid = "7c8f6c2e-3b1a-4d0e-9f3a-2b1c0d9e8f7a";
    let row = |extra: serde_json::Value| {
        let mut r = serde_json::json!({"traceId": tid, "projectId": "p1", "traceName": "support-bot",
            "sessionId": "conv-77", "environment": "prod", "parentObservationId": null});
        for (k, v) in extra.as_object().expect("object") {
            r[k] = v.clone();
        }
        r
    };
    let rows = [
        row(
            serde_json::json!({"id": "root-1", "type": "AGENT", "name": "support",
            "startTime": "2025-11-21T03:12:00.000Z", "endTime": "2025-11-21T03:12:03.000Z",
            "level": "DEFAULT", "isRootObservation": true}),
        ),
        row(
            serde_json::json!({"id": "a1b2c3d4e5f60718", "parentObservationId": "root-1",
            "type": "GENERATION", "name": "chat", "startTime": "2025-11-21T03:12:00.100Z",
            "endTime": "2025-11-21T03:12:01.100Z", "providedModelName": "gpt-4o",
            "usageDetails": {"input": 1200, "output": 80, "total": 1280}, "totalCost": 0.0038,
            "level": "DEFAULT"}),
        ),
        row(
            serde_json::json!({"id": "tool-9", "parentObservationId": "root-1", "type": "TOOL",
            "name": "refund_payment", "startTime": "2025-11-21T03:12:01.200Z",
            "endTime": "2025-11-21T03:12:02.200Z", "level": "ERROR",
            "statusMessage": "gateway timeout"}),
        ),
    ];
    let pages = format!(
        "{}\n{}\n",
        serde_json::json!({"data": [rows[0], rows[1]], "meta": {"cursor": "eyJwIjoxfQ=="}}),
        serde_json::json!({"data": [rows[2]], "meta": {}})
    );
    let d = agtrace::source::load_bytes(
        pages.into_bytes(),
        "lf4",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load");
    assert_eq!(d.format, "Langfuse observations (v4)");
    let mut set = agtrace::model::TraceSet::build(d.batches, vec!["lf4".into()], Vec::new());
    agtrace::semconv::annotate(&mut set, &agtrace::semconv::PriceTable::bundled());
    assert_eq!(set.traces.len(), 1);
    let tr = &set.traces[0];
    assert_eq!(tr.id.to_string(), "7c8f6c2e3b1a4d0e9f3a2b1c0d9e8f7a");
    assert_eq!(set.spans.len(), 3);
    assert_eq!((tr.tokens.input, tr.tokens.output), (Some(1200), Some(80)));
    assert_eq!(tr.cost(), Some(0.0038));
    assert_eq!(tr.error_count, 1);
    assert_eq!(set.str(tr.service), "support-bot");
    assert_eq!(set.str(tr.session), "conv-77");
    let chat = (0..set.spans.len() as u32)
        .find(|&i| set.str(set.spans[i as usize].name) == "chat")
        .expect("chat");
    assert_eq!(set.str(set.step(chat).model), "gpt-4o");
    // The rows alone (no page around them), as a list: the same.
    let d = agtrace::source::load_bytes(
        serde_json::to_vec(&rows).expect("json"),
        "rows",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load rows");
    assert_eq!(d.span_count(), 3);
}

/// Flat span records (evaluation tools' lists, ADOT's `aws/spans` in camelCase, with or
/// without a `{"spans": […]}` wrapper) read as spans.
#[test]
fn flat_span_records() {
    let load = |doc: serde_json::Value| {
        let d = agtrace::source::load_bytes(
            doc.to_string().into_bytes(),
            "flat",
            0,
            &agtrace::source::LoadOptions::with_threads(1),
        )
        .expect("load");
        agtrace::model::TraceSet::build(d.batches, vec!["flat".into()], Vec::new())
    };
    let snake = load(serde_json::json!({"session_id": "s", "spans": [
        {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "a000000000000001",
         "parent_span_id": null, "name": "invoke_agent", "start_time": 1763694720000000000u64,
         "end_time": 1763694721000000000u64, "attributes": {"gen_ai.operation.name": "invoke_agent", "n": 3},
         "scope": {"name": "x", "version": "1"}, "status": {"code": "ERROR", "message": "boom"},
         "span_events": [{"name": "exception", "timestamp": 1763694720500000000u64, "attributes": {"exception.message": "boom"}}]},
        {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "a000000000000002",
         "parent_span_id": "a000000000000001", "name": "chat", "start_time": "2025-11-21T03:12:00.100Z",
         "end_time": "2025-11-21T03:12:00.600Z", "attributes": {}, "status": {"code": "UNSET"}}
    ]}));
    assert_eq!(snake.spans.len(), 2);
    let root = &snake.spans[snake.roots[0] as usize];
    assert_eq!(root.status, StatusCode::Error);
    assert_eq!(snake.str(root.status_message), "boom");
    assert_eq!(snake.span_events(root).len(), 1);
    let child = snake
        .spans
        .iter()
        .find(|s| snake.str(s.name) == "chat")
        .expect("chat");
    assert_eq!(child.duration_ns(), 500 * MS);
    assert_eq!(child.parent, snake.roots[0]);
    let camel = load(serde_json::json!([
        {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "b000000000000001", "name": "GET",
         "kind": "SPAN_KIND_CLIENT", "startTimeUnixNano": "1763694720000000000",
         "endTimeUnixNano": "1763694720250000000", "attributes": {"http.method": "GET"},
         "resource": {"attributes": {"service.name": "checkout"}}, "status": {"code": 0}}
    ]));
    assert_eq!(camel.spans.len(), 1);
    assert_eq!(camel.spans[0].kind, SpanKind::Client);
    assert_eq!(camel.service_of(&camel.spans[0]), "checkout");
    assert_eq!(camel.spans[0].duration_ns(), 250 * MS);
}

/// The Python SDK's console exporter prints objects one after another, a span once
/// unfinished and once finished (the copies merge); Phoenix's span JSON carries the
/// OpenInference kind in `span_kind`.
#[test]
fn python_console_output_and_phoenix_span_json() {
    let span = |end: serde_json::Value| {
        serde_json::json!({"name": "chat gpt-4o",
            "context": {"trace_id": "0x4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "0xa000000000000001", "trace_state": "[]"},
            "kind": "SpanKind.CLIENT", "parent_id": null,
            "start_time": "2025-11-21T03:12:00.000000Z", "end_time": end,
            "status": {"status_code": "ERROR", "description": "rate limited"},
            "attributes": {"gen_ai.request.model": "gpt-4o", "gen_ai.operation.name": "chat"},
            "events": [], "links": [],
            "resource": {"attributes": {"service.name": "checkout"}, "schema_url": ""}})
    };
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&span(serde_json::Value::Null)).expect("json"),
        serde_json::to_string_pretty(&span("2025-11-21T03:12:01.500000Z".into())).expect("json")
    );
    let d = agtrace::source::load_bytes(
        text.into_bytes(),
        "console",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["console".into()], Vec::new());
    assert_eq!(set.spans.len(), 1, "the two printings merge");
    let s = &set.spans[0];
    assert_eq!(
        s.duration_ns(),
        1_500 * MS,
        "the finished copy gives the end"
    );
    assert_eq!((s.kind, s.status), (SpanKind::Client, StatusCode::Error));
    assert_eq!(set.str(s.status_message), "rate limited");
    assert_eq!(set.service_of(s), "checkout");
    let phoenix = serde_json::json!([
        {"name": "ChatOpenAI", "context": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "b000000000000001"},
         "span_kind": "LLM", "parent_id": null, "start_time": "2025-11-21T03:12:00+00:00",
         "end_time": "2025-11-21T03:12:02+00:00", "status_code": "OK", "status_message": "",
         "attributes": {"llm.model_name": "gpt-4o", "llm.token_count.prompt": 10}}
    ]);
    let d = agtrace::source::load_bytes(
        phoenix.to_string().into_bytes(),
        "phoenix",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load");
    let mut set = agtrace::model::TraceSet::build(d.batches, vec!["phoenix".into()], Vec::new());
    agtrace::semconv::annotate(&mut set, &agtrace::semconv::PriceTable::bundled());
    assert_eq!(set.spans[0].status, StatusCode::Ok);
    assert_eq!(set.step(0).kind, agtrace::model::StepKind::Llm);
    assert_eq!(set.spans[0].duration_ns(), 2_000 * MS);
}

/// GenAI content in OTLP log records — beside the spans, or in a logs file of its own
/// given next to the traces — becomes events of its span, so the conversation shows;
/// records whose span is absent are counted in a warning.
#[test]
fn genai_log_records_join_their_spans() {
    let traces = serde_json::json!({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "bot"}}]},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": [
        {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "a000000000000001", "name": "chat gpt-4o",
         "kind": 3, "startTimeUnixNano": "1763694720000000000", "endTimeUnixNano": "1763694721000000000",
         "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}}]}]}]}]});
    let record = |span: &str, name: &str, body: serde_json::Value| {
        serde_json::json!({"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": span,
            "timeUnixNano": "1763694720100000000", "eventName": name, "body": body,
            "attributes": [{"key": "gen_ai.system", "value": {"stringValue": "openai"}}]})
    };
    let logs = serde_json::json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        record("a000000000000001", "gen_ai.user.message",
               serde_json::json!({"kvlistValue": {"values": [{"key": "content", "value": {"stringValue": "where is my refund?"}}]}})),
        record("a000000000000001", "gen_ai.choice",
               serde_json::json!({"kvlistValue": {"values": [{"key": "message", "value": {"kvlistValue": {"values": [
                   {"key": "content", "value": {"stringValue": "It is on its way."}}]}}},
                   {"key": "finish_reason", "value": {"stringValue": "stop"}}]}})),
        record("ffffffffffffffff", "gen_ai.user.message", serde_json::json!({"stringValue": "lost"}))
    ]}]}]});
    let dir = tempfile::tempdir().expect("tempdir");
    let (tp, lp) = (dir.path().join("traces.json"), dir.path().join("logs.json"));
    std::fs::write(&tp, traces.to_string()).expect("write");
    std::fs::write(&lp, logs.to_string()).expect("write");
    let set = agtrace::input::load(
        &[
            agtrace::source::Input::Path(tp.clone()),
            agtrace::source::Input::Path(lp),
        ],
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load");
    let conv = agtrace::semconv::messages::conversation(&set, &set.spans[0]);
    let text = format!("{conv:?}");
    assert!(text.contains("where is my refund?"), "{text}");
    assert!(text.contains("It is on its way."), "{text}");
    assert!(
        set.warnings.iter().any(|w| w
            .message
            .contains("1 log records name spans that are not in the input")),
        "{:?}",
        set.warnings
    );
    // The same records in the traces document itself.
    let mut both = traces.clone();
    both["resourceLogs"] = logs["resourceLogs"].clone();
    std::fs::write(&tp, both.to_string()).expect("write");
    let set = load_ok(&[tp.to_str().expect("path")]);
    let conv = agtrace::semconv::messages::conversation(&set, &set.spans[0]);
    assert!(format!("{conv:?}").contains("where is my refund?"));
}

#[test]
fn each_source_says_which_format_it_was_read_as() {
    let cases = [
        ("shapes/agent-incident.jaeger.json", "Jaeger JSON"),
        ("shapes/agent-incident.zipkin.json", "Zipkin v2 JSON"),
        ("shapes/agent-incident.debug.txt", "collector debug text"),
        ("shapes/agent-incident.pb.zst", "OTLP protobuf, in zstd"),
        ("shapes/python-console.json", "Python console exporter"),
        (
            "shapes/agent-incident.node-console.txt",
            "Node console exporter",
        ),
        ("shapes/traces-and-logs.json", "OTLP/JSON with log records"),
        (
            "shapes/collector.jsonl.gz",
            "OTLP/JSON with log records, in gzip",
        ),
    ];
    for (rel, want) in cases {
        let set = load_ok(&[rel]);
        assert_eq!(set.source_formats, vec![want.to_owned()], "{rel}");
        // `ls --json` names it per trace, `show` in its header.
        let path = fixture(rel);
        let path = path.to_str().expect("utf-8 path");
        let out = common::run_ok(&["ls", "--json", path]);
        let first: serde_json::Value =
            serde_json::from_str(out.lines().next().expect("a trace")).expect("json");
        assert_eq!(first["sources"][0]["format"], want, "{rel}");
        let tid = first["trace_id"].as_str().expect("id").to_owned();
        let shown = common::run_ok(&["show", path, &tid]);
        assert!(shown.contains(&format!("({want})")), "{rel}: {shown}");
    }
}

#[test]
fn sixty_four_bit_trace_ids_list_by_their_significant_digits() {
    let doc = r#"[{"traceId":"1e223ff1f80f1c69","id":"1e223ff1f80f1c69","name":"get","timestamp":1,"duration":2,"localEndpoint":{"serviceName":"a"}}]"#;
    let d = agtrace::source::load_bytes(
        doc.as_bytes().to_vec(),
        "z",
        0,
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("zipkin");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["z".into()], Vec::new());
    assert_eq!(
        set.traces[0].id.to_string(),
        "00000000000000001e223ff1f80f1c69"
    );
    assert_eq!(set.traces[0].id.listed(), "1e223ff1f80f1c69");
    assert_eq!(set.find_traces("1e223ff1"), vec![0]);
    assert_eq!(agtrace::model::short_id_len(&set), 8);
}

/// The debug exporter prints log records too (`ResourceLog #0` … `LogRecord #0`,
/// as the collector's otlptext logs marshaler writes them): those naming a span join
/// it as events, so a `kubectl logs` capture of a GenAI app shows its conversation.
#[test]
fn debug_text_log_records_join_their_spans() {
    use agtrace::source::{LoadOptions, load_bytes};
    let text = "2025-11-21T03:12:01.100Z\tinfo\tResourceSpans #0\n\
Resource SchemaURL: \n\
Resource attributes:\n\
     -> service.name: Str(bot)\n\
ScopeSpans #0\n\
InstrumentationScope opentelemetry.instrumentation.openai_v2 \n\
Span #0\n\
    Trace ID       : 4bf92f3577b34da6a3ce929d0e0e4736\n\
    Parent ID      : \n\
    ID             : a000000000000001\n\
    Name           : chat gpt-4o\n\
    Kind           : Client\n\
    Start time     : 2025-11-21 03:12:00 +0000 UTC\n\
    End time       : 2025-11-21 03:12:01 +0000 UTC\n\
    Status code    : Unset\n\
    Status message : \n\
Attributes:\n\
     -> gen_ai.operation.name: Str(chat)\n\
     -> gen_ai.request.model: Str(gpt-4o)\n\
2025-11-21T03:12:01.101Z\tinfo\tLogs\t{\"resource logs\": 1, \"log records\": 3}\n\
2025-11-21T03:12:01.101Z\tinfo\tResourceLog #0\n\
Resource SchemaURL: \n\
Resource attributes:\n\
     -> service.name: Str(bot)\n\
ScopeLogs #0\n\
ScopeLogs SchemaURL: \n\
InstrumentationScope opentelemetry.instrumentation.openai_v2 \n\
LogRecord #0\n\
ObservedTimestamp: 2025-11-21 03:12:00.1 +0000 UTC\n\
Timestamp: 2025-11-21 03:12:00.1 +0000 UTC\n\
SeverityText: \n\
SeverityNumber: Info(9)\n\
EventName: gen_ai.user.message\n\
Body: Map({\"content\":\"where is my refund?\"})\n\
Attributes:\n\
     -> gen_ai.system: Str(openai)\n\
Trace ID: 4bf92f3577b34da6a3ce929d0e0e4736\n\
Span ID: a000000000000001\n\
Flags: 1\n\
LogRecord #1\n\
ObservedTimestamp: 2025-11-21 03:12:00.9 +0000 UTC\n\
Timestamp: 1970-01-01 00:00:00 +0000 UTC\n\
SeverityText: \n\
SeverityNumber: Info(9)\n\
Body: Map({\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"content\":\"It is on its way.\"}})\n\
Attributes:\n\
     -> event.name: Str(gen_ai.choice)\n\
Trace ID: 4bf92f3577b34da6a3ce929d0e0e4736\n\
Span ID: a000000000000001\n\
Flags: 1\n\
LogRecord #2\n\
ObservedTimestamp: 2025-11-21 03:12:00.9 +0000 UTC\n\
Timestamp: 2025-11-21 03:12:00.9 +0000 UTC\n\
Body: Str(a plain application log line)\n\
Attributes:\n\
Trace ID: \n\
Span ID: \n\
Flags: 0\n\
2025-11-21T03:12:01.200Z\tinfo\tResourceMetrics #0\n\
Resource attributes:\n\
     -> service.name: Str(bot)\n";
    let d = load_bytes(
        text.as_bytes().to_vec(),
        "k",
        0,
        &LoadOptions::with_threads(1),
    )
    .expect("load");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["k".into()], Vec::new());
    assert_eq!(set.spans.len(), 1);
    let s = &set.spans[0];
    // The records' fields did not leak into the span.
    assert_eq!(set.span_attrs(s).len(), 2);
    assert_eq!(set.str(s.name), "chat gpt-4o");
    let events = set.span_events(s);
    assert_eq!(events.len(), 2, "the record without a span is not an event");
    assert_eq!(set.str(events[0].name), "gen_ai.user.message");
    assert_eq!(set.str(events[1].name), "gen_ai.choice");
    assert_eq!(
        events[1].time,
        T0 + 900 * MS,
        "observed time when the time is zero"
    );
    let conv = format!("{:?}", agtrace::semconv::messages::conversation(&set, s));
    assert!(conv.contains("where is my refund?"), "{conv}");
    assert!(conv.contains("It is on its way."), "{conv}");
}

/// A protobuf logs file (what the collector's file exporter writes for a logs
/// pipeline with `format: proto`, encoded here with the reference message types) given
/// next to the traces: its GenAI records join their spans.
#[test]
fn protobuf_log_records_join_their_spans() {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, KeyValueList, any_value};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
    use prost::Message as _;
    let s = |v: &str| AnyValue {
        value: Some(any_value::Value::StringValue(v.into())),
    };
    let record = |span: &[u8], name: &str, content: &str| LogRecord {
        time_unix_nano: T0 + 100 * MS,
        event_name: name.into(),
        trace_id: vec![
            0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
            0x47, 0x36,
        ],
        span_id: span.to_vec(),
        attributes: vec![KeyValue {
            key: "gen_ai.system".into(),
            value: Some(s("openai")),
            ..Default::default()
        }],
        body: Some(AnyValue {
            value: Some(any_value::Value::KvlistValue(KeyValueList {
                values: vec![KeyValue {
                    key: "content".into(),
                    value: Some(s(content)),
                    ..Default::default()
                }],
            })),
        }),
        ..Default::default()
    };
    let span = [0xa0, 0, 0, 0, 0, 0, 0, 1];
    let logs = LogsData {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    record(&span, "gen_ai.user.message", "where is my refund?"),
                    record(&[0xff; 8], "gen_ai.user.message", "lost"),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let traces = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "a000000000000001", "name": "chat gpt-4o",
         "kind": 3, "startTimeUnixNano": T0.to_string(), "endTimeUnixNano": (T0 + 1000 * MS).to_string(),
         "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]}]}]}]});
    let dir = tempfile::tempdir().expect("tempdir");
    let (tp, lp) = (dir.path().join("traces.json"), dir.path().join("logs.pb"));
    std::fs::write(&tp, traces.to_string()).expect("write");
    // Single message, then the file exporter's length-prefixed stream.
    let one = logs.encode_to_vec();
    let mut stream = (one.len() as u32).to_be_bytes().to_vec();
    stream.extend_from_slice(&one);
    for bytes in [one, stream] {
        std::fs::write(&lp, &bytes).expect("write");
        let set = agtrace::input::load(
            &[
                agtrace::source::Input::Path(tp.clone()),
                agtrace::source::Input::Path(lp.clone()),
            ],
            &agtrace::source::LoadOptions::with_threads(1),
        )
        .expect("load");
        assert_eq!(set.source_formats[1], "OTLP protobuf log records");
        let conv = format!(
            "{:?}",
            agtrace::semconv::messages::conversation(&set, &set.spans[0])
        );
        assert!(conv.contains("where is my refund?"), "{conv}");
        assert!(
            set.warnings
                .iter()
                .any(|w| w.message.contains("1 log records name spans")),
            "{:?}",
            set.warnings
        );
    }
}
