//! Damaged input keeps everything before the damage and says where it stopped; input
//! that is not a trace format gets one clear sentence.

mod common;
use agtrace::model::Position;
use agtrace::source::LoadError;
use common::*;

#[test]
fn truncated_json_document_keeps_the_spans_before_the_cut() {
    let set = load_ok(&["damaged/truncated.json"]);
    assert_eq!(set.spans.len(), 11, "traces A and B whole, two spans of C");
    assert_eq!(set.traces.len(), 3);
    assert_eq!(set.warnings.len(), 1);
    let w = &set.warnings[0];
    assert!(w.source.ends_with("damaged/truncated.json"));
    assert!(
        matches!(w.position, Position::Line { line, .. } if line > 600),
        "{w}"
    );
    assert!(w.message.contains("ends in the middle"), "{w}");
}

#[test]
fn truncated_json_lines_keep_every_whole_line() {
    let set = load_ok(&["damaged/truncated.jsonl"]);
    assert_eq!(set.traces.len(), 3);
    assert_eq!(set.spans.len(), 13);
    assert_eq!(set.warnings.len(), 1);
    assert!(
        matches!(set.warnings[0].position, Position::Line { line: 5, .. }),
        "{}",
        set.warnings[0]
    );
}

#[test]
fn a_broken_line_in_the_middle_costs_only_that_line() {
    let set = load_ok(&["damaged/bad-line.jsonl"]);
    assert_eq!(set.traces.len(), 4);
    assert_eq!(set.spans.len(), 16);
    assert_eq!(set.warnings.len(), 1);
    assert!(matches!(
        set.warnings[0].position,
        Position::Line { line: 2, .. }
    ));
    assert!(set.warnings[0].message.contains("invalid JSON"));
}

#[test]
fn truncated_protobuf_stream_keeps_whole_messages() {
    let set = load_ok(&["damaged/truncated.pbstream"]);
    assert_eq!(set.traces.len(), 3);
    assert_eq!(set.spans.len(), 13);
    assert_eq!(set.warnings.len(), 1);
    assert!(matches!(set.warnings[0].position, Position::Byte(_)));
}

#[test]
fn truncated_gzip_keeps_what_decompressed() {
    let set = load_ok(&["damaged/truncated.jsonl.gz"]);
    assert!(set.spans.len() >= 4, "at least the first line survives");
    assert!(
        set.warnings
            .iter()
            .any(|w| w.message.contains("gzip stream"))
    );
}

fn not_trace(rel: &str) -> String {
    match try_load(&[rel]) {
        Err(LoadError::NotTrace { what, .. }) => what,
        other => panic!("{rel}: expected NotTrace, got {other:?}"),
    }
}

#[test]
fn other_formats_are_named() {
    // Jaeger JSON is read now (the smallest export: one span, times in µs).
    let jaeger = load_ok(&["shapes/jaeger-minimal.json"]);
    assert_eq!(jaeger.spans.len(), 1);
    assert_eq!((jaeger.spans[0].start, jaeger.spans[0].end), (1_000, 3_000));
    // The Python SDK's console exporter output is read now.
    let console = load_ok(&["shapes/python-console.json"]);
    assert_eq!(console.spans.len(), 1);
    assert_eq!(console.service_of(&console.spans[0]), "checkout");
    // Zipkin v2 JSON is read now: 64-bit trace ids padded, µs times.
    let zipkin = load_ok(&["shapes/zipkin-minimal.json"]);
    assert_eq!(zipkin.spans.len(), 1);
    assert_eq!(
        zipkin.spans[0].trace_id.to_string(),
        "00000000000000004bf92f3577b34da6"
    );
    assert_eq!(zipkin.service_of(&zipkin.spans[0]), "web");
    assert!(not_trace("not-traces/app.log").contains("text file"));
    assert!(not_trace("not-traces/random.bin").contains("binary data"));
}

#[test]
fn broken_json_names_line_and_column() {
    match try_load(&["not-traces/broken.json"]) {
        Err(e @ LoadError::Decode { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("line 1, column 35"), "{msg}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn a_folder_skips_files_that_are_not_traces_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        fixture("agent-incident.otlp.json"),
        dir.path().join("a.json"),
    )
    .expect("copy");
    std::fs::copy(fixture("not-traces/app.log"), dir.path().join("b.log")).expect("copy");
    let set = agtrace::source::load(
        &[agtrace::source::Input::Path(dir.path().to_path_buf())],
        &Default::default(),
    )
    .expect("load");
    assert_eq!(set.traces.len(), 4);
    assert_eq!(set.warnings.len(), 1);
    assert!(set.warnings[0].message.contains("skipped"));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap fuzz: every prefix of every fixture, and bytes flipped through them.
    let mut files = Vec::new();
    for rel in [
        "agent-incident.otlp.json",
        "shapes/agent-incident.pb",
        "shapes/agent-incident.pbstream",
        "shapes/collector.jsonl.zst",
        "shapes/anyvalues.json",
        "shapes/agent-incident.jaeger.json",
        "shapes/agent-incident.zipkin.json",
        "shapes/agent-incident.debug.txt",
        "shapes/python-console.json",
        "shapes/agent-incident.node-console.txt",
        "shapes/any-agent.json",
        "shapes/js-readable.json",
    ] {
        files.push(std::fs::read(fixture(rel)).expect("fixture"));
    }
    let opts = agtrace::source::LoadOptions::with_threads(2);
    for data in &files {
        let step = (data.len() / 97).max(1);
        for cut in (0..data.len()).step_by(step) {
            let _ = agtrace::source::load_bytes(data[..cut].to_vec(), "prefix", 0, &opts);
            let mut flipped = data.clone();
            flipped[cut] ^= 0x5a;
            let _ = agtrace::source::load_bytes(flipped, "flipped", 0, &opts);
        }
    }
}

#[test]
fn cut_jaeger_zipkin_and_flat_documents_keep_the_spans_before_the_cut() {
    let opts = agtrace::source::LoadOptions::with_threads(1);
    for rel in [
        "shapes/agent-incident.jaeger.json",
        "shapes/agent-incident.zipkin.json",
        "shapes/any-agent.json",
        "shapes/js-readable.json",
        "console",
    ] {
        let (data, whole) = if rel == "console" {
            // The Python console exporter prints span after span.
            let one =
                std::fs::read_to_string(fixture("shapes/python-console.json")).expect("fixture");
            let run: String = (1..=4)
                .map(|k| one.replace("a000000000000001", &format!("a00000000000000{k}")))
                .collect();
            let d =
                agtrace::source::load_bytes(run.clone().into_bytes(), rel, 0, &opts).expect("run");
            let set = agtrace::model::TraceSet::build(d.batches, vec![rel.into()], Vec::new());
            assert_eq!(set.spans.len(), 4);
            (run.into_bytes(), set)
        } else {
            (
                std::fs::read(fixture(rel)).expect("fixture"),
                load_ok(&[rel]),
            )
        };
        let ids = |set: &agtrace::model::TraceSet| -> Vec<String> {
            set.spans.iter().map(|s| s.span_id.to_string()).collect()
        };
        let all = ids(&whole);
        for pct in [55, 70, 90] {
            let cut = data.len() * pct / 100;
            let d = agtrace::source::load_bytes(data[..cut].to_vec(), rel, 0, &opts)
                .unwrap_or_else(|e| panic!("{rel} cut at {pct}%: {e}"));
            let set = agtrace::model::TraceSet::build(d.batches, vec![rel.into()], Vec::new());
            let kept = ids(&set);
            assert!(
                !kept.is_empty() && kept.len() < all.len(),
                "{rel} {pct}%: {kept:?}"
            );
            assert!(kept.iter().all(|k| all.contains(k)), "{rel} {pct}%");
            let w = set
                .warnings
                .iter()
                .find(|w| w.message.contains("ends part way"))
                .unwrap_or_else(|| panic!("{rel} {pct}%: no warning in {:?}", set.warnings));
            assert!(matches!(w.position, Position::Line { .. }), "{w}");
        }
        // Broken in the middle (not at the end): the spans before the damage stay.
        let mut broken = data.clone();
        let mid = data.len() * 3 / 5;
        let brace = mid
            + data[mid..]
                .iter()
                .position(|&b| b == b'{')
                .expect("a brace");
        broken[brace] = b'@';
        if let Ok(d) = agtrace::source::load_bytes(broken, rel, 0, &opts) {
            let set = agtrace::model::TraceSet::build(d.batches, vec![rel.into()], Vec::new());
            assert!(
                set.spans.len() < all.len(),
                "{rel}: damage must cost something"
            );
            assert!(
                set.warnings.iter().any(|w| w.message.contains("is broken")),
                "{rel}: {:?}",
                set.warnings
            );
        }
    }
}

#[test]
fn a_debug_text_log_cut_mid_line_says_the_last_span_may_be_incomplete() {
    let data = std::fs::read(fixture("shapes/agent-incident.debug.txt")).expect("fixture");
    let cut = data.len() * 7 / 10;
    let opts = agtrace::source::LoadOptions::with_threads(1);
    let d = agtrace::source::load_bytes(data[..cut].to_vec(), "cut.txt", 0, &opts).expect("load");
    let set = agtrace::model::TraceSet::build(d.batches, vec!["cut.txt".into()], Vec::new());
    assert!(
        set.spans.len() > 5 && set.spans.len() < 16,
        "{}",
        set.spans.len()
    );
    let w = set
        .warnings
        .iter()
        .find(|w| w.message.contains("ends part way through line"))
        .expect("a warning");
    assert!(
        matches!(w.position, Position::Line { line, .. } if line > 50),
        "{w}"
    );
}
