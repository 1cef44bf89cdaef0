//! The trace view: the span tree (collapsible, filtered with ancestors kept) beside
//! the detail pane's tabs. What the tree means — order, totals, failure origins,
//! critical path — comes from the trace's [`TraceOutline`].

use super::Nav;
use crate::analysis::detail::{Section, SectionKind, section_in};
use crate::analysis::outline::TraceOutline;
use crate::model::{NONE, TraceSet};
use crate::tui::keymap::Action;
use crate::tui::shared::{Shared, clamp_offset, step};

/// Which pane has the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The span tree.
    Tree,
    /// The detail pane.
    Detail,
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
    /// Agent view: plumbing spans folded into this row.
    pub folded: u32,
    /// A loop's first call, folded: how many calls, and how many rows it hides.
    pub loop_fold: Option<(u32, u32)>,
}

/// The trace screen.
pub struct TraceScreen {
    /// The trace's index in the shared set (a summary in store mode).
    pub summary: u32,
    /// Store mode: the trace's own spans.
    pub local: Option<TraceSet>,
    /// Privacy mode, store mode: the unredacted spans while `local` is redacted.
    pub plain_local: Option<TraceSet>,
    /// The outline of the trace (indices into [`TraceScreen::tset`]).
    pub outline: TraceOutline,
    /// Collapsed flag, by outline position.
    pub collapsed: Vec<bool>,
    /// The visible rows.
    pub rows: Vec<TreeRow>,
    /// Selected row.
    pub sel: usize,
    /// First visible row.
    pub offset: usize,
    /// Matching spans, in pre-order (for n/N).
    pub matches: Vec<u32>,
    /// Whether the critical path is highlighted.
    pub show_critical: bool,
    /// Pane with the keys.
    pub focus: Focus,
    /// Detail tab.
    pub tab: SectionKind,
    /// Detail scroll.
    pub detail_scroll: u16,
    detail: Option<(u32, usize, Section)>,
    /// The trace's time by step kind, for every span's summary: over the whole trace,
    /// so worked out once when it opens, not on every move.
    time_split: Vec<(crate::model::StepKind, u64)>,
    /// The page of the attributes tab (spans with more than a page of attributes).
    attr_page: usize,
    /// The finding `e`/`E` went to last.
    finding_at: Option<usize>,
    /// Agent view on: plumbing folded into the nearest step (`a`).
    pub agent_view: bool,
    /// The agent view's fold of this trace: kept positions, folded counts.
    agent_fold: (Vec<bool>, Vec<u32>),
    /// How many spans the agent view folds away (counted once; the header shows it
    /// every frame).
    agent_hidden: u32,
    /// Loops of the trace: the first call, the calls, and the sibling positions the
    /// fold hides (every repeat and the steps between them).
    loops: Vec<(u32, u32, Vec<usize>)>,
    /// Loops (by first call) the user unfolded.
    loops_open: Vec<u32>,
}

impl TraceScreen {
    /// Opens trace `summary` of the shared set; `local` holds its spans in store mode
    /// (its trace 0). Lands on the first filter match, else the first failure origin.
    pub fn open(sh: &Shared, summary: u32, local: Option<TraceSet>) -> TraceScreen {
        let t = if local.is_some() { 0 } else { summary };
        let set = local.as_ref().unwrap_or(&sh.set);
        let outline = TraceOutline::build(set, t);
        let n = outline.order.len();
        let agent_fold = crate::analysis::agentview::fold(set, &outline);
        let agent_hidden = agent_fold.0.iter().filter(|k| !**k).count() as u32;
        let hides = agent_hidden > 0;
        let agent_view = hides && crate::analysis::agentview::applies(set, t);
        let loops = loop_folds(set, t, &outline);
        let time_split = crate::analysis::steptime::time_by_kind(set, t);
        let mut screen = TraceScreen {
            summary,
            local,
            plain_local: None,
            outline,
            collapsed: vec![false; n],
            rows: Vec::new(),
            sel: 0,
            offset: 0,
            matches: Vec::new(),
            show_critical: false,
            focus: Focus::Tree,
            tab: SectionKind::Summary,
            detail_scroll: 0,
            attr_page: 0,
            detail: None,
            finding_at: None,
            agent_view,
            agent_fold,
            agent_hidden,
            loops,
            loops_open: Vec::new(),
            time_split,
        };
        screen.rebuild_rows(sh);
        let first = screen
            .matches
            .first()
            .copied()
            .or_else(|| screen.outline.origins.first().map(|o| o.span));
        if let Some(s) = first {
            screen.select_span(s, sh);
        }
        screen
    }

    /// The set the tree reads.
    pub fn tset<'a>(&'a self, sh: &'a Shared) -> &'a TraceSet {
        self.local.as_ref().unwrap_or(&sh.set)
    }

    /// The selected span.
    pub fn selected_span(&self) -> Option<u32> {
        self.rows.get(self.sel).map(|r| r.span)
    }

    /// The selected span's detail section for the current tab (built once per span
    /// and tab, not per frame).
    pub fn detail_section(&mut self, sh: &Shared) -> Option<&Section> {
        let i = self.selected_span()?;
        if self.detail.as_ref().is_some_and(|(s, _, _)| *s != i) {
            self.attr_page = 0;
        }
        let fresh = self.detail.as_ref().is_some_and(|(s, page, sec)| {
            *s == i && sec.kind == self.tab && *page == self.attr_page
        });
        if !fresh {
            let set = self.local.as_ref().unwrap_or(&sh.set);
            let sec = if self.tab == SectionKind::Attributes {
                crate::analysis::detail::attributes_page(set, i, self.attr_page)
            } else {
                section_in(set, i, self.tab, Some(&self.time_split))
            };
            self.detail = Some((i, self.attr_page, sec));
        }
        self.detail.as_ref().map(|(_, _, s)| s)
    }

    /// The trace grew (live input): its outline is built again from the shared set,
    /// keeping the selected span, the folds, the tab and the view settings. Arena
    /// indices of a growing set do not move, so the spans are still the same ones.
    pub fn regrow(&mut self, sh: &Shared) {
        let folded: Vec<u32> = self
            .collapsed
            .iter()
            .enumerate()
            .filter(|(_, c)| **c)
            .filter_map(|(p, _)| self.outline.order.get(p).copied())
            .collect();
        let selected = self.selected_span();
        let mut fresh = TraceScreen::open(sh, self.summary, None);
        fresh.tab = self.tab;
        fresh.focus = self.focus;
        fresh.detail_scroll = self.detail_scroll;
        fresh.attr_page = self.attr_page;
        fresh.show_critical = self.show_critical;
        fresh.agent_view = self.agent_view && fresh.agent_hidden > 0;
        fresh.loops_open = std::mem::take(&mut self.loops_open);
        for span in folded {
            if let Some(p) = fresh.outline.position(span) {
                fresh.collapsed[p] = true;
            }
        }
        fresh.rebuild_rows(sh);
        if let Some(span) = selected {
            fresh.select_span(span, sh);
        }
        fresh.offset = self.offset;
        fresh.detail_scroll = self.detail_scroll;
        fresh.clamp(sh);
        *self = fresh;
    }

    /// Forgets the built detail section (the set's text changed: privacy mode).
    pub fn forget_detail(&mut self) {
        self.detail = None;
    }

    /// The page the attributes tab shows (0 for spans with one page).
    pub fn attr_page(&self) -> usize {
        self.attr_page
    }

    /// Scrolls the detail pane; on the attributes tab of a span with more than a
    /// page of attributes, scrolling past the end or the top turns the page.
    fn scroll_detail(&mut self, d: isize, sh: &Shared) {
        let to = self.detail_scroll as isize + d;
        if self.tab == SectionKind::Attributes
            && let Some(i) = self.selected_span()
        {
            let pages =
                crate::analysis::detail::attribute_pages(self.local.as_ref().unwrap_or(&sh.set), i);
            let shown = self.detail_section(sh).map_or(0, |s| s.lines.len()) as isize;
            if to >= shown && self.attr_page + 1 < pages {
                self.attr_page = if d >= isize::MAX / 4 {
                    pages - 1
                } else {
                    self.attr_page + 1
                };
                self.detail_scroll = 0;
                return;
            }
            if to < 0 && self.attr_page > 0 {
                if d <= isize::MIN / 4 {
                    self.attr_page = 0;
                    self.detail_scroll = 0;
                    return;
                }
                self.attr_page -= 1;
                let shown = self.detail_section(sh).map_or(0, |s| s.lines.len());
                self.detail_scroll = shown.saturating_sub(sh.page()).min(u16::MAX as usize) as u16;
                return;
            }
        }
        self.detail_scroll = to.clamp(0, u16::MAX as isize) as u16;
    }

    /// Recomputes the visible rows (after collapse or filter changes), keeping the
    /// selected span when it stays visible.
    pub fn rebuild_rows(&mut self, sh: &Shared) {
        let selected = self.selected_span();
        let set = self.local.as_ref().unwrap_or(&sh.set);
        let o = &self.outline;
        let n = o.order.len();
        let filter = &sh.query.filter;
        let active = !filter.is_empty();
        let mut keep = vec![!active; n];
        let mut is_match = vec![false; n];
        self.matches.clear();
        if active {
            let m = filter.matcher(set);
            for p in 0..n {
                if m.span_matches(o.order[p]) {
                    is_match[p] = true;
                    keep[p] = true;
                    self.matches.push(o.order[p]);
                }
            }
            // Ancestors of matches stay, dimmed.
            for p in (0..n).rev() {
                let par = set.spans[o.order[p] as usize].parent;
                if keep[p]
                    && par != NONE
                    && let Some(pp) = o.position(par)
                {
                    keep[pp] = true;
                }
            }
        }
        // The agent view folds plumbing when no filter decides what shows.
        let agent = self.agent_view && !active;
        if agent {
            keep.clone_from(&self.agent_fold.0);
        }
        // A loop folds into its first call (unless unfolded or filtered).
        let mut folds: Vec<(u32, u32, u32)> = Vec::new();
        if !active {
            for (first, calls, hidden) in &self.loops {
                if self.loops_open.contains(first) {
                    continue;
                }
                let mut n = 0;
                for &p in hidden {
                    let end = o.subtree_end[p] as usize;
                    n += keep[p..end].iter().filter(|k| **k).count() as u32;
                    keep[p..end].iter_mut().for_each(|k| *k = false);
                }
                folds.push((*first, *calls, n));
            }
        }
        self.rows = visible_rows(o, &keep, &is_match, &self.collapsed, active);
        for r in &mut self.rows {
            if let Some(&(_, calls, n)) = folds.iter().find(|f| f.0 == r.span) {
                r.loop_fold = Some((calls, n));
            }
        }
        if agent {
            for r in &mut self.rows {
                if let Some(p) = o.position(r.span) {
                    r.folded = self.agent_fold.1[p];
                }
            }
        }
        self.sel = selected
            .and_then(|s| self.rows.iter().position(|r| r.span == s))
            .unwrap_or(0);
        self.clamp(sh);
    }

    fn clamp(&mut self, sh: &Shared) {
        clamp_offset(&mut self.offset, self.sel, sh.page(), self.rows.len());
    }

    /// Selects a span, expanding its collapsed ancestors.
    pub fn select_span(&mut self, span: u32, sh: &Shared) {
        let set = self.local.as_ref().unwrap_or(&sh.set);
        let mut cur = set.spans.get(span as usize).map_or(NONE, |s| s.parent);
        let mut changed = false;
        while cur != NONE {
            if let Some(p) = self.outline.position(cur)
                && self.collapsed[p]
            {
                self.collapsed[p] = false;
                changed = true;
            }
            cur = set.spans[cur as usize].parent;
        }
        if changed {
            self.rebuild_rows(sh);
        }
        if !self.rows.iter().any(|r| r.span == span) {
            // Inside a folded loop: unfold it.
            let inside = self.loops.iter().find(|(first, _, hidden)| {
                !self.loops_open.contains(first)
                    && hidden.iter().any(|&p| {
                        let q = self.outline.position(span).unwrap_or(usize::MAX);
                        q >= p && q < self.outline.subtree_end[p] as usize
                    })
            });
            if let Some(&(first, _, _)) = inside {
                self.loops_open.push(first);
                self.rebuild_rows(sh);
            }
        }
        if self.agent_view && !self.rows.iter().any(|r| r.span == span) {
            // A folded plumbing span was asked for: show everything.
            self.agent_view = false;
            self.rebuild_rows(sh);
        }
        if let Some(r) = self.rows.iter().position(|r| r.span == span) {
            self.sel = r;
            self.detail_scroll = 0;
            self.clamp(sh);
        }
    }

    /// Unfolds (or folds again) the loop whose first call is `span`.
    fn toggle_loop(&mut self, span: u32, sh: &mut Shared) {
        if let Some(k) = self.loops_open.iter().position(|&s| s == span) {
            self.loops_open.remove(k);
            sh.status = "loop folded into its first call (Enter unfolds)".into();
        } else {
            self.loops_open.push(span);
            sh.status = "loop unfolded: every repeat and the steps between (Enter folds)".into();
        }
        self.rebuild_rows(sh);
    }

    /// The number of spans the agent view folds away, when it is on.
    pub fn folded(&self) -> Option<u32> {
        self.agent_view.then_some(self.agent_hidden)
    }

    fn toggle_agent_view(&mut self, sh: &mut Shared) {
        let hidden = self.agent_hidden as usize;
        if hidden == 0 {
            self.agent_view = false;
            sh.status = "agent view: this trace has no plumbing to fold".into();
            return;
        }
        self.agent_view = !self.agent_view;
        let sel = self.selected_span();
        self.rebuild_rows(sh);
        self.select_visible_ancestor(sel, sh);
        sh.status = if self.agent_view {
            format!(
                "agent view: {} folded into their steps (a shows them)",
                crate::tui::shared::plural(hidden, "plumbing span", "plumbing spans")
            )
        } else {
            "agent view off: every span".into()
        };
    }

    fn set_collapsed(&mut self, span: u32, collapsed: bool, sh: &Shared) {
        if let Some(p) = self.outline.position(span) {
            self.collapsed[p] = collapsed;
            self.rebuild_rows(sh);
        }
    }

    /// Applies an action; returns where to go.
    pub fn handle(&mut self, action: Action, sh: &mut Shared) -> Nav {
        if let Some(by) = super::movement(action, sh.page()) {
            self.move_by(by, sh);
            return Nav::Stay;
        }
        match action {
            Action::Enter => {
                if let Some(r) = self.rows.get(self.sel).copied() {
                    if r.loop_fold.is_some() || self.loops_open.contains(&r.span) {
                        self.toggle_loop(r.span, sh);
                    } else if r.has_children {
                        self.set_collapsed(r.span, !r.collapsed, sh);
                    }
                }
            }
            Action::Left => self.left(sh),
            Action::Right => self.right(sh),
            Action::CollapseAll | Action::ExpandAll => {
                self.fold_all(action == Action::CollapseAll, sh)
            }
            Action::SwitchPane => {
                self.focus = match self.focus {
                    Focus::Tree => Focus::Detail,
                    Focus::Detail => Focus::Tree,
                }
            }
            Action::NextTab | Action::PrevTab | Action::Tab(_) => self.switch_tab(action),
            Action::NextMatch | Action::PrevMatch => {
                let list = self.matches.clone();
                self.jump_in(&list, action == Action::NextMatch, "match", sh);
            }
            Action::NextFailure | Action::PrevFailure => {
                self.jump_finding(action == Action::NextFailure, sh)
            }
            Action::CriticalPath => {
                self.show_critical = !self.show_critical;
                sh.status = format!(
                    "critical path {}",
                    if self.show_critical {
                        "highlighted"
                    } else {
                        "off"
                    }
                );
            }
            Action::Copy => self.copy(sh),
            Action::AgentView => self.toggle_agent_view(sh),
            _ => {}
        }
        Nav::Stay
    }

    fn move_by(&mut self, d: isize, sh: &Shared) {
        if self.focus == Focus::Detail {
            self.scroll_detail(d, sh);
        } else {
            step(&mut self.sel, self.rows.len(), d);
            self.detail_scroll = 0;
            self.clamp(sh);
        }
    }

    fn left(&mut self, sh: &Shared) {
        if self.focus == Focus::Detail {
            self.focus = Focus::Tree;
            return;
        }
        let Some(r) = self.rows.get(self.sel).copied() else {
            return;
        };
        if r.has_children && !r.collapsed {
            self.set_collapsed(r.span, true, sh);
        } else {
            let parent = self.tset(sh).spans[r.span as usize].parent;
            if parent != NONE {
                self.select_span(parent, sh);
            }
        }
    }

    fn right(&mut self, sh: &Shared) {
        let Some(r) = self.rows.get(self.sel).copied() else {
            return;
        };
        if r.collapsed {
            self.set_collapsed(r.span, false, sh);
        } else if r.has_children {
            self.move_by(1, sh);
        } else {
            self.focus = Focus::Detail;
        }
    }

    fn fold_all(&mut self, collapse: bool, sh: &Shared) {
        let sel = self.selected_span();
        for (p, c) in self.collapsed.iter_mut().enumerate() {
            // Keep the roots open so the first level stays visible.
            *c = collapse && self.outline.depth[p] > 0;
        }
        self.rebuild_rows(sh);
        self.select_visible_ancestor(sel, sh);
    }

    /// After the rows changed: selects `span`, or its nearest ancestor still shown.
    fn select_visible_ancestor(&mut self, span: Option<u32>, sh: &Shared) {
        let Some(mut cur) = span else { return };
        let set = self.local.as_ref().unwrap_or(&sh.set);
        while !self.rows.iter().any(|r| r.span == cur) && set.spans[cur as usize].parent != NONE {
            cur = set.spans[cur as usize].parent;
        }
        if let Some(r) = self.rows.iter().position(|r| r.span == cur) {
            self.sel = r;
            self.clamp(sh);
        }
    }

    fn switch_tab(&mut self, action: Action) {
        let i = self.tab.index();
        let n = SectionKind::ALL.len();
        self.tab = match action {
            Action::NextTab => SectionKind::ALL[(i + 1) % n],
            Action::PrevTab => SectionKind::ALL[(i + n - 1) % n],
            Action::Tab(k) => SectionKind::ALL[(k as usize).clamp(1, n) - 1],
            _ => self.tab,
        };
        self.detail_scroll = 0;
    }

    /// Moves to the next/previous span of `list` (pre-order) after/before the selection.
    fn jump_in(&mut self, list: &[u32], forward: bool, what: &str, sh: &mut Shared) {
        if list.is_empty() {
            sh.status = format!("no {what} in this trace");
            return;
        }
        let pos = |s: u32| self.outline.position(s).unwrap_or(0);
        let cur = self.selected_span().map_or(0, pos);
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
        self.select_span(target, sh);
        let k = list.iter().position(|&s| s == target).map_or(0, |k| k + 1);
        let reason = {
            let set = self.tset(sh);
            let st = set.step(target);
            crate::sanitize::sanitize(crate::analysis::detail::step_reason(
                set,
                &set.spans[target as usize],
                &st,
            ))
            .into_owned()
        };
        sh.status = if reason.is_empty() || what != "failure" {
            format!("{what} {k}/{}", list.len())
        } else {
            format!("{what} {k}/{}: {reason}", list.len())
        };
    }

    /// Steps through the trace's findings (most severe first: failure origins lead),
    /// selecting the span each points at and saying what it found.
    fn jump_finding(&mut self, forward: bool, sh: &mut Shared) {
        let t = self.outline.trace;
        let found: Vec<(u32, String)> = {
            let set = self.tset(sh);
            crate::analysis::findings::of_trace(set, t)
                .unwrap_or_default()
                .iter()
                .filter_map(|f| {
                    let s = *f.spans.first()?;
                    let msg = crate::sanitize::sanitize(&f.message).into_owned();
                    Some((s, format!("{}: {msg}", f.kind.as_str())))
                })
                .collect()
        };
        if found.is_empty() {
            // No findings (a store's trace list has none): the failure origins.
            let list = self.outline.origin_spans();
            self.jump_in(&list, forward, "failure", sh);
            return;
        }
        let n = found.len();
        let k = match (self.finding_at, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(k), true) => (k + 1) % n,
            (Some(k), false) => (k + n - 1) % n,
        };
        self.finding_at = Some(k);
        let (span, msg) = &found[k];
        self.select_span(*span, sh);
        sh.status = format!("finding {}/{n} · {msg}", k + 1);
    }

    fn copy(&mut self, sh: &mut Shared) {
        let Some(i) = self.selected_span() else {
            return;
        };
        let (what, text) = if self.focus == Focus::Detail {
            let text = self
                .detail_section(sh)
                .map(Section::text)
                .unwrap_or_default();
            ("detail tab", text)
        } else {
            (
                "span id",
                self.tset(sh).spans[i as usize].span_id.to_string(),
            )
        };
        super::put_on_clipboard(sh, what, text);
    }
}

/// The loops of trace `t`: each loop finding's first call, its number of calls, and
/// the positions of the first call's siblings from its next one through the last
/// repeat (the repeats and the steps between them).
fn loop_folds(set: &TraceSet, t: u32, o: &TraceOutline) -> Vec<(u32, u32, Vec<usize>)> {
    let Some(found) = crate::analysis::findings::of_trace(set, t) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in found
        .iter()
        .filter(|f| f.kind == crate::model::FindingKind::Loop)
    {
        let (Some(&first), Some(&last)) = (f.spans.first(), f.spans.last()) else {
            continue;
        };
        let parent = set.spans[first as usize].parent;
        let (from, to) = (
            set.spans[first as usize].start,
            set.spans[last as usize].start,
        );
        let hidden: Vec<usize> = (0..o.order.len())
            .filter(|&p| {
                let s = &set.spans[o.order[p] as usize];
                o.order[p] != first && s.parent == parent && s.start > from && s.start <= to
            })
            .collect();
        if !hidden.is_empty() {
            out.push((first, f.spans.len() as u32, hidden));
        }
    }
    out
}

/// The rows to show: kept positions in pre-order, skipping the insides of collapsed
/// nodes; each marked last-child for the tree guides.
fn visible_rows(
    o: &TraceOutline,
    keep: &[bool],
    is_match: &[bool],
    collapsed: &[bool],
    active: bool,
) -> Vec<TreeRow> {
    let n = o.order.len();
    let mut rows = Vec::new();
    let mut p = 0;
    while p < n {
        if !keep[p] {
            p += 1;
            continue;
        }
        let end = o.subtree_end[p] as usize;
        let has_children = (p + 1..end).any(|q| keep[q]);
        rows.push(TreeRow {
            span: o.order[p],
            depth: o.depth[p],
            last: false,
            dim: active && !is_match[p],
            has_children,
            collapsed: collapsed[p] && has_children,
            folded: 0,
            loop_fold: None,
        });
        p = if collapsed[p] { end } else { p + 1 };
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
    rows
}
