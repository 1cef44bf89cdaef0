//! OTLP/gRPC: `TraceService/Export` and `LogsService/Export` (tonic, with the
//! opentelemetry-proto service definitions), gzip accepted. A request is decoded by
//! the same protobuf readers as files (re-encoded to its wire bytes first, so both
//! transports read spans exactly alike); `UNAVAILABLE` when the sink is behind
//! (exporters retry it), `INVALID_ARGUMENT` for data that does not decode.

use super::Received;
use super::http::{received_logs, rejected};
use super::{ListenOptions, Stats, Take};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

struct Receiver {
    take: Take,
    token: Option<String>,
    /// Requests accepted and refused, counted as OTLP/HTTP counts them (the stop
    /// line said "0 requests" for gRPC).
    stats: Arc<Stats>,
}

impl Receiver {
    /// Counts an answer: accepted or refused.
    fn count<T>(&self, r: Result<T, Status>) -> Result<T, Status> {
        let counter = if r.is_ok() {
            &self.stats.requests
        } else {
            &self.stats.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
        r
    }

    /// Decodes and hands on one trace export request.
    async fn export_traces(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.check_token(&request)?;
        let bytes = request.into_inner().encode_to_vec();
        if bytes.is_empty() {
            // An empty request is a valid one (as over HTTP): nothing to store.
            return Ok(Response::new(ExportTraceServiceResponse {
                partial_success: None,
            }));
        }
        let decoded = crate::decode::otlp_proto::decode(&bytes, 0, "OTLP/gRPC", 1)
            .map_err(|e| Status::invalid_argument(format!("not OTLP trace data: {e}")))?;
        let mut received = Received::from_decoded(decoded);
        received.bytes = bytes.len();
        let (count, message) = rejected(&received);
        self.hand_on(received).await?;
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: (!message.is_empty()).then_some(ExportTracePartialSuccess {
                rejected_spans: count,
                error_message: message,
            }),
        }))
    }

    /// Decodes and hands on one log export request.
    async fn export_logs(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.check_token(&request)?;
        let bytes = request.into_inner().encode_to_vec();
        let events = crate::decode::otlp_logs::proto_span_events(&bytes)
            .ok_or_else(|| Status::invalid_argument("not OTLP log data"))?;
        let mut received = received_logs(events);
        received.bytes = bytes.len();
        self.hand_on(received).await?;
        Ok(Response::new(ExportLogsServiceResponse {
            partial_success: None::<ExportLogsPartialSuccess>,
        }))
    }

    /// Hands a request on and waits for the consumer's word (`UNAVAILABLE`, which
    /// exporters retry, when it did not take it).
    async fn hand_on(&self, received: Received) -> Result<(), Status> {
        let (spans, records) = (received.spans, received.log_records);
        let taken = (self.take)(received);
        if let Some(why) = taken.too_large() {
            // Not retried by exporters: the same request would never fit.
            return Err(Status::invalid_argument(format!(
                "{why}; send smaller batches"
            )));
        }
        taken.outcome().await.map_err(Status::unavailable)?;
        self.stats.accepted(spans, records);
        Ok(())
    }

    fn check_token<T>(&self, req: &Request<T>) -> Result<(), Status> {
        let Some(token) = &self.token else {
            return Ok(());
        };
        let given = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if super::authorized(given, token) {
            Ok(())
        } else {
            Err(Status::unauthenticated(
                "this receiver wants authorization: Bearer <token> (--listen-token)",
            ))
        }
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.count(self.export_traces(request).await)
    }
}

#[tonic::async_trait]
impl LogsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.count(self.export_logs(request).await)
    }
}

/// The answers the gRPC library gives before agtrace sees a request, made ones
/// exporters do not retry (the same bytes would fail again): bytes that are not
/// protobuf (`INTERNAL`, "failed to decode") and a message over the size limit
/// (`OUT_OF_RANGE`) become `INVALID_ARGUMENT`.
fn not_retried<B>(mut r: hyper::http::Response<B>) -> hyper::http::Response<B> {
    let h = r.headers_mut();
    let code = h.get("grpc-status").and_then(|v| v.to_str().ok());
    let message = h
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let undecodable = code == Some("13") && message.contains("decode");
    if undecodable || code == Some("11") {
        h.insert("grpc-status", hyper::header::HeaderValue::from_static("3"));
    }
    r
}

/// Serves both services on `listener` until it fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    opts: &ListenOptions,
    take: Take,
    stats: Arc<Stats>,
) {
    let traces = TraceServiceServer::new(Receiver {
        take: take.clone(),
        token: opts.token.clone(),
        stats: stats.clone(),
    })
    .accept_compressed(CompressionEncoding::Gzip)
    .max_decoding_message_size(opts.max_decoded);
    let logs = LogsServiceServer::new(Receiver {
        take,
        token: opts.token.clone(),
        stats,
    })
    .accept_compressed(CompressionEncoding::Gzip)
    .max_decoding_message_size(opts.max_decoded);
    let _ = tonic::transport::Server::builder()
        .layer(tower::util::MapResponseLayer::new(not_retried))
        .add_service(traces)
        .add_service(logs)
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
        .await;
}
