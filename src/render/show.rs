//! `agtrace show`: one trace as a span tree — step kind, model or tool, duration,
//! tokens, cost, status and a waterfall bar per row on a shared time axis — or a whole
//! session turn by turn, or one step in full; each also as JSON Lines.

use super::cells::{BarGlyphs, bar, duration_cell, model_or_tool, row_cells};
use super::{Paint, Style, status_cell, write_json_line};
use crate::analysis::detail::{DetailLine, SectionKind, StepDetail, Tone, step_reason};
use crate::analysis::json::span_json;
use crate::analysis::outline::TraceOutline;
use crate::analysis::totals::TraceTotals;
use crate::format::{cost, duration, pad, pad_left, timestamp, tokens, truncate, width};
use crate::model::{Outcome, StepKind, Trace, TraceSet};
use crate::sanitize::sanitize;
use std::io::{self, Write};

/// Options for the tree view.
#[derive(Clone, Copy, Debug)]
pub struct ShowOptions {
    /// Hide spans deeper than this (0 = roots only).
    pub max_depth: Option<u32>,
    /// Width of the waterfall bar in cells.
    pub bar_width: usize,
    /// The agent view: plumbing folded into its nearest step.
    pub agent: bool,
}

impl Default for ShowOptions {
    fn default() -> Self {
        ShowOptions {
            max_depth: None,
            bar_width: 32,
            agent: false,
        }
    }
}

/// Writes the header and the tree.
pub fn write_tree(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    style: &Style,
    opts: &ShowOptions,
) -> io::Result<()> {
    write_header(out, set, trace, style)?;
    write_rows(out, set, trace, style, opts)
}

fn write_rows(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    style: &Style,
    opts: &ShowOptions,
) -> io::Result<()> {
    let t = set.trace_index.get(&trace.id).copied().unwrap_or(0);
    let outline = TraceOutline::build(set, t);
    let (agent_keep, folded) = if opts.agent {
        crate::analysis::agentview::fold(set, &outline)
    } else {
        (Vec::new(), Vec::new())
    };
    let visible: Vec<usize> = (0..outline.order.len())
        .filter(|&p| opts.max_depth.is_none_or(|d| outline.depth[p] <= d))
        .filter(|&p| agent_keep.get(p).copied().unwrap_or(true))
        .collect();
    let prefixes = tree_prefixes(&outline, &visible, style);
    let labels: Vec<String> = visible
        .iter()
        .zip(&prefixes)
        .map(|(&p, pre)| {
            let i = outline.order[p];
            let mut label = format!("{pre}{}", sanitize(set.str(set.spans[i as usize].name)));
            if let Some(&n) = folded.get(p).filter(|&&n| n > 0) {
                label.push_str(&format!(" (+{n} infra)"));
            }
            label
        })
        .collect();
    let name_w = labels
        .iter()
        .map(|l| width(l))
        .max()
        .unwrap_or(4)
        .clamp(4, 48);
    let models: Vec<String> = visible
        .iter()
        .map(|&p| model_or_tool(set, &set.step(outline.order[p])))
        .collect();
    let model_w = models
        .iter()
        .map(|m| width(m))
        .max()
        .unwrap_or(0)
        .clamp(10, 28);
    let status_w = if style.unicode { 9 } else { 7 };
    writeln!(
        out,
        "{}",
        style.paint(
            format!(
                "{} {} {} {} {} {} {} {}",
                pad("SPAN", name_w),
                pad("KIND", 9),
                pad("MODEL/TOOL", model_w),
                pad_left("DURATION", 8),
                pad_left("TOKENS", 13),
                pad_left("COST", 9),
                pad("STATUS", status_w),
                "TIMELINE",
            )
            .trim_end(),
            Paint::Bold
        )
    )?;
    let glyphs = if style.unicode {
        BarGlyphs {
            fill: '█',
            empty: '·',
        }
    } else {
        BarGlyphs {
            fill: '=',
            empty: '.',
        }
    };
    for (row, &p) in visible.iter().enumerate() {
        let i = outline.order[p];
        let s = &set.spans[i as usize];
        let step = set.step(i);
        let kind = format!("[{}]", step.kind.as_str());
        let (tok, cst) = row_cells(&step, &outline.totals[p], false);
        let mut timeline = bar(trace, s, opts.bar_width, glyphs);
        if !style.unicode {
            timeline = format!("|{timeline}|");
        }
        let mut line = format!(
            "{} {} {} {} {} {} {} {}",
            pad(&truncate(&labels[row], name_w), name_w),
            style.paint(&pad(&kind, 9), kind_paint(step.kind)),
            pad(&truncate(&models[row], model_w), model_w),
            pad_left(&duration_cell(s), 8),
            pad_left(&tok, 13),
            pad_left(&cst, 9),
            status_cell(style, step.outcome),
            style.paint(&timeline, Paint::Cyan),
        );
        if step.outcome != Outcome::Ok {
            let reason = sanitize(step_reason(set, s, &step)).into_owned();
            let paint = if step.outcome == Outcome::Error {
                Paint::Red
            } else {
                Paint::Yellow
            };
            line.push(' ');
            line.push_str(&style.paint(&truncate(&reason, 80), paint));
        }
        let marks = s.marks.labels();
        if !marks.is_empty() {
            line.push(' ');
            line.push_str(&style.paint(&format!("[{}]", marks.join(", ")), Paint::Yellow));
        }
        for e in crate::analysis::evaluation::of_span(set, i) {
            line.push(' ');
            line.push_str(&style.paint(
                &format!("[eval {}]", crate::analysis::evaluation::short(&e)),
                Paint::Cyan,
            ));
        }
        let badge = crate::analysis::findings::badge(set, i);
        if !badge.is_empty() {
            let mark = if style.unicode { "◆" } else { "*" };
            line.push(' ');
            line.push_str(&style.paint(&format!("{mark} {badge}"), Paint::Magenta));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let infra: u32 = folded.iter().sum();
    if infra > 0 {
        writeln!(
            out,
            "{}",
            style.paint(
                &format!("({infra} plumbing spans folded into their steps by --agent)"),
                Paint::Dim
            )
        )?;
    }
    let hidden = (outline.order.len() - visible.len()).saturating_sub(infra as usize);
    if hidden > 0 {
        writeln!(
            out,
            "{}",
            style.paint(
                &format!("({hidden} deeper spans hidden by --depth)"),
                Paint::Dim
            )
        )?;
    }
    Ok(())
}

fn kind_paint(k: StepKind) -> Paint {
    match k {
        StepKind::Agent | StepKind::Chain => Paint::Bold,
        StepKind::Llm => Paint::Cyan,
        StepKind::Tool => Paint::Yellow,
        StepKind::Other => Paint::Dim,
        _ => Paint::Green,
    }
}

fn write_header(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    style: &Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{} {}  {}",
        style.paint("trace", Paint::Bold),
        style.paint(&trace.id.to_string(), Paint::Cyan),
        status_cell(style, trace.outcome()).trim_end(),
    )?;
    writeln!(
        out,
        "  root \"{}\"  service \"{}\"  start {}  duration {}  spans {}  errors {}  warnings {}",
        sanitize(set.str(trace.root_name)),
        sanitize(set.str(trace.service)),
        timestamp(trace.start),
        duration(trace.duration_ns()),
        trace.span_count,
        trace.error_count,
        trace.warning_count,
    )?;
    let read: Vec<String> = set
        .trace_sources(trace)
        .into_iter()
        .map(|s| {
            let name = sanitize(set.sources.get(s as usize).map_or("", String::as_str));
            match set.source_format(s) {
                "" => name.into_owned(),
                f => format!("{name} ({f})"),
            }
        })
        .collect();
    if !read.is_empty() {
        writeln!(out, "  read from {}", read.join(", "))?;
    }
    let mut genai = Vec::new();
    if !trace.agent_name.is_empty() {
        genai.push(format!("agent \"{}\"", sanitize(set.str(trace.agent_name))));
    }
    if !trace.session.is_empty() {
        genai.push(format!("session \"{}\"", sanitize(set.str(trace.session))));
    }
    if trace.llm_calls + trace.tool_calls > 0 {
        genai.push(format!(
            "llm calls {}  tool calls {}",
            trace.llm_calls, trace.tool_calls
        ));
    }
    if trace.billable_steps > 0 {
        let origin = trace
            .cost_sources()
            .map(|s| {
                format!(
                    " ({})",
                    crate::analysis::totals::cost_origin(s, &set.prices_as_of)
                )
            })
            .unwrap_or_default();
        genai.push(format!(
            "tokens {} in / {} out  cost {}{origin}",
            tokens(trace.tokens.input),
            tokens(trace.tokens.output),
            cost(trace.cost(), trace.cost_is_partial(), true)
        ));
    }
    if !genai.is_empty() {
        writeln!(out, "  {}", genai.join("  "))?;
    }
    if let Some(&t) = set.trace_index.get(&trace.id) {
        let split = crate::analysis::steptime::time_by_kind(set, t);
        if split.len() > 1 {
            writeln!(
                out,
                "  time by step kind (own time): {}",
                crate::analysis::steptime::time_split_line(&split)
            )?;
        }
    }
    let ig = &trace.integrity;
    if !ig.is_clean() {
        let mut parts = Vec::new();
        for (n, what) in [
            (ig.orphans as u64, "orphans (parent missing)"),
            (ig.cycles as u64, "parent cycles broken"),
            (ig.clock_skew as u64, "clock skew (outside the parent)"),
            (ig.unfinished as u64, "unfinished"),
            (ig.duplicates as u64, "received more than once"),
            (
                ig.dropped,
                "attributes/events/links dropped by the producer",
            ),
        ] {
            if n > 0 {
                parts.push(format!("{what}: {n}"));
            }
        }
        writeln!(
            out,
            "  {}",
            style.paint(&format!("integrity: {}", parts.join("; ")), Paint::Yellow)
        )?;
    }
    write_findings(out, set, trace, style)?;
    writeln!(out)
}

/// The findings block: one line per finding, most severe first, with the span to look
/// at.
fn write_findings(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    style: &Style,
) -> io::Result<()> {
    use crate::model::Severity;
    let Some(&t) = set.trace_index.get(&trace.id) else {
        return Ok(());
    };
    let fs = crate::analysis::findings::of_trace(set, t).unwrap_or_default();
    if fs.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "  {}",
        style.paint(&format!("findings ({}):", fs.len()), Paint::Bold)
    )?;
    for f in fs {
        let (glyph, paint) = match f.severity {
            Severity::Error => (if style.unicode { "✗" } else { "x" }, Paint::Red),
            Severity::Warning => (if style.unicode { "▲" } else { "!" }, Paint::Yellow),
            Severity::Info => (if style.unicode { "·" } else { "-" }, Paint::Dim),
        };
        let at = f
            .spans
            .first()
            .and_then(|&i| set.spans.get(i as usize))
            .map(|s| format!("  → span {}", s.span_id))
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {} {}{}",
            style.paint(&format!("{glyph} {:<8}", f.severity.as_str()), paint),
            style.paint(&format!("{:<24}", f.kind.as_str()), Paint::Bold),
            sanitize(&f.message),
            style.paint(&at, Paint::Dim),
        )?;
    }
    Ok(())
}

/// Every trace of a session in time order, each with its per-turn totals and tree,
/// then the session's totals.
pub fn write_session(
    out: &mut impl Write,
    set: &TraceSet,
    traces: &[u32],
    session: &str,
    style: &Style,
    opts: &ShowOptions,
) -> io::Result<()> {
    writeln!(
        out,
        "{} \"{}\"  {} turns",
        style.paint("session", Paint::Bold),
        sanitize(session),
        traces.len()
    )?;
    writeln!(out)?;
    for (n, &t) in traces.iter().enumerate() {
        let tr = &set.traces[t as usize];
        writeln!(
            out,
            "{} {}  {}  {}  {}  tokens {}/{}  cost {}",
            style.paint(&format!("── turn {}", n + 1), Paint::Bold),
            timestamp(tr.start),
            status_cell(style, tr.outcome()).trim_end(),
            duration(tr.duration_ns()),
            sanitize(set.str(tr.display_name())),
            tokens(tr.tokens.input),
            tokens(tr.tokens.output),
            cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
        )?;
        write_header(out, set, tr, style)?;
        write_rows(out, set, tr, style, opts)?;
        writeln!(out)?;
    }
    let total = TraceTotals::of(set, traces.iter().copied());
    writeln!(
        out,
        "{} {} turns  errors {}  tokens {} in / {} out  cost {}",
        style.paint("session total:", Paint::Bold),
        traces.len(),
        total.errors,
        tokens(Some(total.input_tokens)),
        tokens(Some(total.output_tokens)),
        cost(total.cost(), total.cost_is_partial(), total.billable > 0),
    )
}

/// Tree-drawing prefixes for the visible positions (pre-order), computed iteratively.
/// Tree levels drawn before a row's name; deeper rows show their depth instead.
const MAX_INDENT_LEVELS: usize = 8;

fn tree_prefixes(outline: &TraceOutline, visible: &[usize], style: &Style) -> Vec<String> {
    let (tee, elbow, pipe, blank) = if style.unicode {
        ("├─ ", "└─ ", "│  ", "   ")
    } else {
        ("|- ", "`- ", "|  ", "   ")
    };
    // Last among the visible rows: no later visible row at its depth before a
    // shallower one (a folded or hidden sibling does not count).
    let mut last = vec![false; visible.len()];
    let mut later: Vec<bool> = Vec::new();
    for (k, &p) in visible.iter().enumerate().rev() {
        let d = outline.depth[p] as usize;
        if later.len() <= d {
            later.resize(d + 1, false);
        }
        last[k] = !later[d];
        later[d] = true;
        later.truncate(d + 1);
    }
    // open[d] = the ancestor at depth d still has siblings below it.
    let mut open: Vec<bool> = Vec::new();
    let mut out = Vec::with_capacity(visible.len());
    for (k, &p) in visible.iter().enumerate() {
        let depth = outline.depth[p] as usize;
        let is_last = last[k];
        open.truncate(depth);
        let mut pre = String::new();
        if depth > 0 {
            // Deeper than the column can show: the depth as a number, then only the
            // innermost levels, so a row costs the same at depth 10 or 100,000.
            let from = if depth > MAX_INDENT_LEVELS {
                pre.push_str(&format!(
                    "{}{depth} ",
                    if style.unicode { "⋯" } else { ".." }
                ));
                depth - MAX_INDENT_LEVELS
            } else {
                1
            };
            for &o in open.get(from..).unwrap_or_default() {
                pre.push_str(if o { pipe } else { blank });
            }
            pre.push_str(if is_last { elbow } else { tee });
        }
        open.push(!is_last);
        out.push(pre);
    }
    out
}

/// The transcript of trace `t`: the header, then every message once.
pub fn write_transcript(
    out: &mut impl Write,
    set: &TraceSet,
    t: u32,
    style: &Style,
) -> io::Result<()> {
    let tr = &set.traces[t as usize];
    write_header(out, set, tr, style)?;
    let lines = crate::analysis::detail::transcript_lines(set, t, None);
    if lines.is_empty() {
        writeln!(out, "no messages or tool calls recorded in this trace")?;
    }
    for line in &lines {
        write_line(out, "", line, style)?;
    }
    Ok(())
}

/// Writes one JSON object per span, in tree order. With `opts.agent`, the agent
/// view's spans only (plumbing folded into its nearest step, which says how many it
/// holds in `folded_spans`), as the text tree shows them.
pub fn write_json(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    opts: &ShowOptions,
) -> io::Result<()> {
    if opts.agent {
        let t = set.trace_index.get(&trace.id).copied().unwrap_or(0);
        let outline = TraceOutline::build(set, t);
        let (keep, folded) = crate::analysis::agentview::fold(set, &outline);
        for (p, &i) in outline.order.iter().enumerate() {
            if !keep.get(p).copied().unwrap_or(true)
                || opts.max_depth.is_some_and(|d| outline.depth[p] > d)
            {
                continue;
            }
            let mut v = span_json(set, i);
            if let serde_json::Value::Object(o) = &mut v {
                o.insert(
                    "folded_spans".into(),
                    folded.get(p).copied().unwrap_or(0).into(),
                );
            }
            write_json_line(out, &v)?;
        }
        return Ok(());
    }
    for &i in set.trace_spans(trace) {
        let s = &set.spans[i as usize];
        if opts.max_depth.is_some_and(|d| s.depth > d) {
            continue;
        }
        write_json_line(out, &span_json(set, i))?;
    }
    Ok(())
}

fn tone_paint(t: Tone) -> Option<Paint> {
    match t {
        Tone::Plain => None,
        Tone::Title | Tone::Role => Some(Paint::Bold),
        Tone::Label => Some(Paint::Cyan),
        Tone::Dim => Some(Paint::Dim),
        Tone::Outcome(Outcome::Error) | Tone::Error => Some(Paint::Red),
        Tone::Outcome(Outcome::Warning) | Tone::Warning | Tone::Tool => Some(Paint::Yellow),
        Tone::Outcome(Outcome::Ok) => Some(Paint::Green),
    }
}

fn write_line(
    out: &mut impl Write,
    indent: &str,
    line: &DetailLine,
    style: &Style,
) -> io::Result<()> {
    let mut text = indent.to_owned();
    for (tone, piece) in &line.0 {
        match tone_paint(*tone) {
            Some(p) => text.push_str(&style.paint(piece, p)),
            None => text.push_str(piece),
        }
    }
    writeln!(out, "{}", text.trim_end())
}

/// One step in full: the sections of [`StepDetail`] (the explorer's detail tabs) as
/// text, the summary first and each other non-empty section under a heading; the Raw
/// section is what `--json` prints.
pub fn write_detail(out: &mut impl Write, set: &TraceSet, i: u32, style: &Style) -> io::Result<()> {
    let detail = StepDetail::build(set, i);
    for section in &detail.sections {
        match section.kind {
            SectionKind::Raw | SectionKind::Transcript => continue,
            SectionKind::Summary => {}
            _ if section.empty => continue,
            kind => {
                let heading = match section.count {
                    Some(n) => format!("── {} ({n})", kind.heading()),
                    None => format!("── {}", kind.heading()),
                };
                writeln!(out)?;
                writeln!(out, "{}", style.paint(&heading, Paint::Bold))?;
            }
        }
        // Sections under a heading are indented; the summary starts at the margin.
        let indent = if section.kind == SectionKind::Summary {
            ""
        } else {
            "  "
        };
        for line in &section.lines {
            write_line(out, indent, line, style)?;
        }
    }
    Ok(())
}
