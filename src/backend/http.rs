//! The HTTP side of every backend: one blocking client with a connect timeout, a
//! whole-request timeout and a cap on the answer's size, credentials from the
//! environment or a netrc file (never from the command line), and the server's own
//! message (sanitized) when it refuses.

use super::{Backend, BackendError, Engine, Query, server_text};
use std::time::Duration;

/// Seconds a request may take by default (`--timeout` changes it).
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Seconds to connect.
const CONNECT_SECS: u64 = 5;
/// The largest answer read (a trace of this size is far past what a backend keeps).
pub const MAX_ANSWER_BYTES: u64 = 512 << 20;

/// The answer size cap: [`MAX_ANSWER_BYTES`], or AGTRACE_BACKEND_MAX_MB.
fn max_answer() -> u64 {
    std::env::var("AGTRACE_BACKEND_MAX_MB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(MAX_ANSWER_BYTES, |mb| mb.max(1) << 20)
}

/// What to do about a certificate that is not trusted.
const CA_HINT: &str =
    "signed by a private CA? point SSL_CERT_FILE at a PEM file holding its certificate";

/// Certificates HTTPS backends are checked against: Mozilla's roots (built in), or
/// only those of the PEM bundle SSL_CERT_FILE names (as OpenSSL, curl and Python
/// read it), for a team's private CA.
fn tls_config(label: &str) -> Result<ureq::tls::TlsConfig, BackendError> {
    use ureq::tls::{PemItem, RootCerts, TlsConfig};
    let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) else {
        return Ok(TlsConfig::builder().root_certs(RootCerts::WebPki).build());
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let bad = |message: String| BackendError::Unreachable {
        backend: label.to_owned(),
        message,
    };
    let pem = std::fs::read(&path).map_err(|e| bad(format!("SSL_CERT_FILE {shown}: {e}")))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("SSL_CERT_FILE {shown}: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(bad(format!(
            "SSL_CERT_FILE {shown}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it"
        )));
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&certs))
        .build())
}

/// Credentials for a host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub user: Option<String>,
    /// Password or token.
    pub password: Option<String>,
}

/// A client for one backend.
pub struct Client {
    agent: ureq::Agent,
    label: String,
    timeout: u64,
    creds: Credentials,
    engine: Engine,
}

/// An answer: status and body.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
    /// Its content type.
    pub content_type: String,
}

impl Client {
    /// A client for `b` with the query's timeout and user.
    pub fn new(b: &Backend, q: &Query) -> Result<Client, BackendError> {
        let timeout = q.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS).max(1);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls_config(&b.label())?)
            .https_only(b.tls)
            .timeout_global(Some(Duration::from_secs(timeout)))
            .timeout_connect(Some(Duration::from_secs(CONNECT_SECS.min(timeout))))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Ok(Client {
            agent,
            label: b.label(),
            timeout,
            creds: credentials(b, q),
            engine: b.engine,
        })
    }

    /// The backend's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// GET `url` with these headers.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Answer, BackendError> {
        let req = self.headed(self.agent.get(url), headers);
        self.finish(req.call())
    }

    /// POST `body` to `url`.
    pub fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer, BackendError> {
        let req = self.headed(self.agent.post(url), headers);
        self.finish(req.send(body))
    }

    /// The request with the credentials and `headers` on it.
    fn headed<B>(
        &self,
        mut req: ureq::RequestBuilder<B>,
        headers: &[(&str, &str)],
    ) -> ureq::RequestBuilder<B> {
        for (k, v) in &self.auth_headers() {
            req = req.header(*k, v.as_str());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req
    }

    fn auth_headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match self.engine {
            Engine::ClickHouse => {
                if let Some(u) = &self.creds.user {
                    out.push(("X-ClickHouse-User", u.clone()));
                }
                if let Some(p) = &self.creds.password {
                    out.push(("X-ClickHouse-Key", p.clone()));
                }
            }
            Engine::Tempo | Engine::Jaeger => {
                if let Some(p) = &self.creds.password {
                    let value = match &self.creds.user {
                        Some(u) => format!("Basic {}", base64(format!("{u}:{p}").as_bytes())),
                        None => format!("Bearer {p}"),
                    };
                    out.push(("Authorization", value));
                }
            }
        }
        out
    }

    fn finish(
        &self,
        r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer, BackendError> {
        let mut resp = r.map_err(|e| self.unreachable(e))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = resp
            .body_mut()
            .with_config()
            .limit(max_answer())
            .read_to_vec()
            .map_err(|e| self.unreachable(e))?;
        if status == 401 || status == 403 {
            return Err(BackendError::Auth {
                backend: self.label.clone(),
                message: format!("HTTP {status}: {}", server_text(&body)),
            });
        }
        Ok(Answer {
            status,
            body,
            content_type,
        })
    }

    fn unreachable(&self, e: ureq::Error) -> BackendError {
        let message = match e {
            ureq::Error::Timeout(_) => format!(
                "no answer within {} s (--timeout SECS gives it longer)",
                self.timeout
            ),
            ureq::Error::BodyExceedsLimit(n) => format!(
                "the answer is larger than {} MB; narrow the query (--trace, --since, --limit)",
                n >> 20
            ),
            ureq::Error::HostNotFound => "host not found".to_owned(),
            ureq::Error::Rustls(e) => format!("TLS: {e} ({CA_HINT})"),
            ureq::Error::Tls(e) => format!("TLS: {e}"),
            ureq::Error::ConnectionFailed => "connection refused".to_owned(),
            // A refused certificate surfaces from the handshake as an I/O error.
            ureq::Error::Io(io) if io.to_string().contains("certificate") => {
                format!("TLS: {io} ({CA_HINT})")
            }
            ureq::Error::Io(io) => format!("connection failed or closed mid-answer: {io}"),
            other => other.to_string(),
        };
        BackendError::Unreachable {
            backend: self.label.clone(),
            message,
        }
    }

    /// A refusal as an error naming what the server said.
    pub fn rejected(&self, a: &Answer) -> BackendError {
        BackendError::Rejected {
            backend: self.label.clone(),
            status: a.status,
            message: server_text(&a.body),
        }
    }

    /// An answer that is not what the API returns.
    pub fn garbage(&self, message: impl Into<String>) -> BackendError {
        BackendError::Garbage {
            backend: self.label.clone(),
            message: message.into(),
        }
    }
}

/// The user and password for `b`: `--user`, else the engine's environment variables
/// (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, TEMPO_TOKEN, JAEGER_TOKEN), else the URL's
/// user, else the netrc entry for the host ($NETRC or ~/.netrc).
fn credentials(b: &Backend, q: &Query) -> Credentials {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let netrc = netrc_entry(&b.host);
    let (user_var, pass_var) = match b.engine {
        Engine::ClickHouse => ("CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"),
        Engine::Tempo => ("TEMPO_USER", "TEMPO_TOKEN"),
        Engine::Jaeger => ("JAEGER_USER", "JAEGER_TOKEN"),
    };
    Credentials {
        user: q
            .user
            .clone()
            .or_else(|| env(user_var))
            .or_else(|| b.user.clone())
            .or_else(|| netrc.as_ref().and_then(|n| n.user.clone())),
        password: env(pass_var).or_else(|| netrc.and_then(|n| n.password)),
    }
}

/// The netrc entry for `host` (or its `default`).
fn netrc_entry(host: &str) -> Option<Credentials> {
    let path = std::env::var_os("NETRC")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".netrc")))?;
    let text = std::fs::read_to_string(path).ok()?;
    parse_netrc(&text, host)
}

/// netrc: `machine HOST login USER password PASS`, tokens separated by any
/// whitespace; `default` matches any host.
fn parse_netrc(text: &str, host: &str) -> Option<Credentials> {
    let mut words = text.split_whitespace();
    let (mut found, mut default) = (None, None);
    let mut cur: Option<(bool, Credentials)> = None;
    let mut close = |cur: &mut Option<(bool, Credentials)>| {
        if let Some((is_default, c)) = cur.take() {
            if is_default {
                default.get_or_insert(c);
            } else {
                found.get_or_insert(c);
            }
        }
    };
    while let Some(w) = words.next() {
        match w {
            "machine" => {
                close(&mut cur);
                let m = words.next().unwrap_or("");
                cur = (m == host).then(|| (false, Credentials::default()));
            }
            "default" => {
                close(&mut cur);
                cur = Some((true, Credentials::default()));
            }
            "login" => {
                let v = words.next().map(str::to_owned);
                if let Some((_, c)) = cur.as_mut() {
                    c.user = v;
                }
            }
            "password" => {
                let v = words.next().map(str::to_owned);
                if let Some((_, c)) = cur.as_mut() {
                    c.password = v;
                }
            }
            _ => {}
        }
    }
    close(&mut cur);
    found.or(default)
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `s` percent-encoded for a URL query value or path segment.
pub fn pct(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_picks_the_host_then_default() {
        let text = "machine other login a password b\nmachine ch.local\n  login reader\n  password s3cret\ndefault login anon password x";
        let c = parse_netrc(text, "ch.local").expect("entry");
        assert_eq!(
            (c.user.as_deref(), c.password.as_deref()),
            (Some("reader"), Some("s3cret"))
        );
        let d = parse_netrc(text, "elsewhere").expect("default");
        assert_eq!(d.user.as_deref(), Some("anon"));
        assert!(parse_netrc("machine x login y", "z").is_none());
    }
}
