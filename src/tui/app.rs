//! The explorer's state and every change to it. No terminal here: keys arrive as
//! [`Action`]s, and tests drive the state directly.

use super::keymap::Action;
use crate::model::{NONE, Outcome, Sym, TraceSet};
use crate::query::filter::Filter;
use rustc_hash::FxHashMap;

/// A screen on the navigation stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// All traces.
    List,
    /// One trace: tree and detail pane.
    Trace(u32),
    /// The traces of one session.
    Session(Sym),
}

/// Which pane of the trace view has the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The span tree.
    Tree,
    /// The detail pane.
    Detail,
}

/// Detail pane tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Kind, timing, tokens, cost, status, ids.
    Summary,
    /// The conversation.
    Messages,
    /// Tool arguments and result.
    Tool,
    /// Every attribute.
    Attributes,
    /// Events.
    Events,
    /// Links.
    Links,
    /// The span as JSON.
    Raw,
}

impl Tab {
    /// All tabs in order.
    pub const ALL: [Tab; 7] = [
        Tab::Summary,
        Tab::Messages,
        Tab::Tool,
        Tab::Attributes,
        Tab::Events,
        Tab::Links,
        Tab::Raw,
    ];

    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Summary => "Summary",
            Tab::Messages => "Messages",
            Tab::Tool => "Tool",
            Tab::Attributes => "Attributes",
            Tab::Events => "Events",
            Tab::Links => "Links",
            Tab::Raw => "Raw",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// Input mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Keys are actions.
    Normal,
    /// Typing a filter; `previous` is restored on Esc.
    Filter {
        /// The text typed so far.
        input: String,
        /// The filter before editing.
        previous: String,
    },
    /// The help overlay.
    Help,
}

/// Trace list sort columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortCol {
    /// Start time.
    Start,
    /// Duration.
    Duration,
    /// Errors.
    Errors,
    /// Tokens.
    Tokens,
    /// Cost.
    Cost,
    /// Span count.
    Spans,
    /// Name.
    Name,
}

impl SortCol {
    /// Every column, in the order `o` cycles through them.
    pub const ALL: [SortCol; 7] = [
        SortCol::Start,
        SortCol::Duration,
        SortCol::Errors,
        SortCol::Tokens,
        SortCol::Cost,
        SortCol::Spans,
        SortCol::Name,
    ];

    /// Column title.
    pub fn title(self) -> &'static str {
        match self {
            SortCol::Start => "start",
            SortCol::Duration => "duration",
            SortCol::Errors => "errors",
            SortCol::Tokens => "tokens",
            SortCol::Cost => "cost",
            SortCol::Spans => "spans",
            SortCol::Name => "name",
        }
    }
}

/// A row of the trace list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRow {
    /// A trace.
    Trace(u32),
    /// A session heading (in group-by-session mode), with its trace count.
    Session(Sym, u32),
}

/// A row of the flattened span tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeRow {
    /// Span index.
    pub span: u32,
    /// Depth in the tree.
    pub depth: u32,
    /// The last visible child of its parent (for tree guides).
    pub last: bool,
    /// Shown only as the ancestor of a match (dimmed).
    pub dim: bool,
    /// Has visible children.
    pub has_children: bool,
    /// Collapsed.
    pub collapsed: bool,
}

/// Totals of a subtree (shown on collapsed nodes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SubtreeTotals {
    /// Spans in the subtree, itself included.
    pub spans: u32,
    /// Input tokens of its billable leaves.
    pub input_tokens: u64,
    /// Output tokens of its billable leaves.
    pub output_tokens: u64,
    /// Known cost of its billable leaves.
    pub cost: f64,
    /// Failed steps.
    pub errors: u32,
}

/// The open trace: its flattened rows and what they are built from.
#[derive(Debug, Default)]
pub struct TreeState {
    /// The trace.
    pub trace: u32,
    /// Span indices in pre-order.
    pub order: Vec<u32>,
    /// Pre-order position of each span.
    pub pos: FxHashMap<u32, u32>,
    /// Position after each span's subtree.
    pub subtree_end: Vec<u32>,
    /// Totals of each span's subtree (by position).
    pub totals: Vec<SubtreeTotals>,
    /// Collapsed flag (by position).
    pub collapsed: Vec<bool>,
    /// The visible rows.
    pub rows: Vec<TreeRow>,
    /// Selected row.
    pub sel: usize,
    /// First visible row.
    pub offset: usize,
    /// Matching spans, in pre-order (for n/N).
    pub matches: Vec<u32>,
    /// Failure origins: failed spans with no failed descendant, in pre-order.
    pub origins: Vec<u32>,
    /// Spans on the critical path.
    pub critical: Vec<bool>,
    /// Whether the critical path is highlighted.
    pub show_critical: bool,
}

/// Loading progress, shown while the first screen waits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Bytes read so far.
    pub bytes: u64,
    /// Spans decoded so far.
    pub spans: u64,
    /// What is happening.
    pub phase: String,
}

/// Geometry of the last frame (for paging and mouse clicks).
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    /// Rows of the main list or tree that fit.
    pub body_rows: u16,
    /// Screen row of the first list/tree row.
    pub body_top: u16,
    /// Left and right edge of the list/tree.
    pub body_x: (u16, u16),
}

/// The whole explorer state.
pub struct App {
    /// What is loaded (empty while loading).
    pub set: TraceSet,
    /// Some while loading.
    pub loading: Option<Progress>,
    /// Input names, for the header.
    pub source_label: String,
    /// Navigation stack (never empty).
    pub screens: Vec<Screen>,
    /// Input mode.
    pub mode: Mode,
    /// The active filter.
    pub filter: Filter,
    /// Why the last filter text did not parse.
    pub filter_error: Option<String>,
    /// Failed-only.
    pub failed_only: bool,
    /// Slow-only.
    pub slow_only: bool,
    /// Slow threshold, ns.
    pub slow_ns: u64,
    /// Trace list rows.
    pub list: Vec<ListRow>,
    /// Selected list row.
    pub list_sel: usize,
    /// First visible list row.
    pub list_offset: usize,
    /// Sort column.
    pub sort: SortCol,
    /// Sort descending.
    pub sort_desc: bool,
    /// Group by session.
    pub group_sessions: bool,
    /// Expanded session groups.
    pub expanded: Vec<Sym>,
    /// Traces of the open session view.
    pub session_rows: Vec<u32>,
    /// Selected session row.
    pub session_sel: usize,
    /// First visible session row.
    pub session_offset: usize,
    /// The open trace.
    pub tree: TreeState,
    /// Pane with the keys.
    pub focus: Focus,
    /// Detail tab.
    pub tab: Tab,
    /// Detail scroll.
    pub detail_scroll: u16,
    /// Status bar message.
    pub status: String,
    /// Text to put on the clipboard (taken by the event loop).
    pub clipboard: Option<String>,
    /// Quit requested.
    pub quit: bool,
    /// Geometry of the last frame.
    pub layout: Layout,
    /// Totals over the listed traces: traces, spans, errors, input, output, cost.
    pub totals: ListTotals,
    /// Store mode: `set` holds only trace summaries from this store, and a trace's
    /// spans are read when it is opened.
    pub store: Option<std::path::PathBuf>,
    /// Store mode: the spans of the open trace.
    pub loaded: Option<TraceSet>,
    /// Store mode: the list shows only the newest traces while the rest are read.
    pub partial: bool,
    /// The whole trace list, when it arrived while a trace or session was open; it
    /// replaces the partial one when the list is shown again.
    pub pending: Option<TraceSet>,
}

/// Totals shown in the trace list header.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ListTotals {
    /// Traces listed.
    pub traces: usize,
    /// Spans in them.
    pub spans: u64,
    /// Failed steps in them.
    pub errors: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Known cost.
    pub cost: f64,
}

impl App {
    /// An app waiting for data.
    pub fn loading(source_label: String) -> App {
        App {
            set: TraceSet::default(),
            loading: Some(Progress {
                phase: "reading".into(),
                ..Progress::default()
            }),
            source_label,
            screens: vec![Screen::List],
            mode: Mode::Normal,
            filter: Filter::default(),
            filter_error: None,
            failed_only: false,
            slow_only: false,
            slow_ns: 1_000_000_000,
            list: Vec::new(),
            list_sel: 0,
            list_offset: 0,
            sort: SortCol::Start,
            sort_desc: true,
            group_sessions: false,
            expanded: Vec::new(),
            session_rows: Vec::new(),
            session_sel: 0,
            session_offset: 0,
            tree: TreeState::default(),
            focus: Focus::Tree,
            tab: Tab::Summary,
            detail_scroll: 0,
            status: String::new(),
            clipboard: None,
            quit: false,
            layout: Layout {
                body_rows: 20,
                ..Layout::default()
            },
            totals: ListTotals::default(),
            store: None,
            loaded: None,
            partial: false,
            pending: None,
        }
    }

    /// The set the trace view reads: the open trace's own spans in store mode.
    pub fn tset(&self) -> &TraceSet {
        self.loaded.as_ref().unwrap_or(&self.set)
    }

    /// In store mode, reads the spans of trace `t` (a summary index); returns the
    /// trace's index in [`App::tset`].
    fn ensure_loaded(&mut self, t: u32) -> Option<u32> {
        let Some(path) = self.store.clone() else {
            return Some(t);
        };
        let id = self.set.traces.get(t as usize)?.id;
        if let Some(l) = &self.loaded
            && l.traces.first().is_some_and(|x| x.id == id)
        {
            return Some(0);
        }
        match crate::store::load_trace_by_id(
            &path,
            &id.to_string(),
            &crate::semconv::PriceTable::bundled(),
        ) {
            Ok(set) if !set.traces.is_empty() => {
                self.loaded = Some(set);
                Some(0)
            }
            Ok(_) => {
                self.status = "the trace is no longer in the store".into();
                None
            }
            Err(e) => {
                self.status = crate::sanitize::sanitize(&e.to_string()).into_owned();
                None
            }
        }
    }

    /// Store mode: reads every span, so span-level filters can run.
    fn leave_store_mode(&mut self) {
        if let Some(path) = self.store.take() {
            let opts = crate::source::LoadOptions::default();
            match crate::input::load(&[crate::source::Input::Path(path)], &opts) {
                Ok(set) => {
                    self.set = set;
                    self.loaded = None;
                    self.status = "read every span of the store for the filter".into();
                }
                Err(e) => self.status = crate::sanitize::sanitize(&e.to_string()).into_owned(),
            }
        }
    }

    /// An app showing `set`.
    pub fn with_set(set: TraceSet, source_label: String) -> App {
        let mut app = App::loading(source_label);
        app.loaded(set);
        app
    }

    /// Data arrived.
    pub fn loaded(&mut self, set: TraceSet) {
        self.loading = None;
        let warnings = set.warnings.len();
        self.set = set;
        self.rebuild_list();
        self.status = if warnings > 0 {
            format!("{warnings} load warnings (see stderr after quitting)")
        } else if self.partial {
            format!(
                "showing the newest {} traces; reading the rest…",
                self.set.traces.len()
            )
        } else {
            format!(
                "loaded {} traces, {} spans",
                self.set.traces.len(),
                self.set.spans.len()
            )
        };
    }

    /// Store mode: the whole trace list arrived after the first page. On the list it
    /// replaces the page at once (the selected trace stays selected); with a trace or
    /// session open it waits until the list is shown again.
    pub fn complete(&mut self, set: TraceSet) {
        if self.screens.len() > 1 {
            self.pending = Some(set);
        } else {
            self.replace_set(set);
        }
    }

    /// Puts a new trace list in place, keeping the selected trace (or session) and
    /// the expanded sessions by id rather than by position.
    fn replace_set(&mut self, set: TraceSet) {
        let selected = match self.list.get(self.list_sel) {
            Some(ListRow::Trace(t)) => Some(Ok(self.set.traces[*t as usize].id)),
            Some(ListRow::Session(s, _)) => Some(Err(self.set.str(*s).to_owned())),
            None => None,
        };
        let expanded: Vec<String> = self
            .expanded
            .iter()
            .map(|&s| self.set.str(s).to_owned())
            .collect();
        self.loaded = None;
        self.partial = false;
        self.pending = None;
        self.set = set;
        self.expanded = expanded
            .iter()
            .filter_map(|s| self.set.strings.lookup(s))
            .collect();
        // Rows index the old set: forget them before rebuilding.
        self.list.clear();
        self.list_sel = 0;
        self.rebuild_list();
        let found = self.list.iter().position(|row| match (row, &selected) {
            (ListRow::Trace(t), Some(Ok(id))) => self.set.traces[*t as usize].id == *id,
            (ListRow::Session(s, _), Some(Err(name))) => self.set.str(*s) == name,
            _ => false,
        });
        self.list_sel = found.unwrap_or(0);
        self.clamp_list_offset();
        self.status = format!("{} traces", self.set.traces.len());
    }

    /// The current screen.
    pub fn screen(&self) -> Screen {
        self.screens.last().copied().unwrap_or(Screen::List)
    }

    // ---------------------------------------------------------------- trace list

    fn trace_visible(&self, t: u32, matcher: Option<&crate::query::filter::Matcher>) -> bool {
        let tr = &self.set.traces[t as usize];
        (!self.failed_only || tr.outcome() == Outcome::Error)
            && (!self.slow_only || tr.duration_ns() >= self.slow_ns)
            && matcher.is_none_or(|m| m.trace_matches(t))
    }

    /// Recomputes the trace list rows (after a filter, sort or grouping change).
    pub fn rebuild_list(&mut self) {
        let selected = self.list.get(self.list_sel).copied();
        let matcher = (!self.filter.is_empty()).then(|| self.filter.matcher(&self.set));
        let mut traces: Vec<u32> = (0..self.set.traces.len() as u32)
            .filter(|&t| self.trace_visible(t, matcher.as_ref()))
            .collect();
        drop(matcher);
        let set = &self.set;
        // Sort keys are computed once per trace; ties break on the trace id so the
        // order is total and stable across rebuilds.
        if self.sort == SortCol::Name {
            let mut keyed: Vec<(String, [u8; 16], u32)> = traces
                .iter()
                .map(|&t| {
                    let tr = &set.traces[t as usize];
                    (set.str(tr.display_name()).to_lowercase(), tr.id.0, t)
                })
                .collect();
            keyed.sort_unstable();
            if self.sort_desc {
                keyed.reverse();
            }
            traces = keyed.into_iter().map(|k| k.2).collect();
        } else {
            let mut keyed: Vec<(u64, [u8; 16], u32)> = traces
                .iter()
                .map(|&t| {
                    let tr = &set.traces[t as usize];
                    let k = match self.sort {
                        SortCol::Start => tr.start,
                        SortCol::Duration => tr.duration_ns(),
                        SortCol::Errors => (tr.error_count as u64) << 32 | tr.warning_count as u64,
                        SortCol::Tokens => {
                            tr.tokens.input.unwrap_or(0) + tr.tokens.output.unwrap_or(0)
                        }
                        SortCol::Cost => tr.cost().map_or(0, |c| (c * 1e9) as u64 + 1),
                        SortCol::Spans | SortCol::Name => tr.span_count as u64,
                    };
                    (k, tr.id.0, t)
                })
                .collect();
            keyed.sort_unstable();
            if self.sort_desc {
                keyed.reverse();
            }
            traces = keyed.into_iter().map(|k| k.2).collect();
        }
        let mut totals = ListTotals {
            traces: traces.len(),
            ..ListTotals::default()
        };
        for &t in &traces {
            let tr = &set.traces[t as usize];
            totals.spans += u64::from(tr.span_count);
            totals.errors += u64::from(tr.error_count);
            totals.input_tokens += tr.tokens.input.unwrap_or(0);
            totals.output_tokens += tr.tokens.output.unwrap_or(0);
            totals.cost += tr.cost().unwrap_or(0.0);
        }
        self.totals = totals;
        self.list = if self.group_sessions {
            let mut rows = Vec::new();
            let mut seen: FxHashMap<Sym, Vec<u32>> = FxHashMap::default();
            let mut order: Vec<Option<Sym>> = Vec::new();
            let mut singles = Vec::new();
            for &t in &traces {
                let s = set.traces[t as usize].session;
                if s.is_empty() {
                    order.push(None);
                    singles.push(t);
                } else {
                    let e = seen.entry(s).or_default();
                    if e.is_empty() {
                        order.push(Some(s));
                    }
                    e.push(t);
                }
            }
            let mut singles = singles.into_iter();
            for o in order {
                match o {
                    Some(s) => {
                        let mut members = seen.remove(&s).unwrap_or_default();
                        rows.push(ListRow::Session(s, members.len() as u32));
                        if self.expanded.contains(&s) {
                            members.sort_by_key(|&t| set.traces[t as usize].start);
                            rows.extend(members.into_iter().map(ListRow::Trace));
                        }
                    }
                    None => rows.extend(singles.next().map(ListRow::Trace)),
                }
            }
            rows
        } else {
            traces.into_iter().map(ListRow::Trace).collect()
        };
        self.list_sel = selected
            .and_then(|r| self.list.iter().position(|x| *x == r))
            .unwrap_or(0)
            .min(self.list.len().saturating_sub(1));
        self.clamp_list_offset();
    }

    fn clamp_list_offset(&mut self) {
        let h = self.layout.body_rows.max(1) as usize;
        clamp_offset(&mut self.list_offset, self.list_sel, h, self.list.len());
    }

    // ---------------------------------------------------------------- trace view

    /// Opens a trace.
    pub fn open_trace(&mut self, t: u32) {
        if t as usize >= self.set.traces.len() {
            return;
        }
        let Some(local) = self.ensure_loaded(t) else {
            return;
        };
        self.screens.push(Screen::Trace(t));
        self.build_tree(local);
        self.focus = Focus::Tree;
        self.detail_scroll = 0;
        // Land on the first match of an active filter, else on the first failure
        // origin: that is usually why the trace was opened.
        if let Some(&m) = self.tree.matches.first() {
            self.select_span(m);
        } else if let Some(&o) = self.tree.origins.first() {
            self.select_span(o);
        }
    }

    fn build_tree(&mut self, t: u32) {
        let set = self.loaded.as_ref().unwrap_or(&self.set);
        let tr = &set.traces[t as usize];
        let order: Vec<u32> = set.trace_spans(tr).to_vec();
        let n = order.len();
        let pos: FxHashMap<u32, u32> = order
            .iter()
            .enumerate()
            .map(|(p, &i)| (i, p as u32))
            .collect();
        let parent_pos = |p: usize| -> Option<usize> {
            let par = set.spans[order[p] as usize].parent;
            (par != NONE)
                .then(|| pos.get(&par).map(|&x| x as usize))
                .flatten()
        };
        // Subtree ends: a node's subtree ends where depth returns to its level.
        let mut subtree_end = vec![n as u32; n];
        let mut stack: Vec<usize> = Vec::new();
        for p in 0..n {
            let d = set.spans[order[p] as usize].depth;
            while let Some(&top) = stack.last() {
                if set.spans[order[top] as usize].depth >= d {
                    subtree_end[top] = p as u32;
                    stack.pop();
                } else {
                    break;
                }
            }
            stack.push(p);
        }
        // Totals and failure origins, bottom-up.
        let mut totals = vec![SubtreeTotals::default(); n];
        let mut failed_below = vec![false; n];
        let mut origins = Vec::new();
        for p in (0..n).rev() {
            let i = order[p];
            let step = set.step(i);
            let t = &mut totals[p];
            t.spans += 1;
            if step.billable_leaf {
                t.input_tokens += step.tokens.input.unwrap_or(0);
                t.output_tokens += step.tokens.output.unwrap_or(0);
                t.cost += step.cost().unwrap_or(0.0);
            }
            let failed = step.outcome == Outcome::Error;
            if failed {
                t.errors += 1;
                if !failed_below[p] {
                    origins.push(i);
                }
            }
            let mine = *t;
            if let Some(pp) = parent_pos(p) {
                let pt = &mut totals[pp];
                pt.spans += mine.spans;
                pt.input_tokens += mine.input_tokens;
                pt.output_tokens += mine.output_tokens;
                pt.cost += mine.cost;
                pt.errors += mine.errors;
                failed_below[pp] |= failed || failed_below[p];
            }
        }
        origins.reverse();
        // Critical path: from the main root, follow the child that ends last.
        let mut critical = vec![false; n];
        let mut cur = tr.root;
        while cur != NONE {
            if let Some(&p) = pos.get(&cur) {
                critical[p as usize] = true;
            }
            cur = set
                .children_of(&set.spans[cur as usize])
                .iter()
                .copied()
                .max_by_key(|&c| set.spans[c as usize].end)
                .unwrap_or(NONE);
        }
        self.tree = TreeState {
            trace: t,
            order,
            pos,
            subtree_end,
            totals,
            collapsed: vec![false; n],
            rows: Vec::new(),
            sel: 0,
            offset: 0,
            matches: Vec::new(),
            origins,
            critical,
            show_critical: self.tree.show_critical,
        };
        self.rebuild_tree_rows();
    }

    /// Recomputes the visible tree rows (after collapse or filter changes), keeping
    /// the selected span when it stays visible.
    pub fn rebuild_tree_rows(&mut self) {
        let selected = self.tree.rows.get(self.tree.sel).map(|r| r.span);
        let set = self.loaded.as_ref().unwrap_or(&self.set);
        let tree = &mut self.tree;
        let n = tree.order.len();
        let active = !self.filter.is_empty() || self.failed_only || self.slow_only;
        let mut keep = vec![!active; n];
        let mut is_match = vec![false; n];
        tree.matches.clear();
        if active {
            let matcher = self.filter.matcher(set);
            for p in 0..n {
                let i = tree.order[p];
                let s = &set.spans[i as usize];
                let ok = (!self.failed_only || set.step(i).outcome == Outcome::Error)
                    && (!self.slow_only || (s.is_finished() && s.duration_ns() >= self.slow_ns))
                    && matcher.span_matches(i);
                is_match[p] = ok;
                keep[p] = ok;
                if ok {
                    tree.matches.push(i);
                }
            }
            // Ancestors of matches stay, dimmed.
            for p in (0..n).rev() {
                if keep[p] {
                    let par = set.spans[tree.order[p] as usize].parent;
                    if par != NONE
                        && let Some(&pp) = tree.pos.get(&par)
                    {
                        keep[pp as usize] = true;
                    }
                }
            }
        }
        let mut rows = Vec::new();
        let mut p = 0;
        while p < n {
            if !keep[p] {
                p += 1;
                continue;
            }
            let end = tree.subtree_end[p] as usize;
            let has_children = (p + 1..end).any(|q| keep[q]);
            rows.push(TreeRow {
                span: tree.order[p],
                depth: set.spans[tree.order[p] as usize].depth,
                last: false,
                dim: active && !is_match[p],
                has_children,
                collapsed: tree.collapsed[p] && has_children,
            });
            p = if tree.collapsed[p] { end } else { p + 1 };
        }
        // A row is the last child when no later row at its depth comes before a
        // shallower one.
        let mut later: Vec<bool> = Vec::new();
        for r in rows.iter_mut().rev() {
            let d = r.depth as usize;
            if later.len() <= d {
                later.resize(d + 1, false);
            }
            r.last = !later[d];
            later[d] = true;
            later.truncate(d + 1);
        }
        tree.rows = rows;
        tree.sel = selected
            .and_then(|s| tree.rows.iter().position(|r| r.span == s))
            .unwrap_or(0);
        self.clamp_tree_offset();
    }

    fn clamp_tree_offset(&mut self) {
        let h = self.layout.body_rows.max(1) as usize;
        clamp_offset(
            &mut self.tree.offset,
            self.tree.sel,
            h,
            self.tree.rows.len(),
        );
    }

    /// The selected span in the trace view.
    pub fn selected_span(&self) -> Option<u32> {
        self.tree.rows.get(self.tree.sel).map(|r| r.span)
    }

    /// Selects a span, expanding its collapsed ancestors.
    pub fn select_span(&mut self, span: u32) {
        let mut cur = self
            .tset()
            .spans
            .get(span as usize)
            .map_or(NONE, |s| s.parent);
        let mut changed = false;
        while cur != NONE {
            if let Some(&p) = self.tree.pos.get(&cur)
                && self.tree.collapsed[p as usize]
            {
                self.tree.collapsed[p as usize] = false;
                changed = true;
            }
            cur = self.tset().spans[cur as usize].parent;
        }
        if changed {
            self.rebuild_tree_rows();
        }
        if let Some(r) = self.tree.rows.iter().position(|r| r.span == span) {
            self.tree.sel = r;
            self.detail_scroll = 0;
            self.clamp_tree_offset();
        }
    }

    fn set_collapsed(&mut self, span: u32, collapsed: bool) {
        if let Some(&p) = self.tree.pos.get(&span) {
            self.tree.collapsed[p as usize] = collapsed;
            self.rebuild_tree_rows();
        }
    }

    // ---------------------------------------------------------------- actions

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        if self.mode == Mode::Help {
            // Any key closes help; q still quits.
            self.mode = Mode::Normal;
            if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        if self.loading.is_some() && !matches!(action, Action::Quit | Action::Help) {
            return;
        }
        let page = self.layout.body_rows.max(2) as isize - 1;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.mode = Mode::Help,
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(page),
            Action::PageUp => self.move_by(-page),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Enter => self.enter(),
            Action::Back => self.back(),
            Action::Left => self.left(),
            Action::Right => self.right(),
            Action::CollapseAll | Action::ExpandAll => {
                if let Screen::Trace(_) = self.screen() {
                    let collapse = action == Action::CollapseAll;
                    let sel = self.selected_span();
                    for (p, c) in self.tree.collapsed.iter_mut().enumerate() {
                        // Keep the roots open so the first level stays visible.
                        *c = collapse
                            && self.loaded.as_ref().unwrap_or(&self.set).spans
                                [self.tree.order[p] as usize]
                                .depth
                                > 0;
                    }
                    self.rebuild_tree_rows();
                    if let Some(s) = sel {
                        let mut cur = s;
                        while !self.tree.rows.iter().any(|r| r.span == cur)
                            && self.tset().spans[cur as usize].parent != NONE
                        {
                            cur = self.tset().spans[cur as usize].parent;
                        }
                        self.select_span(cur);
                    }
                }
            }
            Action::SwitchPane => {
                if let Screen::Trace(_) = self.screen() {
                    self.focus = if self.focus == Focus::Tree {
                        Focus::Detail
                    } else {
                        Focus::Tree
                    };
                }
            }
            Action::NextTab | Action::PrevTab | Action::Tab(_) => {
                let i = self.tab.index();
                let n = Tab::ALL.len();
                self.tab = match action {
                    Action::NextTab => Tab::ALL[(i + 1) % n],
                    Action::PrevTab => Tab::ALL[(i + n - 1) % n],
                    Action::Tab(k) => Tab::ALL[(k as usize).clamp(1, n) - 1],
                    _ => self.tab,
                };
                self.detail_scroll = 0;
            }
            Action::Filter => {
                self.mode = Mode::Filter {
                    input: self.filter.source.clone(),
                    previous: self.filter.source.clone(),
                };
            }
            Action::NextMatch | Action::PrevMatch => self.jump_match(action == Action::NextMatch),
            Action::NextFailure | Action::PrevFailure => {
                self.jump_failure(action == Action::NextFailure)
            }
            Action::ToggleFailed => {
                self.failed_only = !self.failed_only;
                self.status = format!(
                    "failed only {}",
                    if self.failed_only { "on" } else { "off" }
                );
                self.refilter();
            }
            Action::ToggleSlow => {
                self.slow_only = !self.slow_only;
                self.status = format!(
                    "slow only {} (≥ {}; +/- to change)",
                    if self.slow_only { "on" } else { "off" },
                    crate::render::format::duration(self.slow_ns)
                );
                self.refilter();
            }
            Action::SlowerThreshold | Action::FasterThreshold => {
                self.slow_ns = if action == Action::SlowerThreshold {
                    self.slow_ns.saturating_mul(2)
                } else {
                    (self.slow_ns / 2).max(1_000)
                };
                self.status = format!(
                    "slow threshold {}",
                    crate::render::format::duration(self.slow_ns)
                );
                if self.slow_only {
                    self.refilter();
                }
            }
            Action::CriticalPath => {
                self.tree.show_critical = !self.tree.show_critical;
                self.status = format!(
                    "critical path {}",
                    if self.tree.show_critical {
                        "highlighted"
                    } else {
                        "off"
                    }
                );
            }
            Action::Copy => self.copy(),
            Action::Sort | Action::ReverseSort => {
                if action == Action::Sort {
                    let i = SortCol::ALL
                        .iter()
                        .position(|c| *c == self.sort)
                        .unwrap_or(0);
                    self.sort = SortCol::ALL[(i + 1) % SortCol::ALL.len()];
                    self.sort_desc = self.sort != SortCol::Name;
                } else {
                    self.sort_desc = !self.sort_desc;
                }
                self.status = format!(
                    "sorted by {} {}",
                    self.sort.title(),
                    if self.sort_desc { "↓" } else { "↑" }
                );
                self.rebuild_list();
            }
            Action::GroupSessions => {
                self.group_sessions = !self.group_sessions;
                self.status = format!(
                    "group by session {}",
                    if self.group_sessions { "on" } else { "off" }
                );
                self.rebuild_list();
            }
            Action::SessionView => {
                let session = match self.screen() {
                    Screen::List => match self.list.get(self.list_sel) {
                        Some(ListRow::Trace(t)) => self.set.traces[*t as usize].session,
                        Some(ListRow::Session(s, _)) => *s,
                        None => Sym::EMPTY,
                    },
                    Screen::Trace(t) => self.set.traces[t as usize].session,
                    Screen::Session(_) => Sym::EMPTY,
                };
                if session.is_empty() {
                    self.status = "no session id on this trace".into();
                } else {
                    self.open_session(session);
                }
            }
            Action::Refresh => self.refresh(),
        }
    }

    /// Handles a typed character / editing key in filter mode. Returns true when the
    /// filter line closed.
    pub fn filter_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::KeyCode;
        let Mode::Filter { input, previous } = &mut self.mode else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                let prev = std::mem::take(previous);
                self.mode = Mode::Normal;
                self.apply_filter_text(&prev);
                return;
            }
            KeyCode::Enter => {
                let text = input.clone();
                let prev = std::mem::take(previous);
                self.mode = Mode::Normal;
                match Filter::parse(&text) {
                    Ok(_) => {
                        self.apply_filter_text(&text);
                        self.after_filter_enter(&text);
                    }
                    Err(e) => {
                        // Back to the filter that held before editing, and say why.
                        self.apply_filter_text(&prev);
                        self.filter_error = Some(e.to_string());
                    }
                }
                return;
            }
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Char('u')
                if key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL) =>
            {
                input.clear()
            }
            KeyCode::Char(c) => input.push(c),
            _ => return,
        }
        // Live: re-filter as the user types (a parse error keeps the last good one).
        let text = input.clone();
        self.apply_filter_text(&text);
    }

    /// Sets the filter from text; on a parse error keeps the old one and says why.
    pub fn apply_filter_text(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(f) => {
                if !f.is_empty() && self.store.is_some() {
                    self.leave_store_mode();
                }
                self.filter = f;
                self.filter_error = None;
                self.refilter();
            }
            Err(e) => self.filter_error = Some(e.to_string()),
        }
    }

    fn after_filter_enter(&mut self, text: &str) {
        // Searching a session id from the trace list jumps to that session.
        if self.screen() == Screen::List {
            let t = text.trim();
            let id = t.strip_prefix("session:").unwrap_or(t);
            if let Some(sym) = self.set.strings.lookup(id)
                && self.set.sessions.contains_key(&sym)
            {
                self.filter = Filter::default();
                self.refilter();
                self.open_session(sym);
                return;
            }
        }
        if let Screen::Trace(_) = self.screen()
            && let Some(&m) = self.tree.matches.first()
        {
            self.select_span(m);
        }
        let n = match self.screen() {
            Screen::Trace(_) => self.tree.matches.len(),
            _ => self.totals.traces,
        };
        self.status = if self.filter.is_empty() {
            "filter cleared".into()
        } else {
            format!("{n} matches")
        };
    }

    fn refilter(&mut self) {
        self.rebuild_list();
        if let Screen::Trace(_) = self.screen() {
            self.rebuild_tree_rows();
        }
    }

    fn open_session(&mut self, s: Sym) {
        let rows = self.set.sessions.get(&s).cloned().unwrap_or_default();
        self.session_rows = rows;
        self.session_sel = 0;
        self.session_offset = 0;
        self.screens.push(Screen::Session(s));
        self.status = format!(
            "session {} ({} turns)",
            crate::sanitize::sanitize(self.set.str(s)),
            self.session_rows.len()
        );
    }

    fn move_by(&mut self, d: isize) {
        let h = self.layout.body_rows.max(1) as usize;
        let step = |sel: &mut usize, len: usize| {
            if len > 0 {
                *sel = (*sel as isize).saturating_add(d).clamp(0, len as isize - 1) as usize;
            }
        };
        match self.screen() {
            Screen::List => {
                step(&mut self.list_sel, self.list.len());
                self.clamp_list_offset();
            }
            Screen::Session(_) => {
                step(&mut self.session_sel, self.session_rows.len());
                clamp_offset(
                    &mut self.session_offset,
                    self.session_sel,
                    h,
                    self.session_rows.len(),
                );
            }
            Screen::Trace(_) => {
                if self.focus == Focus::Detail {
                    self.detail_scroll =
                        (self.detail_scroll as isize + d).clamp(0, u16::MAX as isize) as u16;
                } else {
                    step(&mut self.tree.sel, self.tree.rows.len());
                    self.detail_scroll = 0;
                    self.clamp_tree_offset();
                }
            }
        }
    }

    fn enter(&mut self) {
        match self.screen() {
            Screen::List => match self.list.get(self.list_sel).copied() {
                Some(ListRow::Trace(t)) => self.open_trace(t),
                Some(ListRow::Session(s, _)) => {
                    if let Some(k) = self.expanded.iter().position(|x| *x == s) {
                        self.expanded.remove(k);
                    } else {
                        self.expanded.push(s);
                    }
                    self.rebuild_list();
                }
                None => {}
            },
            Screen::Session(_) => {
                if let Some(&t) = self.session_rows.get(self.session_sel) {
                    self.open_trace(t);
                }
            }
            Screen::Trace(_) => {
                if let Some(r) = self.tree.rows.get(self.tree.sel).copied()
                    && r.has_children
                {
                    self.set_collapsed(r.span, !r.collapsed);
                }
            }
        }
    }

    fn back(&mut self) {
        if self.screens.len() > 1 {
            self.screens.pop();
            if self.screens.len() == 1
                && let Some(set) = self.pending.take()
            {
                self.replace_set(set);
                return;
            }
            if let Screen::Trace(t) = self.screen() {
                let keep = self.selected_span();
                if let Some(local) = self.ensure_loaded(t) {
                    self.build_tree(local);
                    if let Some(s) = keep {
                        self.select_span(s);
                    }
                }
            }
        } else if !self.filter.is_empty() || self.failed_only || self.slow_only {
            self.filter = Filter::default();
            self.failed_only = false;
            self.slow_only = false;
            self.status = "filters cleared".into();
            self.rebuild_list();
        }
    }

    fn left(&mut self) {
        if self.screen() == Screen::List || self.focus == Focus::Detail {
            if self.focus == Focus::Detail {
                self.focus = Focus::Tree;
            }
            return;
        }
        let Some(r) = self.tree.rows.get(self.tree.sel).copied() else {
            return;
        };
        if r.has_children && !r.collapsed {
            self.set_collapsed(r.span, true);
        } else {
            let parent = self.tset().spans[r.span as usize].parent;
            if parent != NONE {
                self.select_span(parent);
            }
        }
    }

    fn right(&mut self) {
        if !matches!(self.screen(), Screen::Trace(_)) {
            self.enter();
            return;
        }
        let Some(r) = self.tree.rows.get(self.tree.sel).copied() else {
            return;
        };
        if r.collapsed {
            self.set_collapsed(r.span, false);
        } else if r.has_children {
            self.move_by(1);
        } else {
            self.focus = Focus::Detail;
        }
    }

    fn jump_match(&mut self, forward: bool) {
        match self.screen() {
            Screen::Trace(_) => {
                let list = self.tree.matches.clone();
                self.jump_in(&list, forward, "match");
            }
            _ => self.move_by(if forward { 1 } else { -1 }),
        }
    }

    fn jump_failure(&mut self, forward: bool) {
        match self.screen() {
            Screen::Trace(_) => {
                let list = self.tree.origins.clone();
                self.jump_in(&list, forward, "failure");
            }
            Screen::List => {
                let n = self.list.len();
                for k in 1..=n {
                    let idx = if forward {
                        (self.list_sel + k) % n
                    } else {
                        (self.list_sel + n - k % n) % n
                    };
                    if let ListRow::Trace(t) = self.list[idx]
                        && self.set.traces[t as usize].outcome() == Outcome::Error
                    {
                        self.list_sel = idx;
                        self.clamp_list_offset();
                        return;
                    }
                }
                self.status = "no failed trace".into();
            }
            Screen::Session(_) => {
                let n = self.session_rows.len();
                for k in 1..=n {
                    let idx = if forward {
                        (self.session_sel + k) % n
                    } else {
                        (self.session_sel + n - k % n) % n
                    };
                    if self.set.traces[self.session_rows[idx] as usize].outcome() == Outcome::Error
                    {
                        self.session_sel = idx;
                        return;
                    }
                }
                self.status = "no failed turn".into();
            }
        }
    }

    /// Moves to the next/previous span of `list` (pre-order) after/before the selection.
    fn jump_in(&mut self, list: &[u32], forward: bool, what: &str) {
        if list.is_empty() {
            self.status = format!("no {what} in this trace");
            return;
        }
        let cur = self
            .selected_span()
            .and_then(|s| self.tree.pos.get(&s).copied())
            .unwrap_or(0);
        let pos = |s: u32| self.tree.pos.get(&s).copied().unwrap_or(0);
        let target = if forward {
            list.iter()
                .copied()
                .find(|&s| pos(s) > cur)
                .unwrap_or(list[0])
        } else {
            list.iter()
                .rev()
                .copied()
                .find(|&s| pos(s) < cur)
                .unwrap_or(list[list.len() - 1])
        };
        self.select_span(target);
        let k = list.iter().position(|&s| s == target).map_or(0, |k| k + 1);
        let reason = {
            let set = self.tset();
            let st = set.step(target);
            crate::sanitize::sanitize(set.str(st.reason)).into_owned()
        };
        self.status = if reason.is_empty() || what != "failure" {
            format!("{what} {k}/{}", list.len())
        } else {
            format!("{what} {k}/{}: {reason}", list.len())
        };
    }

    fn copy(&mut self) {
        let (what, text) = match self.screen() {
            Screen::List => match self.list.get(self.list_sel) {
                Some(ListRow::Trace(t)) => {
                    ("trace id", self.set.traces[*t as usize].id.to_string())
                }
                Some(ListRow::Session(s, _)) => ("session id", self.set.str(*s).to_owned()),
                None => return,
            },
            Screen::Session(_) => match self.session_rows.get(self.session_sel) {
                Some(&t) => ("trace id", self.set.traces[t as usize].id.to_string()),
                None => return,
            },
            Screen::Trace(_) => match self.selected_span() {
                Some(i) if self.focus == Focus::Detail => (
                    "detail tab",
                    super::detail::plain_text(self.tset(), i, self.tab),
                ),
                Some(i) => ("span id", self.tset().spans[i as usize].span_id.to_string()),
                None => return,
            },
        };
        self.status = format!(
            "copied {what} ({} chars) to the clipboard",
            text.chars().count()
        );
        self.clipboard = Some(text);
    }

    /// Store mode: reads the traces table again, picking up what an import added.
    fn refresh(&mut self) {
        let Some(path) = self.store.clone() else {
            self.status = "nothing to refresh: files are read once (stores refresh)".into();
            return;
        };
        match crate::store::load_summaries(&path, &Default::default()) {
            Ok(set) => {
                let before = self.set.traces.len();
                let after = set.traces.len();
                self.screens.truncate(1);
                self.replace_set(set);
                self.status = format!(
                    "refreshed: {after} traces ({:+})",
                    after as i64 - before as i64
                );
            }
            Err(e) => self.status = crate::sanitize::sanitize(&e.to_string()).into_owned(),
        }
    }

    /// A mouse click at a screen cell: selects the row under it.
    pub fn click(&mut self, x: u16, y: u16) {
        let l = self.layout;
        if y < l.body_top || x < l.body_x.0 || x >= l.body_x.1 {
            return;
        }
        let row = (y - l.body_top) as usize;
        match self.screen() {
            Screen::List => {
                let target = self.list_offset + row;
                if target < self.list.len() {
                    self.list_sel = target;
                }
            }
            Screen::Session(_) => {
                let target = self.session_offset + row;
                if target < self.session_rows.len() {
                    self.session_sel = target;
                }
            }
            Screen::Trace(_) => {
                let target = self.tree.offset + row;
                if target < self.tree.rows.len() {
                    self.tree.sel = target;
                    self.focus = Focus::Tree;
                    self.detail_scroll = 0;
                }
            }
        }
    }
}

/// Keeps `sel` inside the window `[offset, offset + height)`.
fn clamp_offset(offset: &mut usize, sel: usize, height: usize, len: usize) {
    if sel < *offset {
        *offset = sel;
    } else if sel >= *offset + height {
        *offset = sel + 1 - height;
    }
    *offset = (*offset).min(len.saturating_sub(height));
}
