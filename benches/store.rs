//! Store benchmark: imports a synthetic agent dump (1,000,000 spans by default) into a
//! fresh SQLite store and reports the import rate, the store size per span, the time
//! to the first screen of the explorer on the store (trace list read from SQL, one
//! frame drawn), session lookups (p50/p99) and opening one trace.
//!
//! `cargo bench --bench store -- [--small]`

#[path = "support/gen.rs"]
mod generator;

use agtrace::source::{Input, LoadOptions};
use agtrace::tui::app::App;
use agtrace::tui::theme::Theme;
use agtrace::tui::view::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let small = std::env::args().any(|a| a == "--small");
    let (traces, per) = if small { (5_000, 20) } else { (50_000, 20) };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data");
    let dump = dir.join(format!("store-input-{traces}x{per}.pb"));
    if !dump.exists() {
        let rs = generator::build(traces, per, 99);
        let mut w = std::io::BufWriter::new(std::fs::File::create(&dump).expect("create"));
        generator::write(&mut w, &rs, generator::Encoding::Proto).expect("write");
    }
    let db = dir.join(format!("store-{traces}x{per}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let opts = LoadOptions::default();
    let t = Instant::now();
    let set = agtrace::source::load(&[Input::Path(dump.clone())], &opts).expect("load");
    let load_s = t.elapsed().as_secs_f64();
    let spans = set.spans.len() as f64;
    drop(set);
    let t = Instant::now();
    let report = agtrace::store::import(&db, &[Input::Path(dump.clone())], &opts, |_, _| {})
        .expect("import");
    let import_s = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64;
    println!(
        "agtrace store benchmark: {} spans in {traces} traces",
        report.spans_written
    );
    println!(
        "  import: {import_s:.2}s total = {:.0} spans/s end to end; {:.0} spans/s writing (load {load_s:.2}s of it); {} transactions",
        spans / import_s,
        spans / (import_s - load_s).max(1e-9),
        report.batches
    );
    println!(
        "  store size: {:.1} MB, {:.0} bytes per span",
        size / 1e6,
        size / spans
    );

    // First screen: the trace list from SQL, one frame.
    let mut firsts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let set = agtrace::store::load_summaries(&db, &Default::default()).expect("summaries");
        let mut app = App::with_set(set, "store".into());
        app.store = Some(db.clone());
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        term.draw(|f| render(&mut app, f, &Theme::plain()))
            .expect("draw");
        firsts.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "  first screen of the store (trace list + frame): p50 {:.1} ms, max {:.1} ms",
        pct(&mut firsts.clone(), 0.5),
        pct(&mut firsts, 1.0)
    );

    // Session lookups: the session's traces with all their spans.
    let set = agtrace::store::load_summaries(&db, &Default::default()).expect("summaries");
    let sessions: Vec<String> = set
        .sessions
        .keys()
        .take(200)
        .map(|&s| set.str(s).to_owned())
        .collect();
    let prices = agtrace::semconv::PriceTable::bundled();
    let mut times = Vec::new();
    let mut turns = 0usize;
    for s in &sessions {
        let t = Instant::now();
        let ids = agtrace::store::session_trace_ids(&db, s).expect("ids");
        let loaded = agtrace::store::load_traces_by_id(&db, &ids, &prices).expect("traces");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        turns += loaded.traces.len();
    }
    println!(
        "  session lookup ({} sessions, {:.1} turns each, spans loaded): p50 {:.2} ms, p99 {:.2} ms",
        sessions.len(),
        turns as f64 / sessions.len().max(1) as f64,
        pct(&mut times.clone(), 0.5),
        pct(&mut times, 0.99)
    );
    let mut opens = Vec::new();
    for tr in set.traces.iter().take(200) {
        let t = Instant::now();
        let _ = agtrace::store::load_trace_by_id(&db, &tr.id.to_string(), &prices).expect("trace");
        opens.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "  open one trace ({per} spans): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut opens.clone(), 0.5),
        pct(&mut opens, 0.99)
    );
}
