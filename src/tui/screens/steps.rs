//! The slowest steps across every loaded trace: where the time went, one key away
//! from anywhere. Rows are spans ranked by their own time (see
//! `analysis::steptime`), among the spans the filter in force selects; Enter opens the
//! trace at that step.

use super::Nav;
use crate::analysis::steptime::slowest_steps;
use crate::format::{duration, timestamp};
use crate::model::TraceSet;
use crate::render::cells::model_or_tool;
use crate::sanitize::sanitize;
use crate::tui::keymap::Action;
use crate::tui::shared::{Shared, clamp_offset, step};
use crate::tui::theme::{Theme, badge, glyph};
use crate::tui::widgets::{pad, pad_left};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// How many steps the list keeps.
pub const SLOWEST: usize = 500;

/// The slowest-steps screen.
#[derive(Debug, Default)]
pub struct StepsScreen {
    /// Span indices with their own time (ns), slowest first.
    pub rows: Vec<(u32, u64)>,
    /// Selected row.
    pub sel: usize,
    /// First visible row.
    pub offset: usize,
}

impl StepsScreen {
    /// The slowest steps among the spans the shared filter selects.
    pub fn new(sh: &Shared) -> StepsScreen {
        let mut s = StepsScreen::default();
        s.rebuild(sh);
        s
    }

    /// Ranks again (after a filter change).
    pub fn rebuild(&mut self, sh: &Shared) {
        let set = &sh.set;
        let filter = &sh.query.filter;
        let m = filter.matcher(set);
        self.rows = slowest_steps(set, SLOWEST, |i| filter.is_empty() || m.span_matches(i));
        self.sel = self.sel.min(self.rows.len().saturating_sub(1));
    }

    /// Applies an action; returns where to go.
    pub fn handle(&mut self, action: Action, sh: &mut Shared) -> Nav {
        if let Some(by) = super::movement(action, sh.page()) {
            step(&mut self.sel, self.rows.len(), by);
            clamp_offset(&mut self.offset, self.sel, sh.page(), self.rows.len());
            return Nav::Stay;
        }
        match action {
            Action::Enter | Action::Right => {
                if let Some(&(i, _)) = self.rows.get(self.sel) {
                    return Nav::OpenSpan(sh.set.spans[i as usize].trace, i);
                }
            }
            Action::Copy => {
                if let Some(&(i, _)) = self.rows.get(self.sel) {
                    let id = sh.set.spans[i as usize].span_id.to_string();
                    super::put_on_clipboard(sh, "span id", id);
                }
            }
            _ => {}
        }
        Nav::Stay
    }

    /// Draws the ranking into `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
        sh.layout.body_rows = area.height.saturating_sub(2);
        sh.layout.body_top = area.y + 2;
        sh.layout.body_x = (area.x, area.x + area.width);
        let set = &sh.set;
        let w = area.width as usize;
        // Fixed: glyph 2, own 8, total 8, kind 7, start 12, spaces 5.
        let rest = w.saturating_sub(2 + 8 + 8 + 7 + 12 + 5);
        let model_w = (rest / 4).clamp(0, 20);
        let trace_w = (rest / 3).clamp(0, 32);
        let name_w = rest.saturating_sub(model_w + trace_w + 2).max(8);
        let title = if sh.query.filter.is_empty() {
            format!("slowest steps of {} spans (own time)", set.spans.len())
        } else {
            format!(
                "slowest steps matching [{}] (own time)",
                sanitize(&sh.query.filter.source)
            )
        };
        let mut lines = vec![
            Line::styled(title, theme.title()),
            Line::styled(
                format!(
                    "  {} {} {:<6} {} {} {} {}",
                    pad_left("OWN", 8),
                    pad_left("SPAN", 8),
                    "KIND",
                    pad("NAME", name_w),
                    pad("MODEL/TOOL", model_w),
                    pad("TRACE", trace_w),
                    "START"
                ),
                theme.title(),
            ),
        ];
        let end = (self.offset + sh.layout.body_rows as usize).min(self.rows.len());
        for k in self.offset.min(end)..end {
            let (i, own) = self.rows[k];
            let line = row(set, i, own, (name_w, model_w, trace_w), theme);
            lines.push(if k == self.sel {
                line.style(theme.selected(true))
            } else {
                line
            });
        }
        if self.rows.is_empty() {
            lines.push(Line::styled(
                if set.spans.is_empty() {
                    "  no spans loaded (a store reads spans when a trace is opened)"
                } else {
                    "  no step matches the filter"
                },
                theme.dim(),
            ));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

fn row(set: &TraceSet, i: u32, own: u64, w: (usize, usize, usize), theme: &Theme) -> Line<'static> {
    let (name_w, model_w, trace_w) = w;
    let span = &set.spans[i as usize];
    let st = set.step(i);
    let tr = &set.traces[span.trace as usize];
    let stamp = timestamp(span.start);
    // The time of day: the trace column says which run.
    let start = stamp.get(11..).unwrap_or(&stamp).to_owned();
    Line::from(vec![
        Span::styled(format!("{} ", glyph(st.outcome)), theme.outcome(st.outcome)),
        Span::raw(format!(
            "{} {} ",
            pad_left(&duration(own), 8),
            pad_left(&duration(span.duration_ns()), 8)
        )),
        Span::styled(format!("{:<6} ", badge(st.kind)), theme.kind(st.kind)),
        Span::raw(format!("{} ", pad(&sanitize(set.str(span.name)), name_w))),
        Span::styled(
            format!("{} ", pad(&model_or_tool(set, &st), model_w)),
            theme.tool(),
        ),
        Span::styled(
            format!("{} ", pad(&sanitize(set.str(tr.display_name())), trace_w)),
            theme.dim(),
        ),
        Span::styled(pad(&start, 12), theme.dim()),
    ])
}
