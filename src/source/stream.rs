//! Decoding a stream while it flows: `kubectl logs -f otel-collector | agtrace open -`
//! never ends, so waiting for the end shows nothing. Bytes are kept until they hold
//! pieces that decode on their own — complete JSON values (JSON Lines, concatenated
//! documents, console exporters), complete length-prefixed protobuf records, complete
//! debug-exporter blocks — and each piece goes through the same decoder as a whole
//! file. Formats that are only whole (one JSON array, one protobuf message) are
//! decoded at the end. Warnings name positions in the stream, not in the piece.

use crate::decode::Decoded;
use crate::model::{Batch, Position, Warning};
use crate::source::{LoadError, LoadOptions, load_bytes};
use std::io::Read;

/// How a stream is cut into pieces that decode on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// Too few bytes to tell yet.
    Unknown,
    /// JSON (or Node console) values one after another, spanning lines: cut after a
    /// value closes at the top level.
    Values,
    /// One JSON value per line: cut after the last newline.
    Lines,
    /// Protobuf records, each after a 4-byte big-endian length.
    Framed,
    /// The collector's debug-exporter text: cut before a `ResourceSpans #` line; when
    /// the stream goes quiet, the last block is also decoded up to its last full line
    /// (and again, as a revision, once it is complete).
    Blocks,
    /// Only readable whole (one JSON array, one protobuf message): at the end.
    Whole,
}

/// Where the top-level JSON value scan stands, so new bytes are scanned once.
#[derive(Debug, Default)]
struct Scan {
    pos: usize,
    depth: u32,
    quote: u8,
    escape: bool,
    /// End of the last value that closed at the top level.
    last_end: usize,
    /// A value has spanned a line break (so this is not JSON Lines).
    multiline: bool,
    /// Values closed so far.
    values: usize,
}

/// First bytes kept to name what the stream is when nothing in it decodes.
const HEAD_BYTES: usize = 64 << 10;
/// A held block up to this size is decoded again at every quiet spell it grew in.
const REDECODE_FREELY: usize = 1 << 20;
/// Length prefixes above this are not records (the receiver's decoded-body limit).
const MAX_RECORD: u32 = 256 << 20;

/// A stream decoder: bytes in, decoded pieces out.
pub struct StreamDecoder {
    name: String,
    source: u32,
    opts: LoadOptions,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// Line breaks before `buf[0]`.
    lines: u64,
    cut: Cut,
    scan: Scan,
    decoded_any: bool,
    head: Vec<u8>,
    /// Bytes at the start of `buf` already decoded at a quiet spell (the start of a
    /// debug-exporter block that may not be complete): kept, and decoded again as a
    /// revision once the block grows or ends.
    provisional: usize,
}

impl StreamDecoder {
    /// A decoder for the stream called `name` (in warnings), its spans from source
    /// index `source`.
    pub fn new(name: &str, source: u32, opts: &LoadOptions) -> StreamDecoder {
        StreamDecoder {
            name: name.to_owned(),
            source,
            opts: LoadOptions {
                progress: None,
                ..opts.clone()
            },
            buf: Vec::new(),
            offset: 0,
            lines: 0,
            cut: Cut::Unknown,
            scan: Scan::default(),
            decoded_any: false,
            head: Vec::new(),
            provisional: 0,
        }
    }

    /// Bytes held that do not make a whole piece yet.
    pub fn held(&self) -> usize {
        self.buf.len()
    }

    /// Takes more bytes; returns the pieces they complete. An error only when the
    /// stream is not trace data at all (nothing of it has decoded).
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Decoded>, LoadError> {
        if self.head.len() < HEAD_BYTES {
            let take = data.len().min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&data[..take]);
            if self.head.len() >= HEAD_BYTES
                && let Some(what) = crate::source::hopeless(&self.head)
            {
                return Err(LoadError::NotTrace {
                    name: self.name.clone(),
                    what,
                });
            }
        }
        self.buf.extend_from_slice(data);
        if self.cut == Cut::Unknown {
            self.cut = detect(&self.buf);
        }
        let end = self.boundary();
        self.emit(end)
    }

    /// Nothing arrived for a while: text whose blocks have no clear end (debug-exporter
    /// output) is decoded up to its last full line. The last block may still be
    /// growing (a followed file meets its end wherever the writer stopped, a
    /// collector can pause inside an export), so it stays held and is decoded again
    /// when more of it comes; that later copy revises the spans given now.
    pub fn idle(&mut self) -> Result<Vec<Decoded>, LoadError> {
        if self.cut != Cut::Blocks {
            let end = self.boundary();
            return self.emit(end);
        }
        let block = self.boundary();
        let mut out = self.emit(block)?;
        let Some(nl) = memchr::memrchr(b'\n', &self.buf).map(|p| p + 1) else {
            return Ok(out);
        };
        if !has_block(&self.buf[..nl]) {
            // The collector's own log lines: nothing to keep them for.
            out.extend(self.emit(nl)?);
        } else if nl > self.provisional && (nl < REDECODE_FREELY || nl >= 2 * self.provisional) {
            // A large block growing slowly is decoded again only each time it has
            // doubled, so the work stays linear in its size.
            let revises = self.provisional > 0;
            let piece = self.buf[..nl].to_vec();
            let (offset, lines) = (self.offset, self.lines);
            // A block's first lines alone may not read as anything yet: not an error
            // until the block is decoded whole.
            let Ok(decoded) = self.decode(piece, offset, lines) else {
                return Ok(out);
            };
            for mut d in decoded {
                for b in &mut d.batches {
                    // Said once, when the block is decoded whole.
                    b.warnings.clear();
                    b.revises = revises;
                }
                out.push(d);
            }
            self.provisional = nl;
        }
        Ok(out)
    }

    /// The stream ended (or a followed file was replaced): everything held is decoded,
    /// a damaged tail with a warning as for a file.
    pub fn finish(&mut self) -> Result<Vec<Decoded>, LoadError> {
        let end = self.buf.len();
        let out = self.emit(end)?;
        if !self.decoded_any && !self.head.iter().all(|b| b.is_ascii_whitespace()) {
            // Nothing decoded: the full reason (not a trace dump, debug text without
            // span detail, …), as for a file.
            load_bytes(
                std::mem::take(&mut self.head),
                &self.name,
                self.source,
                &self.opts,
            )?;
        }
        Ok(out)
    }

    /// Bytes at the start of `buf` that make whole pieces.
    fn boundary(&mut self) -> usize {
        match self.cut {
            Cut::Unknown | Cut::Whole => 0,
            Cut::Values | Cut::Lines => {
                if self.cut == Cut::Values {
                    self.scan_values();
                }
                if self.cut == Cut::Lines {
                    memchr::memrchr(b'\n', &self.buf).map_or(0, |p| p + 1)
                } else {
                    self.scan.last_end
                }
            }
            Cut::Framed => framed_end(&self.buf),
            Cut::Blocks => last_block_start(&self.buf),
        }
    }

    /// Scans new bytes for top-level JSON values; after the first one closes, a
    /// stream whose values each sit on one line is read as JSON Lines (a broken
    /// line then costs only itself).
    fn scan_values(&mut self) {
        let s = &mut self.scan;
        let buf = &self.buf;
        while s.pos < buf.len() {
            let b = buf[s.pos];
            s.pos += 1;
            if s.quote != 0 {
                if s.escape {
                    s.escape = false;
                } else if b == b'\\' {
                    s.escape = true;
                } else if b == s.quote {
                    s.quote = 0;
                } else if b == b'\n' && s.quote != b'`' {
                    // A line break ends a JSON or Node string: damage, not a string.
                    s.quote = 0;
                }
                continue;
            }
            match b {
                b'"' | b'\'' | b'`' => s.quote = b,
                b'{' | b'[' => s.depth += 1,
                b'}' | b']' if s.depth > 0 => {
                    s.depth -= 1;
                    if s.depth == 0 {
                        s.last_end = s.pos;
                        s.values += 1;
                        if s.values == 1 && !s.multiline {
                            self.cut = Cut::Lines;
                            return;
                        }
                    }
                }
                b'\n' if s.depth > 0 => s.multiline = true,
                _ => {}
            }
        }
    }

    /// Decodes `buf[..end]` as one piece and keeps the rest.
    fn emit(&mut self, end: usize) -> Result<Vec<Decoded>, LoadError> {
        if end == 0 {
            return Ok(Vec::new());
        }
        let rest = self.buf.split_off(end);
        let piece = std::mem::replace(&mut self.buf, rest);
        let (offset, lines) = (self.offset, self.lines);
        self.offset += piece.len() as u64;
        self.lines += memchr::memchr_iter(b'\n', &piece).count() as u64;
        self.scan.pos = self.scan.pos.saturating_sub(end);
        self.scan.last_end = self.scan.last_end.saturating_sub(end);
        // A block decoded at a quiet spell is in this piece: its spans now revise
        // the ones given then.
        let revises = self.provisional > 0;
        self.provisional = self.provisional.saturating_sub(end);
        let mut out = self.decode(piece, offset, lines)?;
        if revises {
            for d in &mut out {
                for b in &mut d.batches {
                    b.revises = true;
                }
            }
        }
        Ok(out)
    }

    /// Decodes one piece that starts at stream `offset` after `lines` line breaks.
    fn decode(
        &mut self,
        piece: Vec<u8>,
        offset: u64,
        lines: u64,
    ) -> Result<Vec<Decoded>, LoadError> {
        if piece.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Vec::new());
        }
        if self.cut == Cut::Blocks && !has_block(&piece) {
            // The collector's own log lines between exports.
            return Ok(Vec::new());
        }
        match load_bytes(piece, &self.name, self.source, &self.opts) {
            Ok(mut d) => {
                self.decoded_any = true;
                for b in &mut d.batches {
                    for w in &mut b.warnings {
                        w.position = shift(w.position.clone(), offset, lines);
                    }
                }
                Ok(vec![d])
            }
            Err(e) if !self.decoded_any => Err(e),
            Err(e) => Ok(vec![Decoded::new(
                vec![Batch {
                    warnings: vec![Warning {
                        source: self.name.clone(),
                        position: Position::Byte(offset),
                        message: format!("a piece of the stream could not be read: {e}"),
                    }],
                    ..Batch::default()
                }],
                true,
                "stream",
            )]),
        }
    }
}

/// The reader, decompressing when its first bytes say gzip or zstd.
pub fn decompressing(mut input: Box<dyn Read + Send>) -> std::io::Result<Box<dyn Read + Send>> {
    let mut head = vec![0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let joined: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(head.clone()).chain(input));
    Ok(if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(joined))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::new(joined)?)
    } else {
        joined
    })
}

/// A piece's position as a position in the stream.
fn shift(p: Position, offset: u64, lines: u64) -> Position {
    match p {
        Position::Byte(b) => Position::Byte(b + offset),
        Position::Line { line, column } => Position::Line {
            line: line + lines,
            column,
        },
        Position::Whole => Position::Byte(offset),
    }
}

/// How the stream that starts with `buf` is cut (Unknown until enough is there).
fn detect(buf: &[u8]) -> Cut {
    let Some(first) = buf.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Cut::Unknown;
    };
    let rest = &buf[first..];
    match rest[0] {
        b'{' => return Cut::Values,
        b'[' => return Cut::Whole,
        _ => {}
    }
    if buf.len() < 8 {
        return Cut::Unknown;
    }
    if buf[0] == 0 {
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let record = &buf[4..];
        let compressed =
            record.starts_with(&[0x1f, 0x8b]) || record.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        if len > 0 && len <= MAX_RECORD && (record[0] == 0x0a || compressed) {
            return Cut::Framed;
        }
        return Cut::Whole;
    }
    let text = buf
        .iter()
        .take(4096)
        .all(|&b| b >= 0x20 || b == b'\n' || b == b'\r' || b == b'\t' || b == 0x1b);
    if text { Cut::Blocks } else { Cut::Whole }
}

/// End of the last complete length-prefixed record.
fn framed_end(buf: &[u8]) -> usize {
    let mut pos = 0usize;
    while let Some(h) = buf.get(pos..pos + 4) {
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let end = pos + 4 + len;
        if end > buf.len() {
            break;
        }
        pos = end;
    }
    pos
}

const BLOCK_MARKS: [&[u8]; 2] = [b"ResourceSpans #", b"ResourceLog #"];

/// Start of the line of the last block header, or 0.
fn last_block_start(buf: &[u8]) -> usize {
    let at = BLOCK_MARKS
        .iter()
        .filter_map(|m| memchr::memmem::rfind(buf, m))
        .max();
    match at {
        Some(at) => buf[..at]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1),
        None => 0,
    }
}

fn has_block(piece: &[u8]) -> bool {
    BLOCK_MARKS
        .iter()
        .any(|m| memchr::memmem::find(piece, m).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(out: &[Decoded]) -> usize {
        out.iter().map(|d| d.span_count()).sum()
    }

    fn line(trace: u8, span: u8) -> String {
        format!(
            "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{{\"traceId\":\"{trace:032x}\",\"spanId\":\"{span:016x}\",\"name\":\"s\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}}]}}]}}]}}\n"
        )
    }

    #[test]
    fn json_lines_decode_line_by_line_and_keep_a_partial_line() {
        let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::default());
        let text = format!("{}{}", line(1, 1), line(1, 2));
        let (a, b) = text.split_at(text.len() - 10);
        assert_eq!(spans(&d.push(a.as_bytes()).expect("push")), 1);
        assert_eq!(d.cut, Cut::Lines);
        assert_eq!(spans(&d.push(b.as_bytes()).expect("push")), 1);
        assert_eq!(d.held(), 0);
    }

    #[test]
    fn pretty_documents_decode_when_each_closes() {
        let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::default());
        let doc = line(2, 1).replace(",\"", ",\n  \"");
        let out = d.push(doc.as_bytes()).expect("push");
        assert_eq!(d.cut, Cut::Values);
        assert_eq!(spans(&out), 1);
        let half = &doc[..doc.len() / 2];
        assert_eq!(spans(&d.push(half.as_bytes()).expect("push")), 0);
        assert_eq!(
            spans(&d.push(&doc.as_bytes()[doc.len() / 2..]).expect("push")),
            1
        );
    }

    #[test]
    fn a_broken_line_later_is_a_warning_at_its_stream_offset() {
        let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::default());
        d.push(line(3, 1).as_bytes()).expect("push");
        let out = d.push(b"{\"resourceSpans\": [oops\n").expect("push");
        let warnings: Vec<&Warning> = out
            .iter()
            .flat_map(|d| d.batches.iter().flat_map(|b| b.warnings.iter()))
            .collect();
        assert!(!warnings.is_empty(), "{out:?}");
        assert!(
            warnings.iter().all(|w| match w.position {
                Position::Line { line, .. } => line == 2,
                Position::Byte(b) => b >= line(3, 1).len() as u64,
                Position::Whole => false,
            }),
            "{warnings:?}"
        );
    }

    #[test]
    fn not_trace_data_is_an_error_naming_it() {
        let mut d = StreamDecoder::new("<stdin>", 0, &LoadOptions::default());
        let out = d.push(b"hello, this is a plain text file\nwith lines\n");
        assert!(out.expect("text waits for blocks").is_empty());
        let e = d.finish().expect_err("not traces");
        assert!(matches!(e, LoadError::NotTrace { .. }), "{e}");
    }

    #[test]
    fn framed_records_cut_at_record_ends() {
        let mut rec = vec![0x0a, 0x00];
        let mut buf = (rec.len() as u32).to_be_bytes().to_vec();
        buf.append(&mut rec);
        let two = [buf.clone(), buf.clone()].concat();
        assert_eq!(detect(&two), Cut::Framed);
        assert_eq!(framed_end(&two[..9]), 6);
        assert_eq!(framed_end(&two), 12);
    }
}
