//! `agtrace ls --follow`: the trace list of a stream that does not end (a followed
//! file, a pipe), printed a trace at a time as each completes — its root span has
//! arrived and nothing was added to it for `--settle` — so scripts can watch an agent
//! fleet (`… | agtrace ls --follow --json --failed | jq …`). The set grows as the
//! explorer's does ([`crate::live::grow`]); memory is capped by `--max-spans`.

use super::{CommandError, load_options};
use crate::analysis::list::TraceListQuery;
use crate::cli::LsArgs;
use crate::model::{SpanId, TraceId, TraceSet};
use crate::render::{self, Style};
use crate::sanitize::sanitize;
use crate::source::Input;
use rustc_hash::FxHashMap;
use std::io::{self, Write as _};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// How often what arrived is merged.
const MERGE_EVERY: Duration = Duration::from_millis(250);

/// Where each trace stands: its span count when it last changed, and when; the count
/// it was printed with.
#[derive(Default)]
struct Seen {
    spans: u32,
    changed: Option<Instant>,
    printed: Option<u32>,
}

pub(super) fn ls_follow(a: &LsArgs, mut query: TraceListQuery) -> Result<(), CommandError> {
    let input = match a.sources.as_slice() {
        [] | [_] => super::inputs_from(&a.sources)?.remove(0),
        _ => {
            return Err(CommandError::Usage(
                "ls --follow reads one source: a file that grows, or - for a pipe".into(),
            ));
        }
    };
    let settle = crate::query::parse_duration(&a.settle)
        .map(Duration::from_nanos)
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "--settle {:?}: expected a duration such as 2s or 500ms",
                sanitize(&a.settle)
            ))
        })?;
    let opts = load_options(&a.load)?;
    let limit = query.limit.take();
    let (tx, rx) = mpsc::channel::<crate::live::Received>();
    let tx = std::sync::Mutex::new(tx);
    let sink: crate::live::Sink = Arc::new(move |r| tx.lock().is_ok_and(|t| t.send(r).is_ok()));
    let stats = Arc::new(crate::live::Stats::default());
    match &input {
        Input::Stdin => crate::live::feed::read_stream(
            Box::new(io::stdin()),
            "<stdin>",
            &opts,
            sink,
            stats.clone(),
        )?,
        Input::Backend(_) => {
            return Err(CommandError::Usage(
                "ls --follow follows a file that grows or a pipe; for a backend, run ls again (or open it and press r)".into(),
            ));
        }
        Input::Path(p) => {
            if crate::source::is_sqlite(p) || p.is_dir() {
                return Err(CommandError::Usage(format!(
                    "ls --follow follows a file that grows or a pipe; {} is a {}",
                    sanitize(&p.display().to_string()),
                    if p.is_dir() { "folder" } else { "store" }
                )));
            }
            crate::live::feed::follow(p, &opts, sink, stats.clone())?;
        }
    }
    let stop = super::stop_on_signals();
    let style = Style::detect();
    let mut set = TraceSet {
        sources: vec![input.label()],
        ..TraceSet::default()
    };
    let mut seen: FxHashMap<TraceId, Seen> = FxHashMap::default();
    let (mut printed_rows, mut warned, mut evicted, mut header) = (0usize, 0usize, 0usize, true);
    let mut pending = Vec::new();
    let mut last_merge = Instant::now();
    let mut notice = String::new();
    loop {
        let ended = stats.ended.load(Ordering::Relaxed);
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(r) if !r.is_empty() => pending.push(r.batch),
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
        while let Ok(r) = rx.try_recv() {
            if !r.is_empty() {
                pending.push(r.batch);
            }
        }
        // `ended` was read before the queue was drained: everything is in.
        let stopping = stop.load(Ordering::Relaxed) || ended;
        let n = stats.notice();
        if n != notice && !n.is_empty() && !n.ends_with(" ended") {
            let _ = writeln!(io::stderr(), "agtrace: {}", sanitize(&n));
            notice = n;
        }
        if !pending.is_empty() && (stopping || last_merge.elapsed() >= MERGE_EVERY) {
            let grown = crate::live::grow::grow(
                std::mem::take(&mut set),
                std::mem::take(&mut pending),
                &opts.prices,
                a.max_spans,
            );
            set = grown.set;
            evicted += grown.evicted;
            last_merge = Instant::now();
            let now = Instant::now();
            for t in &set.traces {
                let s = seen.entry(t.id).or_default();
                if s.spans != t.span_count {
                    s.spans = t.span_count;
                    s.changed = Some(now);
                }
            }
            if grown.evicted > 0 {
                let kept: rustc_hash::FxHashSet<TraceId> =
                    set.traces.iter().map(|t| t.id).collect();
                seen.retain(|id, _| kept.contains(id));
            }
        }
        let mut err = io::stderr().lock();
        for w in set.warnings.iter().skip(warned) {
            let _ = writeln!(err, "agtrace: warning: {}", sanitize(&w.to_string()));
        }
        warned = set.warnings.len();
        drop(err);
        // Complete: rooted and quiet for the settle time (or the stream is over).
        let now = Instant::now();
        let ready: rustc_hash::FxHashSet<u32> = set
            .traces
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                let s = &seen[&t.id];
                let quiet = s.changed.is_none_or(|c| now.duration_since(c) >= settle);
                let rooted = set.roots[t.roots.range()]
                    .iter()
                    .any(|&r| set.spans[r as usize].parent_span_id == SpanId::NONE);
                s.printed != Some(t.span_count) && (stopping || (quiet && rooted))
            })
            .map(|(i, _)| i as u32)
            .collect();
        if !ready.is_empty() {
            let mut rows: Vec<u32> = query
                .run(&set)
                .into_iter()
                .filter(|r| ready.contains(r))
                .collect();
            if let Some(l) = limit {
                rows.truncate(l.saturating_sub(printed_rows));
            }
            for &t in &ready {
                let id = set.traces[t as usize].id;
                if let Some(s) = seen.get_mut(&id) {
                    s.printed = Some(s.spans);
                }
            }
            if !rows.is_empty() {
                print_rows(&set, &rows, a.json, &style, &mut header)?;
                printed_rows += rows.len();
            }
        }
        if stopping || limit.is_some_and(|l| printed_rows >= l) {
            break;
        }
    }
    if evicted > 0 {
        let _ = writeln!(
            io::stderr(),
            "agtrace: {evicted} oldest traces were evicted over --max-spans {} (already printed or never complete)",
            a.max_spans
        );
    }
    let n = stats.notice();
    if !n.is_empty() && !n.ends_with(" ended") && n != notice {
        let _ = writeln!(io::stderr(), "agtrace: {}", sanitize(&n));
    }
    if printed_rows == 0 {
        return Err(CommandError::NoMatch(if set.traces.is_empty() {
            "no traces in the input".to_owned()
        } else {
            format!("none of the {} traces match", set.traces.len())
        }));
    }
    Ok(())
}

/// Prints rows as they complete: JSON Lines, or table rows (the header only once).
fn print_rows(
    set: &TraceSet,
    rows: &[u32],
    json: bool,
    style: &Style,
    header: &mut bool,
) -> Result<(), CommandError> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if json {
        render::ls::write_json(&mut out, set, rows)?;
    } else {
        let mut buf = Vec::new();
        render::ls::write_table(&mut buf, set, rows, style)?;
        let skip = if *header {
            0
        } else {
            memchr::memchr(b'\n', &buf).map_or(0, |p| p + 1)
        };
        out.write_all(&buf[skip..])?;
        *header = false;
    }
    out.flush()?;
    Ok(())
}
