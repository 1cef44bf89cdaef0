//! Bytes as OTLP protobuf in every framing (one message, 4-byte length-prefixed,
//! varint-delimited), and as a protobuf logs file.
//! The body is `agtrace::fuzzing::otlp_proto`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::otlp_proto(data));
