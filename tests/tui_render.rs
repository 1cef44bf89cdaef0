//! Render snapshots of every screen at 80×24 and 120×40 (ratatui TestBackend + insta),
//! on fixtures with agent traces, failures, long values and hostile text.

mod common;
use agtrace::tui::app::App;
use agtrace::tui::keymap::Action;
use agtrace::tui::theme::Theme;
use agtrace::tui::view::render;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    // Two passes: the first frame records the geometry the second one pages with.
    t.draw(|f| render(app, f, &Theme::plain())).expect("draw");
    t.draw(|f| render(app, f, &Theme::plain())).expect("draw");
    t.backend().to_string()
}

fn app(fixture: &str) -> App {
    App::with_set(common::load_ok(&[fixture]), fixture.into())
}

fn both(name: &str, mut setup: impl FnMut() -> App) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = setup();
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(&mut a, w, h));
    }
}

fn open_b(a: &mut App) {
    let t = a.shared.set.find_traces("0af7")[0];
    a.open_trace(t);
}

#[test]
fn trace_list() {
    both("list", || app("agent-incident.otlp.json"));
}

#[test]
fn trace_view_summary() {
    both("trace_summary", || {
        let mut a = app("agent-incident.otlp.json");
        open_b(&mut a);
        a
    });
}

#[test]
fn trace_view_messages_of_an_llm_call() {
    both("trace_messages", || {
        let mut a = app("agent-incident.otlp.json");
        a.open_trace(a.shared.set.find_traces("5b8e")[0]);
        a.update(Action::Bottom);
        a.update(Action::Tab(2));
        a
    });
}

#[test]
fn trace_view_tool_and_events() {
    both("trace_tool", || {
        let mut a = app("agent-incident.otlp.json");
        open_b(&mut a);
        a.update(Action::Left);
        a.update(Action::Tab(3));
        a
    });
    both("trace_events", || {
        let mut a = app("agent-incident.otlp.json");
        open_b(&mut a);
        a.update(Action::Left);
        a.update(Action::Tab(5));
        a
    });
}

#[test]
fn collapsed_tree_and_critical_path() {
    both("trace_collapsed", || {
        let mut a = app("agent-incident.otlp.json");
        open_b(&mut a);
        a.update(Action::Top);
        a.update(Action::Left);
        a
    });
}

#[test]
fn session_view() {
    both("session", || {
        let mut a = app("agent-incident.otlp.json");
        a.update(Action::Bottom);
        a.update(Action::SessionView);
        a
    });
}

#[test]
fn filter_line_and_help() {
    both("filter_typing", || {
        let mut a = app("agent-incident.otlp.json");
        a.update(Action::Filter);
        for c in "refund".chars() {
            a.filter_key(KeyEvent::from(KeyCode::Char(c)));
        }
        a
    });
    both("help", || {
        let mut a = app("agent-incident.otlp.json");
        a.update(Action::Help);
        a
    });
    // A help taller than the terminal scrolls to its last row.
    both("help_end", || {
        let mut a = app("agent-incident.otlp.json");
        a.update(Action::Help);
        a.update(Action::Bottom);
        a
    });
}

#[test]
fn integrity_and_hostile_text_render_safely() {
    both("integrity", || {
        let mut a = app("integrity.json");
        a.update(Action::Enter);
        a
    });
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app("hostile.json");
        let list = draw(&mut a, w, h);
        a.update(Action::Enter);
        a.update(Action::Tab(4));
        let tree = draw(&mut a, w, h);
        for screen in [&list, &tree] {
            assert!(
                !screen.chars().any(|c| c.is_control() && c != '\n'),
                "raw control character drawn"
            );
            assert!(!screen.contains('\u{202e}'), "raw bidi override drawn");
        }
        assert!(tree.contains("\\x1b"), "escapes show as text");
        insta::assert_snapshot!(format!("hostile_{w}x{h}"), tree);
    }
}

#[test]
fn loading_screen() {
    let mut a = App::loading("big.json".into());
    if let Some(p) = &mut a.shared.loading {
        p.bytes = 123_400_000;
        p.spans = 45_000;
        p.phase = "decoding".into();
    }
    insta::assert_snapshot!("loading_80x24", draw(&mut a, 80, 24));
}
