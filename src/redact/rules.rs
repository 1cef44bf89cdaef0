//! The built-in redaction patterns, the secret-named keys, and the user's rule file
//! (more patterns, an allow-list, more content keys).

use super::{Redactor, Rule};
use regex::Regex;

/// A built-in rule: its name, pattern, the check a match must pass, the group
/// replaced.
type Builtin = (&'static str, &'static str, Check, usize);

/// Order matters: a private key block before the shorter patterns inside it; URL
/// passwords before emails (`user:pass@host`); the provider formats before the
/// generic shapes.
const BUILTIN: &[Builtin] = &[
    (
        "private_key",
        r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)",
        Check::None,
        0,
    ),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}",
        Check::None,
        0,
    ),
    (
        "api_key",
        concat!(
            r"\b(?:",
            r"sk-ant-[A-Za-z0-9_-]{16,}", // Anthropic
            r"|sk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_-]{20,}", // OpenAI, OpenRouter
            r"|(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}", // AWS access key id
            r"|gh[pousr]_[A-Za-z0-9]{30,}", // GitHub tokens
            r"|github_pat_[A-Za-z0-9_]{30,}",
            r"|glpat-[A-Za-z0-9_-]{20,}",                // GitLab
            r"|gl(?:sa|c|dt|ptt|rt)_[A-Za-z0-9_-]{20,}", // Grafana, GitLab others
            r"|xox[abposre]-[A-Za-z0-9-]{10,}",          // Slack
            r"|xapp-[0-9]-[A-Za-z0-9-]{10,}",
            r"|AIza[0-9A-Za-z_-]{35}",     // Google API key
            r"|GOCSPX-[A-Za-z0-9_-]{20,}", // Google OAuth client secret
            r"|ya29\.[A-Za-z0-9_-]{20,}",  // Google OAuth access token
            r"|(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}", // Stripe
            r"|whsec_[A-Za-z0-9]{20,}",    // Stripe webhook secret
            r"|hf_[A-Za-z0-9]{30,}",       // Hugging Face
            r"|gsk_[A-Za-z0-9]{30,}",      // Groq
            r"|xai-[A-Za-z0-9]{30,}",      // xAI
            r"|r8_[A-Za-z0-9]{30,}",       // Replicate
            r"|pplx-[A-Za-z0-9]{30,}",     // Perplexity
            r"|lsv2_(?:pt|sk)_[A-Za-z0-9_]{20,}", // LangSmith
            r"|(?:pk|sk)-lf-[A-Za-z0-9-]{20,}", // Langfuse
            r"|AccountKey=[A-Za-z0-9+/=]{20,}", // Azure storage
            r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", // SendGrid
            r"|npm_[A-Za-z0-9]{30,}",      // npm
            r"|pypi-[A-Za-z0-9_-]{50,}",   // PyPI
            r"|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", // Shopify
            r"|dop_v1_[a-f0-9]{64}",       // DigitalOcean
            r"|hv[sbr]\.[A-Za-z0-9_-]{20,}", // HashiCorp Vault
            r"|dapi[a-f0-9]{32}",          // Databricks
            r"|PMAK-[A-Za-z0-9]{20,}-[A-Za-z0-9]{20,}", // Postman
            r"|lin_(?:api|oauth)_[A-Za-z0-9]{30,}", // Linear
            r"|(?:secret|ntn)_[A-Za-z0-9]{40,}", // Notion
            r"|AGE-SECRET-KEY-1[A-Z0-9]{50,}", // age
            r"|key-[a-f0-9]{32}",          // Mailgun
            r"|SK[a-f0-9]{32}",            // Twilio API key
            r"|sq0(?:atp|csp)-[A-Za-z0-9_-]{20,}", // Square
            r"|EAAA[A-Za-z0-9_-]{40,}",
            r"|ATATT[A-Za-z0-9_=-]{30,}",         // Atlassian
            r"|NRAK-[A-Z0-9]{20,}",               // New Relic
            r"|sntr[yus]s_[A-Za-z0-9_=+/-]{30,}", // Sentry
            r"|EAA[A-Za-z0-9]{30,}",              // Meta
            r"|sl\.[A-Za-z0-9_-]{40,}",           // Dropbox
            r"|figd_[A-Za-z0-9_-]{30,}",          // Figma
            r"|sbp_[a-f0-9]{40}",                 // Supabase
            r"|nf[pc]_[A-Za-z0-9]{30,}",          // Netlify
            r"|dckr_pat_[A-Za-z0-9_-]{20,}",      // Docker Hub
            r"|pul-[a-f0-9]{40}",                 // Pulumi
            r")"
        ),
        Check::None,
        0,
    ),
    // Webhook URLs: the path is the secret.
    (
        "webhook",
        concat!(
            r"(?i)\bhttps://(?:",
            r"hooks\.slack\.com/(?:services|workflows|triggers)/",
            r"|(?:[a-z]+\.)?discord(?:app)?\.com/api/webhooks/",
            r"|[a-z0-9-]+\.webhook\.office\.com/",
            r"|chat\.googleapis\.com/v1/spaces/",
            r#")([^\s"'<>]+)"#
        ),
        Check::None,
        1,
    ),
    // A Telegram bot token: the bot's number, a colon, 35 characters.
    (
        "bot_token",
        r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b",
        Check::None,
        0,
    ),
    (
        "bearer",
        r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})",
        Check::None,
        1,
    ),
    // `token …` in text, when what follows looks random (not "token budget").
    (
        "token_word",
        r"(?i)\btoken\s+([A-Za-z0-9._~+/=-]{20,})",
        Check::Random,
        1,
    ),
    (
        "basic_auth",
        r"(?i)\bbasic\s+([A-Za-z0-9+/]{8,}={0,2})",
        Check::None,
        1,
    ),
    (
        "url_password",
        r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\[\]]+:([^@\s\[\]]+)@[A-Za-z0-9.\[\]-]",
        Check::UrlPassword,
        1,
    ),
    // A token as a URL's user name (`https://TOKEN@github.com/…`).
    (
        "url_token",
        r"(?i)\b[a-z][a-z0-9+.-]*://([A-Za-z0-9_~+-]{20,})@",
        Check::Random,
        1,
    ),
    // `NAME=value`, `NAME: value`, `"NAME": "value"`, `?NAME=value&` where NAME names
    // a secret by its words (`DB_PASSWORD`, `x-auth-token`, `sig`, `openaiApiKey`).
    (
        "password",
        r#"(?i)([A-Za-z][A-Za-z0-9_.-]*)["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token|digest)\s+)?([^\s"',;&<>\\]{3,})"#,
        Check::KeyNamed(1),
        2,
    ),
    // A long random value in a URL's query, whatever its parameter's name.
    (
        "url_secret",
        r"[?&][A-Za-z0-9_.-]+=([A-Za-z0-9_~+/%.-]{20,})",
        Check::Random,
        1,
    ),
    (
        "email",
        r"\b[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        Check::None,
        0,
    ),
    // Card numbers start with 2-6 (Unix times in s, ms, µs or ns start with 1).
    (
        "card",
        r"\b[2-6](?:[ -]?\d){12,18}\b|\b[2-6]\d{3}(?:\.\d{4}){2}\.\d{1,7}\b",
        Check::Luhn,
        0,
    ),
    (
        "ip",
        concat!(
            r"\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b",
            r"|\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b",
            r"|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:){0,5}[0-9A-Fa-f]{1,4}\b",
        ),
        Check::None,
        0,
    ),
    (
        "phone",
        r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\b\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}\b|\+\d{8,15}\b",
        Check::None,
        0,
    ),
    // Unknown providers: a short lower-case prefix, `_` or `-`, and a long random
    // tail (`abc_…`, `abc-v1-…`) — by shape and randomness, not by name.
    (
        "token",
        r"\b[a-z][a-z0-9]{1,9}[_-](?:[a-z0-9]{1,8}[_-])?([A-Za-z0-9]{24,})\b",
        Check::Random,
        0,
    ),
    // Base64 that decodes to text holding a secret (an encoded key or header).
    (
        "encoded",
        r"(?:^|[^A-Za-z0-9+/=_-])([A-Za-z0-9+/]{16,}={0,2})",
        Check::EncodedSecret,
        1,
    ),
];

/// The names of the built-in pattern rules, for the reference.
pub const RULE_NAMES: &[&str] = &[
    "private_key",
    "jwt",
    "api_key",
    "webhook",
    "bot_token",
    "bearer",
    "token_word",
    "basic_auth",
    "url_password",
    "url_token",
    "password",
    "url_secret",
    "email",
    "card",
    "ip",
    "phone",
    "token",
    "encoded",
];

/// Text without any of these (case aside) cannot name a secret: the `password`
/// rule, which matches every `word:` and `word=`, is not run on it.
pub(super) const SECRET_STEMS: &str =
    r"(?i)pass|pwd|secret|token|key|auth|cookie|sig|sas|credential|ssn|connection";

/// What a match must also pass to be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Check {
    /// Nothing: the shape says enough.
    None,
    /// The Luhn check (card numbers).
    Luhn,
    /// The group names a secret ([`is_secret_key`]).
    KeyNamed(usize),
    /// The replaced part looks random ([`looks_random`]): mixed letters and digits,
    /// not hex, not words.
    Random,
    /// The replaced part is base64 of text that itself holds a secret.
    EncodedSecret,
    /// The replaced part is a URL's password, not a port and path running into an
    /// `@` further on (`host:8083/api?user=a@b.example`).
    UrlPassword,
}

pub(super) fn builtin() -> Vec<Rule> {
    BUILTIN
        .iter()
        .filter_map(|&(name, re, check, group)| {
            // The patterns are constants, checked by the tests.
            Regex::new(re).ok().map(|re| Rule {
                name: name.to_owned(),
                re,
                check,
                group,
                isolated: name == "phone",
                // The shapes of unknown tokens spare the values of id-named keys
                // (`gen_ai.response.id` = `chatcmpl-…`).
                generic: matches!(check, Check::Random),
            })
        })
        .collect()
}

/// True when `s` looks like a machine-made random token rather than a word, an id
/// or a number: 20 characters or more, upper and lower case letters and digits, not
/// hex, and spread over many different characters (Shannon entropy near that of
/// random text of its length).
pub fn looks_random(s: &str) -> bool {
    let s = s.trim_end_matches('=');
    let n = s.chars().count();
    if n < 20 {
        return false;
    }
    let (mut upper, mut lower, mut digit) = (0, 0, 0);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            upper += 1;
        } else if c.is_ascii_lowercase() {
            lower += 1;
        } else if c.is_ascii_digit() {
            digit += 1;
        }
    }
    if upper == 0
        || lower == 0
        || digit == 0
        || s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    {
        return false;
    }
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let entropy: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum();
    // Random text of n characters from a large alphabet: close to log2(n) for short
    // n; words and CamelCase names stay well below.
    entropy >= 0.82 * (n.min(64) as f64).log2()
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

/// Words that make a key a secret's when they end its name: `db_password`,
/// `GITHUB_TOKEN`, `x-auth-token`, `sig`, `set-cookie`.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "cookie",
    "authorization",
    "auth",
    "signature",
    "sig",
    "sas",
    "apikey",
    "privatekey",
    "secretkey",
    "accesskey",
    "ssn",
];

/// `…_key` is a secret's when the word before it says which kind (`api_key`,
/// `secret_key`, `aws_secret_access_key`), not any key (`cache_key`, `partition_key`).
const KEY_KINDS: &[&str] = &[
    "api",
    "secret",
    "private",
    "access",
    "account",
    "signing",
    "encryption",
    "master",
    "client",
    "auth",
    "session",
    "service",
    "subscription",
    "app",
    "license",
    "webhook",
    "ssh",
    "storage",
    "shared",
    "sas",
    "hmac",
    "crypto",
];

/// Words ending a name run together (`dbpassword`, `authtoken`, `openaiapikey`).
const SECRET_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "apikey",
    "secretkey",
    "privatekey",
    "accesskey",
    "credentials",
    "authtoken",
    "accesstoken",
    "refreshtoken",
    "sessiontoken",
    "bearertoken",
];

/// The last two words of a name, split at anything not a letter or digit and at
/// case changes (`openaiApiKey`, `XAPIKey` → … `api key`), as slices of it: keys are
/// checked for every attribute shown or exported, so nothing is allocated.
fn last_two_words(name: &str) -> (Option<&str>, Option<&str>) {
    let (mut prev, mut last): (Option<&str>, Option<&str>) = (None, None);
    let mut start: Option<usize> = None;
    let mut close = |start: &mut Option<usize>, end: usize| {
        if let Some(s) = start.take() {
            prev = last;
            last = name.get(s..end);
        }
    };
    let mut chars = name.char_indices().peekable();
    let mut before: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if !c.is_alphanumeric() {
            close(&mut start, i);
        } else {
            let boundary = c.is_uppercase()
                && before.is_some_and(|p| {
                    p.is_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
                });
            if boundary {
                close(&mut start, i);
            }
            start.get_or_insert(i);
        }
        before = Some(c);
    }
    close(&mut start, name.len());
    (prev, last)
}

/// True when an attribute or field named `key` holds a secret as a whole, told by
/// the words of its last segment (see [`SECRET_WORDS`], [`KEY_KINDS`]).
pub(super) fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit(['.', '/']).next().unwrap_or(key);
    let (p, t) = last_two_words(last);
    let Some(t) = t else {
        return false;
    };
    let is = |w: &str, list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(w));
    is(t, SECRET_WORDS)
        || (t.eq_ignore_ascii_case("key") && p.is_some_and(|p| is(p, KEY_KINDS)))
        || (t.eq_ignore_ascii_case("string")
            && p.is_some_and(|p| p.eq_ignore_ascii_case("connection")))
        || t.eq_ignore_ascii_case("connectionstring")
        || SECRET_SUFFIXES.iter().any(|s| {
            t.len() > s.len()
                && t.get(t.len() - s.len()..)
                    .is_some_and(|end| end.eq_ignore_ascii_case(s))
        })
}

/// True when `key` names an id, hash or similar machine value (`gen_ai.response.id`,
/// `tool_call_id`, `content_hash`): its value is shown as it is unless a known
/// secret format is in it.
pub(super) fn is_id_key(key: &str) -> bool {
    let last = key.rsplit(['.', '/']).next().unwrap_or(key);
    last_two_words(last).1.is_some_and(|t| {
        [
            "id",
            "ids",
            "uuid",
            "guid",
            "hash",
            "digest",
            "sha",
            "sha256",
            "checksum",
            "etag",
            "fingerprint",
        ]
        .iter()
        .any(|x| x.eq_ignore_ascii_case(t))
    })
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
                check: Check::None,
                group: 0,
                isolated: false,
                generic: false,
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
        assert!(regex::Regex::new(super::SECRET_STEMS).is_ok());
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
