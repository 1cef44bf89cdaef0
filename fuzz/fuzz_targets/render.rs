//! Load any bytes, then draw the explorer's first frame and a trace's tree and detail
//! through ratatui's TestBackend: whatever the input, drawing neither panics nor puts
//! a raw control character on the screen.
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
    frame(&mut app);
    app.update(agtrace::tui::keymap::Action::Enter);
    frame(&mut app);
    for tab in 1..=8 {
        app.update(agtrace::tui::keymap::Action::Tab(tab));
        frame(&mut app);
    }
});
