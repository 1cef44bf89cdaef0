//! Decoders: bytes of a known format in, [`Batch`]es of spans out. Nothing here opens
//! files or knows where the bytes came from; `source/` does that.

pub mod borrowed_json;
pub mod debug_text;
pub mod flat;
pub mod jaeger;
pub mod json_cut;
pub(crate) mod json_seeds;
pub mod json_text;
pub mod langfuse;
pub mod layouts;
pub mod node_console;
pub mod otlp_json;
pub mod otlp_logs;
pub mod otlp_proto;
pub mod paste;
pub mod proto_wire;
pub(crate) mod scalar;
pub mod zipkin;

use crate::model::{Batch, Position, Warning};

/// What a decoder produced.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Spans, possibly in several batches (one per thread).
    pub batches: Vec<Batch>,
    /// True when the input had the shape of OTLP trace data (even with no spans).
    pub recognized: bool,
    /// The format the input was read as, in words (`ls --json`'s `format`).
    pub format: &'static str,
    /// Compression removed around it, outermost first.
    pub wrapping: Vec<&'static str>,
    /// True when it also held OTLP log records (read as span events).
    pub logs: bool,
}

impl Decoded {
    /// Spans read as `format`, nothing else known yet.
    pub fn new(batches: Vec<Batch>, recognized: bool, format: &'static str) -> Decoded {
        Decoded {
            batches,
            recognized,
            format,
            ..Decoded::default()
        }
    }

    /// The format in words, with its wrapping: `OTLP/JSON with log records, in zstd`.
    pub fn describe(&self) -> String {
        let mut s = self.format.to_owned();
        if self.logs {
            s.push_str(" with log records");
        }
        if !self.wrapping.is_empty() {
            s.push_str(", in ");
            s.push_str(&self.wrapping.join(" in "));
        }
        s
    }

    /// Spans decoded.
    pub fn span_count(&self) -> usize {
        self.batches.iter().map(|b| b.spans.len()).sum()
    }
}

/// A decoder could not make sense of the input at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The JSON is broken before any span could be read.
    #[error("line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What was wrong.
        message: String,
    },
    /// The bytes are not OTLP protobuf in any framing.
    #[error("not OTLP protobuf: {0}")]
    Proto(String),
}

/// An id of `N` bytes (8 or 16) derived from text that is no id encoding (`raw-root`,
/// a Langfuse observation name): FNV-1a of the text, then of the text and `#` — the
/// same in every run and build, so ids derived from the same text still link.
pub(crate) fn derived_id<const N: usize>(text: &str) -> [u8; N] {
    let fnv = |s: &[u8]| {
        s.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let mut both = [0u8; 16];
    both[..8].copy_from_slice(&fnv(text.as_bytes()).to_be_bytes());
    both[8..].copy_from_slice(&fnv(format!("{text}#").as_bytes()).to_be_bytes());
    let mut out = [0u8; N];
    out.copy_from_slice(&both[..N]);
    out
}

/// An id of `N` bytes from hex that may have lost its leading zeros (Jaeger, Zipkin;
/// a 64-bit Zipkin trace id becomes the low half of a 128-bit one).
pub(crate) fn short_hex_id<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim();
    if s.is_empty() || s.len() > 2 * N || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    crate::model::decode_id::<N>(&format!("{s:0>width$}", width = 2 * N), "id").ok()
}

/// The JSON formats other than OTLP, in the order they are tried: how each is told
/// from the first 64 KiB, and its reader (`None`: not that format after all).
type JsonReader = (fn(&str) -> bool, fn(&[u8], u32, &str) -> Option<Decoded>);
const OTHER_JSON: [JsonReader; 4] = [
    (jaeger::looks_like, jaeger::decode),
    (zipkin::looks_like, zipkin::decode),
    (langfuse::looks_like, langfuse::decode),
    (flat::looks_like, flat::decode),
];

/// True when the start of a JSON input (its first 64 KiB) looks like one of the
/// non-OTLP formats, so the OTLP piece-by-piece reader should leave it alone.
pub fn looks_like_other_json(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]);
    OTHER_JSON.iter().any(|(looks, _)| looks(&head))
}

/// Reads JSON that is one of the non-OTLP formats; `None` for anything else (OTLP
/// included), which the OTLP reader then takes.
///
/// A document of one of these formats that is cut or broken is read up to the last
/// record that ended before the damage, with a warning naming the line and column.
pub fn other_json(buf: &[u8], source: u32, name: &str) -> Option<Decoded> {
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64 * 1024)]);
    let mut readers = OTHER_JSON
        .iter()
        .filter(|(looks, _)| looks(&head))
        .peekable();
    readers.peek()?;
    if let Some(d) = readers
        .clone()
        .find_map(|(_, read)| read(buf, source, name))
    {
        return Some(d);
    }
    // None took it: if the JSON is broken, read what came before the damage.
    let err = serde_json::from_slice::<serde::de::IgnoredAny>(buf).err()?;
    let at = json_cut::error_offset(buf, &err);
    let mended = json_cut::close_before(buf, at)?;
    let mut d = readers.find_map(|(_, read)| read(&mended, source, name))?;
    let what = if err.is_eof() {
        "ends part way"
    } else {
        "is broken"
    };
    let warning = Warning {
        source: name.to_owned(),
        position: Position::Line {
            line: err.line() as u64,
            column: err.column() as u64,
        },
        message: format!(
            "the {} {what} here ({err}); kept the {} spans of the records that ended before it",
            d.format,
            d.span_count()
        ),
    };
    d.batches.insert(
        0,
        Batch {
            warnings: vec![warning],
            ..Batch::default()
        },
    );
    Some(d)
}

/// Decodes `items` (raw records of one input of `input_len` bytes) on up to
/// `threads` threads, each contiguous run into a batch of its own by `read` (given
/// its run and the share of the input it covers); `None` when some run is not the
/// format. The problems of all runs are returned together, in order.
pub(crate) fn decode_runs<T: Sync>(
    items: &[T],
    input_len: usize,
    threads: usize,
    read: impl Fn(&[T], usize) -> Option<(Batch, Vec<String>)> + Sync,
) -> Option<(Vec<Batch>, Vec<String>)> {
    let threads = threads.clamp(1, 8).min(items.len().max(1));
    let per = items.len().div_ceil(threads).max(1);
    let read = &read;
    let results: Vec<Option<(Batch, Vec<String>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|run| {
                let share = input_len * run.len() / items.len().max(1);
                scope.spawn(move || read(run, share))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut batches = Vec::with_capacity(results.len());
    let mut problems = Vec::new();
    for r in results {
        let (b, p) = r?;
        batches.push(b);
        problems.extend(p);
    }
    Some((batches, problems))
}

/// The trace and span ids of a record whose ids may have lost their leading zeros
/// (Jaeger, Zipkin); `None`, with the problem noted, when either cannot be read.
pub(crate) fn span_ids(
    trace: &str,
    span: &str,
    problems: &mut Vec<String>,
) -> Option<([u8; 16], [u8; 8])> {
    let ids = (short_hex_id::<16>(trace), short_hex_id::<8>(span));
    if let (Some(t), Some(s)) = ids {
        return Some((t, s));
    }
    problems.push(format!(
        "span {:?} of trace {:?}: unreadable ids; skipped",
        crate::sanitize::sanitize(span),
        crate::sanitize::sanitize(trace)
    ));
    None
}

/// Scopes of one batch by name and version, each added once.
#[derive(Default)]
pub(crate) struct ScopeTable(rustc_hash::FxHashMap<(crate::model::Sym, crate::model::Sym), u32>);

impl ScopeTable {
    /// The index of the scope `name`/`version` in `batch`, added when new.
    pub(crate) fn index(&mut self, batch: &mut Batch, name: &str, version: &str) -> u32 {
        let key = (batch.strings.intern(name), batch.strings.intern(version));
        *self.0.entry(key).or_insert_with(|| {
            batch.scopes.push(crate::model::Scope {
                name: key.0,
                version: key.1,
                ..crate::model::Scope::default()
            });
            batch.scopes.len() as u32 - 1
        })
    }
}

/// The cores to decode on (`decode_runs` uses at most 8).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Most per-span warnings kept for one input; the rest are summed up in one line.
pub const MAX_WARNINGS_PER_SOURCE: usize = 20;

/// Turns per-span messages into warnings, keeping the first few and counting the rest.
pub fn cap_warnings(messages: Vec<String>, name: &str) -> Vec<Warning> {
    let total = messages.len();
    let mut out: Vec<Warning> = messages
        .into_iter()
        .take(MAX_WARNINGS_PER_SOURCE)
        .map(|message| Warning {
            source: name.to_owned(),
            position: Position::Whole,
            message,
        })
        .collect();
    if total > MAX_WARNINGS_PER_SOURCE {
        out.push(Warning {
            source: name.to_owned(),
            position: Position::Whole,
            message: format!(
                "… and {} more span problems like these",
                total - MAX_WARNINGS_PER_SOURCE
            ),
        });
    }
    out
}

/// Splits `buf` into at most `parts` contiguous ranges of similar size, each ending just
/// after a byte for which `is_boundary` holds (or at the end of the input).
pub fn split_even(
    buf: &[u8],
    parts: usize,
    is_boundary: impl Fn(u8) -> bool,
) -> Vec<(usize, usize)> {
    let parts = parts.max(1);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = buf.len() * k / parts;
        if target <= start {
            continue;
        }
        match buf[target..].iter().position(|&b| is_boundary(b)) {
            Some(p) => {
                let end = target + p + 1;
                out.push((start, end));
                start = end;
            }
            None => break,
        }
    }
    if start < buf.len() || out.is_empty() {
        out.push((start, buf.len()));
    }
    out
}
