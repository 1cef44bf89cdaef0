//! Bytes as OTLP protobuf in every framing (one message, 4-byte length-prefixed,
//! varint-delimited), and as a protobuf logs file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = agtrace::decode::otlp_proto::decode(data, 0, "fuzz", 1);
    let _ = agtrace::decode::otlp_logs::proto_span_events(data);
});
