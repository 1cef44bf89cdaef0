//! Live input: agtrace as the OTLP endpoint. An OTLP/HTTP receiver
//! ([`http`]) decodes each export request with the same decoders as files and hands
//! the spans (or the log records that carry GenAI content) to a sink: the explorer,
//! which grows its set in place, or a store. Everything here runs on its own thread
//! with its own small runtime; the sink decides about backpressure.

pub mod feed;
pub mod grow;
pub mod grpc;
pub mod http;

use crate::model::Batch;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The OTLP/HTTP port of the specification.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:4318";
/// The OTLP/gRPC port of the specification.
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:4317";

/// Largest request body accepted (compressed, as sent): 413 above it.
pub const MAX_BODY_BYTES: usize = 32 << 20;
/// Largest body once decompressed: a gzip bomb gets 413, not the memory.
pub const MAX_DECODED_BYTES: usize = 256 << 20;
/// Request bodies being read and decoded at once, in bytes, over all connections
/// (as sent, or decompressed when larger): beyond it a request gets 503 and
/// `Retry-After` before its body is read.
pub const MAX_INFLIGHT_BYTES: usize = 512 << 20;
/// Connections open at once; one more is answered 503 and closed.
pub const MAX_CONNECTIONS: usize = 128;
/// How long a connection may take to send a request's headers — and how long a
/// kept-alive connection may sit idle — before it is closed.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a request's body may take to arrive (408 after it).
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How the receiver listens.
#[derive(Clone, Debug)]
pub struct ListenOptions {
    /// Where OTLP/HTTP listens.
    pub addr: SocketAddr,
    /// Where OTLP/gRPC listens (none: no gRPC).
    pub grpc_addr: Option<SocketAddr>,
    /// When set, requests must carry `Authorization: Bearer TOKEN`.
    pub token: Option<String>,
    /// Body limit (as sent).
    pub max_body: usize,
    /// Body limit once decompressed.
    pub max_decoded: usize,
    /// Bytes of bodies read and decoded at once ([`MAX_INFLIGHT_BYTES`]).
    pub max_inflight: usize,
    /// Connections open at once ([`MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// Spans and log records one request may hold ([`MAX_REQUEST_ITEMS`]).
    pub max_request_items: usize,
    /// Headers (and idle keep-alive) timeout ([`HEADER_TIMEOUT`]).
    pub header_timeout: std::time::Duration,
    /// Body timeout ([`BODY_TIMEOUT`]).
    pub body_timeout: std::time::Duration,
}

impl ListenOptions {
    /// Listening on `addr` with the default limits and no token.
    pub fn new(addr: SocketAddr) -> ListenOptions {
        ListenOptions {
            addr,
            grpc_addr: None,
            token: None,
            max_body: MAX_BODY_BYTES,
            max_decoded: MAX_DECODED_BYTES,
            max_inflight: MAX_INFLIGHT_BYTES,
            max_connections: MAX_CONNECTIONS,
            max_request_items: MAX_REQUEST_ITEMS,
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
        }
    }
}

/// What one export request carried.
#[derive(Debug, Default)]
pub struct Received {
    /// Its spans (and, for `/v1/logs`, log records tied to spans in `log_events`).
    pub batch: Batch,
    /// Spans in it.
    pub spans: usize,
    /// Log records in it.
    pub log_records: usize,
    /// Bytes of its body as decoded (0 when not known): a few large log records or
    /// attributes weigh more than their count.
    pub bytes: usize,
}

impl Received {
    /// One decoded piece as one batch (a decoder running on several threads gives
    /// several; they are merged here).
    pub fn from_decoded(decoded: crate::decode::Decoded) -> Received {
        let revises = decoded.batches.iter().any(|b| b.revises);
        let mut batches = decoded.batches.into_iter();
        let mut batch = batches.next().unwrap_or_default();
        let rest: Vec<Batch> = batches.collect();
        if !rest.is_empty() {
            let set = crate::model::TraceSet::build(
                std::iter::once(batch).chain(rest).collect(),
                Vec::new(),
                Vec::new(),
            );
            batch = set.into_batch();
            batch.revises = revises;
        }
        Received {
            spans: batch.spans.len(),
            log_records: batch.log_events.len(),
            bytes: 0,
            batch,
        }
    }

    /// What it weighs against a consumer's waiting budget: its spans and log
    /// records, and a kibibyte of body as one more.
    pub fn weight(&self) -> usize {
        self.spans + self.log_records + self.bytes / 1024
    }

    /// Carries nothing (a feed asking whether its consumer is still there).
    pub fn is_empty(&self) -> bool {
        self.batch.spans.is_empty()
            && self.batch.log_events.is_empty()
            && self.batch.warnings.is_empty()
    }
}

/// Takes what arrives; `false` means "not now" (the receiver answers 503 with
/// `Retry-After`, and the exporter retries).
pub type Sink = Arc<dyn Fn(Received) -> bool + Send + Sync>;

/// What became of a request handed on, which decides when and how it is answered.
#[derive(Debug)]
pub enum Taken {
    /// Held by the consumer (the explorer's memory): answered at once.
    Now,
    /// Not now: 503 with `Retry-After` (gRPC `UNAVAILABLE`), and the exporter retries.
    Behind,
    /// Never: more than the consumer can ever hold at once (413; gRPC
    /// `INVALID_ARGUMENT`, which exporters do not retry).
    TooLarge(String),
    /// Answered when the consumer says: `Ok` once it is stored (a store's commit),
    /// `Err(why)` when it was not (then as [`Taken::Behind`]).
    Later(tokio::sync::oneshot::Receiver<Result<(), String>>),
}

impl Taken {
    /// The reason, when this is a refusal for good ([`Taken::TooLarge`]).
    pub fn too_large(&self) -> Option<&str> {
        match self {
            Taken::TooLarge(why) => Some(why),
            _ => None,
        }
    }

    /// Waits for the consumer's word: `Ok` to acknowledge, `Err(why)` to refuse for
    /// now. A consumer gone without a word did not store it.
    pub async fn outcome(self) -> Result<(), String> {
        // (A refusal for good is told apart by `Taken::too_large` before waiting.)
        match self {
            Taken::Now => Ok(()),
            Taken::Behind => Err(BEHIND.to_owned()),
            Taken::TooLarge(why) => Err(why),
            Taken::Later(answer) => answer
                .await
                .unwrap_or_else(|_| Err("agtrace is stopping; retry".to_owned())),
        }
    }
}

/// What the receiver hands each request to: a [`Sink`] that answers at once, or a
/// store that answers after its commit.
pub type Take = Arc<dyn Fn(Received) -> Taken + Send + Sync>;

/// Counters of a running receiver, read by the explorer's header.
#[derive(Debug, Default)]
pub struct Stats {
    /// Export requests accepted.
    pub requests: AtomicU64,
    /// Spans accepted.
    pub spans: AtomicU64,
    /// Log records accepted.
    pub log_records: AtomicU64,
    /// Requests refused (bad body, limits, auth, backpressure).
    pub refused: AtomicU64,
    /// A stream feed reached its end (or stopped on an error, in `notice`).
    pub ended: std::sync::atomic::AtomicBool,
    /// Times a followed file was rotated or truncated.
    pub restarts: AtomicU64,
    /// The latest thing worth telling about the feed (rotation, an error).
    notice: std::sync::Mutex<String>,
}

impl Stats {
    /// Counts what an acknowledged request carried.
    pub fn accepted(&self, spans: usize, log_records: usize) {
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        self.log_records
            .fetch_add(log_records as u64, Ordering::Relaxed);
    }

    /// Spans accepted so far.
    pub fn spans(&self) -> u64 {
        self.spans.load(Ordering::Relaxed)
    }

    /// The latest notice ("" when none).
    pub fn notice(&self) -> String {
        self.notice.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// Replaces the notice.
    pub fn set_notice(&self, text: String) {
        if let Ok(mut n) = self.notice.lock() {
            *n = text;
        }
    }
}

/// A running receiver.
#[derive(Clone, Debug)]
pub struct Receiver {
    /// Where OTLP/HTTP listens (the port chosen when 0 was asked for).
    pub addr: SocketAddr,
    /// Where OTLP/gRPC listens, when it does.
    pub grpc_addr: Option<SocketAddr>,
    /// Its counters.
    pub stats: Arc<Stats>,
}

impl Receiver {
    /// The endpoint to give SDKs: `OTEL_EXPORTER_OTLP_ENDPOINT=…`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Both endpoints, for the header: `http://…:4318 · grpc …:4317`.
    pub fn endpoints(&self) -> String {
        match self.grpc_addr {
            Some(g) => format!("{} · grpc {g}", self.endpoint()),
            None => self.endpoint(),
        }
    }
}

/// Parses a listen address: `HOST:PORT`, `:PORT` or `PORT` (loopback), `HOST`
/// (port 4318).
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs as _;
    let t = text.trim();
    // A bare address first: `::1` is IPv6 loopback, not port 1 after a colon.
    if let Ok(ip) = t.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 4318));
    }
    let full = if t.is_empty() {
        DEFAULT_HTTP_ADDR.to_owned()
    } else if let Some(port) = t.strip_prefix(':') {
        format!("127.0.0.1:{port}")
    } else if t.chars().all(|c| c.is_ascii_digit()) {
        format!("127.0.0.1:{t}")
    } else if !t.contains(':') {
        format!("{t}:4318")
    } else {
        t.to_owned()
    };
    full.to_socket_addrs()
        .map_err(|e| format!("--listen {t:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("--listen {t:?}: no address"))
}

/// Starts the OTLP/HTTP (and, when asked, OTLP/gRPC) receiver on its own thread,
/// answering each request as soon as `sink` takes it (see [`listen_taking`]).
pub fn listen(opts: ListenOptions, sink: Sink) -> std::io::Result<Receiver> {
    let max = opts.max_request_items;
    listen_taking(
        opts,
        Arc::new(move |r| {
            if let Some(t) = too_large(&r, max) {
                return t;
            }
            if sink(r) { Taken::Now } else { Taken::Behind }
        }),
    )
}

/// Spans and log records in one request beyond which it is refused for good (413):
/// as many as a consumer holds waiting, so it could never be taken.
pub const MAX_REQUEST_ITEMS: usize = 1_000_000;

/// [`Taken::TooLarge`] when a request weighs more than `max` ([`Received::weight`]).
pub fn too_large(r: &Received, max: usize) -> Option<Taken> {
    (r.weight() > max).then(|| {
        Taken::TooLarge(format!(
            "{} spans and {} log records in {} bytes: more than agtrace can hold waiting ({max} spans, records or KiB)",
            r.spans, r.log_records, r.bytes
        ))
    })
}

/// Starts the receiver handing requests to `take`, each answered when `take` says
/// (at once, or after a store's commit). The sockets are bound before this returns,
/// so a port in use is an error here, not later.
pub fn listen_taking(opts: ListenOptions, take: Take) -> std::io::Result<Receiver> {
    let bind = |a: SocketAddr| -> std::io::Result<std::net::TcpListener> {
        let l = std::net::TcpListener::bind(a)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{a}: {e}")))?;
        l.set_nonblocking(true)?;
        Ok(l)
    };
    let std_listener = bind(opts.addr)?;
    let grpc_listener = opts.grpc_addr.map(bind).transpose()?;
    let addr = std_listener.local_addr()?;
    let grpc_addr = grpc_listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let stats = Arc::new(Stats::default());
    let receiver = Receiver {
        addr,
        grpc_addr,
        stats: stats.clone(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("otlp-http".into())
        .spawn(move || {
            rt.block_on(async move {
                let opts = Arc::new(opts);
                if let Some(g) = grpc_listener
                    && let Ok(g) = tokio::net::TcpListener::from_std(g)
                {
                    let (opts, take, stats) = (opts.clone(), take.clone(), stats.clone());
                    tokio::spawn(async move { grpc::serve(g, &opts, take, stats).await });
                }
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                http::serve(listener, opts, take, stats).await;
            });
        })?;
    Ok(receiver)
}

/// Whether an `Authorization` header value carries the receiver's bearer token
/// (compared without an early exit: the token is a secret). Both transports ask.
pub(crate) fn authorized(header: Option<&str>, token: &str) -> bool {
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` too.
    let Some(given) = header.and_then(|v| {
        let (scheme, rest) = v.trim_start().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(rest)
    }) else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a refused request is told when the sink is behind (HTTP 503, gRPC
/// UNAVAILABLE: both are retried by exporters).
pub(crate) const BEHIND: &str = "agtrace is behind (or paused with a full buffer); retry";

/// A sink that hands each request to `send` unless more than `max` spans already
/// wait (counted in `waiting` by [`Received::weight`], which the consumer decreases
/// by the same as it takes them):
/// the backpressure of the explorer.
pub fn bounded_sink(
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    max: usize,
    send: impl Fn(Received) -> bool + Send + Sync + 'static,
) -> Sink {
    Arc::new(move |r: Received| {
        // Log records and large bodies weigh too (a GenAI record can be large).
        let weight = r.weight();
        if waiting.load(Ordering::Relaxed) + weight > max {
            return false;
        }
        waiting.fetch_add(weight, Ordering::Relaxed);
        send(r)
    })
}

/// True for loopback addresses (binding anything else warns: anyone who can reach
/// it can send spans).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
