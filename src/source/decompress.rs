//! gzip and zstd, detected by magic bytes. A stream cut off mid-way yields what was
//! decompressed before the cut, plus a warning.

use crate::model::{Position, Warning};
use std::io::Read;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Removes up to two layers of compression (a zstd file of gzip data, say).
pub fn undo(mut buf: Vec<u8>, name: &str) -> (Vec<u8>, Vec<Warning>) {
    let mut warnings = Vec::new();
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
    (buf, warnings)
}
