//! OTLP/JSON: one document, several concatenated documents, a JSON array of documents,
//! or JSON Lines (the collector file exporter). JSON Lines are split into chunks and
//! decoded on several threads; a damaged line costs only that line; a document cut off
//! mid-write keeps every span completed before the cut.

/// The name of this format in `ls`/`show`.
pub const OTLP_JSON: &str = "OTLP/JSON";

use super::json_seeds::{DocSeed, ResourceSpansList, Sink};
use super::{DecodeError, Decoded, cap_warnings, split_even};
use crate::model::{Batch, Position, Warning};
use serde::de::DeserializeSeed;

/// Decodes an OTLP/JSON input. `name` is used in warnings.
///
/// `buf` is the caller's private copy of the input: splitting one large document for
/// several threads briefly overwrites one byte per split (and puts it back).
pub fn decode(
    buf: &mut [u8],
    source: u32,
    name: &str,
    threads: usize,
) -> Result<Decoded, DecodeError> {
    let buf = match buf.strip_prefix(b"\xEF\xBB\xBF") {
        Some(_) => &mut buf[3..],
        None => buf,
    };
    if jsonl_start(buf).is_some() {
        return decode_lines(buf, source, name, threads);
    }
    if let Some(d) = decode_split(buf, source, name, threads) {
        return Ok(d);
    }
    decode_documents(buf, source, name)
}

/// Inputs smaller than this are not worth splitting.
const SPLIT_MIN_BYTES: usize = 4 << 20;

/// Finds the `,` before a top-level `resourceSpans` element starting at or after
/// `from`: the pattern `, {"resource":` (white space allowed). A quote that is not
/// escaped can only open a key there, so the pattern cannot sit inside a string; that
/// it sits at the top level is checked by the parse itself.
fn find_split(buf: &[u8], from: usize) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(b"\"resource\"");
    let limit = (from + (64 << 20)).min(buf.len());
    let mut pos = from;
    while let Some(hit) = finder.find(&buf[pos..limit]) {
        let q = pos + hit;
        pos = q + 1;
        let after = buf[q + 10..].iter().position(|b| !b.is_ascii_whitespace());
        if after.map(|a| buf[q + 10 + a]) != Some(b':') {
            continue;
        }
        let before = |end: usize| buf[..end].iter().rposition(|b| !b.is_ascii_whitespace());
        let Some(brace) = before(q).filter(|&o| buf[o] == b'{') else {
            continue;
        };
        if let Some(comma) = before(brace).filter(|&c| buf[c] == b',') {
            return Some(comma);
        }
    }
    None
}

/// Decodes one large document on several threads by cutting its `resourceSpans`
/// array between elements. Returns `None` (having changed nothing) when the input does
/// not have that shape; the caller then decodes it in one piece.
fn decode_split(buf: &mut [u8], source: u32, name: &str, threads: usize) -> Option<Decoded> {
    if threads < 2 || buf.len() < SPLIT_MIN_BYTES {
        return None;
    }
    let mut cuts = Vec::new();
    for k in 1..threads {
        let from = (buf.len() * k / threads).max(cuts.last().map_or(0, |&c: &usize| c + 1));
        if let Some(c) = find_split(buf, from) {
            cuts.push(c);
        }
    }
    if cuts.is_empty() {
        return None;
    }
    // The document must end with `]}` after its last element for the last piece to
    // be read as a bare list; a cut-off document simply ends early.
    let trimmed = buf.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    let closed = buf[trimmed - 1] == b'}';
    let last_end = if closed { trimmed - 1 } else { trimmed };
    for &c in &cuts {
        buf[c] = b'[';
    }
    let view: &[u8] = buf;
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied());
    bounds.push(last_end);
    let pieces: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let results: Vec<Option<(Batch, Vec<Warning>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| {
                let piece = &view[start..end];
                let last = i == pieces.len() - 1;
                scope.spawn(move || decode_piece(piece, i == 0, last, closed, source, name))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    for &c in &cuts {
        buf[c] = b',';
    }
    let mut out = Decoded::new(Vec::with_capacity(results.len()), true, OTLP_JSON);
    for r in results {
        let (mut batch, warnings) = r?;
        batch.warnings.extend(warnings);
        out.batches.push(batch);
    }
    Some(out)
}

/// Decodes one piece of a split document. The first piece is the document's head
/// (`{"resourceSpans":[…`), the others are `[…` lists of elements. Every piece but a
/// closed document's last must stop exactly at its end; anything else means the cut
/// was not between top-level elements, and the whole split is abandoned.
fn decode_piece(
    piece: &[u8],
    first: bool,
    last: bool,
    closed: bool,
    source: u32,
    name: &str,
) -> Option<(Batch, Vec<Warning>)> {
    let mut batch = Batch::for_input(piece.len());
    let mut sink = Sink::new(&mut batch, source);
    // Valid UTF-8 (a mended piece always is) is read as text: serde_json then does
    // not check each string again.
    let (res, ended) = match std::str::from_utf8(piece) {
        Ok(text) => read_piece(serde_json::Deserializer::from_str(text), &mut sink, first),
        Err(_) => read_piece(
            serde_json::Deserializer::from_slice(piece),
            &mut sink,
            first,
        ),
    };
    let mut warnings = Vec::new();
    match res {
        Ok(()) if last && closed && ended => {}
        // serde_json reports an end-of-input error at the last byte it read.
        Err(e) if e.is_eof() && offset_of(piece, e.line(), e.column()) + 1 >= piece.len() => {
            if last && !closed {
                warnings.push(Warning {
                    source: name.to_owned(),
                    position: Position::Whole,
                    message: "the input ends in the middle of a document (cut off while being written?); kept the spans before the damage".into(),
                });
            } else if last {
                return None;
            }
        }
        _ => return None,
    }
    let notes = take_notes(&mut sink, name);
    warnings.extend(notes);
    Some((batch, warnings))
}

/// Reads one piece into `sink` (the document's head when `first`, else a run of
/// `resourceSpans` elements); returns the outcome and whether only whitespace follows.
fn read_piece<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    sink: &mut Sink<'_>,
    first: bool,
) -> (Result<(), serde_json::Error>, bool) {
    let res = if first {
        DocSeed(sink).deserialize(&mut de)
    } else {
        ResourceSpansList(sink).deserialize(&mut de)
    };
    let ended = res.is_ok() && de.end().is_ok();
    (res, ended)
}

/// Reads one JSON Lines document into `sink`, nothing but whitespace after it.
fn read_line<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    sink: &mut Sink<'_>,
) -> Result<(), serde_json::Error> {
    DocSeed(sink).deserialize(&mut de).and_then(|()| de.end())
}

/// When the input is JSON Lines (its first line is a whole JSON value and more
/// follows), returns the end of the first line.
fn jsonl_start(buf: &[u8]) -> Option<usize> {
    let nl = memchr::memchr(b'\n', buf)?;
    let first = &buf[..nl];
    if first.iter().all(u8::is_ascii_whitespace) || buf[nl..].iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(first);
    let ok = <serde::de::IgnoredAny as serde::Deserialize>::deserialize(&mut de).is_ok()
        && de.end().is_ok();
    ok.then_some(nl)
}

/// JSON Lines: every line is decoded on its own; chunks of lines go to threads.
fn decode_lines(
    buf: &[u8],
    source: u32,
    name: &str,
    threads: usize,
) -> Result<Decoded, DecodeError> {
    let chunks = split_even(buf, threads, |b| b == b'\n');
    let results: Vec<ChunkResult> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|&(start, end)| {
                let chunk = &buf[start..end];
                let last_chunk = end == buf.len();
                scope.spawn(move || decode_line_chunk(chunk, last_chunk, source, name))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| (Batch::default(), false, Vec::new()))
            })
            .collect()
    });
    let mut out = Decoded::new(Vec::new(), false, OTLP_JSON);
    let mut line_base = 0u64;
    for (i, (mut batch, recognized, warns)) in results.into_iter().enumerate() {
        out.recognized |= recognized;
        for (local_line, mut w) in warns {
            if let Position::Line { line, .. } = &mut w.position {
                *line = line_base + local_line;
            }
            batch.warnings.push(w);
        }
        let (start, end) = chunks[i];
        line_base += memchr::memchr_iter(b'\n', &buf[start..end]).count() as u64;
        out.batches.push(batch);
    }
    Ok(out)
}

/// What one chunk of JSON Lines gave: its batch, whether it held OTLP, and warnings
/// keyed by the line number within the chunk.
type ChunkResult = (Batch, bool, Vec<(u64, Warning)>);

fn decode_line_chunk(chunk: &[u8], last_chunk: bool, source: u32, name: &str) -> ChunkResult {
    let mut batch = Batch::for_input(chunk.len());
    let mut warns = Vec::new();
    let mut sink = Sink::new(&mut batch, source);
    let mut line_no = 0u64;
    let mut rest = chunk;
    while !rest.is_empty() {
        line_no += 1;
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(nl) => (&rest[..nl], &rest[nl + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let before = sink.batch.spans.len();
        let res = match std::str::from_utf8(line) {
            Ok(text) => read_line(serde_json::Deserializer::from_str(text), &mut sink),
            Err(_) => read_line(serde_json::Deserializer::from_slice(line), &mut sink),
        };
        if let Err(e) = res {
            let is_last = last_chunk && rest.iter().all(u8::is_ascii_whitespace);
            let kept = sink.batch.spans.len() - before;
            let message = if e.is_eof() && is_last {
                format!(
                    "the input ends in the middle of a document (cut off while being written?); kept {kept} spans from that line and everything before it"
                )
            } else {
                format!(
                    "{}; kept {kept} spans from this line, skipped the rest of it",
                    describe_json_error(&e)
                )
            };
            warns.push((
                line_no,
                Warning {
                    source: name.to_owned(),
                    position: Position::Line {
                        line: line_no,
                        column: e.column() as u64,
                    },
                    message,
                },
            ));
        }
    }
    let recognized = sink.recognized;
    let notes = take_notes(&mut sink, name);
    batch.warnings.extend(notes);
    (batch, recognized, warns)
}

/// One document, several concatenated ones, or an array of them, decoded in order.
fn decode_documents(buf: &[u8], source: u32, name: &str) -> Result<Decoded, DecodeError> {
    let mut batch = Batch::for_input(buf.len());
    let mut sink = Sink::new(&mut batch, source);
    let mut pos = 0usize;
    let mut line_base = 0u64; // lines before `pos`
    let mut docs = 0usize;
    let mut warnings = Vec::new();
    loop {
        while pos < buf.len() && buf[pos].is_ascii_whitespace() {
            if buf[pos] == b'\n' {
                line_base += 1;
            }
            pos += 1;
        }
        if pos >= buf.len() {
            break;
        }
        let region = &buf[pos..];
        let mut de = serde_json::Deserializer::from_slice(region);
        let spans_before = sink.batch.spans.len();
        match DocSeed(&mut sink).deserialize(&mut de) {
            Ok(()) => {
                docs += 1;
                match de.end() {
                    Ok(()) => break,
                    Err(e) => {
                        // More follows: another document starts at the error position.
                        let off = offset_of(region, e.line(), e.column());
                        line_base += e.line() as u64 - 1;
                        pos += off;
                        if off == 0 {
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                let line = line_base + e.line() as u64;
                let kept = sink.batch.spans.len();
                if docs == 0 && kept == 0 {
                    return Err(DecodeError::Json {
                        line,
                        column: e.column() as u64,
                        message: if e.is_eof() {
                            "the input ends before the first span is complete".to_owned()
                        } else {
                            describe_json_error(&e)
                        },
                    });
                }
                let message = if e.is_eof() {
                    format!(
                        "the input ends in the middle of a document (cut off while being written?); kept the {kept} spans before the damage"
                    )
                } else {
                    format!(
                        "{}; kept the {kept} spans before the damage, skipped the rest of the input",
                        describe_json_error(&e)
                    )
                };
                let _ = spans_before;
                warnings.push(Warning {
                    source: name.to_owned(),
                    position: Position::Line {
                        line,
                        column: e.column() as u64,
                    },
                    message,
                });
                break;
            }
        }
    }
    let recognized = sink.recognized;
    let notes = take_notes(&mut sink, name);
    batch.warnings.extend(warnings);
    batch.warnings.extend(notes);
    Ok(Decoded::new(vec![batch], recognized, OTLP_JSON))
}

/// Byte offset of a 1-based line and column in `buf`.
fn offset_of(buf: &[u8], line: usize, column: usize) -> usize {
    let mut off = 0usize;
    for _ in 1..line {
        match memchr::memchr(b'\n', &buf[off..]) {
            Some(nl) => off += nl + 1,
            None => return buf.len(),
        }
    }
    (off + column.saturating_sub(1)).min(buf.len())
}

/// serde_json's message without its own " at line X column Y" suffix (we print ours).
fn describe_json_error(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("invalid JSON: {}", &s[..i]),
        None => format!("invalid JSON: {s}"),
    }
}

fn take_notes(sink: &mut Sink, name: &str) -> Vec<Warning> {
    let mut all: Vec<String> = std::mem::take(&mut sink.rejected);
    all.append(&mut sink.notes);
    cap_warnings(all, name)
}

/// Random access to an input too large to hold whole (a file read with `pread`).
pub trait RangeReader: Sync {
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// True when there is nothing to read.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads `len` bytes at `start`.
    fn read(&self, start: u64, len: usize) -> std::io::Result<Vec<u8>>;
}

/// Inputs at least this large are decoded piece by piece from their file.
pub const STREAM_MIN_BYTES: u64 = 32 << 20;
/// Target size of one piece: each worker holds one piece at a time.
pub const PIECE_BYTES: u64 = 12 << 20;

/// Decodes a large, uncompressed OTLP/JSON input piece by piece, never holding it
/// whole: JSON Lines are cut at line ends, one big document between the elements of
/// its `resourceSpans` array; each worker reads one piece, decodes it and drops it.
/// Returns `None` when the input does not have a shape that can be cut this way (the
/// caller then reads it whole).
pub fn decode_ranges(
    r: &dyn RangeReader,
    piece_bytes: u64,
    source: u32,
    name: &str,
    threads: usize,
) -> Option<Decoded> {
    let Plan {
        ranges,
        lines,
        closed,
    } = plan(r, piece_bytes, threads)?;
    let n = ranges.len();
    // Pieces are decoded on the workers and joined here in input order as they
    // come (out-of-order ones wait), so each piece's batch is folded into one and
    // freed while the rest are decoded, instead of every batch being held until the
    // end beside the set built from them.
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Option<PieceOut>)>();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let mut joined = Joined::new(lines, n);
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, n) {
            let tx = tx.clone();
            let (next, failed, ranges) = (&next, &failed, &ranges);
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= n || failed.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let (start, stop) = ranges[k];
                    let out = r.read(start, (stop - start) as usize).ok().and_then(|buf| {
                        let shape = PieceShape {
                            lines,
                            first: k == 0,
                            last: k == n - 1,
                            closed,
                            start,
                        };
                        decode_range_piece(buf, shape, source, name)
                    });
                    if out.is_none() {
                        failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    if tx.send((k, out)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: std::collections::BTreeMap<usize, Option<PieceOut>> =
            std::collections::BTreeMap::new();
        for (k, out) in rx {
            waiting.insert(k, out);
            while let Some(out) = waiting.remove(&joined.pieces) {
                match out {
                    Some(o) => joined.add(o),
                    None => failed.store(true, std::sync::atomic::Ordering::Relaxed),
                }
            }
        }
    });
    if failed.load(std::sync::atomic::Ordering::Relaxed) || joined.pieces != n {
        return None;
    }
    let mut out = Decoded::new(
        joined.batch.into_iter().collect(),
        joined.recognized,
        OTLP_JSON,
    );
    out.logs = joined.logs;
    Some(out)
}

/// Where a large document is cut into pieces that decode on their own.
struct Plan {
    /// The pieces' byte ranges, in order.
    ranges: Vec<(u64, u64)>,
    /// JSON Lines (one document per line) rather than one document.
    lines: bool,
    /// One document that ends with its closing brace.
    closed: bool,
}

/// Cuts `r` into pieces of about `piece_bytes` (at least two per thread) at record
/// boundaries; `None` when it is not a document that can be cut.
fn plan(r: &dyn RangeReader, piece_bytes: u64, threads: usize) -> Option<Plan> {
    let len = r.len();
    let head = r.read(0, len.min(16 << 20) as usize).ok()?;
    if head.first() != Some(&b'{') {
        return None;
    }
    let lines = jsonl_start(&head).is_some();
    let pieces_wanted = (len / piece_bytes.max(1)).max(threads as u64 * 2).max(2);
    let mut cuts: Vec<u64> = vec![0];
    for k in 1..pieces_wanted {
        let target = (len * k / pieces_wanted).max(cuts.last().copied().unwrap_or(0) + 1);
        if let Some(c) = find_cut(r, target, lines)
            && c > *cuts.last().unwrap_or(&0)
            && c < len
        {
            cuts.push(c);
        }
    }
    if cuts.len() < 2 {
        return None;
    }
    // A closed document ends with `]}`: the last piece stops before the `}`.
    let tail_start = len.saturating_sub(4096);
    let tail = r.read(tail_start, (len - tail_start) as usize).ok()?;
    let trimmed = tail.iter().rposition(|b| !b.is_ascii_whitespace())?;
    let closed = !lines && tail[trimmed] == b'}';
    let end = if closed {
        tail_start + trimmed as u64
    } else {
        len
    };
    cuts.push(end);
    let ranges: Vec<(u64, u64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    Some(Plan {
        ranges,
        lines,
        closed,
    })
}

/// One decoded piece: its batch, warnings, whether it was recognized, its lines.
type PieceOut = (Batch, Vec<Warning>, bool, u64);

/// The pieces of a file joined so far, in input order, into one batch.
struct Joined {
    lines: bool,
    /// Pieces expected, and pieces joined so far.
    expected: usize,
    pieces: usize,
    batch: Option<Batch>,
    recognized: bool,
    logs: bool,
    line_base: u64,
}

impl Joined {
    fn new(lines: bool, expected: usize) -> Joined {
        Joined {
            lines,
            expected,
            pieces: 0,
            batch: None,
            recognized: false,
            logs: false,
            line_base: 0,
        }
    }

    /// Adds the next piece: its warnings' line numbers made the file's, its batch
    /// appended to what came before.
    fn add(&mut self, (mut batch, warns, recognized, newlines): PieceOut) {
        self.pieces += 1;
        crate::oom::SPANS_READ.fetch_add(
            batch.spans.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        self.recognized |= recognized;
        for mut w in warns {
            if self.lines
                && let Position::Line { line, .. } = &mut w.position
            {
                *line += self.line_base;
            }
            batch.warnings.push(w);
        }
        self.line_base += newlines;
        self.logs |= !batch.log_events.is_empty();
        match &mut self.batch {
            Some(b) => b.absorb(batch),
            None => {
                // Room for the pieces to come, guessed from the first: the string
                // table is not rehashed at every doubling, and the arenas not copied
                // (capacity that is never written costs no memory).
                let more = self.expected.saturating_sub(1);
                batch.spans.reserve(batch.spans.len() * more);
                batch.attrs.reserve(batch.attrs.len() * more);
                batch.strings.reserve(batch.strings.len() * more / 2);
                self.batch = Some(batch);
            }
        }
    }
}

/// Where a piece sits in the input it was cut from.
#[derive(Clone, Copy)]
struct PieceShape {
    lines: bool,
    first: bool,
    last: bool,
    closed: bool,
    /// Byte offset of the piece in the input.
    start: u64,
}

/// One piece: its text mended (bad UTF-8, lone surrogates), decoded, and decoded
/// again with over-deep values cut when the parser hit its nesting limit, so one bad
/// value costs itself and not its piece (the same rules as a whole document).
/// Returns the batch, its warnings, whether it was recognized and its line count.
fn decode_range_piece(
    mut buf: Vec<u8>,
    shape: PieceShape,
    source: u32,
    name: &str,
) -> Option<(Batch, Vec<Warning>, bool, u64)> {
    let mut mended = super::json_text::mend(&mut buf, name);
    for w in &mut mended {
        if let Position::Byte(b) = &mut w.position {
            *b += shape.start;
        }
    }
    let mut out = decode_piece_text(&mut buf, shape, source, name);
    let too_deep = out
        .as_ref()
        .is_none_or(|(_, w, _, _)| w.iter().any(|w| w.message.contains("recursion limit")));
    if too_deep {
        let cuts = super::json_text::cut_deep(&mut buf);
        if cuts > 0 {
            out = decode_piece_text(&mut buf, shape, source, name);
            mended.push(Warning {
                source: name.to_owned(),
                position: Position::Byte(shape.start),
                message: format!(
                    "{cuts} values nested deeper than {} JSON levels were cut (shown as \"[nested too deep: cut]\")",
                    super::json_text::MAX_JSON_DEPTH
                ),
            });
        }
    }
    out.map(|(b, mut w, recognized, newlines)| {
        w.extend(mended);
        (b, w, recognized, newlines)
    })
}

fn decode_piece_text(
    buf: &mut [u8],
    shape: PieceShape,
    source: u32,
    name: &str,
) -> Option<(Batch, Vec<Warning>, bool, u64)> {
    if shape.lines {
        let newlines = memchr::memchr_iter(b'\n', buf).count() as u64;
        let (mut batch, recognized, warns) = decode_line_chunk(buf, shape.last, source, name);
        if super::otlp_logs::has_logs(buf) {
            batch.log_events = super::otlp_logs::span_events(buf);
        }
        // Line numbers are fixed up once every piece's newlines are known.
        let warns: Vec<Warning> = warns
            .into_iter()
            .map(|(local, mut w)| {
                if let Position::Line { line, .. } = &mut w.position {
                    *line = local;
                }
                w
            })
            .collect();
        Some((batch, warns, recognized, newlines))
    } else {
        if !shape.first
            && let Some(b) = buf.first_mut()
        {
            *b = b'[';
        }
        decode_piece(buf, shape.first, shape.last, shape.closed, source, name).map(|(mut b, w)| {
            if super::otlp_logs::has_logs(buf) {
                b.log_events = super::otlp_logs::span_events_in_piece(buf);
            }
            (b, w, true, 0)
        })
    }
}

/// A cut point at or after `target`: after a line end (JSON Lines), or at the comma
/// before a top-level `resourceSpans` element (one document).
fn find_cut(r: &dyn RangeReader, target: u64, lines: bool) -> Option<u64> {
    let len = r.len();
    let mut window = 1usize << 20;
    while target < len && window <= 64 << 20 {
        let w = r
            .read(target, (len - target).min(window as u64) as usize)
            .ok()?;
        let found = if lines {
            memchr::memchr(b'\n', &w).map(|p| target + p as u64 + 1)
        } else {
            find_split(&w, 0).map(|c| target + c as u64)
        };
        if found.is_some() {
            return found;
        }
        if w.len() < window {
            return None;
        }
        window *= 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem(Vec<u8>);

    impl RangeReader for Mem {
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
        fn read(&self, start: u64, len: usize) -> std::io::Result<Vec<u8>> {
            Ok(self.0[start as usize..start as usize + len].to_vec())
        }
    }

    fn doc(n: usize) -> String {
        let elems: Vec<String> = (0..n)
            .map(|t| {
                format!(
                    r#"{{"resource":{{}},"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","spanId":"{:016x}","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}"#,
                    t + 1,
                    t + 1
                )
            })
            .collect();
        format!(r#"{{"resourceSpans":[{}]}}"#, elems.join(","))
    }

    #[test]
    fn pieces_joined_as_they_come_fold_copies_across_pieces_as_separate_batches_did() {
        // Every span twice: once early, once in a later piece with its end time.
        let mut text = doc(1500);
        let again = doc(1500).replace(r#""endTimeUnixNano":"2""#, r#""endTimeUnixNano":"9""#);
        text.truncate(text.len() - 2);
        let tail = &again[again.find('[').map_or(0, |i| i + 1)..];
        text = format!("{text},{tail}");
        let m = Mem(text.into_bytes());
        assert!(plan(&m, 16 << 10, 2).expect("cuttable").ranges.len() > 4);
        let d = decode_ranges(&m, 16 << 10, 0, "mem", 2).expect("cuttable");
        assert_eq!(d.span_count(), 3000);
        let set = crate::model::TraceSet::build(d.batches, vec!["mem".into()], Vec::new());
        assert_eq!(set.spans.len(), 1500);
        assert!(set.spans.iter().all(|s| {
            s.marks.has(crate::model::Marks::DUPLICATE) && s.start == 1 && s.end == 2
        }));
        assert_eq!(set.traces.len(), 1500);
    }

    #[test]
    fn ranges_are_cut_into_pieces_that_hold_every_span() {
        let m = Mem(doc(3000).into_bytes());
        let pieces = plan(&m, 16 << 10, 2).expect("cuttable").ranges.len();
        assert!(pieces > 4, "{pieces} pieces");
        let d = decode_ranges(&m, 16 << 10, 0, "mem", 2).expect("cuttable");
        assert_eq!(d.span_count(), 3000);
        // Not cuttable: a document with another key after the spans falls back.
        let mut other = doc(3000);
        other.truncate(other.len() - 1);
        other.push_str(r#","resourceLogs":[]}"#);
        assert!(decode_ranges(&Mem(other.into_bytes()), 16 << 10, 0, "mem", 2).is_none());
    }
}
