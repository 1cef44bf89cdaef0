//! Findings decided after the first frame: the list is shown as soon as the spans and
//! trace summaries are ready, and the findings are worked out a slice at a time
//! between keys (each slice spread over the cores). Keys that read findings (`e`/`E`,
//! `x`, `d`) wait for them in order, with "deciding findings…" on the status line;
//! a filter on `finding:` is run again once they are in.

use super::app::App;
use super::keymap::Action;
use crate::analysis::findings::Deriving;
use crossterm::event::KeyEvent;
use std::time::Duration;

/// About how long one slice of deciding keeps the keys waiting.
pub const SLICE: Duration = Duration::from_millis(12);

impl App {
    /// Starts deciding the findings of the set just shown, when they are not decided
    /// yet (a store's list and a live set decide their own).
    pub(super) fn start_deciding(&mut self) {
        self.deciding = None;
        let set = self.plain.as_ref().unwrap_or(&self.shared.set);
        if self.shared.store_mode
            || self.live.is_some()
            || set.traces.is_empty()
            || set.trace_findings.len() == set.traces.len()
        {
            self.shared.deciding = None;
            return;
        }
        self.deciding = Some(Deriving::start(set));
        self.shared.deciding = Some((0, set.traces.len()));
    }

    /// True while findings are being decided.
    pub fn is_deciding(&self) -> bool {
        self.deciding.is_some()
    }

    /// Decides one slice (all that is left when a key waits for them); when the last
    /// is decided, puts the findings in place and runs again what reads them. True
    /// when the screen changed.
    pub fn decide_some(&mut self) -> bool {
        let Some(job) = &mut self.deciding else {
            return false;
        };
        let budget = self.deferred.is_empty().then_some(SLICE);
        let set = self.plain.as_ref().unwrap_or(&self.shared.set);
        let done = job.step(set, budget);
        let before = self.shared.deciding;
        self.shared.deciding = Some(job.progress());
        if !done {
            // Redraw when the shown percentage moves.
            let pct = |p: Option<(usize, usize)>| p.map(|(a, b)| a * 100 / b.max(1));
            return pct(before) != pct(self.shared.deciding);
        }
        let Some(job) = self.deciding.take() else {
            return true;
        };
        self.shared.deciding = None;
        match (self.plain.as_mut(), &self.shared.privacy) {
            // Privacy mode: decided on the original, shown redacted like the rest.
            (Some(plain), Some(r)) => {
                job.finish(plain);
                self.shared.set = crate::redact::redact_set(plain, r);
            }
            (Some(plain), None) => job.finish(plain),
            (None, _) => job.finish(&mut self.shared.set),
        }
        // The list, a `finding:` filter, the stats' findings: counted again.
        self.refilter();
        true
    }

    /// Whether `key`, pressed now, must wait for the findings: it reads them, or a
    /// key before it is already waiting (keys keep their order).
    pub fn must_wait(&self, action: Option<Action>) -> bool {
        if self.deciding.is_none() {
            return false;
        }
        !self.deferred.is_empty()
            || matches!(
                action,
                Some(
                    Action::NextFailure | Action::PrevFailure | Action::Incident | Action::Compare
                )
            )
    }

    /// Keeps `key` until the findings are decided, saying so.
    pub fn wait_with(&mut self, key: KeyEvent) {
        self.deferred.push_back(key);
        self.shared.status = "deciding findings… (the key runs when they are in)".into();
    }

    /// The keys that waited, once the findings are in.
    pub fn take_waiting(&mut self) -> Vec<KeyEvent> {
        if self.deciding.is_some() {
            return Vec::new();
        }
        self.deferred.drain(..).collect()
    }
}
