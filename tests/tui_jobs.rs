//! The explorer on a store reads in the background: keys are answered while a read is
//! in flight, and a stale read's result never replaces a newer one. The store here is
//! real SQLite behind a gate the test opens, so a read takes exactly as long as the
//! test wants.

mod common;
use agtrace::tui::app::App;
use agtrace::tui::jobs::{SqliteStore, StoreReads};
use agtrace::tui::keymap::Action;
use agtrace::tui::screens::ScreenKind;
use agtrace::tui::screens::list::ListRow;
use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A store whose trace reads wait until the test opens their gate.
struct Gated {
    inner: SqliteStore,
    open: Mutex<HashSet<String>>,
    changed: Condvar,
}

impl Gated {
    fn release(&self, trace_id: &str) {
        if let Ok(mut open) = self.open.lock() {
            open.insert(trace_id.to_owned());
        }
        self.changed.notify_all();
    }
}

impl StoreReads for Gated {
    fn summaries(&self, newest: Option<usize>) -> Result<agtrace::model::TraceSet, String> {
        self.inner.summaries(newest)
    }

    fn trace(&self, trace_id: &str) -> Result<agtrace::model::TraceSet, String> {
        let mut open = self.open.lock().map_err(|e| e.to_string())?;
        while !open.contains(trace_id) {
            open = self.changed.wait(open).map_err(|e| e.to_string())?;
        }
        drop(open);
        self.inner.trace(trace_id)
    }

    fn everything(&self) -> Result<agtrace::model::TraceSet, String> {
        self.inner.everything()
    }
}

fn selected_trace(app: &App) -> String {
    match app.list().rows[app.list().sel] {
        ListRow::Trace(t) => app.shared.set.traces[t as usize].id.to_string(),
        ListRow::Session(..) => "session".into(),
    }
}

#[test]
fn keys_are_answered_while_a_read_is_in_flight_and_stale_results_are_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    agtrace::store::import(
        &db,
        &[agtrace::source::Input::Path(common::fixture(
            "agent-incident.otlp.json",
        ))],
        &agtrace::source::LoadOptions::with_threads(1),
        |_, _| {},
    )
    .expect("import");
    let store = Arc::new(Gated {
        inner: SqliteStore {
            path: db,
            prices: Arc::new(agtrace::semconv::PriceTable::bundled()),
        },
        open: Mutex::new(HashSet::new()),
        changed: Condvar::new(),
    });
    let mut a = App::loading("s.db".into());
    a.start_store(store.clone(), true);
    a.settle(Duration::from_secs(10));
    assert_eq!(a.list().rows.len(), 4);

    // Open the first trace: its read blocks, and the explorer keeps answering.
    let first = selected_trace(&a);
    a.update(Action::Enter);
    assert_eq!(
        a.screen(),
        ScreenKind::List,
        "the trace opens when its spans arrive"
    );
    assert!(
        a.shared.status.starts_with("reading trace"),
        "{}",
        a.shared.status
    );
    assert!(a.jobs.busy());
    for k in 1..4 {
        a.update(Action::Down);
        assert_eq!(a.list().sel, k, "a key moved the selection during the read");
    }
    a.update(Action::ToggleFailed);
    assert_eq!(
        a.list().rows.len(),
        1,
        "filters still apply during the read"
    );
    a.update(Action::ToggleFailed);
    // Ask for another trace while the first read still hangs: the newer request wins.
    a.update(Action::Top);
    a.update(Action::Down);
    let second = selected_trace(&a);
    assert_ne!(first, second);
    a.update(Action::Enter);

    store.release(&second);
    let done = a.jobs.take_finished(Duration::from_secs(10));
    assert_eq!(done.len(), 1, "the second read finished");
    for d in done {
        a.job_done(d);
    }
    assert_eq!(a.screen(), ScreenKind::Trace);
    let shown = |a: &App| {
        let t = a.trace().expect("trace open");
        a.shared.set.traces[t.summary as usize].id.to_string()
    };
    assert_eq!(shown(&a), second);

    // The first read finishes late: its result is stale and changes nothing.
    store.release(&first);
    a.settle(Duration::from_secs(10));
    assert_eq!(a.jobs.running(), 0);
    assert_eq!(a.screens.len(), 2, "no second trace view was pushed");
    assert_eq!(
        shown(&a),
        second,
        "the stale read did not replace the newer one"
    );
    assert!(!a.jobs.busy());

    // Esc while a read hangs stops waiting for it: nothing opens when it lands.
    a.update(Action::Back);
    a.update(Action::Bottom);
    let third = selected_trace(&a);
    a.update(Action::Enter);
    a.update(Action::Back);
    assert_eq!(a.shared.status, "stopped waiting for the trace");
    store.release(&third);
    a.settle(Duration::from_secs(10));
    assert_eq!(a.screen(), ScreenKind::List);
}

/// A store that counts the reads of every span.
struct Counting {
    inner: SqliteStore,
    everything: std::sync::atomic::AtomicUsize,
}

impl StoreReads for Counting {
    fn summaries(&self, newest: Option<usize>) -> Result<agtrace::model::TraceSet, String> {
        self.inner.summaries(newest)
    }

    fn trace(&self, trace_id: &str) -> Result<agtrace::model::TraceSet, String> {
        self.inner.trace(trace_id)
    }

    fn everything(&self) -> Result<agtrace::model::TraceSet, String> {
        self.everything
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.everything()
    }

    fn text_matches(
        &self,
        filter: &agtrace::query::filter::Filter,
    ) -> Result<agtrace::model::TraceSet, String> {
        self.inner.text_matches(filter)
    }
}

/// On a store, `text:` is answered by the store's text index: the list shows the
/// traces that say it (the same as in memory), the explorer stays on the store (no
/// span is read but the candidates'), typing it never starts a read of every span, and
/// clearing it lists every trace again.
#[test]
fn text_filters_on_a_store_go_through_its_text_index() {
    use crossterm::event::{KeyCode, KeyEvent};
    let rels = ["agent-incident.otlp.json", "triage.otlp.json"];
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    let inputs: Vec<_> = rels
        .iter()
        .map(|r| agtrace::source::Input::Path(common::fixture(r)))
        .collect();
    agtrace::store::import(
        &db,
        &inputs,
        &agtrace::source::LoadOptions::with_threads(1),
        |_, _| {},
    )
    .expect("import");
    let store = Arc::new(Counting {
        inner: SqliteStore {
            path: db,
            prices: Arc::new(agtrace::semconv::PriceTable::bundled()),
        },
        everything: Default::default(),
    });
    let mut a = App::loading("s.db".into());
    a.start_store(store.clone(), false);
    a.settle(Duration::from_secs(10));
    let all = a.list().rows.len();
    assert_eq!(all, 7);

    let direct = common::load_ok(&rels);
    for needle in ["customer not found", "REFUND", "charged"] {
        let f =
            agtrace::query::filter::Filter::parse(&format!("text:\"{needle}\"")).expect("filter");
        let mut want: Vec<String> = agtrace::analysis::list::TraceListQuery::new(f.clone())
            .run(&direct)
            .into_iter()
            .map(|t| direct.traces[t as usize].id.to_string())
            .collect();
        want.sort();
        assert!(!want.is_empty(), "{needle} is in the fixtures");

        // Typed live, as a user does.
        a.update(Action::Filter);
        for c in format!("text:\"{needle}\"").chars() {
            a.filter_key(KeyEvent::from(KeyCode::Char(c)));
        }
        a.filter_key(KeyEvent::from(KeyCode::Enter));
        a.settle(Duration::from_secs(10));
        let mut got: Vec<String> = a
            .list()
            .rows
            .iter()
            .map(|r| match r {
                ListRow::Trace(t) => a.shared.set.traces[*t as usize].id.to_string(),
                ListRow::Session(..) => "session".into(),
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{needle}");
        assert!(a.shared.store_mode, "still reading the store per trace");
        assert!(
            a.shared.status.contains("text index"),
            "{}",
            a.shared.status
        );
        // The opened trace shows which of its spans say it.
        a.update(Action::Top);
        a.update(Action::Enter);
        a.settle(Duration::from_secs(10));
        let t = a.trace().expect("trace open");
        assert!(!t.matches.is_empty(), "{needle}: spans that say it");
        a.update(Action::Back);
        a.update(Action::Back);
        assert_eq!(a.list().rows.len(), all, "cleared: every trace again");
    }
    assert_eq!(
        store.everything.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no read of every span"
    );
}
