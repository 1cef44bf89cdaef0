//! The incident summary as Markdown, ready to paste into an incident channel or a bug
//! report: what failed and where (the failure origin and its reason, the findings),
//! the path from the root to it, duration, tokens and cost with their source, the
//! ids, the tool call's arguments and result, and the commands that reopen it.
//! Every string from the trace is sanitized, escaped for Markdown and, unless the
//! caller passes no redactor, redacted.

use crate::analysis::outline::TraceOutline;
use crate::format;
use crate::model::{Outcome, StepKind, TraceSet};
use crate::redact::Redactor;
use crate::sanitize::sanitize;
use std::fmt::Write as _;

/// What the summary is of, and how to reopen it.
pub struct SummaryRequest<'a> {
    /// The trace (index in the set).
    pub trace: u32,
    /// A subtree to summarize instead of the whole trace (arena index of its top).
    pub subtree: Option<u32>,
    /// Masks secrets and content; `None` shows the trace as it is.
    pub redactor: Option<&'a Redactor>,
    /// How the sources were named on the command line (for the reopen commands).
    pub sources: &'a str,
}

/// Untrusted text for Markdown prose: sanitized, redacted, one line, and with the
/// characters that would format or link escaped.
fn prose(s: &str, r: Option<&Redactor>) -> String {
    let one_line = one_line(s, r);
    let mut out = String::with_capacity(one_line.len());
    for c in one_line.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '~' | '(' | ')'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Untrusted text for an inline code span: sanitized, redacted, one line; a code
/// span shows backslashes as they are, so backticks become quotes instead.
fn code(s: &str, r: Option<&Redactor>) -> String {
    one_line(s, r).replace('`', "'")
}

/// Untrusted text redacted (when asked), sanitized and on one line.
fn one_line(s: &str, r: Option<&Redactor>) -> String {
    let red = match r {
        Some(r) => r.text(s),
        None => std::borrow::Cow::Borrowed(s),
    };
    sanitize(&red).replace(['\n', '\r'], " ")
}

/// A fenced block whose fence is longer than any backtick run inside.
fn fenced(out: &mut String, lang: &str, body: &str) {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{fence}{lang}");
    let _ = writeln!(
        out,
        "{}",
        crate::sanitize::sanitize_multiline(body).trim_end()
    );
    let _ = writeln!(out, "{fence}");
}

fn step_line(set: &TraceSet, i: u32, r: Option<&Redactor>) -> String {
    let s = &set.spans[i as usize];
    let step = set.step(i);
    let mut line = format!("**{}** ({}", prose(set.str(s.name), r), step.kind.as_str());
    if !step.tool_name.is_empty() && step.kind == StepKind::Tool {
        let _ = write!(line, ", tool `{}`", code(set.str(step.tool_name), r));
    } else if !step.model.is_empty() {
        let _ = write!(line, ", model `{}`", code(set.str(step.model), r));
    }
    let _ = write!(
        line,
        ", {}, span `{}`)",
        format::duration(s.duration_ns()),
        s.span_id
    );
    line
}

/// The tool arguments or result of span `i`, as the redactor allows, pretty-printed
/// when JSON.
fn tool_payload(set: &TraceSet, i: u32, keys: &[&str], r: Option<&Redactor>) -> Option<String> {
    let s = &set.spans[i as usize];
    let (key, v) = keys
        .iter()
        .find_map(|k| set.span_attr(s, k).map(|v| (*k, v)))?;
    let raw = match v.as_str(&set.strings) {
        Some(t) => t.to_owned(),
        None => v.to_json(&set.strings).to_string(),
    };
    let shown = match r {
        Some(r) => r.value(key, &raw).into_owned(),
        None => raw,
    };
    Some(
        serde_json::from_str::<serde_json::Value>(&shown)
            .ok()
            .and_then(|j| serde_json::to_string_pretty(&j).ok())
            .unwrap_or(shown),
    )
}

fn count(n: u32, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The summary, as Markdown.
pub fn summary(set: &TraceSet, req: &SummaryRequest<'_>) -> String {
    let r = req.redactor;
    let Some(trace) = set.traces.get(req.trace as usize) else {
        return String::new();
    };
    let outline = TraceOutline::build(set, req.trace);
    let top = req.subtree.unwrap_or(trace.root);
    // The whole trace is every span of it, orphaned roots included; a subtree is
    // the span's own.
    let in_scope = |i: u32| {
        let Some(b) = outline.position(i) else {
            return false;
        };
        let Some(top) = req.subtree else {
            return true;
        };
        outline
            .position(top)
            .is_some_and(|a| b >= a && b < outline.subtree_end[a] as usize)
    };
    let mut out = String::new();
    let outcome = match trace.outcome() {
        Outcome::Error => "failed",
        Outcome::Warning => "warning",
        Outcome::Ok => "ok",
    };
    let title = if req.subtree.is_some() {
        format!(
            "{} (a step of {})",
            prose(set.str(set.spans[top as usize].name), r),
            prose(set.str(trace.display_name()), r)
        )
    } else {
        prose(set.str(trace.display_name()), r)
    };
    let _ = writeln!(out, "## agtrace: {title} — {outcome}\n");
    // The numbers.
    let id = trace.id.listed();
    let mut facts = vec![format!("**trace** `{id}`")];
    for (label, sym) in [
        ("service", trace.service),
        ("session", trace.session),
        ("user", trace.user),
        ("agent", trace.agent_name),
    ] {
        if !sym.is_empty() {
            facts.push(format!("**{label}** {}", prose(set.str(sym), r)));
        }
    }
    let _ = writeln!(out, "- {}", facts.join(" · "));
    let top_span = &set.spans[top as usize];
    let (dur, start) = if req.subtree.is_some() {
        (top_span.duration_ns(), top_span.start)
    } else {
        (trace.duration_ns(), trace.start)
    };
    let totals = outline.totals_of(top);
    let counts = if req.subtree.is_some() {
        format!("**spans** {} in this step", totals.spans)
    } else {
        format!(
            "**spans** {} ({}, {}) · **errors** {} · **warnings** {}",
            trace.span_count,
            count(trace.llm_calls, "LLM call"),
            count(trace.tool_calls, "tool call"),
            trace.error_count,
            trace.warning_count
        )
    };
    let _ = writeln!(
        out,
        "- **started** {} UTC · **duration** {} · {counts}",
        format::timestamp(start),
        format::duration(dur),
    );
    let cost_src = match trace.cost_sources() {
        Some(src) if req.subtree.is_none() => format!(
            " ({})",
            crate::analysis::totals::cost_origin(src, &set.prices_as_of)
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "- **tokens** {} in / {} out · **cost** {}{}",
        format::tokens(Some(totals.input_tokens)),
        format::tokens(Some(totals.output_tokens)),
        format::cost(totals.cost(), totals.cost_is_partial(), totals.billable > 0),
        cost_src
    );
    // What failed.
    let origins: Vec<_> = outline
        .origins
        .iter()
        .filter(|o| in_scope(o.span))
        .collect();
    let explaining = outline.explaining_span(set).filter(|&i| in_scope(i));
    if !origins.is_empty() {
        let _ = writeln!(out, "\n### What failed\n");
        for o in origins.iter().take(10) {
            let step = set.step(o.span);
            let span = &set.spans[o.span as usize];
            let reason = crate::analysis::detail::step_reason(set, span, &step);
            let _ = write!(out, "- {}", step_line(set, o.span, r));
            if !reason.is_empty() {
                let _ = write!(out, ": {}", prose(reason, r));
            }
            let _ = writeln!(out);
            if !o.propagated_to.is_empty() {
                let names: Vec<String> = o
                    .propagated_to
                    .iter()
                    .map(|&p| prose(set.str(set.spans[p as usize].name), r))
                    .collect();
                let _ = writeln!(out, "  - propagated to: {}", names.join(" → "));
            }
        }
        if origins.len() > 10 {
            let _ = writeln!(out, "- … and {} more failure origins", origins.len() - 10);
        }
    }
    // The path from the top to the step that explains the outcome.
    if let Some(target) = explaining {
        let mut path = vec![target];
        let mut at = set.spans[target as usize].parent;
        while at != crate::model::NONE && path.len() < 64 {
            path.push(at);
            if at == top {
                break;
            }
            at = set.spans[at as usize].parent;
        }
        path.reverse();
        let _ = writeln!(out, "\n### Path to it\n");
        for (d, &i) in path.iter().enumerate() {
            let mark = match set.step(i).outcome {
                Outcome::Error => " ✗",
                Outcome::Warning => " ⚠",
                Outcome::Ok => "",
            };
            let _ = writeln!(out, "{}. {}{}", d + 1, step_line(set, i, r), mark);
        }
    }
    // Findings.
    if let Some(found) = crate::analysis::findings::of_trace(set, req.trace) {
        let shown: Vec<_> = found
            .iter()
            .filter(|f| f.spans.first().is_none_or(|&s| in_scope(s)))
            .collect();
        if !shown.is_empty() {
            let _ = writeln!(out, "\n### Findings\n");
            for f in shown.iter().take(20) {
                let at = f
                    .spans
                    .first()
                    .map(|&s| format!(" (span `{}`)", set.spans[s as usize].span_id))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- **{}** {}: {}{}",
                    f.severity.as_str(),
                    f.kind.short(),
                    prose(&f.message, r),
                    at
                );
            }
            if shown.len() > 20 {
                let _ = writeln!(out, "- … and {} more", shown.len() - 20);
            }
        }
    }
    // The tool call at the heart of it: the explaining step when it is a tool, else
    // the first failed tool in scope.
    let tool = explaining
        .filter(|&i| set.step(i).kind == StepKind::Tool)
        .or_else(|| {
            outline.order.iter().copied().find(|&i| {
                in_scope(i)
                    && set.step(i).kind == StepKind::Tool
                    && set.step(i).outcome != Outcome::Ok
            })
        });
    if let Some(t) = tool {
        use crate::semconv::keys::{Field, names_of};
        let _ = writeln!(
            out,
            "\n### Tool call: `{}`\n",
            code(set.str(set.step(t).tool_name), r)
        );
        for (label, field) in [
            ("Arguments", Field::ToolArgs),
            ("Result", Field::ToolResult),
        ] {
            match tool_payload(set, t, names_of(field), r) {
                Some(body) => {
                    let _ = writeln!(out, "{label}:\n");
                    fenced(&mut out, "json", &body);
                    let _ = writeln!(out);
                }
                None => {
                    let _ = writeln!(out, "{label}: _none recorded_\n");
                }
            }
        }
    }
    // Reopen.
    let short = id.get(..id.len().min(16)).unwrap_or(&id);
    let _ = writeln!(out, "\n### Reopen\n");
    let mut cmds = format!("agtrace open {} --trace {short}\n", req.sources);
    if let Some(t) = explaining.or(req.subtree) {
        let _ = writeln!(
            cmds,
            "agtrace show {} {short} --detail {}",
            req.sources, set.spans[t as usize].span_id
        );
    }
    fenced(&mut out, "sh", &cmds);
    if let Some(r) = r {
        let _ = writeln!(
            out,
            "\n_Redacted by agtrace: secrets and personal data masked{}._",
            if r.keeps_content() {
                ""
            } else {
                "; message and tool content replaced by placeholders"
            }
        );
    }
    out
}
