//! `agtrace export`: choose the traces and spans, redact when asked, and write the
//! file whole or not at all (a temporary file renamed into place).

use super::{CommandError, inputs_from, load, pick_trace};
use crate::cli::{ExportArgs, RedactArgs};
use crate::export::{self, ExportFormat};
use crate::input::Opened;
use crate::model::TraceSet;
use crate::query::filter::Filter;
use crate::redact::Redactor;
use crate::sanitize::sanitize;
use std::io::{self, IsTerminal as _, Write};
use std::path::Path;

/// The redactor the flags ask for: built-in rules, the user's file, content kept or not.
pub(super) fn redactor(a: &RedactArgs) -> Result<Redactor, CommandError> {
    let r = Redactor::configured(a.redact_rules.as_deref())
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    Ok(r.keep_content(a.keep_content))
}

fn format_for(a: &ExportArgs) -> ExportFormat {
    if let Some(f) = a.format {
        return f;
    }
    let ext = a
        .output
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "jsonl" | "ndjson" => ExportFormat::OtlpJsonl,
        "pb" | "binpb" | "proto" | "protobuf" => ExportFormat::OtlpProto,
        _ => ExportFormat::OtlpJson,
    }
}

/// The traces the selection names, in start order.
fn traces_of(set: &TraceSet, a: &ExportArgs) -> Result<Vec<u32>, CommandError> {
    let mut traces: Vec<u32> = Vec::new();
    for p in &a.trace {
        traces.push(pick_trace(set, p)?);
    }
    if let Some(session) = &a.session {
        traces.extend(super::session_traces(set, session)?.iter().copied());
    }
    if a.all || (a.trace.is_empty() && a.session.is_none()) {
        traces = (0..set.traces.len() as u32).collect();
    }
    traces.sort_by_key(|&t| (set.traces[t as usize].start, t));
    traces.dedup();
    Ok(traces)
}

/// Loads what the selection needs: from one store only the traces asked for.
fn load_for(a: &ExportArgs) -> Result<TraceSet, CommandError> {
    match Opened::classify(inputs_from(&a.sources)?) {
        Opened::Store(db) if !a.all && a.filter.is_none() => {
            let prices = super::load_options(&a.load)?.prices;
            let mut ids = Vec::new();
            if !a.trace.is_empty() {
                let summaries = crate::store::load_summaries(&db, &Filter::default(), None)?;
                for p in &a.trace {
                    let t = pick_trace(&summaries, p)?;
                    ids.push(summaries.traces[t as usize].id.to_string());
                }
            }
            if let Some(s) = &a.session {
                ids.extend(crate::store::session_trace_ids(&db, s)?);
            }
            Ok(crate::store::load_traces_by_id(&db, &ids, &prices)?)
        }
        Opened::Store(db) => load(&[crate::source::Input::Path(db)], &a.load),
        Opened::Dumps(inputs) => {
            let mut load_args = a.load.clone();
            load_args.query.traces = a.trace.clone();
            load_args.query.session = a.session.clone();
            if let Some(f) = &a.filter {
                load_args.query.pushdown = Filter::parse(f)
                    .map_err(|e| CommandError::Usage(e.to_string()))?
                    .pushdown();
            }
            load(&inputs, &load_args)
        }
    }
}

/// True when `out` is one of the sources (agtrace never writes to what it reads).
fn is_a_source(out: &Path, sources: &[String]) -> bool {
    let Ok(out) = out.canonicalize() else {
        return false;
    };
    sources
        .iter()
        .filter_map(|s| Path::new(s).canonicalize().ok())
        .any(|s| out == s || out.starts_with(&s))
}

/// `agtrace export`.
pub(super) fn run(a: ExportArgs) -> Result<(), CommandError> {
    let format = format_for(&a);
    let to_stdout = a.output.as_deref().is_none_or(|p| p == Path::new("-"));
    if to_stdout && format == ExportFormat::OtlpProto && io::stdout().is_terminal() {
        return Err(CommandError::Usage(
            "protobuf is binary: give -o FILE or pipe it (| agtrace open -)".into(),
        ));
    }
    if let Some(out) = a.output.as_deref().filter(|_| !to_stdout)
        && is_a_source(out, &a.sources)
    {
        return Err(CommandError::Usage(format!(
            "-o {}: that is an input; agtrace never writes to the files it reads",
            sanitize(&out.display().to_string())
        )));
    }
    let filter = match &a.filter {
        Some(f) => Some(Filter::parse(f).map_err(|e| CommandError::Usage(e.to_string()))?),
        None => None,
    };
    let redactor = if a.redact {
        Some(redactor(&a.redaction)?)
    } else {
        None
    };
    let set = load_for(&a)?;
    let traces = traces_of(&set, &a)?;
    let spans = export::select(&set, &traces, filter.as_ref());
    if spans.is_empty() {
        return Err(CommandError::NoMatch(
            "nothing to export: no span matches the selection".into(),
        ));
    }
    let traces_written = {
        let mut t: Vec<u32> = spans.iter().map(|&i| set.spans[i as usize].trace).collect();
        t.dedup();
        t.len()
    };
    let total = spans.len();
    let show_progress = io::stderr().is_terminal() && total >= 100_000;
    let mut last = std::time::Instant::now();
    let mut progress = |n: usize| {
        if show_progress && (last.elapsed().as_millis() >= 200 || n == total) {
            last = std::time::Instant::now();
            let _ = write!(io::stderr(), "\ragtrace: exporting {n}/{total} spans");
            if n == total {
                let _ = writeln!(io::stderr());
            }
        }
    };
    let mut emit = |out: &mut dyn Write| {
        export::write(out, &set, &spans, format, redactor.as_ref(), &mut progress)
    };
    if to_stdout {
        emit(&mut io::BufWriter::with_capacity(
            1 << 20,
            io::stdout().lock(),
        ))?;
    } else if let Some(path) = a.output.as_deref() {
        write_output(path, emit)?;
    }
    let what = match &redactor {
        Some(r) if r.keeps_content() => ", redacted (content kept)",
        Some(_) => ", redacted",
        None => "",
    };
    let dest = match a.output.as_deref() {
        Some(p) if !to_stdout => sanitize(&p.display().to_string()).into_owned(),
        _ => "stdout".into(),
    };
    let _ = writeln!(
        io::stderr(),
        "agtrace: exported {} of {} as {}{what} to {dest}",
        crate::format::plural(total, "span", "spans"),
        crate::format::plural(traces_written, "trace", "traces"),
        match format {
            ExportFormat::OtlpJson => "OTLP/JSON",
            ExportFormat::OtlpJsonl => "OTLP/JSON Lines",
            ExportFormat::OtlpProto => "OTLP protobuf",
        }
    );
    Ok(())
}

/// Writes the export to `path`. A regular file (or none yet) is written whole beside
/// it and renamed over it, so a failed export leaves what was there; through a symbolic
/// link, the file it names is replaced and the link kept. Anything else — a device
/// (`/dev/full`, `/dev/stdout`), a FIFO, `>(gzip …)` — is written to as it is: an
/// output never replaces what is not a regular file.
fn write_output(
    path: &Path,
    emit: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let named = |e: io::Error, p: &Path| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|e| named(e, path))?
        }
        _ => path.to_path_buf(),
    };
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| named(e, &target))?;
            let mut w = io::BufWriter::with_capacity(1 << 20, f);
            emit(&mut w).map_err(|e| named(e, &target))?;
            w.flush().map_err(|e| named(e, &target))
        }
        _ => {
            let dir = target
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| named(e, dir))?;
            {
                let mut w = io::BufWriter::with_capacity(1 << 20, tmp.as_file());
                emit(&mut w)?;
                w.flush()?;
            }
            tmp.persist(&target)
                .map_err(|e| named(e.error, &target))
                .map(|_| ())
        }
    }
}
