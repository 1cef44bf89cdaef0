//! Drawing. Only the rows inside the window are built each frame.
//!
//! ```text
//! ┌ header: source · traces · spans · errors · tokens · cost ───────────────────┐
//! │ trace list / session turns            │ or │ span tree   │ detail (tabs)    │
//! │ …                                     │    │ …           │ …                │
//! ├ status bar: keys that matter here · message ────────────────────────────────┤
//! └ filter line (when typing) ──────────────────────────────────────────────────┘
//! ```

use super::app::{App, Focus, ListRow, Mode, Screen, Tab};
use super::detail;
use super::keymap::{BINDINGS, Context};
use super::theme::{Theme, badge, glyph};
use crate::model::{CostSource, Outcome, TraceSet};
use crate::query::filter::fuzzy_indices;
use crate::render::format::{cost_compact as cost, duration, timestamp, tokens, truncate, width};
use crate::sanitize::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Draws the whole screen.
pub fn render(app: &mut App, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    let filter_line = matches!(app.mode, Mode::Filter { .. }) || app.filter_error.is_some();
    let chunks = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
            Constraint::Length(u16::from(filter_line)),
        ])
        .split(area);
    header(app, frame, chunks[0], theme);
    if let Some(p) = &app.loading {
        let text = vec![
            Line::raw(""),
            Line::styled(
                format!("Loading {}…", sanitize(&app.source_label)),
                theme.title(),
            ),
            Line::raw(format!(
                "{:.1} MB read · {} spans decoded · {}",
                p.bytes as f64 / 1e6,
                p.spans,
                p.phase
            )),
            Line::styled("q to quit", theme.dim()),
        ];
        frame.render_widget(
            Paragraph::new(text).alignment(ratatui::layout::Alignment::Center),
            chunks[1],
        );
    } else {
        match app.screen() {
            Screen::List => list(app, frame, chunks[1], theme),
            Screen::Session(_) => session(app, frame, chunks[1], theme),
            Screen::Trace(t) => trace(app, frame, chunks[1], t, theme),
        }
    }
    status_bar(app, frame, chunks[2], theme);
    if filter_line {
        let (text, err) = match &app.mode {
            Mode::Filter { input, .. } => (input.clone(), app.filter_error.clone()),
            _ => (app.filter.source.clone(), app.filter_error.clone()),
        };
        let mut spans = vec![
            Span::styled("/", theme.title()),
            Span::raw(sanitize(&text).into_owned()),
        ];
        if matches!(app.mode, Mode::Filter { .. }) {
            spans.push(Span::styled("▏", theme.title()));
        }
        if let Some(e) = err {
            spans.push(Span::styled(format!("   {}", sanitize(&e)), theme.error()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), chunks[3]);
    }
    if app.mode == Mode::Help {
        help(frame, area, theme);
    }
}

fn header(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let t = &app.totals;
    let mut spans = vec![
        Span::styled(" agtrace ", theme.title().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
        Span::styled(truncate(&sanitize(&app.source_label), 30), theme.label()),
    ];
    if app.loading.is_none() {
        let all = app.set.traces.len();
        let filtered = !app.filter.is_empty() || app.failed_only || app.slow_only;
        let traces = if filtered {
            format!("{}/{all} traces", t.traces)
        } else {
            format!("{all} traces")
        };
        spans.push(Span::raw(format!("  {traces} · {} spans · ", t.spans)));
        spans.push(Span::styled(
            format!("{} errors", t.errors),
            if t.errors > 0 {
                theme.error()
            } else {
                Style::default()
            },
        ));
        spans.push(Span::raw(format!(
            " · {}/{} tokens · {}",
            tokens(Some(t.input_tokens)),
            tokens(Some(t.output_tokens)),
            cost(Some(t.cost), false, true)
        )));
        let mut flags = Vec::new();
        if app.failed_only {
            flags.push("failed only".to_owned());
        }
        if app.slow_only {
            flags.push(format!("slow ≥ {}", duration(app.slow_ns)));
        }
        if !flags.is_empty() {
            spans.push(Span::styled(
                format!("  [{}]", flags.join(", ")),
                theme.warning(),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Spans for `text` with the fuzzy-matched characters highlighted.
fn highlighted(text: &str, words: &[&str], base: Style, theme: &Theme) -> Vec<Span<'static>> {
    if words.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    let idx = fuzzy_indices(text, words);
    if idx.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    text.chars()
        .enumerate()
        .map(|(k, c)| {
            let style = if idx.binary_search(&k).is_ok() {
                base.patch(theme.matched())
            } else {
                base
            };
            Span::styled(c.to_string(), style)
        })
        .collect()
}

fn pad(s: &str, w: usize) -> String {
    crate::render::format::pad(&truncate(s, w), w)
}

fn pad_left(s: &str, w: usize) -> String {
    crate::render::format::pad_left(&truncate(s, w), w)
}

fn list(app: &mut App, frame: &mut Frame, area: Rect, theme: &Theme) {
    app.layout.body_rows = area.height.saturating_sub(1);
    app.layout.body_top = area.y + 1;
    app.layout.body_x = (area.x, area.x + area.width);
    let w = area.width as usize;
    let wide = w >= 100;
    // Narrow terminals drop the date, the session and the step counts.
    let (start_w, dur_w, steps_w, err_w, tok_w, cost_w) = if wide {
        (14, 7, 7, 5, 11, 9)
    } else {
        (8, 7, 0, 4, 11, 8)
    };
    let fixed = 2 + start_w + dur_w + steps_w + err_w + tok_w + cost_w + 7;
    let flex = w.saturating_sub(fixed);
    let sess_w = if wide { (flex / 3).min(18) } else { 0 };
    let name_w = flex.saturating_sub(sess_w + 1);
    let mut head = format!("  {} {} ", pad("START", start_w), pad("NAME", name_w));
    if sess_w > 0 {
        head.push_str(&format!("{} ", pad("SESSION", sess_w)));
    }
    head.push_str(&format!("{} ", pad_left("DUR", dur_w)));
    if steps_w > 0 {
        head.push_str(&format!("{} ", pad_left("LLM/TL", steps_w)));
    }
    head.push_str(&format!(
        "{} {} {}",
        pad_left("ERR", err_w),
        pad_left("TOKENS", tok_w),
        pad_left("COST", cost_w)
    ));
    let mut lines = vec![Line::styled(head, theme.title())];
    let words = app.filter.fuzzy_words();
    let end = (app.list_offset + app.layout.body_rows as usize).min(app.list.len());
    for (k, row) in app.list[app.list_offset..end].iter().enumerate() {
        let selected = app.list_offset + k == app.list_sel;
        let line = match *row {
            ListRow::Session(s, n) => {
                let open = app.expanded.contains(&s);
                Line::from(vec![
                    Span::raw(if open { "▾ " } else { "▸ " }),
                    Span::styled(
                        format!("session {}", sanitize(app.set.str(s))),
                        theme.title(),
                    ),
                    Span::styled(format!("  ({n} traces)"), theme.dim()),
                ])
            }
            ListRow::Trace(t) => {
                let tr = &app.set.traces[t as usize];
                let o = tr.outcome();
                let mut start = timestamp(tr.start);
                start = start
                    .get(if wide { 5 } else { 11 }..19)
                    .unwrap_or(&start)
                    .to_owned();
                let name = sanitize(app.set.str(tr.display_name())).into_owned();
                let mut spans = vec![
                    Span::styled(format!("{} ", glyph(o)), theme.outcome(o)),
                    Span::raw(format!("{} ", pad(&start, start_w))),
                ];
                spans.extend(highlighted(
                    &pad(&name, name_w),
                    &words,
                    Style::default(),
                    theme,
                ));
                if sess_w > 0 {
                    spans.push(Span::styled(
                        format!(" {}", pad(&sanitize(app.set.str(tr.session)), sess_w)),
                        theme.dim(),
                    ));
                }
                spans.push(Span::raw(format!(
                    " {} ",
                    pad_left(&duration(tr.duration_ns()), dur_w)
                )));
                if steps_w > 0 {
                    spans.push(Span::raw(format!(
                        "{} ",
                        pad_left(&format!("{}/{}", tr.llm_calls, tr.tool_calls), steps_w)
                    )));
                }
                let err = if tr.error_count > 0 {
                    tr.error_count.to_string()
                } else if tr.warning_count > 0 {
                    format!("{}w", tr.warning_count)
                } else {
                    "·".into()
                };
                spans.push(Span::styled(pad_left(&err, err_w), theme.outcome(o)));
                spans.push(Span::raw(format!(
                    " {} {}",
                    pad_left(
                        &format!("{}/{}", tokens(tr.tokens.input), tokens(tr.tokens.output)),
                        tok_w
                    ),
                    pad_left(
                        &cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
                        cost_w
                    )
                )));
                Line::from(spans)
            }
        };
        lines.push(if selected {
            line.style(theme.selected(true))
        } else {
            line
        });
    }
    if app.list.is_empty() {
        lines.push(Line::styled(
            if app.set.traces.is_empty() {
                "  no traces in the input"
            } else {
                "  nothing matches (Esc clears the filters)"
            },
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn session(app: &mut App, frame: &mut Frame, area: Rect, theme: &Theme) {
    app.layout.body_rows = area.height.saturating_sub(2);
    app.layout.body_top = area.y + 2;
    app.layout.body_x = (area.x, area.x + area.width);
    let Screen::Session(s) = app.screen() else {
        return;
    };
    let set = &app.set;
    // Name takes what the fixed columns and a short outcome leave.
    let name_w = (area.width as usize)
        .saturating_sub(2 + 5 + 15 + 8 + 12 + 10 + 2 + 16)
        .clamp(8, 40);
    let (tin, tout, c): (u64, u64, f64) = app.session_rows.iter().fold((0, 0, 0.0), |acc, &t| {
        let tr = &set.traces[t as usize];
        (
            acc.0 + tr.tokens.input.unwrap_or(0),
            acc.1 + tr.tokens.output.unwrap_or(0),
            acc.2 + tr.cost().unwrap_or(0.0),
        )
    });
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("session {}", sanitize(set.str(s))), theme.title()),
            Span::raw(format!(
                "  {} turns · {}/{} tokens · {}",
                app.session_rows.len(),
                tokens(Some(tin)),
                tokens(Some(tout)),
                cost(Some(c), false, true)
            )),
        ]),
        Line::styled(
            format!(
                "  {:>4} {:<14} {} {:>7} {:>11} {:>9}  OUTCOME",
                "TURN",
                "START",
                pad("NAME", name_w),
                "DUR",
                "TOKENS",
                "COST"
            ),
            theme.title(),
        ),
    ];
    let end = (app.session_offset + app.layout.body_rows as usize).min(app.session_rows.len());
    for k in app.session_offset..end {
        let t = app.session_rows[k];
        let tr = &set.traces[t as usize];
        let o = tr.outcome();
        let reason = first_reason(set, t);
        let mut start = timestamp(tr.start);
        start = start.get(5..19).unwrap_or(&start).to_owned();
        let line = Line::from(vec![
            Span::styled(format!("{} ", glyph(o)), theme.outcome(o)),
            Span::raw(format!(
                "{:>4} {} {} {} {} {}  ",
                k + 1,
                pad(&start, 14),
                pad(&sanitize(set.str(tr.display_name())), name_w),
                pad_left(&duration(tr.duration_ns()), 7),
                pad_left(
                    &format!("{}/{}", tokens(tr.tokens.input), tokens(tr.tokens.output)),
                    11
                ),
                pad_left(
                    &cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
                    9
                ),
            )),
            Span::styled(format!("{} {}", o.as_str(), reason), theme.outcome(o)),
        ]);
        lines.push(if k == app.session_sel {
            line.style(theme.selected(true))
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The reason of a trace's first failure origin (or first warning).
fn first_reason(set: &TraceSet, t: u32) -> String {
    let tr = &set.traces[t as usize];
    let mut warn = None;
    for &i in set.trace_spans(tr) {
        let st = set.step(i);
        match st.outcome {
            Outcome::Error => {
                // The deepest failing span is the best explanation: keep walking while
                // failures nest, take the last one on the chain.
                let r = set.str(st.reason);
                let span = &set.spans[i as usize];
                let child_failed = set
                    .children_of(span)
                    .iter()
                    .any(|&c| set.step(c).outcome == Outcome::Error);
                if !child_failed {
                    return sanitize(r).into_owned();
                }
            }
            Outcome::Warning if warn.is_none() => {
                warn = Some(sanitize(set.str(st.reason)).into_owned())
            }
            _ => {}
        }
    }
    warn.unwrap_or_default()
}

fn trace(app: &mut App, frame: &mut Frame, area: Rect, t: u32, theme: &Theme) {
    let set_trace = &app.set.traces[t as usize];
    let o = set_trace.outcome();
    let head = Line::from(vec![
        Span::styled(format!("{} ", glyph(o)), theme.outcome(o)),
        Span::styled(
            sanitize(app.set.str(set_trace.display_name())).into_owned(),
            theme.title(),
        ),
        Span::styled(format!("  {}", set_trace.id), theme.dim()),
        Span::raw(format!(
            "  {} · {} spans · {}/{} llm/tool · {}/{} tok · {}",
            duration(set_trace.duration_ns()),
            set_trace.span_count,
            set_trace.llm_calls,
            set_trace.tool_calls,
            tokens(set_trace.tokens.input),
            tokens(set_trace.tokens.output),
            cost(
                set_trace.cost(),
                set_trace.cost_is_partial(),
                set_trace.billable_steps > 0
            )
        )),
    ]);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(2)])
        .split(area);
    frame.render_widget(Paragraph::new(head), rows[0]);
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
    tree(app, frame, panes[0], theme);
    detail_pane(app, frame, panes[1], theme);
}

fn tree(app: &mut App, frame: &mut Frame, area: Rect, theme: &Theme) {
    app.layout.body_rows = area.height;
    app.layout.body_top = area.y;
    app.layout.body_x = (area.x, area.x + area.width);
    let set = app.tset();
    let tree = &app.tree;
    let tr = &set.traces[tree.trace as usize];
    let w = area.width as usize;
    let (dur_w, tok_w, cost_w) = (7, 11, 8);
    let model_w = if w >= 110 {
        18
    } else if w >= 90 {
        12
    } else {
        0
    };
    let bar_w = if w >= 100 {
        24
    } else if w >= 70 {
        12
    } else {
        0
    };
    let fixed = 2 + 7 + dur_w + tok_w + cost_w + model_w + bar_w + 6;
    let name_w = w.saturating_sub(fixed).max(8);
    let words = app.filter.fuzzy_words();
    let focused = app.focus == Focus::Tree;
    let start = tree.offset;
    let end = (start + area.height as usize).min(tree.rows.len());
    // Guides: for the first visible row, find which ancestors still have siblings.
    let mut open: Vec<bool> = Vec::new();
    if start < tree.rows.len() {
        let mut need = tree.rows[start].depth;
        let mut k = start;
        let mut stack = Vec::new();
        while need > 0 && k > 0 {
            k -= 1;
            if tree.rows[k].depth == need - 1 {
                stack.push(!tree.rows[k].last);
                need -= 1;
            }
        }
        stack.reverse();
        open = stack;
    }
    let mut lines = Vec::with_capacity(end - start);
    for r in start..end {
        let row = tree.rows[r];
        let s = &set.spans[row.span as usize];
        let step = set.step(row.span);
        let d = row.depth as usize;
        open.truncate(d);
        let mut guide = String::new();
        for (lvl, &o) in open.iter().enumerate() {
            if lvl == 0 {
                continue;
            }
            guide.push_str(if o { "│ " } else { "  " });
        }
        if d > 0 {
            guide.push_str(if row.last { "└─" } else { "├─" });
        }
        open.push(!row.last);
        let marker = if row.has_children {
            if row.collapsed { "▸" } else { "▾" }
        } else {
            " "
        };
        let pos = tree.pos.get(&row.span).copied().unwrap_or(0) as usize;
        let totals = tree.totals.get(pos).copied().unwrap_or_default();
        let mut name = sanitize(set.str(s.name)).into_owned();
        if row.collapsed {
            name.push_str(&format!(" (+{})", totals.spans.saturating_sub(1)));
        }
        let base = if row.dim {
            theme.dim()
        } else if tree.show_critical && tree.critical.get(pos).copied().unwrap_or(false) {
            theme.critical()
        } else {
            Style::default()
        };
        let (tok, cst) = if row.collapsed && totals.spans > 1 {
            (
                if totals.input_tokens + totals.output_tokens > 0 {
                    format!(
                        "{}→{}",
                        tokens(Some(totals.input_tokens)),
                        tokens(Some(totals.output_tokens))
                    )
                } else {
                    String::new()
                },
                if totals.cost > 0.0 {
                    cost(Some(totals.cost), false, true)
                } else {
                    String::new()
                },
            )
        } else {
            (
                if step.tokens.input.is_some() || step.tokens.output.is_some() {
                    format!(
                        "{}→{}",
                        tokens(step.tokens.input),
                        tokens(step.tokens.output)
                    )
                } else {
                    String::new()
                },
                match step.cost_source {
                    CostSource::None => String::new(),
                    CostSource::Unknown => "?".into(),
                    _ => cost(step.cost(), false, true),
                },
            )
        };
        let label_w = name_w.saturating_sub(width(&guide) + 2);
        let mut spans = vec![
            Span::styled(
                format!("{} ", glyph(step.outcome)),
                theme.outcome(step.outcome),
            ),
            Span::styled(format!("{:<6} ", badge(step.kind)), theme.kind(step.kind)),
            Span::styled(format!("{guide}{marker} "), theme.dim()),
        ];
        spans.extend(highlighted(&pad(&name, label_w), &words, base, theme));
        if model_w > 0 {
            let mt = crate::render::show::model_or_tool(set, &step);
            spans.push(Span::styled(
                format!(" {}", pad(&mt, model_w)),
                if step.kind == crate::model::StepKind::Tool {
                    theme.tool()
                } else {
                    theme.dim()
                },
            ));
        }
        spans.push(Span::raw(format!(
            " {} {} {}",
            pad_left(
                &if s.is_finished() {
                    duration(s.duration_ns())
                } else {
                    "?".into()
                },
                dur_w
            ),
            pad_left(&tok, tok_w),
            pad_left(&cst, cost_w)
        )));
        if bar_w > 0 {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(bar(tr, s, bar_w), theme.bar(step.outcome)));
        }
        let line = Line::from(spans);
        lines.push(if r == tree.sel {
            line.style(theme.selected(focused))
        } else {
            line
        });
    }
    if tree.rows.is_empty() {
        lines.push(Line::styled(
            "  no span matches (Esc clears the filters)",
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn bar(tr: &crate::model::Trace, s: &crate::model::Span, w: usize) -> String {
    let total = tr.duration_ns().max(1) as f64;
    let a = s.start.saturating_sub(tr.start) as f64 / total * w as f64;
    let b = if s.is_finished() {
        s.end.saturating_sub(tr.start) as f64 / total * w as f64
    } else {
        a
    };
    let a0 = (a.floor() as usize).min(w.saturating_sub(1));
    let b0 = (b.ceil() as usize).clamp(a0 + 1, w);
    let mut out = String::with_capacity(w * 3);
    out.extend(std::iter::repeat_n(' ', a0));
    out.extend(std::iter::repeat_n('█', b0 - a0));
    out.extend(std::iter::repeat_n(' ', w - b0));
    out
}

fn detail_pane(app: &mut App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let focused = app.focus == Focus::Detail;
    let mut title = vec![Span::raw(" ")];
    for (k, t) in Tab::ALL.iter().enumerate() {
        let (style, text) = if *t == app.tab {
            (
                theme.label().add_modifier(Modifier::BOLD),
                format!("[{} {}]", k + 1, t.title()),
            )
        } else {
            (theme.dim(), format!(" {} {} ", k + 1, t.title()))
        };
        title.push(Span::styled(text, style));
    }
    let block = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(if focused { theme.label() } else { theme.dim() })
        .title(Line::from(title));
    let lines = match app.selected_span() {
        Some(i) => detail::lines(app.tset(), i, app.tab, theme),
        None => vec![Line::styled("nothing selected", theme.dim())],
    };
    let para = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((app.detail_scroll, 0));
    frame.render_widget(para, area);
}

fn status_bar(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let keys = match (&app.mode, app.screen()) {
        (Mode::Filter { .. }, _) => {
            "Enter apply · Esc cancel · status:error kind:tool tool:… dur>2s tokens>10k"
        }
        (_, _) if app.loading.is_some() => "q quit",
        (_, Screen::List) => {
            "↑↓ move · Enter open · / filter · f failed · s slow · e next failure · o sort · S sessions · ? help · q quit"
        }
        (_, Screen::Session(_)) => "↑↓ move · Enter open turn · e failed turn · Esc back · ? help",
        (_, Screen::Trace(_)) => {
            "↑↓ move · ←→ fold · e/E failure · / filter · n/N match · Tab pane · 1-7 tabs · y copy · Esc back"
        }
    };
    let w = area.width as usize;
    let status = sanitize(&app.status).into_owned();
    let room = w.saturating_sub(width(&status) + 2);
    let line = Line::from(vec![
        Span::raw(format!(" {}", pad(keys, room.saturating_sub(1)))),
        Span::raw(format!("{status} ")),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.status_bar()), area);
}

fn help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let w = area.width.min(76);
    let h = area.height.min(BINDINGS.len() as u16 + 4);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let mut lines = Vec::new();
    for b in BINDINGS {
        let ctx = match b.context {
            Context::Global => "",
            Context::List => " (list)",
            Context::Trace => " (trace)",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", b.keys), theme.label()),
            Span::raw(format!("{}{ctx}", b.desc)),
        ]));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" keys — any key closes "),
        ),
        rect,
    );
}
