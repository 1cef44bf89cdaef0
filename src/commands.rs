//! Running the subcommands: resolve sources, load, query, print, and pick the exit code.

use crate::cli::{Cli, Command, LoadArgs, LsArgs, ShowArgs, SortArg};
use crate::model::TraceSet;
use crate::query::{SortKey, TraceQuery, short_id_len};
use crate::render::{self, Style, format, sanitize};
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
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::Ls(a) => ls(a),
        Command::Show(a) => show(a),
    }
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

fn load(inputs: &[Input], args: &LoadArgs) -> Result<TraceSet, CommandError> {
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
    let started = std::time::Instant::now();
    let set = source::load(inputs, &opts)?;
    let mut err = io::stderr().lock();
    for w in &set.warnings {
        let _ = writeln!(err, "agtrace: warning: {}", sanitize(&w.to_string()));
    }
    if std::env::var_os("AGTRACE_STATS").is_some() {
        let _ = writeln!(
            err,
            "agtrace: stats: load_seconds={:.3} spans={} traces={} peak_rss_kb={}",
            started.elapsed().as_secs_f64(),
            set.spans.len(),
            set.traces.len(),
            peak_rss_kb().map_or("unknown".to_owned(), |k| k.to_string()),
        );
        let parts: Vec<String> = set
            .heap_bytes()
            .iter()
            .map(|(k, v)| format!("{k}={:.1}MB", *v as f64 / 1e6))
            .collect();
        let _ = writeln!(err, "agtrace: stats: model {}", parts.join(" "));
    }
    Ok(set)
}

/// The process's peak resident memory (Linux `VmHWM`), for `AGTRACE_STATS`.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ls(a: LsArgs) -> Result<(), CommandError> {
    let slower_than = match &a.slow {
        Some(s) => Some(format::parse_duration(s).ok_or_else(|| {
            CommandError::Usage(format!(
                "--slow {s:?}: expected a duration such as 2s, 500ms or 1.5m"
            ))
        })?),
        None => None,
    };
    let query = TraceQuery {
        failed: a.failed,
        slower_than,
        sort: match a.sort {
            SortArg::Start => SortKey::Start,
            SortArg::Duration => SortKey::Duration,
            SortArg::Spans => SortKey::Spans,
            SortArg::Errors => SortKey::Errors,
        },
        limit: a.limit,
    };
    let inputs = inputs_from(&a.sources)?;
    let set = load(&inputs, &a.load)?;
    let rows = query.run(&set);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if a.json {
        render::ls::write_json(&mut out, &set, &rows)?;
    } else if !rows.is_empty() {
        render::ls::write_table(&mut out, &set, &rows, &Style::detect())?;
    }
    out.flush()?;
    if rows.is_empty() {
        let what = if set.traces.is_empty() {
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
    // (then every word is a source and the set must hold exactly one trace).
    let (sources, prefix) = match a.args.split_last() {
        Some((last, rest)) if last != "-" && !Path::new(last).exists() => {
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
    let inputs = inputs_from(&sources)?;
    let set = load(&inputs, &a.load)?;
    let trace_idx = match prefix {
        Some(p) => {
            let found = set.find_traces(&p);
            match found.len() {
                0 => {
                    return Err(CommandError::NoMatch(format!(
                        "no trace id starts with {p}"
                    )));
                }
                1 => found[0],
                n => {
                    let id_len = short_id_len(&set);
                    let mut msg = format!("{n} traces start with {p}; give more digits:");
                    for t in found.iter().take(20) {
                        let tr = &set.traces[*t as usize];
                        msg.push_str(&format!(
                            "\n  {}  {}  {}",
                            &tr.id.to_string()[..id_len.max(p.len()).min(32)],
                            format::timestamp(tr.start),
                            sanitize(set.str(tr.root_name))
                        ));
                    }
                    return Err(CommandError::Usage(msg));
                }
            }
        }
        None => match set.traces.len() {
            1 => 0,
            0 => return Err(CommandError::NoMatch("no traces in the input".into())),
            n => {
                return Err(CommandError::Usage(format!(
                    "the input holds {n} traces: give a trace id prefix (see agtrace ls)"
                )));
            }
        },
    };
    let trace = &set.traces[trace_idx as usize];
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if a.json {
        render::show::write_json(&mut out, &set, trace, a.depth)?;
    } else {
        let style = Style::detect();
        let opts = render::show::ShowOptions {
            max_depth: a.depth,
            bar_width: 40,
        };
        render::show::write_tree(&mut out, &set, trace, &style, &opts)?;
    }
    out.flush()?;
    Ok(())
}
