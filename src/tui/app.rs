//! The explorer's router: the screen stack, the popup on top, the shared state and
//! the background jobs. No terminal here: keys arrive as [`Action`]s, job results as
//! [`JobDone`]s, and tests drive both directly.

use super::jobs::{JobDone, JobKind, Jobs, StoreReads};
use super::keymap::Action;
use super::screens::list::ListScreen;
use super::screens::session::SessionScreen;
use super::screens::stats::StatsScreen;
use super::screens::steps::StepsScreen;
use super::screens::trace::TraceScreen;
use super::screens::{Nav, Screen, ScreenKind};
use super::shared::{Shared, plural};
use crate::model::{Sym, TraceSet};
use crate::query::filter::Filter;
use crate::sanitize::sanitize;
use std::sync::Arc;

/// Store mode: traces on the first screen of a large store, read before the rest.
pub const FIRST_PAGE: usize = 2_000;

/// What sits on top of the screens and takes the keys first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    /// The help overlay (any key closes it).
    Help,
    /// Typing a filter; `previous` is restored on Esc.
    Filter {
        /// The text typed so far.
        input: String,
        /// The filter text before editing.
        previous: String,
    },
    /// The incident summary of the selection, offered to copy or write (`x`).
    Incident(Box<super::handoff::Incident>),
    /// Two runs compared (`d` on a marked run, then `d` on another).
    Compare(Box<super::compare::Comparison>),
}

/// The whole explorer state: routing, shared data, jobs.
pub struct App {
    /// What every screen reads.
    pub shared: Shared,
    /// The navigation stack; the trace list is always at the bottom.
    pub screens: Vec<Screen>,
    /// The popup, if any.
    pub popup: Option<Popup>,
    /// Privacy mode: the unredacted set while `shared.set` is its redacted copy.
    pub plain: Option<TraceSet>,
    /// Live input (`open --listen`): the receiver and what waits to be merged.
    pub live: Option<super::live::LiveState>,
    /// Background reads.
    pub jobs: Jobs,
    /// Reads the named sources again (`r` on files and trace backends).
    pub reload: Option<Reload>,
    /// Pages of a backend's traces asked for (`M` adds one).
    pub pages: usize,
    /// The first help row shown: the help scrolls when it is taller than the terminal.
    pub help_scroll: usize,
    /// The run marked for comparing (`d`), by id: it stays the same run while a live
    /// set grows.
    pub compare_mark: Option<crate::model::TraceId>,
    /// Findings being decided after the first frame (`deciding.rs`).
    pub deciding: Option<crate::analysis::findings::Deriving>,
    /// Keys that wait for the findings, in order.
    pub deferred: std::collections::VecDeque<crossterm::event::KeyEvent>,
}

/// A reload of the sources (asking a backend for this many pages of traces), run
/// off the UI thread.
pub type Reload = Arc<dyn Fn(usize) -> Result<TraceSet, String> + Send + Sync>;

/// Reading `inputs` again with `opts`, a backend asked for `pages` times its limit.
pub fn reload_of(inputs: Vec<crate::source::Input>, opts: crate::source::LoadOptions) -> Reload {
    Arc::new(move |pages: usize| {
        let mut opts = crate::source::LoadOptions {
            progress: None,
            ..opts.clone()
        };
        let q = &mut opts.backend_query;
        q.limit = Some(q.limit() * pages.max(1));
        crate::input::load(&inputs, &opts).map_err(|e| e.to_string())
    })
}

impl App {
    /// An app waiting for data.
    pub fn loading(source_label: String) -> App {
        App {
            shared: Shared::new(source_label),
            screens: vec![Screen::List(ListScreen::default())],
            popup: None,
            plain: None,
            live: None,
            jobs: Jobs::default(),
            reload: None,
            pages: 1,
            help_scroll: 0,
            compare_mark: None,
            deciding: None,
            deferred: std::collections::VecDeque::new(),
        }
    }

    /// An app showing `set`.
    pub fn with_set(set: TraceSet, source_label: String) -> App {
        let mut app = App::loading(source_label);
        app.loaded(set);
        app
    }

    /// Starts reading a store in the background: with `staged`, its newest traces
    /// first and then the whole list; otherwise the whole list at once (start options
    /// look for a trace or session in all of it). Spans are read per trace when one
    /// is opened.
    pub fn start_store(&mut self, store: Arc<dyn StoreReads>, staged: bool) {
        self.shared.store_mode = true;
        self.jobs.store = Some(store);
        let newest = staged.then_some(FIRST_PAGE);
        self.jobs
            .start(JobKind::FirstPage, 0, move |s| s.summaries(newest));
    }

    /// The current screen's kind.
    pub fn screen(&self) -> ScreenKind {
        self.screens.last().map_or(ScreenKind::List, Screen::kind)
    }

    /// The trace list (always at the bottom of the stack).
    pub fn list(&self) -> &ListScreen {
        match self.screens.first() {
            Some(Screen::List(l)) => l,
            _ => unreachable!("the trace list is always at the bottom of the stack"),
        }
    }

    /// The open trace view, when it is on top.
    pub fn trace(&self) -> Option<&TraceScreen> {
        match self.screens.last() {
            Some(Screen::Trace(t)) => Some(t),
            _ => None,
        }
    }

    /// The open session view, when it is on top.
    pub fn session(&self) -> Option<&SessionScreen> {
        match self.screens.last() {
            Some(Screen::Session(s)) => Some(s),
            _ => None,
        }
    }

    /// The selected span of the trace view on top.
    pub fn selected_span(&self) -> Option<u32> {
        self.trace().and_then(TraceScreen::selected_span)
    }

    /// The set the trace view on top reads (the shared set otherwise).
    pub fn tset(&self) -> &TraceSet {
        self.trace()
            .and_then(|t| t.local.as_ref())
            .unwrap_or(&self.shared.set)
    }

    /// Data arrived: the whole set (files), or a store's first page.
    pub fn loaded(&mut self, set: TraceSet) {
        self.shared.loading = None;
        let warnings = set.warnings.len();
        self.shared.set = self.shown(set);
        self.start_deciding();
        self.live_seed();
        let sh = &self.shared;
        if let Some(Screen::List(l)) = self.screens.first_mut() {
            l.rebuild(sh);
        }
        let n = self.shared.set.traces.len();
        self.shared.status = if let Some(more) = more_available(&self.shared.set) {
            more
        } else if warnings > 0 {
            format!(
                "{} (see stderr after quitting)",
                plural(warnings, "load warning", "load warnings")
            )
        } else if self.shared.partial {
            format!("showing the newest {n} traces; reading the rest…")
        } else if self.shared.store_mode {
            format!(
                "listed {} from the store (spans are read when a trace is opened)",
                plural(n, "trace", "traces")
            )
        } else {
            format!(
                "loaded {} · {}",
                plural(n, "trace", "traces"),
                plural(self.shared.set.spans.len(), "span", "spans")
            )
        };
    }

    /// Store mode: the whole trace list arrived after the first page. On the list it
    /// replaces the page at once (the selected trace stays selected); with a trace or
    /// session open it waits until the list is shown again.
    pub fn complete(&mut self, set: TraceSet) {
        if self.screens.len() > 1 {
            self.shared.pending_list = Some(set);
        } else {
            self.replace_set(set);
        }
    }

    /// Puts a new trace list in place, keeping the selected trace (or session).
    fn replace_set(&mut self, set: TraceSet) {
        self.shared.partial = false;
        self.shared.pending_list = None;
        self.screens.truncate(1);
        let set = self.shown(set);
        let old = std::mem::replace(&mut self.shared.set, set);
        self.start_deciding();
        let sh = &self.shared;
        if let Some(Screen::List(l)) = self.screens.first_mut() {
            l.rebuild_for_new_set(&old, sh);
        }
        self.shared.status = format!(
            "listed {} from the store (spans are read when a trace is opened)",
            plural(self.shared.set.traces.len(), "trace", "traces")
        );
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        if self.popup == Some(Popup::Help) {
            // Moving keys scroll a help taller than the terminal (the view clamps to
            // the last page); any other key closes it, and q still quits.
            let rows = self.shared.keymap.help_rows().len();
            let s = self.help_scroll.min(rows);
            self.help_scroll = match action {
                Action::Down => s + 1,
                Action::Up => s.saturating_sub(1),
                Action::PageDown => s + 10,
                Action::PageUp => s.saturating_sub(10),
                Action::Top => 0,
                Action::Bottom => rows,
                _ => {
                    self.popup = None;
                    self.shared.quit |= action == Action::Quit;
                    return;
                }
            }
            .min(rows);
            return;
        }
        if self.shared.loading.is_some() && !matches!(action, Action::Quit | Action::Help) {
            return;
        }
        match action {
            Action::Quit => self.shared.quit = true,
            Action::Suspend => self.shared.suspend = true,
            Action::Help => {
                self.popup = Some(Popup::Help);
                self.help_scroll = 0;
            }
            Action::Filter => {
                let text = self.shared.query.filter.source.clone();
                // What is typed next adds a term to the filter in force.
                let input = if text.is_empty() || text.ends_with(' ') {
                    text.clone()
                } else {
                    format!("{text} ")
                };
                self.popup = Some(Popup::Filter {
                    input,
                    previous: text,
                });
            }
            Action::Back => self.back(),
            Action::ToggleFailed => self.toggle_failed(),
            Action::ToggleSlow => self.toggle_slow(),
            Action::SlowerThreshold | Action::FasterThreshold => {
                self.change_threshold(action == Action::SlowerThreshold)
            }
            Action::SessionView => {
                let s = self
                    .screens
                    .last()
                    .map_or(Sym::EMPTY, |sc| sc.selected_session(&self.shared));
                if s.is_empty() {
                    self.shared.status = "no session id on this trace".into();
                } else {
                    self.open_session(s);
                }
            }
            Action::Refresh => self.refresh(),
            Action::More => self.more(),
            Action::Privacy => self.toggle_privacy(),
            Action::Pause => self.toggle_pause(),
            Action::Incident => self.incident(),
            Action::Compare => self.compare(),
            Action::NextTurn | Action::PrevTurn => self.step_turn(action == Action::NextTurn),
            Action::StatsView => {
                if self.screen() == ScreenKind::Stats {
                    self.back();
                } else {
                    let screen = StatsScreen::new(&self.shared);
                    self.shared.status = screen.what();
                    self.screens.push(Screen::Stats(screen));
                }
            }
            Action::SlowestSteps => {
                if self.screen() == ScreenKind::Steps {
                    self.back();
                } else {
                    let screen = StepsScreen::new(&self.shared);
                    self.shared.status = format!(
                        "{} by own time · Enter opens the trace at the step",
                        plural(screen.rows.len(), "slowest step", "slowest steps")
                    );
                    self.screens.push(Screen::Steps(screen));
                }
            }
            other => {
                let nav = match self.screens.last_mut() {
                    Some(sc) => sc.handle(other, &mut self.shared),
                    None => Nav::Stay,
                };
                self.navigate(nav);
            }
        }
    }

    fn navigate(&mut self, nav: Nav) {
        match nav {
            Nav::Stay => {}
            Nav::OpenTrace(t) => self.open_trace(t),
            Nav::ListWith(term) => {
                self.screens.truncate(1);
                match self.shared.query.filter.clone().and(&term) {
                    Ok(f) => {
                        self.set_filter(f);
                        if !self.searching() {
                            self.shared.status = format!(
                                "{} with {}",
                                plural(self.list().totals.traces, "trace", "traces"),
                                sanitize(&term)
                            );
                        }
                    }
                    Err(e) => self.shared.status = sanitize(&e.to_string()).into_owned(),
                }
            }
            Nav::OpenSession(s) => self.open_session(s),
            Nav::OpenSpan(t, span) => {
                self.open_trace(t);
                if let Some(Screen::Trace(ts)) = self.screens.last_mut() {
                    ts.select_span(span, &self.shared);
                }
            }
        }
    }

    /// Opens a trace (index in the shared set). In store mode its spans are read in
    /// the background and the view opens when they arrive.
    pub fn open_trace(&mut self, t: u32) {
        let Some(tr) = self.shared.set.traces.get(t as usize) else {
            return;
        };
        if self.shared.store_mode {
            let id = tr.id.to_string();
            self.shared.status = format!("reading trace {}…", id.get(..8).unwrap_or(&id));
            if !self
                .jobs
                .start(JobKind::OpenTrace, t, move |s| s.trace(&id))
            {
                self.shared.status = "cannot read the trace: no store is open".into();
            }
            return;
        }
        let screen = TraceScreen::open(&self.shared, t, None);
        self.screens.push(Screen::Trace(Box::new(screen)));
    }

    /// Opens the session view of `s`.
    pub fn open_session(&mut self, s: Sym) {
        let screen = SessionScreen::new(&self.shared.set, s);
        self.shared.status = format!(
            "session {} ({})",
            sanitize(self.shared.set.str(s)),
            plural(screen.rows.len(), "turn", "turns")
        );
        self.screens.push(Screen::Session(screen));
    }

    /// Opens the session with this id (the `--session` start option).
    pub fn open_session_by_id(&mut self, id: &str) -> bool {
        let set = &self.shared.set;
        match set
            .strings
            .lookup(id)
            .filter(|s| set.sessions.contains_key(s))
        {
            Some(s) => {
                self.open_session(s);
                true
            }
            None => {
                self.shared.status = format!("no session {}", sanitize(id));
                false
            }
        }
    }

    fn back(&mut self) {
        if self.jobs.pending(&JobKind::OpenTrace) {
            // Esc while a trace is being read: forget it (its result will be dropped).
            self.jobs.cancel(&JobKind::OpenTrace);
            self.shared.status = "stopped waiting for the trace".into();
        } else if self.jobs.pending(&JobKind::Refresh) && !self.shared.store_mode {
            // Esc while the sources are read again: keep what is shown.
            self.jobs.cancel(&JobKind::Refresh);
            self.shared.status = "refresh cancelled; showing what was read before".into();
        } else if self.screens.len() > 1 {
            self.screens.pop();
            if self.screens.len() == 1
                && let Some(set) = self.shared.pending_list.take()
            {
                self.replace_set(set);
            }
            // The screen below may show spans under a filter changed meanwhile.
            if let Some(sc) = self.screens.last_mut() {
                sc.refilter(&self.shared);
            }
        } else if !self.shared.query.filter.is_empty() {
            self.set_filter(Filter::default());
            self.shared.status = "filters cleared".into();
        }
    }

    /// Puts a new filter in place and recomputes every screen that depends on it. In
    /// store mode a filter the traces table cannot answer is answered in the
    /// background: a `text:` filter by the store's text index, any other by reading
    /// every span (once the filter line is closed, not while it is typed).
    pub fn set_filter(&mut self, filter: Filter) {
        self.shared.query.filter = filter;
        self.shared.filter_error = None;
        self.shared.text_hits = None;
        self.jobs.cancel(&JobKind::TextSearch);
        let filter = &self.shared.query.filter;
        if self.shared.store_mode && !filter.decidable_on_summaries() {
            if filter.index_needles().is_some() {
                self.start_text_search();
                return;
            }
            if matches!(self.popup, Some(Popup::Filter { .. })) {
                // Still typing: reading every span waits for Enter.
                self.shared.status = "Enter reads every span of the store for this filter".into();
            } else if !self.jobs.pending(&JobKind::AllSpans) {
                self.shared.status = "reading every span of the store for this filter…".into();
                self.jobs.start(JobKind::AllSpans, 0, |s| s.everything());
            }
            return;
        }
        self.refilter();
    }

    /// True while the store is searched for the filter in force.
    pub fn searching(&self) -> bool {
        self.jobs.pending(&JobKind::TextSearch) || self.jobs.pending(&JobKind::AllSpans)
    }

    /// Store mode: asks the store which traces the `text:` filter matches; the list
    /// keeps its rows until the answer arrives.
    fn start_text_search(&mut self) {
        let f = self.shared.query.filter.clone();
        self.shared.status = "searching the store's text index…".into();
        self.jobs
            .start(JobKind::TextSearch, 0, move |s| s.text_matches(&f));
    }

    pub(super) fn refilter(&mut self) {
        let sh = &self.shared;
        if let Some(l) = self.screens.first_mut() {
            l.refilter(sh);
        }
        if self.screens.len() > 1
            && let Some(top) = self.screens.last_mut()
        {
            top.refilter(sh);
        }
    }

    fn toggle_failed(&mut self) {
        let f = self.shared.query.filter.clone();
        let on = !f.is_failed_only();
        self.set_filter(if on {
            f.and_failed()
        } else {
            f.without_failed()
        });
        self.shared.status = format!(
            "failed only {} (status:error)",
            if on { "on" } else { "off" }
        );
    }

    fn toggle_slow(&mut self) {
        let f = self.shared.query.filter.clone();
        let on = f.slow_steps().is_none();
        let ns = self.shared.slow_ns;
        let f = f.without_slow_steps();
        self.set_filter(if on { f.and_slow_steps(ns) } else { f });
        self.shared.status = format!(
            "slow steps only {} (own time ≥ {}; +/- to change, D slowest steps)",
            if on { "on" } else { "off" },
            crate::format::duration(ns)
        );
    }

    fn change_threshold(&mut self, slower: bool) {
        let sh = &mut self.shared;
        sh.slow_ns = if slower {
            sh.slow_ns.saturating_mul(2)
        } else {
            (sh.slow_ns / 2).max(1_000)
        };
        sh.status = format!("slow threshold {}", crate::format::duration(sh.slow_ns));
        if sh.query.filter.slow_steps().is_some() {
            let f = sh.query.filter.clone().without_slow_steps();
            let ns = sh.slow_ns;
            self.set_filter(f.and_slow_steps(ns));
        }
    }

    /// In a trace: opens the next (or previous) turn of its session in its place; a
    /// session view below follows.
    fn step_turn(&mut self, next: bool) {
        let Some(Screen::Trace(ts)) = self.screens.last() else {
            return;
        };
        let set = &self.shared.set;
        let t = ts.summary;
        let session = set
            .traces
            .get(t as usize)
            .map_or(Sym::EMPTY, |tr| tr.session);
        let Some(turns) = set.sessions.get(&session).filter(|_| !session.is_empty()) else {
            self.shared.status = "no session id on this trace".into();
            return;
        };
        let Some(pos) = turns.iter().position(|&x| x == t) else {
            return;
        };
        let target = if next {
            pos + 1
        } else {
            match pos.checked_sub(1) {
                Some(p) => p,
                None => {
                    self.shared.status = "this is the first turn".into();
                    return;
                }
            }
        };
        let Some(&new) = turns.get(target) else {
            self.shared.status = "this is the last turn".into();
            return;
        };
        let n = turns.len();
        self.screens.pop();
        if let Some(Screen::Session(s)) = self.screens.last_mut() {
            s.sel = target;
        }
        self.open_trace(new);
        self.shared.status = format!("turn {}/{n}", target + 1);
    }

    /// Store mode: reads the traces table again, picking up what an import added.
    fn refresh(&mut self) {
        if !self.shared.store_mode {
            if self.live.is_some() {
                self.shared.status = "live: it refreshes itself".into();
                return;
            }
            let Some(reload) = self.reload.clone() else {
                self.shared.status = "nothing to refresh".into();
                return;
            };
            self.shared.status = "refreshing… (Esc cancels)".into();
            let pages = self.pages;
            self.jobs.spawn(JobKind::Refresh, 0, move || reload(pages));
            return;
        }
        self.shared.status = "refreshing…".into();
        self.jobs.start(JobKind::Refresh, 0, |s| s.summaries(None));
    }

    /// The next page of a backend's traces (`M`), when it said more are available.
    fn more(&mut self) {
        if more_available(&self.shared.set).is_none() || self.reload.is_none() {
            self.shared.status = "no more traces to fetch".into();
            return;
        }
        self.pages += 1;
        self.refresh();
        self.shared.status = format!("fetching page {} of traces… (Esc cancels)", self.pages);
    }

    /// Takes a finished background job in (stale results are dropped).
    pub fn job_done(&mut self, done: JobDone) {
        if !self.jobs.accept(&done) {
            return;
        }
        let set = match done.result {
            Ok(set) => set,
            Err(e) => return self.job_failed(&done.kind, &e),
        };
        match done.kind {
            JobKind::FirstPage if set.traces.len() >= FIRST_PAGE => {
                self.shared.partial = true;
                self.loaded(set);
                self.jobs.start(JobKind::FullList, 0, |s| s.summaries(None));
            }
            JobKind::FirstPage => self.loaded(set),
            JobKind::FullList => self.complete(set),
            JobKind::Refresh if !self.shared.store_mode => {
                let before = self.shared.set.traces.len() as i64;
                let key = match self.screens.first() {
                    Some(Screen::List(list)) => list.selection_key(&self.shared.set),
                    _ => None,
                };
                self.screens.truncate(1);
                self.plain = None;
                self.shared.set = self.shown(set);
                self.start_deciding();
                if let Some(Screen::List(list)) = self.screens.first_mut() {
                    list.reselect(key, &self.shared);
                }
                let after = self.shared.set.traces.len() as i64;
                self.shared.status = match more_available(&self.shared.set) {
                    Some(more) => {
                        format!("refreshed: {after} traces ({:+}); {more}", after - before)
                    }
                    None => format!("refreshed: {after} traces ({:+})", after - before),
                };
            }
            JobKind::Refresh => {
                let before = self.shared.set.traces.len() as i64;
                self.replace_set(set);
                let after = self.shared.set.traces.len() as i64;
                self.shared.status = format!("refreshed: {after} traces ({:+})", after - before);
                if self.shared.text_hits.is_some() {
                    // New traces may say it too.
                    self.start_text_search();
                }
            }
            JobKind::OpenTrace => self.trace_arrived(done.tag, set),
            JobKind::TextSearch => {
                self.shared.text_hits = Some(set.traces.iter().map(|t| t.id).collect());
                self.refilter();
                self.shared.status = format!(
                    "the store's text index: {}",
                    plural(set.traces.len(), "trace matches", "traces match")
                );
            }
            JobKind::AllSpans => {
                self.shared.text_hits = None;
                self.shared.store_mode = false;
                self.jobs.store = None;
                self.replace_set(set);
                self.refilter();
                self.shared.status = "read every span of the store for the filter".into();
            }
        }
    }

    fn trace_arrived(&mut self, t: u32, set: TraceSet) {
        if set.traces.is_empty() {
            self.shared.status = "the trace is no longer in the store".into();
            return;
        }
        let (shown, plain) = match &self.shared.privacy {
            Some(r) => (crate::redact::redact_set(&set, r), Some(set)),
            None => (set, None),
        };
        let mut screen = TraceScreen::open(&self.shared, t, Some(shown));
        screen.plain_local = plain;
        self.screens.push(Screen::Trace(Box::new(screen)));
        self.shared.status.clear();
    }

    fn job_failed(&mut self, kind: &JobKind, e: &str) {
        let e = sanitize(e);
        self.shared.status = match kind {
            JobKind::FullList => {
                // The first page stays usable; say why the rest is missing.
                self.shared.partial = false;
                format!("only the newest traces are listed: {e}")
            }
            JobKind::FirstPage => {
                self.shared.loading = None;
                format!("cannot list the store: {e}")
            }
            _ => e.into_owned(),
        };
    }

    /// Waits for the running jobs and applies their results (tests, and callers
    /// without an event loop); gives up after `timeout`.
    pub fn settle(&mut self, timeout: std::time::Duration) {
        let until = std::time::Instant::now() + timeout;
        while self.jobs.running() > 0 && std::time::Instant::now() < until {
            for done in self.jobs.take_finished(until - std::time::Instant::now()) {
                self.job_done(done);
            }
        }
    }

    /// A mouse click at a screen cell: selects the row under it.
    pub fn click(&mut self, x: u16, y: u16) {
        let l = self.shared.layout;
        if y < l.body_top || x < l.body_x.0 || x >= l.body_x.1 {
            return;
        }
        if let Some(sc) = self.screens.last_mut() {
            sc.click((y - l.body_top) as usize);
        }
    }
}

/// A backend's "more traces available" warning, for the status line: never cut
/// silently.
fn more_available(set: &TraceSet) -> Option<String> {
    set.warnings
        .iter()
        .find(|w| w.message.starts_with("more traces available"))
        .map(|w| {
            let shown = w
                .message
                .split(';')
                .next()
                .unwrap_or("more traces available");
            format!("{} — M fetches the next page", sanitize(shown))
        })
}
