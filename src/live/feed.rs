//! Feeds that are not a socket: stdin read as it arrives, and a file followed as a
//! collector's file exporter appends to it (`--follow`), across its rotation (the
//! name now points at a new file: the old one is read to its end first) and a
//! truncation or rewrite (read again from the start; spans seen before merge as
//! duplicates). Each decoded piece goes to the same [`Sink`] the receiver uses; a
//! feed's sink waits rather than refuses, so a pipe is simply read slower when the
//! view is behind, and `false` from it means the consumer is gone.

use super::{Received, Sink, Stats};
use crate::decode::Decoded;
use crate::source::stream::{StreamDecoder, decompressing};
use crate::source::{LoadError, LoadOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Quiet time after which text with no clear block end is decoded to its last line.
pub const IDLE: Duration = Duration::from_millis(300);
/// How often a followed file is looked at when nothing new is in it.
pub const POLL: Duration = Duration::from_millis(200);
const CHUNK: usize = 1 << 20;

/// Hands decoded pieces to the sink, counting them; `false` when the consumer is gone.
fn deliver(pieces: Vec<Decoded>, sink: &Sink, stats: &Stats) -> bool {
    for d in pieces {
        let r = Received::from_decoded(d);
        let (spans, records) = (r.spans as u64, r.log_records as u64);
        if !sink(r) {
            return false;
        }
        stats.requests.fetch_add(1, Ordering::Relaxed);
        stats.spans.fetch_add(spans, Ordering::Relaxed);
        stats.log_records.fetch_add(records, Ordering::Relaxed);
    }
    true
}

/// Says what stopped a feed, where the view shows it.
fn stopped(stats: &Stats, why: String) {
    stats.set_notice(why);
    stats.ended.store(true, Ordering::Relaxed);
}

/// Reads `input` (stdin, or any reader) as it arrives on two threads — one reads,
/// one decodes, so a quiet stream still gets its idle flush — until it ends.
/// gzip and zstd streams are decompressed as they flow.
pub fn read_stream(
    input: Box<dyn Read + Send>,
    name: &str,
    opts: &LoadOptions,
    sink: Sink,
    stats: Arc<Stats>,
) -> std::io::Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(8);
    std::thread::Builder::new()
        .name("stream-read".into())
        .spawn(move || {
            let mut input = match decompressing(input) {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            loop {
                let mut chunk = vec![0u8; CHUNK];
                match input.read(&mut chunk) {
                    Ok(0) => return,
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })?;
    let mut dec = StreamDecoder::new(name, 0, opts);
    let name = name.to_owned();
    std::thread::Builder::new()
        .name("stream-decode".into())
        .spawn(move || {
            let mut quiet = false;
            loop {
                let step = match rx.recv_timeout(IDLE) {
                    Ok(Ok(mut data)) => {
                        quiet = false;
                        // Whatever else is already there goes into the same piece.
                        while let Ok(Ok(more)) = rx.try_recv() {
                            data.extend_from_slice(&more);
                            if data.len() >= 64 << 20 {
                                break;
                            }
                        }
                        dec.push(&data)
                    }
                    Ok(Err(e)) => {
                        let _ = dec.finish().map(|p| deliver(p, &sink, &stats));
                        stopped(&stats, format!("{name}: {e}"));
                        return;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !quiet => {
                        quiet = true;
                        dec.idle()
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        match dec.finish() {
                            Ok(p) => {
                                deliver(p, &sink, &stats);
                                stopped(&stats, format!("{name} ended"));
                            }
                            Err(e) => stopped(&stats, e.to_string()),
                        }
                        return;
                    }
                };
                match step {
                    Ok(pieces) => {
                        if !deliver(pieces, &sink, &stats) {
                            return;
                        }
                    }
                    Err(e) => {
                        stopped(&stats, e.to_string());
                        return;
                    }
                }
            }
        })?;
    Ok(())
}

/// The identity of the file a name points at (device and inode on Unix), to tell a
/// rotation (a new file under the name) from growth.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

/// One open generation of the followed file.
struct Open {
    file: std::fs::File,
    id: (u64, u64),
    pos: u64,
    dec: StreamDecoder,
    /// The last bytes read: appending never changes them, a rewrite in place (even a
    /// longer one) almost surely does.
    tail: Vec<u8>,
}

/// Bytes before the read position compared to tell a rewrite from growth.
const FINGERPRINT: usize = 256;

/// Whether the bytes just before `pos` are no longer the ones read.
fn rewritten(file: &std::fs::File, pos: u64, tail: &[u8]) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt as _;
        let mut now = vec![0u8; tail.len()];
        match file.read_exact_at(&mut now, pos - tail.len() as u64) {
            Ok(()) => now != tail,
            Err(_) => true,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, pos, tail);
        false
    }
}

/// Follows `path` on its own thread (polling; nothing to set up): everything in it,
/// then what is appended; a rotated file is read to its end and the new one from its
/// start; a truncated one again from its start. Waits for a file that is not there
/// yet. Runs until the sink says the consumer is gone.
pub fn follow(
    path: &Path,
    opts: &LoadOptions,
    sink: Sink,
    stats: Arc<Stats>,
) -> std::io::Result<()> {
    let path: PathBuf = path.to_path_buf();
    let opts = opts.clone();
    let name = path.display().to_string();
    std::thread::Builder::new()
        .name("follow".into())
        .spawn(move || {
            let mut open: Option<Open> = None;
            let mut quiet = false;
            let mut waiting_noted = false;
            let mut chunk = vec![0u8; CHUNK];
            loop {
                let Some(cur) = open.as_mut() else {
                    match std::fs::File::open(&path).and_then(|f| f.metadata().map(|m| (f, m))) {
                        Ok((file, meta)) => {
                            open = Some(Open {
                                file,
                                id: identity(&meta),
                                pos: 0,
                                dec: StreamDecoder::new(&name, 0, &opts),
                                tail: Vec::new(),
                            });
                        }
                        Err(e) => {
                            if !waiting_noted {
                                stats.set_notice(format!("waiting for {name} ({e})"));
                                waiting_noted = true;
                            }
                            std::thread::sleep(POLL);
                            if !sink(Received::default()) {
                                return;
                            }
                        }
                    }
                    continue;
                };
                let n = match cur.file.read(&mut chunk) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        stats.set_notice(format!("{name}: {e}; opening it again"));
                        open = None;
                        std::thread::sleep(POLL);
                        continue;
                    }
                };
                if n > 0 {
                    quiet = false;
                    cur.tail
                        .extend_from_slice(&chunk[n.saturating_sub(FINGERPRINT)..n]);
                    let extra = cur.tail.len().saturating_sub(FINGERPRINT);
                    cur.tail.drain(..extra);
                    cur.pos += n as u64;
                    let step = cur.dec.push(&chunk[..n]);
                    if !settle(step, &sink, &stats, &name) {
                        return;
                    }
                    continue;
                }
                // At the end of what is there: decode what waits for quiet, then see
                // whether the name still points at this file, and at this length.
                if !quiet {
                    quiet = true;
                    let step = cur.dec.idle();
                    if !settle(step, &sink, &stats, &name) {
                        return;
                    }
                }
                let now = std::fs::metadata(&path);
                let replaced = now.as_ref().is_ok_and(|m| identity(m) != cur.id);
                let truncated = !replaced
                    && now.is_ok()
                    && (now.as_ref().is_ok_and(|m| m.len() < cur.pos)
                        || rewritten(&cur.file, cur.pos, &cur.tail));
                if replaced || truncated {
                    let step = cur.dec.finish();
                    if !settle(step, &sink, &stats, &name) {
                        return;
                    }
                    stats.restarts.fetch_add(1, Ordering::Relaxed);
                    stats.set_notice(if replaced {
                        format!("{name} was rotated: following the new file")
                    } else {
                        format!(
                            "{name} was truncated or rewritten: reading it again from the start"
                        )
                    });
                    if truncated {
                        use std::io::Seek as _;
                        if cur.file.seek(std::io::SeekFrom::Start(0)).is_ok() {
                            cur.pos = 0;
                            cur.tail.clear();
                            cur.dec = StreamDecoder::new(&name, 0, &opts);
                            continue;
                        }
                    }
                    open = None;
                    waiting_noted = false;
                    continue;
                }
                std::thread::sleep(POLL);
                // An empty delivery asks whether the consumer is still there.
                if !sink(Received::default()) {
                    return;
                }
            }
        })?;
    Ok(())
}

/// Delivers a decode step's pieces; an error (the file is not trace data) is shown
/// and the follower keeps watching for a file that is. `false`: consumer gone.
fn settle(step: Result<Vec<Decoded>, LoadError>, sink: &Sink, stats: &Stats, name: &str) -> bool {
    match step {
        Ok(pieces) => deliver(pieces, sink, stats),
        Err(e) => {
            stats.set_notice(format!("{name}: {e}"));
            true
        }
    }
}
