//! Opening inputs: files, folders (every trace file inside), and stdin; undoing gzip and
//! zstd; telling OTLP/JSON from OTLP protobuf by content; and naming what a file looks
//! like when it is not a trace dump at all. Produces one [`TraceSet`].

mod decompress;
mod sniff;

mod pieces;
pub mod stream;

pub use decompress::{Limits as ExpansionLimits, hopeless};
pub use pieces::for_each_piece;
pub use sniff::{Format, SQLITE_MAGIC, describe_non_trace, is_sqlite, sniff_format};

use crate::decode::{self, DecodeError, Decoded};
use crate::model::{Batch, Position, TraceSet, Warning};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input the user named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file or a folder.
    Path(PathBuf),
    /// Standard input.
    Stdin,
    /// A trace backend: `clickhouse://…`, `tempo://…`, `jaeger://…`.
    Backend(String),
}

impl Input {
    /// Parses a command-line word: `-` is stdin.
    pub fn from_arg(s: &str) -> Input {
        if s == "-" {
            Input::Stdin
        } else if crate::backend::Backend::is_url(s) {
            Input::Backend(s.to_owned())
        } else {
            Input::Path(PathBuf::from(s))
        }
    }

    /// The name used in messages.
    pub fn label(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_owned(),
            Input::Backend(url) => crate::backend::Backend::parse(url)
                .map(|b| b.label())
                .unwrap_or_else(|_| crate::sanitize::sanitize(url).into_owned()),
            Input::Path(p) => p.display().to_string(),
        }
    }
}

/// Why loading failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The input could not be read.
    #[error("{name}: {source}")]
    Io {
        /// Input name.
        name: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not a trace format agtrace reads.
    #[error(
        "{name}: this looks like {what}, not an OTLP trace dump. agtrace reads OTLP/JSON (TracesData or ExportTraceServiceRequest documents, one or many, JSON Lines or an array), OTLP protobuf (one message, 4-byte length-prefixed or varint-delimited), Jaeger and Zipkin JSON, Langfuse exports (v3 and v4 observation rows), span records in the layouts `agtrace help formats` lists (flat records, any-agent, Phoenix, the Python and JS SDKs' console output and ReadableSpans), and the collector's debug-exporter text (JSON logs too), plain or gzip/zstd compressed"
    )]
    NotTrace {
        /// Input name.
        name: String,
        /// What it looks like instead.
        what: String,
    },
    /// None of several sources could be read: why, for each.
    #[error("none of the {} sources could be read:\n  {}", .0.len(), .0.join("\n  "))]
    NoneReadable(Vec<String>),
    /// A SQLite store could not be read (the store reader's own error, which names
    /// the file).
    #[error(transparent)]
    Store(Box<dyn std::error::Error + Send + Sync>),
    /// Decompressing the input would pass the expansion limit.
    #[error("{name}: {message}")]
    TooLarge {
        /// Input name.
        name: String,
        /// Which limit, and how to raise it.
        message: String,
    },
    /// A backend URL that does not parse (the message names it and what was expected).
    #[error("{0}")]
    BadUrl(String),
    /// A trace backend could not be read (unreachable, refused, rejected the query).
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
    /// The input is broken before any span could be read.
    #[error("{name}: {source}")]
    Decode {
        /// Input name.
        name: String,
        /// Where and what.
        #[source]
        source: DecodeError,
    },
}

/// The span record layouts, for `help formats` (see `decode::layouts`).
pub fn layouts_help() -> Vec<String> {
    crate::decode::layouts::describe()
}

/// What agtrace reads, one row per kind of input (`agtrace help formats`).
pub const FORMATS: &[(&str, &str)] = &[
    (
        "OTLP/JSON",
        "TracesData or ExportTraceServiceRequest documents: one, several concatenated, an array of them, or JSON Lines (the collector's file exporter); hex or base64 ids, enum numbers or names",
    ),
    (
        "OTLP protobuf",
        "one TracesData / ExportTraceServiceRequest message, 4-byte big-endian length-prefixed records, or varint-delimited messages; a LogsData file next to them joins its GenAI log records to their spans",
    ),
    (
        "collector debug text",
        "the debug (or logging) exporter at verbosity: detailed, as kubectl logs otel-collector shows it: log prefixes and the collector's own lines skipped",
    ),
    (
        "Langfuse export",
        "v3 {trace, observations: […]}, and v4's observation rows (the Observations API v2's pages {data, meta.cursor}, one after another or as JSON Lines, or the rows alone): observations as spans with the model, usage and cost Langfuse recorded",
    ),
    (
        "span records",
        "span-shaped JSON in any of the layouts listed below (a list, {spans: […]}, objects in a row or JSON Lines): flat records (evaluation tools, AWS ADOT aws/spans), any-agent traces, the JS SDK's ReadableSpans and console output, the Python console exporter, Phoenix's span JSON; ids as hex, 0x…, base64 or decimal up to 2^128 (exact), anything else derived from its text",
    ),
    (
        "Node console output",
        "the Node SDK's ConsoleSpanExporter as console.dir prints it (util.inspect literals: unquoted keys, undefined, [Object])",
    ),
    (
        "Jaeger JSON",
        "the UI's Download JSON and the query API ({data: [{traceID, spans, processes}]}), Jaeger v2's {result: {resourceSpans}}; mapped as the collector's translator does",
    ),
    (
        "Zipkin v2 JSON",
        "a span array (API, UI download); shared server spans get their own id; mapped as the collector's translator does",
    ),
    (
        "compressed",
        "gzip or zstd around any of the above, recognised by content, not by file name; the collector file exporter's compressed records (a 4-byte length and a zstd or gzip frame each)",
    ),
    (
        "folders",
        "every file below, in name order; hidden files left out; a file that is not a trace dump is skipped with a warning",
    ),
    (
        "stdin",
        "`-`, or no source at all when stdin is not a terminal (`cat dump.json | agtrace open -`); `open`, `ls --follow` and `import` decode it as it arrives (`kubectl logs -f … | agtrace open -`)",
    ),
    (
        "several sources",
        "loaded into one picture; one that cannot be read is skipped with a warning (an error only when none can be read)",
    ),
    (
        "agtrace store",
        "a SQLite file written by `agtrace import`: listed from its traces table at once, spans read when a trace is opened; opened read-only",
    ),
    (
        "trace backends",
        "clickhouse://HOST:8123/DB (the collector exporter's otel_traces), tempo://HOST:3200, jaeger://HOST:16686: read through each engine's query API with --trace, --session, --since/--from/--to, --filter (pushed down where the engine can), --max-traces; ENGINE+https:// (or ?secure=true) for TLS, SSL_CERT_FILE for a private CA; read-only",
    ),
    (
        "Arize Phoenix store",
        "Phoenix's SQLite database, read as a source (read-only)",
    ),
    (
        "damaged dumps",
        "a dump cut or broken part way opens with everything before the damage and a warning naming the byte offset or line",
    ),
];

/// Loading progress, readable from another thread while a load runs.
#[derive(Debug, Default)]
pub struct LoadProgress {
    /// Bytes read from inputs so far.
    pub bytes: std::sync::atomic::AtomicU64,
    /// Spans decoded so far.
    pub spans: std::sync::atomic::AtomicU64,
    /// 0 reading, 1 decoding, 2 building the model, 3 deriving steps.
    pub phase: std::sync::atomic::AtomicU8,
}

impl LoadProgress {
    /// The phase as a word.
    pub fn phase_name(&self) -> &'static str {
        match self.phase.load(std::sync::atomic::Ordering::Relaxed) {
            0 => "reading",
            1 => "decoding",
            2 => "building traces",
            _ => "understanding steps",
        }
    }

    fn set_phase(&self, p: u8) {
        self.phase.store(p, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Where to report progress, if anywhere.
    pub progress: Option<std::sync::Arc<LoadProgress>>,
    /// Worker threads for decoding.
    pub threads: usize,
    /// Prices for steps that do not carry their cost.
    pub prices: std::sync::Arc<crate::semconv::PriceTable>,
    /// Plain JSON files at least this large are decoded piece by piece from the file.
    pub stream_min_bytes: u64,
    /// Size of one piece when decoding from a file.
    pub piece_bytes: u64,
    /// Reads a SQLite file met among the inputs (named or inside a folder). Sources do
    /// not know stores: the input layer (`input.rs`) supplies the store reader,
    /// and without one a SQLite file is refused like any other non-trace file.
    pub stores: Option<StoreReader>,
    /// How far gzip/zstd may expand an input.
    pub expansion: ExpansionLimits,
    /// What to ask trace backends among the inputs for.
    pub backend_query: crate::backend::Query,
    /// Decide the findings before returning (the default). A caller that shows rows
    /// before findings (the explorer, `ls`) turns this off and decides them itself,
    /// off the first screen's path.
    pub findings: bool,
}

/// A reader of SQLite trace stores: the file and its source index in, one batch out.
pub type StoreReader = fn(&Path, u32) -> Result<Batch, Box<dyn std::error::Error + Send + Sync>>;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8),
            prices: std::sync::Arc::new(crate::semconv::PriceTable::bundled()),
            progress: None,
            stream_min_bytes: decode::otlp_json::STREAM_MIN_BYTES,
            piece_bytes: decode::otlp_json::PIECE_BYTES,
            stores: None,
            expansion: ExpansionLimits::from_env(),
            backend_query: crate::backend::Query::default(),
            findings: true,
        }
    }
}

impl LoadOptions {
    /// Default options with this many threads.
    pub fn with_threads(threads: usize) -> LoadOptions {
        LoadOptions {
            threads: threads.max(1),
            ..LoadOptions::default()
        }
    }
}

/// Loads every input into one set. An input named directly that is not a trace dump
/// fails the load; inside a folder such files are skipped with a warning.
pub fn load(inputs: &[Input], opts: &LoadOptions) -> Result<TraceSet, LoadError> {
    let t0 = std::time::Instant::now();
    let mut acc = Loaded::default();
    let mut reasons = Vec::new();
    for input in inputs {
        if let Err(e) = load_input(input, opts, &mut acc) {
            // One source of several that cannot be read is a warning, not the end:
            // the rest still opens. Only when nothing could be read is it an error.
            if inputs.len() == 1 {
                return Err(e);
            }
            let why = skip_reason(&e);
            reasons.push(format!("{}: {why}", input.label()));
            acc.warnings.push(Warning {
                source: input.label(),
                position: Position::Whole,
                message: format!("skipped: {why}"),
            });
        }
    }
    if acc.names.is_empty() && !reasons.is_empty() {
        return Err(LoadError::NoneReadable(reasons));
    }
    let Loaded {
        batches,
        names,
        formats,
        warnings,
    } = acc;
    let t1 = std::time::Instant::now();
    let stats = std::env::var_os("AGTRACE_STATS").is_some();
    let mut peaks = Vec::new();
    let mut peak = |phase: &'static str| {
        if stats && let Some(kb) = peak_rss_kb() {
            peaks.push((phase, kb));
        }
    };
    peak("read_decode");
    if let Some(p) = &opts.progress {
        p.set_phase(2);
    }
    let mut set = TraceSet::build(batches, names, warnings);
    set.warn_unattached_logs();
    set.source_formats = formats;
    let t2 = std::time::Instant::now();
    peak("build");
    if let Some(p) = &opts.progress {
        p.set_phase(3);
    }
    crate::semconv::annotate(&mut set, &opts.prices);
    let t3 = std::time::Instant::now();
    peak("semantics");
    set.timings = vec![
        ("read_decode", (t1 - t0).as_secs_f64()),
        ("build", (t2 - t1).as_secs_f64()),
        ("semantics", (t3 - t2).as_secs_f64()),
    ];
    if opts.findings {
        crate::analysis::findings::derive(&mut set);
        set.timings.push(("findings", t3.elapsed().as_secs_f64()));
        peak("findings");
    }
    set.phase_peaks_kb = peaks;
    Ok(set)
}

/// The process's peak resident memory (Linux `VmHWM`), KiB: where a load's memory
/// goes, phase by phase (`AGTRACE_STATS`).
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What the inputs read so far add up to.
#[derive(Default)]
struct Loaded {
    batches: Vec<Batch>,
    names: Vec<String>,
    formats: Vec<String>,
    warnings: Vec<Warning>,
}

impl Loaded {
    fn add(&mut self, name: String, d: Decoded) {
        self.names.push(name);
        self.formats.push(d.describe());
        self.batches.extend(d.batches);
        // Exact once an input is read (a large file counted piece by piece before).
        let spans: usize = self.batches.iter().map(|b| b.spans.len()).sum();
        crate::oom::SPANS_READ.store(spans as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Reads one input (a file, a folder, stdin) into `acc`. In a folder, a file that is
/// not a trace dump is skipped with a warning.
fn load_input(input: &Input, opts: &LoadOptions, acc: &mut Loaded) -> Result<(), LoadError> {
    match input {
        Input::Stdin => {
            let mut stdin = std::io::stdin().lock();
            let read = read_counting(&mut stdin, 0, opts.progress.as_deref());
            let buf = read.map_err(|source| LoadError::Io {
                name: input.label(),
                source,
            })?;
            let d = load_bytes(buf, &input.label(), acc.names.len() as u32, opts)?;
            acc.add(input.label(), d);
        }
        Input::Backend(url) => {
            let d = fetch_backend(url, acc.names.len() as u32, opts)?;
            acc.add(input.label(), d);
        }
        Input::Path(p) if p.is_dir() => {
            let files = list_folder(p).map_err(|source| LoadError::Io {
                name: input.label(),
                source,
            })?;
            if files.is_empty() {
                acc.warnings.push(Warning {
                    source: input.label(),
                    position: Position::Whole,
                    message: "the folder holds no files".into(),
                });
            }
            for f in files {
                let name = f.display().to_string();
                match load_file(&f, &name, acc.names.len() as u32, opts) {
                    Ok(d) => acc.add(name, d),
                    // In a folder, a file that cannot be read (no permission, a
                    // dangling link) is skipped like one that is not a trace.
                    Err(
                        e @ (LoadError::NotTrace { .. }
                        | LoadError::Decode { .. }
                        | LoadError::TooLarge { .. }
                        | LoadError::Io { .. }
                        | LoadError::Store(_)),
                    ) => {
                        acc.warnings.push(Warning {
                            source: name,
                            position: Position::Whole,
                            message: format!("skipped: {}", skip_reason(&e)),
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Input::Path(p) => {
            let name = input.label();
            let d = load_file(p, &name, acc.names.len() as u32, opts)?;
            acc.add(name, d);
        }
    }
    Ok(())
}

/// A backend's spans for the query in `opts` (the URL checked first).
pub(crate) fn fetch_backend(
    url: &str,
    source: u32,
    opts: &LoadOptions,
) -> Result<Decoded, LoadError> {
    let b = crate::backend::Backend::parse(url)
        .map_err(|message| LoadError::BadUrl(crate::sanitize::sanitize(&message).into_owned()))?;
    if let Some(p) = &opts.progress {
        p.set_phase(0);
    }
    let decode = |bytes: Vec<u8>, label: &str, source: u32| {
        load_bytes(bytes, label, source, &LoadOptions::with_threads(2)).map_err(|e| e.to_string())
    };
    let to = crate::backend::Target {
        source,
        decode: &decode,
    };
    let d = crate::backend::fetch(&b, &opts.backend_query, &to)?;
    if let Some(p) = &opts.progress {
        p.spans
            .fetch_add(d.span_count() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(d)
}

fn skip_reason(e: &LoadError) -> String {
    match e {
        LoadError::Backend(b) => b.to_string(),
        LoadError::BadUrl(m) => m.clone(),
        LoadError::NotTrace { what, .. } => format!("it looks like {what}, not an OTLP trace dump"),
        LoadError::Decode { source, .. } => source.to_string(),
        LoadError::Io { source, .. } => source.to_string(),
        LoadError::Store(e) => e.to_string(),
        LoadError::TooLarge { message, .. } => message.clone(),
        LoadError::NoneReadable(r) => r.join("; "),
    }
}

/// Every regular file below `dir`, depth first, in name order; hidden entries skipped.
pub(crate) fn list_folder(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        entries.sort();
        let mut subdirs = Vec::new();
        for p in entries {
            if p.is_dir() {
                subdirs.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(out)
}

fn load_file(
    path: &Path,
    name: &str,
    source: u32,
    opts: &LoadOptions,
) -> Result<Decoded, LoadError> {
    if let Some(read_store) = opts.stores.filter(|_| is_sqlite(path)) {
        let batch = read_store(path, source).map_err(LoadError::Store)?;
        if let Some(p) = &opts.progress {
            p.spans.fetch_add(
                batch.spans.len() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        return Ok(Decoded::new(vec![batch], true, "SQLite store"));
    }
    let io = |source| LoadError::Io {
        name: name.to_owned(),
        source,
    };
    if let Some(d) = decode_compressed_in_pieces(path, name, source, opts)? {
        return Ok(d);
    }
    if let Some(d) = decode_file_in_pieces(path, name, source, opts) {
        return Ok(d);
    }
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let buf = read_counting(&mut f, len, opts.progress.as_deref()).map_err(io)?;
    load_bytes(buf, name, source, opts)
}

/// A file read in ranges with `pread`, counting bytes into the progress.
#[cfg(unix)]
struct FileRanges<'a> {
    file: std::fs::File,
    len: u64,
    progress: Option<&'a LoadProgress>,
}

#[cfg(unix)]
impl decode::otlp_json::RangeReader for FileRanges<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&self, start: u64, len: usize) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt as _;
        let mut buf = vec![0u8; len];
        self.file.read_exact_at(&mut buf, start)?;
        if let Some(p) = self.progress {
            p.bytes
                .fetch_add(len as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(buf)
    }
}

/// Large plain OTLP/JSON files are decoded piece by piece straight from the file, so
/// the whole input is never in memory at once (peak memory stays below the file
/// size). `None` when the file is small, compressed, not JSON, or not cuttable.
#[cfg(unix)]
fn decode_file_in_pieces(
    path: &Path,
    name: &str,
    source: u32,
    opts: &LoadOptions,
) -> Option<Decoded> {
    // Only regular files are read in pieces (and opened here at all): a pipe or a
    // device is read once, as a stream.
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() < opts.stream_min_bytes {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    decode_open_file_in_pieces(file, len, name, source, opts)
}

/// [`decode_file_in_pieces`] on a file already open (the original, or the temporary
/// file a compressed dump was decompressed into).
#[cfg(unix)]
fn decode_open_file_in_pieces(
    file: std::fs::File,
    len: u64,
    name: &str,
    source: u32,
    opts: &LoadOptions,
) -> Option<Decoded> {
    let mut magic = [0u8; 4];
    use std::os::unix::fs::FileExt as _;
    file.read_exact_at(&mut magic, 0).ok()?;
    if magic[0] != b'{' {
        return None;
    }
    // Jaeger and the other whole-document formats are not cut into OTLP pieces.
    let mut head = vec![0u8; len.min(64 * 1024) as usize];
    file.read_exact_at(&mut head, 0).ok()?;
    if decode::looks_like_other_json(&head) || decode::node_console::looks_like(&head) {
        return None;
    }
    if let Some(p) = &opts.progress {
        p.set_phase(1);
    }
    let reader = FileRanges {
        file,
        len,
        progress: opts.progress.as_deref(),
    };
    let decoded =
        decode::otlp_json::decode_ranges(&reader, opts.piece_bytes, source, name, opts.threads)?;
    if let Some(p) = &opts.progress {
        p.spans.fetch_add(
            decoded.span_count() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        p.set_phase(0);
    }
    (decoded.recognized || decoded.span_count() > 0).then_some(decoded)
}

#[cfg(not(unix))]
fn decode_file_in_pieces(_: &Path, _: &str, _: u32, _: &LoadOptions) -> Option<Decoded> {
    None
}

/// A large gzip or zstd file of OTLP/JSON is decompressed as a stream into an
/// unlinked temporary file (within the expansion limits, refused early when it starts
/// with zero bytes) and decoded piece by piece from there, so memory stays bounded
/// by the pieces, not the decompressed size. `None` for anything else (small,
/// another format inside): the caller reads it whole.
#[cfg(unix)]
fn decode_compressed_in_pieces(
    path: &Path,
    name: &str,
    source: u32,
    opts: &LoadOptions,
) -> Result<Option<Decoded>, LoadError> {
    use std::io::Write as _;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if !meta.is_file() || meta.len() < opts.stream_min_bytes {
        return Ok(None);
    }
    let io = |source| LoadError::Io {
        name: name.to_owned(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 4];
    if f.read_exact(&mut magic).is_err() {
        return Ok(None);
    }
    let f = std::fs::File::open(path).map_err(io)?;
    let input = std::io::BufReader::with_capacity(1 << 20, f);
    let (kind, mut dec): (&'static str, Box<dyn Read>) =
        if magic.starts_with(decompress::GZIP_MAGIC) {
            ("gzip", Box::new(flate2::read::MultiGzDecoder::new(input)))
        } else if magic.starts_with(decompress::ZSTD_MAGIC) {
            match zstd::stream::read::Decoder::with_buffer(input) {
                Ok(d) => ("zstd", Box::new(d)),
                Err(_) => return Ok(None),
            }
        } else {
            return Ok(None);
        };
    let cap = opts.expansion.cap(meta.len() as usize);
    let mut tmp = tempfile::tempfile().map_err(io)?;
    let mut chunk = vec![0u8; 4 << 20];
    let (mut written, mut head_ok) = (0u64, false);
    let mut damage = None;
    let mut head: Vec<u8> = Vec::with_capacity(64 << 10);
    loop {
        let n = match dec.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                damage = Some(e);
                break;
            }
        };
        if written + n as u64 > cap {
            return Err(LoadError::TooLarge {
                name: name.to_owned(),
                message: opts.expansion.too_large(kind, cap),
            });
        }
        if !head_ok {
            head.extend_from_slice(&chunk[..n.min((64 << 10) - head.len().min(64 << 10))]);
            if head.len() >= 64 << 10 || n < chunk.len() {
                if let Some(why) = hopeless(&head) {
                    return Err(LoadError::NotTrace {
                        name: name.to_owned(),
                        what: format!("{kind}-compressed {why}"),
                    });
                }
                // Only plain OTLP/JSON is cut into pieces; anything else is read
                // whole by the caller.
                let first = head.iter().find(|b| !b.is_ascii_whitespace());
                if first != Some(&b'{')
                    || decode::looks_like_other_json(&head)
                    || decode::node_console::looks_like(&head)
                {
                    return Ok(None);
                }
                head_ok = true;
            }
        }
        tmp.write_all(&chunk[..n]).map_err(io)?;
        written += n as u64;
        if let Some(p) = &opts.progress {
            p.bytes
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
    }
    if !head_ok || written < opts.stream_min_bytes {
        return Ok(None);
    }
    let piece_opts = LoadOptions {
        stream_min_bytes: 0,
        ..opts.clone()
    };
    let Some(mut d) = decode_open_file_in_pieces(tmp, written, name, source, &piece_opts) else {
        return Ok(None);
    };
    d.wrapping = vec![kind];
    if let Some(e) = damage {
        d.batches.insert(
            0,
            Batch {
                warnings: vec![Warning {
                    source: name.to_owned(),
                    position: Position::Byte(written),
                    message: format!(
                        "the {kind} stream is damaged or cut off ({e}); using the {written} bytes decompressed before that"
                    ),
                }],
                ..Batch::default()
            },
        );
    }
    Ok(Some(d))
}

#[cfg(not(unix))]
fn decode_compressed_in_pieces(
    _: &Path,
    _: &str,
    _: u32,
    _: &LoadOptions,
) -> Result<Option<Decoded>, LoadError> {
    Ok(None)
}

/// Reads everything, counting bytes into the progress as it goes. A stream that
/// starts with 64 KiB of zero bytes (`/dev/zero`, a zeroed device) is refused there
/// instead of being read without end.
fn read_counting(
    r: &mut impl Read,
    hint: usize,
    p: Option<&LoadProgress>,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(hint);
    let mut chunk = vec![0u8; 4 << 20];
    let mut checked = false;
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = p {
            p.bytes
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
        if !checked && buf.len() >= 64 << 10 {
            checked = true;
            if let Some(why) = hopeless(&buf) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{why}, not trace data"),
                ));
            }
        }
    }
}

/// Decodes one input's bytes (any compression, any supported format).
pub fn load_bytes(
    buf: Vec<u8>,
    name: &str,
    source: u32,
    opts: &LoadOptions,
) -> Result<Decoded, LoadError> {
    if let Some(p) = &opts.progress {
        p.set_phase(1);
    }
    let (buf, mut warnings, layers) =
        decompress::undo(buf, name, opts.expansion).map_err(|stop| match stop {
            decompress::Stop::TooLarge(message) => LoadError::TooLarge {
                name: name.to_owned(),
                message,
            },
            decompress::Stop::Hopeless(what) => LoadError::NotTrace {
                name: name.to_owned(),
                what,
            },
        })?;
    let (buf, notes) = decode::paste::clean(buf);
    let mut buf = buf;
    warnings.extend(notes.into_iter().map(|message| Warning {
        source: name.to_owned(),
        position: Position::Whole,
        message,
    }));
    if let Some(what) = hopeless(&buf) {
        return Err(LoadError::NotTrace {
            name: name.to_owned(),
            what,
        });
    }
    let format = sniff_format(&buf);
    if format == Format::Json {
        warnings.extend(decode::json_text::mend(&mut buf, name));
    }
    let mut jaeger_v2 = false;
    if format == Format::Json {
        // Jaeger v2's OTLP answer, wrapped in {"result": …}.
        if let Some(inner) = decode::jaeger::unwrap_result(&buf) {
            buf = inner;
            jaeger_v2 = true;
        }
    }
    let other = (format == Format::Json)
        .then(|| decode::other_json(&buf, source, name))
        .flatten()
        .or_else(|| {
            (matches!(format, Format::Json | Format::Other)
                && decode::node_console::looks_like(&buf))
            .then(|| decode::node_console::decode(&buf, source, name))
            .flatten()
        });
    let result = match (format, other) {
        (_, Some(decoded)) => Ok(decoded),
        (Format::Json, None) => {
            let first = decode::otlp_json::decode(&mut buf, source, name, opts.threads);
            // A value nested past the parser's limit: cut it in place and read again,
            // so it costs itself, not the rest of the document.
            let too_deep = match &first {
                Err(DecodeError::Json { message, .. }) => message.contains("recursion limit"),
                Ok(d) => d.batches.iter().any(|b| {
                    b.warnings
                        .iter()
                        .any(|w| w.message.contains("recursion limit"))
                }),
                Err(_) => false,
            };
            let cuts = if too_deep {
                decode::json_text::cut_deep(&mut buf)
            } else {
                0
            };
            if cuts > 0 {
                warnings.push(Warning {
                    source: name.to_owned(),
                    position: Position::Whole,
                    message: format!(
                        "{cuts} values nested deeper than {} JSON levels were cut (shown as \"[nested too deep: cut]\")",
                        decode::json_text::MAX_JSON_DEPTH
                    ),
                });
                decode::otlp_json::decode(&mut buf, source, name, opts.threads)
            } else {
                first
            }
        }
        (Format::Protobuf, None) => decode::otlp_proto::decode(&buf, source, name, opts.threads),
        (Format::Empty, None) => Ok(Decoded::new(Vec::new(), true, "empty")),
        (Format::Other, None) if decode::debug_text::looks_like(&buf) => {
            Ok(decode::debug_text::decode(&buf, source, name))
        }
        (Format::Other, None) if decode::debug_text::is_summary_only(&buf) => {
            return Err(LoadError::NotTrace {
                name: name.to_owned(),
                what: "OpenTelemetry collector debug-exporter output without span detail (verbosity normal or basic); set `verbosity: detailed` on the debug exporter to get every span".into(),
            });
        }
        (Format::Other, None) => {
            return Err(LoadError::NotTrace {
                name: name.to_owned(),
                what: describe_non_trace(&buf),
            });
        }
    };
    // A protobuf logs file (LogsData), given next to the traces it belongs to.
    let result = match result {
        Err(DecodeError::Proto(_)) if format == Format::Protobuf => {
            match decode::otlp_logs::proto_span_events(&buf) {
                Some(log_events) => Ok(Decoded::new(
                    vec![Batch {
                        log_events,
                        ..Batch::default()
                    }],
                    true,
                    "OTLP protobuf log records",
                )),
                None => result,
            }
        }
        r => r,
    };
    let mut decoded = match result {
        Ok(d) => d,
        Err(DecodeError::Proto(_)) => {
            return Err(LoadError::NotTrace {
                name: name.to_owned(),
                what: describe_non_trace(&buf),
            });
        }
        Err(source) => {
            // Broken JSON may still be a recognisable non-OTLP export; say so if it is.
            let what = describe_non_trace(&buf);
            if !what.starts_with("JSON") {
                return Err(LoadError::NotTrace {
                    name: name.to_owned(),
                    what,
                });
            }
            return Err(LoadError::Decode {
                name: name.to_owned(),
                source,
            });
        }
    };
    if let Some(p) = &opts.progress {
        p.spans.fetch_add(
            decoded.span_count() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        p.set_phase(0);
    }
    if !decoded.recognized && decoded.span_count() == 0 {
        return Err(LoadError::NotTrace {
            name: name.to_owned(),
            what: describe_non_trace(&buf),
        });
    }
    if jaeger_v2 {
        decoded.format = "Jaeger v2 (OTLP/JSON)";
    }
    decoded.wrapping = layers;
    // Only OTLP documents carry log records (the other JSON formats have no place for them).
    if decoded.format == decode::otlp_json::OTLP_JSON && decode::otlp_logs::has_logs(&buf) {
        let events = decode::otlp_logs::span_events(&buf);
        decoded.logs = true;
        if !events.is_empty() {
            decoded.batches.push(Batch {
                log_events: events,
                ..Batch::default()
            });
        }
    }
    if format == Format::Empty {
        warnings.push(Warning {
            source: name.to_owned(),
            position: Position::Whole,
            message: "the input is empty".into(),
        });
    }
    if !warnings.is_empty() {
        let b = Batch {
            warnings,
            ..Batch::default()
        };
        decoded.batches.insert(0, b);
    }
    Ok(decoded)
}
