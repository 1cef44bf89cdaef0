//! Running the subcommands: resolve sources, load, query, print, and pick the exit code.

mod export;
mod follow;
mod listen;

use crate::analysis::list::TraceListQuery;
use crate::cli::{Cli, Command, LoadArgs, LsArgs, ShowArgs};
use crate::format;
use crate::input::Opened;
use crate::model::TraceSet;
use crate::model::short_id_len;
use crate::query::filter::Filter;
use crate::render::{self, Style};
use crate::sanitize::sanitize;
use crate::source::{self, Input, LoadOptions};
use std::io::{self, IsTerminal as _, Write};
use std::path::Path;

/// Exit codes (DESIGN.md): 0 ok, 1 unreadable input, 2 usage, 3 nothing matched.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Input could not be read or parsed at all.
    pub const INPUT: u8 = 1;
    /// Usage error.
    pub const USAGE: u8 = 2;
    /// The query matched nothing.
    pub const NO_MATCH: u8 = 3;
    /// `diff --exit-code`: the runs differ.
    pub const DIFFER: u8 = 4;
    /// Out of memory (said by the allocator, `crate::oom`).
    pub const OUT_OF_MEMORY: u8 = crate::oom::EXIT_OUT_OF_MEMORY;
}

/// A failure that maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// Input could not be loaded.
    #[error(transparent)]
    Load(#[from] source::LoadError),
    /// Nothing matched.
    #[error("{0}")]
    NoMatch(String),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The store could not be written.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// `diff --exit-code`: the runs differ (the comparison is already printed).
    #[error("the runs differ (first at step {0})")]
    Differ(usize),
}

impl CommandError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) => exit::USAGE,
            CommandError::Load(_) => exit::INPUT,
            CommandError::NoMatch(_) => exit::NO_MATCH,
            CommandError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => exit::OK,
            CommandError::Io(_) => exit::INPUT,
            CommandError::Store(_) => exit::INPUT,
            CommandError::Differ(_) => exit::DIFFER,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::Open(a) => open(a),
        Command::Ls(a) => ls(a),
        Command::Stats(a) => stats(a),
        Command::Show(a) => show(a),
        Command::Diff(a) => diff(a),
        Command::Import(a) => import(a),
        Command::Export(a) => export::run(a),
        Command::Mcp(a) => mcp(a),
        Command::Help(a) => help(a),
    }
}

/// `agtrace help [TOPIC]`.
fn help(a: crate::cli::HelpArgs) -> Result<(), CommandError> {
    use clap::CommandFactory as _;
    let mut out = io::stdout().lock();
    match a.topic.as_deref() {
        Some("filter") => render::reference::filter(&mut out)?,
        Some("keys") => {
            let keymap = crate::tui::keymap::Keymap::load_user()
                .map_err(|e| CommandError::Usage(format!("keys: {e}")))?;
            render::reference::keys(&mut out, &keymap)?;
        }
        Some("formats") => render::reference::formats(&mut out)?,
        Some("findings") => render::reference::findings(&mut out)?,
        Some("redaction") => render::reference::redaction(&mut out)?,
        Some(cmd) => {
            let mut root = Cli::command();
            match root.find_subcommand_mut(cmd) {
                Some(sub) => write!(out, "{}", sub.render_long_help())?,
                None => {
                    return Err(CommandError::Usage(format!(
                        "help {}: expected filter, keys, formats, findings, redaction, or a command (open, ls, show, stats, import, export, mcp)",
                        sanitize(cmd)
                    )));
                }
            }
        }
        None => {
            write!(out, "{}", Cli::command().render_long_help())?;
            writeln!(
                out,
                "\nReferences: agtrace help filter | keys | formats | findings | redaction"
            )?;
        }
    }
    Ok(())
}

/// A flag raised by SIGTERM, SIGINT or SIGHUP: the long-running commands (`import
/// --listen`, `ls --follow`) finish their work and stop when it is.
fn stop_on_signals() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    #[cfg(unix)]
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    stop
}

fn inputs_from(words: &[String]) -> Result<Vec<Input>, CommandError> {
    if words.is_empty() {
        if io::stdin().is_terminal() {
            return Err(CommandError::Usage(
                "no input: give a trace file, a folder, or - for stdin (or pipe data in)".into(),
            ));
        }
        return Ok(vec![Input::Stdin]);
    }
    if words.iter().filter(|w| *w == "-").count() > 1 {
        return Err(CommandError::Usage(
            "stdin (-) can be read only once".into(),
        ));
    }
    Ok(words.iter().map(|w| Input::from_arg(w)).collect())
}

fn open(a: crate::cli::OpenArgs) -> Result<(), CommandError> {
    if !io::stdout().is_terminal() {
        return Err(CommandError::Usage(
            "open needs a terminal on stdout; use agtrace ls / show for pipes".into(),
        ));
    }
    if let Some(f) = &a.filter {
        crate::query::filter::Filter::parse(f).map_err(|e| CommandError::Usage(e.to_string()))?;
    }
    let listen = match &a.listen {
        Some(addr) => Some(listen::options(
            addr,
            a.grpc_listen.as_deref(),
            a.listen_token.as_deref(),
        )?),
        None => None,
    };
    // Live with no source: start empty (stdin is not read).
    let mut inputs = if (listen.is_some() || !a.follow.is_empty()) && a.sources.is_empty() {
        Vec::new()
    } else {
        inputs_from(&a.sources)?
    };
    // A pipe is read as it arrives, so a stream that never ends still shows.
    let stdin = inputs.contains(&Input::Stdin);
    inputs.retain(|i| *i != Input::Stdin);
    let live = crate::tui::Live {
        listen,
        stdin,
        follow: a.follow.clone(),
        max_spans: a.max_spans,
    };
    if live.any() && matches!(Opened::classify(inputs.clone()), Opened::Store(_)) {
        return Err(CommandError::Usage(
            "a store opens on its own: live input (--listen, a pipe, --follow) goes with trace files, or with import --listen --db STORE".into(),
        ));
    }
    let label = match (live.any(), a.sources.is_empty()) {
        (true, true) if !a.follow.is_empty() => a
            .follow
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        (true, true) if stdin => "<stdin>".to_owned(),
        (true, true) => "live".to_owned(),
        (_, true) => "<stdin>".to_owned(),
        _ => a.sources.join(" "),
    };
    let mut load_args = a.load;
    load_args.query.traces = a.trace.iter().cloned().collect();
    load_args.query.session = a.session.clone();
    if let Some(f) = &a.filter {
        load_args.query.pushdown = Filter::parse(f)
            .map_err(|e| CommandError::Usage(e.to_string()))?
            .pushdown();
    }
    let opts = load_options(&load_args)?;
    let start = crate::tui::Start {
        trace: a.trace,
        session: a.session,
        filter: a.filter,
    };
    match crate::tui::run(Opened::classify(inputs), opts, start, label, live) {
        Ok(warnings) => {
            let mut err = io::stderr().lock();
            for w in warnings {
                let _ = writeln!(err, "agtrace: warning: {}", sanitize(&w));
            }
            Ok(())
        }
        Err(crate::tui::RunError::Load(e)) => Err(CommandError::Load(e)),
        Err(crate::tui::RunError::Keys(e)) => Err(CommandError::Usage(e.to_string())),
        Err(e @ crate::tui::RunError::Listen(_)) => Err(CommandError::Usage(e.to_string())),
        Err(e) => Err(CommandError::Io(io::Error::other(e.to_string()))),
    }
}

fn import(a: crate::cli::ImportArgs) -> Result<(), CommandError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    if let Some(addr) = &a.listen {
        return listen::import(&a, addr);
    }
    let inputs = inputs_from(&a.sources)?;
    let mut load_args = a.load.clone();
    load_args.query.session = a.session.clone();
    load_args.query.traces = a.trace.clone();
    let mut opts = load_options(&load_args)?;
    let tty = io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let loading = std::sync::Arc::new(source::LoadProgress::default());
    opts.progress = Some(loading.clone());
    // Reading and deriving come before the first batch is written: a tick shows how
    // far they are, until the batches take over the progress line.
    let writing = AtomicBool::new(false);
    let finished = AtomicBool::new(false);
    let report = std::thread::scope(|scope| {
        if tty {
            scope.spawn(|| {
                while !finished.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    let mut err = io::stderr().lock();
                    if writing.load(Ordering::Relaxed) || finished.load(Ordering::Relaxed) {
                        continue;
                    }
                    let _ = write!(
                        err,
                        "\ragtrace: {} {:.0} MB, {} spans\x1b[K",
                        loading.phase_name(),
                        loading.bytes.load(Ordering::Relaxed) as f64 / 1e6,
                        loading.spans.load(Ordering::Relaxed)
                    );
                    let _ = err.flush();
                }
            });
        }
        let report = crate::store::import(&a.db, &inputs, &opts, |done, total| {
            writing.store(true, Ordering::Relaxed);
            if tty {
                let mut err = io::stderr().lock();
                let _ = write!(err, "\ragtrace: imported {done}/{total} spans\x1b[K");
                let _ = err.flush();
            }
        });
        finished.store(true, Ordering::Relaxed);
        report
    })?;
    let mut err = io::stderr().lock();
    if tty {
        let _ = writeln!(err);
    }
    for w in &report.warnings {
        let _ = writeln!(err, "agtrace: warning: {}", sanitize(w));
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = writeln!(
        err,
        "agtrace: {}: {} spans read, {} new, {} traces written in {} transactions ({:.2}s)",
        sanitize(&a.db.display().to_string()),
        report.spans_read,
        report.spans_written,
        report.traces,
        report.batches,
        secs
    );
    if std::env::var_os("AGTRACE_STATS").is_some() {
        let _ = writeln!(err, "agtrace: stats: import {}", phases(&report.timings));
    }
    Ok(())
}

fn load_options(args: &LoadArgs) -> Result<LoadOptions, CommandError> {
    let mut opts = LoadOptions::default();
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    let price_file = args
        .prices
        .clone()
        .or_else(|| std::env::var_os("AGTRACE_PRICES").map(std::path::PathBuf::from));
    if let Some(path) = price_file {
        let mut table = crate::semconv::PriceTable::bundled();
        table
            .merge_file(&path)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
        opts.prices = std::sync::Arc::new(table);
    }
    opts.backend_query = backend_query(args)?;
    Ok(opts)
}

/// The command's backend query with the time range, limit, user and timeout flags.
fn backend_query(args: &LoadArgs) -> Result<crate::backend::Query, CommandError> {
    let mut q = args.query.clone();
    let time = |flag: &str, v: &Option<String>| -> Result<Option<u64>, CommandError> {
        v.as_deref()
            .map(|t| {
                crate::backend::parse_time(t).ok_or_else(|| {
                    CommandError::Usage(format!(
                        "{flag} {:?}: expected a time such as 2026-12-02T03:00:00Z, 2026-12-02 03:00 or Unix seconds",
                        sanitize(t)
                    ))
                })
            })
            .transpose()
    };
    q.from = time("--from", &args.from)?;
    q.to = time("--to", &args.to)?;
    if let Some(s) = &args.since {
        let ns = crate::query::parse_duration(s).ok_or_else(|| {
            CommandError::Usage(format!(
                "--since {:?}: expected a duration such as 2h, 30m or 7d",
                sanitize(s)
            ))
        })?;
        let (_, to) = q.range();
        q.from = Some(to.saturating_sub(ns));
    }
    if let (Some(f), Some(t)) = (q.from, q.to)
        && f > t
    {
        return Err(CommandError::Usage("--from is after --to".into()));
    }
    if args.max_traces.is_some() {
        q.limit = args.max_traces;
    }
    q.user = args.user.clone().or(q.user);
    q.timeout_secs = args.timeout.or(q.timeout_secs);
    Ok(q)
}

fn load(inputs: &[Input], args: &LoadArgs) -> Result<TraceSet, CommandError> {
    let started = std::time::Instant::now();
    let set = load_undecided(inputs, args, true)?;
    report_stats(&set, started);
    Ok(set)
}

/// Loads the inputs and says their warnings; findings are decided only when
/// `findings` (a caller printing rows decides those of its rows itself).
fn load_undecided(
    inputs: &[Input],
    args: &LoadArgs,
    findings: bool,
) -> Result<TraceSet, CommandError> {
    let mut opts = load_options(args)?;
    opts.findings = findings;
    let set = crate::input::load(inputs, &opts)?;
    let mut err = io::stderr().lock();
    for w in &set.warnings {
        let _ = writeln!(err, "agtrace: warning: {}", sanitize(&w.to_string()));
    }
    Ok(set)
}

/// With `AGTRACE_STATS` set: the load's time, peak memory, model sizes and phases.
fn report_stats(set: &TraceSet, started: std::time::Instant) {
    let mut err = io::stderr().lock();
    if std::env::var_os("AGTRACE_STATS").is_some() {
        let _ = writeln!(
            err,
            "agtrace: stats: load_seconds={:.3} spans={} traces={} peak_rss_kb={}",
            started.elapsed().as_secs_f64(),
            set.spans.len(),
            set.traces.len(),
            crate::source::peak_rss_kb().map_or("unknown".to_owned(), |k| k.to_string()),
        );
        let parts: Vec<String> = set
            .heap_bytes()
            .iter()
            .map(|(k, v)| format!("{k}={:.1}MB", *v as f64 / 1e6))
            .collect();
        let _ = writeln!(err, "agtrace: stats: model {}", parts.join(" "));
        let _ = writeln!(err, "agtrace: stats: phases {}", phases(&set.timings));
        let peaks: Vec<String> = set
            .phase_peaks_kb
            .iter()
            .map(|(k, v)| format!("{k}={}MB", v / 1024))
            .collect();
        let _ = writeln!(err, "agtrace: stats: peak after {}", peaks.join(" "));
    }
}

/// Phase timings as `name=1.234s …`, for `AGTRACE_STATS`.
fn phases(timings: &[(&'static str, f64)]) -> String {
    let parts: Vec<String> = timings
        .iter()
        .map(|(k, v)| format!("{k}={v:.3}s"))
        .collect();
    parts.join(" ")
}

/// The trace-list query `ls` asks for: `--filter`, with `--failed`, `--slow` and
/// `--session` as the filter terms they stand for.
fn ls_query(a: &LsArgs) -> Result<TraceListQuery, CommandError> {
    let usage = |e: crate::query::filter::FilterError| CommandError::Usage(e.to_string());
    let mut filter = match &a.filter {
        Some(f) => Filter::parse(f).map_err(usage)?,
        None => Filter::default(),
    };
    if a.failed {
        filter = filter.and_failed();
    }
    if let Some(s) = &a.slow {
        let ns = crate::query::parse_duration(s).ok_or_else(|| {
            CommandError::Usage(format!(
                "--slow {s:?}: expected a duration such as 2s, 500ms or 1.5m"
            ))
        })?;
        filter = filter.and_slow_steps(ns);
    }
    if let Some(s) = &a.session {
        filter = filter.and_session(s);
    }
    if let Some(t) = &a.trace {
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(CommandError::Usage(format!(
                "--trace {:?}: expected a trace id or prefix (hex digits)",
                sanitize(t)
            )));
        }
        filter = filter
            .and(&format!("trace:{t}"))
            .map_err(|e| CommandError::Usage(e.to_string()))?;
    }
    Ok(TraceListQuery {
        filter,
        sort: a.sort,
        descending: a.sort.descending_by_default(),
        limit: a.limit,
    })
}

fn stats(a: crate::cli::StatsArgs) -> Result<(), CommandError> {
    use crate::analysis::stats::{GroupBy, finding_stats, group_stats};
    let filter = match &a.filter {
        Some(f) => Filter::parse(f).map_err(|e| CommandError::Usage(e.to_string()))?,
        None => Filter::default(),
    };
    let opened = Opened::classify(inputs_from(&a.sources)?);
    let mut load_args = a.load.clone();
    load_args.query.pushdown = filter.pushdown();
    let set = load(&opened.inputs(), &load_args)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let style = Style::detect();
    let tables: Vec<GroupBy> = match (a.by, a.findings) {
        (Some(by), _) => vec![by],
        (None, true) => Vec::new(),
        (None, false) => vec![GroupBy::Tool, GroupBy::Model],
    };
    let mut any = false;
    for (n, by) in tables.iter().enumerate() {
        let (rows, total) = group_stats(&set, *by, &filter);
        if rows.is_empty() {
            continue;
        }
        any = true;
        if a.json {
            for r in &rows {
                render::write_json_line(&mut out, &render::stats::group_json(*by, r, false))?;
            }
            render::write_json_line(&mut out, &render::stats::group_json(*by, &total, true))?;
        } else {
            if n > 0 {
                writeln!(out)?;
            }
            render::stats::write_groups(&mut out, *by, &rows, &total, &style)?;
        }
    }
    if !a.json
        && any
        && let Some(sources) = crate::analysis::stats::cost_sources(&set, &filter)
        && sources != (0, 0, 0)
    {
        writeln!(
            out,
            "\ncosts: {}",
            crate::analysis::totals::cost_origin(sources, &set.prices_as_of)
        )?;
    }
    if a.findings {
        let rows = finding_stats(&set, &filter);
        any |= !rows.is_empty();
        if a.json {
            render::stats::write_findings_json(&mut out, &rows)?;
        } else if !rows.is_empty() {
            if !tables.is_empty() {
                writeln!(out)?;
            }
            render::stats::write_findings(&mut out, &rows, &style)?;
        }
    }
    out.flush()?;
    if !any {
        return Err(CommandError::NoMatch(if set.traces.is_empty() {
            "no traces in the input".to_owned()
        } else {
            "nothing to count: no step of those kinds matches".to_owned()
        }));
    }
    Ok(())
}

fn ls(mut a: LsArgs) -> Result<(), CommandError> {
    let query = ls_query(&a)?;
    if a.follow {
        return follow::ls_follow(&a, query);
    }
    a.load.query.pushdown = query.filter.pushdown();
    if a.load.max_traces.is_none() {
        a.load.query.limit = a.limit;
    }
    let opened = Opened::classify(inputs_from(&a.sources)?);
    // One agtrace store and a filter its traces table answers: list from that table,
    // without reading any span. A `text:` filter reads only the traces its text index
    // names.
    let mut narrowed = false;
    // Dumps: findings are decided for the rows printed only (against every trace's
    // peers), unless the filter reads them: the first line does not wait for the
    // findings of traces it does not show.
    let mut rows_findings = None;
    let mut set = match &opened {
        Opened::Store(db) if query.filter.decidable_on_summaries() => {
            let set = crate::store::load_summaries(db, &query.filter, None)?;
            let mut err = io::stderr().lock();
            for w in &set.warnings {
                let _ = writeln!(err, "agtrace: warning: {}", sanitize(&w.to_string()));
            }
            set
        }
        Opened::Store(db) => {
            let prices = load_options(&a.load)?.prices;
            match crate::store::text_candidates(db, &query.filter, &prices)? {
                Some(set) => {
                    narrowed = true;
                    set
                }
                None => load(&opened.inputs(), &a.load)?,
            }
        }
        _ => {
            let started = std::time::Instant::now();
            let all = query.filter.reads_findings();
            let set = load_undecided(&opened.inputs(), &a.load, all)?;
            rows_findings = Some((started, all));
            set
        }
    };
    let rows = query.run(&set);
    if let Some((started, all)) = rows_findings {
        if !all {
            let t = std::time::Instant::now();
            crate::analysis::findings::derive_only(&mut set, &rows);
            set.timings
                .push(("findings_of_rows", t.elapsed().as_secs_f64()));
        }
        report_stats(&set, started);
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if a.json {
        render::ls::write_json(&mut out, &set, &rows)?;
    } else if !rows.is_empty() {
        render::ls::write_table(&mut out, &set, &rows, &Style::detect())?;
    }
    out.flush()?;
    if !a.json
        && io::stderr().is_terminal()
        && let Some(line) = render::ls::formats_line(&set)
    {
        let _ = writeln!(io::stderr().lock(), "agtrace: {line}");
    }
    if rows.is_empty() {
        let what = if narrowed {
            "no trace of the store matches".to_owned()
        } else if set.traces.is_empty() {
            "no traces in the input".to_owned()
        } else {
            format!("none of the {} traces match", set.traces.len())
        };
        return Err(CommandError::NoMatch(what));
    }
    Ok(())
}

fn show(a: ShowArgs) -> Result<(), CommandError> {
    // The last word is the trace id prefix unless it names an existing file or folder
    // (then every word is a source).
    let (sources, prefix) = match a.args.split_last() {
        Some((last, rest))
            if last != "-"
                && !Path::new(last).exists()
                && !crate::backend::Backend::is_url(last) =>
        {
            (rest.to_vec(), Some(last.clone()))
        }
        _ => (a.args.clone(), None),
    };
    if let Some(p) = &prefix
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(CommandError::Usage(format!(
            "{:?} is neither a file nor a trace id prefix (hex digits)",
            sanitize(p)
        )));
    }
    if let Some(d) = &a.detail
        && (d.is_empty() || !d.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(CommandError::Usage(format!(
            "--detail {:?}: expected a span id prefix (hex digits)",
            sanitize(d)
        )));
    }
    let set = match Opened::classify(inputs_from(&sources)?) {
        // One store: read only the traces asked for.
        Opened::Store(db) => store_subset(&db, &a, prefix.as_deref())?,
        Opened::Dumps(inputs) => {
            let mut load_args = a.load.clone();
            load_args.query.traces = prefix.iter().cloned().collect();
            load_args.query.session = a.session.clone();
            load(&inputs, &load_args)?
        }
    };
    if a.format == Some(crate::cli::ShowFormat::Markdown) {
        return show_markdown(&set, &a, &sources, prefix.as_deref());
    }
    let json = a.json || a.format == Some(crate::cli::ShowFormat::Json);
    let a = ShowArgs { json, ..a };
    let style = Style::detect();
    let opts = render::show::ShowOptions {
        max_depth: a.depth,
        agent: a.agent,
        ..Default::default()
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());

    if let Some(session) = &a.session {
        let traces = session_traces(&set, session)?;
        if a.json {
            for &t in traces {
                render::show::write_json(&mut out, &set, &set.traces[t as usize], &opts)?;
            }
        } else {
            render::show::write_session(&mut out, &set, traces, session, &style, &opts)?;
        }
        out.flush()?;
        return Ok(());
    }

    let trace_idx = match &prefix {
        Some(p) => Some(pick_trace(&set, p)?),
        None => None,
    };
    if let Some(d) = &a.detail {
        let span = pick_span(&set, d, trace_idx)?;
        if a.json {
            render::write_json_line(&mut out, &crate::analysis::json::detail_json(&set, span))?;
        } else {
            render::show::write_detail(&mut out, &set, span, &style)?;
        }
        out.flush()?;
        return Ok(());
    }
    let trace_idx = match trace_idx {
        Some(t) => t,
        None => match set.traces.len() {
            1 => 0,
            0 => return Err(CommandError::NoMatch("no traces in the input".into())),
            n => {
                return Err(CommandError::Usage(format!(
                    "the input holds {n} traces: give a trace id prefix (see agtrace ls), --session or --detail"
                )));
            }
        },
    };
    let trace = &set.traces[trace_idx as usize];
    if a.transcript {
        if a.json {
            for e in crate::analysis::transcript::transcript(&set, trace_idx) {
                render::write_json_line(
                    &mut out,
                    &crate::analysis::json::transcript_entry_json(&set, &e),
                )?;
            }
        } else {
            render::show::write_transcript(&mut out, &set, trace_idx, &style)?;
        }
    } else if a.json {
        render::show::write_json(&mut out, &set, trace, &opts)?;
    } else {
        render::show::write_tree(&mut out, &set, trace, &style, &opts)?;
    }
    out.flush()?;
    Ok(())
}

/// `agtrace diff`: the last two words are the runs, the rest the sources.
fn diff(a: crate::cli::DiffArgs) -> Result<(), CommandError> {
    let n = a.args.len();
    let (sources, ids) = a.args.split_at(n.saturating_sub(2));
    for p in ids {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(CommandError::Usage(format!(
                "diff: {:?} is not a trace id prefix (hex digits); give the sources, then two trace ids",
                sanitize(p)
            )));
        }
    }
    let set = load(&inputs_from(sources)?, &a.load)?;
    let (ta, tb) = (pick_trace(&set, &ids[0])?, pick_trace(&set, &ids[1])?);
    let d = crate::analysis::diff::diff(&set, ta, tb);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if a.json {
        render::diff::write_json(&mut out, &set, &d)?;
    } else {
        render::diff::write_text(&mut out, &set, &d, &Style::detect())?;
    }
    out.flush()?;
    match d.first_divergence {
        Some(k) if a.exit_code => Err(CommandError::Differ(k + 1)),
        _ => Ok(()),
    }
}

/// `agtrace mcp`: load, redact (unless asked not to), serve over stdio.
fn mcp(a: crate::cli::McpArgs) -> Result<(), CommandError> {
    if a.sources.iter().any(|s| s == "-") {
        return Err(CommandError::Usage(
            "mcp: stdin carries the protocol; give trace files, folders or stores".into(),
        ));
    }
    let redactor = if a.no_redact {
        None
    } else {
        Some(export::redactor(&a.redaction)?)
    };
    let set = load(&inputs_from(&a.sources)?, &a.load)?;
    let set = match &redactor {
        Some(r) => crate::redact::redact_set(&set, r),
        None => set,
    };
    let _ = writeln!(
        io::stderr(),
        "agtrace: MCP server on stdio: {} traces, {} spans{}",
        set.traces.len(),
        set.spans.len(),
        if redactor.is_some() {
            ", redacted"
        } else {
            ", not redacted"
        }
    );
    crate::mcp::serve(set, redactor.is_some())?;
    Ok(())
}

/// `show --format markdown`: the incident summary of the trace (or of the subtree
/// under `--detail`), or of each trace of a session.
fn show_markdown(
    set: &TraceSet,
    a: &ShowArgs,
    sources: &[String],
    prefix: Option<&str>,
) -> Result<(), CommandError> {
    let redactor = if a.no_redact {
        None
    } else {
        Some(export::redactor(&a.redaction)?)
    };
    let shown_sources = if sources.is_empty() {
        "-".to_owned()
    } else {
        sources
            .iter()
            .map(|s| {
                if s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
                {
                    s.clone()
                } else {
                    format!("'{}'", s.replace('\'', "'\\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut wanted: Vec<(u32, Option<u32>)> = Vec::new();
    if let Some(session) = &a.session {
        let traces = session_traces(set, session)?;
        wanted.extend(traces.iter().map(|&t| (t, None)));
    } else {
        let trace = match prefix {
            Some(p) => Some(pick_trace(set, p)?),
            None => None,
        };
        match (&a.detail, trace) {
            (Some(d), t) => {
                let span = pick_span(set, d, t)?;
                wanted.push((set.spans[span as usize].trace, Some(span)));
            }
            (None, Some(t)) => wanted.push((t, None)),
            (None, None) if set.traces.len() == 1 => wanted.push((0, None)),
            (None, None) if set.traces.is_empty() => {
                return Err(CommandError::NoMatch("no traces in the input".into()));
            }
            (None, None) => {
                return Err(CommandError::Usage(format!(
                    "the input holds {} traces: give a trace id prefix (see agtrace ls), --session or --detail",
                    set.traces.len()
                )));
            }
        }
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    for (k, (trace, subtree)) in wanted.into_iter().enumerate() {
        if k > 0 {
            writeln!(out, "\n---\n")?;
        }
        let req = render::markdown::SummaryRequest {
            trace,
            subtree,
            redactor: redactor.as_ref(),
            sources: &shown_sources,
        };
        write!(out, "{}", render::markdown::summary(set, &req))?;
    }
    out.flush()?;
    Ok(())
}

/// The spans `show` needs from one store: a session's traces, or the trace named by
/// the prefix (ambiguity and no-match are reported from the traces table).
fn store_subset(db: &Path, a: &ShowArgs, prefix: Option<&str>) -> Result<TraceSet, CommandError> {
    let prices = load_options(&a.load)?.prices;
    if let Some(session) = &a.session {
        let ids = crate::store::session_trace_ids(db, session)?;
        return Ok(crate::store::load_traces_by_id(db, &ids, &prices)?);
    }
    match prefix {
        Some(p) => {
            let summaries = crate::store::load_summaries(db, &Filter::default(), None)?;
            let t = pick_trace(&summaries, p)?;
            let id = summaries.traces[t as usize].id.to_string();
            Ok(crate::store::load_trace_by_id(db, &id, &prices)?)
        }
        None => {
            let summaries = crate::store::load_summaries(db, &Filter::default(), None)?;
            match (summaries.traces.len(), &a.detail) {
                (1, _) => {
                    let id = summaries.traces[0].id.to_string();
                    Ok(crate::store::load_trace_by_id(db, &id, &prices)?)
                }
                // --detail without a trace: search every span.
                (_, Some(_)) => load(&[Input::Path(db.to_path_buf())], &a.load),
                _ => Ok(summaries),
            }
        }
    }
}

/// The traces of session `id`, in start order; "no match" when it has none.
fn session_traces<'a>(set: &'a TraceSet, id: &str) -> Result<&'a [u32], CommandError> {
    set.strings
        .lookup(id)
        .and_then(|s| set.sessions.get(&s))
        .map(Vec::as_slice)
        .ok_or_else(|| {
            CommandError::NoMatch(format!("no trace belongs to session {:?}", sanitize(id)))
        })
}

/// The one trace whose id starts with `p`; lists candidates when ambiguous.
fn pick_trace(set: &TraceSet, p: &str) -> Result<u32, CommandError> {
    let found = set.find_traces(p);
    match found.len() {
        0 => Err(CommandError::NoMatch(format!(
            "no trace id starts with {p}"
        ))),
        1 => Ok(found[0]),
        n => {
            let id_len = short_id_len(set);
            let mut msg = format!("{n} traces start with {p}; give more digits:");
            for t in found.iter().take(20) {
                let tr = &set.traces[*t as usize];
                let id = tr.id.listed();
                msg.push_str(&format!(
                    "\n  {}  {}  {}",
                    id.get(..id_len.max(p.len())).unwrap_or(&id),
                    format::timestamp(tr.start),
                    sanitize(set.str(tr.root_name))
                ));
            }
            Err(CommandError::Usage(msg))
        }
    }
}

/// The one span whose id starts with `p` (within `trace` when given).
fn pick_span(set: &TraceSet, p: &str, trace: Option<u32>) -> Result<u32, CommandError> {
    let p = p.to_ascii_lowercase();
    let found: Vec<u32> = (0..set.spans.len() as u32)
        .filter(|&i| {
            let s = &set.spans[i as usize];
            trace.is_none_or(|t| s.trace == t) && s.span_id.to_string().starts_with(&p)
        })
        .collect();
    match found.len() {
        0 => Err(CommandError::NoMatch(format!("no span id starts with {p}"))),
        1 => Ok(found[0]),
        n => {
            let mut msg =
                format!("{n} spans start with {p}; give more digits or a trace id prefix:");
            for &i in found.iter().take(20) {
                let s = &set.spans[i as usize];
                msg.push_str(&format!(
                    "\n  {}  trace {}  {}",
                    s.span_id,
                    s.trace_id,
                    sanitize(set.str(s.name))
                ));
            }
            Err(CommandError::Usage(msg))
        }
    }
}
