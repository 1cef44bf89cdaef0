//! The explorer's state driven by key actions, with no terminal: moving, opening,
//! folding, filtering, jumping to failures, session view.

mod common;
use agtrace::analysis::detail::SectionKind;
use agtrace::tui::app::{App, Popup};
use agtrace::tui::jobs::SqliteStore;
use agtrace::tui::keymap::Action;
use agtrace::tui::screens::ScreenKind;
use agtrace::tui::screens::list::ListRow;
use agtrace::tui::screens::trace::TraceScreen;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;

fn app() -> App {
    App::with_set(
        common::load_ok(&["agent-incident.otlp.json"]),
        "agent-incident.otlp.json".into(),
    )
}

fn trace_id(app: &App, row: usize) -> String {
    match app.list().rows[row] {
        ListRow::Trace(t) => app.shared.set.traces[t as usize].id.to_string(),
        ListRow::Session(..) => "session".into(),
    }
}

fn tr(app: &App) -> &TraceScreen {
    app.trace().expect("a trace is open")
}

fn ses(app: &App) -> &agtrace::tui::screens::session::SessionScreen {
    app.session().expect("a session is open")
}

fn sqlite(db: &std::path::Path) -> Arc<SqliteStore> {
    Arc::new(SqliteStore {
        path: db.to_path_buf(),
        prices: Arc::new(agtrace::semconv::PriceTable::bundled()),
    })
}

/// An explorer on the store at `db`, its trace list read.
fn store_app(db: &std::path::Path) -> App {
    let mut a = App::loading("s.db".into());
    a.start_store(sqlite(db), true);
    a.settle(Duration::from_secs(10));
    a
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
    assert_eq!(a.list().rows.len(), 4);
    assert_eq!(
        trace_id(&a, 0),
        "d4cda95b652f4a1592b449d5929fda1b",
        "newest first"
    );
    a.update(Action::Down);
    a.update(Action::Down);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(a.list().sel, 3, "stops at the last row");
    a.update(Action::Top);
    assert_eq!(a.list().sel, 0);
    a.update(Action::Bottom);
    a.update(Action::Up);
    assert_eq!(
        trace_id(&a, a.list().sel),
        "0af7651916cd43dd8448eb211c80319c"
    );
    a.update(Action::Enter);
    assert!(a.screen() == ScreenKind::Trace);
    // Opening a failed trace lands on the failure origin: the HTTP call under the tool.
    assert_eq!(selected_name(&a), "POST");
    a.update(Action::Back);
    assert_eq!(a.screen(), ScreenKind::List);
}

#[test]
fn tree_folds_and_navigates() {
    let mut a = app();
    a.open_trace(a.shared.set.find_traces("0af7")[0]);
    assert_eq!(tr(&a).rows.len(), 5);
    a.update(Action::Top);
    assert_eq!(selected_name(&a), "invoke_agent support");
    a.update(Action::Left);
    assert_eq!(tr(&a).rows.len(), 1, "collapsed the root");
    assert!(tr(&a).rows[0].collapsed);
    a.update(Action::Right);
    assert_eq!(tr(&a).rows.len(), 5);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(selected_name(&a), "execute_tool refund_payment");
    a.update(Action::Enter);
    assert_eq!(tr(&a).rows.len(), 4, "Enter toggles the tool node");
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
        tr(&a).rows.len(),
        4,
        "roots stay open, everything below folds"
    );
    a.update(Action::ExpandAll);
    assert_eq!(tr(&a).rows.len(), 5);
    // The collapsed root shows its subtree's totals.
    let root = tr(&a).rows[0].span;
    let totals = tr(&a).outline.totals_of(root);
    assert_eq!(
        (totals.spans, totals.input_tokens, totals.errors),
        (5, 3750, 3)
    );
}

#[test]
fn failure_jumps_go_to_origins() {
    let mut a = app();
    a.open_trace(a.shared.set.find_traces("0af7")[0]);
    let origins: Vec<String> = tr(&a)
        .outline
        .origins
        .iter()
        .map(|o| {
            a.shared
                .set
                .str(a.shared.set.spans[o.span as usize].name)
                .to_owned()
        })
        .collect();
    assert_eq!(
        origins,
        vec!["POST"],
        "the tool and the agent only inherited the failure"
    );
    a.update(Action::Top);
    a.update(Action::NextFailure);
    assert_eq!(selected_name(&a), "POST");
    assert!(a.shared.status.contains("HTTP 504"), "{}", a.shared.status);
    // From the list, e jumps to the next failed trace.
    a.update(Action::Back);
    a.update(Action::Top);
    a.update(Action::NextFailure);
    assert_eq!(
        trace_id(&a, a.list().sel),
        "0af7651916cd43dd8448eb211c80319c"
    );
}

#[test]
fn filters_in_the_list_and_the_tree() {
    let mut a = app();
    a.update(Action::ToggleFailed);
    assert_eq!(a.list().rows.len(), 1);
    assert_eq!(a.list().totals.traces, 1);
    a.update(Action::ToggleFailed);
    assert_eq!(a.list().rows.len(), 4);
    type_filter(&mut a, "kind:retrieval");
    assert_eq!(a.list().rows.len(), 2, "two traces have a retrieval step");
    type_filter(&mut a, "tool:refund*");
    assert_eq!(a.list().rows.len(), 1);
    a.update(Action::Enter);
    // In the tree: the match plus its ancestors (dimmed).
    let rows: Vec<(String, bool)> = tr(&a)
        .rows
        .iter()
        .map(|r| {
            (
                a.shared
                    .set
                    .str(a.shared.set.spans[r.span as usize].name)
                    .to_owned(),
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
    assert!(
        a.shared.query.filter.is_empty(),
        "Esc on the list clears the filters"
    );
    assert_eq!(a.list().rows.len(), 4);
    // A bad filter keeps the old one and says why.
    type_filter(&mut a, "kind:robot");
    assert!(a.shared.filter_error.is_some());
    assert_eq!(a.list().rows.len(), 4);
}

#[test]
fn slow_only_with_threshold() {
    let mut a = app();
    a.update(Action::ToggleSlow);
    assert_eq!(a.list().rows.len(), 4, "all traces last at least 1s");
    for _ in 0..4 {
        a.update(Action::SlowerThreshold);
    }
    assert_eq!(a.shared.slow_ns, 16_000_000_000);
    assert_eq!(a.list().rows.len(), 1, "only the 34.5s trace");
    a.update(Action::FasterThreshold);
    a.update(Action::FasterThreshold);
    // Slow means a slow step: the 4.2s run has no step of 4s (its calls take 1.8s,
    // 0.6s and 1.6s), the 34.5s run has a 30.2s tool call, the 6.1s one a 5.4s call.
    assert_eq!(a.list().rows.len(), 2, "≥ 4s steps: 30.2s tool, 5.4s llm");
}

#[test]
fn matches_step_with_n_and_the_critical_path_is_marked() {
    let mut a = app();
    a.open_trace(a.shared.set.find_traces("0af7")[0]);
    type_filter(&mut a, "kind:llm");
    assert_eq!(tr(&a).matches.len(), 2);
    assert_eq!(selected_name(&a), "chat gpt-4o");
    let first = a.selected_span();
    a.update(Action::NextMatch);
    assert_ne!(a.selected_span(), first);
    a.update(Action::NextMatch);
    assert_eq!(a.selected_span(), first, "wraps around");
    a.update(Action::CriticalPath);
    assert!(tr(&a).show_critical);
    let on_path: Vec<String> = tr(&a)
        .outline
        .order
        .iter()
        .enumerate()
        .filter(|(p, _)| tr(&a).outline.critical[*p])
        .map(|(_, &i)| {
            a.shared
                .set
                .str(a.shared.set.spans[i as usize].name)
                .to_owned()
        })
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
    assert!(a.screen() == ScreenKind::Session);
    assert_eq!(ses(&a).rows.len(), 2);
    let first = a.shared.set.traces[ses(&a).rows[0] as usize].start;
    let second = a.shared.set.traces[ses(&a).rows[1] as usize].start;
    assert!(first < second, "turns in time order");
    a.update(Action::NextFailure);
    assert_eq!(ses(&a).sel, 1, "e finds the failed turn");
    a.update(Action::Enter);
    assert!(a.screen() == ScreenKind::Trace);
    a.update(Action::Back);
    a.update(Action::Back);
    // Searching a session id from the list jumps to it.
    type_filter(&mut a, "conv-9100");
    assert!(a.screen() == ScreenKind::Session);
    assert_eq!(ses(&a).rows.len(), 1);
}

#[test]
fn group_by_session_expands_on_enter() {
    let mut a = app();
    a.update(Action::GroupSessions);
    let sessions = a
        .list()
        .rows
        .iter()
        .filter(|r| matches!(r, ListRow::Session(..)))
        .count();
    assert_eq!(sessions, 3);
    let conv = a
        .list()
        .rows
        .iter()
        .position(|r| matches!(r, ListRow::Session(s, 2) if a.shared.set.str(*s) == "conv-8812"))
        .expect("conv-8812 row");
    for _ in 0..conv {
        a.update(Action::Down);
    }
    a.update(Action::Enter);
    assert_eq!(a.list().rows.len(), 5, "its two turns appear under it");
}

#[test]
fn copy_tabs_and_help() {
    let mut a = app();
    a.update(Action::Copy);
    assert_eq!(
        a.shared.clipboard.take().as_deref(),
        Some("d4cda95b652f4a1592b449d5929fda1b")
    );
    assert!(a.shared.status.starts_with("copied trace id"));
    a.open_trace(a.shared.set.find_traces("0af7")[0]);
    a.update(Action::Copy);
    assert_eq!(
        a.shared.clipboard.take().as_deref(),
        Some("b000000000000004")
    );
    a.update(Action::Tab(5));
    assert_eq!(tr(&a).tab, SectionKind::Events);
    a.update(Action::NextTab);
    assert_eq!(tr(&a).tab, SectionKind::Links);
    a.update(Action::SwitchPane);
    a.update(Action::Up);
    a.update(Action::Tab(1));
    a.update(Action::Copy);
    let text = a.shared.clipboard.take().expect("copied");
    assert!(text.contains("HTTP 504"), "{text}");
    a.update(Action::Help);
    assert_eq!(a.popup, Some(Popup::Help));
    a.update(Action::Down);
    a.update(Action::PageDown);
    assert_eq!(a.popup, Some(Popup::Help), "moving keys scroll the help");
    assert_eq!(a.help_scroll, 11);
    a.update(Action::Bottom);
    assert_eq!(a.help_scroll, a.shared.keymap.help_rows().len());
    a.update(Action::Top);
    assert_eq!(a.help_scroll, 0);
    a.update(Action::Copy);
    assert_eq!(a.popup, None, "any other key closes help");
    a.update(Action::Help);
    assert_eq!(a.help_scroll, 0, "help opens at its first row");
    a.update(Action::Back);
    assert_eq!(a.popup, None);
    a.update(Action::Quit);
    assert!(a.shared.quit);
}

#[test]
fn store_mode_lists_summaries_and_reads_a_trace_when_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_into(&db, "agent-incident.otlp.json");
    let mut a = store_app(&db);
    assert!(
        a.shared.set.spans.is_empty(),
        "no span is read to list traces"
    );
    assert_eq!(a.list().rows.len(), 4);
    a.update(Action::Bottom);
    a.update(Action::Up);
    a.update(Action::Enter);
    a.settle(Duration::from_secs(10));
    assert_eq!(
        selected_name(&a),
        "POST",
        "the trace's spans were read on open"
    );
    assert_eq!(a.tset().spans.len(), 5);
    a.update(Action::Top);
    a.update(Action::NextFailure);
    assert!(a.shared.status.contains("HTTP 504"));
    a.update(Action::Back);
    // A new import shows up after r.
    import_into(&db, "shapes/anyvalues.json");
    a.update(Action::Refresh);
    a.settle(Duration::from_secs(10));
    assert_eq!(a.list().rows.len(), 5);
    assert!(a.shared.status.contains("+1"), "{}", a.shared.status);
    // A span-level filter reads the spans once and then works as on files.
    type_filter(&mut a, "tool:refund*");
    a.settle(Duration::from_secs(10));
    assert!(!a.shared.store_mode);
    assert_eq!(a.list().rows.len(), 1);
}

#[test]
fn a_store_list_shows_its_newest_traces_first_then_all_of_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_into(&db, "agent-incident.otlp.json");
    let page = || agtrace::store::load_summaries(&db, &Default::default(), Some(2)).expect("page");
    let all = || agtrace::store::load_summaries(&db, &Default::default(), None).expect("all");
    let start_app = || {
        let mut a = App::loading("s.db".into());
        a.shared.store_mode = true;
        a.jobs.store = Some(sqlite(&db));
        a.shared.partial = true;
        a.loaded(page());
        a
    };

    // On the list, the whole list replaces the page and the selection stays put.
    let mut a = start_app();
    assert_eq!(a.list().rows.len(), 2);
    assert!(a.shared.status.contains("newest 2"), "{}", a.shared.status);
    let newest: Vec<String> = (0..2).map(|r| trace_id(&a, r)).collect();
    assert_eq!(
        newest,
        (0..2).map(|r| trace_id(&app(), r)).collect::<Vec<_>>()
    );
    a.update(Action::Down);
    let picked = trace_id(&a, a.list().sel);
    a.complete(all());
    assert_eq!(a.list().rows.len(), 4);
    assert!(!a.shared.partial);
    assert_eq!(trace_id(&a, a.list().sel), picked);

    // With a trace open, the whole list waits until the list is shown again.
    let mut a = start_app();
    a.update(Action::Down);
    let picked = trace_id(&a, a.list().sel);
    a.update(Action::Enter);
    a.settle(Duration::from_secs(10));
    assert!(a.screen() == ScreenKind::Trace);
    a.complete(all());
    assert!(a.screen() == ScreenKind::Trace, "the open trace stays open");
    assert_eq!(a.list().rows.len(), 2);
    a.update(Action::Back);
    assert_eq!(a.list().rows.len(), 4);
    assert_eq!(trace_id(&a, a.list().sel), picked);
}

#[test]
fn a_new_list_keeps_the_view_on_the_selected_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    import_into(&db, "agent-incident.otlp.json");
    let load = |newest: Option<usize>| {
        agtrace::store::load_summaries(&db, &Default::default(), newest).expect("summaries")
    };
    // Every position of a two-row window: the trace selected in the page stays
    // selected and on screen when the whole list replaces the page, although its
    // index in the new set differs.
    for row in 0..2 {
        let mut a = App::loading("s.db".into());
        a.shared.store_mode = true;
        a.jobs.store = Some(sqlite(&db));
        a.shared.layout.body_rows = 1;
        a.shared.partial = true;
        a.loaded(load(Some(2)));
        for _ in 0..row {
            a.update(Action::Down);
        }
        let picked = trace_id(&a, a.list().sel);
        a.complete(load(None));
        assert_eq!(trace_id(&a, a.list().sel), picked);
        assert!(
            a.list().offset <= a.list().sel && a.list().sel < a.list().offset + 1,
            "row {row}: selection {} off screen (offset {})",
            a.list().sel,
            a.list().offset
        );
    }
}

#[test]
fn d_marks_a_run_and_d_on_another_shows_how_they_differ() {
    let mut a = App::with_set(
        common::load_ok(&["diff.otlp.json"]),
        "diff.otlp.json".into(),
    );
    // Newest first: run B (03:13) is row 0, run A (03:12) row 1.
    assert_eq!(trace_id(&a, 0), "d1ff0000000000000000000000000b02");
    a.update(Action::Down);
    a.update(Action::Compare);
    assert!(
        a.shared.status.starts_with("marked run d1ff0000"),
        "{}",
        a.shared.status
    );
    assert!(a.compare_mark.is_some());
    // d on the same run unmarks it; d again marks it.
    a.update(Action::Compare);
    assert!(a.compare_mark.is_none());
    a.update(Action::Compare);
    // Open run B and compare from the trace view.
    a.update(Action::Up);
    a.update(Action::Enter);
    assert_eq!(a.screen(), ScreenKind::Trace);
    a.update(Action::Compare);
    let Some(Popup::Compare(c)) = &a.popup else {
        panic!("a comparison is shown: {:?}", a.shared.status);
    };
    assert!(
        c.title.contains("first divergence at step 2"),
        "{}",
        c.title
    );
    let text = c.lines.join("\n");
    assert!(
        text.contains("first divergence: step 2 of 6, llm — answer differs"),
        "{text}"
    );
    assert!(text.contains("+   \"order_id\": \"8821\""), "{text}");
    // It scrolls, copies, closes.
    a.compare_key(KeyEvent::from(KeyCode::Char('j')));
    a.compare_key(KeyEvent::from(KeyCode::Char('G')));
    let Some(Popup::Compare(c)) = &a.popup else {
        panic!("still open");
    };
    assert_eq!(c.scroll, c.lines.len() - 1);
    a.compare_key(KeyEvent::from(KeyCode::Char('y')));
    assert!(a.popup.is_none());
    assert!(
        a.shared
            .clipboard
            .take()
            .expect("copied")
            .contains("first divergence")
    );
    assert!(a.compare_mark.is_none(), "the mark is used up");
}
