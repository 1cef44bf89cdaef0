//! `agtrace show`: one trace as a span tree — step kind, model or tool, duration,
//! tokens, cost, status and a waterfall bar per row on a shared time axis — or a whole
//! session turn by turn, or one step in full; each also as JSON Lines.

use super::format::{cost, duration, pad, pad_left, timestamp, tokens, truncate, width};
use super::{Paint, Style, opt_str, status_cell, write_json_line};
use crate::model::{CostSource, Marks, NONE, Outcome, Span, Step, StepKind, Trace, TraceSet};
use crate::sanitize::{sanitize, sanitize_multiline};
use crate::semconv::messages::{Conversation, Part, conversation};
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// Options for the tree view.
#[derive(Clone, Copy, Debug)]
pub struct ShowOptions {
    /// Hide spans deeper than this (0 = roots only).
    pub max_depth: Option<u32>,
    /// Width of the waterfall bar in cells.
    pub bar_width: usize,
}

impl Default for ShowOptions {
    fn default() -> Self {
        ShowOptions {
            max_depth: None,
            bar_width: 32,
        }
    }
}

/// Short labels of a span's integrity marks.
pub fn mark_labels(m: Marks) -> Vec<&'static str> {
    let mut v = Vec::new();
    for (flag, label) in [
        (Marks::ORPHAN, "orphan"),
        (Marks::CYCLE_BROKEN, "cycle-broken"),
        (Marks::CLOCK_SKEW, "clock-skew"),
        (Marks::UNFINISHED, "unfinished"),
        (Marks::DUPLICATE, "duplicate"),
    ] {
        if m.has(flag) {
            v.push(label);
        }
    }
    v
}

/// The model (for model calls) or tool name (for tool calls) shown on a row.
pub fn model_or_tool(set: &TraceSet, step: &Step) -> String {
    let s = match step.kind {
        StepKind::Tool => set.str(step.tool_name),
        _ if !step.model.is_empty() => set.str(step.model),
        _ => set.str(step.tool_name),
    };
    sanitize(s).into_owned()
}

/// The reason shown for a failed or warned step (or its status message).
pub fn step_reason(set: &TraceSet, span: &Span, step: &Step) -> String {
    let r = set.str(step.reason);
    let r = if r.is_empty() {
        set.str(span.status_message)
    } else {
        r
    };
    sanitize(r).into_owned()
}

fn tokens_cell(step: &Step) -> String {
    if step.tokens.input.is_none() && step.tokens.output.is_none() {
        return String::new();
    }
    format!(
        "{}→{}",
        tokens(step.tokens.input),
        tokens(step.tokens.output)
    )
}

fn cost_cell(step: &Step) -> String {
    match step.cost_source {
        CostSource::None => String::new(),
        CostSource::Unknown => "?".into(),
        _ => cost(step.cost(), false, true),
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
    let spans = set.trace_spans(trace);
    let visible: Vec<u32> = spans
        .iter()
        .copied()
        .filter(|&i| {
            opts.max_depth
                .is_none_or(|d| set.spans[i as usize].depth <= d)
        })
        .collect();
    let prefixes = tree_prefixes(set, trace, &visible, style);
    let labels: Vec<String> = visible
        .iter()
        .zip(&prefixes)
        .map(|(&i, p)| format!("{p}{}", sanitize(set.str(set.spans[i as usize].name))))
        .collect();
    let name_w = labels
        .iter()
        .map(|l| width(l))
        .max()
        .unwrap_or(4)
        .clamp(4, 48);
    let models: Vec<String> = visible
        .iter()
        .map(|&i| model_or_tool(set, &set.step(i)))
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
                pad_left("COST", 8),
                pad("STATUS", status_w),
                "TIMELINE",
            )
            .trim_end(),
            Paint::Bold
        )
    )?;
    for (row, &i) in visible.iter().enumerate() {
        let s = &set.spans[i as usize];
        let step = set.step(i);
        let dur = if s.is_finished() {
            duration(s.duration_ns())
        } else {
            "?".to_owned()
        };
        let kind = format!("[{}]", step.kind.as_str());
        let mut line = format!(
            "{} {} {} {} {} {} {} {}",
            pad(&truncate(&labels[row], name_w), name_w),
            style.paint(&pad(&kind, 9), kind_paint(step.kind)),
            pad(&truncate(&models[row], model_w), model_w),
            pad_left(&dur, 8),
            pad_left(&tokens_cell(&step), 13),
            pad_left(&cost_cell(&step), 8),
            status_cell(style, step.outcome),
            style.paint(&bar(trace, s, opts.bar_width, style), Paint::Cyan),
        );
        if step.outcome != Outcome::Ok {
            let reason = step_reason(set, s, &step);
            let paint = if step.outcome == Outcome::Error {
                Paint::Red
            } else {
                Paint::Yellow
            };
            line.push(' ');
            line.push_str(&style.paint(&truncate(&reason, 80), paint));
        }
        let marks = mark_labels(s.marks);
        if !marks.is_empty() {
            line.push(' ');
            line.push_str(&style.paint(&format!("[{}]", marks.join(", ")), Paint::Yellow));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let hidden = spans.len() - visible.len();
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
        genai.push(format!(
            "tokens {} in / {} out  cost {}",
            tokens(trace.tokens.input),
            tokens(trace.tokens.output),
            cost(trace.cost(), trace.cost_is_partial(), true)
        ));
    }
    if !genai.is_empty() {
        writeln!(out, "  {}", genai.join("  "))?;
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
    writeln!(out)
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
    let (mut tin, mut tout, mut total_cost, mut errors) = (0u64, 0u64, 0.0, 0u32);
    let mut unknown = false;
    for (n, &t) in traces.iter().enumerate() {
        let tr = &set.traces[t as usize];
        tin += tr.tokens.input.unwrap_or(0);
        tout += tr.tokens.output.unwrap_or(0);
        errors += tr.error_count;
        match tr.cost() {
            Some(c) => total_cost += c,
            None if tr.billable_steps > 0 => unknown = true,
            None => {}
        }
        unknown |= tr.cost_is_partial();
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
    writeln!(
        out,
        "{} {} turns  errors {}  tokens {} in / {} out  cost {}",
        style.paint("session total:", Paint::Bold),
        traces.len(),
        errors,
        tokens(Some(tin)),
        tokens(Some(tout)),
        cost(Some(total_cost), unknown, true),
    )
}

/// Tree-drawing prefixes for the visible spans (pre-order), computed iteratively.
fn tree_prefixes(set: &TraceSet, trace: &Trace, visible: &[u32], style: &Style) -> Vec<String> {
    let (tee, elbow, pipe, blank) = if style.unicode {
        ("├─ ", "└─ ", "│  ", "   ")
    } else {
        ("|- ", "`- ", "|  ", "   ")
    };
    let roots = set.trace_roots(trace);
    // open[d] = the ancestor at depth d still has siblings below it.
    let mut open: Vec<bool> = Vec::new();
    let mut out = Vec::with_capacity(visible.len());
    for &i in visible {
        let s = &set.spans[i as usize];
        let depth = s.depth as usize;
        let is_last = if s.parent == NONE {
            roots.last() == Some(&i)
        } else {
            set.children_of(&set.spans[s.parent as usize]).last() == Some(&i)
        };
        open.truncate(depth);
        let mut p = String::new();
        if depth > 0 {
            for &o in &open[1..] {
                p.push_str(if o { pipe } else { blank });
            }
            p.push_str(if is_last { elbow } else { tee });
        }
        open.push(!is_last);
        out.push(p);
    }
    out
}

/// A waterfall bar: where the span sits inside the trace's time range.
fn bar(trace: &Trace, s: &Span, w: usize, style: &Style) -> String {
    let total = trace.duration_ns().max(1) as f64;
    let start = s.start.saturating_sub(trace.start) as f64 / total;
    let end = if s.is_finished() {
        s.end.saturating_sub(trace.start) as f64 / total
    } else {
        start
    };
    let a = ((start * w as f64).floor() as usize).min(w.saturating_sub(1));
    let b = ((end * w as f64).ceil() as usize).clamp(a + 1, w);
    let (fill, empty) = if style.unicode {
        ('█', '·')
    } else {
        ('=', '.')
    };
    let mut out = String::with_capacity(w * 3);
    out.extend(std::iter::repeat_n(empty, a));
    out.extend(std::iter::repeat_n(fill, b - a));
    out.extend(std::iter::repeat_n(empty, w - b));
    if style.unicode {
        out
    } else {
        format!("|{out}|")
    }
}

/// Writes one JSON object per span, in tree order.
pub fn write_json(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    max_depth: Option<u32>,
) -> io::Result<()> {
    for &i in set.trace_spans(trace) {
        let s = &set.spans[i as usize];
        if max_depth.is_some_and(|d| s.depth > d) {
            continue;
        }
        write_json_line(out, &span_json(set, i))?;
    }
    Ok(())
}

fn attrs_json(set: &TraceSet, attrs: &[crate::model::Attr]) -> Map<String, Value> {
    attrs
        .iter()
        .map(|a| (set.str(a.key).to_owned(), a.value.to_json(&set.strings)))
        .collect()
}

/// The JSON object for one span (field names are a stable, documented interface).
pub fn span_json(set: &TraceSet, i: u32) -> Value {
    let s = &set.spans[i as usize];
    let step = set.step(i);
    let events: Vec<Value> = set
        .span_events(s)
        .iter()
        .map(|e| json!({"name": set.str(e.name), "time_unix_nano": e.time, "attributes": attrs_json(set, &set.attrs[e.attrs.range()])}))
        .collect();
    let links: Vec<Value> = set
        .span_links(s)
        .iter()
        .map(|l| json!({"trace_id": l.trace_id.to_string(), "span_id": l.span_id.to_string(), "attributes": attrs_json(set, &set.attrs[l.attrs.range()])}))
        .collect();
    let reason = {
        let r = set.str(step.reason);
        if r.is_empty() {
            set.str(s.status_message)
        } else {
            r
        }
    };
    let finish: Vec<&str> = set
        .str(step.finish_reasons)
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    json!({
        "trace_id": s.trace_id.to_string(),
        "span_id": s.span_id.to_string(),
        "parent_span_id": (!s.parent_span_id.is_none()).then(|| s.parent_span_id.to_string()),
        "depth": s.depth,
        "name": set.str(s.name),
        "kind": step.kind.as_str(),
        "kind_source": step.kind_source,
        "span_kind": s.kind.as_str(),
        "service": set.service_of(s),
        "start_unix_nano": s.start,
        "end_unix_nano": s.end,
        "duration_ms": s.duration_ns() as f64 / 1e6,
        "status": step.outcome.as_str(),
        "status_code": s.status.as_str(),
        "status_reason": opt_str(reason),
        "model": opt_str(set.str(step.model)),
        "model_requested": opt_str(set.str(step.model_requested)),
        "provider": opt_str(set.str(step.provider)),
        "tool_name": opt_str(set.str(step.tool_name)),
        "tool_call_id": opt_str(set.str(step.tool_call_id)),
        "input_tokens": step.tokens.input,
        "output_tokens": step.tokens.output,
        "cache_read_tokens": step.tokens.cache_read,
        "cache_write_tokens": step.tokens.cache_write,
        "reasoning_tokens": step.tokens.reasoning,
        "cost_usd": step.cost(),
        "cost_source": match step.cost_source {
            CostSource::Provided => "provided",
            CostSource::Priced => "priced",
            CostSource::Unknown => "unknown",
            CostSource::None => "none",
        },
        "finish_reasons": finish,
        "session_id": opt_str(set.str(step.session)),
        "user_id": opt_str(set.str(step.user)),
        "agent_name": opt_str(set.str(step.agent_name)),
        "orphan": s.marks.has(Marks::ORPHAN),
        "marks": mark_labels(s.marks),
        "attributes": attrs_json(set, set.span_attrs(s)),
        "events": events,
        "links": links,
    })
}

/// The conversation as JSON: `{source, system, input, output}`.
pub fn conversation_json(c: &Conversation) -> Value {
    fn part(p: &Part) -> Value {
        match p {
            Part::Text(t) => json!({"type": "text", "content": t}),
            Part::Reasoning(t) => json!({"type": "reasoning", "content": t}),
            Part::ToolCall {
                id,
                name,
                arguments,
            } => json!({"type": "tool_call", "id": id, "name": name, "arguments": arguments}),
            Part::ToolResponse { id, response } => {
                json!({"type": "tool_call_response", "id": id, "response": response})
            }
            Part::Other(v) => v.clone(),
        }
    }
    let msgs = |m: &[crate::semconv::messages::Message]| -> Vec<Value> {
        m.iter()
            .map(|m| json!({"role": m.role, "parts": m.parts.iter().map(part).collect::<Vec<_>>(), "finish_reason": m.finish_reason}))
            .collect()
    };
    json!({
        "source": opt_str(c.source),
        "system": c.system.iter().map(part).collect::<Vec<_>>(),
        "input": msgs(&c.input),
        "output": msgs(&c.output),
    })
}

/// Tool arguments and result of a step, as JSON values (strings holding JSON parsed).
pub fn tool_io(set: &TraceSet, s: &Span) -> (Option<Value>, Option<Value>) {
    let get = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            set.span_attr(s, k).map(|v| match v.as_str(&set.strings) {
                Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_owned())),
                None => v.to_json(&set.strings),
            })
        })
    };
    let names = |f: crate::semconv::keys::Field| {
        crate::semconv::keys::TABLE
            .iter()
            .find(|(field, _)| *field == f)
            .map_or(&[][..], |(_, n)| *n)
    };
    let args = get(names(crate::semconv::keys::Field::ToolArgs));
    let result = get(names(crate::semconv::keys::Field::ToolResult));
    (args, result)
}

/// One step in full, as JSON: the span object plus conversation and tool I/O.
pub fn detail_json(set: &TraceSet, i: u32) -> Value {
    let s = &set.spans[i as usize];
    let mut v = span_json(set, i);
    let (args, result) = tool_io(set, s);
    if let Value::Object(o) = &mut v {
        o.insert(
            "conversation".into(),
            conversation_json(&conversation(set, s)),
        );
        o.insert("tool_arguments".into(), args.unwrap_or(Value::Null));
        o.insert("tool_result".into(), result.unwrap_or(Value::Null));
    }
    v
}

fn pretty(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn indent(text: &str, by: &str) -> String {
    sanitize_multiline(text)
        .lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One `key = value` line; multi-line values go below the key, indented.
fn write_attr_line(out: &mut impl Write, lead: &str, key: &str, v: &str) -> io::Result<()> {
    if v.contains('\n') {
        writeln!(out, "{lead}{} =\n{}", sanitize(key), indent(v, "      "))
    } else {
        writeln!(out, "{lead}{} = {}", sanitize(key), sanitize(v))
    }
}

/// Keys that belong to GenAI conventions, listed first when attributes are shown.
pub fn is_genai_key(k: &str) -> bool {
    [
        "gen_ai.",
        "llm.",
        "openinference.",
        "ai.",
        "traceloop.",
        "langsmith.",
        "langfuse.",
        "input.",
        "output.",
        "tool.",
        "retrieval.",
        "embedding.",
        "session.",
        "user.",
    ]
    .iter()
    .any(|p| k.starts_with(p))
}

/// One step in full: summary, conversation, tool call, attributes (GenAI first),
/// events (exceptions with stack traces) and links.
pub fn write_detail(out: &mut impl Write, set: &TraceSet, i: u32, style: &Style) -> io::Result<()> {
    let s = &set.spans[i as usize];
    let step = set.step(i);
    let trace = &set.traces[s.trace as usize];
    let h = |t: &str| style.paint(&format!("── {t}"), Paint::Bold);
    writeln!(
        out,
        "{} {} \"{}\"",
        style.paint("span", Paint::Bold),
        style.paint(&s.span_id.to_string(), Paint::Cyan),
        sanitize(set.str(s.name))
    )?;
    writeln!(
        out,
        "  trace {}  parent {}  depth {}",
        trace.id,
        if s.parent_span_id.is_none() {
            "-".to_owned()
        } else {
            s.parent_span_id.to_string()
        },
        s.depth
    )?;
    writeln!(
        out,
        "  kind {} (by {})  span kind {}  service \"{}\"",
        step.kind.as_str(),
        step.kind_source,
        s.kind.as_str(),
        sanitize(set.service_of(s))
    )?;
    writeln!(
        out,
        "  start {}  duration {}",
        timestamp(s.start),
        if s.is_finished() {
            duration(s.duration_ns())
        } else {
            "unfinished".into()
        }
    )?;
    let status = status_cell(style, step.outcome);
    let reason = step_reason(set, s, &step);
    writeln!(
        out,
        "  status {}{}",
        status.trim_end(),
        if reason.is_empty() {
            String::new()
        } else {
            format!(": {reason}")
        }
    )?;
    if !step.model.is_empty() || !step.model_requested.is_empty() {
        writeln!(
            out,
            "  model {} (requested {})  provider {}",
            sanitize(set.str(step.model)),
            sanitize(set.str(step.model_requested)),
            sanitize(set.str(step.provider))
        )?;
    }
    if !step.tokens.is_empty() {
        let t = &step.tokens;
        writeln!(
            out,
            "  tokens in {} (cache read {}, cache write {})  out {} (reasoning {})",
            tokens(t.input),
            tokens(t.cache_read),
            tokens(t.cache_write),
            tokens(t.output),
            tokens(t.reasoning)
        )?;
    }
    if step.cost_source != CostSource::None {
        let how = match step.cost_source {
            CostSource::Provided => "provided by the span",
            CostSource::Priced => "priced from the price table",
            _ => "unknown: no cost on the span and no price for this model",
        };
        writeln!(
            out,
            "  cost {} ({how}){}",
            cost_cell(&step),
            if step.billable_leaf {
                ""
            } else {
                "  not added to the trace total (not a leaf model call)"
            }
        )?;
    }
    if !step.finish_reasons.is_empty() {
        writeln!(
            out,
            "  finish reasons {}",
            sanitize(set.str(step.finish_reasons))
        )?;
    }
    let ids: Vec<String> = [
        ("session", step.session),
        ("user", step.user),
        ("agent", step.agent_name),
        ("tool", step.tool_name),
        ("tool call", step.tool_call_id),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k} {}", sanitize(set.str(*v))))
    .collect();
    if !ids.is_empty() {
        writeln!(out, "  {}", ids.join("  "))?;
    }

    let conv = conversation(set, s);
    if !conv.is_empty() {
        writeln!(out, "\n{} (from {})", h("messages"), conv.source)?;
        if !conv.system.is_empty() {
            write_parts(out, "system", &conv.system, style)?;
        }
        for m in &conv.input {
            write_parts(out, &m.role, &m.parts, style)?;
        }
        for m in &conv.output {
            let role = match &m.finish_reason {
                Some(f) => format!("{} (finish: {f})", m.role),
                None => m.role.clone(),
            };
            write_parts(out, &role, &m.parts, style)?;
        }
    }
    let (args, result) = tool_io(set, s);
    if args.is_some() || result.is_some() {
        writeln!(out, "\n{}", h("tool call"))?;
        if let Some(a) = args {
            writeln!(out, "  arguments:\n{}", indent(&pretty(&a), "    "))?;
        }
        match result {
            Some(r) => writeln!(out, "  result:\n{}", indent(&pretty(&r), "    "))?,
            None => writeln!(out, "  result: (none recorded)")?,
        }
    }
    let attrs = set.span_attrs(s);
    writeln!(out, "\n{} ({})", h("attributes"), attrs.len())?;
    let mut ordered: Vec<_> = attrs.iter().collect();
    ordered.sort_by_key(|a| !is_genai_key(set.str(a.key)));
    for a in ordered {
        let v = a.value.display(&set.strings);
        let v = match serde_json::from_str::<Value>(&v) {
            Ok(j @ (Value::Object(_) | Value::Array(_))) if v.len() > 60 => pretty(&j),
            _ => v,
        };
        write_attr_line(out, "  ", set.str(a.key), &v)?;
    }
    let events = set.span_events(s);
    if !events.is_empty() {
        writeln!(out, "\n{} ({})", h("events"), events.len())?;
        for e in events {
            writeln!(
                out,
                "  {} {}",
                timestamp(e.time),
                style.paint(
                    &sanitize(set.str(e.name)),
                    if set.str(e.name) == "exception" {
                        Paint::Red
                    } else {
                        Paint::Bold
                    }
                )
            )?;
            for a in &set.attrs[e.attrs.range()] {
                write_attr_line(out, "    ", set.str(a.key), &a.value.display(&set.strings))?;
            }
        }
    }
    let links = set.span_links(s);
    if !links.is_empty() {
        writeln!(out, "\n{} ({})", h("links"), links.len())?;
        for l in links {
            writeln!(out, "  trace {} span {}", l.trace_id, l.span_id)?;
        }
    }
    Ok(())
}

fn write_parts(out: &mut impl Write, role: &str, parts: &[Part], style: &Style) -> io::Result<()> {
    let label = style.paint(
        &format!(
            "[{}]",
            sanitize(if role.is_empty() { "message" } else { role })
        ),
        Paint::Bold,
    );
    if parts.is_empty() {
        return writeln!(out, "  {label} (empty)");
    }
    for p in parts {
        match p {
            Part::Text(t) => writeln!(out, "  {label}\n{}", indent(t, "    "))?,
            Part::Reasoning(t) => writeln!(out, "  {label} (reasoning)\n{}", indent(t, "    "))?,
            Part::ToolCall {
                id,
                name,
                arguments,
            } => writeln!(
                out,
                "  {label} → tool call {} ({})\n{}",
                style.paint(&sanitize(name), Paint::Yellow),
                sanitize(id.as_deref().unwrap_or("-")),
                indent(&pretty(arguments), "    ")
            )?,
            Part::ToolResponse { id, response } => writeln!(
                out,
                "  {label} ← tool result ({})\n{}",
                sanitize(id.as_deref().unwrap_or("-")),
                indent(&pretty(response), "    ")
            )?,
            Part::Other(v) => writeln!(out, "  {label}\n{}", indent(&pretty(v), "    "))?,
        }
    }
    Ok(())
}
