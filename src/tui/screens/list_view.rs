//! Drawing the trace list: columns chosen by priority for the width (the name and the
//! service always; then duration, errors, session, time, cost, tokens, date, spans,
//! steps, trace id as room allows), the sorted column marked in the header.

use super::list::{ListRow, ListScreen};
use crate::analysis::list::SortKey;
use crate::format::{cost_compact as cost, duration, timestamp, tokens, truncate_middle};
use crate::model::{Sym, TraceSet};
use crate::sanitize::sanitize;
use crate::tui::shared::{Shared, plural};
use crate::tui::theme::{Theme, glyph};
use crate::tui::widgets::{highlighted, pad, pad_left};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A column of the trace list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Time,
    Name,
    Service,
    Session,
    Duration,
    Spans,
    Steps,
    Errors,
    Findings,
    Tokens,
    Cost,
    Trace,
}

impl Col {
    /// The optional columns, most wanted first, with their width: these before the
    /// name and service grow…
    const BY_PRIORITY: [(Col, usize); 8] = [
        (Col::Duration, 7),
        (Col::Errors, 4),
        (Col::Findings, 3),
        (Col::Session, 14),
        (Col::Time, 8),
        (Col::Cost, 9),
        (Col::Tokens, 11),
        (Col::Spans, 5),
    ];

    /// …and these only after.
    const EXTRAS: [(Col, usize); 2] = [(Col::Steps, 7), (Col::Trace, 8)];

    /// The order on screen.
    const ORDER: [Col; 12] = [
        Col::Time,
        Col::Trace,
        Col::Name,
        Col::Service,
        Col::Session,
        Col::Duration,
        Col::Spans,
        Col::Steps,
        Col::Errors,
        Col::Findings,
        Col::Tokens,
        Col::Cost,
    ];

    fn title(self) -> &'static str {
        match self {
            Col::Time => "START",
            Col::Name => "NAME",
            Col::Service => "SERVICE",
            Col::Session => "SESSION",
            Col::Duration => "DUR",
            Col::Spans => "SPANS",
            Col::Steps => "LLM/TL",
            Col::Errors => "ERR",
            Col::Findings => "◆",
            Col::Tokens => "TOKENS",
            Col::Cost => "COST",
            Col::Trace => "TRACE",
        }
    }

    fn right_aligned(self) -> bool {
        !matches!(
            self,
            Col::Time | Col::Name | Col::Service | Col::Session | Col::Trace
        )
    }

    /// The column a sort key orders by.
    fn of_sort(k: SortKey) -> Col {
        match k {
            SortKey::Start => Col::Time,
            SortKey::Duration => Col::Duration,
            SortKey::Errors => Col::Errors,
            SortKey::Tokens => Col::Tokens,
            SortKey::Cost => Col::Cost,
            SortKey::Spans => Col::Spans,
            SortKey::Name => Col::Name,
        }
    }
}

/// The columns shown at one width, with their widths.
pub struct Columns {
    cols: Vec<(Col, usize)>,
    /// The time column holds the date too.
    dated: bool,
}

impl Columns {
    const NAME_MIN: usize = 18;
    const SERVICE_MIN: usize = 10;

    /// Picks columns for `w` cells; `sorted` is always kept when it fits at all.
    fn for_width(w: usize, sorted: Col) -> Columns {
        // The glyph, and one space between columns.
        let mut left = w.saturating_sub(2 + Self::NAME_MIN + 1 + Self::SERVICE_MIN + 1);
        let mut picked: Vec<(Col, usize)> = vec![
            (Col::Name, Self::NAME_MIN),
            (Col::Service, Self::SERVICE_MIN),
        ];
        let wanted = Col::BY_PRIORITY
            .iter()
            .filter(|(c, _)| *c == sorted)
            .chain(Col::BY_PRIORITY.iter().filter(|(c, _)| *c != sorted));
        for &(c, cw) in wanted {
            if cw < left {
                picked.push((c, cw));
                left -= cw + 1;
            }
        }
        // What is left widens the name, the service and the session…
        grow(
            &mut picked,
            &mut left,
            [(Col::Name, 24), (Col::Service, 16), (Col::Session, 22)],
        );
        // …then buys the step counts, the trace id and the date.
        for &(c, cw) in &Col::EXTRAS {
            if cw < left {
                picked.push((c, cw));
                left -= cw + 1;
            }
        }
        let has = |picked: &[(Col, usize)], c: Col| picked.iter().any(|(x, _)| *x == c);
        let dated = has(&picked, Col::Time) && left >= 6 + 20;
        if dated {
            left -= 6;
            for p in &mut picked {
                if p.0 == Col::Time {
                    p.1 = 14;
                }
            }
        }
        // Then a second round with larger caps; past those, blank space is better
        // than a name column wider than any name.
        grow(
            &mut picked,
            &mut left,
            [(Col::Name, 64), (Col::Session, 40), (Col::Service, 32)],
        );
        let cols = Col::ORDER
            .iter()
            .filter_map(|c| picked.iter().find(|(x, _)| x == c).copied())
            .collect();
        Columns { cols, dated }
    }

    fn header(&self, sorted: Col, descending: bool) -> String {
        let mut head = String::from("  ");
        for &(c, w) in &self.cols {
            let title = if c == sorted {
                format!("{}{}", c.title(), if descending { "↓" } else { "↑" })
            } else {
                c.title().to_owned()
            };
            if head.len() > 2 {
                head.push(' ');
            }
            head.push_str(&if c.right_aligned() {
                pad_left(&title, w)
            } else {
                pad(&title, w)
            });
        }
        head
    }
}

/// Widens each picked column up to its cap, in order, from the `left` cells.
fn grow(picked: &mut [(Col, usize)], left: &mut usize, caps: [(Col, usize); 3]) {
    for (c, max) in caps {
        if let Some(p) = picked.iter_mut().find(|p| p.0 == c) {
            let g = (*left).min(max.saturating_sub(p.1));
            p.1 += g;
            *left -= g;
        }
    }
}

impl ListScreen {
    /// Draws the list into `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
        sh.layout.body_rows = area.height.saturating_sub(1);
        sh.layout.body_top = area.y + 1;
        sh.layout.body_x = (area.x, area.x + area.width);
        let sorted = Col::of_sort(sh.query.sort);
        let cols = Columns::for_width(area.width as usize, sorted);
        let mut lines = vec![Line::styled(
            cols.header(sorted, sh.query.descending),
            theme.title(),
        )];
        let words = sh.query.filter.fuzzy_words();
        let end = (self.offset + sh.page()).min(self.rows.len());
        for (k, row) in self.rows[self.offset.min(end)..end].iter().enumerate() {
            let line = match *row {
                ListRow::Session(s, n) => {
                    session_heading(&sh.set, s, n, self.expanded.contains(&s), theme)
                }
                ListRow::Trace(t) => trace_line(sh, t, &cols, &words, theme),
            };
            lines.push(if self.offset + k == self.sel {
                line.style(theme.selected(true))
            } else {
                line
            });
        }
        if self.rows.is_empty() {
            lines.push(Line::styled(
                if sh.set.traces.is_empty() {
                    "  no traces in the input"
                } else {
                    "  nothing matches (Esc clears the filters)"
                },
                theme.dim(),
            ));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

fn session_heading(set: &TraceSet, s: Sym, n: u32, open: bool, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::raw(if open { "▾ " } else { "▸ " }),
        Span::styled(format!("session {}", sanitize(set.str(s))), theme.title()),
        Span::styled(
            format!("  ({})", plural(n as usize, "trace", "traces")),
            theme.dim(),
        ),
    ])
}

fn trace_line(sh: &Shared, t: u32, c: &Columns, words: &[&str], theme: &Theme) -> Line<'static> {
    let set = &sh.set;
    let tr = &set.traces[t as usize];
    let o = tr.outcome();
    let mut spans = vec![Span::styled(format!("{} ", glyph(o)), theme.outcome(o))];
    for (k, &(col, w)) in c.cols.iter().enumerate() {
        if k > 0 {
            spans.push(Span::raw(" "));
        }
        match col {
            Col::Name => {
                let name = sanitize(set.str(tr.display_name())).into_owned();
                spans.extend(highlighted(&pad(&name, w), words, Style::default(), theme));
            }
            Col::Session => spans.push(Span::styled(
                pad(&truncate_middle(&sanitize(set.str(tr.session)), w), w),
                theme.label(),
            )),
            Col::Service => spans.push(Span::styled(
                pad(&sanitize(set.str(tr.service)), w),
                theme.tool(),
            )),
            Col::Errors => {
                let err = if tr.error_count > 0 {
                    tr.error_count.to_string()
                } else if tr.warning_count > 0 {
                    format!("{}w", tr.warning_count)
                } else {
                    "·".into()
                };
                spans.push(Span::styled(pad_left(&err, w), theme.outcome(o)));
            }
            Col::Findings => {
                let n = crate::analysis::findings::of_trace(set, t).map(<[_]>::len);
                let cell = match n {
                    Some(0) => "·".to_owned(),
                    Some(n) => n.to_string(),
                    // Still being decided (the header says how far).
                    None if sh.deciding.is_some() => "…".to_owned(),
                    None => "-".to_owned(),
                };
                spans.push(Span::styled(pad_left(&cell, w), theme.finding()));
            }
            Col::Trace => {
                let id = tr.id.listed();
                spans.push(Span::styled(
                    pad(id.get(..w).unwrap_or(&id), w),
                    theme.dim(),
                ));
            }
            other => spans.push(Span::raw(cell(set, t, other, w, c.dated))),
        }
    }
    Line::from(spans)
}

/// The plain text cells of a trace row.
fn cell(set: &TraceSet, t: u32, col: Col, w: usize, dated: bool) -> String {
    let tr = &set.traces[t as usize];
    match col {
        Col::Time => {
            let stamp = timestamp(tr.start);
            let start = stamp.get(if dated { 5 } else { 11 }..19).unwrap_or(&stamp);
            pad(start, w)
        }
        Col::Duration => pad_left(&duration(tr.duration_ns()), w),
        Col::Spans => pad_left(&tr.span_count.to_string(), w),
        Col::Steps => pad_left(&format!("{}/{}", tr.llm_calls, tr.tool_calls), w),
        Col::Tokens => pad_left(
            &format!("{}/{}", tokens(tr.tokens.input), tokens(tr.tokens.output)),
            w,
        ),
        Col::Cost => pad_left(
            &cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
            w,
        ),
        _ => String::new(),
    }
}
