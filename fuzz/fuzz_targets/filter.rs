//! Any text as a filter expression, then applied to a small trace set.
//! The body is `agtrace::fuzzing::filter`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::filter(data));
