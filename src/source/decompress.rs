//! gzip and zstd, detected by magic bytes. A stream cut off mid-way yields what was
//! decompressed before the cut, plus a warning. Also the OpenTelemetry collector file
//! exporter's framing with `compression: zstd` (or gzip): each record is a 4-byte
//! big-endian length and one compressed frame, in JSON and protobuf mode alike.

use crate::model::{Position, Warning};
use std::io::Read;

/// Default cap on decompressed size as a multiple of the compressed size (trace
/// JSON compresses 10-30×; a decompression bomb, thousands).
pub const DEFAULT_MAX_RATIO: u64 = 200;
/// Default cap on decompressed size in bytes, whatever the ratio.
pub const DEFAULT_MAX_BYTES: u64 = 16 << 30;
/// Decompressed output below this is always allowed (tiny inputs compress well).
const RATIO_FLOOR: u64 = 64 << 20;

/// How far decompression may expand an input (`AGTRACE_MAX_RATIO`,
/// `AGTRACE_MAX_DECOMPRESSED` with an optional K/M/G suffix).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Output at most this many times the input.
    pub ratio: u64,
    /// Output at most this many bytes.
    pub bytes: u64,
}

impl Limits {
    /// The limits from the environment, else the defaults.
    pub fn from_env() -> Limits {
        let num = |k: &str| {
            let v = std::env::var(k).ok()?;
            let v = v.trim();
            let (n, mul) = match v.chars().last()?.to_ascii_uppercase() {
                'K' => (&v[..v.len() - 1], 1u64 << 10),
                'M' => (&v[..v.len() - 1], 1 << 20),
                'G' => (&v[..v.len() - 1], 1 << 30),
                _ => (v, 1),
            };
            n.trim().parse::<u64>().ok().map(|n| n.saturating_mul(mul))
        };
        Limits {
            ratio: num("AGTRACE_MAX_RATIO").unwrap_or(DEFAULT_MAX_RATIO),
            bytes: num("AGTRACE_MAX_DECOMPRESSED").unwrap_or(DEFAULT_MAX_BYTES),
        }
    }

    /// What is said when `kind` data would expand past `cap` bytes under these limits.
    pub fn too_large(&self, kind: &str, cap: u64) -> String {
        format!(
            "the {kind} data expands past {} MiB (the limit: {}× the compressed size, at most {} MiB; raise it with AGTRACE_MAX_RATIO or AGTRACE_MAX_DECOMPRESSED)",
            cap >> 20,
            self.ratio,
            self.bytes >> 20
        )
    }

    /// The most a compressed input of `input` bytes may expand to.
    pub fn cap(&self, input: usize) -> u64 {
        (input as u64)
            .saturating_mul(self.ratio)
            .max(RATIO_FLOOR)
            .min(self.bytes)
    }
}

/// The bytes with compression removed, warnings about damage, and the layers
/// removed (outermost first).
pub type Undone = (Vec<u8>, Vec<Warning>, Vec<&'static str>);

/// Why decompression was stopped.
#[derive(Debug)]
pub enum Stop {
    /// The output would pass the expansion limit.
    TooLarge(String),
    /// The output starts with something no trace format does (zero bytes).
    Hopeless(String),
}

/// A reason the first bytes of an input cannot start anything agtrace reads: mostly
/// zero bytes (a zeroed file, `/dev/zero`, a decompression bomb), so it is refused at
/// once instead of after reading or inflating all of it.
pub fn hopeless(head: &[u8]) -> Option<String> {
    let head = &head[..head.len().min(64 << 10)];
    if head.len() < 4096 {
        return None;
    }
    let zeros = head.iter().filter(|&&b| b == 0).count();
    (zeros * 10 >= head.len() * 9).then(|| {
        format!(
            "zero bytes ({}% of the first {} KiB)",
            zeros * 100 / head.len(),
            head.len() >> 10
        )
    })
}

/// How much one decompression may still produce, and the whole input's cap (for
/// the message).
struct Budget<'a> {
    left: u64,
    cap: u64,
    limits: &'a Limits,
}

/// Reads a decompressor to its end, within the budget; gives up early when the first
/// 64 KiB are hopeless.
fn read_capped(
    mut r: impl Read,
    budget: Budget,
    hint: usize,
    kind: &str,
) -> Result<(Vec<u8>, Option<std::io::Error>), Stop> {
    let cap = budget.left;
    let mut out = Vec::with_capacity(hint.min(cap as usize));
    let mut chunk = vec![0u8; 1 << 20];
    let mut checked = false;
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok((out, None)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Ok((out, Some(e))),
        };
        if out.len() as u64 + n as u64 > cap {
            return Err(Stop::TooLarge(budget.limits.too_large(kind, budget.cap)));
        }
        out.extend_from_slice(&chunk[..n]);
        if !checked && out.len() >= 64 << 10 {
            checked = true;
            if let Some(why) = hopeless(&out) {
                return Err(Stop::Hopeless(format!("{kind}-compressed {why}")));
            }
        }
    }
}

pub(super) const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
pub(super) const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Removes up to two layers of compression (a zstd file of gzip data, say), or the
/// collector file exporter's record framing with compression on. Also says which
/// layers were removed, outermost first (for the format `ls` reports).
/// Decompression is bounded by [`Limits`]: past it, or when the output starts with
/// zero bytes, it stops with the reason.
pub fn undo(mut buf: Vec<u8>, name: &str, limits: Limits) -> Result<Undone, Stop> {
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    if is_framed(&buf) {
        let (out, warnings) = unframe(&buf, name, limits)?;
        return Ok((out, warnings, vec!["compressed records"]));
    }
    for _ in 0..2 {
        let cap = limits.cap(buf.len());
        let (kind, out) = if buf.starts_with(GZIP_MAGIC) {
            let r = flate2::read::MultiGzDecoder::new(&buf[..]);
            let budget = Budget {
                left: cap,
                cap,
                limits: &limits,
            };
            ("gzip", read_capped(r, budget, buf.len() * 4, "gzip")?)
        } else if buf.starts_with(ZSTD_MAGIC) {
            let out = match zstd::stream::read::Decoder::new(&buf[..]) {
                Ok(d) => {
                    let budget = Budget {
                        left: cap,
                        cap,
                        limits: &limits,
                    };
                    read_capped(d, budget, buf.len() * 6, "zstd")?
                }
                Err(e) => (Vec::new(), Some(e)),
            };
            ("zstd", out)
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
    Ok((buf, warnings, layers))
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
fn unframe(buf: &[u8], name: &str, limits: Limits) -> Result<(Vec<u8>, Vec<Warning>), Stop> {
    let cap = limits.cap(buf.len());
    let mut total = 0u64;
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
        let budget = Budget {
            left: cap.saturating_sub(total),
            cap,
            limits: &limits,
        };
        let (out, r) = if frame.starts_with(ZSTD_MAGIC) {
            match zstd::stream::read::Decoder::new(frame) {
                Ok(d) => read_capped(d, budget, len * 6, "zstd")?,
                Err(e) => (Vec::new(), Some(e)),
            }
        } else if frame.starts_with(GZIP_MAGIC) {
            read_capped(
                flate2::read::MultiGzDecoder::new(frame),
                budget,
                len * 6,
                "gzip",
            )?
        } else {
            (
                Vec::new(),
                Some(std::io::Error::other("not a zstd or gzip frame")),
            )
        };
        total += out.len() as u64;
        let r: Result<(), std::io::Error> = match r {
            Some(e) => Err(e),
            None => Ok(()),
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
    Ok((out, warnings))
}
