//! Bytes as each non-OTLP reader would see them: the collector's debug text, Node's
//! console output, and the JSON exports (Jaeger, Zipkin, Langfuse, flat records),
//! whole and through the cut-document recovery.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = agtrace::decode::debug_text::decode(data, 0, "fuzz");
    let _ = agtrace::decode::node_console::decode(data, 0, "fuzz");
    let _ = agtrace::decode::other_json(data, 0, "fuzz");
    let _ = agtrace::decode::otlp_logs::span_events(data);
});
