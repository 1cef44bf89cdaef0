//! Any bytes through the whole input path: compression, format detection, every
//! decoder, the model build, step semantics and findings. Must never panic, hang or
//! allocate without bound.
//! The body is `agtrace::fuzzing::load_any`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::load_any(data));
