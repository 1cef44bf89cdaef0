//! The bodies of the fuzz targets in `fuzz/`, kept in the library so the stable test
//! suite can replay every committed seed and crasher through exactly what the fuzzer
//! runs (CI has no nightly toolchain for `cargo fuzz`). Each takes arbitrary bytes
//! and must neither panic, hang nor allocate without bound.

use crate::model::TraceSet;
use crate::source::LoadOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::OnceLock;

/// Loads `data` as a file would be loaded and derives everything on it.
fn loaded(data: &[u8]) -> Option<TraceSet> {
    let opts = LoadOptions::with_threads(1);
    let d = crate::source::load_bytes(data.to_vec(), "fuzz", 0, &opts).ok()?;
    let mut set = TraceSet::build(d.batches, vec!["fuzz".into()], Vec::new());
    crate::semconv::annotate(&mut set, &opts.prices);
    crate::analysis::findings::derive(&mut set);
    Some(set)
}

/// Any bytes through the whole input path: compression, format detection, every
/// decoder, the model build, step semantics and findings.
pub fn load_any(data: &[u8]) {
    let _ = loaded(data);
}

/// Bytes as OTLP protobuf in every framing (one message, 4-byte length-prefixed,
/// varint-delimited), and as a protobuf logs file.
pub fn otlp_proto(data: &[u8]) {
    let _ = crate::decode::otlp_proto::decode(data, 0, "fuzz", 1);
    let _ = crate::decode::otlp_logs::proto_span_events(data);
}

/// Bytes as each non-OTLP reader would see them: pasted-text cleaning, the collector's
/// debug text, Node's console output, and the JSON exports (Jaeger, Zipkin, Langfuse,
/// span records in every layout and the reason one is in none), whole and through the
/// cut-document recovery.
pub fn text_formats(data: &[u8]) {
    let _ = crate::decode::paste::clean(data.to_vec());
    let _ = crate::decode::flat::explain(data);
    let _ = crate::decode::debug_text::decode(data, 0, "fuzz");
    let _ = crate::decode::node_console::decode(data, 0, "fuzz");
    let _ = crate::decode::other_json(data, 0, "fuzz");
    let _ = crate::decode::otlp_logs::span_events(data);
}

/// Any text as a filter expression, applied to the bundled incident fixture.
pub fn filter(data: &[u8]) {
    static SET: OnceLock<Option<TraceSet>> = OnceLock::new();
    let Some(set) = SET
        .get_or_init(|| loaded(include_bytes!("../testdata/agent-incident.otlp.json")))
        .as_ref()
    else {
        return;
    };
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = crate::query::filter::Filter::parse(text) {
        let m = f.matcher(set);
        for t in 0..set.traces.len() as u32 {
            let _ = m.trace_matches(t);
        }
    }
}

/// A mutated store: the bundled v3 store with the edits `data` describes (each three
/// bytes: a position and a byte), read as a store would be. A damaged store gives an
/// error, never a panic.
pub fn store(data: &[u8]) {
    let mut db = include_bytes!("../testdata/stores/v3.db").to_vec();
    for pair in data.chunks_exact(3) {
        let at = ((usize::from(pair[0]) << 8) | usize::from(pair[1])) * 7 % db.len();
        db[at] = pair[2];
    }
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("s.db");
    if std::fs::write(&path, &db).is_err() {
        return;
    }
    let _ = crate::store::load(&path, 0);
}

/// Loads any bytes, then draws every screen of the explorer through ratatui's
/// `TestBackend`: the trace list and its filters, slowest steps, stats, sessions,
/// help, a trace's tree with every detail tab, the agent view and the critical path.
///
/// # Panics
/// When a frame holds a raw control character (that is the bug being looked for).
pub fn render(data: &[u8]) {
    use crate::tui::keymap::Action as A;
    let Some(set) = loaded(data) else {
        return;
    };
    let mut app = crate::tui::app::App::with_set(set, "fuzz".into());
    let Ok(mut t) = Terminal::new(TestBackend::new(100, 30));
    let theme = crate::tui::theme::Theme::plain();
    let mut frame = |app: &mut crate::tui::app::App| {
        let _ = t.draw(|f| crate::tui::view::render(app, f, &theme));
        let screen = t.backend().to_string();
        assert!(
            !screen.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character drawn"
        );
    };
    frame(&mut app);
    for a in [
        A::ToggleFailed,
        A::ToggleFailed,
        A::ToggleSlow,
        A::ToggleSlow,
        A::GroupSessions,
    ] {
        app.update(a);
        frame(&mut app);
    }
    for a in [A::SlowestSteps, A::StatsView, A::SessionView, A::Help] {
        app.update(a);
        frame(&mut app);
        app.update(A::Down);
        frame(&mut app);
        app.update(A::Back);
    }
    app.update(A::Enter);
    frame(&mut app);
    for tab in 1..=8 {
        app.update(A::Tab(tab));
        frame(&mut app);
    }
    for a in [
        A::AgentView,
        A::CriticalPath,
        A::NextFailure,
        A::CollapseAll,
        A::ExpandAll,
        A::PageDown,
    ] {
        app.update(a);
        frame(&mut app);
    }
    // Two runs compared (`d` on the open trace, `d` on the first row of the list),
    // and `agtrace diff`'s text and JSON of the first and last traces: every aligned
    // row accounts for each step of both once, and no raw control character is
    // printed.
    app.update(A::Compare);
    app.update(A::Back);
    app.update(A::Top);
    app.update(A::Compare);
    frame(&mut app);
    let set = &app.shared.set;
    if let Some(last) = set.traces.len().checked_sub(1) {
        let d = crate::analysis::diff::diff(set, 0, last as u32);
        let shown = |t: u32| crate::analysis::diff::steps_of(set, t).len();
        let (a, b) = (
            d.rows.iter().filter(|r| r.a.is_some()).count(),
            d.rows.iter().filter(|r| r.b.is_some()).count(),
        );
        assert_eq!(
            (a, b),
            (shown(0), shown(last as u32)),
            "a step lost or repeated"
        );
        let mut out = Vec::new();
        let _ = crate::render::diff::write_text(&mut out, set, &d, &crate::render::Style::plain());
        let _ = crate::render::diff::write_json(&mut out, set, &d);
        let text = String::from_utf8_lossy(&out);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character printed"
        );
    }
}

/// Any text through the redactor, as free text and as message content: never a
/// panic, and redacting again changes nothing (a placeholder is not a secret).
///
/// # Panics
/// When a second pass changes the text (that is the bug being looked for).
pub fn redact(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let r = crate::redact::Redactor::builtin();
    let once = r.text(s).into_owned();
    assert_eq!(r.text(&once), once, "redacting twice changed the text");
    let _ = r.value("gen_ai.input.messages", s);
    let _ = r.value("http.request.header.authorization", s);
}

/// Loads any bytes; what loads is exported in each OTLP encoding (plain and
/// redacted) and loaded again, which must give as many spans.
///
/// # Panics
/// When an export does not load back whole (that is the bug being looked for).
pub fn export(data: &[u8]) {
    use crate::export::{ExportFormat, select, write};
    let Some(set) = loaded(data) else {
        return;
    };
    let traces: Vec<u32> = (0..set.traces.len() as u32).collect();
    let spans = select(&set, &traces, None);
    let r = crate::redact::Redactor::builtin();
    for format in [
        ExportFormat::OtlpJson,
        ExportFormat::OtlpJsonl,
        ExportFormat::OtlpProto,
    ] {
        for redactor in [None, Some(&r)] {
            let mut out = Vec::new();
            if write(&mut out, &set, &spans, format, redactor, &mut |_| {}).is_err() {
                continue;
            }
            let again = loaded(&out).map_or(0, |s| s.spans.len());
            assert_eq!(again, set.spans.len(), "{format:?} did not load back whole");
        }
    }
}

/// Bytes as a stream that arrives in pieces (the first byte picks the piece size),
/// with quiet spells between some of them; then the same bytes as `JSONEachRow`
/// rows from a ClickHouse backend. Every piece's spans must also be what the model
/// can be built from.
pub fn stream(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let opts = LoadOptions::with_threads(1);
    let mut d = crate::source::stream::StreamDecoder::new("fuzz", 0, &opts);
    let mut batches = Vec::new();
    for (i, piece) in rest.chunks(chunk).enumerate() {
        let Ok(out) = d.push(piece) else { return };
        batches.extend(out.into_iter().flat_map(|x| x.batches));
        if i % 3 == 2 {
            let Ok(out) = d.idle() else { return };
            batches.extend(out.into_iter().flat_map(|x| x.batches));
        }
    }
    if let Ok(out) = d.finish() {
        batches.extend(out.into_iter().flat_map(|x| x.batches));
    }
    let _ = TraceSet::build(batches, vec!["fuzz".into()], Vec::new());
    if let Ok(doc) = crate::backend::clickhouse::rows_to_otlp(rest)
        && let Ok(mut bytes) = serde_json::to_vec(&doc)
    {
        let _ = crate::decode::otlp_json::decode(&mut bytes, 0, "fuzz", 1);
    }
}
