//! OTLP/HTTP, as the specification has it: `POST /v1/traces` and `/v1/logs`, bodies
//! in protobuf (`application/x-protobuf`) or JSON (`application/json`), optionally
//! `Content-Encoding: gzip`; `200` with an `Export*ServiceResponse` (with
//! `partial_success` when something was dropped), `400` for a body that does not
//! decode, `401` without the token, `404`/`405` elsewhere, `413` above the limits,
//! `415` for another content type or encoding, `503` with `Retry-After` when the
//! sink is behind. Error bodies are a `google.rpc.Status` in the request's encoding.

use super::{ListenOptions, Received, Stats, Take};
use crate::model::Batch;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode, header};
use prost::Message as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The two encodings OTLP/HTTP allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Proto,
    Json,
}

impl Encoding {
    fn content_type(self) -> &'static str {
        match self {
            Encoding::Proto => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Which signal a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Traces,
    Logs,
}

/// Bytes of request bodies being read and decoded, over all connections.
#[derive(Default)]
struct Inflight(std::sync::atomic::AtomicUsize);

/// A share of [`Inflight`], given back when the request is done with its body.
struct Reserved<'a> {
    pool: &'a Inflight,
    bytes: usize,
    max: usize,
}

impl Inflight {
    /// Reserves `bytes`, unless that would pass `max` in all.
    fn reserve(&self, bytes: usize, max: usize) -> Option<Reserved<'_>> {
        let mut r = Reserved {
            pool: self,
            bytes: 0,
            max,
        };
        r.grow(bytes).then_some(r)
    }
}

impl Reserved<'_> {
    /// Grows the share to `bytes` (a body decompressed larger than sent); false
    /// when the budget does not allow it.
    fn grow(&mut self, bytes: usize) -> bool {
        let more = bytes.saturating_sub(self.bytes);
        let was = self.pool.0.fetch_add(more, Ordering::AcqRel);
        // One request alone is always let through (its own limits bound it).
        if was + more > self.max && was > 0 {
            self.pool.0.fetch_sub(more, Ordering::AcqRel);
            return false;
        }
        self.bytes += more;
        true
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        self.pool.0.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// The answer to a connection past [`super::MAX_CONNECTIONS`], written as it is
/// closed.
const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 74\r\n\r\n{\"code\":14,\"message\":\"agtrace has too many connections open; retry later\"}";

/// Accepts connections until the listener fails; each connection on its own task,
/// at most `max_connections` at once, each closed when it sends no request
/// headers for `header_timeout` (idle or slow).
pub async fn serve(
    listener: tokio::net::TcpListener,
    opts: Arc<ListenOptions>,
    take: Take,
    stats: Arc<Stats>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(opts.max_connections));
    let inflight = Arc::new(Inflight::default());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            let _ = stream.try_write(TOO_MANY);
            stats.refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let io = hyper_util::rt::TokioIo::new(stream);
        let header_timeout = opts.header_timeout;
        let (opts, take, stats, inflight) =
            (opts.clone(), take.clone(), stats.clone(), inflight.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (opts, take, stats, inflight) =
                    (opts.clone(), take.clone(), stats.clone(), inflight.clone());
                async move {
                    let r = handle(req, &opts, &take, &stats, &inflight).await;
                    if r.status() == StatusCode::OK {
                        stats.requests.fetch_add(1, Ordering::Relaxed);
                    } else {
                        stats.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(io, service)
                .await;
            drop(slot);
        });
    }
}

/// A `google.rpc.Status` body: code (gRPC codes: 3 invalid argument, 8 resource
/// exhausted, 14 unavailable, 16 unauthenticated…) and message.
fn status_body(enc: Encoding, code: i32, message: &str) -> Vec<u8> {
    match enc {
        Encoding::Json => serde_json::json!({ "code": code, "message": message })
            .to_string()
            .into_bytes(),
        Encoding::Proto => {
            let mut b = Vec::new();
            prost::encoding::int32::encode(1, &code, &mut b);
            prost::encoding::string::encode(2, &message.to_owned(), &mut b);
            b
        }
    }
}

fn reply(status: StatusCode, enc: Encoding, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(enc.content_type()) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn error(status: StatusCode, enc: Encoding, code: i32, message: &str) -> Response<Full<Bytes>> {
    reply(status, enc, status_body(enc, code, message))
}

/// The media type of a `Content-Type` value, lower-cased, without parameters.
fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

async fn handle(
    req: Request<Incoming>,
    opts: &ListenOptions,
    take: &Take,
    stats: &Stats,
    inflight: &Inflight,
) -> Response<Full<Bytes>> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type)
        .unwrap_or_default();
    let enc = match content_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some(Encoding::Proto),
        "application/json" => Some(Encoding::Json),
        _ => None,
    };
    // Errors before the body is understood are answered in JSON, or protobuf when
    // that was asked for.
    let err_enc = enc.unwrap_or(Encoding::Json);
    let signal = match req.uri().path() {
        "/v1/traces" => Signal::Traces,
        "/v1/logs" => Signal::Logs,
        other => {
            return error(
                StatusCode::NOT_FOUND,
                err_enc,
                5,
                &format!("{other}: agtrace receives POST /v1/traces and /v1/logs"),
            );
        }
    };
    if req.method() != Method::POST {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            err_enc,
            12,
            "OTLP/HTTP export requests are POSTs",
        );
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return r;
    }
    if let Some(token) = &opts.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !super::authorized(given, token) {
            return error(
                StatusCode::UNAUTHORIZED,
                err_enc,
                16,
                "this receiver wants Authorization: Bearer <token> (--listen-token)",
            );
        }
    }
    let Some(enc) = enc else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Encoding::Json,
            3,
            &format!(
                "Content-Type {content_type:?}: expected application/x-protobuf or application/json"
            ),
        );
    };
    let gzip = match req
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                enc,
                3,
                &format!("Content-Encoding {other:?}: expected gzip or none"),
            );
        }
    };
    let too_large = |what: &str| {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            enc,
            8,
            &format!("{what}; send smaller batches"),
        )
    };
    let behind = |why: &str| {
        let mut r = error(StatusCode::SERVICE_UNAVAILABLE, enc, 14, why);
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        r
    };
    // The body's share of the in-flight budget, reserved before it is read.
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
    if announced.is_some_and(|n| n > opts.max_body) {
        return too_large(&format!(
            "the body is over the {} byte limit",
            opts.max_body
        ));
    }
    let Some(mut reserved) =
        inflight.reserve(announced.unwrap_or(opts.max_body), opts.max_inflight)
    else {
        return behind("agtrace is reading too many request bodies at once; retry");
    };
    let read = Limited::new(req.into_body(), opts.max_body).collect();
    let Ok(read) = tokio::time::timeout(opts.body_timeout, read).await else {
        return error(
            StatusCode::REQUEST_TIMEOUT,
            enc,
            4,
            &format!(
                "the body did not arrive within {} s",
                opts.body_timeout.as_secs_f64()
            ),
        );
    };
    let body = match read {
        Ok(b) => b.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return too_large(&format!(
                "the body is over the {} byte limit",
                opts.max_body
            ));
        }
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                enc,
                3,
                &format!("reading the body: {e}"),
            );
        }
    };
    let mut buf = if gzip {
        match gunzip(&body, opts.max_decoded) {
            Ok(b) => b,
            Err(Gunzip::TooLarge) => {
                return too_large(&format!(
                    "the body decompresses to over {} bytes",
                    opts.max_decoded
                ));
            }
            Err(Gunzip::Bad(e)) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    enc,
                    3,
                    &format!("the gzip body is damaged: {e}"),
                );
            }
        }
    } else {
        body.to_vec()
    };
    if !reserved.grow(buf.len()) {
        return behind("agtrace is reading too many request bodies at once; retry");
    }
    let received = match decode(signal, enc, &mut buf) {
        Ok(mut r) => {
            r.bytes = buf.len();
            r
        }
        Err(message) => return error(StatusCode::BAD_REQUEST, enc, 3, &message),
    };
    let (count, message) = rejected(&received);
    let (spans, records) = (received.spans, received.log_records);
    let taken = take(received);
    if let Some(why) = taken.too_large() {
        return too_large(why);
    }
    // The body's bytes stay reserved until the request is answered: requests waiting
    // for a store's commit count against the budget too.
    let outcome = taken.outcome().await;
    drop(reserved);
    if let Err(why) = outcome {
        return behind(&why);
    }
    stats.accepted(spans, records);
    reply(
        StatusCode::OK,
        enc,
        success_body(signal, enc, count, &message),
    )
}

/// The export response: empty, or a partial success carrying the decoders'
/// warnings (spans with unreadable ids are dropped and counted there).
fn success_body(signal: Signal, enc: Encoding, rejected: i64, message: &str) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::logs::v1::{
        ExportLogsPartialSuccess, ExportLogsServiceResponse,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTracePartialSuccess, ExportTraceServiceResponse,
    };
    let message = message.to_owned();
    match (enc, signal) {
        (Encoding::Json, _) if message.is_empty() => b"{}".to_vec(),
        (Encoding::Json, Signal::Traces) => serde_json::json!({
            "partialSuccess": { "rejectedSpans": rejected.to_string(), "errorMessage": message }
        })
        .to_string()
        .into_bytes(),
        (Encoding::Json, Signal::Logs) => serde_json::json!({
            "partialSuccess": { "rejectedLogRecords": rejected.to_string(), "errorMessage": message }
        })
        .to_string()
        .into_bytes(),
        (Encoding::Proto, Signal::Traces) => ExportTraceServiceResponse {
            partial_success: (!message.is_empty()).then(|| ExportTracePartialSuccess {
                rejected_spans: rejected,
                error_message: message.clone(),
            }),
        }
        .encode_to_vec(),
        (Encoding::Proto, Signal::Logs) => ExportLogsServiceResponse {
            partial_success: (!message.is_empty()).then(|| ExportLogsPartialSuccess {
                rejected_log_records: rejected,
                error_message: message.clone(),
            }),
        }
        .encode_to_vec(),
    }
}

/// The number a decoder's "N spans … skipped/dropped" warning starts with.
fn rejected_count(w: &str) -> Option<i64> {
    let lower = w.to_ascii_lowercase();
    if !(lower.contains("skipped") || lower.contains("dropped") || lower.contains("rejected")) {
        return None;
    }
    let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A `/v1/logs` request's log records that name spans, as a batch of log events.
pub(super) fn received_logs(events: Vec<crate::model::LogEvent>) -> Received {
    let n = events.len();
    Received {
        batch: Batch {
            log_events: events,
            ..Batch::default()
        },
        spans: 0,
        log_records: n,
        bytes: 0,
    }
}

/// The number of records the decoders' warnings say were dropped, and the
/// warnings as one message (for `partial_success`).
pub(super) fn rejected(r: &Received) -> (i64, String) {
    let warnings: Vec<&str> = r
        .batch
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    (
        warnings.iter().filter_map(|w| rejected_count(w)).sum(),
        warnings.join("; "),
    )
}

/// Decodes one request body with the file decoders.
/// A JSON body made readable as the file reader makes it: bytes that are not UTF-8
/// and lone surrogates replaced, values nested past the parser's limit cut — each
/// said in a warning (the answer's `partial_success`), not a 400 for the batch.
/// `Err` when it is still not JSON.
fn mend_json(buf: &mut Vec<u8>) -> Result<Vec<crate::model::Warning>, String> {
    use crate::decode::json_text;
    const NAME: &str = "OTLP/HTTP";
    let mut warnings = json_text::mend(buf, NAME);
    let strict = |b: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(b).map(|_| ());
    if let Err(e) = strict(buf) {
        if !e.to_string().contains("recursion limit") {
            return Err(format!("the body is not JSON: {e}"));
        }
        let cuts = json_text::cut_deep(buf);
        strict(buf).map_err(|e| format!("the body is not JSON: {e}"))?;
        warnings.push(deep_cut_warning(cuts));
    }
    Ok(warnings)
}

/// The warning for `cuts` values nested too deep and cut.
fn deep_cut_warning(cuts: usize) -> crate::model::Warning {
    crate::model::Warning {
        source: "OTLP/HTTP".to_owned(),
        position: crate::model::Position::Whole,
        message: format!(
            "{cuts} values nested deeper than {} JSON levels were cut (shown as \"[nested too deep: cut]\")",
            crate::decode::json_text::MAX_JSON_DEPTH
        ),
    }
}

fn decode(signal: Signal, enc: Encoding, buf: &mut Vec<u8>) -> Result<Received, String> {
    const NAME: &str = "OTLP/HTTP";
    let mut mended = match enc {
        Encoding::Json if !buf.is_empty() => mend_json(buf)?,
        _ => Vec::new(),
    };
    let mut received = match signal {
        Signal::Traces => {
            let mut decoded = match enc {
                Encoding::Proto => crate::decode::otlp_proto::decode(buf, 0, NAME, 1),
                Encoding::Json => crate::decode::otlp_json::decode(buf, 0, NAME, 1),
            };
            // The typed reader nests deeper than plain JSON: past its limit, values
            // nested too deep are cut as the file reader cuts them, and read again.
            if enc == Encoding::Json
                && decoded
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("recursion limit"))
            {
                let cuts = crate::decode::json_text::cut_deep(buf);
                if cuts > 0 {
                    mended.push(deep_cut_warning(cuts));
                    decoded = crate::decode::otlp_json::decode(buf, 0, NAME, 1);
                }
            }
            let decoded = decoded
                .map_err(|e| format!("the body is not an OTLP ExportTraceServiceRequest: {e}"))?;
            Received::from_decoded(decoded)
        }
        Signal::Logs => {
            let events = match enc {
                Encoding::Proto => crate::decode::otlp_logs::proto_span_events(buf)
                    .ok_or_else(|| "the body is not an OTLP ExportLogsServiceRequest".to_owned())?,
                Encoding::Json => crate::decode::otlp_logs::span_events(buf),
            };
            received_logs(events)
        }
    };
    received.batch.warnings.extend(mended);
    Ok(received)
}

enum Gunzip {
    TooLarge,
    Bad(std::io::Error),
}

fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, Gunzip> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(body).take(max as u64 + 1);
    d.read_to_end(&mut out).map_err(Gunzip::Bad)?;
    if out.len() > max {
        return Err(Gunzip::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_too_many_answer_says_its_length() {
        let text = std::str::from_utf8(super::TOO_MANY).expect("text");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }
}
