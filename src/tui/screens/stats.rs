//! The stats screen: `agtrace stats` in the explorer. One row per tool (model, kind,
//! name, service, session, agent — `o` cycles, and last the findings per kind), with a
//! latency histogram per row; Enter lists the traces of the selected group (it sets
//! the filter that selects them and goes back to the trace list).

use super::Nav;
use crate::analysis::stats::{FindingStats, GroupBy, GroupStats, finding_stats, group_stats};
use crate::format::{cost, duration, tokens};
use crate::sanitize::sanitize;
use crate::tui::keymap::Action;
use crate::tui::shared::{Shared, clamp_offset, step};
use crate::tui::theme::Theme;
use crate::tui::widgets::{pad, pad_left};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The groupings `o` cycles through, then the findings.
const CYCLE: [Option<GroupBy>; 8] = [
    Some(GroupBy::Tool),
    Some(GroupBy::Model),
    Some(GroupBy::Kind),
    Some(GroupBy::Name),
    Some(GroupBy::Service),
    Some(GroupBy::Session),
    Some(GroupBy::Agent),
    None,
];

/// Cells of a latency histogram.
const BUCKETS: usize = 12;

/// The stats screen.
#[derive(Debug, Default)]
pub struct StatsScreen {
    /// The grouping (`None`: the findings per kind).
    pub by: Option<GroupBy>,
    /// Group rows, worst first.
    pub rows: Vec<GroupStats>,
    /// The totals row.
    pub total: GroupStats,
    /// Findings rows (when `by` is `None`).
    pub findings: Vec<FindingStats>,
    /// Selected row.
    pub sel: usize,
    /// First visible row.
    pub offset: usize,
}

impl StatsScreen {
    /// Stats by tool, or by agent when no spans are loaded (a store's trace list).
    pub fn new(sh: &Shared) -> StatsScreen {
        let by = if sh.set.spans.is_empty() {
            GroupBy::Agent
        } else {
            GroupBy::Tool
        };
        let mut s = StatsScreen {
            by: Some(by),
            ..StatsScreen::default()
        };
        s.rebuild(sh);
        s
    }

    /// Counts again (a filter or grouping change).
    pub fn rebuild(&mut self, sh: &Shared) {
        match self.by {
            Some(by) => {
                let (rows, total) = group_stats(&sh.set, by, &sh.query.filter);
                self.rows = rows;
                self.total = total;
                self.findings.clear();
            }
            None => {
                self.rows.clear();
                self.findings = finding_stats(&sh.set, &sh.query.filter);
            }
        }
        self.sel = self.sel.min(self.rows_shown().saturating_sub(1));
    }

    /// Rows shown: groups, or kinds of findings.
    pub fn rows_shown(&self) -> usize {
        if self.by.is_some() {
            self.rows.len()
        } else {
            self.findings.len()
        }
    }

    /// What the screen shows, for the status line.
    pub fn what(&self) -> String {
        match self.by {
            Some(by) => format!(
                "stats by {} ({} groups) · o: group by something else · Enter: its traces",
                by.as_str(),
                self.rows.len()
            ),
            None => format!(
                "findings by kind ({}) · o: group by something else · Enter: their traces",
                self.findings.len()
            ),
        }
    }

    /// Applies an action; returns where to go.
    pub fn handle(&mut self, action: Action, sh: &mut Shared) -> Nav {
        if let Some(by) = super::movement(action, sh.page()) {
            let n = self.rows_shown();
            step(&mut self.sel, n, by);
            clamp_offset(&mut self.offset, self.sel, sh.page(), n);
            return Nav::Stay;
        }
        match action {
            Action::Sort | Action::ReverseSort => {
                let at = CYCLE.iter().position(|c| *c == self.by).unwrap_or(0);
                let n = CYCLE.len();
                let next = if action == Action::Sort {
                    (at + 1) % n
                } else {
                    (at + n - 1) % n
                };
                self.by = CYCLE[next];
                self.sel = 0;
                self.offset = 0;
                self.rebuild(sh);
                sh.status = self.what();
            }
            Action::Enter | Action::Right => {
                if let Some(term) = self.selected_term() {
                    return Nav::ListWith(term);
                }
            }
            _ => {}
        }
        Nav::Stay
    }

    /// The filter term that selects the selected group's steps or traces.
    fn selected_term(&self) -> Option<String> {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', ""));
        match self.by {
            Some(by) => {
                let key = &self.rows.get(self.sel)?.key;
                Some(match by {
                    GroupBy::Tool => format!("tool:{}", quote(key)),
                    GroupBy::Model => format!("model:{}", quote(key)),
                    GroupBy::Kind => format!("kind:{key}"),
                    GroupBy::Name => format!("name:{}", quote(key)),
                    GroupBy::Service => format!("service:{}", quote(key)),
                    GroupBy::Session => format!("session:{}", quote(key)),
                    GroupBy::Agent => format!("agent:{}", quote(key)),
                })
            }
            None => Some(format!(
                "finding:{}",
                self.findings.get(self.sel)?.kind.as_str()
            )),
        }
    }

    /// Draws the table into `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
        sh.layout.body_rows = area.height.saturating_sub(3);
        sh.layout.body_top = area.y + 2;
        sh.layout.body_x = (area.x, area.x + area.width);
        let w = area.width as usize;
        let mut lines = Vec::new();
        let scope = if sh.query.filter.is_empty() {
            String::new()
        } else {
            format!(" matching [{}]", sanitize(&sh.query.filter.source))
        };
        match self.by {
            Some(by) => {
                lines.push(Line::styled(
                    format!(
                        "stats by {}{scope} · latency p50/p95/p99/max (nearest rank), histogram on a log scale",
                        by.as_str()
                    ),
                    theme.title(),
                ));
                // Fixed cells: calls 6, err 5, err% 6, 4 latencies of 7, tokens 13,
                // cost 9, histogram, spaces.
                let fixed = 6 + 5 + 6 + 4 * 7 + 13 + 9 + 10;
                let hist = if w > fixed + 20 + BUCKETS { BUCKETS } else { 0 };
                let key_w = w.saturating_sub(fixed + hist).clamp(8, 40);
                lines.push(Line::styled(
                    format!(
                        "{} {} {} {} {} {} {} {} {} {} {}",
                        pad(by.title(), key_w),
                        pad_left(if by.of_traces() { "TRACES" } else { "CALLS" }, 6),
                        pad_left("ERR", 5),
                        pad_left("ERR%", 6),
                        pad_left("P50", 7),
                        pad_left("P95", 7),
                        pad_left("P99", 7),
                        pad_left("MAX", 7),
                        pad_left("TOKENS", 13),
                        pad_left("COST", 9),
                        if hist > 0 { "LATENCY" } else { "" }
                    ),
                    theme.title(),
                ));
                let end = (self.offset + sh.layout.body_rows as usize).min(self.rows.len());
                let (lo, hi) = range(&self.rows);
                for k in self.offset.min(end)..end {
                    let line = group_line(&self.rows[k], key_w, hist, (lo, hi), theme);
                    lines.push(if k == self.sel {
                        line.style(theme.selected(true))
                    } else {
                        line
                    });
                }
                if self.rows.is_empty() {
                    lines.push(Line::styled(
                        if sh.set.spans.is_empty() {
                            "  no spans loaded (a store reads spans when a trace is opened): o to group traces by session or agent"
                        } else {
                            "  nothing of this kind matches"
                        },
                        theme.dim(),
                    ));
                } else {
                    lines.push(
                        group_line(&self.total, key_w, 0, (lo, hi), theme).style(theme.title()),
                    );
                }
            }
            None => {
                lines.push(Line::styled(
                    format!("findings by kind{scope}"),
                    theme.title(),
                ));
                lines.push(Line::styled(
                    format!(
                        "{} {} {} {}  EXAMPLE",
                        pad("FINDING", 24),
                        pad("SEVERITY", 8),
                        pad_left("COUNT", 6),
                        pad_left("TRACES", 6)
                    ),
                    theme.title(),
                ));
                let end = (self.offset + sh.layout.body_rows as usize).min(self.findings.len());
                for k in self.offset.min(end)..end {
                    let r = &self.findings[k];
                    let line = Line::from(vec![
                        Span::styled(format!("{} ", pad(r.kind.as_str(), 24)), theme.finding()),
                        Span::raw(format!(
                            "{} {} {}  ",
                            pad(r.severity.as_str(), 8),
                            pad_left(&r.count.to_string(), 6),
                            pad_left(&r.traces.to_string(), 6)
                        )),
                        Span::styled(sanitize(&r.example_message).into_owned(), theme.dim()),
                    ]);
                    lines.push(if k == self.sel {
                        line.style(theme.selected(true))
                    } else {
                        line
                    });
                }
                if self.findings.is_empty() {
                    lines.push(Line::styled("  no findings", theme.dim()));
                }
            }
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

/// The smallest and largest latency over the rows, for a shared histogram scale.
fn range(rows: &[GroupStats]) -> (u64, u64) {
    let lo = rows
        .iter()
        .filter_map(|r| r.latencies.first())
        .min()
        .copied()
        .unwrap_or(0);
    let hi = rows
        .iter()
        .filter_map(|r| r.latencies.last())
        .max()
        .copied()
        .unwrap_or(0);
    (lo, hi)
}

fn lat(ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".to_owned(), duration)
}

fn group_line(
    g: &GroupStats,
    key_w: usize,
    hist: usize,
    scale: (u64, u64),
    theme: &Theme,
) -> Line<'static> {
    let toks = if g.with_tokens == 0 {
        "-".to_owned()
    } else {
        format!(
            "{}/{}",
            tokens(Some(g.input_tokens)),
            tokens(Some(g.output_tokens))
        )
    };
    let style = if g.errors > 0 {
        theme.outcome(crate::model::Outcome::Error)
    } else {
        ratatui::style::Style::default()
    };
    let mut spans = vec![Span::styled(
        format!(
            "{} {} {} {} {} {} {} {} {} {}",
            pad(&sanitize(&g.key), key_w),
            pad_left(&g.calls.to_string(), 6),
            pad_left(&g.errors.to_string(), 5),
            pad_left(&format!("{:.1}%", 100.0 * g.error_rate()), 6),
            pad_left(&lat(g.p50), 7),
            pad_left(&lat(g.p95), 7),
            pad_left(&lat(g.p99), 7),
            pad_left(&lat(g.max), 7),
            pad_left(&toks, 13),
            pad_left(&cost(g.cost(), g.cost_is_partial(), g.billable > 0), 9),
        ),
        style,
    )];
    if hist > 0 {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            histogram(&g.latencies, hist, scale),
            theme.bar(crate::model::Outcome::Ok),
        ));
    }
    Line::from(spans)
}

/// A histogram of `lat` in `cells` buckets on a log scale from `lo` to `hi`, each cell
/// a block whose height is its share of the largest bucket.
pub fn histogram(lat: &[u64], cells: usize, (lo, hi): (u64, u64)) -> String {
    const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if lat.is_empty() || cells == 0 {
        return " ".repeat(cells);
    }
    let (l, h) = ((lo.max(1) as f64).ln(), (hi.max(1) as f64).ln());
    let span = (h - l).max(1e-9);
    let mut counts = vec![0usize; cells];
    for &x in lat {
        let pos = ((x.max(1) as f64).ln() - l) / span;
        let b = ((pos * cells as f64) as usize).min(cells - 1);
        counts[b] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                BARS[0]
            } else {
                BARS[(1 + c * 7 / top).min(8)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::histogram;

    #[test]
    fn histogram_buckets_on_a_log_scale() {
        let h = histogram(&[10, 10, 10, 1000], 3, (10, 1000));
        assert_eq!(h.chars().count(), 3);
        assert_eq!(h.chars().next(), Some('█'), "{h}");
        assert_eq!(h.chars().nth(1), Some(' '), "{h}");
        assert_ne!(h.chars().nth(2), Some(' '), "{h}");
        assert_eq!(histogram(&[], 4, (0, 0)), "    ");
    }
}
