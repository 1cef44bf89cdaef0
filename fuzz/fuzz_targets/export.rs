//! Any bytes loaded, exported as OTLP (JSON, JSON Lines, protobuf; plain and
//! redacted) and loaded again: the export of whatever agtrace reads loads back whole.
//! The body is `agtrace::fuzzing::export`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::export(data));
