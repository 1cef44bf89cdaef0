//! `agtrace export`: a selection of the loaded traces written back as OTLP (JSON,
//! JSON Lines or protobuf) that agtrace, the OpenTelemetry Collector and other OTLP
//! tools read. Without redaction the output round-trips: loading it again gives the
//! same model, whatever format the traces were read from (so it doubles as a
//! converter to OTLP). With a redactor every string is passed through it.

pub mod json;
pub mod otlp;

use crate::model::TraceSet;
use crate::query::filter::Filter;
use crate::redact::Redactor;
use prost::Message as _;
use std::io::Write;

/// The output encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One OTLP/JSON `TracesData` document.
    OtlpJson,
    /// OTLP/JSON Lines: one document per trace (what the collector's file exporter
    /// writes).
    OtlpJsonl,
    /// One OTLP protobuf `TracesData` message.
    OtlpProto,
}

/// Spans per `ResourceSpans` message: bounds the memory of one step of the writer.
const CHUNK: usize = 4096;

/// The spans to write: every span of each trace in `traces`, or with a span filter
/// only the matching spans and their ancestors (so the path to each stays). In
/// trace order, each trace in tree pre-order.
pub fn select(set: &TraceSet, traces: &[u32], filter: Option<&Filter>) -> Vec<u32> {
    let matcher = filter.filter(|f| !f.is_empty()).map(|f| f.matcher(set));
    let mut out = Vec::new();
    let mut keep = if matcher.is_some() {
        vec![false; set.spans.len()]
    } else {
        Vec::new()
    };
    for &t in traces {
        let Some(trace) = set.traces.get(t as usize) else {
            continue;
        };
        let order = set.trace_spans(trace);
        match &matcher {
            None => out.extend_from_slice(order),
            Some(m) => {
                for &i in order {
                    if m.span_matches(i) {
                        let mut at = i;
                        // Ancestors, up to a root or a span already kept.
                        while let Some(k) = keep.get_mut(at as usize) {
                            if *k {
                                break;
                            }
                            *k = true;
                            let p = set.spans[at as usize].parent;
                            if p == crate::model::NONE {
                                break;
                            }
                            at = p;
                        }
                    }
                }
                out.extend(order.iter().copied().filter(|&i| keep[i as usize]));
                for &i in order {
                    keep[i as usize] = false;
                }
            }
        }
    }
    out
}

/// Writes `spans` (arena indices, as [`select`] gives them) in `format`, calling
/// `progress` with the number of spans written after each chunk.
pub fn write(
    out: &mut (impl Write + ?Sized),
    set: &TraceSet,
    spans: &[u32],
    format: ExportFormat,
    redactor: Option<&Redactor>,
    progress: &mut dyn FnMut(usize),
) -> std::io::Result<()> {
    let enc = otlp::Encoder::new(set, redactor);
    let mut written = 0;
    match format {
        ExportFormat::OtlpProto => {
            // A TracesData message is its repeated field 1; one ResourceSpans at a
            // time is the same bytes as one message holding them all.
            let mut buf = Vec::new();
            for (r, sc, chunk) in enc.groups(spans, CHUNK) {
                let rs = enc.resource_spans(r, sc, &chunk);
                buf.clear();
                prost::encoding::encode_key(
                    1,
                    prost::encoding::WireType::LengthDelimited,
                    &mut buf,
                );
                prost::encoding::encode_varint(rs.encoded_len() as u64, &mut buf);
                rs.encode(&mut buf).map_err(std::io::Error::other)?;
                out.write_all(&buf)?;
                written += chunk.len();
                progress(written);
            }
        }
        ExportFormat::OtlpJson => {
            let mut buf = b"{\"resourceSpans\":[".to_vec();
            for (k, (r, sc, chunk)) in enc.groups(spans, CHUNK).into_iter().enumerate() {
                if k > 0 {
                    buf.push(b',');
                }
                json::resource_spans(&mut buf, &enc.resource_spans(r, sc, &chunk));
                out.write_all(&buf)?;
                buf.clear();
                written += chunk.len();
                progress(written);
            }
            buf.extend_from_slice(b"]}\n");
            out.write_all(&buf)?;
        }
        ExportFormat::OtlpJsonl => {
            let mut buf = Vec::new();
            let mut start = 0;
            while start < spans.len() {
                let t = set.spans[spans[start] as usize].trace;
                let end = start
                    + spans[start..]
                        .iter()
                        .position(|&i| set.spans[i as usize].trace != t)
                        .unwrap_or(spans.len() - start);
                buf.clear();
                buf.extend_from_slice(b"{\"resourceSpans\":[");
                for (k, (r, sc, chunk)) in enc
                    .groups(&spans[start..end], CHUNK)
                    .into_iter()
                    .enumerate()
                {
                    if k > 0 {
                        buf.push(b',');
                    }
                    json::resource_spans(&mut buf, &enc.resource_spans(r, sc, &chunk));
                }
                buf.extend_from_slice(b"]}\n");
                out.write_all(&buf)?;
                written += end - start;
                progress(written);
                start = end;
            }
        }
    }
    out.flush()
}
