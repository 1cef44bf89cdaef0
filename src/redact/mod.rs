//! Redaction: what makes a trace safe to share. Real traces carry customer prompts,
//! emails, API keys and tokens; every view that hands a trace on (the export, the
//! Markdown summary, the explorer's privacy mode, the MCP server) passes each string
//! through one [`Redactor`], so what counts as a secret is decided in one place.
//!
//! Two kinds of rule: patterns (API keys and bearer tokens of the common providers,
//! JWTs, passwords in URLs, private keys, emails, phone numbers, Luhn-checked card
//! numbers, IP addresses, `password=…` assignments) replace the match wherever it
//! appears; and keys: the value of a secret-named attribute (`…password`, `…token`,
//! `authorization`, `cookie`…) is replaced whole, and message and tool payload content
//! is replaced by a placeholder that keeps its structure (JSON keys, roles, tool names)
//! and its length class, unless content is kept.

mod content;
mod rules;
mod set;

pub use rules::{RULE_NAMES, RuleFile, RulesError};
pub use set::redact_set;

use regex::Regex;
use std::borrow::Cow;

/// One pattern rule.
#[derive(Clone, Debug)]
struct Rule {
    name: String,
    re: Regex,
    /// Luhn-checked (card numbers): a match that fails the check is left alone.
    luhn: bool,
    /// The capture group replaced (0: the whole match).
    group: usize,
    /// A match that continues into more digit groups (`1111 1111` inside a longer
    /// number) is not this rule's: phone numbers.
    isolated: bool,
}

/// Decides what of a trace's text may be shown or shared.
#[derive(Clone, Debug)]
pub struct Redactor {
    rules: Vec<Rule>,
    allow: Vec<Regex>,
    content_keys: Vec<String>,
    keep_content: bool,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::builtin()
    }
}

impl Redactor {
    /// The built-in rules, content replaced.
    pub fn builtin() -> Redactor {
        Redactor {
            rules: rules::builtin(),
            allow: Vec::new(),
            content_keys: Vec::new(),
            keep_content: false,
        }
    }

    /// The built-in rules extended by a user file (patterns, an allow-list, more
    /// content keys; `agtrace help redaction`).
    pub fn with_file(path: &std::path::Path) -> Result<Redactor, RulesError> {
        let mut r = Redactor::builtin();
        let file = RuleFile::read(path)?;
        file.apply(&mut r)?;
        Ok(r)
    }

    /// The redactor configured for this run: the built-in rules extended by `file`,
    /// else by the file AGTRACE_REDACT_RULES names, else the built-in rules alone.
    pub fn configured(file: Option<&std::path::Path>) -> Result<Redactor, RulesError> {
        let from_env = std::env::var_os("AGTRACE_REDACT_RULES").map(std::path::PathBuf::from);
        match file.or(from_env.as_deref()) {
            Some(p) => Redactor::with_file(p),
            None => Ok(Redactor::builtin()),
        }
    }

    /// Keeps message and tool payload content (patterns still apply inside it).
    pub fn keep_content(mut self, keep: bool) -> Redactor {
        self.keep_content = keep;
        self
    }

    /// True when message and tool payload content is kept.
    pub fn keeps_content(&self) -> bool {
        self.keep_content
    }

    fn allowed(&self, s: &str) -> bool {
        self.allow.iter().any(|a| a.is_match(s))
    }

    /// `s` with every pattern match replaced by `[redacted:RULE]`.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(s);
        for rule in &self.rules {
            if !rule.re.is_match(&out) {
                continue;
            }
            let mut changed = false;
            let hay: &str = &out;
            let replaced = rule
                .re
                .replace_all(hay, |c: &regex::Captures<'_>| {
                    let whole = c.get(0).map_or("", |m| m.as_str());
                    if rule.isolated
                        && let Some(m) = c.get(0)
                        && rules::continues_digits(hay, m.start(), m.end())
                    {
                        return whole.to_owned();
                    }
                    let Some(part) = c.get(rule.group) else {
                        return whole.to_owned();
                    };
                    if self.allowed(part.as_str()) || (rule.luhn && !rules::luhn_ok(part.as_str()))
                    {
                        return whole.to_owned();
                    }
                    changed = true;
                    let start = part.start() - c.get(0).map_or(0, |m| m.start());
                    let end = start + part.len();
                    format!(
                        "{}[redacted:{}]{}",
                        &whole[..start],
                        rule.name,
                        &whole[end..]
                    )
                })
                .into_owned();
            if changed {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// True when `key` names a secret: its whole value is replaced.
    pub fn is_secret_key(&self, key: &str) -> bool {
        rules::is_secret_key(key)
    }

    /// True when `key` holds message or tool payload content.
    pub fn is_content_key(&self, key: &str) -> bool {
        content::is_content_key(key) || self.content_keys.iter().any(|k| k == key)
    }

    /// The value of attribute `key` as it may be shown: a secret key's value
    /// replaced whole, content replaced by its placeholder (unless kept), and the
    /// patterns applied to the rest.
    pub fn value<'a>(&self, key: &str, v: &'a str) -> Cow<'a, str> {
        if v.is_empty() || self.allowed(v) {
            return Cow::Borrowed(v);
        }
        if self.is_secret_key(key) {
            return Cow::Owned("[redacted:secret]".into());
        }
        if !self.keep_content && self.is_content_key(key) {
            return Cow::Owned(content::placeholder(v, self));
        }
        self.text(v)
    }

    /// What replaces an opaque bytes value (its content cannot be checked).
    pub fn bytes(&self, len: usize) -> String {
        format!("[redacted bytes, {len} bytes]")
    }

    /// An integer value of attribute `key`: card numbers stored as integers are
    /// replaced (as text); everything else is kept.
    pub fn int(&self, key: &str, v: i64) -> Option<String> {
        let digits = v.unsigned_abs().to_string();
        let card = (13..=19).contains(&digits.len()) && rules::luhn_ok(&digits);
        (card || (self.is_secret_key(key) && v != 0)).then(|| {
            if card {
                "[redacted:card]".into()
            } else {
                "[redacted:secret]".into()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_builtin_pattern_is_replaced_and_plain_text_kept() {
        let r = Redactor::builtin();
        let cases = [
            ("key sk-proj-abcdefghijklmnopqrstuvwx1234 used", "sk-proj-"),
            ("anthropic sk-ant-api03-abcdefghijklmnopqrstuv", "sk-ant-"),
            ("aws AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
            (
                "Authorization: Bearer abc.def-ghi_jkl12345",
                "abc.def-ghi_jkl12345",
            ),
            (
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "eyJhbGci",
            ),
            (
                "db postgres://admin:hunter22@db.internal:5432/x",
                "hunter22",
            ),
            ("mail jane.doe@example.com now", "jane.doe@example.com"),
            ("call +1 415-555-0132 today", "555-0132"),
            ("card 4111 1111 1111 1111 ok", "4111 1111 1111 1111"),
            ("from 203.0.113.77 port", "203.0.113.77"),
            ("v6 2001:db8:85a3:0:0:8a2e:370:7334 x", "2001:db8:85a3"),
            ("password=s3cretPassw0rd!", "s3cretPassw0rd!"),
            ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----",
                "MIIEabc",
            ),
        ];
        for (input, secret) in cases {
            let out = r.text(input);
            assert!(!out.contains(secret), "{input} -> {out}");
            assert!(out.contains("[redacted:"), "{input} -> {out}");
        }
        for plain in [
            "execute_tool refund",
            "gpt-4o-2024-08-06",
            "the order 12345 was refunded",
            "4111 1111 1111 1112",
        ] {
            assert_eq!(r.text(plain), plain);
        }
    }

    #[test]
    fn content_keeps_structure_and_secret_keys_go_whole() {
        let r = Redactor::builtin();
        let v = r.value(
            "gen_ai.input.messages",
            r#"[{"role":"user","parts":[{"type":"text","content":"my card is 4111111111111111, refund me"}]}]"#,
        );
        let j: serde_json::Value = serde_json::from_str(&v).expect("still JSON");
        assert_eq!(j[0]["role"], "user");
        assert_eq!(j[0]["parts"][0]["type"], "text");
        assert!(!v.contains("refund me") && !v.contains("4111"), "{v}");
        assert_eq!(
            r.value("http.request.header.authorization", "Basic Zm9vOmJhcg=="),
            "[redacted:secret]"
        );
        assert_eq!(r.value("gen_ai.tool.name", "refund"), "refund");
        let kept = Redactor::builtin().keep_content(true);
        let v = kept.value("gen_ai.prompt", "mail me at a@b.example.org");
        assert_eq!(v, "mail me at [redacted:email]");
    }
}
