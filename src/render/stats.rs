//! `agtrace stats`: the per-group table (calls, errors, latency percentiles, tokens,
//! cost, the trace to look at) and the findings summary, as text or JSON Lines.

use super::{Paint, Style, write_json_line};
use crate::analysis::stats::{FindingStats, GroupBy, GroupStats};
use crate::format::{cost, duration, pad, pad_left, tokens, truncate, width};
use crate::model::Severity;
use crate::sanitize::sanitize;
use serde_json::json;
use std::io::{self, Write};

fn ms(ns: Option<u64>) -> serde_json::Value {
    ns.map_or(serde_json::Value::Null, |v| json!(v as f64 / 1e6))
}

fn lat(ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".to_owned(), duration)
}

/// The JSON object of one row (`total: true` on the totals row).
pub fn group_json(by: GroupBy, g: &GroupStats, total: bool) -> serde_json::Value {
    let mean = |sum: u64| (g.with_tokens > 0).then(|| sum as f64 / g.with_tokens as f64);
    json!({
        "by": by.as_str(),
        "key": g.key,
        "total": total,
        "calls": g.calls,
        "errors": g.errors,
        "error_rate": g.error_rate(),
        "warnings": g.warnings,
        "p50_ms": ms(g.p50),
        "p95_ms": ms(g.p95),
        "p99_ms": ms(g.p99),
        "max_ms": ms(g.max),
        "input_tokens": g.known_input_tokens(),
        "output_tokens": g.known_output_tokens(),
        "mean_input_tokens": mean(g.input_tokens),
        "mean_output_tokens": mean(g.output_tokens),
        "cost_usd": g.cost(),
        "cost_partial": g.cost_is_partial(),
        "ms_per_output_token": g.per_output_token.map(|v| v / 1e6),
        "worst_trace_id": g.worst_trace,
        "aliases": g.aliases,
    })
}

/// Writes the rows and the totals as a table.
pub fn write_groups(
    out: &mut impl Write,
    by: GroupBy,
    rows: &[GroupStats],
    total: &GroupStats,
    style: &Style,
) -> io::Result<()> {
    let keys: Vec<String> = rows
        .iter()
        .map(|r| {
            let key = sanitize(&r.key).into_owned();
            if r.aliases.is_empty() {
                key
            } else {
                format!("{key} (asked as {})", sanitize(&r.aliases.join(", ")))
            }
        })
        .collect();
    let cap = if style.fit { 40 } else { usize::MAX };
    let key_w = keys
        .iter()
        .map(|k| width(k))
        .max()
        .unwrap_or(0)
        .clamp(width(by.title()).max(5), cap);
    let per_token = by == GroupBy::Model;
    let mut head = format!(
        "{} {} {} {} {} {} {} {} {} {} {} {}",
        pad(by.title(), key_w),
        pad_left(if by.of_traces() { "TRACES" } else { "CALLS" }, 7),
        pad_left("ERR", 5),
        pad_left("ERR%", 6),
        pad_left("WARN", 5),
        pad_left("P50", 8),
        pad_left("P95", 8),
        pad_left("P99", 8),
        pad_left("MAX", 8),
        pad_left("TOKENS IN/OUT", 15),
        pad_left("MEAN IN/OUT", 13),
        pad_left("COST", 10),
    );
    if per_token {
        head.push_str(&format!(" {}", pad_left("MS/TOK", 7)));
    }
    head.push_str("  WORST TRACE");
    writeln!(out, "{}", style.paint(&head, Paint::Bold))?;
    let line = |g: &GroupStats, key: &str| -> String {
        let mean = |sum: u64| {
            sum.checked_div(g.with_tokens)
                .map_or_else(|| "-".to_owned(), |m| tokens(Some(m)))
        };
        let mut l = format!(
            "{} {} {} {} {} {} {} {} {} {} {} {}",
            pad(&truncate(key, key_w), key_w),
            pad_left(&g.calls.to_string(), 7),
            pad_left(&g.errors.to_string(), 5),
            pad_left(&format!("{:.1}%", 100.0 * g.error_rate()), 6),
            pad_left(&g.warnings.to_string(), 5),
            pad_left(&lat(g.p50), 8),
            pad_left(&lat(g.p95), 8),
            pad_left(&lat(g.p99), 8),
            pad_left(&lat(g.max), 8),
            pad_left(
                &format!(
                    "{}/{}",
                    tokens(g.known_input_tokens()),
                    tokens(g.known_output_tokens())
                ),
                15
            ),
            pad_left(
                &format!("{}/{}", mean(g.input_tokens), mean(g.output_tokens)),
                13
            ),
            pad_left(&cost(g.cost(), g.cost_is_partial(), g.billable > 0), 10),
        );
        if per_token {
            l.push_str(&format!(
                " {}",
                pad_left(
                    &g.per_output_token
                        .map_or("-".to_owned(), |v| format!("{:.1}", v / 1e6)),
                    7
                )
            ));
        }
        if let Some(t) = &g.worst_trace {
            l.push_str("  ");
            l.push_str(&style.paint(t, Paint::Cyan));
        }
        l
    };
    for (g, key) in rows.iter().zip(&keys) {
        let l = line(g, key);
        let l = if g.errors > 0 {
            style.paint(l.trim_end(), Paint::Red)
        } else {
            l.trim_end().to_owned()
        };
        writeln!(out, "{l}")?;
    }
    writeln!(
        out,
        "{}",
        style.paint(line(total, "total").trim_end(), Paint::Bold)
    )
}

/// Writes the findings summary.
pub fn write_findings(
    out: &mut impl Write,
    rows: &[FindingStats],
    style: &Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.paint(
            &format!(
                "{} {} {} {}  EXAMPLE",
                pad("FINDING", 24),
                pad("SEVERITY", 8),
                pad_left("COUNT", 6),
                pad_left("TRACES", 6)
            ),
            Paint::Bold
        )
    )?;
    for r in rows {
        let paint = match r.severity {
            Severity::Error => Paint::Red,
            Severity::Warning => Paint::Yellow,
            Severity::Info => Paint::Dim,
        };
        let example = match &r.example {
            Some(t) => format!(
                "{} {}",
                style.paint(t, Paint::Cyan),
                sanitize(&r.example_message)
            ),
            None => String::new(),
        };
        writeln!(
            out,
            "{} {} {} {}  {}",
            pad(r.kind.as_str(), 24),
            style.paint(&pad(r.severity.as_str(), 8), paint),
            pad_left(&r.count.to_string(), 6),
            pad_left(&r.traces.to_string(), 6),
            example
        )?;
    }
    Ok(())
}

/// Writes the findings summary as JSON Lines.
pub fn write_findings_json(out: &mut impl Write, rows: &[FindingStats]) -> io::Result<()> {
    for r in rows {
        write_json_line(
            out,
            &json!({
                "finding": r.kind.as_str(),
                "severity": r.severity.as_str(),
                "count": r.count,
                "traces": r.traces,
                "example_trace_id": r.example,
                "example_message": r.example_message,
            }),
        )?;
    }
    Ok(())
}
