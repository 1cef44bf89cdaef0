//! `agtrace ls`: one row per trace, as a table or as JSON Lines.

use super::{Paint, Style, status_cell, write_json_line};
use crate::analysis::json::trace_json;
use crate::format::{
    cost, duration, pad, pad_left, timestamp, tokens, truncate, truncate_middle, width,
};
use crate::model::short_id_len;
use crate::model::{Outcome, Severity, Trace, TraceSet};
use crate::sanitize::sanitize;
use std::io::{self, Write};

/// The trace's display name: root name, else agent name, else a marker.
pub fn trace_name(set: &TraceSet, tr: &Trace) -> String {
    let name = set.str(tr.display_name());
    if name.is_empty() {
        "(missing root)".into()
    } else {
        sanitize(name).into_owned()
    }
}

fn col_width(values: impl Iterator<Item = usize>, min: usize, max: usize) -> usize {
    values.max().unwrap_or(0).clamp(min, max)
}

/// Writes the table.
pub fn write_table(
    out: &mut impl Write,
    set: &TraceSet,
    rows: &[u32],
    style: &Style,
) -> io::Result<()> {
    let id_len = short_id_len(set);
    let traces: Vec<&Trace> = rows.iter().map(|&t| &set.traces[t as usize]).collect();
    let names: Vec<String> = traces.iter().map(|t| trace_name(set, t)).collect();
    // On a terminal long cells are cut (ids in the middle); piped, nothing is.
    let cap = |w: usize| if style.fit { w } else { usize::MAX };
    let name_w = col_width(names.iter().map(|n| width(n)), 4, cap(32));
    let svc_w = col_width(
        traces.iter().map(|t| width(&sanitize(set.str(t.service)))),
        7,
        cap(18),
    );
    let sess_w = col_width(
        traces.iter().map(|t| width(&sanitize(set.str(t.session)))),
        7,
        cap(24),
    );
    let status_w = if style.unicode { 9 } else { 7 };
    let header = format!(
        "{} {} {} {} {} {} {} {} {} {} {} {} {}",
        pad("STATUS", status_w),
        pad("START (UTC)", 19),
        pad("TRACE", id_len),
        pad("NAME", name_w),
        pad("SERVICE", svc_w),
        pad("SESSION", sess_w),
        pad_left("DURATION", 8),
        pad_left("SPANS", 5),
        pad_left("LLM/TOOL", 8),
        pad_left("ERR/WARN", 8),
        pad_left("TOKENS IN/OUT", 13),
        pad_left("COST", 9),
        pad_left("FINDINGS", 8),
    );
    writeln!(out, "{}", style.paint(header.trim_end(), Paint::Bold))?;
    for ((tr, name), &t) in traces.iter().zip(&names).zip(rows) {
        let id = tr.id.listed();
        let errs = format!("{}/{}", tr.error_count, tr.warning_count);
        let errs = match tr.outcome() {
            Outcome::Error => style.paint(&pad_left(&errs, 8), Paint::Red),
            Outcome::Warning => style.paint(&pad_left(&errs, 8), Paint::Yellow),
            Outcome::Ok => pad_left(&errs, 8),
        };
        let mut start = timestamp(tr.start);
        start.truncate(19);
        let line = format!(
            "{} {} {} {} {} {} {} {} {} {} {} {} {}",
            status_cell(style, tr.outcome()),
            pad(&start, 19),
            style.paint(&pad(id.get(..id_len).unwrap_or(&id), id_len), Paint::Cyan),
            pad(&truncate(name, name_w), name_w),
            pad(&truncate(&sanitize(set.str(tr.service)), svc_w), svc_w),
            pad(
                &truncate_middle(&sanitize(set.str(tr.session)), sess_w),
                sess_w
            ),
            pad_left(&duration(tr.duration_ns()), 8),
            pad_left(&tr.span_count.to_string(), 5),
            pad_left(&format!("{}/{}", tr.llm_calls, tr.tool_calls), 8),
            errs,
            pad_left(
                &format!("{}/{}", tokens(tr.tokens.input), tokens(tr.tokens.output)),
                13
            ),
            pad_left(
                &cost(tr.cost(), tr.cost_is_partial(), tr.billable_steps > 0),
                9
            ),
            findings_cell(set, t, style),
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The findings count, coloured by the worst; `-` where they were not computed.
fn findings_cell(set: &TraceSet, t: u32, style: &Style) -> String {
    let Some(fs) = crate::analysis::findings::of_trace(set, t) else {
        return pad_left("-", 8);
    };
    let cell = pad_left(&fs.len().to_string(), 8);
    match fs.first().map(|f| f.severity) {
        Some(Severity::Error) => style.paint(&cell, Paint::Red),
        Some(Severity::Warning) => style.paint(&cell, Paint::Yellow),
        _ => cell,
    }
}

/// Which format each input was read as, for a person checking agtrace understood
/// their file: names for a few inputs, counts per format for many.
pub fn formats_line(set: &TraceSet) -> Option<String> {
    let known: Vec<(&str, &str)> = set
        .sources
        .iter()
        .zip(&set.source_formats)
        .map(|(n, f)| (n.as_str(), f.as_str()))
        .collect();
    if known.is_empty() {
        return None;
    }
    if known.len() <= 3 {
        let parts: Vec<String> = known
            .iter()
            .map(|(n, f)| format!("{} as {f}", crate::sanitize::sanitize(n)))
            .collect();
        return Some(format!("read {}", parts.join(", ")));
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (_, f) in &known {
        match counts.iter_mut().find(|(g, _)| g == f) {
            Some((_, n)) => *n += 1,
            None => counts.push((f, 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(f, n)| format!("{n} {f}")).collect();
    Some(format!(
        "read {} sources: {}",
        known.len(),
        parts.join(", ")
    ))
}

/// Writes one JSON object per trace.
pub fn write_json(out: &mut impl Write, set: &TraceSet, rows: &[u32]) -> io::Result<()> {
    for &t in rows {
        write_json_line(out, &trace_json(set, &set.traces[t as usize]))?;
    }
    Ok(())
}
