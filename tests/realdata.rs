//! Third-party sample dumps from `../shared/realdata/` (when present): every OTLP file
//! loads with the span, trace and error counts its PROVENANCE.md gives; every other
//! file (Jaeger, Zipkin, vendor exports) and the invalid OTLP files get a clear error
//! or a clear per-span warning, never a panic. Skipped, saying so, when absent.

use agtrace::source::{Input, LoadError, LoadOptions, load};
use std::path::PathBuf;

fn realdata() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.join("PROVENANCE.md").exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: ../shared/realdata/PROVENANCE.md not found; the real-data tests did not run"
        );
        None
    }
}

struct Row {
    file: String,
    spans: usize,
    traces: usize,
    errors: usize,
    format: String,
}

/// The table rows of PROVENANCE.md. Where the span column explains de-duplication
/// ("2 records …: 1 after de-duplication") the count after de-duplication is used.
fn rows(dir: &std::path::Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("PROVENANCE.md")).expect("read PROVENANCE.md");
    let num = |s: &str| -> usize {
        let s = s.trim();
        let s = s.rsplit_once(':').map_or(s, |(_, after)| after);
        s.split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no number in {s:?}"))
    };
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            Row {
                file: cols[1].trim_matches('`').to_owned(),
                spans: num(cols[3]),
                traces: num(cols[4]),
                errors: num(cols[5]),
                format: cols[6].to_owned(),
            }
        })
        .collect()
}

#[test]
fn every_realdata_file_loads_or_is_refused_clearly() {
    let Some(dir) = realdata() else { return };
    let rows = rows(&dir);
    assert!(
        rows.len() >= 15,
        "PROVENANCE.md table parsed: {} rows",
        rows.len()
    );
    let mut checked = 0;
    for row in rows {
        let path = dir.join(&row.file);
        let result = load(&[Input::Path(path.clone())], &LoadOptions::with_threads(2));
        let is_otlp = row.format.starts_with("OTLP");
        let invalid = row.format.contains("invalid");
        match (is_otlp, invalid, result) {
            (true, false, Ok(set)) => {
                assert_eq!(set.spans.len(), row.spans, "{}: spans", row.file);
                assert_eq!(set.traces.len(), row.traces, "{}: traces", row.file);
                let errors: usize = set.traces.iter().map(|t| t.error_count as usize).sum();
                assert_eq!(errors, row.errors, "{}: error spans", row.file);
                checked += 1;
            }
            (true, true, Ok(set)) => {
                // Either the span is refused with a warning naming the problem, or it
                // loads with a warning about the field that was wrong.
                assert!(
                    !set.warnings.is_empty(),
                    "{}: invalid input must warn",
                    row.file
                );
                let w = set.warnings[0].to_string();
                assert!(w.contains(&row.file), "{w}");
                assert!(
                    w.contains("span id") || w.contains("trace id") || w.contains("span kind"),
                    "{w}"
                );
                checked += 1;
            }
            (true, true, Err(e)) => {
                assert!(e.to_string().contains(&row.file));
                checked += 1;
            }
            (false, _, Err(LoadError::NotTrace { what, .. })) => {
                let f = row.format.to_lowercase();
                if f.contains("jaeger") {
                    assert!(what.contains("Jaeger"), "{}: {what}", row.file);
                } else if f.contains("zipkin") {
                    assert!(what.contains("Zipkin"), "{}: {what}", row.file);
                } else if f.contains("langfuse") {
                    assert!(what.contains("Langfuse"), "{}: {what}", row.file);
                } else {
                    assert!(what.contains("not OTLP"), "{}: {what}", row.file);
                }
                checked += 1;
            }
            (is_otlp, invalid, other) => panic!(
                "{}: format {:?} (otlp={is_otlp}, invalid={invalid}) gave {:?}",
                row.file,
                row.format,
                other.map(|s| s.spans.len())
            ),
        }
    }
    eprintln!("checked {checked} real-data files");
}

#[test]
fn json_and_protobuf_forms_of_the_same_payload_agree() {
    let Some(dir) = realdata() else { return };
    let opts = LoadOptions::with_threads(2);
    let json = load(
        &[Input::Path(dir.join("otlp2parquet-trace.otlp.json"))],
        &opts,
    )
    .expect("json");
    let pb = load(
        &[Input::Path(dir.join("otlp2parquet-trace.otlp.pb"))],
        &opts,
    )
    .expect("pb");
    assert_eq!(json.spans.len(), pb.spans.len());
    for (a, b) in json.spans.iter().zip(&pb.spans) {
        assert_eq!(
            (a.trace_id, a.span_id, a.parent_span_id),
            (b.trace_id, b.span_id, b.parent_span_id)
        );
        assert_eq!(
            (a.start, a.end, a.kind, a.status),
            (b.start, b.end, b.kind, b.status)
        );
        assert_eq!(json.str(a.name), pb.str(b.name));
        assert_eq!(a.attrs.len, b.attrs.len);
    }
}
