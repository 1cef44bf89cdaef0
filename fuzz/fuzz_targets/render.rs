//! Load any bytes, then draw every screen of the explorer through ratatui's
//! TestBackend — the trace list and its filters, slowest steps, stats, sessions, help,
//! a trace's tree with every detail tab, the agent view and the critical path: whatever
//! the input, drawing neither panics nor puts a raw control character on the screen.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fuzz_target!(|data: &[u8]| {
    let opts = agtrace::source::LoadOptions::with_threads(1);
    let Ok(d) = agtrace::source::load_bytes(data.to_vec(), "fuzz", 0, &opts) else {
        return;
    };
    let mut set = agtrace::model::TraceSet::build(d.batches, vec!["fuzz".into()], Vec::new());
    agtrace::semconv::annotate(&mut set, &opts.prices);
    agtrace::analysis::findings::derive(&mut set);
    let mut app = agtrace::tui::app::App::with_set(set, "fuzz".into());
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap_or_else(|e| match e {});
    let theme = agtrace::tui::theme::Theme::plain();
    let mut frame = |app: &mut agtrace::tui::app::App| {
        let _ = t.draw(|f| agtrace::tui::view::render(app, f, &theme));
        let screen = t.backend().to_string();
        assert!(
            !screen.chars().any(|c| c.is_control() && c != '\n'),
            "raw control character drawn"
        );
    };
    use agtrace::tui::keymap::Action as A;
    // The trace list, with the failed and slow filters.
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
    // The slowest steps, the stats and session screens, help; back each time.
    for a in [A::SlowestSteps, A::StatsView, A::SessionView, A::Help] {
        app.update(a);
        frame(&mut app);
        app.update(A::Down);
        frame(&mut app);
        app.update(A::Back);
    }
    // A trace: its tree, every detail tab, the agent view, the critical path.
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
});
