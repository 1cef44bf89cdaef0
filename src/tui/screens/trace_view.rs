//! Drawing the trace view: a one-line trace header, the span tree with its columns
//! and waterfall, and the detail pane's tab bar and section.

use super::trace::{Focus, TraceScreen, TreeRow};
use crate::analysis::detail::{SectionKind, step_reason};
use crate::format::{cost_compact as cost, duration, tokens, width};
use crate::model::{StepKind, TraceSet};
use crate::render::cells::{BarGlyphs, bar, duration_cell, model_or_tool, row_cells};
use crate::sanitize::sanitize;
use crate::tui::shared::{Shared, plural};
use crate::tui::theme::{Theme, badge, glyph};
use crate::tui::widgets::{highlighted, pad, pad_left};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Draws the trace view into `area`.
pub fn draw(s: &mut TraceScreen, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(2)])
        .split(area);
    frame.render_widget(Paragraph::new(header(s, sh, theme)), rows[0]);
    let side = area.width >= 140;
    let panes = Layout::default()
        .direction(if side {
            Direction::Horizontal
        } else {
            Direction::Vertical
        })
        .constraints(if side {
            [Constraint::Percentage(60), Constraint::Percentage(40)]
        } else {
            [Constraint::Percentage(55), Constraint::Percentage(45)]
        })
        .split(rows[1]);
    tree(s, frame, panes[0], sh, theme);
    detail_pane(s, frame, panes[1], sh, theme);
}

fn header(s: &TraceScreen, sh: &Shared, theme: &Theme) -> Line<'static> {
    let Some(tr) = sh.set.traces.get(s.summary as usize) else {
        return Line::raw("");
    };
    let o = tr.outcome();
    let mut spans = vec![
        Span::styled(format!("{} ", glyph(o)), theme.outcome(o)),
        Span::styled(
            sanitize(sh.set.str(tr.display_name())).into_owned(),
            theme.title(),
        ),
    ];
    let problems: Vec<String> = tr
        .integrity
        .counts()
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, label)| format!("{n} {label}"))
        .collect();
    if !problems.is_empty() {
        spans.push(Span::styled(
            format!("  [{}]", problems.join(", ")),
            theme.warning(),
        ));
    }
    if let Some(n) = s.folded() {
        spans.push(Span::styled(
            format!("  agent view (+{n} infra, a)"),
            theme.dim(),
        ));
    }
    let set = s.tset(sh);
    let t = if s.local.is_some() { 0 } else { s.summary };
    let found = crate::analysis::findings::of_trace(set, t).unwrap_or_default();
    if !found.is_empty() {
        spans.push(Span::styled(
            format!("  ◆ {} (e/E)", plural(found.len(), "finding", "findings")),
            theme.finding(),
        ));
    }
    spans.push(Span::styled(format!("  {}", tr.id), theme.dim()));
    spans.push(Span::raw(format!(
        "  {} · {} · {}/{} llm/tool · {}/{} tok · {}",
        duration(tr.duration_ns()),
        plural(tr.span_count as usize, "span", "spans"),
        tr.llm_calls,
        tr.tool_calls,
        tokens(tr.tokens.input),
        tokens(tr.tokens.output),
        cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0)
    )));
    Line::from(spans)
}

/// Column widths of the tree for a pane width: the fixed numeric cells, a waterfall
/// that grows with the pane, the model/tool column as wide as its longest visible
/// value allows, and the name (with marks and failure reason) taking the rest.
struct TreeColumns {
    name: usize,
    model: usize,
    bar: usize,
}

impl TreeColumns {
    const DUR: usize = 7;
    const TOK: usize = 12;
    const COST: usize = 9;
    /// Glyph, kind badge and the spaces between the numeric cells.
    const FIXED: usize = 2 + 7 + 3 + Self::DUR + Self::TOK + Self::COST;

    /// `name_need` and `model_need`: the widest label (guide, name, marks) and
    /// model/tool value among the visible rows. Names come first; the model column
    /// gets what they leave, at least 10 cells when it is shown.
    fn for_width(w: usize, name_need: usize, model_need: usize) -> TreeColumns {
        // One cell of margin so the waterfall never touches the detail pane.
        let rest = w.saturating_sub(Self::FIXED + 1);
        let bar = if rest >= 60 {
            (rest / 4).clamp(12, 48)
        } else if rest >= 36 {
            10
        } else {
            0
        };
        let after_bar = rest.saturating_sub(if bar > 0 { bar + 1 } else { 0 });
        let spare = after_bar.saturating_sub(name_need + 1);
        let model = if model_need == 0 || after_bar < 36 {
            0
        } else if spare >= 10 {
            model_need.min(28).min(spare)
        } else {
            model_need.min(10).min(after_bar / 3)
        };
        TreeColumns {
            name: after_bar
                .saturating_sub(if model > 0 { model + 1 } else { 0 })
                .max(8),
            model,
            bar,
        }
    }
}

/// For the first visible row: which of its ancestors still have siblings below.
fn open_guides(rows: &[TreeRow], start: usize) -> Vec<bool> {
    let Some(first) = rows.get(start) else {
        return Vec::new();
    };
    let mut need = first.depth;
    let mut k = start;
    let mut stack = Vec::new();
    while need > 0 && k > 0 {
        k -= 1;
        if rows[k].depth == need - 1 {
            stack.push(!rows[k].last);
            need -= 1;
        }
    }
    stack.reverse();
    stack
}

fn tree(s: &TraceScreen, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
    sh.layout.body_rows = area.height;
    sh.layout.body_top = area.y;
    sh.layout.body_x = (area.x, area.x + area.width);
    let set = s.tset(sh);
    let start = s.offset;
    let end = (start + area.height as usize).min(s.rows.len());
    let visible = &s.rows[start.min(end)..end];
    let model_need = visible
        .iter()
        .map(|r| width(&model_or_tool(set, &set.step(r.span))))
        .max()
        .unwrap_or(0);
    let name_need = visible
        .iter()
        .map(|r| {
            let span = &set.spans[r.span as usize];
            let marks: usize = span.marks.labels().iter().map(|l| l.len() + 2).sum();
            // The failure reason is not counted: it takes what the name column has
            // left once the model column got its width.
            2 * r.depth as usize + 4 + width(set.str(span.name)) + marks
        })
        .max()
        .unwrap_or(0);
    let cols = TreeColumns::for_width(area.width as usize, name_need, model_need);
    let words = sh.query.filter.fuzzy_words();
    let mut open = open_guides(&s.rows, start);
    let mut lines = Vec::with_capacity(end.saturating_sub(start));
    for r in start.min(end)..end {
        let row = s.rows[r];
        let d = row.depth as usize;
        open.truncate(d);
        let mut guide = String::new();
        for &o in open.iter().skip(1) {
            guide.push_str(if o { "│ " } else { "  " });
        }
        if d > 0 {
            guide.push_str(if row.last { "└─" } else { "├─" });
        }
        open.push(!row.last);
        let line = tree_line(s, set, row, &guide, &cols, &words, theme);
        lines.push(if r == s.sel {
            line.style(theme.selected(s.focus == Focus::Tree))
        } else {
            line
        });
    }
    if s.rows.is_empty() {
        lines.push(Line::styled(
            "  no span matches (Esc clears the filters)",
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn tree_line(
    s: &TraceScreen,
    set: &TraceSet,
    row: TreeRow,
    guide: &str,
    cols: &TreeColumns,
    words: &[&str],
    theme: &Theme,
) -> Line<'static> {
    let span = &set.spans[row.span as usize];
    let step = set.step(row.span);
    let marker = match (row.has_children, row.collapsed) {
        (true, true) => "▸",
        (true, false) => "▾",
        _ => " ",
    };
    let pos = s.outline.position(row.span).unwrap_or(0);
    let totals = s.outline.totals.get(pos).copied().unwrap_or_default();
    let mut name = sanitize(set.str(span.name)).into_owned();
    if row.collapsed {
        name.push_str(&format!(" (+{})", totals.spans.saturating_sub(1)));
    }
    if let Some((calls, hidden)) = row.loop_fold {
        name.push_str(&format!(" ×{calls} (+{hidden} folded, Enter)"));
    }
    let base = if row.dim {
        theme.dim()
    } else if s.show_critical && s.outline.critical.get(pos).copied().unwrap_or(false) {
        theme.critical()
    } else {
        Style::default()
    };
    let (tok, cst) = row_cells(&step, &totals, row.collapsed);
    let label_w = cols.name.saturating_sub(width(guide) + 2);
    let marks = span.marks.labels();
    let mut marks = if marks.is_empty() {
        String::new()
    } else {
        format!(" [{}]", marks.join(", "))
    };
    let infra = if row.folded > 0 {
        format!(" +{} infra", row.folded)
    } else {
        String::new()
    };
    marks.push_str(&infra);
    // Room goes to the name, the integrity marks, a finding glyph, the failure
    // reason, and then the finding's words.
    let badge_text = crate::analysis::findings::badge(set, row.span);
    let glyph_w = if badge_text.is_empty() { 0 } else { 2 };
    let fixed_w = width(&marks) + glyph_w;
    let name_w = label_w.saturating_sub(fixed_w).max(8.min(label_w));
    let name = crate::format::truncate(&name, name_w);
    let room = label_w.saturating_sub(width(&name) + fixed_w);
    let reason = if step.outcome != crate::model::Outcome::Ok && room >= 12 {
        let why = sanitize(step_reason(set, span, &step)).into_owned();
        crate::format::truncate(&format!("  {why}"), room)
    } else {
        String::new()
    };
    let left = room.saturating_sub(width(&reason));
    let found = if badge_text.is_empty() {
        badge_text
    } else if width(&badge_text) < left {
        format!(" ◆ {badge_text}")
    } else {
        " ◆".to_owned()
    };
    let marks_w = width(&marks) + width(&found);
    let filler = label_w.saturating_sub(width(&name) + marks_w + width(&reason));
    let mut spans = vec![
        Span::styled(
            format!("{} ", glyph(step.outcome)),
            theme.outcome(step.outcome),
        ),
        Span::styled(format!("{:<6} ", badge(step.kind)), theme.kind(step.kind)),
        Span::styled(format!("{guide}{marker} "), theme.dim()),
    ];
    spans.extend(highlighted(&name, words, base, theme));
    if !marks.is_empty() {
        let cut = marks.len() - infra.len();
        let (m, f) = marks.split_at(cut);
        if !m.is_empty() {
            spans.push(Span::styled(m.to_owned(), theme.warning()));
        }
        if !f.is_empty() {
            spans.push(Span::styled(f.to_owned(), theme.dim()));
        }
    }
    if !reason.is_empty() {
        spans.push(Span::styled(reason, theme.outcome(step.outcome)));
    }
    if !found.is_empty() {
        spans.push(Span::styled(found, theme.finding()));
    }
    spans.push(Span::raw(" ".repeat(filler)));
    if cols.model > 0 {
        spans.push(Span::styled(
            format!(" {}", pad(&model_or_tool(set, &step), cols.model)),
            if step.kind == StepKind::Tool {
                theme.tool()
            } else {
                theme.dim()
            },
        ));
    }
    spans.push(Span::raw(format!(
        " {} {} {}",
        pad_left(&duration_cell(span), TreeColumns::DUR),
        pad_left(&tok, TreeColumns::TOK),
        pad_left(&cst, TreeColumns::COST)
    )));
    if cols.bar > 0 {
        let tr = &set.traces[s.outline.trace as usize];
        let glyphs = BarGlyphs {
            fill: '█',
            empty: ' ',
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            bar(tr, span, cols.bar, glyphs),
            theme.bar(step.outcome),
        ));
    }
    Line::from(spans)
}

/// Tab titles that fit `w` cells: full titles, else short ones, else numbers with
/// one letter — never clipped.
fn tab_titles(active: SectionKind, w: usize, theme: &Theme) -> Vec<Span<'static>> {
    let render = |title: &dyn Fn(SectionKind) -> String, sep: &str| -> Vec<(Style, String)> {
        SectionKind::ALL
            .iter()
            .enumerate()
            .map(|(k, t)| {
                if *t == active {
                    (
                        theme.label().add_modifier(Modifier::BOLD),
                        format!("[{}{sep}{}]", k + 1, title(*t)),
                    )
                } else {
                    (theme.dim(), format!(" {}{sep}{} ", k + 1, title(*t)))
                }
            })
            .collect()
    };
    let fits = |v: &[(Style, String)]| v.iter().map(|(_, t)| width(t)).sum::<usize>() + 3 <= w;
    let mut titles = render(&|t| t.title().to_owned(), " ");
    if !fits(&titles) {
        titles = render(&|t| t.short_title().to_owned(), " ");
    }
    if !fits(&titles) {
        titles = render(&|t| t.short_title().chars().take(1).collect(), "");
    }
    let mut out = vec![Span::raw(" ")];
    out.extend(titles.into_iter().map(|(st, t)| Span::styled(t, st)));
    out
}

fn detail_pane(s: &mut TraceScreen, frame: &mut Frame, area: Rect, sh: &Shared, theme: &Theme) {
    let focused = s.focus == Focus::Detail;
    let block = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(if focused { theme.label() } else { theme.dim() })
        .title(Line::from(tab_titles(s.tab, area.width as usize, theme)));
    let scroll = s.detail_scroll;
    let lines = match s.detail_section(sh) {
        Some(sec) => crate::tui::detail::lines(sec, theme),
        None => vec![Line::styled("nothing selected", theme.dim())],
    };
    let para = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(para, area);
}
