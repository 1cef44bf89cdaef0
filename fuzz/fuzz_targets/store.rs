//! A mutated store file: the bundled v3 store with bytes changed, read as a store
//! would be (summaries, then every trace). Reading a damaged store gives an error,
//! never a panic.
//! The body is `agtrace::fuzzing::store`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::store(data));
