//! `agtrace diff`: two runs side by side — what each cost, then their steps aligned
//! (`=` the same, `~` the same step done differently, `-` only in the first, `+` only
//! in the second), then where they first went different ways, with a line diff of
//! the arguments, result or answer that differ.

use super::cells::{model_or_tool, step_tokens_cell};
use super::{Paint, Style, status_cell};
use crate::analysis::diff::{Op, Row, RunDiff, line_diff};
use crate::format::{cost, duration, pad, tokens, truncate};
use crate::model::{Trace, TraceSet};
use crate::sanitize::sanitize;
use serde_json::json;
use std::io::{self, Write};

/// Lines of a payload diff shown at the first divergence.
const DIFF_LINES: usize = 40;

/// Two lines per run: which one, then what it took.
fn trace_line(set: &TraceSet, tag: &str, tr: &Trace, style: &Style) -> String {
    format!(
        "{tag} {}  {}  {}  {}\n    {} · {} llm / {} tools · {} in / {} out tokens · {}",
        tr.id,
        status_cell(style, tr.outcome()).trim_end(),
        sanitize(&truncate(&super::ls::trace_name(set, tr), 40)),
        crate::format::timestamp(tr.start),
        duration(tr.duration_ns()),
        tr.llm_calls,
        tr.tool_calls,
        tokens(tr.tokens.input),
        tokens(tr.tokens.output),
        cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
    )
}

fn signed(a: u64, b: u64, show: impl Fn(u64) -> String) -> String {
    if b >= a {
        format!("+{}", show(b - a))
    } else {
        format!("−{}", show(a - b))
    }
}

/// What one side of a row shows: outcome, model or tool, duration, tokens.
fn cell(set: &TraceSet, i: Option<u32>) -> String {
    let Some(i) = i else {
        return String::new();
    };
    let s = set.step(i);
    let span = &set.spans[i as usize];
    let mut parts = vec![s.outcome.as_str().to_owned()];
    let m = model_or_tool(set, &s);
    if !m.is_empty() && s.kind != crate::model::StepKind::Tool {
        parts.push(sanitize(&truncate(&m, 18)).into_owned());
    }
    parts.push(super::cells::duration_cell(span));
    let t = step_tokens_cell(&s);
    if !t.is_empty() {
        parts.push(t);
    }
    parts.join(" ")
}

/// The step a row is: kind and name, indented by depth.
fn label(set: &TraceSet, row: &Row) -> String {
    let Some(i) = row.a.or(row.b) else {
        return String::new();
    };
    let s = set.step(i);
    let depth = set.spans[i as usize].depth as usize;
    let name = match s.kind {
        crate::model::StepKind::Tool if !s.tool_name.is_empty() => set.str(s.tool_name),
        crate::model::StepKind::Agent if !s.agent_name.is_empty() => set.str(s.agent_name),
        crate::model::StepKind::Llm => "",
        _ => set.str(set.spans[i as usize].name),
    };
    let text = format!(
        "{}{} {}",
        "  ".repeat(depth.min(8)),
        s.kind.as_str(),
        sanitize(name)
    );
    truncate(text.trim_end(), 29)
}

/// "answer differs", "arguments, result differ"; "" for nothing.
fn differ(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} differs"),
        many => format!("{} differ", many.join(", ")),
    }
}

fn glyph(op: Op) -> &'static str {
    match op {
        Op::Same => "=",
        Op::Changed => "~",
        Op::OnlyA => "-",
        Op::OnlyB => "+",
    }
}

/// The comparison as text.
pub fn write_text(
    out: &mut impl Write,
    set: &TraceSet,
    d: &RunDiff,
    style: &Style,
) -> io::Result<()> {
    let (ta, tb) = (&set.traces[d.a as usize], &set.traces[d.b as usize]);
    writeln!(out, "{}", trace_line(set, "A", ta, style))?;
    writeln!(out, "{}", trace_line(set, "B", tb, style))?;
    let mut delta = vec![format!(
        "duration {}",
        signed(ta.duration_ns(), tb.duration_ns(), duration)
    )];
    let tok = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => signed(a, b, |n| tokens(Some(n))),
        _ => "?".into(),
    };
    delta.push(format!(
        "tokens in {}",
        tok(ta.tokens.input, tb.tokens.input)
    ));
    delta.push(format!("out {}", tok(ta.tokens.output, tb.tokens.output)));
    if let (Some(ca), Some(cb)) = (ta.cost(), tb.cost()) {
        let sign = if cb >= ca { "+" } else { "−" };
        delta.push(format!("cost {sign}${:.4}", (cb - ca).abs()));
    }
    writeln!(out, "B−A {}", delta.join(" · "))?;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.paint(
            &format!("   {}{}{}", pad("STEP", 30), pad("A", 37), "B"),
            Paint::Bold
        )
    )?;
    for row in &d.rows {
        let changes: Vec<&str> = row.changes.iter().map(|c| c.name()).collect();
        let line = format!(
            "{}  {}{}{}{}",
            glyph(row.op),
            pad(&label(set, row), 30),
            pad(&truncate(&cell(set, row.a), 35), 37),
            pad(&truncate(&cell(set, row.b), 35), 37),
            differ(&changes)
        );
        let paint = match row.op {
            Op::Same => Paint::Dim,
            Op::Changed => Paint::Yellow,
            Op::OnlyA => Paint::Red,
            Op::OnlyB => Paint::Green,
        };
        writeln!(out, "{}", style.paint(line.trim_end(), paint))?;
    }
    writeln!(out)?;
    let Some(k) = d.first_divergence else {
        writeln!(
            out,
            "the runs took the same {} steps with the same arguments, results, answers and outcomes",
            d.rows.len()
        )?;
        return Ok(());
    };
    let row = &d.rows[k];
    let what = match row.op {
        Op::OnlyA => "only A took this step".to_owned(),
        Op::OnlyB => "only B took this step".to_owned(),
        _ => {
            let names: Vec<&str> = row.changes.iter().map(|c| c.name()).collect();
            differ(&names)
        }
    };
    writeln!(
        out,
        "{}",
        style.paint(
            &format!(
                "first divergence: step {} of {}, {} — {what}",
                k + 1,
                d.rows.len(),
                label(set, row).trim_start()
            ),
            Paint::Bold
        )
    )?;
    for (side, i) in [("A", row.a), ("B", row.b)] {
        if let Some(i) = i {
            writeln!(out, "  {side}: span {}", set.spans[i as usize].span_id)?;
        }
    }
    for c in &row.changes {
        let (a, b) = c.sides();
        writeln!(out, "  {}:", c.name())?;
        for l in line_diff(&a, &b, DIFF_LINES) {
            let paint = match l.chars().next() {
                Some('-') => Paint::Red,
                Some('+') => Paint::Green,
                _ => Paint::Dim,
            };
            writeln!(out, "    {}", style.paint(&sanitize(&l), paint))?;
        }
    }
    if matches!(row.op, Op::OnlyA | Op::OnlyB)
        && let Some(i) = row.a.or(row.b)
        && set.step(i).kind == crate::model::StepKind::Tool
    {
        let (args, _) = crate::semconv::tool_io(set, &set.spans[i as usize]);
        if let Some(args) = args {
            let text = serde_json::to_string(&args).unwrap_or_default();
            writeln!(out, "  arguments: {}", sanitize(&truncate(&text, 200)))?;
        }
    }
    Ok(())
}

/// The comparison as JSON Lines: a summary, then one object per aligned step.
pub fn write_json(out: &mut impl Write, set: &TraceSet, d: &RunDiff) -> io::Result<()> {
    super::write_json_line(out, &summary_json(set, d))?;
    for k in 0..d.rows.len() {
        super::write_json_line(out, &row_json(set, d, k, usize::MAX))?;
    }
    Ok(())
}

/// The comparison's summary: the two runs, whether they are the same, where they
/// first differ.
pub fn summary_json(set: &TraceSet, d: &RunDiff) -> serde_json::Value {
    let id = |t: u32| set.traces[t as usize].id.to_string();
    json!({
        "a": id(d.a),
        "b": id(d.b),
        "same": d.same(),
        "steps": d.rows.len(),
        "first_divergence": d.first_divergence,
    })
}

/// Aligned step `k` as JSON; each side of a change cut to `max_chars` characters.
pub fn row_json(set: &TraceSet, d: &RunDiff, k: usize, max_chars: usize) -> serde_json::Value {
    let row = &d.rows[k];
    let span = |i: Option<u32>| i.map(|i| set.spans[i as usize].span_id.to_string());
    let cut = |t: String| {
        if t.chars().count() > max_chars {
            truncate(&t, max_chars)
        } else {
            t
        }
    };
    let changes: Vec<_> = row
        .changes
        .iter()
        .map(|c| {
            let (a, b) = c.sides();
            json!({"what": c.name(), "a": cut(a), "b": cut(b)})
        })
        .collect();
    json!({
        "step": k,
        "op": row.op.as_str(),
        "kind": row.a.or(row.b).map(|i| set.step(i).kind.as_str()),
        "label": label(set, row).trim_start(),
        "a_span": span(row.a),
        "b_span": span(row.b),
        "changes": changes,
    })
}
