//! The session view: every trace (turn) of one conversation in time order.

use super::Nav;
use crate::model::{Outcome, Sym, TraceSet};
use crate::tui::keymap::Action;
use crate::tui::shared::{Shared, clamp_offset, find_in_ring, step};

/// The session screen.
#[derive(Debug)]
pub struct SessionScreen {
    /// The session id.
    pub session: Sym,
    /// Its traces, in start order.
    pub rows: Vec<u32>,
    /// Selected turn.
    pub sel: usize,
    /// First visible turn.
    pub offset: usize,
    /// Per turn: why it failed or warned (its explaining step's reason), sanitized.
    pub reasons: Vec<String>,
    /// Per turn: the user's input and the final answer, sanitized to one line.
    pub said: Vec<(String, String)>,
    /// Turns start within the same second: show milliseconds.
    pub millis: bool,
}

impl SessionScreen {
    /// The turns of session `s` built again from `set` (its text changed, or it
    /// grew), keeping the selection and scroll.
    pub fn rebuild(&mut self, set: &TraceSet, s: Sym) {
        let (sel, offset) = (self.sel, self.offset);
        *self = SessionScreen::new(set, s);
        self.sel = sel.min(self.rows.len().saturating_sub(1));
        self.offset = offset;
    }

    /// The turns of session `s`.
    pub fn new(set: &TraceSet, s: Sym) -> SessionScreen {
        let rows = set.sessions.get(&s).cloned().unwrap_or_default();
        let reasons = rows.iter().map(|&t| turn_reason(set, t)).collect();
        let said = rows
            .iter()
            .map(|&t| {
                let tt = crate::analysis::turn::turn_text(set, t);
                let one = |s: Option<String>| {
                    s.map(|s| {
                        sanitize(&s.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
                    })
                    .unwrap_or_default()
                };
                (one(tt.input), one(tt.answer))
            })
            .collect();
        let second = |t: &u32| set.traces[*t as usize].start / 1_000_000_000;
        let millis = rows.windows(2).any(|w| second(&w[0]) == second(&w[1]));
        SessionScreen {
            session: s,
            rows,
            sel: 0,
            offset: 0,
            reasons,
            said,
            millis,
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
            Action::Enter | Action::Right => {
                if let Some(&t) = self.rows.get(self.sel) {
                    return Nav::OpenTrace(t);
                }
            }
            Action::NextFailure | Action::PrevFailure => {
                let set = &sh.set;
                let hit = |i: usize| set.traces[self.rows[i] as usize].outcome() == Outcome::Error;
                match find_in_ring(
                    self.sel,
                    self.rows.len(),
                    action == Action::NextFailure,
                    hit,
                ) {
                    Some(i) => {
                        self.sel = i;
                        self.clamp(sh);
                    }
                    None => sh.status = "no failed turn".into(),
                }
            }
            Action::Copy => {
                if let Some(&t) = self.rows.get(self.sel) {
                    let id = sh.set.traces[t as usize].id.to_string();
                    super::put_on_clipboard(sh, "trace id", id);
                }
            }
            _ => {}
        }
        Nav::Stay
    }

    fn move_by(&mut self, d: isize, sh: &Shared) {
        step(&mut self.sel, self.rows.len(), d);
        self.clamp(sh);
    }

    fn clamp(&mut self, sh: &Shared) {
        clamp_offset(&mut self.offset, self.sel, sh.page(), self.rows.len());
    }
}

/// The reason of a turn's first failure origin (or first warning), sanitized.
fn turn_reason(set: &TraceSet, t: u32) -> String {
    let outline = crate::analysis::outline::TraceOutline::build(set, t);
    match outline.explaining_span(set) {
        Some(i) => {
            let st = set.step(i);
            sanitize(crate::analysis::detail::step_reason(
                set,
                &set.spans[i as usize],
                &st,
            ))
            .into_owned()
        }
        None => String::new(),
    }
}

// ------------------------------------------------------------------------- drawing

use crate::analysis::totals::TraceTotals;
use crate::format::{cost_compact as cost, duration, timestamp, tokens, truncate, width};
use crate::sanitize::sanitize;
use crate::tui::theme::{Theme, glyph};
use crate::tui::widgets::{pad, pad_left};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

impl SessionScreen {
    /// Draws the turns into `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
        sh.layout.body_rows = area.height.saturating_sub(2);
        sh.layout.body_top = area.y + 2;
        sh.layout.body_x = (area.x, area.x + area.width);
        let set = &sh.set;
        let start_w = if self.millis { 18 } else { 14 };
        // Fixed: glyph 2, turn 4, start, dur 7, tokens 11, cost 9, spaces 6; the name
        // only on wide screens; what was said takes the rest.
        let fixed = 2 + 4 + start_w + 7 + 11 + 9 + 6;
        let rest = (area.width as usize).saturating_sub(fixed);
        let name_w = if rest >= 100 { 24 } else { 0 };
        let said_w = rest.saturating_sub(if name_w > 0 { name_w + 1 } else { 0 });
        let mut head = format!("  {:>4} {} ", "TURN", pad("START", start_w));
        if name_w > 0 {
            head.push_str(&format!("{} ", pad("NAME", name_w)));
        }
        head.push_str(&format!(
            "{:>7} {:>11} {:>9}  USER → ANSWER (or why it failed)",
            "DUR", "TOKENS", "COST"
        ));
        let mut lines = vec![self.heading(set, theme), Line::styled(head, theme.title())];
        let end = (self.offset + sh.layout.body_rows as usize).min(self.rows.len());
        for k in self.offset.min(end)..end {
            let tr = &set.traces[self.rows[k] as usize];
            let o = tr.outcome();
            let stamp = timestamp(tr.start);
            let start = stamp.get(5..5 + start_w).unwrap_or(&stamp);
            let mut cells = format!("{:>4} {} ", k + 1, pad(start, start_w));
            if name_w > 0 {
                cells.push_str(&format!(
                    "{} ",
                    pad(&sanitize(set.str(tr.display_name())), name_w)
                ));
            }
            cells.push_str(&format!(
                "{} {} {}  ",
                pad_left(&duration(tr.duration_ns()), 7),
                pad_left(
                    &format!("{}/{}", tokens(tr.tokens.input), tokens(tr.tokens.output)),
                    11
                ),
                pad_left(
                    &cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
                    9
                ),
            ));
            let (input, answer) = &self.said[k];
            let input = if input.is_empty() {
                "…"
            } else {
                input.as_str()
            };
            let mut spans = vec![
                Span::styled(format!("{} ", glyph(o)), theme.outcome(o)),
                Span::raw(cells),
            ];
            // The input gets up to half the room; the answer (or the failure) the rest.
            let in_w = (said_w / 2).min(width(input) + 2).max(8.min(said_w));
            let quoted = truncate(&format!("“{input}”"), in_w);
            let after = said_w.saturating_sub(width(&quoted) + 3);
            spans.push(Span::raw(format!("{quoted} → ")));
            if o == crate::model::Outcome::Ok {
                let a = if answer.is_empty() {
                    "(no answer recorded)".to_owned()
                } else {
                    format!("“{answer}”")
                };
                spans.push(Span::styled(truncate(&a, after), theme.dim()));
            } else {
                spans.push(Span::styled(
                    truncate(&format!("{} {}", o.as_str(), self.reasons[k]), after),
                    theme.outcome(o),
                ));
            }
            let line = Line::from(spans);
            lines.push(if k == self.sel {
                line.style(theme.selected(true))
            } else {
                line
            });
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn heading(&self, set: &TraceSet, theme: &Theme) -> Line<'static> {
        let t = TraceTotals::of(set, self.rows.iter().copied());
        Line::from(vec![
            Span::styled(
                format!("session {}", sanitize(set.str(self.session))),
                theme.title(),
            ),
            Span::raw(format!(
                "  {} · {}/{} tokens · {}",
                crate::tui::shared::plural(self.rows.len(), "turn", "turns"),
                tokens(Some(t.input_tokens)),
                tokens(Some(t.output_tokens)),
                t.cost_text()
            )),
        ])
    }
}
