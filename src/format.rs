//! Human formatting of durations, timestamps, token counts, costs and text widths: a
//! leaf module, so the analysis layer and every view word numbers the same way.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A duration in nanoseconds as a short human string: `850ns`, `12.3µs`, `450ms`,
/// `3.21s`, `2m05s`, `1h02m`.
pub fn duration(ns: u64) -> String {
    const US: u64 = 1_000;
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    match ns {
        n if n < US => format!("{n}ns"),
        n if n < MS => trim_num(n as f64 / US as f64, "µs"),
        n if n < S => trim_num(n as f64 / MS as f64, "ms"),
        n if n < 60 * S => trim_num(n as f64 / S as f64, "s"),
        n if n < 3600 * S => format!("{}m{:02}s", n / (60 * S), (n / S) % 60),
        n => format!("{}h{:02}m", n / (3600 * S), (n / (60 * S)) % 60),
    }
}

fn trim_num(v: f64, unit: &str) -> String {
    if v >= 100.0 {
        format!("{v:.0}{unit}")
    } else if v >= 10.0 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.2}{unit}")
    }
}

/// A token count in short form: `850`, `12.3k`, `4.1M`; `-` when unknown.
pub fn tokens(n: Option<u64>) -> String {
    match n {
        None => "-".into(),
        Some(n) if n < 1000 => n.to_string(),
        Some(n) if n < 1_000_000 => trim_num(n as f64 / 1e3, "k"),
        Some(n) => trim_num(n as f64 / 1e6, "M"),
    }
}

/// A cost in USD: `$0.0123`, `$1.23`; `?` when unknown, `-` when nothing is billable,
/// a trailing `+` when some steps could not be priced (a lower bound).
pub fn cost(usd: Option<f64>, partial: bool, billable: bool) -> String {
    match usd {
        None if billable => "?".into(),
        None => "-".into(),
        Some(c) => {
            let s = if c >= 100.0 {
                format!("${c:.0}")
            } else if c >= 1.0 {
                format!("${c:.2}")
            } else if c >= 0.01 || c == 0.0 {
                format!("${c:.4}")
            } else {
                // Two significant digits for small amounts: $0.0047, $0.000078.
                let digits = (-c.log10().floor()) as usize + 1;
                format!("${c:.digits$}")
            };
            if partial { s + "+" } else { s }
        }
    }
}

/// [`cost`] in at most 8 cells: amounts under $0.0001 show as `<$0.0001`.
pub fn cost_compact(usd: Option<f64>, partial: bool, billable: bool) -> String {
    match usd {
        Some(c) if c > 0.0 && c < 0.0001 => "<$0.0001".into(),
        _ => cost(usd, partial, billable),
    }
}

/// Unix nanoseconds as `YYYY-MM-DD HH:MM:SS.mmm` in UTC (`-` for 0).
pub fn timestamp(unix_ns: u64) -> String {
    if unix_ns == 0 {
        return "-".into();
    }
    let secs = unix_ns / 1_000_000_000;
    let ms = (unix_ns / 1_000_000) % 1000;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{ms:03}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Display width of a string in terminal cells.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` cells, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `s` cut to `max` cells by taking out its middle (`sess-S1-v2…identifier`): for ids,
/// whose ends tell them apart.
pub fn truncate_middle(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(1);
    let tail_w = keep / 2;
    let head_w = keep - tail_w;
    let mut head = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > head_w {
            break;
        }
        head.push(c);
        w += cw;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > tail_w {
            break;
        }
        tail.push(c);
        w += cw;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// Pads `s` with spaces on the right to `w` cells.
pub fn pad(s: &str, w: usize) -> String {
    let n = width(s);
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(n)));
    out
}

/// Pads `s` with spaces on the left to `w` cells.
pub fn pad_left(s: &str, w: usize) -> String {
    let n = width(s);
    let mut out: String = std::iter::repeat_n(' ', w.saturating_sub(n)).collect();
    out.push_str(s);
    out
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days-from-civil), for the readers of text timestamps.
/// A UTC wall-clock time (with an offset in seconds east of UTC) as Unix
/// nanoseconds; `None` for fields out of range or a time a u64 cannot hold (before
/// 1970, after 2554). The one place dates from untrusted text become numbers.
#[allow(clippy::too_many_arguments)]
pub fn unix_nanos(
    y: i64,
    m: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    nanos: i64,
    offset_secs: i64,
) -> Option<u64> {
    if !(1969..=2554).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
        || !(0..=24).contains(&h)
        || !(0..=59).contains(&mi)
        || !(0..=60).contains(&s)
        || !(0..1_000_000_000).contains(&nanos)
        || offset_secs.abs() > 26 * 3600
    {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s - offset_secs;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos as u64)
}

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `1 trace`, `2 traces`: a count with its noun in the right number.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {

    #[test]
    fn unix_nanos_refuses_what_a_u64_cannot_hold() {
        assert_eq!(unix_nanos(1970, 1, 1, 0, 0, 1, 5, 0), Some(1_000_000_005));
        assert_eq!(
            unix_nanos(2025, 11, 21, 5, 12, 0, 0, 7200),
            unix_nanos(2025, 11, 21, 3, 12, 0, 0, 0)
        );
        assert_eq!(unix_nanos(6162, 11, 21, 3, 15, 20, 0, 0), None);
        assert_eq!(unix_nanos(i64::MAX, 1, 1, 0, 0, 0, 0, 0), None);
        assert_eq!(unix_nanos(2025, 1, 1, i64::MAX, 0, 0, 0, 0), None);
        assert_eq!(unix_nanos(1969, 12, 31, 23, 59, 59, 0, 0), None);
    }
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(850), "850ns");
        assert_eq!(duration(12_345), "12.3µs");
        assert_eq!(duration(450_000_000), "450ms");
        assert_eq!(duration(3_210_000_000), "3.21s");
        assert_eq!(duration(125_000_000_000), "2m05s");
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp(1_544_712_660_000_000_000),
            "2018-12-13 14:51:00.000"
        );
        assert_eq!(
            timestamp(951_782_400_123_000_000),
            "2000-02-29 00:00:00.123"
        );
        assert_eq!(timestamp(0), "-");
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
    }
}
