//! Explorer benchmark: 1,000,000 spans loaded (one trace of 200,000 spans among 20,000
//! traces of 40), then scripted keystrokes — each applied to the state and the frame
//! drawn into a 120×40 TestBackend — reported as p50/p99/max per key, plus the time to
//! apply filters over all spans and to open the big trace.
//!
//! `cargo bench --bench tui -- [--small | --spans N | --file DUMP]`: `--spans` scales
//! the generated set (traces of 40 beside the 200,000-span one); `--file` measures a
//! dump on disk instead (e.g. the 10M-span JSON Lines of README's 10M run).

#[path = "support/gen.rs"]
mod generator;

use agtrace::model::TraceSet;
use agtrace::source::{LoadOptions, load_bytes};
use agtrace::tui::app::App;
use agtrace::tui::keymap::Action;
use agtrace::tui::theme::Theme;
use agtrace::tui::view::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Instant;

fn build_set(big: usize, traces: usize, per: usize) -> TraceSet {
    let mut rs = generator::build(1, big, 7);
    rs.extend(generator::build(traces, per, 11));
    let mut bytes = Vec::new();
    generator::write(&mut bytes, &rs, generator::Encoding::Proto).expect("encode");
    drop(rs);
    let opts = LoadOptions::default();
    let d = load_bytes(bytes, "bench", 0, &opts).expect("decode");
    let mut set = TraceSet::build(d.batches, vec!["bench".into()], vec![]);
    agtrace::semconv::annotate(&mut set, &opts.prices);
    set
}

/// Applies one action and draws one frame; returns the milliseconds taken.
fn frame(
    term: &mut Terminal<TestBackend>,
    app: &mut App,
    theme: &Theme,
    action: Option<Action>,
) -> f64 {
    let t = Instant::now();
    if let Some(a) = action {
        app.update(a);
    }
    term.draw(|f| render(app, f, theme)).expect("draw");
    t.elapsed().as_secs_f64() * 1e3
}

struct Stats(Vec<f64>);

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }
    fn report(&self, label: &str) {
        println!(
            "  {label:<34} n={:<5} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
            self.0.len(),
            self.pct(0.5),
            self.pct(0.99),
            self.pct(1.0)
        );
    }
}

/// The value after `flag` on the command line.
fn arg(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).cloned()
}

/// A dump loaded the way `agtrace open` loads it (findings decided, as once the
/// explorer has decided them), for runs at sizes the in-memory generator cannot hold.
fn load_file(path: &str) -> TraceSet {
    let input = agtrace::source::Input::Path(path.into());
    agtrace::input::load(&[input], &LoadOptions::default()).expect("the --file loads")
}

fn main() {
    let small = std::env::args().any(|a| a == "--small");
    let (big, traces, per) = if small {
        (20_000, 2_000, 40)
    } else {
        (200_000, 20_000, 40)
    };
    // --spans N: the same shape scaled (the big trace stays 200,000 spans).
    let traces = arg("--spans")
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(traces, |n| n.saturating_sub(big) / per);
    let t0 = Instant::now();
    let set = match arg("--file") {
        Some(path) => load_file(&path),
        None => build_set(big, traces, per),
    };
    println!(
        "agtrace TUI benchmark: {} spans in {} traces (largest {} spans), built in {:.1}s",
        set.spans.len(),
        set.traces.len(),
        set.traces.iter().map(|t| t.span_count).max().unwrap_or(0),
        t0.elapsed().as_secs_f64()
    );
    let big_trace = (0..set.traces.len() as u32)
        .max_by_key(|&t| set.traces[t as usize].span_count)
        .expect("a trace");
    let mut app = App::with_set(set, "bench".into());
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let theme = Theme::plain();
    term.draw(|f| render(&mut app, f, &theme)).expect("draw");

    // Trace list.
    let mut list = Vec::new();
    for _ in 0..300 {
        list.push(frame(&mut term, &mut app, &theme, Some(Action::Down)));
    }
    for _ in 0..50 {
        list.push(frame(&mut term, &mut app, &theme, Some(Action::PageDown)));
    }
    for a in [
        Action::Bottom,
        Action::Top,
        Action::NextFailure,
        Action::NextFailure,
        Action::PrevFailure,
    ] {
        list.push(frame(&mut term, &mut app, &theme, Some(a)));
    }
    let mut list_rebuild = Vec::new();
    let mut slowest = (0.0, String::new());
    let actions = [Action::Sort; 21].into_iter().chain([
        Action::ToggleFailed,
        Action::ToggleFailed,
        Action::ToggleSlow,
        Action::SlowerThreshold,
        Action::ToggleSlow,
        Action::GroupSessions,
        Action::GroupSessions,
    ]);
    for a in actions {
        let ms = frame(&mut term, &mut app, &theme, Some(a));
        if ms > slowest.0 {
            slowest = (ms, format!("{a:?} ({})", app.shared.status));
        }
        list_rebuild.push(ms);
    }
    if std::env::args().any(|a| a == "--sort-detail") {
        use agtrace::analysis::list::SortKey;
        for col in SortKey::ALL {
            app.shared.query.sort = col;
            let t = Instant::now();
            let q = app.shared.query.clone();
            let _ = q.run(&app.shared.set);
            let r = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            term.draw(|f| render(&mut app, f, &theme)).expect("draw");
            println!(
                "  sort {col:?}: rebuild {r:.1} ms, draw {:.1} ms",
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    }
    println!("\ntrace list ({} traces)", app.shared.set.traces.len());
    Stats(list).report("move / page / jump (key + frame)");
    Stats(list_rebuild).report("sort / failed / slow / group");
    println!("  slowest: {:.1} ms on {}", slowest.0, slowest.1);
    // The slowest-steps screen ranks every span by its own time.
    let open_steps = frame(&mut term, &mut app, &theme, Some(Action::SlowestSteps));
    let mut steps_keys = Vec::new();
    for a in [Action::Down; 30]
        .into_iter()
        .chain([Action::Bottom, Action::Top])
    {
        steps_keys.push(frame(&mut term, &mut app, &theme, Some(a)));
    }
    println!("  open slowest steps (D): {open_steps:.1} ms");
    Stats(steps_keys).report("move in slowest steps");
    frame(&mut term, &mut app, &theme, Some(Action::Back));

    // Filters over every span.
    println!(
        "\nfilters over {} spans (apply + first frame)",
        app.shared.set.spans.len()
    );
    for f in [
        "kind:tool",
        "status:error",
        "tool:search*",
        "dur>2s",
        "tokens>3k",
        "model:gpt-4o*",
        "refund",
        "attr.http.response.status_code=503",
        "text:timeout",
        "self>=2s",
        "",
    ] {
        let t = Instant::now();
        app.apply_filter_text(f);
        term.draw(|fr| render(&mut app, fr, &theme)).expect("draw");
        println!(
            "  {:<40} {:>8.1} ms  ({} traces match)",
            if f.is_empty() { "(clear)" } else { f },
            t.elapsed().as_secs_f64() * 1e3,
            app.list().totals.traces
        );
    }

    // The big trace.
    let t = Instant::now();
    app.open_trace(big_trace);
    term.draw(|f| render(&mut app, f, &theme)).expect("draw");
    println!(
        "\nopen the {}-span trace: {:.1} ms",
        app.trace().map_or(0, |t| t.outline.order.len()),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut tree = Vec::new();
    for _ in 0..500 {
        tree.push(frame(&mut term, &mut app, &theme, Some(Action::Down)));
    }
    for _ in 0..100 {
        tree.push(frame(&mut term, &mut app, &theme, Some(Action::PageDown)));
    }
    for a in [
        Action::Bottom,
        Action::Top,
        Action::Left,
        Action::Right,
        Action::Enter,
        Action::Enter,
    ] {
        tree.push(frame(&mut term, &mut app, &theme, Some(a)));
    }
    for _ in 0..20 {
        tree.push(frame(
            &mut term,
            &mut app,
            &theme,
            Some(Action::NextFailure),
        ));
        tree.push(frame(
            &mut term,
            &mut app,
            &theme,
            Some(Action::PrevFailure),
        ));
    }
    for k in 1..=7 {
        tree.push(frame(&mut term, &mut app, &theme, Some(Action::Tab(k))));
    }
    tree.push(frame(&mut term, &mut app, &theme, Some(Action::SwitchPane)));
    for _ in 0..20 {
        tree.push(frame(&mut term, &mut app, &theme, Some(Action::Down)));
    }
    tree.push(frame(&mut term, &mut app, &theme, Some(Action::SwitchPane)));
    tree.push(frame(
        &mut term,
        &mut app,
        &theme,
        Some(Action::CriticalPath),
    ));
    let mut folds = Vec::new();
    for _ in 0..3 {
        folds.push(frame(
            &mut term,
            &mut app,
            &theme,
            Some(Action::CollapseAll),
        ));
        folds.push(frame(&mut term, &mut app, &theme, Some(Action::ExpandAll)));
    }
    println!(
        "\nspan tree ({} spans)",
        app.trace().map_or(0, |t| t.outline.order.len())
    );
    Stats(tree).report("move / page / fold / jump / tabs");
    Stats(folds).report("collapse all / expand all");
    println!("\nfilters inside the big trace (apply + frame)");
    for f in ["kind:tool", "status:error", "tool:search*", "dur>500ms", ""] {
        let t = Instant::now();
        app.apply_filter_text(f);
        term.draw(|fr| render(&mut app, fr, &theme)).expect("draw");
        println!(
            "  {:<40} {:>8.1} ms  ({} spans match)",
            if f.is_empty() { "(clear)" } else { f },
            t.elapsed().as_secs_f64() * 1e3,
            app.trace().map_or(0, |t| t.matches.len())
        );
    }
    app.apply_filter_text("kind:llm");
    let mut matches = Vec::new();
    for _ in 0..50 {
        matches.push(frame(&mut term, &mut app, &theme, Some(Action::NextMatch)));
    }
    Stats(matches).report("n (next match) under kind:llm");
}
