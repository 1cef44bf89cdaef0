//! Any text through the redactor, as free text and as message content: never a
//! panic, and redacting again changes nothing.
//! The body is `agtrace::fuzzing::redact`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::redact(data));
