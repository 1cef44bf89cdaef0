//! The in-memory trace model: one arena of spans for everything loaded, with string
//! interning, compact attributes, an iteratively built tree per trace, per-trace
//! aggregates and an integrity report. Decoders produce [`Batch`]es; [`TraceSet::build`]
//! merges them.

mod batch;
mod build;
mod compact;
mod finding;
mod ids;
mod intern;
mod span;
mod span_index;
mod step;
mod value;
mod warning;

/// The attribute a span and a later log record about its response share: how a
/// record without span ids finds its span when the set is built.
pub const RESPONSE_ID: &str = "gen_ai.response.id";

pub use batch::{Batch, Checkpoint, LogEvent};
pub use build::Growth;
pub use finding::{Finding, FindingKind, Severity};
pub use ids::{Hex, IdError, SpanId, TraceId, decode_id, id_from_bytes};
pub use intern::{INTERN_MAX, Interner, Sym, Txt};
pub use span::{Event, Link, Marks, NONE, Resource, Scope, Slice, Span, SpanKind, StatusCode};
pub use step::{CostSource, Step, StepKind, Tokens};
pub use value::{Attr, AttrValue};
pub use warning::{Position, Warning};

use rustc_hash::FxHashMap;

/// Outcome of a trace or span, worst first when sorted descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Outcome {
    /// Nothing wrong.
    #[default]
    Ok,
    /// Something suspicious but not failed.
    Warning,
    /// Failed.
    Error,
}

impl Outcome {
    /// Lower-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warning => "warning",
            Outcome::Error => "error",
        }
    }
}

/// One trace: where its spans are and its aggregates.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Trace id.
    pub id: TraceId,
    /// Spans in tree pre-order (indices into [`TraceSet::order`]).
    pub spans: Slice,
    /// Root spans, by start time (indices into [`TraceSet::roots`]).
    pub roots: Slice,
    /// The main root: the earliest true root, else the earliest orphan.
    pub root: u32,
    /// Name of the main root.
    pub root_name: Sym,
    /// `service.name` of the main root's resource.
    pub service: Sym,
    /// Earliest span start, Unix ns.
    pub start: u64,
    /// Latest span end, Unix ns (at least `start`).
    pub end: u64,
    /// Number of spans.
    pub span_count: u32,
    /// Failed spans (status ERROR, or another failure signal of the step).
    pub error_count: u32,
    /// Spans with a warning (truncated output, filtered content, empty result…).
    pub warning_count: u32,
    /// Integrity counts for this trace.
    pub integrity: Integrity,
    /// Conversation / session id (the best-ranked one found on any span).
    pub session: Sym,
    /// Agent name: the root's, else the first agent step's.
    pub agent_name: Sym,
    /// End user: the root's, else the first one found on any span.
    pub user: Sym,
    /// LLM steps.
    pub llm_calls: u32,
    /// Tool steps.
    pub tool_calls: u32,
    /// Tokens summed over billable leaf steps only.
    pub tokens: Tokens,
    /// Known cost summed over billable leaf steps.
    pub cost_usd: f64,
    /// Billable leaf steps.
    pub billable_steps: u32,
    /// Billable leaf steps whose cost is unknown.
    pub unpriced_steps: u32,
    /// Billable leaf steps whose cost the span itself carried (billed, not
    /// estimated); `None` when not known (a trace listed from a store's summaries).
    pub provided_steps: Option<u32>,
}

impl Trace {
    /// Wall-clock duration in nanoseconds.
    pub fn duration_ns(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// The trace's outcome.
    pub fn outcome(&self) -> Outcome {
        if self.error_count > 0 {
            Outcome::Error
        } else if self.warning_count > 0 {
            Outcome::Warning
        } else {
            Outcome::Ok
        }
    }

    /// The cost when it is known for every billable step; `None` when there is
    /// nothing billable or nothing could be priced.
    pub fn cost(&self) -> Option<f64> {
        (self.billable_steps > self.unpriced_steps).then_some(self.cost_usd)
    }

    /// True when some billable steps could not be priced (the cost is a lower bound).
    pub fn cost_is_partial(&self) -> bool {
        self.unpriced_steps > 0 && self.billable_steps > self.unpriced_steps
    }

    /// Billable leaf steps by where their cost came from: (provided by the span,
    /// priced from the table, unknown); `None` when that is not known.
    pub fn cost_sources(&self) -> Option<(u32, u32, u32)> {
        let provided = self.provided_steps?;
        let priced = self
            .billable_steps
            .saturating_sub(self.unpriced_steps)
            .saturating_sub(provided);
        Some((provided, priced, self.unpriced_steps))
    }

    /// Root name, or the agent name when the root is unnamed.
    pub fn display_name(&self) -> Sym {
        if self.root_name.is_empty() {
            self.agent_name
        } else {
            self.root_name
        }
    }
}

/// Counts of structural problems, per trace and for the whole set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Integrity {
    /// Spans whose parent never arrived (kept as roots).
    pub orphans: u32,
    /// Parent cycles that were broken.
    pub cycles: u32,
    /// Spans outside their parent's time range.
    pub clock_skew: u32,
    /// Spans with no end, or an end before the start.
    pub unfinished: u32,
    /// Extra copies of an already seen span that were merged away.
    pub duplicates: u32,
    /// Attributes, events and links the producer reported as dropped.
    pub dropped: u64,
}

impl Integrity {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        *self == Integrity::default()
    }

    /// The span-level counts with the label of their mark (as `is:` and `[…]` name
    /// them), in display order.
    pub fn counts(&self) -> [(u32, &'static str); 5] {
        Marks::LABELS.map(|(flag, label)| (self.count_of(flag), label))
    }

    /// How many spans carry the mark `flag` (one of the `Marks` flags).
    pub fn count_of(&self, flag: u8) -> u32 {
        match flag {
            Marks::ORPHAN => self.orphans,
            Marks::CYCLE_BROKEN => self.cycles,
            Marks::CLOCK_SKEW => self.clock_skew,
            Marks::UNFINISHED => self.unfinished,
            Marks::DUPLICATE => self.duplicates,
            _ => 0,
        }
    }

    fn add(&mut self, o: &Integrity) {
        self.orphans += o.orphans;
        self.cycles += o.cycles;
        self.clock_skew += o.clock_skew;
        self.unfinished += o.unfinished;
        self.duplicates += o.duplicates;
        self.dropped += o.dropped;
    }
}

/// Everything loaded: spans of all traces in one arena.
#[derive(Clone, Debug, Default)]
pub struct TraceSet {
    /// The string table.
    pub strings: Interner,
    /// All spans.
    pub spans: Vec<Span>,
    /// Attribute arena.
    pub attrs: Vec<Attr>,
    /// Event arena.
    pub events: Vec<Event>,
    /// Link arena.
    pub links: Vec<Link>,
    /// Resources.
    pub resources: Vec<Resource>,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Children arena: span indices, each span's children contiguous and by start.
    pub children: Vec<u32>,
    /// Span indices of every trace in tree pre-order, trace after trace.
    pub order: Vec<u32>,
    /// Root span indices, trace after trace.
    pub roots: Vec<u32>,
    /// Traces in first-seen order.
    pub traces: Vec<Trace>,
    /// Index of a trace by id.
    pub trace_index: FxHashMap<TraceId, u32>,
    /// Index of a span by trace and span id ([`TraceSet::span_at`]).
    pub span_index: span_index::SpanIndex,
    /// Input names, indexed by [`Span::source`].
    pub sources: Vec<String>,
    /// The format each source was read as, in words (same index as `sources`; empty
    /// when the set did not come from reading inputs).
    pub source_formats: Vec<String>,
    /// Integrity totals.
    pub integrity: Integrity,
    /// Load warnings, in input order.
    pub warnings: Vec<Warning>,
    /// Log records whose span is not (yet) in the set: a live view keeps them for
    /// the spans that arrive later; loaders of finished inputs warn about them.
    pub unattached_logs: Vec<LogEvent>,
    /// The derived agent step of every span (same index as `spans`); empty until
    /// `semconv::annotate` has run.
    pub steps: Vec<Step>,
    /// Per span, how good a session id its step carries (lower is better; same
    /// index as `spans`): kept so a set grown in place rolls sessions up again
    /// without deriving every step anew.
    pub session_ranks: Vec<u8>,
    /// Traces of each session id, in start order.
    pub sessions: FxHashMap<Sym, Vec<u32>>,
    /// Findings, trace after trace (most severe first within a trace); empty until
    /// `analysis::findings::derive` has run.
    pub findings: Vec<Finding>,
    /// Spans held when the findings of every trace were last derived (a set grown in
    /// place derives only the traces that changed, and all of them again later).
    pub findings_basis: usize,
    /// Per trace, the range of its findings in `findings`.
    pub trace_findings: Vec<std::ops::Range<u32>>,
    /// Per span, the [`FindingKind::bit`]s of the findings pointing at it.
    pub finding_marks: Vec<u16>,
    /// The date of the price table the costs were estimated with ("" when unknown).
    pub prices_as_of: String,
    /// Seconds spent in each load phase (read+decode, build, semantics), for
    /// `AGTRACE_STATS` and benchmarks.
    pub timings: Vec<(&'static str, f64)>,
    /// The process's peak memory after each load phase, KiB (`AGTRACE_STATS`).
    pub phase_peaks_kb: Vec<(&'static str, u64)>,
}

impl TraceSet {
    /// The format source `i` was read as, or "" when not known.
    pub fn source_format(&self, i: u32) -> &str {
        self.source_formats
            .get(i as usize)
            .map_or("", String::as_str)
    }

    /// A string from the table.
    pub fn str(&self, sym: Sym) -> &str {
        self.strings.get(sym)
    }

    /// The index of the span with these ids.
    pub fn span_at(&self, trace: TraceId, span: SpanId) -> Option<u32> {
        self.span_index.get(&self.spans, trace, span)
    }

    /// A span's attributes.
    pub fn span_attrs(&self, span: &Span) -> &[Attr] {
        &self.attrs[span.attrs.range()]
    }

    /// A span's events.
    pub fn span_events(&self, span: &Span) -> &[Event] {
        &self.events[span.events.range()]
    }

    /// A span's links.
    pub fn span_links(&self, span: &Span) -> &[Link] {
        &self.links[span.links.range()]
    }

    /// A span's children, by start time.
    pub fn children_of(&self, span: &Span) -> &[u32] {
        &self.children[span.children.range()]
    }

    /// The spans of a trace in tree pre-order.
    pub fn trace_spans(&self, trace: &Trace) -> &[u32] {
        &self.order[trace.spans.range()]
    }

    /// The inputs a trace's spans were read from, in input order.
    pub fn trace_sources(&self, trace: &Trace) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for &i in self.trace_spans(trace) {
            let src = self.spans[i as usize].source;
            if !out.contains(&src) {
                out.push(src);
            }
        }
        out.sort_unstable();
        out
    }

    /// The roots of a trace, by start time.
    pub fn trace_roots(&self, trace: &Trace) -> &[u32] {
        &self.roots[trace.roots.range()]
    }

    /// The attribute value for `key` on a span, if present.
    pub fn span_attr(&self, span: &Span, key: &str) -> Option<&AttrValue> {
        let sym = self.strings.lookup(key)?;
        self.span_attrs(span)
            .iter()
            .find(|a| a.key == sym)
            .map(|a| &a.value)
    }

    /// The step of span `i` (a default step before annotation).
    pub fn step(&self, i: u32) -> Step {
        self.steps.get(i as usize).copied().unwrap_or_default()
    }

    /// The `service.name` of a span's resource.
    pub fn service_of(&self, span: &Span) -> &str {
        self.resources
            .get(span.resource as usize)
            .map(|r| self.str(r.service))
            .unwrap_or("")
    }

    /// Approximate heap bytes held, by part (for `AGTRACE_STATS` and benchmarks).
    pub fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        use std::mem::size_of;
        fn deep(v: &AttrValue) -> usize {
            match v {
                AttrValue::Bytes(b) => 24 + b.capacity(),
                AttrValue::Array(a) => {
                    24 + a
                        .iter()
                        .map(|x| size_of::<AttrValue>() + deep(x))
                        .sum::<usize>()
                }
                AttrValue::KvList(a) => {
                    24 + a
                        .iter()
                        .map(|x| size_of::<(Sym, AttrValue)>() + deep(&x.1))
                        .sum::<usize>()
                }
                _ => 0,
            }
        }
        vec![
            ("spans", self.spans.capacity() * size_of::<Span>()),
            (
                "attrs",
                self.attrs.capacity() * size_of::<Attr>()
                    + self.attrs.iter().map(|a| deep(&a.value)).sum::<usize>(),
            ),
            (
                "events+links",
                self.events.capacity() * size_of::<Event>()
                    + self.links.capacity() * size_of::<Link>(),
            ),
            ("strings", self.strings.heap_bytes()),
            ("span_index", self.span_index.heap_bytes()),
            (
                "tree",
                (self.children.capacity() + self.order.capacity() + self.roots.capacity()) * 4,
            ),
            (
                "traces",
                self.traces.capacity() * size_of::<Trace>() + self.trace_index.capacity() * 24,
            ),
        ]
    }

    /// The traces whose hex id starts with `prefix` (case-insensitive).
    pub fn find_traces(&self, prefix: &str) -> Vec<u32> {
        let prefix = prefix.to_ascii_lowercase();
        (0..self.traces.len() as u32)
            .filter(|&t| {
                let id = &self.traces[t as usize].id;
                id.to_string().starts_with(prefix.as_str())
                    || id.listed().starts_with(prefix.as_str())
            })
            .collect()
    }
}

/// The shortest prefix length (at least 8 hex digits) at which every trace id in the set
/// is unique, so short ids in listings can be pasted back into `show`.
pub fn short_id_len(set: &TraceSet) -> usize {
    let mut ids: Vec<String> = set.traces.iter().map(|t| t.id.listed()).collect();
    ids.sort_unstable();
    let mut need = 8;
    for w in ids.windows(2) {
        let common = w[0]
            .bytes()
            .zip(w[1].bytes())
            .take_while(|(a, b)| a == b)
            .count();
        need = need.max(common + 1);
    }
    need.min(32)
}
