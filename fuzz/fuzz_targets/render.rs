//! Load any bytes, then draw every screen of the explorer through ratatui's
//! TestBackend — the trace list and its filters, slowest steps, stats, sessions, help,
//! a trace's tree with every detail tab, the agent view and the critical path: whatever
//! the input, drawing neither panics nor puts a raw control character on the screen.
//! The body is `agtrace::fuzzing::render`, which the stable test suite replays.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| agtrace::fuzzing::render(data));
