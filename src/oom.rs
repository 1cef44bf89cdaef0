//! Running out of memory ends with a message, not an abort. Rust's default on a
//! failed allocation is to print one line and abort (a core dump, a terminal left in
//! raw mode); an engineer opening a dump too large for the machine (or for a
//! `ulimit -v`) must instead learn how far the load got, what ran out and what to try.
//! The binary installs [`Guarded`] as its allocator: the system allocator, plus this
//! message when it returns nothing.
//!
//! The message is written without allocating (a buffer on the stack, the raw stderr
//! handle); a second failure while writing it gives up to the default abort.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Spans decoded so far in this process (decoders add to it), for the message.
pub static SPANS_READ: AtomicU64 = AtomicU64::new(0);

/// True while the explorer owns the terminal: the message gives it back first.
pub static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// Set once a failed allocation is being reported.
static FAILING: AtomicBool = AtomicBool::new(false);

/// Exit status after running out of memory.
pub const EXIT_OUT_OF_MEMORY: u8 = 5;

/// The system allocator, reporting a failure in words before exiting.
pub struct Guarded;

// SAFETY: every call is passed to `System` unchanged; only a null result is acted
// on, by exiting the process (or returning the null when already exiting).
unsafe impl GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, with the caller's size contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// A fixed buffer on the stack that `write!` fills (what does not fit is dropped).
struct StackText {
    buf: [u8; 1024],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Says what ran out and exits; returns only when a report is already under way
/// (the caller then gets its null and Rust aborts).
fn out_of_memory(asked: usize) {
    if FAILING.swap(true, Ordering::SeqCst) {
        return;
    }
    if TERMINAL_TAKEN.load(Ordering::SeqCst) {
        // Mouse reporting off, cursor shown, the main screen back, then cooked mode.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(
            b"\x1b[?1006l\x1b[?1015l\x1b[?1003l\x1b[?1002l\x1b[?1000l\x1b[?25h\x1b[?1049l",
        );
        let _ = out.flush();
        let _ = crossterm::terminal::disable_raw_mode();
    }
    let mut text = StackText {
        buf: [0; 1024],
        len: 0,
    };
    let _ = std::fmt::Write::write_fmt(
        &mut text,
        format_args!(
            "agtrace: out of memory: {} MiB more could not be had after {} spans were read. \
             The limit is the machine's memory or the process's (ulimit -v). \
             agtrace holds about 0.8 KB per span: open a part of the input \
             (a JSON Lines dump splits at any line: split -l 1000000 dump.jsonl part-), \
             ask a backend for fewer traces (--limit, --since), \
             or use a machine with more memory.\n",
            asked.div_ceil(1 << 20),
            SPANS_READ.load(Ordering::Relaxed),
        ),
    );
    let _ = std::io::stderr().write_all(&text.buf[..text.len]);
    std::process::exit(i32::from(EXIT_OUT_OF_MEMORY));
}
