//! The detail pane's content for one span, per tab, as styled lines. Every string from
//! the trace is sanitized here before it can reach the screen.

use super::app::Tab;
use super::theme::Theme;
use crate::model::{CostSource, TraceSet};
use crate::render::format::{cost, duration, timestamp, tokens};
use crate::render::show::{detail_json, mark_labels, step_reason, tool_io};
use crate::sanitize::{sanitize, sanitize_multiline};
use crate::semconv::messages::{Part, conversation};
use ratatui::text::{Line, Span};
use serde_json::Value;

fn kv(theme: &Theme, k: &str, v: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<14}"), theme.label()),
        Span::raw(v),
    ])
}

fn pretty(v: &Value) -> String {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(j @ (Value::Object(_) | Value::Array(_))) => {
                serde_json::to_string_pretty(&j).unwrap_or_default()
            }
            _ => s.clone(),
        },
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn text_lines(text: &str, indent: &str) -> Vec<Line<'static>> {
    sanitize_multiline(text)
        .lines()
        .map(|l| Line::raw(format!("{indent}{l}")))
        .collect()
}

/// The lines of one tab for span `i`.
pub fn lines(set: &TraceSet, i: u32, tab: Tab, theme: &Theme) -> Vec<Line<'static>> {
    let Some(s) = set.spans.get(i as usize) else {
        return Vec::new();
    };
    let step = set.step(i);
    let mut out = Vec::new();
    match tab {
        Tab::Summary => {
            out.push(Line::from(Span::styled(
                sanitize(set.str(s.name)).into_owned(),
                theme.title(),
            )));
            out.push(kv(
                theme,
                "kind",
                format!("{} (by {})", step.kind.as_str(), step.kind_source),
            ));
            let reason = step_reason(set, s, &step);
            out.push(Line::from(vec![
                Span::styled(format!("{:<14}", "status"), theme.label()),
                Span::styled(
                    step.outcome.as_str().to_owned(),
                    theme.outcome(step.outcome),
                ),
                Span::raw(if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                }),
            ]));
            out.push(kv(theme, "start", timestamp(s.start)));
            out.push(kv(
                theme,
                "duration",
                if s.is_finished() {
                    duration(s.duration_ns())
                } else {
                    "unfinished".into()
                },
            ));
            if !step.model.is_empty() || !step.model_requested.is_empty() {
                out.push(kv(
                    theme,
                    "model",
                    format!(
                        "{} (requested {})",
                        sanitize(set.str(step.model)),
                        sanitize(set.str(step.model_requested))
                    ),
                ));
                out.push(kv(
                    theme,
                    "provider",
                    sanitize(set.str(step.provider)).into_owned(),
                ));
            }
            if !step.tool_name.is_empty() {
                out.push(kv(
                    theme,
                    "tool",
                    sanitize(set.str(step.tool_name)).into_owned(),
                ));
            }
            if !step.tokens.is_empty() {
                let t = &step.tokens;
                out.push(kv(
                    theme,
                    "tokens",
                    format!("{} in → {} out", tokens(t.input), tokens(t.output)),
                ));
                out.push(kv(
                    theme,
                    "  cache",
                    format!(
                        "read {}  write {}",
                        tokens(t.cache_read),
                        tokens(t.cache_write)
                    ),
                ));
                out.push(kv(theme, "  reasoning", tokens(t.reasoning)));
            }
            if step.cost_source != CostSource::None {
                let how = match step.cost_source {
                    CostSource::Provided => "provided",
                    CostSource::Priced => "priced",
                    _ => "unknown",
                };
                out.push(kv(
                    theme,
                    "cost",
                    format!("{} ({how})", cost(step.cost(), false, true)),
                ));
            }
            if !step.finish_reasons.is_empty() {
                out.push(kv(
                    theme,
                    "finish",
                    sanitize(set.str(step.finish_reasons)).into_owned(),
                ));
            }
            for (k, v) in [
                ("session", step.session),
                ("user", step.user),
                ("agent", step.agent_name),
                ("tool call id", step.tool_call_id),
            ] {
                if !v.is_empty() {
                    out.push(kv(theme, k, sanitize(set.str(v)).into_owned()));
                }
            }
            out.push(kv(theme, "span id", s.span_id.to_string()));
            out.push(kv(
                theme,
                "parent id",
                if s.parent_span_id.is_none() {
                    "-".into()
                } else {
                    s.parent_span_id.to_string()
                },
            ));
            out.push(kv(theme, "trace id", s.trace_id.to_string()));
            out.push(kv(
                theme,
                "service",
                sanitize(set.service_of(s)).into_owned(),
            ));
            out.push(kv(theme, "span kind", s.kind.as_str().to_owned()));
            let marks = mark_labels(s.marks);
            if !marks.is_empty() {
                out.push(Line::from(vec![
                    Span::styled(format!("{:<14}", "integrity"), theme.label()),
                    Span::styled(marks.join(", "), theme.warning()),
                ]));
            }
        }
        Tab::Messages => {
            let c = conversation(set, s);
            if c.is_empty() {
                out.push(Line::styled(
                    "no messages recorded on this span",
                    theme.dim(),
                ));
            } else {
                out.push(Line::styled(format!("from {}", c.source), theme.dim()));
                let mut push = |role: &str, parts: &[Part]| {
                    out.push(Line::styled(
                        format!(
                            "▍{}",
                            sanitize(if role.is_empty() { "message" } else { role })
                        ),
                        theme.role(role),
                    ));
                    for p in parts {
                        match p {
                            Part::Text(t) => out.extend(text_lines(t, "  ")),
                            Part::Reasoning(t) => {
                                out.push(Line::styled("  (reasoning)", theme.dim()));
                                out.extend(text_lines(t, "  "));
                            }
                            Part::ToolCall {
                                id,
                                name,
                                arguments,
                            } => {
                                out.push(Line::from(vec![
                                    Span::raw("  → tool call "),
                                    Span::styled(sanitize(name).into_owned(), theme.tool()),
                                    Span::styled(
                                        format!(" ({})", sanitize(id.as_deref().unwrap_or("-"))),
                                        theme.dim(),
                                    ),
                                ]));
                                out.extend(text_lines(&pretty(arguments), "    "));
                            }
                            Part::ToolResponse { id, response } => {
                                out.push(Line::styled(
                                    format!(
                                        "  ← tool result ({})",
                                        sanitize(id.as_deref().unwrap_or("-"))
                                    ),
                                    theme.dim(),
                                ));
                                out.extend(text_lines(&pretty(response), "    "));
                            }
                            Part::Other(v) => out.extend(text_lines(&pretty(v), "  ")),
                        }
                    }
                    out.push(Line::raw(""));
                };
                if !c.system.is_empty() {
                    push("system", &c.system);
                }
                for m in &c.input {
                    push(&m.role, &m.parts);
                }
                for m in &c.output {
                    let role = match &m.finish_reason {
                        Some(f) => format!("{} (finish: {f})", m.role),
                        None => m.role.clone(),
                    };
                    push(&role, &m.parts);
                }
            }
        }
        Tab::Tool => {
            let (args, result) = tool_io(set, s);
            if args.is_none() && result.is_none() {
                out.push(Line::styled(
                    "no tool arguments or result on this span",
                    theme.dim(),
                ));
            }
            if let Some(a) = args {
                out.push(Line::styled("arguments", theme.label()));
                out.extend(text_lines(&pretty(&a), "  "));
            }
            match result {
                Some(r) => {
                    out.push(Line::styled("result", theme.label()));
                    out.extend(text_lines(&pretty(&r), "  "));
                }
                None if step.kind == crate::model::StepKind::Tool => out.push(Line::styled(
                    "result: none recorded (OTel writes it only on success)",
                    theme.dim(),
                )),
                None => {}
            }
        }
        Tab::Attributes => {
            let mut attrs: Vec<_> = set.span_attrs(s).iter().collect();
            let genai = crate::render::show::is_genai_key;
            attrs.sort_by_key(|a| !genai(set.str(a.key)));
            for a in attrs {
                let v = a.value.display(&set.strings);
                let v = pretty(&Value::String(v));
                let mut lines = sanitize_multiline(&v)
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
                    .into_iter();
                let first = lines.next().unwrap_or_default();
                out.push(Line::from(vec![
                    Span::styled(sanitize(set.str(a.key)).into_owned(), theme.label()),
                    Span::raw(" = "),
                    Span::raw(first),
                ]));
                out.extend(lines.map(|l| Line::raw(format!("    {l}"))));
            }
            if out.is_empty() {
                out.push(Line::styled("no attributes", theme.dim()));
            }
            let res = set.resources.get(s.resource as usize);
            if let Some(r) = res {
                out.push(Line::raw(""));
                out.push(Line::styled("resource", theme.title()));
                for a in &set.attrs[r.attrs.range()] {
                    out.push(Line::from(vec![
                        Span::styled(sanitize(set.str(a.key)).into_owned(), theme.label()),
                        Span::raw(" = "),
                        Span::raw(sanitize(&a.value.display(&set.strings)).into_owned()),
                    ]));
                }
            }
        }
        Tab::Events => {
            let events = set.span_events(s);
            if events.is_empty() {
                out.push(Line::styled("no events", theme.dim()));
            }
            for e in events {
                let name = set.str(e.name);
                let style = if name == "exception" {
                    theme.error()
                } else {
                    theme.title()
                };
                out.push(Line::from(vec![
                    Span::styled(timestamp(e.time), theme.dim()),
                    Span::raw(" "),
                    Span::styled(sanitize(name).into_owned(), style),
                ]));
                for a in &set.attrs[e.attrs.range()] {
                    let v = a.value.display(&set.strings);
                    if v.contains('\n') {
                        out.push(Line::styled(
                            format!("  {} =", sanitize(set.str(a.key))),
                            theme.label(),
                        ));
                        out.extend(text_lines(&v, "    "));
                    } else {
                        out.push(Line::from(vec![
                            Span::styled(format!("  {}", sanitize(set.str(a.key))), theme.label()),
                            Span::raw(" = "),
                            Span::raw(sanitize(&v).into_owned()),
                        ]));
                    }
                }
            }
        }
        Tab::Links => {
            let links = set.span_links(s);
            if links.is_empty() {
                out.push(Line::styled("no links", theme.dim()));
            }
            for l in links {
                out.push(Line::raw(format!(
                    "trace {} span {}",
                    l.trace_id, l.span_id
                )));
                for a in &set.attrs[l.attrs.range()] {
                    out.push(Line::raw(format!(
                        "  {} = {}",
                        sanitize(set.str(a.key)),
                        sanitize(&a.value.display(&set.strings))
                    )));
                }
            }
        }
        Tab::Raw => {
            let v = detail_json(set, i);
            out.extend(text_lines(
                &serde_json::to_string_pretty(&v).unwrap_or_default(),
                "",
            ));
        }
    }
    out
}

/// A tab's content as plain text (for copying).
pub fn plain_text(set: &TraceSet, i: u32, tab: Tab) -> String {
    lines(set, i, tab, &Theme::plain())
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
