//! The filter language and the parsing of durations it uses.

/// Parses a duration such as `2s`, `500ms`, `1.5m`, `250us`, `90` (seconds).
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1e9,
        "ms" => 1e6,
        "us" | "µs" => 1e3,
        "ns" => 1.0,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => return None,
    };
    let ns = v * mult;
    (ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64).then_some(ns as u64)
}

/// A duration as a filter value that parses back exactly: `2s`, `500ms`, `250us`,
/// `90ns`.
pub fn duration_term(ns: u64) -> String {
    match ns {
        0 => "0s".into(),
        n if n % 1_000_000_000 == 0 => format!("{}s", n / 1_000_000_000),
        n if n % 1_000_000 == 0 => format!("{}ms", n / 1_000_000),
        n if n % 1_000 == 0 => format!("{}us", n / 1_000),
        n => format!("{n}ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::{duration_term, parse_duration};

    #[test]
    fn duration_terms_parse_back() {
        for ns in [
            0,
            1,
            1_000,
            500_000_000,
            2_000_000_000,
            1_500_000_000,
            7_777,
        ] {
            assert_eq!(parse_duration(&duration_term(ns)), Some(ns), "{ns}");
        }
        assert_eq!(duration_term(16_000_000_000), "16s");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s"), Some(2_000_000_000));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("1.5m"), Some(90_000_000_000));
        assert_eq!(parse_duration("fast"), None);
    }
}

pub mod filter;
pub mod text;
