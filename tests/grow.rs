//! A live set grows in place (`live::grow`): only what arrived is derived again. These
//! tests hold that to what loading the same inputs at once gives: the same tree, the
//! same steps, roll-ups, sessions and findings, whatever order and pieces they come in.

mod common;
use agtrace::live::grow::grow;
use agtrace::model::{Batch, TraceSet};
use agtrace::semconv::PriceTable;
use agtrace::source::{LoadOptions, load_bytes};

/// The trace fixtures a growing set is fed, one after the other (JSON, JSON Lines,
/// protobuf, Jaeger, Zipkin, debug text, logs with spans, hostile and integrity cases).
const FIXTURES: &[&str] = &[
    "agent-incident.otlp.json",
    "findings.otlp.json",
    "triage.otlp.json",
    "conventions-2026.otlp.json",
    "integrity.json",
    "hostile.json",
    "secrets.otlp.json",
    "shapes/traces-and-logs.json",
    "shapes/collector.jsonl",
    "shapes/agent-incident.jaeger.json",
    "shapes/zipkin-minimal.json",
    "shapes/agent-incident.debug.txt",
    "folder/traces-2025-11-21T03.jsonl",
    "folder/traces-2025-11-21T04.jsonl",
];

fn batches_of(rel: &str, source: u32) -> Vec<Batch> {
    let bytes = std::fs::read(common::fixture(rel)).expect("fixture");
    load_bytes(bytes, rel, source, &LoadOptions::with_threads(1))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .batches
}

/// Feeds `pieces` (fixture, source index) one growth each, then once more the first
/// one (every span a duplicate): the set after each growth, derived.
fn grown(pieces: &[(&str, u32)], prices: &PriceTable) -> TraceSet {
    let mut set = TraceSet::default();
    for &(rel, source) in pieces.iter().chain(pieces.first()) {
        let g = grow(set, batches_of(rel, source), prices, usize::MAX);
        assert_eq!(g.evicted, 0);
        set = g.set;
        assert_eq!(set.steps.len(), set.spans.len(), "after {rel}");
        assert_eq!(set.trace_findings.len(), set.traces.len(), "after {rel}");
    }
    set
}

#[test]
fn growing_file_by_file_derives_what_loading_them_together_does() {
    let prices = PriceTable::bundled();
    let pieces: Vec<(&str, u32)> = FIXTURES
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, i as u32))
        .collect();
    let set = grown(&pieces, &prices);
    let mut all: Vec<&str> = FIXTURES.to_vec();
    all.push(FIXTURES[0]);
    let whole = common::load_ok(&all);
    let (a, b) = (
        common::canonical_derived(&set),
        common::canonical_derived(&whole),
    );
    assert!(
        a.contains("step ") && a.contains("finding "),
        "steps and findings compared"
    );
    if a != b {
        let first = a
            .lines()
            .zip(b.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("grown: {x}\nwhole: {y}"));
        panic!("grown set differs from loading at once:\n{first:?}");
    }
}

#[test]
fn a_late_parent_and_late_copies_rederive_the_traces_they_touch() {
    // The incident's traces arrive in the reverse order of their spans: children first
    // (orphans), parents later; then a second copy of everything.
    let prices = PriceTable::bundled();
    let decoded = batches_of("agent-incident.otlp.json", 0);
    let whole = TraceSet::build(decoded, vec!["x".into()], Vec::new());
    let mut order: Vec<u32> = (0..whole.spans.len() as u32).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(whole.spans[i as usize].depth));
    let mut set = TraceSet::default();
    for chunk in order.chunks(3) {
        let spans = agtrace::export::select(&whole, &whole_traces(&whole), None)
            .into_iter()
            .filter(|s| chunk.contains(s))
            .collect::<Vec<_>>();
        set = grow(set, piece(&whole, &spans), &prices, usize::MAX).set;
    }
    let expected = common::load_ok(&["agent-incident.otlp.json"]);
    assert_eq!(
        common::canonical_derived(&set),
        common::canonical_derived(&expected)
    );
}

fn whole_traces(set: &TraceSet) -> Vec<u32> {
    (0..set.traces.len() as u32).collect()
}

/// The spans `spans` of `set` as a batch, through the protobuf export (what a
/// receiver would have been sent).
fn piece(set: &TraceSet, spans: &[u32]) -> Vec<Batch> {
    let mut buf = Vec::new();
    agtrace::export::write(
        &mut buf,
        set,
        spans,
        agtrace::export::ExportFormat::OtlpProto,
        None,
        &mut |_| {},
    )
    .expect("export");
    agtrace::decode::otlp_proto::decode(&buf, 0, "piece", 1)
        .expect("decode")
        .batches
}

#[test]
fn findings_of_changed_traces_are_derived_again_and_the_others_kept() {
    use agtrace::analysis::findings::{derive, derive_changed};
    let prices = PriceTable::bundled();
    let mut set = common::load_ok(&["findings.otlp.json", "triage.otlp.json"]);
    let before: Vec<Vec<agtrace::model::Finding>> = (0..set.traces.len() as u32)
        .map(|t| {
            agtrace::analysis::findings::of_trace(&set, t)
                .unwrap_or_default()
                .to_vec()
        })
        .collect();
    // Every trace listed: exactly what deriving the whole set gives.
    let all: Vec<u32> = (0..set.traces.len() as u32).collect();
    derive_changed(&mut set, &all);
    let mut full = set.clone();
    derive(&mut full);
    assert_eq!(set.findings, full.findings);
    assert_eq!(set.finding_marks, full.finding_marks);
    // Grow by the incident's traces: the new traces get theirs, the old keep theirs.
    let growth = set.extend_with(batches_of("agent-incident.otlp.json", 2));
    agtrace::semconv::annotate_grown(&mut set, &prices, &growth);
    let old = before.len();
    let changed = growth.changed_traces(&set);
    assert_eq!(
        changed,
        (old as u32..set.traces.len() as u32).collect::<Vec<_>>()
    );
    derive_changed(&mut set, &changed);
    let mut full = set.clone();
    derive(&mut full);
    for t in 0..set.traces.len() as u32 {
        let got = agtrace::analysis::findings::of_trace(&set, t).unwrap_or_default();
        if (t as usize) < old {
            assert_eq!(got, &before[t as usize][..], "trace {t} kept its findings");
        } else {
            let want = agtrace::analysis::findings::of_trace(&full, t).unwrap_or_default();
            assert_eq!(got, want, "trace {t} derived against the whole set");
        }
    }
    assert!(set.findings.len() > before.iter().map(Vec::len).sum::<usize>());
}

fn span_json(id: &str, parent: &str, name: &str, end: u64, attrs: &str, status: &str) -> String {
    format!(
        r#"{{"traceId":"7e570000000000000000000000000001","spanId":"{id}","parentSpanId":"{parent}","name":"{name}","kind":1,"startTimeUnixNano":"1763694720000000000","endTimeUnixNano":"{end}","attributes":[{attrs}],"status":{status}}}"#
    )
}

fn doc(spans: &[String]) -> Vec<u8> {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
    .into_bytes()
}

fn attr(k: &str, v: &str) -> String {
    format!(r#"{{"key":"{k}","value":{v}}}"#)
}

#[test]
fn a_span_completed_by_a_later_copy_or_later_log_records_is_derived_again() {
    let prices = PriceTable::bundled();
    let end = 1_763_694_725_000_000_000u64;
    let root = span_json(
        "b000000000000001",
        "",
        "invoke_agent support",
        end,
        &attr("gen_ai.operation.name", r#"{"stringValue":"invoke_agent"}"#),
        "{}",
    );
    // First the LLM call as an exporter sends it when it starts: a name, no end.
    let bare = span_json(
        "b000000000000002",
        "b000000000000001",
        "chat gpt-4o",
        0,
        "",
        "{}",
    );
    // Then finished: model, tokens, a failure.
    let full = span_json(
        "b000000000000002",
        "b000000000000001",
        "chat gpt-4o",
        end,
        &[
            attr("gen_ai.operation.name", r#"{"stringValue":"chat"}"#),
            attr("gen_ai.request.model", r#"{"stringValue":"gpt-4o"}"#),
            attr("gen_ai.usage.input_tokens", r#"{"intValue":"1200"}"#),
            attr("gen_ai.usage.output_tokens", r#"{"intValue":"85"}"#),
            attr("gen_ai.conversation.id", r#"{"stringValue":"conv-late"}"#),
        ]
        .join(","),
        r#"{"code":2,"message":"upstream 529"}"#,
    );
    // A Codex-style call whose tokens come only in a log record, sent later.
    let codex = span_json(
        "b000000000000003",
        "b000000000000001",
        "codex.api_request",
        end,
        &[
            attr("gen_ai.operation.name", r#"{"stringValue":"chat"}"#),
            attr("gen_ai.request.model", r#"{"stringValue":"gpt-5-codex"}"#),
        ]
        .join(","),
        "{}",
    );
    let logs = br#"{"resourceLogs":[{"resource":{},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1763694724000000000","traceId":"7e570000000000000000000000000001","spanId":"b000000000000003","eventName":"codex.sse_event","attributes":[{"key":"event.kind","value":{"stringValue":"response.completed"}},{"key":"input_token_count","value":{"intValue":"5000"}},{"key":"output_token_count","value":{"intValue":"700"}}]}]}]}]}"#.to_vec();
    let opts = LoadOptions::with_threads(1);
    let dec = |b: Vec<u8>| load_bytes(b, "piece", 0, &opts).expect("decodes").batches;
    let pieces = [
        doc(&[root.clone(), bare.clone()]),
        doc(&[full.clone(), codex.clone()]),
        logs.clone(),
    ];
    let mut set = TraceSet::default();
    let mut tokens_after = Vec::new();
    for p in &pieces {
        set = grow(set, dec(p.clone()), &prices, usize::MAX).set;
        tokens_after.push(set.traces[0].tokens.input);
    }
    assert_eq!(tokens_after, [None, Some(1200), Some(6200)]);
    let mut all = Vec::new();
    for p in pieces {
        all.extend(dec(p));
    }
    let mut whole = TraceSet::build(all, Vec::new(), Vec::new());
    agtrace::semconv::annotate(&mut whole, &prices);
    agtrace::analysis::findings::derive(&mut whole);
    let (a, b) = (
        common::canonical_derived(&set),
        common::canonical_derived(&whole),
    );
    assert_eq!(a, b);
    // The finished copy made the call an LLM step with its tokens and its failure;
    // the late record gave the Codex call its tokens.
    let tr = &set.traces[0];
    assert_eq!(tr.error_count, 1, "{a}");
    assert_eq!(tr.tokens.input, Some(6200), "{a}");
    assert_eq!(set.str(tr.session), "conv-late");
}

/// A followed debug-exporter log meets its end mid-block: the block's spans are given
/// at the quiet spell and again, whole, as a revision when the block completes. Grown
/// piece by piece, the live set is the file loaded at once (no duplicates, nothing cut).
#[test]
fn debug_text_blocks_revised_after_a_quiet_spell_grow_into_the_file_loaded_at_once() {
    use agtrace::source::stream::StreamDecoder;
    let prices = PriceTable::bundled();
    let rel = "shapes/agent-incident.debug.txt";
    let bytes = std::fs::read(common::fixture(rel)).expect("fixture");
    for chunk in [97, 1500] {
        let mut d = StreamDecoder::new(rel, 0, &LoadOptions::with_threads(1));
        let mut set = TraceSet::default();
        let mut revisions = 0;
        for piece in bytes.chunks(chunk) {
            let mut got = d.push(piece).expect("push");
            got.extend(d.idle().expect("idle"));
            for decoded in got {
                let batch = agtrace::live::Received::from_decoded(decoded).batch;
                revisions += usize::from(batch.revises);
                set = grow(set, vec![batch], &prices, usize::MAX).set;
            }
        }
        for decoded in d.finish().expect("finish") {
            let batch = agtrace::live::Received::from_decoded(decoded).batch;
            set = grow(set, vec![batch], &prices, usize::MAX).set;
        }
        assert!(revisions > 0, "blocks were cut at quiet spells ({chunk})");
        let whole = common::load_ok(&[rel]);
        assert_eq!(set.integrity.duplicates, 0);
        assert_eq!(
            common::canonical_derived(&set),
            common::canonical_derived(&whole),
            "{chunk} bytes at a time"
        );
    }
}

/// Eviction compacts the set, but what the set knew of its inputs stays: the load
/// warnings (a damaged line), which input each kept span came from and in what
/// format, spans merged from two copies, and log records still waiting for spans.
#[test]
fn eviction_keeps_warnings_sources_and_waiting_log_records() {
    let prices = PriceTable::bundled();
    let mut set = TraceSet::default();
    let inputs = [
        "damaged/bad-line.jsonl",
        "folder/traces-2025-11-21T03.jsonl",
        "folder/traces-2025-11-21T04.jsonl",
        "shapes/anyvalues.json",
        "secrets.otlp.json",
        "agent-incident.otlp.json",
    ];
    for (i, rel) in inputs.iter().enumerate() {
        set = grow(set, batches_of(rel, i as u32), &prices, usize::MAX).set;
    }
    // A second copy of one span of the newest input (a duplicate), and a log record
    // whose span never came.
    let newest = batches_of(inputs[5], 5);
    set = grow(set, newest, &prices, usize::MAX).set;
    let waiting = agtrace::model::LogEvent {
        trace_id: agtrace::model::TraceId([0xab; 16]),
        span_id: agtrace::model::SpanId([0xab; 8]),
        time: 1,
        name: "gen_ai.choice".into(),
        attrs: Vec::new(),
    };
    set.unattached_logs.push(waiting);
    set.sources = inputs.iter().map(|s| s.to_string()).collect();
    set.source_formats = vec!["OTLP/JSON".into(); inputs.len()];
    let warnings = set.warnings.clone();
    assert!(!warnings.is_empty(), "the damaged line warned");
    let before: std::collections::HashMap<_, _> = set
        .spans
        .iter()
        .map(|s| ((s.trace_id, s.span_id), (s.source, s.marks.0)))
        .collect();
    let content_before: std::collections::HashMap<_, _> = set
        .spans
        .iter()
        .map(|s| ((s.trace_id, s.span_id), content(&set, s)))
        .collect();
    assert!(
        before.values().any(|&(_, m)| m & 16 != 0),
        "duplicates held"
    );
    let cap = set.spans.len() / 2;
    let g = grow(set, Vec::new(), &prices, cap);
    assert!(g.evicted > 0);
    let kept = g.set;
    assert!(kept.spans.len() <= cap);
    assert_eq!(kept.warnings, warnings);
    assert_eq!(kept.source_formats.len(), inputs.len());
    assert_eq!(kept.unattached_logs.len(), 1);
    for s in &kept.spans {
        let (source, marks) = before[&(s.trace_id, s.span_id)];
        assert_eq!(s.source, source, "span {} keeps its input", s.span_id);
        assert_eq!(
            s.marks.0 & 16,
            marks & 16,
            "span {} keeps its merge mark",
            s.span_id
        );
        assert_eq!(
            content(&kept, s),
            content_before[&(s.trace_id, s.span_id)],
            "span {} keeps its content",
            s.span_id
        );
    }
    let kinds = |f: fn(&agtrace::model::AttrValue) -> bool| kept.attrs.iter().any(|a| f(&a.value));
    assert!(
        kinds(|v| matches!(v, agtrace::model::AttrValue::Text(_)))
            && kinds(|v| matches!(
                v,
                agtrace::model::AttrValue::Array(_) | agtrace::model::AttrValue::KvList(_)
            )),
        "long texts and nested values were copied"
    );
    assert_eq!(
        kept.integrity.duplicates as usize,
        kept.spans.iter().filter(|s| s.marks.0 & 16 != 0).count()
    );
}

/// Everything a span says, through the set's tables: name, status, times, resource,
/// scope, attributes, events and links.
fn content(set: &TraceSet, s: &agtrace::model::Span) -> String {
    let attrs = |slice: agtrace::model::Slice| -> String {
        set.attrs[slice.range()]
            .iter()
            .map(|a| format!("{}={:?}", set.str(a.key), a.value.to_json(&set.strings)))
            .collect::<Vec<_>>()
            .join(";")
    };
    let res = &set.resources[s.resource as usize];
    let scope = &set.scopes[s.scope as usize];
    let events: Vec<String> = set.events[s.events.range()]
        .iter()
        .map(|e| format!("{}@{} {}", set.str(e.name), e.time, attrs(e.attrs)))
        .collect();
    let links: Vec<String> = set.links[s.links.range()]
        .iter()
        .map(|l| format!("{}/{} {}", l.trace_id, l.span_id, attrs(l.attrs)))
        .collect();
    format!(
        "{} {:?} {:?} {} {}-{} res={} [{}] scope={}@{} [{}] attrs [{}] events {:?} links {:?}",
        set.str(s.name),
        s.status,
        set.str(s.status_message),
        set.str(s.trace_state),
        s.start,
        s.end,
        set.str(res.service),
        attrs(res.attrs),
        set.str(scope.name),
        set.str(scope.version),
        attrs(scope.attrs),
        attrs(s.attrs),
        events,
        links
    )
}
