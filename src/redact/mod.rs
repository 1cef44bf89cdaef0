//! Redaction: what makes a trace safe to share. Real traces carry customer prompts,
//! emails, API keys and tokens; every view that hands a trace on (the export, the
//! Markdown summary, the explorer's privacy mode, the MCP server) passes each string
//! through one [`Redactor`], so what counts as a secret is decided in one place.
//!
//! Redaction is by design, not by a list of formats seen so far:
//! - **names**: a key's words decide (`DB_PASSWORD`, `x-auth-token`, `openaiApiKey`,
//!   `aws_secret_access_key`, `sig`): the value of a secret-named attribute is replaced
//!   whole, and `NAME=value`, `NAME: value`, `"NAME": "value"` and `?NAME=value` in
//!   text lose their value;
//! - **shapes**: the formats of the providers (keys, tokens, webhooks, JWTs, private
//!   keys), passwords and tokens in URLs, emails, phone numbers, Luhn-checked card
//!   numbers, IP addresses;
//! - **randomness**: a long token mixing cases and digits with the entropy of random
//!   text, after a short prefix (`abc_…`), in a URL's query or user name, or after
//!   `token`; base64 that decodes to any of the above.
//!
//! Message and tool payload content is replaced by a placeholder that keeps its
//! structure (JSON keys, roles, tool names) and its length class, unless content is
//! kept. Ids (values of `…id`, `…hash` keys, hex, UUIDs) and timestamps keep their
//! shape.

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
    /// What a match must also pass to be replaced (Luhn, a secret's name, looking
    /// random, decoding to a secret).
    check: rules::Check,
    /// The capture group replaced (0: the whole match).
    group: usize,
    /// A match that continues into more digit groups (`1111 1111` inside a longer
    /// number) is not this rule's: phone numbers.
    isolated: bool,
    /// A shape of unknown tokens: not applied to the values of id-named keys.
    generic: bool,
}

/// Longest base64 run decoded to look for a secret inside (an image is not).
const MAX_DECODED: usize = 4096;

/// Decides what of a trace's text may be shown or shared.
#[derive(Clone, Debug)]
pub struct Redactor {
    rules: Vec<Rule>,
    /// Text that may name a secret (see [`rules::SECRET_STEMS`]).
    stems: Option<Regex>,
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
            // A constant pattern, checked by the tests.
            stems: Regex::new(rules::SECRET_STEMS).ok(),
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
        self.text_in(s, true, true)
    }

    /// [`Redactor::text`], the shapes of unknown tokens only when `generic`, base64
    /// looked into only when `decode`.
    fn text_in<'a>(&self, s: &'a str, generic: bool, decode: bool) -> Cow<'a, str> {
        let mut out: Cow<'a, str> = Cow::Borrowed(s);
        for rule in &self.rules {
            let named = matches!(rule.check, rules::Check::KeyNamed(_));
            if (rule.generic && !generic)
                || (rule.check == rules::Check::EncodedSecret && !decode)
                || (named && self.stems.as_ref().is_some_and(|st| !st.is_match(&out)))
                || !rule.re.is_match(&out)
            {
                continue;
            }
            if let Some(replaced) = self.apply(rule, &out) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// `hay` with the matches of `rule` that pass its check replaced; `None` when
    /// none did. A match whose key does not name a secret is searched again from
    /// the end of its key, so that `failed: password=…` still finds `password=…`.
    fn apply(&self, rule: &Rule, hay: &str) -> Option<String> {
        let mut out = String::new();
        let (mut copied, mut at) = (0, 0);
        while at <= hay.len() {
            let Some(c) = rule.re.captures_at(hay, at) else {
                break;
            };
            let Some(whole) = c.get(0) else {
                break;
            };
            let part = c.get(rule.group);
            let replace = part.is_some_and(|part| {
                let spared = (rule.isolated
                    && rules::continues_digits(hay, whole.start(), whole.end()))
                    || self.allowed(part.as_str())
                    || part.as_str().starts_with("[redacted");
                !spared && self.passes(rule, &c, part.as_str())
            });
            let next = match (replace, part) {
                (true, Some(part)) => {
                    out.push_str(&hay[copied..part.start()]);
                    out.push_str("[redacted:");
                    out.push_str(&rule.name);
                    out.push(']');
                    copied = part.end();
                    whole.end()
                }
                _ => match rule.check {
                    rules::Check::KeyNamed(k) => c.get(k).map_or(whole.end(), |k| k.end()),
                    _ => whole.end(),
                },
            };
            // Always forward, on a character boundary.
            at = if next > whole.start() {
                next
            } else {
                whole.start()
                    + hay[whole.start()..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8)
            };
        }
        (copied > 0).then(|| {
            out.push_str(&hay[copied..]);
            out
        })
    }

    /// Whether a match of `rule` (its replaced part `part`) passes the rule's check.
    fn passes(&self, rule: &Rule, c: &regex::Captures<'_>, part: &str) -> bool {
        use rules::Check;
        match rule.check {
            Check::None => true,
            Check::Luhn => rules::luhn_ok(part),
            Check::UrlPassword => {
                let port = part.split('/').next().is_some_and(|p| {
                    part.contains('/') && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
                });
                !port && !part.contains(['?', '#'])
            }
            Check::KeyNamed(k) => c.get(k).is_some_and(|k| rules::is_secret_key(k.as_str())),
            // The random part: the first group when the whole match is replaced.
            Check::Random => rules::looks_random(c.get(1).map_or(part, |m| m.as_str())),
            Check::EncodedSecret => {
                use base64::Engine as _;
                if part.len() > MAX_DECODED {
                    return false;
                }
                // Base64 of text mixes cases and digits (or `+/=`); a long word does not.
                let b = part.as_bytes();
                let mixed = b.iter().any(u8::is_ascii_uppercase)
                    && b.iter().any(u8::is_ascii_lowercase)
                    && b.iter()
                        .any(|c| c.is_ascii_digit() || matches!(c, b'+' | b'/' | b'='));
                if !mixed || part.trim_end_matches('=').len() % 4 == 1 {
                    return false;
                }
                let engine = base64::engine::general_purpose::STANDARD;
                let Ok(bytes) = engine.decode(part.as_bytes()) else {
                    return false;
                };
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    return false;
                };
                let printable = text.chars().all(|c| !c.is_control() || c.is_whitespace());
                printable && matches!(self.text_in(text, true, false), Cow::Owned(_))
            }
        }
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
        // An id keeps its shape: only known secret formats are looked for in it.
        self.text_in(v, !rules::is_id_key(key), true)
    }

    /// What replaces an opaque bytes value (its content cannot be checked).
    pub fn bytes(&self, len: usize) -> String {
        format!("[redacted bytes, {len} bytes]")
    }

    /// An integer value of attribute `key`: card numbers stored as integers are
    /// replaced (as text); everything else is kept.
    pub fn int(&self, key: &str, v: i64) -> Option<String> {
        let digits = v.unsigned_abs().to_string();
        // Card numbers start with 2-6; Unix times start with 1.
        let card = (13..=19).contains(&digits.len())
            && digits.starts_with(['2', '3', '4', '5', '6'])
            && rules::luhn_ok(&digits);
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
    fn secret_named_keys_by_their_words() {
        for k in [
            "db_password",
            "OPENAI_API_KEY",
            "AZURE_OPENAI_API_KEY",
            "github_token",
            "aws_secret_access_key",
            "auth_token",
            "http.request.header.x-auth-token",
            "secret_key",
            "openaiApiKey",
            "sessionToken",
            "clientSecret",
            "app.config.connectionString",
            "sig",
            "X-Amz-Signature",
            "set-cookie",
            "dbpassword",
            "x-api-key",
            "user.password",
        ] {
            assert!(rules::is_secret_key(k), "{k}");
        }
        for k in [
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "llm.token_count.prompt",
            "max_tokens",
            "token_type",
            "cache_key",
            "partition_key",
            "gen_ai.tool.name",
            "k8s.secret.name",
            "session.id",
            "gen_ai.conversation.id",
            "auth.method",
        ] {
            assert!(!rules::is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn ids_hashes_and_times_keep_their_shape() {
        let r = Redactor::builtin();
        for (k, v) in [
            (
                "gen_ai.response.id",
                "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz12",
            ),
            ("gen_ai.tool.call.id", "call_Zx8Kq2LmN4pR7sT1vW3yB5dF"),
            ("trace_id", "5b8efff798038103d269b633813fc60c"),
            (
                "content_hash",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            ),
            ("note", "request 550e8400-e29b-41d4-a716-446655440000 done"),
            ("note", "at 1763000000123456789 and 1763000000123"),
            (
                "note",
                "see OpenAIChatCompletionInstrumentor2024 and packages/opentelemetry",
            ),
            ("note", "token budget exhausted after 4096 tokens"),
            (
                "gen_ai.request.model",
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
            ),
        ] {
            assert_eq!(r.value(k, v), v, "{k}");
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
