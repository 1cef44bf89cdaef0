//! Store benchmark: imports a synthetic agent dump (1,000,000 spans by default) into a
//! fresh SQLite store three times, each after a plain-SQLite baseline write of the same
//! content, and reports the import rate (medians), the store size per span, the time
//! to the first screen of the explorer on the store (trace list read from SQL, one
//! frame drawn), session lookups (p50/p99) and opening one trace.
//!
//! `cargo bench --bench store -- [--small | --shape TRACESxSPANS]`

#[path = "support/gen.rs"]
mod generator;

use agtrace::query::text::{Piece, any_piece};
use agtrace::source::{Input, LoadOptions};
use agtrace::tui::app::App;
use agtrace::tui::theme::Theme;
use agtrace::tui::view::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// SQLite floors for the same content, from rows encoded before the clock starts (so
/// none of agtrace's own work is timed): each span's attribute JSON alone in a bare
/// rowid table, then the same plus an FTS5 index with one document per trace (its span
/// names and each distinct piece of its text), as the store has. Same page size, WAL,
/// synchronous=NORMAL and batch size as the store. Returns a function that writes one
/// floor store (`true`: with the FTS5 index) and gives its seconds.
fn floors(dump: &Path, dir: &Path) -> impl Fn(bool) -> f64 {
    let set = agtrace::source::load(&[Input::Path(dump.to_path_buf())], &LoadOptions::default())
        .expect("load");
    // Per trace: its spans' attribute JSON and its full-text document, packed in two
    // buffers so that holding them costs the imports timed beside them little.
    let (mut rows, mut docs, mut per_trace) = (Packed::default(), Packed::default(), Vec::new());
    let mut doc = String::new();
    let mut seen = std::collections::HashSet::new();
    for t in &set.traces {
        doc.clear();
        seen.clear();
        for &i in set.trace_spans(t) {
            let s = &set.spans[i as usize];
            let attrs = set.span_attrs(s);
            doc.push_str(set.str(s.name));
            doc.push('\n');
            // Each distinct piece of text once per trace, as the store indexes it.
            any_piece(&set, s, &mut |p| {
                let text = match p {
                    Piece::Sym(sym) => set.str(sym),
                    Piece::Text(t) => t,
                };
                if seen.insert(text) {
                    doc.push_str(text);
                    doc.push('\n');
                }
                false
            });
            rows.push(
                &serde_json::Value::Object(
                    attrs
                        .iter()
                        .map(|a| (set.str(a.key).to_owned(), a.value.to_json(&set.strings)))
                        .collect(),
                )
                .to_string(),
            );
        }
        docs.push(&doc);
        per_trace.push(set.trace_spans(t).len());
    }
    drop(seen);
    drop(set);
    let dir = dir.to_path_buf();
    move |fts: bool| -> f64 {
        let db = dir.join("floor.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute_batch(
            "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE TABLE spans (id INTEGER PRIMARY KEY, attributes TEXT NOT NULL);
             CREATE VIRTUAL TABLE trace_text USING fts5 (text, content = '', detail = full, columnsize = 0);",
        )
        .expect("schema");
        let t = Instant::now();
        let (mut trace, mut row) = (0, 0);
        while trace < per_trace.len() {
            let tx = conn.unchecked_transaction().expect("begin");
            {
                let mut ins = tx
                    .prepare_cached("INSERT INTO spans (attributes) VALUES (?1)")
                    .expect("prepare");
                let mut txt = tx
                    .prepare_cached("INSERT INTO trace_text (rowid, text) VALUES (?1, ?2)")
                    .expect("prepare");
                let mut spans = 0;
                while spans < agtrace::store::import::BATCH_SPANS && trace < per_trace.len() {
                    let mut first = None;
                    for _ in 0..per_trace[trace] {
                        ins.execute([rows.get(row)]).expect("insert");
                        first.get_or_insert(tx.last_insert_rowid());
                        row += 1;
                    }
                    spans += per_trace[trace];
                    if fts && let Some(first) = first {
                        txt.execute(rusqlite::params![first, docs.get(trace)])
                            .expect("insert");
                    }
                    trace += 1;
                }
            }
            tx.commit().expect("commit");
        }
        conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .expect("checkpoint");
        let secs = t.elapsed().as_secs_f64();
        drop(conn);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        secs
    }
}

/// Strings back to back in one buffer.
#[derive(Default)]
struct Packed {
    text: String,
    ends: Vec<usize>,
}

impl Packed {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    fn get(&self, i: usize) -> &str {
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[from..self.ends[i]]
    }
}

/// One import round and the floor written just before it, in seconds.
struct Round {
    import_s: f64,
    load_s: f64,
    write_s: f64,
    floor_fts: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let small = args.iter().any(|a| a == "--small");
    // `--shape 250000x4`: another mix of traces and spans per trace.
    let shape = args
        .iter()
        .position(|a| a == "--shape")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.split_once('x'))
        .and_then(|(t, p)| Some((t.parse().ok()?, p.parse().ok()?)));
    let (traces, per) = shape.unwrap_or(if small { (5_000, 20) } else { (50_000, 20) });
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
    // The machine is shared and noisy: the import runs ROUNDS times, each right after
    // the SQLite floor with the text index, and the ratio of each pair is reported.
    const ROUNDS: usize = 3;
    let floor = floors(&dump, &dir);
    let floor_bare = floor(false);
    let opts = LoadOptions::default();
    let mut rounds = Vec::new();
    let mut last = None;
    for _ in 0..ROUNDS {
        let floor_fts = floor(true);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let t = Instant::now();
        let report = agtrace::store::import(&db, &[Input::Path(dump.clone())], &opts, |_, _| {})
            .expect("import");
        let import_s = t.elapsed().as_secs_f64();
        let phase = |name: &str| {
            report
                .timings
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(0.0, |(_, v)| *v)
        };
        let (load_s, write_s) = (phase("load"), phase("write") + phase("checkpoint"));
        rounds.push(Round {
            import_s,
            load_s,
            write_s,
            floor_fts,
        });
        last = Some(report);
    }
    drop(floor);
    let report = last.expect("a round");
    let spans = report.spans_read as f64;
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64;
    let median = |f: &dyn Fn(&Round) -> f64| {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        pct(&mut v, 0.5)
    };
    let import_s = median(&|r| r.import_s);
    let load_s = median(&|r| r.load_s);
    let write_s = median(&|r| r.write_s);
    let floor_fts = median(&|r| r.floor_fts);
    let ratio = median(&|r| r.write_s / r.floor_fts.max(1e-9));
    let writes: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.write_s)).collect();
    println!(
        "agtrace store benchmark: {} spans in {traces} traces; medians of {ROUNDS} rounds",
        report.spans_written
    );
    println!(
        "  import: {import_s:.2}s total = {:.0} spans/s end to end; {:.0} spans/s writing ({write_s:.2}s incl. final checkpoint, rounds {}; load {load_s:.2}s); {} transactions",
        spans / import_s,
        spans / write_s.max(1e-9),
        writes.join("/"),
        report.batches
    );
    println!(
        "  SQLite floors, same content from pre-encoded rows: attributes alone {floor_bare:.2}s = {:.0} spans/s; attributes + FTS5 of names and messages per trace {floor_fts:.2}s = {:.0} spans/s; agtrace writing / floor with FTS = {ratio:.2} (median of the rounds' ratios)",
        spans / floor_bare.max(1e-9),
        spans / floor_fts.max(1e-9),
    );
    println!(
        "  store size: {:.1} MB, {:.0} bytes per span",
        size / 1e6,
        size / spans
    );

    // First screen: the trace list from SQL, one frame. The explorer first shows the
    // newest 2,000 traces and reads the whole list behind them; both are timed.
    for (what, newest) in [("newest 2,000 traces", Some(2_000)), ("whole list", None)] {
        let mut firsts = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let set = agtrace::store::load_summaries(&db, &Default::default(), newest)
                .expect("summaries");
            let mut app = App::loading("store".into());
            app.shared.store_mode = true;
            app.loaded(set);
            let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
            term.draw(|f| render(&mut app, f, &Theme::plain()))
                .expect("draw");
            firsts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "  first screen of the store ({what} + frame): p50 {:.1} ms, max {:.1} ms",
            pct(&mut firsts.clone(), 0.5),
            pct(&mut firsts, 1.0)
        );
    }

    // Session lookups: the session's traces with all their spans.
    let set = agtrace::store::load_summaries(&db, &Default::default(), None).expect("summaries");
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
    text_search(&db, &prices);
}

/// `text:` over the store through its index (candidates read, exact filter run),
/// against reading every span and filtering in memory, in the same run.
fn text_search(db: &Path, prices: &agtrace::semconv::PriceTable) {
    use agtrace::analysis::list::TraceListQuery;
    use agtrace::query::filter::Filter;
    let t = Instant::now();
    let all = agtrace::input::load(&[Input::Path(db.to_path_buf())], &LoadOptions::default())
        .expect("load store");
    let everything_ms = t.elapsed().as_secs_f64() * 1e3;
    for needle in [
        "ord-4242",
        "upstream returned 503",
        "timeout",
        "call_00",
        "charged twice",
    ] {
        let f = Filter::parse(&format!("text:\"{needle}\"")).expect("filter");
        let q = TraceListQuery::new(f.clone());
        let t = Instant::now();
        let want = q.run(&all).len();
        let memory_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut times = Vec::new();
        let mut got = 0;
        let mut read = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let cands = agtrace::store::text_candidates(db, &f, prices)
                .expect("search")
                .expect("narrowed");
            got = q.run(&cands).len();
            read = cands.traces.len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        assert_eq!(got, want, "{needle}: the index and memory agree");
        let ms = pct(&mut times, 0.5);
        println!(
            "  text:\"{needle}\" on the store: {ms:.1} ms through the index ({read} traces read, {got} match) vs {:.0} ms reading every span and filtering ({memory_ms:.0} ms of it the filter) = {:.2}x",
            everything_ms + memory_ms,
            ms / (everything_ms + memory_ms)
        );
    }
}
