//! The multi-threaded paths (one large document cut between elements, JSON Lines in
//! chunks, protobuf units) load exactly what one thread loads.

mod common;
use agtrace::model::TraceSet;
use agtrace::source::{LoadOptions, load_bytes};
use common::canonical;

/// A large OTLP/JSON document (well over the split threshold), pretty or compact.
fn big_doc(traces: usize, pretty: bool) -> String {
    let mut elems = Vec::new();
    for t in 0..traces {
        let tid = format!("{:032x}", t + 1);
        let mut spans = Vec::new();
        for s in 0..8 {
            let parent = if s == 0 {
                String::new()
            } else {
                format!("{:08x}00000001", t + 1)
            };
            spans.push(format!(
                r#"{{"traceId":"{tid}","spanId":"{:08x}{:08x}","parentSpanId":"{parent}","name":"step {s}","kind":1,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"chat"}}}},{{"key":"payload","value":{{"stringValue":"{}"}}}},{{"key":"n","value":{{"intValue":"{s}"}}}}],"status":{{}}}}"#,
                t + 1,
                s + 1,
                1_000_000 + t * 100 + s,
                2_000_000 + t * 100 + s,
                "lorem ipsum \\\"quoted\\\" ".repeat(8),
            ));
        }
        elems.push(format!(
            r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc-{}"}}}}]}},"scopeSpans":[{{"scope":{{"name":"s"}},"spans":[{}]}}]}}"#,
            t % 7,
            spans.join(",")
        ));
    }
    let sep = if pretty { ",\n    " } else { "," };
    let doc = format!(r#"{{"resourceSpans":[{}]}}"#, elems.join(sep));
    if pretty {
        doc.replace(r#"{"resource":"#, "{\n      \"resource\" : ")
    } else {
        doc
    }
}

fn load_with(data: &[u8], threads: usize) -> TraceSet {
    let d = load_bytes(data.to_vec(), "big", 0, &LoadOptions::with_threads(threads)).expect("load");
    TraceSet::build(d.batches, vec!["big".into()], vec![])
}

#[test]
fn one_large_document_split_across_threads_matches_one_thread() {
    for pretty in [false, true] {
        let doc = big_doc(4000, pretty);
        assert!(
            doc.len() > 8 << 20,
            "the document must be large enough to be split"
        );
        let one = load_with(doc.as_bytes(), 1);
        assert_eq!(one.spans.len(), 32_000);
        for threads in [2, 3, 8] {
            let pieces = load_bytes(
                doc.clone().into_bytes(),
                "big",
                0,
                &LoadOptions::with_threads(threads),
            )
            .expect("load")
            .batches
            .len();
            assert_eq!(
                pieces, threads,
                "pretty={pretty}: the document was cut into one piece per thread"
            );
            let many = load_with(doc.as_bytes(), threads);
            assert!(many.warnings.is_empty(), "{:?}", many.warnings);
            assert_eq!(
                canonical(&one),
                canonical(&many),
                "pretty={pretty} threads={threads}"
            );
        }
    }
}

#[test]
fn a_truncated_large_document_keeps_the_spans_before_the_cut() {
    let doc = big_doc(4000, false);
    let cut = &doc.as_bytes()[..doc.len() * 9 / 10];
    let one = load_with(cut, 1);
    let two = load_with(cut, 2);
    assert!(one.spans.len() > 28_000 && one.spans.len() < 32_000);
    assert_eq!(one.spans.len(), two.spans.len());
    assert_eq!(canonical(&one), canonical(&two));
    assert_eq!(two.warnings.len(), 1, "{:?}", two.warnings);
}

#[test]
fn json_lines_in_chunks_match_one_thread() {
    let doc = big_doc(600, false);
    // Re-shape into JSON Lines: one document per resourceSpans element.
    let v: serde_json::Value = serde_json::from_str(&doc).expect("json");
    let lines: Vec<String> = v["resourceSpans"]
        .as_array()
        .expect("array")
        .iter()
        .map(|rs| serde_json::json!({ "resourceSpans": [rs] }).to_string())
        .collect();
    let jsonl = lines.join("\n") + "\n";
    let one = load_with(jsonl.as_bytes(), 1);
    let four = load_with(jsonl.as_bytes(), 4);
    assert_eq!(one.spans.len(), 4800);
    assert_eq!(canonical(&one), canonical(&four));
    let pretty_one = load_with(doc.as_bytes(), 1);
    assert_eq!(canonical(&one), canonical(&pretty_one));
}

/// Loads a file through the piece-by-piece path (thresholds lowered) and through the
/// whole-buffer path.
fn load_file_both_ways(path: &std::path::Path, threads: usize) -> (TraceSet, TraceSet) {
    use agtrace::source::{Input, load};
    let pieces = LoadOptions {
        stream_min_bytes: 1,
        piece_bytes: 64 << 10,
        ..LoadOptions::with_threads(threads)
    };
    let whole = LoadOptions {
        stream_min_bytes: u64::MAX,
        ..LoadOptions::with_threads(1)
    };
    let a = load(&[Input::Path(path.to_path_buf())], &pieces).expect("pieces");
    let b = load(&[Input::Path(path.to_path_buf())], &whole).expect("whole");
    (a, b)
}

#[test]
fn files_decoded_piece_by_piece_match_whole_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [
        ("doc.json", big_doc(600, false)),
        ("pretty.json", big_doc(600, true)),
        ("cut.json", {
            let d = big_doc(600, false);
            d[..d.len() * 3 / 4].to_owned()
        }),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, &body).expect("write");
        for threads in [1, 3] {
            let (a, b) = load_file_both_ways(&p, threads);
            assert!(a.spans.len() > 3000, "{name}");
            assert_eq!(canonical(&a), canonical(&b), "{name} threads={threads}");
            assert_eq!(
                a.warnings.len(),
                b.warnings.len(),
                "{name}: {:?} vs {:?}",
                a.warnings,
                b.warnings
            );
        }
    }
    // JSON Lines with a broken line: the same spans and the same line number.
    let v: serde_json::Value = serde_json::from_str(&big_doc(300, false)).expect("json");
    let mut lines: Vec<String> = v["resourceSpans"]
        .as_array()
        .expect("array")
        .iter()
        .map(|rs| serde_json::json!({ "resourceSpans": [rs] }).to_string())
        .collect();
    lines[150] = "{\"resourceSpans\": [ broken".into();
    let p = dir.path().join("lines.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").expect("write");
    let (a, b) = load_file_both_ways(&p, 2);
    assert_eq!(canonical(&a), canonical(&b));
    assert_eq!(a.warnings, b.warnings);
    assert!(
        matches!(
            a.warnings[0].position,
            agtrace::model::Position::Line { line: 151, .. }
        ),
        "{}",
        a.warnings[0]
    );
}

/// Log records beside the spans (GenAI events) join their spans when a large file
/// is decoded piece by piece too, in one document and in JSON Lines.
#[test]
fn log_records_join_their_spans_in_pieces() {
    let logs = r#"{"scopeLogs":[{"logRecords":[{"traceId":"00000000000000000000000000000007","spanId":"0000000700000002","timeUnixNano":"1","eventName":"gen_ai.user.message","body":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"where is my refund?"}}]}}}]}]}"#;
    let doc = big_doc(600, false);
    let with_logs = format!(
        "{},\"resourceLogs\":[{logs}]}}",
        doc.trim_end().trim_end_matches('}')
    );
    let v: serde_json::Value = serde_json::from_str(&doc).expect("json");
    let mut jsonl: String = v["resourceSpans"]
        .as_array()
        .expect("array")
        .iter()
        .map(|rs| serde_json::json!({ "resourceSpans": [rs] }).to_string() + "\n")
        .collect();
    jsonl.push_str(&format!("{{\"resourceLogs\":[{logs}]}}\n"));
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [("doc.json", with_logs), ("lines.jsonl", jsonl)] {
        let p = dir.path().join(name);
        std::fs::write(&p, &body).expect("write");
        let (a, b) = load_file_both_ways(&p, 2);
        assert_eq!(canonical(&a), canonical(&b), "{name}");
        let span = common::span_by_id(&a, "0000000700000002");
        let conv = format!(
            "{:?}",
            agtrace::semconv::messages::conversation(&a, &a.spans[span])
        );
        assert!(conv.contains("where is my refund?"), "{name}: {conv}");
        assert_eq!(
            a.source_formats,
            vec!["OTLP/JSON with log records".to_owned()]
        );
    }
}

/// A large gzip or zstd dump is decompressed as a stream into a temporary file and
/// decoded piece by piece from there: the same model as reading it whole, and a cut
/// compressed file keeps what came before with a warning.
#[test]
fn compressed_files_are_decoded_piece_by_piece_from_a_stream() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = big_doc(600, false);
    let zst = zstd::encode_all(body.as_bytes(), 3).expect("zstd");
    let gz = {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(body.as_bytes()).expect("gzip");
        e.finish().expect("gzip")
    };
    for (name, bytes) in [("doc.json.zst", zst.clone()), ("doc.json.gz", gz)] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).expect("write");
        let (a, b) = load_file_both_ways(&p, 2);
        assert_eq!(canonical(&a), canonical(&b), "{name}");
        assert!(a.spans.len() > 3000);
        assert!(
            a.source_formats[0].contains("in "),
            "{:?}",
            a.source_formats
        );
    }
    let p = dir.path().join("cut.json.zst");
    std::fs::write(&p, &zst[..zst.len() * 3 / 4]).expect("write");
    let (a, _) = load_file_both_ways(&p, 2);
    assert!(
        a.spans.len() > 1000 && a.spans.len() < 4800,
        "{}",
        a.spans.len()
    );
    assert!(
        a.warnings
            .iter()
            .any(|w| w.message.contains("zstd stream is damaged or cut off")),
        "{:?}",
        a.warnings
    );
}
