//! `agtrace ls`: one row per trace, as a table or as JSON Lines.

use super::format::{duration, pad, pad_left, timestamp, truncate};
use super::{Paint, Style, sanitize, status_cell};
use crate::model::{Outcome, TraceSet};
use crate::query::short_id_len;
use serde_json::json;
use std::io::{self, Write};

/// Writes the table.
pub fn write_table(
    out: &mut impl Write,
    set: &TraceSet,
    rows: &[u32],
    style: &Style,
) -> io::Result<()> {
    let id_len = short_id_len(set);
    let name_w = 36;
    let svc_w = 20;
    let header = format!(
        "{} {} {} {} {} {} {} {}",
        pad("STATUS", if style.unicode { 9 } else { 7 }),
        pad("START (UTC)", 23),
        pad("TRACE", id_len),
        pad("ROOT", name_w),
        pad("SERVICE", svc_w),
        pad_left("DURATION", 8),
        pad_left("SPANS", 6),
        pad_left("ERRORS", 6),
    );
    writeln!(out, "{}", style.paint(header.trim_end(), Paint::Bold))?;
    for &t in rows {
        let tr = &set.traces[t as usize];
        let id = tr.id.to_string();
        let mut root = sanitize(set.str(tr.root_name)).into_owned();
        if tr.integrity.orphans > 0 && root.is_empty() {
            root = "(missing root)".into();
        }
        let errors = tr.error_count.to_string();
        let errors = if tr.error_count > 0 {
            style.paint(&pad_left(&errors, 6), Paint::Red)
        } else {
            pad_left(&errors, 6)
        };
        let line = format!(
            "{} {} {} {} {} {} {} {}",
            status_cell(style, tr.outcome()),
            pad(&timestamp(tr.start), 23),
            style.paint(&id[..id_len], Paint::Cyan),
            pad(&truncate(&root, name_w), name_w),
            pad(&truncate(&sanitize(set.str(tr.service)), svc_w), svc_w),
            pad_left(&duration(tr.duration_ns()), 8),
            pad_left(&tr.span_count.to_string(), 6),
            errors,
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes one JSON object per trace.
pub fn write_json(out: &mut impl Write, set: &TraceSet, rows: &[u32]) -> io::Result<()> {
    for &t in rows {
        let tr = &set.traces[t as usize];
        let ig = &tr.integrity;
        let v = json!({
            "trace_id": tr.id.to_string(),
            "root_name": set.str(tr.root_name),
            "service": set.str(tr.service),
            "start_unix_nano": tr.start,
            "end_unix_nano": tr.end,
            "duration_ms": tr.duration_ns() as f64 / 1e6,
            "span_count": tr.span_count,
            "error_count": tr.error_count,
            "status": tr.outcome().as_str(),
            "orphan_count": ig.orphans,
            "clock_skew_count": ig.clock_skew,
            "unfinished_count": ig.unfinished,
            "cycle_count": ig.cycles,
            "duplicate_count": ig.duplicates,
        });
        super::write_json_line(out, &v)?;
    }
    Ok(())
}

/// True when any listed trace failed (for exit codes and summaries).
pub fn any_failed(set: &TraceSet, rows: &[u32]) -> bool {
    rows.iter()
        .any(|&t| set.traces[t as usize].outcome() == Outcome::Error)
}
