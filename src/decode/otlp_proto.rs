//! OTLP protobuf: a single `TracesData` / `ExportTraceServiceRequest` message, a stream
//! of messages each prefixed by a 4-byte big-endian length (collector file exporter,
//! `format: proto`), or a stream of varint-delimited messages. The framing is found by
//! walking field headers only; each `ResourceSpans` is then decoded on its own by the
//! zero-copy reader in `proto_wire`, so the work spreads over threads and a damaged
//! tail costs only itself.

use super::{DecodeError, Decoded, cap_warnings};
use crate::model::{Batch, Position, Warning};
use std::ops::Range;

/// The framing an input was found to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// One message, no prefix.
    Single,
    /// 4-byte big-endian length before each message.
    LengthPrefixed,
    /// Varint length before each message.
    VarintDelimited,
}

/// The outcome of walking one framing over the input.
#[derive(Debug)]
struct Scan {
    framing: Framing,
    /// Byte ranges of every `ResourceSpans` (field 1) payload.
    units: Vec<Range<usize>>,
    /// Bytes that parsed as whole messages.
    consumed: usize,
    /// Messages found.
    messages: usize,
    /// A `ResourceSpans` the end of the input cut through: what of it is there.
    cut: Option<Range<usize>>,
}

impl Scan {
    fn exact(&self, len: usize) -> bool {
        self.consumed == len && self.messages > 0
    }
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Walks the top-level fields of one `TracesData` message occupying all of `msg`
/// (offset `base` in the input). Returns the `ResourceSpans` ranges, or `None` when
/// the bytes are not a well-formed message.
fn walk_message(msg: &[u8], base: usize, units: &mut Vec<Range<usize>>) -> Option<()> {
    let mut pos = 0;
    while pos < msg.len() {
        let tag = read_varint(msg, &mut pos)?;
        let (field, wire) = (tag >> 3, tag & 7);
        if field == 0 {
            return None;
        }
        match wire {
            0 => {
                read_varint(msg, &mut pos)?;
            }
            1 => pos = pos.checked_add(8).filter(|&p| p <= msg.len())?,
            5 => pos = pos.checked_add(4).filter(|&p| p <= msg.len())?,
            2 => {
                let len = usize::try_from(read_varint(msg, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|&e| e <= msg.len())?;
                if field == 1 {
                    units.push(base + pos..base + end);
                }
                pos = end;
            }
            _ => return None,
        }
    }
    // A trace message with no ResourceSpans at all is not evidence of this format.
    Some(())
}

fn scan_single(buf: &[u8]) -> Scan {
    let mut units = Vec::new();
    // Walk field by field so that a truncated single message still yields its
    // complete ResourceSpans (and the complete spans of the one it ends in).
    let mut pos = 0;
    let mut consumed = 0;
    let mut cut = None;
    while pos < buf.len() {
        let mut p = pos;
        let Some(tag) = read_varint(buf, &mut p) else {
            break;
        };
        if tag != 0x0a {
            break;
        }
        let Some(len) = read_varint(buf, &mut p).and_then(|l| usize::try_from(l).ok()) else {
            break;
        };
        let Some(end) = p.checked_add(len).filter(|&e| e <= buf.len()) else {
            cut = (p < buf.len()).then_some(p..buf.len());
            break;
        };
        units.push(p..end);
        pos = end;
        consumed = end;
    }
    let messages = usize::from(!units.is_empty() || cut.is_some());
    Scan {
        framing: Framing::Single,
        units,
        consumed,
        messages,
        cut,
    }
}

fn scan_stream(buf: &[u8], framing: Framing) -> Scan {
    let mut units = Vec::new();
    let (mut pos, mut messages) = (0usize, 0usize);
    while pos < buf.len() {
        let mut p = pos;
        let len = match framing {
            Framing::LengthPrefixed => {
                let Some(b) = buf.get(p..p + 4) else { break };
                p += 4;
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
            }
            _ => match read_varint(buf, &mut p).and_then(|l| usize::try_from(l).ok()) {
                Some(l) => l,
                None => break,
            },
        };
        let Some(end) = p.checked_add(len).filter(|&e| e <= buf.len()) else {
            break;
        };
        let mark = units.len();
        if walk_message(&buf[p..end], p, &mut units).is_none() || units.len() == mark && len > 0 {
            units.truncate(mark);
            break;
        }
        messages += 1;
        pos = end;
    }
    Scan {
        framing,
        units,
        consumed: pos,
        messages,
        cut: None,
    }
}

/// Picks the framing that explains the input: one that covers it exactly, else the
/// one that gets furthest (a truncated input).
fn detect(buf: &[u8]) -> Option<Scan> {
    let mut scans = vec![scan_single(buf)];
    if buf.first() == Some(&0) {
        scans.insert(0, scan_stream(buf, Framing::LengthPrefixed));
    } else {
        scans.push(scan_stream(buf, Framing::LengthPrefixed));
    }
    scans.push(scan_stream(buf, Framing::VarintDelimited));
    if let Some(i) = scans.iter().position(|s| s.exact(buf.len())) {
        return Some(scans.swap_remove(i));
    }
    scans
        .into_iter()
        .filter(|s| !s.units.is_empty() || s.cut.is_some())
        .max_by_key(|s| (s.consumed, s.cut.is_some()))
}

/// The framing that explains the input, if any (for diagnostics and tests).
pub fn detect_framing(buf: &[u8]) -> Option<Framing> {
    detect(buf)
        .filter(|s| !s.units.is_empty())
        .map(|s| s.framing)
}

/// True when the bytes look like OTLP protobuf in some framing (a message cut in
/// its first ResourceSpans counts when that starts with a resource or scope field).
pub fn looks_like(buf: &[u8]) -> bool {
    detect(buf).is_some_and(|s| {
        !s.units.is_empty()
            || s.cut
                .as_ref()
                .is_some_and(|c| matches!(buf.get(c.start), Some(0x0a) | Some(0x12)))
    })
}

/// Decodes an OTLP protobuf input.
pub fn decode(buf: &[u8], source: u32, name: &str, threads: usize) -> Result<Decoded, DecodeError> {
    let Some(scan) = detect(buf) else {
        return Err(DecodeError::Proto(
            "no message framing fits the bytes".into(),
        ));
    };
    if scan.units.is_empty() && scan.cut.is_none() {
        return Err(DecodeError::Proto(
            "no message framing fits the bytes".into(),
        ));
    }
    let threads = threads.clamp(1, scan.units.len().max(1));
    let per = scan.units.len().div_ceil(threads).max(1);
    let mut batches: Vec<Batch> = std::thread::scope(|scope| {
        let handles: Vec<_> = scan
            .units
            .chunks(per)
            .map(|units| scope.spawn(move || decode_units(buf, units, source, name)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    // The ResourceSpans the cut went through: its complete spans.
    if let Some(cut) = &scan.cut {
        let mut b = Batch::for_input(cut.len() * 2);
        let mut notes = super::proto_wire::Notes::new();
        let kept =
            super::proto_wire::resource_spans_cut(&mut b, &buf[cut.clone()], source, &mut notes);
        b.warnings.push(Warning {
            source: name.to_owned(),
            position: Position::Byte(cut.start as u64),
            message: format!(
                "the input ends inside a ResourceSpans that starts here (cut off while being written?); kept its {kept} complete spans"
            ),
        });
        b.warnings.extend(cap_warnings(notes.problems, name));
        if kept == 0 && scan.units.is_empty() {
            return Err(DecodeError::Proto(
                "a cut message with no complete span".into(),
            ));
        }
        batches.push(b);
    }
    let bad = batches.iter().all(|b| b.spans.is_empty())
        && batches.iter().any(|b| !b.warnings.is_empty())
        && scan.cut.is_none();
    if bad && scan.units.len() == batches.iter().map(|b| b.warnings.len()).sum::<usize>() {
        return Err(DecodeError::Proto(
            "the messages do not decode as trace data".into(),
        ));
    }
    if scan.consumed < buf.len()
        && scan.cut.is_none()
        && let Some(first) = batches.first_mut()
    {
        first.warnings.push(Warning {
            source: name.to_owned(),
            position: Position::Byte(scan.consumed as u64),
            message: format!(
                "the input ends in the middle of a message (cut off while being written?); kept everything before byte {} of {}",
                scan.consumed,
                buf.len()
            ),
        });
    }
    Ok(Decoded::new(batches, true, "OTLP protobuf"))
}

fn decode_units(buf: &[u8], units: &[Range<usize>], source: u32, name: &str) -> Batch {
    let mut batch = Batch::for_input(units.iter().map(|r| r.len()).sum::<usize>() * 2);
    let mut notes = super::proto_wire::Notes::new();
    for r in units {
        if let Err(e) =
            super::proto_wire::resource_spans(&mut batch, &buf[r.clone()], source, &mut notes)
        {
            batch.warnings.push(Warning {
                source: name.to_owned(),
                position: Position::Byte(r.start as u64),
                message: format!(
                    "a ResourceSpans message could not be decoded ({}); skipped",
                    e.0
                ),
            });
        }
    }
    batch.warnings.extend(cap_warnings(notes.problems, name));
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_roundtrip() {
        let mut pos = 0;
        assert_eq!(read_varint(&[0xac, 0x02], &mut pos), Some(300));
        assert_eq!(pos, 2);
        assert_eq!(read_varint(&[0x80], &mut 0), None);
    }

    #[test]
    fn garbage_is_not_proto() {
        assert!(!looks_like(b"hello world, this is a log line\n"));
        assert!(!looks_like(&[0xff, 0xff, 0xff, 0xff, 0x01]));
    }
}
