//! The built-in redaction patterns, the secret-named keys, and the user's rule file
//! (more patterns, an allow-list, more content keys).

use super::{Redactor, Rule};
use regex::Regex;

/// A built-in rule: name, pattern, Luhn-checked, the group replaced.
type Builtin = (&'static str, &'static str, bool, usize);

/// Order matters: a private key block before the shorter patterns inside it; URL
/// passwords before emails (`user:pass@host`).
const BUILTIN: &[Builtin] = &[
    (
        "private_key",
        r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|$)",
        false,
        0,
    ),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}",
        false,
        0,
    ),
    (
        "api_key",
        concat!(
            r"\b(?:",
            r"sk-ant-[A-Za-z0-9_-]{16,}", // Anthropic
            r"|sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", // OpenAI
            r"|(?:AKIA|ASIA)[0-9A-Z]{16}", // AWS access key id
            r"|gh[pousr]_[A-Za-z0-9]{30,}", // GitHub tokens
            r"|github_pat_[A-Za-z0-9_]{30,}",
            r"|glpat-[A-Za-z0-9_-]{20,}",                    // GitLab
            r"|xox[abposr]-[A-Za-z0-9-]{10,}",               // Slack
            r"|AIza[0-9A-Za-z_-]{35}",                       // Google
            r"|(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}", // Stripe
            r"|hf_[A-Za-z0-9]{30,}",                         // Hugging Face
            r"|gsk_[A-Za-z0-9]{30,}",                        // Groq
            r"|xai-[A-Za-z0-9]{30,}",                        // xAI
            r"|r8_[A-Za-z0-9]{30,}",                         // Replicate
            r"|pplx-[A-Za-z0-9]{30,}",                       // Perplexity
            r"|lsv2_(?:pt|sk)_[A-Za-z0-9_]{20,}",            // LangSmith
            r"|(?:pk|sk)-lf-[A-Za-z0-9-]{20,}",              // Langfuse
            r"|AccountKey=[A-Za-z0-9+/=]{20,}",              // Azure storage
            r")"
        ),
        false,
        0,
    ),
    (
        "bearer",
        r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})",
        false,
        1,
    ),
    (
        "url_password",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@",
        false,
        1,
    ),
    (
        "password",
        r#"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|client[_-]?secret)["']?\s*[:=]\s*["']?([^\s"',;&]{4,})"#,
        false,
        1,
    ),
    (
        "email",
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        false,
        0,
    ),
    ("card", r"\b\d(?:[ -]?\d){12,18}\b", true, 0),
    (
        "ip",
        concat!(
            r"\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b",
            r"|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b",
            r"|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}\b",
        ),
        false,
        0,
    ),
    (
        "phone",
        r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\b\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}\b|\+\d{8,15}\b",
        false,
        0,
    ),
];

/// The names of the built-in pattern rules, for the reference.
pub const RULE_NAMES: &[&str] = &[
    "private_key",
    "jwt",
    "api_key",
    "bearer",
    "url_password",
    "password",
    "email",
    "card",
    "ip",
    "phone",
];

pub(super) fn builtin() -> Vec<Rule> {
    BUILTIN
        .iter()
        .filter_map(|&(name, re, luhn, group)| {
            // The patterns are constants, checked by the tests.
            Regex::new(re).ok().map(|re| Rule {
                name: name.to_owned(),
                re,
                luhn,
                group,
                isolated: name == "phone",
            })
        })
        .collect()
}

/// True when the match `start..end` of `hay` is part of a longer run of digit
/// groups (a digit, or a separator and a digit, right before or after it).
pub(super) fn continues_digits(hay: &str, start: usize, end: usize) -> bool {
    let b = hay.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let sep = |i: usize| b.get(i).is_some_and(|c| matches!(c, b' ' | b'-' | b'.'));
    let before =
        start > 0 && (digit(start - 1) || (start > 1 && sep(start - 1) && digit(start - 2)));
    let after = digit(end) || (sep(end) && digit(end + 1));
    before || after
}

/// The Luhn check of card numbers (spaces and dashes ignored).
pub(super) fn luhn_ok(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Last key segments whose value is a secret as a whole.
const SECRET_SEGMENTS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "session_token",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "private_key",
    "credentials",
];

pub(super) fn is_secret_key(key: &str) -> bool {
    let last = key
        .rsplit(['.', '/'])
        .next()
        .unwrap_or(key)
        .to_ascii_lowercase();
    SECRET_SEGMENTS.contains(&last.as_str())
}

/// A rule file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The file could not be read.
    #[error("redaction rules {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected layout.
    #[error("redaction rules {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What was wrong, with the position.
        message: String,
    },
    /// A pattern does not compile.
    #[error("redaction rules {path}: pattern {name:?}: {message}")]
    Pattern {
        /// The file.
        path: String,
        /// The rule's name.
        name: String,
        /// The regex error.
        message: String,
    },
}

/// The user's rule file:
///
/// ```toml
/// allow = ["@example\\.com$", "^10\\."]          # never redacted (regex)
/// content_keys = ["app.prompt"]                   # more keys holding content
/// [[rule]]
/// name = "ticket"
/// pattern = "TICKET-[0-9]{4,}"
/// ```
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    content_keys: Vec<String>,
    #[serde(default)]
    rule: Vec<UserRule>,
    #[serde(skip)]
    path: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRule {
    name: String,
    pattern: String,
}

impl RuleFile {
    /// Reads and parses `path`.
    pub fn read(path: &std::path::Path) -> Result<RuleFile, RulesError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut f: RuleFile = toml::from_str(&text).map_err(|e| RulesError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        f.path = shown;
        Ok(f)
    }

    /// Adds the file's rules to `r`.
    pub(super) fn apply(self, r: &mut Redactor) -> Result<(), RulesError> {
        let compile = |name: &str, p: &str| {
            Regex::new(p).map_err(|e| RulesError::Pattern {
                path: self.path.clone(),
                name: name.to_owned(),
                message: e.to_string(),
            })
        };
        for a in &self.allow {
            r.allow.push(compile("allow", a)?);
        }
        for u in &self.rule {
            r.rules.push(Rule {
                name: u.name.clone(),
                re: compile(&u.name, &u.pattern)?,
                luhn: false,
                group: 0,
                isolated: false,
            });
        }
        r.content_keys.extend(self.content_keys.iter().cloned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_pattern_compiles() {
        assert_eq!(super::builtin().len(), super::BUILTIN.len());
        let names: Vec<&str> = super::BUILTIN.iter().map(|b| b.0).collect();
        assert_eq!(names, super::RULE_NAMES);
    }

    #[test]
    fn luhn() {
        assert!(super::luhn_ok("4111 1111 1111 1111"));
        assert!(super::luhn_ok("5500-0000-0000-0004"));
        assert!(!super::luhn_ok("4111 1111 1111 1112"));
        assert!(!super::luhn_ok("1234"));
    }
}
