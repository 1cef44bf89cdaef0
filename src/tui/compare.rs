//! Comparing two runs from the explorer (`d`): the first `d` marks the selected run
//! (in the trace list, or the open trace), a `d` on another run shows `agtrace diff`'s
//! comparison in a popup that scrolls and copies. The mark is kept by trace id, so it
//! names the same run while a live set grows.

use super::app::{App, Popup};
use super::screens::Screen;
use crossterm::event::{KeyCode, KeyEvent};

/// A comparison on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison {
    /// What `agtrace diff` prints for the two runs (plain, sanitized).
    pub lines: Vec<String>,
    /// The first line shown.
    pub scroll: usize,
    /// The title: which runs.
    pub title: String,
}

impl App {
    /// The run `d` acts on: the open trace, or the one selected in the list.
    fn compare_target(&self) -> Option<u32> {
        match self.screens.last() {
            Some(Screen::Trace(t)) if t.local.is_none() => Some(t.summary),
            Some(Screen::List(l)) => l.selected_trace(),
            _ => None,
        }
    }

    /// `d`: mark the selected run, or compare it with the marked one.
    pub fn compare(&mut self) {
        if self.shared.store_mode {
            self.shared.status =
                "d: a store's list holds no spans to compare; agtrace diff STORE A B compares two of its runs"
                    .into();
            return;
        }
        let Some(t) = self.compare_target() else {
            self.shared.status =
                "d: select a run in the list (or open one) to mark it for comparing".into();
            return;
        };
        let set = &self.shared.set;
        let Some(id) = set.traces.get(t as usize).map(|tr| tr.id) else {
            return;
        };
        let short = |id: crate::model::TraceId| id.to_string().get(..8).unwrap_or("").to_owned();
        match self.compare_mark.take() {
            None => {
                self.compare_mark = Some(id);
                self.shared.status = format!(
                    "marked run {} to compare: d on another run shows where they went different ways (d here again unmarks)",
                    short(id)
                );
            }
            Some(a) if a == id => {
                self.shared.status = format!("run {} no longer marked", short(id));
            }
            Some(a) => {
                let Some(&ta) = set.trace_index.get(&a) else {
                    self.shared.status = format!(
                        "the marked run {} is no longer loaded (evicted?); d marks this one",
                        short(a)
                    );
                    return;
                };
                let d = crate::analysis::diff::diff(set, ta, t);
                let mut out = Vec::new();
                let style = crate::render::Style::plain();
                let _ = crate::render::diff::write_text(&mut out, set, &d, &style);
                let lines = String::from_utf8_lossy(&out)
                    .lines()
                    .map(str::to_owned)
                    .collect();
                let verdict = match d.first_divergence {
                    Some(k) => format!("first divergence at step {}", k + 1),
                    None => "the same steps".to_owned(),
                };
                self.popup = Some(Popup::Compare(Box::new(Comparison {
                    lines,
                    scroll: 0,
                    title: format!(" A {} vs B {} — {verdict} ", short(a), short(id)),
                })));
                self.shared.status = "comparison: j/k PgDn/PgUp scroll · y copy · Esc close".into();
            }
        }
    }

    /// A key while a comparison is open.
    pub fn compare_key(&mut self, key: KeyEvent) {
        let Some(Popup::Compare(c)) = &mut self.popup else {
            return;
        };
        let last = c.lines.len().saturating_sub(1);
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => c.scroll = (c.scroll + 1).min(last),
            KeyCode::Char('k') | KeyCode::Up => c.scroll = c.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => c.scroll = (c.scroll + 20).min(last),
            KeyCode::PageUp => c.scroll = c.scroll.saturating_sub(20),
            KeyCode::Char('g') | KeyCode::Home => c.scroll = 0,
            KeyCode::Char('G') | KeyCode::End => c.scroll = last,
            KeyCode::Char('y') | KeyCode::Char('c') => {
                let text = c.lines.join("\n");
                self.popup = None;
                super::screens::put_on_clipboard(&mut self.shared, "the comparison", text);
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('d') => {
                self.popup = None;
                self.shared.status.clear();
            }
            _ => {}
        }
    }
}
