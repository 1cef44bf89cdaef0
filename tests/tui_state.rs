//! The explorer's state driven by key actions, with no terminal: moving, opening,
//! folding, filtering, jumping to failures, session view.

mod common;
use agtrace::tui::app::{App, ListRow, Mode, Screen, Tab};
use agtrace::tui::keymap::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app() -> App {
    App::with_set(
        common::load_ok(&["agent-incident.otlp.json"]),
        "agent-incident.otlp.json".into(),
    )
}

fn trace_id(app: &App, row: usize) -> String {
    match app.list[row] {
        ListRow::Trace(t) => app.set.traces[t as usize].id.to_string(),
        ListRow::Session(..) => "session".into(),
    }
}

fn selected_name(app: &App) -> String {
    let i = app.selected_span().expect("a span is selected");
    let set = app.tset();
    set.str(set.spans[i as usize].name).to_owned()
}

/// Imports a fixture into the store at `db`.
fn import_into(db: &std::path::Path, rel: &str) {
    agtrace::store::import(
        db,
        &[agtrace::source::Input::Path(common::fixture(rel))],
        &agtrace::source::LoadOptions::with_threads(1),
        |_, _| {},
    )
    .expect("import");
}

fn type_filter(app: &mut App, text: &str) {
    app.update(Action::Filter);
    app.filter_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    for c in text.chars() {
        app.filter_key(KeyEvent::from(KeyCode::Char(c)));
    }
    app.filter_key(KeyEvent::from(KeyCode::Enter));
}

#[test]
fn list_moves_and_opens_a_trace() {
    let mut a = app();
    assert_eq!(a.list.len(), 4);
    assert_eq!(
        trace_id(&a, 0),
        "d4cda95b652f4a1592b449d5929fda1b",
        "newest first"
    );
    a.update(Action::Down);
    a.update(Action::Down);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.list_sel, 3, "stops at the last row");
    a.update(Action::Top);
    assert_eq!(a.list_sel, 0);
    a.update(Action::Bottom);
    a.update(Action::Up);
    assert_eq!(trace_id(&a, a.list_sel), "0af7651916cd43dd8448eb211c80319c");
    a.update(Action::Enter);
    assert!(matches!(a.screen(), Screen::Trace(_)));
    // Opening a failed trace lands on the failure origin: the HTTP call under the tool.
    assert_eq!(selected_name(&a), "POST");
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::List);
}

#[test]
fn tree_folds_and_navigates() {
    let mut a = app();
    a.open_trace(a.set.find_traces("0af7")[0]);
    assert_eq!(a.tree.rows.len(), 5);
    a.update(Action::Top);
    assert_eq!(selected_name(&a), "invoke_agent support");
    a.update(Action::Left);
    assert_eq!(a.tree.rows.len(), 1, "collapsed the root");
    assert!(a.tree.rows[0].collapsed);
    a.update(Action::Right);
    assert_eq!(a.tree.rows.len(), 5);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(selected_name(&a), "execute_tool refund_payment");
    a.update(Action::Enter);
    assert_eq!(a.tree.rows.len(), 4, "Enter toggles the tool node");
    a.update(Action::Right);
    a.update(Action::Right);
    assert_eq!(
        selected_name(&a),
        "POST",
        "→ on an open node goes to its child"
    );
    a.update(Action::Left);
    assert_eq!(
        selected_name(&a),
        "execute_tool refund_payment",
        "← on a leaf goes to the parent"
    );
    a.update(Action::CollapseAll);
    assert_eq!(
        a.tree.rows.len(),
        4,
        "roots stay open, everything below folds"
    );
    a.update(Action::ExpandAll);
    assert_eq!(a.tree.rows.len(), 5);
    // The collapsed root shows its subtree's totals.
    let root = a.tree.rows[0].span;
    let totals = a.tree.totals[a.tree.pos[&root] as usize];
    assert_eq!(
        (totals.spans, totals.input_tokens, totals.errors),
        (5, 3750, 3)
    );
}

#[test]
fn failure_jumps_go_to_origins() {
    let mut a = app();
    a.open_trace(a.set.find_traces("0af7")[0]);
    let origins: Vec<String> = a
        .tree
        .origins
        .iter()
        .map(|&i| a.set.str(a.set.spans[i as usize].name).to_owned())
        .collect();
    assert_eq!(
        origins,
        vec!["POST"],
        "the tool and the agent only inherited the failure"
    );
    a.update(Action::Top);
    a.update(Action::NextFailure);
    assert_eq!(selected_name(&a), "POST");
    assert!(a.status.contains("HTTP 504"), "{}", a.status);
    // From the list, e jumps to the next failed trace.
    a.update(Action::Back);
    a.update(Action::Top);
    a.update(Action::NextFailure);
    assert_eq!(trace_id(&a, a.list_sel), "0af7651916cd43dd8448eb211c80319c");
}

#[test]
fn filters_in_the_list_and_the_tree() {
    let mut a = app();
    a.update(Action::ToggleFailed);
    assert_eq!(a.list.len(), 1);
    assert_eq!(a.totals.traces, 1);
    a.update(Action::ToggleFailed);
    assert_eq!(a.list.len(), 4);
    type_filter(&mut a, "kind:retrieval");
    assert_eq!(a.list.len(), 2, "two traces have a retrieval step");
    type_filter(&mut a, "tool:refund*");
    assert_eq!(a.list.len(), 1);
    a.update(Action::Enter);
    // In the tree: the match plus its ancestors (dimmed).
    let rows: Vec<(String, bool)> = a
        .tree
        .rows
        .iter()
        .map(|r| {
            (
                a.set.str(a.set.spans[r.span as usize].name).to_owned(),
                r.dim,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("invoke_agent support".into(), true),
            ("execute_tool refund_payment".into(), false)
        ]
    );
    assert_eq!(selected_name(&a), "execute_tool refund_payment");
    a.update(Action::Back);
    a.update(Action::Back);
    assert!(a.filter.is_empty(), "Esc on the list clears the filters");
    assert_eq!(a.list.len(), 4);
    // A bad filter keeps the old one and says why.
    type_filter(&mut a, "kind:robot");
    assert!(a.filter_error.is_some());
    assert_eq!(a.list.len(), 4);
}

#[test]
fn slow_only_with_threshold() {
    let mut a = app();
    a.update(Action::ToggleSlow);
    assert_eq!(a.list.len(), 4, "all traces last at least 1s");
    for _ in 0..4 {
        a.update(Action::SlowerThreshold);
    }
    assert_eq!(a.slow_ns, 16_000_000_000);
    assert_eq!(a.list.len(), 1, "only the 34.5s trace");
    a.update(Action::FasterThreshold);
    a.update(Action::FasterThreshold);
    assert_eq!(a.list.len(), 3, "≥ 4s: 34.5s, 6.1s and 4.2s");
    let _ = Mode::Normal;
}

#[test]
fn matches_step_with_n_and_the_critical_path_is_marked() {
    let mut a = app();
    a.open_trace(a.set.find_traces("0af7")[0]);
    type_filter(&mut a, "kind:llm");
    assert_eq!(a.tree.matches.len(), 2);
    assert_eq!(selected_name(&a), "chat gpt-4o");
    let first = a.selected_span();
    a.update(Action::NextMatch);
    assert_ne!(a.selected_span(), first);
    a.update(Action::NextMatch);
    assert_eq!(a.selected_span(), first, "wraps around");
    a.update(Action::CriticalPath);
    assert!(a.tree.show_critical);
    let on_path: Vec<String> = a
        .tree
        .order
        .iter()
        .enumerate()
        .filter(|(p, _)| a.tree.critical[*p])
        .map(|(_, &i)| a.set.str(a.set.spans[i as usize].name).to_owned())
        .collect();
    assert_eq!(
        on_path,
        vec!["invoke_agent support", "chat gpt-4o"],
        "the root and the last-ending child"
    );
}

#[test]
fn session_view_and_session_search() {
    let mut a = app();
    a.update(Action::Bottom);
    a.update(Action::SessionView);
    assert!(matches!(a.screen(), Screen::Session(_)));
    assert_eq!(a.session_rows.len(), 2);
    let first = a.set.traces[a.session_rows[0] as usize].start;
    let second = a.set.traces[a.session_rows[1] as usize].start;
    assert!(first < second, "turns in time order");
    a.update(Action::NextFailure);
    assert_eq!(a.session_sel, 1, "e finds the failed turn");
    a.update(Action::Enter);
    assert!(matches!(a.screen(), Screen::Trace(_)));
    a.update(Action::Back);
    a.update(Action::Back);
    // Searching a session id from the list jumps to it.
    type_filter(&mut a, "conv-9100");
    assert!(matches!(a.screen(), Screen::Session(_)));
    assert_eq!(a.session_rows.len(), 1);
}

#[test]
fn group_by_session_expands_on_enter() {
    let mut a = app();
    a.update(Action::GroupSessions);
    let sessions = a
        .list
        .iter()
        .filter(|r| matches!(r, ListRow::Session(..)))
        .count();
    assert_eq!(sessions, 3);
    let conv = a
        .list
        .iter()
        .position(|r| matches!(r, ListRow::Session(s, 2) if a.set.str(*s) == "conv-8812"))
        .expect("conv-8812 row");
    a.list_sel = conv;
    a.update(Action::Enter);
    assert_eq!(a.list.len(), 5, "its two turns appear under it");
}

#[test]
fn copy_tabs_and_help() {
    let mut a = app();
    a.update(Action::Copy);
    assert_eq!(
        a.clipboard.take().as_deref(),
        Some("d4cda95b652f4a1592b449d5929fda1b")
    );
    assert!(a.status.starts_with("copied trace id"));
    a.open_trace(a.set.find_traces("0af7")[0]);
    a.update(Action::Copy);
    assert_eq!(a.clipboard.take().as_deref(), Some("b000000000000004"));
    a.update(Action::Tab(5));
    assert_eq!(a.tab, Tab::Events);
    a.update(Action::NextTab);
    assert_eq!(a.tab, Tab::Links);
    a.update(Action::SwitchPane);
    a.update(Action::Up);
    a.update(Action::Tab(1));
    a.update(Action::Copy);
    let text = a.clipboard.take().expect("copied");
    assert!(text.contains("HTTP 504"), "{text}");
    a.update(Action::Help);
    assert_eq!(a.mode, Mode::Help);
    a.update(Action::Down);
    assert_eq!(a.mode, Mode::Normal, "any key closes help");
    a.update(Action::Quit);
    assert!(a.quit);
}

#[test]
fn store_mode_lists_summaries_and_reads_a_trace_when_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_into(&db, "agent-incident.otlp.json");
    let summaries = agtrace::store::load_summaries(&db, &Default::default()).expect("summaries");
    assert!(summaries.spans.is_empty(), "no span is read to list traces");
    let mut a = App::with_set(summaries, "s.db".into());
    a.store = Some(db.clone());
    assert_eq!(a.list.len(), 4);
    a.update(Action::Bottom);
    a.update(Action::Up);
    a.update(Action::Enter);
    assert_eq!(
        selected_name(&a),
        "POST",
        "the trace's spans were read on open"
    );
    assert_eq!(a.tset().spans.len(), 5);
    a.update(Action::Top);
    a.update(Action::NextFailure);
    assert!(a.status.contains("HTTP 504"));
    a.update(Action::Back);
    // A new import shows up after r.
    import_into(&db, "shapes/anyvalues.json");
    a.update(Action::Refresh);
    assert_eq!(a.list.len(), 5);
    assert!(a.status.contains("+1"), "{}", a.status);
    // A span-level filter reads the spans once and then works as on files.
    type_filter(&mut a, "tool:refund*");
    assert!(a.store.is_none());
    assert_eq!(a.list.len(), 1);
}

#[test]
fn a_store_list_shows_its_newest_traces_first_then_all_of_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_into(&db, "agent-incident.otlp.json");
    let page = || {
        let f = agtrace::store::SummaryFilter {
            newest: Some(2),
            ..Default::default()
        };
        agtrace::store::load_summaries(&db, &f).expect("page")
    };
    let all = || agtrace::store::load_summaries(&db, &Default::default()).expect("all");
    let start_app = || {
        let mut a = App::loading("s.db".into());
        a.store = Some(db.clone());
        a.partial = true;
        a.loaded(page());
        a
    };

    // On the list, the whole list replaces the page and the selection stays put.
    let mut a = start_app();
    assert_eq!(a.list.len(), 2);
    assert!(a.status.contains("newest 2"), "{}", a.status);
    let newest: Vec<String> = (0..2).map(|r| trace_id(&a, r)).collect();
    assert_eq!(
        newest,
        (0..2).map(|r| trace_id(&app(), r)).collect::<Vec<_>>()
    );
    a.update(Action::Down);
    let picked = trace_id(&a, a.list_sel);
    a.complete(all());
    assert_eq!(a.list.len(), 4);
    assert!(!a.partial);
    assert_eq!(trace_id(&a, a.list_sel), picked);

    // With a trace open, the whole list waits until the list is shown again.
    let mut a = start_app();
    a.update(Action::Down);
    let picked = trace_id(&a, a.list_sel);
    a.update(Action::Enter);
    assert!(matches!(a.screen(), Screen::Trace(_)));
    a.complete(all());
    assert!(
        matches!(a.screen(), Screen::Trace(_)),
        "the open trace stays open"
    );
    assert_eq!(a.list.len(), 2);
    a.update(Action::Back);
    assert_eq!(a.list.len(), 4);
    assert_eq!(trace_id(&a, a.list_sel), picked);
}

#[test]
fn a_new_list_keeps_the_view_on_the_selected_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_into(&db, "agent-incident.otlp.json");
    let load = |newest: Option<usize>| {
        let f = agtrace::store::SummaryFilter {
            newest,
            ..Default::default()
        };
        agtrace::store::load_summaries(&db, &f).expect("summaries")
    };
    // Every position of a two-row window: the trace selected in the page stays
    // selected and on screen when the whole list replaces the page, although its
    // index in the new set differs.
    for row in 0..2 {
        let mut a = App::loading("s.db".into());
        a.store = Some(db.clone());
        a.layout.body_rows = 1;
        a.partial = true;
        a.loaded(load(Some(2)));
        for _ in 0..row {
            a.update(Action::Down);
        }
        let picked = trace_id(&a, a.list_sel);
        a.complete(load(None));
        assert_eq!(trace_id(&a, a.list_sel), picked);
        assert!(
            a.list_offset <= a.list_sel && a.list_sel < a.list_offset + 1,
            "row {row}: selection {} off screen (offset {})",
            a.list_sel,
            a.list_offset
        );
    }
}
