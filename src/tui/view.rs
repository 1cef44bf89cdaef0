//! Drawing the frame around the screens. Only the rows inside the window are built
//! each frame.
//!
//! ```text
//! ┌ header: source · traces · spans · errors · tokens · cost · [filter] ─────────┐
//! │ the screen on top: trace list / session turns / span tree + detail tabs      │
//! ├ status bar: keys that matter here · message ────────────────────────────────┤
//! └ filter line (when typing or after a bad filter) ────────────────────────────┘
//! ```

use super::app::{App, Popup};
use super::keymap::Context;
use super::shared::plural;
use super::theme::Theme;
use super::widgets::pad;
use crate::format::{tokens, truncate, width};
use crate::sanitize::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Draws the whole screen.
pub fn render(app: &mut App, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    let filter_line =
        matches!(app.popup, Some(Popup::Filter { .. })) || app.shared.filter_error.is_some();
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
    if app.shared.loading.is_some() {
        loading(app, frame, chunks[1], theme);
    } else if let Some(screen) = app.screens.last_mut() {
        screen.draw(frame, chunks[1], &mut app.shared, theme);
    }
    status_bar(app, frame, chunks[2], theme);
    if filter_line {
        filter_bar(app, frame, chunks[3], theme);
    }
    if app.popup == Some(Popup::Help) {
        help(app, frame, area, theme);
    }
    if let Some(Popup::Incident(inc)) = &app.popup {
        incident(&inc.markdown, frame, area, theme);
    }
    if let Some(Popup::Compare(c)) = &app.popup {
        comparison(c, frame, area, theme);
    }
}

/// A `w`×`h` rectangle in the middle of `area` (which is at least that large).
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    Rect {
        x: area.x + area.width.saturating_sub(w) / 2,
        y: area.y + area.height.saturating_sub(h) / 2,
        width: w.min(area.width),
        height: h.min(area.height),
    }
}

/// Two runs compared: `agtrace diff`'s text, scrolled.
fn comparison(c: &super::compare::Comparison, frame: &mut Frame, area: Rect, theme: &Theme) {
    let w = area.width.saturating_sub(2);
    let h = area.height.saturating_sub(2);
    let rect = centered(area, w, h);
    let body = usize::from(h.saturating_sub(2));
    let lines: Vec<Line> = c
        .lines
        .iter()
        .skip(c.scroll)
        .take(body)
        .map(|l| {
            let style = match l.chars().next() {
                Some('~') => theme.warning(),
                Some('-') => theme.error(),
                Some('+') => theme.tool(),
                Some('=') => theme.dim(),
                _ => ratatui::style::Style::default(),
            };
            Line::styled(sanitize(l).into_owned(), style)
        })
        .collect();
    let shown = (c.scroll + body).min(c.lines.len());
    let title = format!(
        "{}· lines {}–{shown} of {} · j/k scroll · y copy · Esc close ",
        c.title,
        (c.scroll + 1).min(shown),
        c.lines.len()
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}

/// The incident summary popup: the Markdown as it will be pasted, and the keys.
fn incident(markdown: &str, frame: &mut Frame, area: Rect, theme: &Theme) {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2);
    let rect = centered(area, w, h);
    let mut lines: Vec<Line> = markdown
        .lines()
        .take(h.saturating_sub(3) as usize)
        .map(|l| Line::raw(sanitize(l).into_owned()))
        .collect();
    let more = markdown.lines().count().saturating_sub(lines.len());
    if more > 0 {
        lines.push(Line::styled(format!("… {more} more lines"), theme.dim()));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(
                " incident summary (redacted) — c copy · w write .md + .otlp.json · Esc close ",
            )),
        rect,
    );
}

fn loading(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(p) = &app.shared.loading else {
        return;
    };
    let text = vec![
        Line::raw(""),
        Line::styled(
            format!("Loading {}…", sanitize(&app.shared.source_label)),
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
        area,
    );
}

fn header(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let sh = &app.shared;
    let mut spans = vec![
        Span::styled(" agtrace ", theme.title().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
        Span::styled(truncate(&sanitize(&sh.source_label), 30), theme.label()),
    ];
    if sh.loading.is_none() {
        let t = &app.list().totals;
        let all = sh.set.traces.len();
        let filter = &sh.query.filter;
        let traces = if filter.is_empty() {
            plural(all, "trace", "traces")
        } else {
            format!("{}/{}", t.traces, plural(all, "trace", "traces"))
        };
        spans.push(Span::raw(format!(
            "  {traces} · {} · ",
            plural(t.spans as usize, "span", "spans")
        )));
        spans.push(Span::styled(
            plural(t.errors as usize, "error", "errors"),
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
            t.cost_text()
        )));
        if !filter.is_empty() {
            spans.push(Span::styled(
                format!("  [{}]", truncate(&sanitize(&filter.source), 48)),
                theme.warning(),
            ));
        }
        if app.jobs.busy() {
            spans.push(Span::styled("  reading…", theme.dim()));
        }
        if let Some((done, of)) = sh.deciding {
            spans.push(Span::styled(
                format!("  ◆ deciding findings… {}%", done * 100 / of.max(1)),
                theme.finding(),
            ));
        }
        if let Some(l) = &app.live {
            let origins: Vec<String> = l
                .origins
                .iter()
                .map(|o| {
                    let mut t = o.label.clone();
                    let notice = o.stats.notice();
                    if !notice.is_empty() {
                        t.push_str(&format!(" ({})", truncate(&sanitize(&notice), 60)));
                    } else if o.stats.ended.load(std::sync::atomic::Ordering::Relaxed) {
                        t.push_str(" (ended)");
                    }
                    t
                })
                .collect();
            let mut text = format!("  ● {} · {:.0} spans/s", origins.join(" + "), l.rate);
            if l.unseen > 0 {
                text.push_str(&format!(" · {} new (g)", l.unseen));
            }
            if l.evicted_traces > 0 {
                text.push_str(&format!(" · {} evicted", l.evicted_traces));
            }
            if l.paused {
                text.push_str(&format!(" · PAUSED ({} waiting)", l.waiting()));
            }
            spans.push(Span::styled(text, theme.label()));
        }
        if sh.privacy.is_some() {
            spans.push(Span::styled(
                "  PRIVACY: redacted",
                theme.warning().add_modifier(Modifier::REVERSED),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn status_bar(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let km = &app.shared.keymap;
    let keys = match (&app.popup, app.screens.last()) {
        (Some(Popup::Filter { .. }), _) => {
            "Enter apply · Esc cancel · status:error kind:tool tool:… dur>2s tokens>10k".to_owned()
        }
        _ if app.shared.loading.is_some() => {
            format!("{} quit", km.key_label(super::keymap::Action::Quit))
        }
        (_, Some(screen)) => screen
            .hints()
            .iter()
            .map(|(a, b, what)| match b {
                Some(b) => format!("{}/{} {what}", km.key_label(*a), km.key_label(*b)),
                None => format!("{} {what}", km.key_label(*a)),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        (_, None) => String::new(),
    };
    let w = area.width as usize;
    let mut status = sanitize(&app.shared.status).into_owned();
    if app.shared.privacy.is_some() {
        status = format!("[PRIVACY] {status}");
    }
    let room = w.saturating_sub(width(&status) + 2);
    let line = Line::from(vec![
        Span::raw(format!(" {}", pad(&keys, room.saturating_sub(1)))),
        Span::raw(format!("{status} ")),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.status_bar()), area);
}

fn filter_bar(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let (text, typing) = match &app.popup {
        Some(Popup::Filter { input, .. }) => (input.clone(), true),
        _ => (app.shared.query.filter.source.clone(), false),
    };
    let mut spans = vec![
        Span::styled("/", theme.title()),
        Span::raw(sanitize(&text).into_owned()),
    ];
    if typing {
        spans.push(Span::styled("▏", theme.title()));
    }
    if let Some(e) = &app.shared.filter_error {
        spans.push(Span::styled(format!("   {}", sanitize(e)), theme.error()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn help(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let rows = app.shared.keymap.help_rows();
    let w = area.width.saturating_sub(4).clamp(area.width.min(40), 110);
    let h = area.height.min(rows.len() as u16 + 2);
    let rect = centered(area, w, h);
    // Rows that fit inside the border; a taller help scrolls (j/k, PgDn/PgUp).
    let visible = usize::from(h.saturating_sub(2)).max(1);
    let first = app.help_scroll.min(rows.len().saturating_sub(visible));
    let title = if rows.len() > visible {
        format!(
            " keys {}–{} of {} — j/k PgDn/PgUp scroll · any other key closes ",
            first + 1,
            (first + visible).min(rows.len()),
            rows.len()
        )
    } else {
        " keys — any key closes ".to_string()
    };
    let key_w = rows
        .iter()
        .map(|r| width(&r.0))
        .max()
        .unwrap_or(0)
        .clamp(11, 16)
        + 1;
    let lines: Vec<Line> = rows
        .iter()
        .skip(first)
        .take(visible)
        .map(|(keys, desc, ctx)| {
            let ctx = match ctx {
                Context::Global => "",
                Context::List => " (list)",
                Context::Trace => " (trace)",
            };
            Line::from(vec![
                Span::styled(pad(keys, key_w), theme.label()),
                Span::raw(format!("{desc}{ctx}")),
            ])
        })
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}
