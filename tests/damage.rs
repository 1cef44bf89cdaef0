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
