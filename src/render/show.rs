//! `agtrace show`: one trace as a span tree with a waterfall bar per row on a shared
//! time axis, or as JSON Lines (one object per span).

use super::format::{duration, pad, pad_left, timestamp, truncate, width};
use super::{Paint, Style, sanitize, status_cell};
use crate::model::{Marks, NONE, Outcome, Span, StatusCode, Trace, TraceSet};
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
            bar_width: 40,
        }
    }
}

/// The span's own outcome.
pub fn span_outcome(s: &Span) -> Outcome {
    if s.status == StatusCode::Error {
        Outcome::Error
    } else {
        Outcome::Ok
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

/// Writes the header and the tree.
pub fn write_tree(
    out: &mut impl Write,
    set: &TraceSet,
    trace: &Trace,
    style: &Style,
    opts: &ShowOptions,
) -> io::Result<()> {
    write_header(out, set, trace, style)?;
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
        .clamp(4, 60);
    writeln!(
        out,
        "{}",
        style.paint(
            format!(
                "{} {} {} {} {}",
                pad("SPAN", name_w),
                pad("KIND", 11),
                pad_left("DURATION", 8),
                pad("STATUS", if style.unicode { 9 } else { 7 }),
                "TIMELINE",
            )
            .trim_end(),
            Paint::Bold
        )
    )?;
    for (row, &i) in visible.iter().enumerate() {
        let s = &set.spans[i as usize];
        let dur = if s.is_finished() {
            duration(s.duration_ns())
        } else {
            "?".to_owned()
        };
        let mut line = format!(
            "{} {} {} {} {}",
            pad(&truncate(&labels[row], name_w), name_w),
            pad(s.kind.as_str(), 11),
            pad_left(&dur, 8),
            status_cell(style, span_outcome(s)),
            style.paint(&bar(trace, s, opts.bar_width, style), Paint::Cyan),
        );
        if s.status == StatusCode::Error {
            let msg = sanitize(set.str(s.status_message));
            let reason = if msg.is_empty() {
                "status ERROR".into()
            } else {
                msg
            };
            line.push(' ');
            line.push_str(&style.paint(&truncate(&reason, 80), Paint::Red));
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
        "  root \"{}\"  service \"{}\"  start {}  duration {}  spans {}  errors {}",
        sanitize(set.str(trace.root_name)),
        sanitize(set.str(trace.service)),
        timestamp(trace.start),
        duration(trace.duration_ns()),
        trace.span_count,
        trace.error_count,
    )?;
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
        super::write_json_line(out, &span_json(set, s))?;
    }
    Ok(())
}

/// The JSON object for one span (field names are a stable, documented interface).
pub fn span_json(set: &TraceSet, s: &Span) -> Value {
    let attrs: Map<String, Value> = set
        .span_attrs(s)
        .iter()
        .map(|a| (set.str(a.key).to_owned(), a.value.to_json(&set.strings)))
        .collect();
    let events: Vec<Value> = set
        .span_events(s)
        .iter()
        .map(|e| {
            let attrs: Map<String, Value> = set.attrs[e.attrs.range()]
                .iter()
                .map(|a| (set.str(a.key).to_owned(), a.value.to_json(&set.strings)))
                .collect();
            json!({"name": set.str(e.name), "time_unix_nano": e.time, "attributes": attrs})
        })
        .collect();
    let links: Vec<Value> = set
        .span_links(s)
        .iter()
        .map(|l| json!({"trace_id": l.trace_id.to_string(), "span_id": l.span_id.to_string()}))
        .collect();
    let reason = set.str(s.status_message);
    json!({
        "trace_id": s.trace_id.to_string(),
        "span_id": s.span_id.to_string(),
        "parent_span_id": (!s.parent_span_id.is_none()).then(|| s.parent_span_id.to_string()),
        "depth": s.depth,
        "name": set.str(s.name),
        "span_kind": s.kind.as_str(),
        "service": set.service_of(s),
        "start_unix_nano": s.start,
        "end_unix_nano": s.end,
        "duration_ms": s.duration_ns() as f64 / 1e6,
        "status": span_outcome(s).as_str(),
        "status_code": s.status.as_str(),
        "status_reason": (!reason.is_empty()).then_some(reason),
        "orphan": s.marks.has(Marks::ORPHAN),
        "marks": mark_labels(s.marks),
        "attributes": attrs,
        "events": events,
        "links": links,
    })
}
