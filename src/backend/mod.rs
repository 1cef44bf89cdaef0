//! Trace backends as sources: `clickhouse://`, `tempo://` and `jaeger://` URLs are
//! read through each engine's own query API into the same model as a file, so the
//! tree, findings, stats and export work unchanged while the engine does the
//! searching. What the command line asks for (a trace, a session, a time range, the
//! filter terms the engine can evaluate, a limit) becomes the engine's query; the rest
//! of the filter is applied locally afterwards. Read-only: only queries are sent.

pub mod clickhouse;
mod http;
pub mod jaeger;
pub mod tempo;

use crate::decode::Decoded;
use crate::model::{Batch, Position, Warning};
use crate::query::filter::Pushdown;

/// Traces fetched when no `--limit` is given.
pub const DEFAULT_LIMIT: usize = 100;
/// The time range searched when none is given: the last day.
pub const DEFAULT_SINCE_NS: u64 = 24 * 3600 * 1_000_000_000;

/// Which engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// ClickHouse over its HTTP interface, the collector exporter's schema.
    ClickHouse,
    /// Grafana Tempo's HTTP API.
    Tempo,
    /// Jaeger's query API (v3, falling back to v1).
    Jaeger,
}

/// A backend named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// The engine.
    pub engine: Engine,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// ClickHouse: the database.
    pub database: String,
    /// ClickHouse: the traces table.
    pub table: String,
    /// User from the URL (`clickhouse://user@host`); never a password.
    pub user: Option<String>,
    /// HTTPS (`clickhouse+https://`, `tempo+https://`, `jaeger+https://`, or
    /// `?secure=true`): certificates checked against Mozilla's roots, or against the
    /// PEM bundle in SSL_CERT_FILE.
    pub tls: bool,
    /// Tempo and Jaeger behind a path (`tempo+https://HOST/tempo`, a Jaeger
    /// `QUERY_BASE_PATH`): "" or "/path", no trailing slash.
    pub path: String,
}

impl Backend {
    /// Whether a command-line word names a backend (and not a file).
    pub fn is_url(word: &str) -> bool {
        ["clickhouse", "tempo", "jaeger"].iter().any(|e| {
            word.strip_prefix(e)
                .map(|r| r.strip_prefix("+https").unwrap_or(r))
                .is_some_and(|r| r.starts_with("://"))
        })
    }

    /// Parses `clickhouse://[USER@]HOST[:8123][/DB][?table=T]`,
    /// `tempo://HOST[:3200][/PATH]`, `jaeger://HOST[:16686][/PATH]`, each also as
    /// `ENGINE+https://` (default ports 8443, 443, 443) or with `?secure=true`. A
    /// password in the URL is refused: it would show in `ps` and in shell history.
    pub fn parse(url: &str) -> Result<Backend, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("{url}: not a backend URL"))?;
        let (name, mut tls) = match scheme.strip_suffix("+https") {
            Some(n) => (n, true),
            None => (scheme, false),
        };
        let engine = match name {
            "clickhouse" => Engine::ClickHouse,
            "tempo" => Engine::Tempo,
            "jaeger" => Engine::Jaeger,
            other => {
                return Err(format!(
                    "{url}: unknown backend {other:?} (clickhouse, tempo, jaeger; ENGINE+https:// for TLS)"
                ));
            }
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => {
                if u.contains(':') {
                    return Err(format!(
                        "{scheme}://…: a password in the URL would show in `ps` and shell history; give it in CLICKHOUSE_PASSWORD or ~/.netrc"
                    ));
                }
                (Some(u.to_owned()), h)
            }
            None => (None, authority),
        };
        let mut table = "otel_traces".to_owned();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("table", t)) if is_identifier(t) && engine == Engine::ClickHouse => {
                    table = t.to_owned()
                }
                Some(("secure", "true" | "1")) => tls = true,
                Some(("secure", "false" | "0")) if !scheme.ends_with("+https") => tls = false,
                _ => {
                    let known = if engine == Engine::ClickHouse {
                        "table=NAME, secure=true"
                    } else {
                        "secure=true"
                    };
                    return Err(format!("{url}: unknown or bad option {pair:?} ({known})"));
                }
            }
        }
        let default_port = match (engine, tls) {
            (Engine::ClickHouse, false) => 8123,
            (Engine::ClickHouse, true) => 8443,
            (Engine::Tempo, false) => 3200,
            (Engine::Jaeger, false) => 16686,
            (_, true) => 443,
        };
        let (host, port) = split_host_port(hostport, default_port)
            .ok_or_else(|| format!("{scheme}://{hostport}: expected HOST or HOST:PORT"))?;
        let trimmed = path.trim_matches('/');
        let (database, path) = match engine {
            Engine::ClickHouse => match trimmed {
                "" => ("default".to_owned(), String::new()),
                db if is_identifier(db) => (db.to_owned(), String::new()),
                db => return Err(format!("{url}: {db:?} is not a database name")),
            },
            _ if trimmed.is_empty() => ("default".to_owned(), String::new()),
            _ if trimmed.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != ".."
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
            }) =>
            {
                ("default".to_owned(), format!("/{trimmed}"))
            }
            _ => return Err(format!("{url}: {trimmed:?} is not a plain URL path")),
        };
        Ok(Backend {
            engine,
            host,
            port,
            database,
            table,
            user,
            tls,
            path,
        })
    }

    /// The backend as shown in messages (no credentials).
    pub fn label(&self) -> String {
        let tls = if self.tls { "+https" } else { "" };
        match self.engine {
            Engine::ClickHouse => format!(
                "clickhouse{tls}://{}:{}/{}?table={}",
                self.host, self.port, self.database, self.table
            ),
            Engine::Tempo => format!("tempo{tls}://{}:{}{}", self.host, self.port, self.path),
            Engine::Jaeger => format!("jaeger{tls}://{}:{}{}", self.host, self.port, self.path),
        }
    }

    /// The HTTP base address (with the path a Tempo or Jaeger is served under).
    fn base(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}{}", self.host, self.port, self.path)
        } else {
            format!("{scheme}://{}:{}{}", self.host, self.port, self.path)
        }
    }
}

fn split_host_port(s: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default,
            None => return None,
        };
        return Some((h.to_owned(), port));
    }
    let (h, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (s, default),
    };
    (!h.is_empty()
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'))
    .then(|| (h.to_owned(), port))
}

/// A whole trace id: 32 hex digits.
fn is_whole_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Database and table names: letters, digits, `_` (what needs no quoting).
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// What to ask a backend for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// These traces (full ids, or prefixes where the engine can search them).
    pub traces: Vec<String>,
    /// This session / conversation.
    pub session: Option<String>,
    /// Unix ns: from (inclusive).
    pub from: Option<u64>,
    /// Unix ns: to (inclusive).
    pub to: Option<u64>,
    /// Filter terms the engine evaluates (the whole filter still runs locally).
    pub pushdown: Vec<Pushdown>,
    /// At most this many traces.
    pub limit: Option<usize>,
    /// User (`--user`, else CLICKHOUSE_USER, else the URL's, else a netrc entry).
    pub user: Option<String>,
    /// Seconds before a request is given up.
    pub timeout_secs: Option<u64>,
}

impl Query {
    /// The time range searched: the given one, else the last day up to now.
    pub fn range(&self) -> (u64, u64) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let to = self.to.unwrap_or(now);
        let from = self
            .from
            .unwrap_or_else(|| to.saturating_sub(DEFAULT_SINCE_NS));
        (from, to)
    }

    /// The traces asked for, lower case, when every one is a whole id (fetched by id,
    /// no search needed).
    pub fn whole_ids(&self) -> Option<Vec<String>> {
        (!self.traces.is_empty() && self.traces.iter().all(|t| is_whole_id(t)))
            .then(|| self.traces.iter().map(|t| t.to_ascii_lowercase()).collect())
    }

    /// The trace limit.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT).max(1)
    }
}

/// Why a backend could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Nothing answered, or the connection broke.
    #[error("{backend}: {message}")]
    Unreachable {
        /// The backend's label.
        backend: String,
        /// What happened (refused, timed out, closed mid-answer).
        message: String,
    },
    /// The server refused the credentials.
    #[error("{backend}: authentication failed: {message}")]
    Auth {
        /// The backend's label.
        backend: String,
        /// The server's message (sanitized).
        message: String,
    },
    /// The server rejected the query.
    #[error("{backend}: the server rejected the query (HTTP {status}): {message}")]
    Rejected {
        /// The backend's label.
        backend: String,
        /// HTTP status.
        status: u16,
        /// The server's message (sanitized, cut).
        message: String,
    },
    /// The answer was not what the API returns.
    #[error("{backend}: unexpected answer: {message}")]
    Garbage {
        /// The backend's label.
        backend: String,
        /// What was wrong with it.
        message: String,
    },
}

/// What a backend gave.
pub struct Fetched {
    /// The spans, ready for the model.
    pub decoded: Decoded,
    /// More traces matched than were fetched.
    pub more: bool,
}

/// How a backend's answers become spans: the input layer's decoding of bytes (an
/// engine answers in formats `decode` reads), given to the backend so that it hands
/// back bytes to be decoded without knowing the layer above it.
pub type Decoder = dyn Fn(Vec<u8>, &str, u32) -> Result<Decoded, String> + Sync;

/// Where fetched spans go: the source index they are from and the decoder of answers.
pub struct Target<'a> {
    /// The source index of the spans.
    pub source: u32,
    /// Decodes an answer's bytes (given its label and the source index).
    pub decode: &'a Decoder,
}

/// Fetches what `q` asks for from `b`.
pub fn fetch(b: &Backend, q: &Query, to: &Target<'_>) -> Result<Decoded, BackendError> {
    let source = to.source;
    // A `trace:` term with a whole id is a fetch by id, which every engine answers
    // without a search.
    let mut q = q.clone();
    q.pushdown.retain(|p| match p {
        Pushdown::TraceId(id) if is_whole_id(id) => {
            q.traces.push(id.clone());
            false
        }
        _ => true,
    });
    let q = &q;
    let client = http::Client::new(b, q)?;
    let fetched = match b.engine {
        Engine::ClickHouse => clickhouse::fetch(&client, b, q, source)?,
        Engine::Tempo => tempo::fetch(&client, b, q, to)?,
        Engine::Jaeger => jaeger::fetch(&client, b, q, to)?,
    };
    let mut decoded = fetched.decoded;
    if decoded.span_count() == 0 && q.from.is_none() && q.traces.is_empty() {
        decoded.batches.push(Batch {
            warnings: vec![Warning {
                source: b.label(),
                position: Position::Whole,
                message: "no traces in the last day; --since 7d or --from TIME looks further back"
                    .into(),
            }],
            ..Batch::default()
        });
    }
    if fetched.more {
        decoded.batches.insert(
            0,
            Batch {
                warnings: vec![Warning {
                    source: b.label(),
                    position: Position::Whole,
                    message: format!(
                        "more traces available: showing the newest {}; raise --limit or narrow with --since, --from/--to, --session or --filter",
                        q.limit()
                    ),
                }],
                ..Batch::default()
            },
        );
    }
    Ok(decoded)
}

/// A point in time for `--from`/`--to`: RFC 3339 (`2026-12-02T03:00:00Z`, an offset,
/// fractions), `YYYY-MM-DD[ HH:MM[:SS]]` (UTC), or Unix seconds. Unix ns.
pub fn parse_time(text: &str) -> Option<u64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
        return t.parse::<u64>().ok()?.checked_mul(1_000_000_000);
    }
    let (date, rest) = t.split_at(t.find(['T', 't', ' ']).unwrap_or(t.len()));
    let mut d = date.split('-');
    let (y, m, day): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let rest = rest.get(1..).unwrap_or("");
    let (clock, offset) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut c = clock.split(':');
    let hh: i64 = c
        .next()
        .filter(|x| !x.is_empty())
        .map_or(Some(0), |x| x.parse().ok())?;
    let mm: i64 = c.next().map_or(Some(0), |x| x.parse().ok())?;
    let (ss, frac) = match c.next() {
        Some(x) => {
            let (whole, f) = x.split_once('.').unwrap_or((x, ""));
            let mut f = f.to_owned();
            f.truncate(9);
            while f.len() < 9 {
                f.push('0');
            }
            (whole.parse::<i64>().ok()?, f.parse::<i64>().ok()?)
        }
        None => (0, 0),
    };
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let off_secs: i64 = match offset {
        "" | "Z" | "z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (h, m) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    crate::format::unix_nanos(y, i64::from(m), i64::from(day), hh, mm, ss, frac, off_secs)
}

/// Text from a server, made safe and short for a message.
fn server_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(2000)]);
    let t = crate::sanitize::sanitize(text.trim());
    crate::format::truncate(&t, 400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_defaults_and_refuse_passwords() {
        let b = Backend::parse("clickhouse://ch.local/otel?table=spans").expect("parses");
        assert_eq!(
            (
                b.host.as_str(),
                b.port,
                b.database.as_str(),
                b.table.as_str()
            ),
            ("ch.local", 8123, "otel", "spans")
        );
        let b = Backend::parse("clickhouse://reader@10.0.0.5:9000").expect("parses");
        assert_eq!(
            (b.user.as_deref(), b.port, b.database.as_str()),
            (Some("reader"), 9000, "default")
        );
        assert!(
            Backend::parse("clickhouse://u:secret@h/db")
                .expect_err("refused")
                .contains("password")
        );
        assert!(Backend::parse("clickhouse://h/db;drop").is_err());
        assert!(Backend::parse("clickhouse://h/db?table=a%20b").is_err());
        let t = Backend::parse("tempo://tempo:3200").expect("parses");
        assert_eq!((t.engine, t.port), (Engine::Tempo, 3200));
        let j = Backend::parse("jaeger://[::1]").expect("parses");
        assert_eq!((j.host.as_str(), j.port), ("::1", 16686));
        assert_eq!(j.base(), "http://[::1]:16686");
        assert!(Backend::parse("zipkin://h").is_err());
    }

    #[test]
    fn https_urls_take_tls_ports_and_paths() {
        let c = Backend::parse("clickhouse+https://abc.clickhouse.cloud/otel").expect("parses");
        assert!(c.tls);
        assert_eq!(c.port, 8443);
        assert_eq!(c.base(), "https://abc.clickhouse.cloud:8443");
        assert_eq!(
            c.label(),
            "clickhouse+https://abc.clickhouse.cloud:8443/otel?table=otel_traces"
        );
        let c = Backend::parse("clickhouse://ch:9440/otel?secure=true&table=t").expect("parses");
        assert!(c.tls && c.port == 9440 && c.table == "t");
        let t = Backend::parse("tempo+https://tempo-prod.grafana.net/tempo").expect("parses");
        assert_eq!(t.base(), "https://tempo-prod.grafana.net:443/tempo");
        assert_eq!(t.label(), "tempo+https://tempo-prod.grafana.net:443/tempo");
        let j = Backend::parse("jaeger://ops.local:16686/jaeger/ui/").expect("parses");
        assert_eq!(j.base(), "http://ops.local:16686/jaeger/ui");
        assert!(!j.tls);
        assert!(Backend::is_url("tempo+https://h") && Backend::is_url("jaeger://h"));
        assert!(!Backend::is_url("tempo+http://h") && !Backend::is_url("tempofile.json"));
        // Paths are plain: no dot segments, no query tricks, no table for Tempo.
        assert!(Backend::parse("tempo://h/../admin").is_err());
        assert!(Backend::parse("tempo://h/a%2Fb").is_err());
        assert!(Backend::parse("tempo://h?table=x").is_err());
        assert!(Backend::parse("tempo+https://h?secure=false").is_err());
    }

    #[test]
    fn times_parse_in_every_documented_form() {
        let t = 1_764_644_400_000_000_000u64; // 2025-12-02T03:00:00Z
        assert_eq!(parse_time("2025-12-02T03:00:00Z"), Some(t));
        assert_eq!(parse_time("2025-12-02 03:00"), Some(t));
        assert_eq!(parse_time("2025-12-02T05:00:00+02:00"), Some(t));
        assert_eq!(parse_time("2025-12-02T03:00:00.5Z"), Some(t + 500_000_000));
        assert_eq!(parse_time("1764644400"), Some(t));
        assert_eq!(parse_time("2025-12-02"), Some(t - 3 * 3_600_000_000_000));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2025-13-02"), None);
    }
}
