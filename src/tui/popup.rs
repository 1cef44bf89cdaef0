//! The filter line: typed text filters live, `Enter` applies (a session id jumps to
//! that session), `Esc` restores what held before.

use super::app::{App, Popup};
use super::screens::{Screen, ScreenKind};
use super::shared::plural;
use crate::query::filter::Filter;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    /// Handles a key while the filter line is open.
    pub fn filter_key(&mut self, key: KeyEvent) {
        let Some(Popup::Filter { input, previous }) = &mut self.popup else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                let prev = std::mem::take(previous);
                self.popup = None;
                self.apply_filter_text(&prev);
                return;
            }
            KeyCode::Enter => {
                let text = input.clone();
                let prev = std::mem::take(previous);
                self.popup = None;
                match Filter::parse(&text) {
                    Ok(_) => {
                        self.apply_filter_text(&text);
                        self.after_filter_enter(&text);
                    }
                    Err(e) => {
                        // Back to the filter that held before editing, and say why.
                        self.apply_filter_text(&prev);
                        self.shared.filter_error = Some(e.to_string());
                    }
                }
                return;
            }
            KeyCode::Backspace => {
                input.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => input.clear(),
            KeyCode::Char(c) => input.push(c),
            _ => return,
        }
        // Live: re-filter as the user types (a parse error keeps the last good one),
        // and say how many match now.
        let text = input.clone();
        self.shared.filter_error = None;
        self.apply_filter_text(&text);
        if self.shared.store_mode && !self.shared.query.filter.decidable_on_summaries() {
            // The store answers in the background; set_filter said what happens.
            return;
        }
        self.shared.status = if self.shared.filter_error.is_some() {
            "…".into()
        } else {
            format!(
                "{} so far (Enter keeps it)",
                plural(self.matches_now(), "match", "matches")
            )
        };
    }

    /// Matches of the filter in force on the screen shown: spans in a trace, traces
    /// elsewhere.
    fn matches_now(&self) -> usize {
        match self.screens.last() {
            Some(Screen::Trace(t)) => t.matches.len(),
            Some(Screen::Steps(s)) => s.rows.len(),
            _ => self.list().totals.traces,
        }
    }

    /// Sets the filter from text; on a parse error keeps the old one and says why.
    pub fn apply_filter_text(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(f) => self.set_filter(f),
            Err(e) => self.shared.filter_error = Some(e.to_string()),
        }
    }

    fn after_filter_enter(&mut self, text: &str) {
        // Searching a session id from the trace list jumps to that session.
        if self.screen() == ScreenKind::List {
            let t = text.trim();
            let id = t.strip_prefix("session:").unwrap_or(t);
            let set = &self.shared.set;
            if let Some(sym) = set.strings.lookup(id)
                && set.sessions.contains_key(&sym)
            {
                self.set_filter(Filter::default());
                self.open_session(sym);
                return;
            }
        }
        let sh = &self.shared;
        if let Some(Screen::Trace(t)) = self.screens.last_mut()
            && let Some(&m) = t.matches.first()
        {
            t.select_span(m, sh);
        }
        if self.searching() {
            return;
        }
        let n = self.matches_now();
        self.shared.status = if self.shared.query.filter.is_empty() {
            "filter cleared".into()
        } else {
            plural(n, "match", "matches")
        };
    }
}
