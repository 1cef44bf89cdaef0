//! Bytes as a stream arriving in pieces (pipes, followed files, imports) and as a
//! ClickHouse backend's rows. Must never panic, hang or allocate without bound.
//! The body is `agtrace::fuzzing::stream`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::stream(data));
