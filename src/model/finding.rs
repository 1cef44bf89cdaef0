//! Findings: what is wrong with a trace, said with the numbers and pointing at spans.
//! Plain data here; `analysis::findings` decides them.

/// What kind of problem a finding reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// The deepest failed span of a failure chain.
    FailureOrigin,
    /// A tool failed or returned nothing, the model carried on and the run ended OK.
    ContinuedAfterFailure,
    /// A tool or retrieval that succeeded with an empty result.
    EmptyResult,
    /// The same tool called with the same arguments again and again.
    Loop,
    /// The same tool call made again after it failed.
    Retry,
    /// A trace far above its peers in steps, tokens or cost.
    Runaway,
    /// A step far slower than its peers.
    Slow,
    /// An answer cut off (token limit, content filter).
    Truncated,
    /// Orphans, clock skew, unfinished spans, dropped data.
    BrokenTrace,
    /// Tokens, cost and time spent in failed or repeated steps.
    Waste,
    /// LLM or tool steps without their content, and why.
    ContentMissing,
}

impl FindingKind {
    /// Every kind, failure origins first (the order `e` steps through them).
    pub const ALL: [FindingKind; 11] = [
        FindingKind::FailureOrigin,
        FindingKind::ContinuedAfterFailure,
        FindingKind::EmptyResult,
        FindingKind::Loop,
        FindingKind::Retry,
        FindingKind::Truncated,
        FindingKind::BrokenTrace,
        FindingKind::Runaway,
        FindingKind::Slow,
        FindingKind::Waste,
        FindingKind::ContentMissing,
    ];

    /// The name used in JSON and in `finding:<kind>`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::FailureOrigin => "failure_origin",
            FindingKind::ContinuedAfterFailure => "continued_after_failure",
            FindingKind::EmptyResult => "empty_result",
            FindingKind::Loop => "loop",
            FindingKind::Retry => "retry",
            FindingKind::Runaway => "runaway",
            FindingKind::Slow => "slow",
            FindingKind::Truncated => "truncated",
            FindingKind::BrokenTrace => "broken_trace",
            FindingKind::Waste => "waste",
            FindingKind::ContentMissing => "content_missing",
        }
    }

    /// A word or two for a badge on a tree row.
    pub fn short(self) -> &'static str {
        match self {
            FindingKind::FailureOrigin => "origin",
            FindingKind::ContinuedAfterFailure => "carried on",
            FindingKind::EmptyResult => "empty",
            FindingKind::Loop => "loop",
            FindingKind::Retry => "retry",
            FindingKind::Runaway => "runaway",
            FindingKind::Slow => "slow",
            FindingKind::Truncated => "cut off",
            FindingKind::BrokenTrace => "broken",
            FindingKind::Waste => "waste",
            FindingKind::ContentMissing => "no content",
        }
    }

    /// Parses a name as [`FindingKind::as_str`] prints it (`-` for `_` too).
    pub fn parse(s: &str) -> Option<FindingKind> {
        let s = s.replace('-', "_");
        FindingKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(&s))
    }

    /// Its bit in a span's finding mask.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Something failed.
    Error,
    /// Probably wrong: worth a look.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// Lower-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Parses a name as [`Severity::as_str`] prints it.
    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::Error, Severity::Warning, Severity::Info]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One finding about one trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The trace (index in the set).
    pub trace: u32,
    /// What it is.
    pub kind: FindingKind,
    /// How bad.
    pub severity: Severity,
    /// The spans it points at (indices in the set), the one to look at first; empty
    /// for a store's trace list, which holds no spans.
    pub spans: Vec<u32>,
    /// The ids of those spans (kept where the spans are not loaded).
    pub ids: Vec<super::SpanId>,
    /// One line with the numbers (untrusted text inside: sanitize to print).
    pub message: String,
}
