//! Bytes as each non-OTLP reader would see them: the collector's debug text, Node's
//! console output, and the JSON exports (Jaeger, Zipkin, Langfuse, flat records),
//! whole and through the cut-document recovery.
//! The body is `agtrace::fuzzing::text_formats`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::text_formats(data));
