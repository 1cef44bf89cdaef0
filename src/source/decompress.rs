//! gzip and zstd, detected by magic bytes. A stream cut off mid-way yields what was
//! decompressed before the cut, plus a warning. Also the OpenTelemetry collector file
//! exporter's framing with `compression: zstd` (or gzip): each record is a 4-byte
//! big-endian length and one compressed frame, in JSON and protobuf mode alike.

use crate::model::{Position, Warning};
use std::io::Read;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Removes up to two layers of compression (a zstd file of gzip data, say), or the
/// collector file exporter's record framing with compression on. Also says which
/// layers were removed, outermost first (for the format `ls` reports).
pub fn undo(mut buf: Vec<u8>, name: &str) -> (Vec<u8>, Vec<Warning>, Vec<&'static str>) {
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    if is_framed(&buf) {
        let (out, warnings) = unframe(&buf, name);
        return (out, warnings, vec!["compressed records"]);
    }
    for _ in 0..2 {
        let (kind, out) = if buf.starts_with(GZIP_MAGIC) {
            let mut out = Vec::with_capacity(buf.len() * 4);
            let r = flate2::read::MultiGzDecoder::new(&buf[..]).read_to_end(&mut out);
            ("gzip", (out, r.err()))
        } else if buf.starts_with(ZSTD_MAGIC) {
            let mut out = Vec::with_capacity(buf.len() * 6);
            let r = zstd::stream::read::Decoder::new(&buf[..])
                .and_then(|mut d| d.read_to_end(&mut out));
            ("zstd", (out, r.err()))
        } else {
            break;
        };
        let (out, err) = out;
        layers.push(kind);
        if let Some(e) = err {
            warnings.push(Warning {
                source: name.to_owned(),
                position: Position::Byte(out.len() as u64),
                message: format!(
                    "the {kind} stream is damaged or cut off ({e}); using the {} bytes decompressed before that",
                    out.len()
                ),
            });
        }
        buf = out;
    }
    (buf, warnings, layers)
}

/// True when `buf` starts with a 4-byte length followed by a compressed frame that
/// fits in it: the collector file exporter's compressed records.
fn is_framed(buf: &[u8]) -> bool {
    let Some(len) = buf
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return false;
    };
    let body = &buf[4..];
    (len as usize) <= body.len()
        && len >= 4
        && (body.starts_with(ZSTD_MAGIC) || body.starts_with(GZIP_MAGIC))
}

/// Decompresses framed records back to back: JSON records one per line (a JSON
/// Lines stream), protobuf records each with a 4-byte big-endian length again (the
/// uncompressed file exporter's framing). A damaged record or a cut tail ends the
/// stream there, with a warning naming the byte offset; what came before is kept.
fn unframe(buf: &[u8], name: &str) -> (Vec<u8>, Vec<Warning>) {
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut warnings = Vec::new();
    let mut at = 0usize;
    let warn = |at: usize, message: String| Warning {
        source: name.to_owned(),
        position: Position::Byte(at as u64),
        message,
    };
    while at < buf.len() {
        let Some(head) = buf.get(at..at + 4) else {
            warnings.push(warn(
                at,
                "the last compressed record is cut off in its length; using the records before it"
                    .into(),
            ));
            break;
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(frame) = buf.get(at + 4..at + 4 + len) else {
            warnings.push(warn(
                at,
                format!(
                    "compressed record {} is cut off ({len} bytes announced, {} there); using the records before it",
                    records.len() + 1,
                    buf.len() - at - 4
                ),
            ));
            break;
        };
        let mut out = Vec::with_capacity(len * 6);
        let r = if frame.starts_with(ZSTD_MAGIC) {
            zstd::stream::read::Decoder::new(frame).and_then(|mut d| d.read_to_end(&mut out))
        } else if frame.starts_with(GZIP_MAGIC) {
            flate2::read::MultiGzDecoder::new(frame).read_to_end(&mut out)
        } else {
            Err(std::io::Error::other("not a zstd or gzip frame"))
        };
        if let Err(e) = r {
            warnings.push(warn(
                at,
                format!(
                    "compressed record {} is damaged ({e}); using the records before it",
                    records.len() + 1
                ),
            ));
            break;
        }
        records.push(out);
        at += 4 + len;
    }
    let json = records
        .iter()
        .all(|r| r.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
    let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 4).sum());
    for r in &records {
        if json {
            out.extend_from_slice(r);
            out.push(b'\n');
        } else {
            out.extend_from_slice(&(r.len() as u32).to_be_bytes());
            out.extend_from_slice(r);
        }
    }
    (out, warnings)
}
