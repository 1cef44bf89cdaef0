//! The trace list: one row per trace (or session heading when grouped), ordered and
//! filtered by the shared trace-list query, with totals for the header.

use super::Nav;
use crate::analysis::totals::TraceTotals;
use crate::model::{Outcome, Sym, TraceSet};
use crate::tui::keymap::Action;
use crate::tui::shared::{Shared, clamp_offset, find_in_ring, step};
use rustc_hash::FxHashMap;

/// A row of the trace list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRow {
    /// A trace.
    Trace(u32),
    /// A session heading (in group-by-session mode), with its trace count.
    Session(Sym, u32),
}

/// The trace list screen.
#[derive(Debug, Default)]
pub struct ListScreen {
    /// The rows.
    pub rows: Vec<ListRow>,
    /// Selected row.
    pub sel: usize,
    /// First visible row.
    pub offset: usize,
    /// Expanded session groups.
    pub expanded: Vec<Sym>,
    /// Totals over the listed traces.
    pub totals: TraceTotals,
}

impl ListScreen {
    /// Recomputes the rows from the query (after a filter, sort or grouping change),
    /// keeping the selected row when it stays listed.
    pub fn rebuild(&mut self, sh: &Shared) {
        let selected = self.rows.get(self.sel).copied();
        let set = &sh.set;
        let traces = sh.listed();
        self.totals = TraceTotals::of(set, traces.iter().copied());
        self.rows = if sh.group_sessions {
            grouped(set, &traces, &self.expanded)
        } else {
            traces.into_iter().map(ListRow::Trace).collect()
        };
        self.sel = selected
            .and_then(|r| self.rows.iter().position(|x| *x == r))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
        self.clamp(sh);
    }

    /// Rebuilds for a new set, keeping the selected trace (or session) and the
    /// expanded sessions by id rather than by index.
    pub fn rebuild_for_new_set(&mut self, old: &TraceSet, sh: &Shared) {
        let key = self.selection_key(old);
        self.expanded = self
            .expanded
            .iter()
            .filter_map(|&s| sh.set.strings.lookup(old.str(s)))
            .collect();
        self.reselect(key, sh);
    }

    /// What the selected row is, independent of indices: a trace id or a session name.
    pub fn selection_key(&self, set: &TraceSet) -> Option<Result<crate::model::TraceId, String>> {
        match self.rows.get(self.sel) {
            Some(ListRow::Trace(t)) => set.traces.get(*t as usize).map(|t| Ok(t.id)),
            Some(ListRow::Session(s, _)) => Some(Err(set.str(*s).to_owned())),
            None => None,
        }
    }

    /// Rebuilds the rows from the shared set and selects the row `key` names (the
    /// first row when it is gone).
    pub fn reselect(&mut self, key: Option<Result<crate::model::TraceId, String>>, sh: &Shared) {
        self.rows.clear();
        self.sel = 0;
        self.rebuild(sh);
        let found = self.rows.iter().position(|row| match (row, &key) {
            (ListRow::Trace(t), Some(Ok(id))) => sh.set.traces[*t as usize].id == *id,
            (ListRow::Session(s, _), Some(Err(name))) => sh.set.str(*s) == name,
            _ => false,
        });
        self.sel = found.unwrap_or(0);
        self.clamp(sh);
    }

    /// Keeps the selection on screen.
    pub fn clamp(&mut self, sh: &Shared) {
        clamp_offset(&mut self.offset, self.sel, sh.page(), self.rows.len());
    }

    /// The trace of the selected row, if it is a trace.
    pub fn selected_trace(&self) -> Option<u32> {
        match self.rows.get(self.sel) {
            Some(ListRow::Trace(t)) => Some(*t),
            _ => None,
        }
    }

    /// The session of the selected row (a heading, or a trace's session).
    pub fn selected_session(&self, set: &TraceSet) -> Sym {
        match self.rows.get(self.sel) {
            Some(ListRow::Trace(t)) => set.traces[*t as usize].session,
            Some(ListRow::Session(s, _)) => *s,
            None => Sym::EMPTY,
        }
    }

    /// Applies an action; returns where to go.
    pub fn handle(&mut self, action: Action, sh: &mut Shared) -> Nav {
        if let Some(by) = super::movement(action, sh.page()) {
            self.move_by(by, sh);
            return Nav::Stay;
        }
        match action {
            Action::NextMatch => self.move_by(1, sh),
            Action::PrevMatch => self.move_by(-1, sh),
            Action::Enter | Action::Right => return self.enter(sh),
            Action::NextFailure | Action::PrevFailure => {
                self.jump_failure(action == Action::NextFailure, sh)
            }
            Action::Copy => self.copy(sh),
            Action::Sort | Action::ReverseSort => self.sort(action == Action::Sort, sh),
            Action::GroupSessions => {
                sh.group_sessions = !sh.group_sessions;
                sh.status = format!(
                    "group by session {}",
                    if sh.group_sessions { "on" } else { "off" }
                );
                self.rebuild(sh);
            }
            _ => {}
        }
        Nav::Stay
    }

    fn move_by(&mut self, d: isize, sh: &Shared) {
        step(&mut self.sel, self.rows.len(), d);
        self.clamp(sh);
    }

    fn enter(&mut self, sh: &Shared) -> Nav {
        match self.rows.get(self.sel).copied() {
            Some(ListRow::Trace(t)) => Nav::OpenTrace(t),
            Some(ListRow::Session(s, _)) => {
                if let Some(k) = self.expanded.iter().position(|x| *x == s) {
                    self.expanded.remove(k);
                } else {
                    self.expanded.push(s);
                }
                self.rebuild(sh);
                Nav::Stay
            }
            None => Nav::Stay,
        }
    }

    fn jump_failure(&mut self, forward: bool, sh: &mut Shared) {
        let set = &sh.set;
        let found = find_in_ring(
            self.sel,
            self.rows.len(),
            forward,
            |i| matches!(self.rows[i], ListRow::Trace(t) if set.traces[t as usize].outcome() == Outcome::Error),
        );
        match found {
            Some(i) => {
                self.sel = i;
                self.clamp(sh);
            }
            None => sh.status = "no failed trace".into(),
        }
    }

    fn copy(&self, sh: &mut Shared) {
        let (what, text) = match self.rows.get(self.sel) {
            Some(ListRow::Trace(t)) => ("trace id", sh.set.traces[*t as usize].id.to_string()),
            Some(ListRow::Session(s, _)) => ("session id", sh.set.str(*s).to_owned()),
            None => return,
        };
        super::put_on_clipboard(sh, what, text);
    }

    fn sort(&mut self, next: bool, sh: &mut Shared) {
        let q = &mut sh.query;
        if next {
            q.sort = q.sort.next();
            q.descending = q.sort.descending_by_default();
        } else {
            q.descending = !q.descending;
        }
        sh.status = format!(
            "sorted by {} {}",
            q.sort.title(),
            if q.descending { "↓" } else { "↑" }
        );
        self.rebuild(sh);
        // The top of the new order is what the user asked to see.
        self.sel = 0;
        self.offset = 0;
    }
}

/// Session headings (in the order their first trace is listed), each followed by its
/// traces in time order when expanded; traces without a session stay single rows.
fn grouped(set: &TraceSet, traces: &[u32], expanded: &[Sym]) -> Vec<ListRow> {
    let mut rows = Vec::new();
    let mut members: FxHashMap<Sym, Vec<u32>> = FxHashMap::default();
    let mut order: Vec<Result<Sym, u32>> = Vec::new();
    for &t in traces {
        let s = set.traces[t as usize].session;
        if s.is_empty() {
            order.push(Err(t));
        } else {
            let e = members.entry(s).or_default();
            if e.is_empty() {
                order.push(Ok(s));
            }
            e.push(t);
        }
    }
    for o in order {
        match o {
            Ok(s) => {
                let mut m = members.remove(&s).unwrap_or_default();
                rows.push(ListRow::Session(s, m.len() as u32));
                if expanded.contains(&s) {
                    m.sort_by_key(|&t| set.traces[t as usize].start);
                    rows.extend(m.into_iter().map(ListRow::Trace));
                }
            }
            Err(t) => rows.push(ListRow::Trace(t)),
        }
    }
    rows
}
