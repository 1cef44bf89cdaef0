//! The command line: subcommands and flags (clap derive).

use crate::analysis::list::SortKey;
use clap::{Args, Parser, Subcommand};

/// agtrace: explore traces of AI agents in the terminal.
#[derive(Debug, Parser)]
#[command(
    name = "agtrace",
    version = crate::VERSION,
    about,
    long_about = None,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The interactive explorer (also `agtrace FILE`).
    Open(OpenArgs),
    /// List traces, one row per trace, newest first.
    Ls(LsArgs),
    /// Print one trace as a span tree with a waterfall.
    Show(ShowArgs),
    /// Where the time, errors and money went: per tool, model, kind, name, service,
    /// session or agent; and the findings per kind.
    Stats(StatsArgs),
    /// Two runs side by side: steps aligned by what they are (agent, LLM, tool), where
    /// they first went different ways, and a diff of the arguments, result or answer.
    Diff(DiffArgs),
    /// Import sources into a SQLite trace store (created if needed).
    Import(ImportArgs),
    /// Write traces as OTLP (JSON, JSON Lines or protobuf), optionally redacted: a
    /// shareable slice of an incident, or a conversion to OTLP.
    Export(ExportArgs),
    /// A Model Context Protocol server over stdio, for AI assistants: list traces,
    /// outline a trace, read a step, findings, stats (redacted unless --no-redact).
    Mcp(McpArgs),
    /// References: `help filter` (the filter language), `help keys` (the explorer's
    /// keys), `help formats` (what agtrace reads), or `help COMMAND`.
    Help(HelpArgs),
}

/// `agtrace help`.
#[derive(Debug, Args)]
pub struct HelpArgs {
    /// filter, keys, formats, or a command name.
    #[arg(value_name = "TOPIC")]
    pub topic: Option<String>,
}

/// `agtrace import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files, folders, stores or `-` for stdin.
    #[arg(value_name = "SOURCE", required_unless_present = "listen")]
    pub sources: Vec<String>,
    /// The store to write.
    #[arg(long, value_name = "PATH")]
    pub db: std::path::PathBuf,
    /// Be an OTLP/HTTP endpoint writing into the store as spans arrive until SIGTERM
    /// or Ctrl-C, which flush and report. A request is answered 200 only once it is
    /// committed; 503 (retry) while the store cannot be written.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "", conflicts_with = "sources")]
    pub listen: Option<String>,
    /// With --listen: requests must carry `Authorization: Bearer TOKEN` (also
    /// AGTRACE_LISTEN_TOKEN).
    #[arg(long, value_name = "TOKEN", requires = "listen")]
    pub listen_token: Option<String>,
    /// With --listen: where OTLP/gRPC listens (default: the port below the HTTP one,
    /// 4317 beside 4318), or `off`.
    #[arg(long, value_name = "ADDR|off", requires = "listen")]
    pub grpc_listen: Option<String>,
    /// A backend source: only this session / conversation (the engine searches it).
    #[arg(long, value_name = "ID", conflicts_with = "listen")]
    pub session: Option<String>,
    /// A backend source: only these traces (repeatable).
    #[arg(long, value_name = "ID", conflicts_with = "listen")]
    pub trace: Vec<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// How strings are redacted (`export --redact`, `show --format markdown`).
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Keep message and tool payload content (the patterns still mask secrets and
    /// personal data inside it).
    #[arg(long)]
    pub keep_content: bool,
    /// A TOML file of extra redaction patterns, an allow-list and content keys
    /// (also AGTRACE_REDACT_RULES; `agtrace help redaction`).
    #[arg(long, value_name = "FILE")]
    pub redact_rules: Option<std::path::PathBuf>,
}

/// `agtrace mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Files, folders or stores to serve (stdin carries the protocol, so not `-`).
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    /// Serve the traces as recorded: no redaction of secrets, personal data and
    /// message content.
    #[arg(long)]
    pub no_redact: bool,
    #[command(flatten)]
    pub redaction: RedactArgs,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `agtrace export`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("selection")
        .required(true)
        .multiple(true)
        .args(["trace", "session", "filter", "all"])
))]
pub struct ExportArgs {
    /// Files, folders, stores or `-` for stdin (default: stdin when it is not a terminal).
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// The trace with this id prefix (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    /// Every trace of this session / conversation.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only spans matching this filter, with their ancestors (`agtrace help filter`);
    /// alone, over every trace; may start with `-`.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// Every trace.
    #[arg(long)]
    pub all: bool,
    /// Write here (default, or `-`: stdout). The file is written whole or not at all.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// The encoding (default: from the output's extension — .jsonl, .pb/.binpb/.proto
    /// — else otlp-json).
    #[arg(long, value_enum)]
    pub format: Option<crate::export::ExportFormat>,
    /// Mask secrets and personal data everywhere, and replace message and tool
    /// payload content by a placeholder (`agtrace help redaction`).
    #[arg(long)]
    pub redact: bool,
    #[command(flatten)]
    pub redaction: RedactArgs,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Flags shared by commands that load data.
#[derive(Clone, Debug, Args)]
pub struct LoadArgs {
    /// Decoding threads (default: the number of cores, at most 8).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// A JSON price file that extends or overrides the bundled prices (also
    /// AGTRACE_PRICES).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<std::path::PathBuf>,
    /// A backend source (clickhouse://, tempo://, jaeger://): traces from this long
    /// ago until now (2h, 30m, 7d; default 1d).
    #[arg(long, value_name = "DURATION", conflicts_with = "from")]
    pub since: Option<String>,
    /// A backend source: from this time (2026-12-02T03:00:00Z, 2026-12-02 03:00, or
    /// Unix seconds).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// A backend source: until this time (default now).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// A backend source: at most N traces (default 100; `ls --limit` sets it too).
    /// More is said, never cut silently.
    #[arg(long, value_name = "N")]
    pub max_traces: Option<usize>,
    /// A backend source: the user (else CLICKHOUSE_USER / TEMPO_USER / JAEGER_USER,
    /// the URL's, or ~/.netrc); the password never on the command line:
    /// CLICKHOUSE_PASSWORD / TEMPO_TOKEN / JAEGER_TOKEN or ~/.netrc.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// A backend source: seconds a request may take (default 30).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// What the command asks a backend for (its trace, session, filter), set by the
    /// command itself.
    #[arg(skip)]
    pub query: crate::backend::Query,
}

/// `agtrace open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Files, folders, SQLite stores (agtrace or Arize Phoenix) or `-` for stdin
    /// (default: stdin when it is not a terminal); `agtrace help formats`.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Be the OTLP/HTTP endpoint and show spans as they arrive: POST /v1/traces and
    /// /v1/logs, protobuf or JSON, gzip (default 127.0.0.1:4318; `:PORT`, `HOST:PORT`).
    /// SDKs need only OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
    pub listen: Option<String>,
    /// With --listen: requests must carry `Authorization: Bearer TOKEN` (also
    /// AGTRACE_LISTEN_TOKEN).
    #[arg(long, value_name = "TOKEN", requires = "listen")]
    pub listen_token: Option<String>,
    /// With --listen: where OTLP/gRPC listens (default: the port below the HTTP one,
    /// 4317 beside 4318), or `off`.
    #[arg(long, value_name = "ADDR|off", requires = "listen")]
    pub grpc_listen: Option<String>,
    /// Keep reading FILE as it grows (a collector's file exporter), across its
    /// rotation and a truncation; waits for it if it is not there yet. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub follow: Vec<std::path::PathBuf>,
    /// Live (--listen, a pipe, --follow): spans kept before the oldest traces are
    /// evicted (whole, and counted in the header).
    #[arg(long, value_name = "N", default_value_t = crate::tui::live::DEFAULT_MAX_SPANS)]
    pub max_spans: usize,
    /// Start in this session / conversation.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Start in this trace (id prefix).
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
    /// Start with this filter (`agtrace help filter`); may start with `-`, a negated
    /// term: `--filter -status:ok`.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `agtrace ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Files, folders or `-` for stdin (default: stdin when it is not a terminal).
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Only traces with a failed span.
    #[arg(long)]
    pub failed: bool,
    /// Only traces with a step whose own time is at least this long (e.g. 2s, 500ms,
    /// 1.5m): the filter term `self>=DURATION`. A call owns its whole duration; an
    /// agent or chain only the time its children do not cover.
    #[arg(long, value_name = "DURATION")]
    pub slow: Option<String>,
    /// Sort order: largest (newest) first, names A to Z; ties newest first.
    #[arg(long, value_enum, default_value_t = SortKey::Start)]
    pub sort: SortKey,
    /// At most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only traces of this session / conversation id.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only this trace (id or prefix; the filter term `trace:ID`): what a backend is
    /// asked for by id.
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
    /// Only traces with a span matching this filter (`agtrace help filter`); may start
    /// with `-`, a negated term: `--filter -status:ok`.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// JSON Lines output, one object per trace.
    #[arg(long)]
    pub json: bool,
    /// Keep reading the source (a file as it grows, across rotation and truncation,
    /// or `-`, a pipe as it flows) and print each trace once it is complete: its root
    /// has arrived and nothing was added for --settle. Runs until interrupted or the
    /// pipe ends; a trace that grows after it was printed is printed again.
    #[arg(long)]
    pub follow: bool,
    /// With --follow: quiet time after which a trace counts as complete.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "2s",
        requires = "follow"
    )]
    pub settle: String,
    /// With --follow: spans kept in memory (oldest traces, already printed, go first).
    #[arg(long, value_name = "N", default_value_t = crate::tui::live::DEFAULT_MAX_SPANS, requires = "follow")]
    pub max_spans: usize,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `agtrace stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Files, folders, stores or `-` for stdin (default: stdin when it is not a terminal).
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Group rows by this (default: a tool table and a model table). tool, model, kind,
    /// name and service count steps; session and agent count traces.
    #[arg(long, value_enum)]
    pub by: Option<crate::analysis::stats::GroupBy>,
    /// Only steps (or traces, for session and agent) matching this filter
    /// (`agtrace help filter`); may start with `-`.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// The findings per kind (with --by, after the table).
    #[arg(long)]
    pub findings: bool,
    /// JSON Lines output, one object per row.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// What `show` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    /// The span tree with a waterfall (or the step detail, the transcript).
    Text,
    /// JSON Lines.
    Json,
    /// An incident summary to paste.
    Markdown,
}

/// `agtrace diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Sources followed by two trace id prefixes: `diff dump.json 4bf9 71a9` (a run
    /// that worked and one that did not); with no source, stdin is read.
    #[arg(value_name = "SOURCE… TRACE_A TRACE_B", required = true, num_args = 2..)]
    pub args: Vec<String>,
    /// JSON Lines: a summary, then one object per aligned step.
    #[arg(long)]
    pub json: bool,
    /// Exit with 4 when the runs differ (0 when they took the same steps), for scripts.
    #[arg(long)]
    pub exit_code: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `agtrace show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Sources followed by a trace id prefix: `show dump.json 4bf9`. With one trace
    /// loaded, or with --session or --detail, the prefix may be left out; with no
    /// source, stdin is read.
    #[arg(value_name = "SOURCE… TRACE_ID_PREFIX")]
    pub args: Vec<String>,
    /// Every trace of this session / conversation, in order, with per-turn totals.
    #[arg(long, value_name = "ID", conflicts_with = "detail")]
    pub session: Option<String>,
    /// One step in full: messages, tool arguments and result, attributes, events.
    #[arg(long, value_name = "SPAN_ID_PREFIX")]
    pub detail: Option<String>,
    /// JSON Lines output, one object per span (the same as --format json).
    #[arg(long)]
    pub json: bool,
    /// Output: text (the tree), json (JSON Lines), or markdown (an incident summary
    /// of the trace, or of the subtree under --detail, redacted unless --no-redact).
    #[arg(long, value_enum, conflicts_with = "json")]
    pub format: Option<ShowFormat>,
    /// The Markdown summary without redaction.
    #[arg(long)]
    pub no_redact: bool,
    #[command(flatten)]
    pub redaction: RedactArgs,
    /// Only spans up to this depth (0 = roots).
    #[arg(long, value_name = "N")]
    pub depth: Option<u32>,
    /// The agent view: plumbing spans (HTTP, gRPC, DB, framework internals) folded
    /// into their nearest step and counted (failed or marked ones stay).
    #[arg(long)]
    pub agent: bool,
    /// The transcript of the run: the conversation across every LLM call in order,
    /// each message once, tool calls and results inline, with the step each came from.
    #[arg(long)]
    pub transcript: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}
