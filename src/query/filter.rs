//! The filter language shared by the TUI and the CLI (`--filter`):
//! space-separated terms that must all hold, `-term` negates, `a | b` is or, quotes
//! group spaces. Terms: `status:error|warn|ok`, `kind:tool`, `tool:NAME`,
//! `model:gpt-4o*`, `provider:`, `session:`, `trace:PREFIX`, `span:PREFIX`, `user:`,
//! `agent:`, `service:`, `name:`, `finish:length`, `dur>2s`, `tokens>10k`,
//! `cost>0.05` (also `<`, `>=`, `<=`, `=`), `attr.KEY=VALUE` or `attr.KEY` (present),
//! and bare words (fuzzy match on span, tool and model names, or an id prefix).
//! Values may use `*` as a wildcard; matching ignores case.

use super::parse_duration;
use crate::analysis::outline;
use crate::analysis::steptime::step_time;
use crate::model::{Marks, Outcome, StepKind, Sym, TraceSet};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use std::cell::RefCell;

/// A parse error, with the offending term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter term {term:?}: {message}")]
pub struct FilterError {
    /// The term as written.
    pub term: String,
    /// What is wrong with it.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Eq => a == b,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Tool,
    Model,
    Provider,
    Session,
    User,
    Agent,
    Service,
    Name,
    Finish,
}

#[derive(Clone, Debug, PartialEq)]
enum Pred {
    Status(Outcome),
    Kind(StepKind),
    Text(Field, Pattern),
    TraceId(String),
    SpanId(String),
    Duration(Cmp, u64),
    Tokens(Cmp, u64),
    Cost(Cmp, f64),
    Attr(String, Option<Pattern>),
    Fuzzy(String),
    /// This session id exactly (from `--session`), as a store's index looks it up.
    SessionIs(String),
    /// Text anywhere in the span (`text:timeout`): status and exception messages,
    /// prompts, completions, tool payloads; lower case.
    FullText(String),
    /// A step's own time (`self>2s`): see `analysis::steptime`.
    SelfTime(Cmp, u64),
    /// An integrity mark of the span (`is:orphan`…), one of the `Marks` flags.
    Mark(u8),
    /// A finding points at the span (`finding:loop`), its `FindingKind::bit`.
    Finding(u16),
}

impl Pred {
    /// `tokens` and `cost` compare totals: a trace's in the trace list, a span's own
    /// (or its subtree's, when it has none of its own) in a tree.
    fn is_total(&self) -> bool {
        matches!(self, Pred::Tokens(..) | Pred::Cost(..))
    }
}

/// The filter language, one row per term form: what to type and what it selects.
/// `agtrace help filter` prints it and a test parses every example in it.
pub const REFERENCE: &[(&str, &str)] = &[
    (
        "status:error status:warn status:ok",
        "the step's outcome (is:error, is:warn, is:ok say the same)",
    ),
    (
        "is:orphan is:unfinished is:skew is:cycle is:duplicate",
        "integrity marks: parent never arrived, no end time, outside its parent's time, parent cycle cut, received more than once",
    ),
    (
        "finding:failure_origin finding:continued_after_failure finding:empty_result finding:loop finding:runaway finding:slow finding:truncated finding:broken_trace finding:waste finding:content_missing",
        "the spans a finding points at (agtrace help findings)",
    ),
    (
        "kind:agent kind:llm kind:tool kind:retrieval kind:embedding kind:rerank kind:guardrail kind:chain kind:other",
        "the step kind",
    ),
    (
        "tool:search_*",
        "tool name (a glob: * matches anything; case-insensitive)",
    ),
    ("model:gpt-4o*", "model: response or request model (glob)"),
    ("provider:openai", "model provider (glob)"),
    ("session:conv-88*", "session / conversation id (glob)"),
    (
        "user:u-12 agent:router service:checkout name:chat*",
        "end user, agent name, service.name, span name (globs)",
    ),
    ("finish:length", "a finish reason containing this"),
    ("trace:4bf9 span:a000", "trace or span id prefix"),
    (
        "dur>2s dur<=500ms dur=0",
        "the span's duration (ms, s, m, h; > >= < <= =)",
    ),
    (
        "self>=2s",
        "the step's own time: a call's whole duration, a wrapper's time its children do not cover (what s and ls --slow select)",
    ),
    (
        "tokens>10k",
        "input + output tokens: in the trace list a trace's total; in a tree a span's own, else its subtree's (k, M)",
    ),
    (
        "cost>0.05 cost>$0.05",
        "cost in USD, on the same footing as tokens; an unknown cost meets no comparison",
    ),
    (
        "attr.http.response.status_code=503 attr.error.type",
        "an attribute equal to a value (glob), or present",
    ),
    (
        "text:timeout text:\"connection reset\"",
        "text anywhere in the span, ignoring case: status and exception messages, prompts and completions, tool arguments and results, every attribute value (a store answers it from its text index)",
    ),
    (
        "refund \"two words\"",
        "bare words: fuzzy match on span, tool and model names and session ids; 4+ hex digits also match id prefixes",
    ),
    (
        "-status:ok",
        "a leading - negates a term (on the command line: --filter -status:ok works)",
    ),
    (
        "kind:tool status:error",
        "terms side by side: all must hold (for the same span)",
    ),
    (
        "status:error | finish:length",
        "| separates alternatives: either group",
    ),
];

/// The keys of `key:value` terms, for the unknown-key error.
const KEYS: &[&str] = &[
    "status", "is", "kind", "tool", "model", "provider", "session", "user", "agent", "service",
    "name", "finish", "text", "finding", "trace", "span",
];

/// A case-insensitive glob (`*` matches anything).
#[derive(Clone, Debug, PartialEq)]
struct Pattern {
    parts: Vec<String>,
    anchored_start: bool,
    anchored_end: bool,
}

impl Pattern {
    fn new(p: &str) -> Pattern {
        let lower = p.to_lowercase();
        Pattern {
            anchored_start: !lower.starts_with('*'),
            anchored_end: !lower.ends_with('*'),
            parts: lower
                .split('*')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    fn matches(&self, s: &str) -> bool {
        let s = s.to_lowercase();
        if self.parts.is_empty() {
            return !self.anchored_start || s.is_empty();
        }
        let mut pos = 0;
        for (k, part) in self.parts.iter().enumerate() {
            let found = if k == 0 && self.anchored_start {
                s.starts_with(part.as_str()).then_some(0)
            } else {
                s[pos..].find(part.as_str()).map(|f| f + pos)
            };
            match found {
                Some(f) => pos = f + part.len(),
                None => return false,
            }
        }
        !self.anchored_end
            || pos == s.len()
            || self.parts.last().is_some_and(|l| s.ends_with(l.as_str()))
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Term {
    negate: bool,
    pred: Pred,
    /// The term as written (quoted again where it holds spaces), so a filter changed
    /// by a toggle can be shown as text.
    text: String,
}

/// A parsed filter: an or of and-groups.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Filter {
    groups: Vec<Vec<Term>>,
    /// The text it was parsed from.
    pub source: String,
}

/// A token as it must be written to parse back the same (quoted when it holds spaces).
fn quote(tok: &str) -> String {
    if tok.contains(char::is_whitespace) {
        match tok.split_once(':') {
            Some((k, v)) if !k.contains(char::is_whitespace) => format!("{k}:\"{v}\""),
            _ => format!("\"{tok}\""),
        }
    } else {
        tok.to_owned()
    }
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `10k` → 10000, `1.5M` → 1500000.
fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1e3),
        'm' => (&s[..s.len() - 1], 1e6),
        _ => (&s[..], 1.0),
    };
    let v: f64 = num.parse().ok()?;
    (v >= 0.0).then_some((v * mult) as u64)
}

fn parse_term(tok: &str) -> Result<Term, FilterError> {
    let err = |m: &str| FilterError {
        term: tok.to_owned(),
        message: m.to_owned(),
    };
    let (negate, body) = match tok.strip_prefix('-') {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, tok),
    };
    // Comparisons: dur>2s, tokens>=10k, cost<0.05
    for (op, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
    ] {
        if let Some((k, v)) = body.split_once(op) {
            return Ok(Term {
                negate,
                pred: numeric(k, cmp, v).ok_or_else(|| err("expected dur, self, tokens or cost with a number, e.g. dur>2s, self>2s, tokens>10k, cost>0.05"))?,
                text: String::new(),
            });
        }
    }
    if let Some(rest) = body.strip_prefix("attr.") {
        let (k, v) = match rest.split_once('=') {
            Some((k, v)) => (k, Some(Pattern::new(v))),
            None => (rest, None),
        };
        if k.is_empty() {
            return Err(err("expected attr.KEY=VALUE or attr.KEY"));
        }
        return Ok(Term {
            negate,
            pred: Pred::Attr(k.to_owned(), v),
            text: String::new(),
        });
    }
    if let Some((k, v)) = body.split_once('=')
        && let Some(p) = numeric(k, Cmp::Eq, v)
    {
        return Ok(Term {
            negate,
            pred: p,
            text: String::new(),
        });
    }
    if let Some((k, v)) = body.split_once(':') {
        let pred = match k.to_ascii_lowercase().as_str() {
            "status" => Pred::Status(match v.to_ascii_lowercase().as_str() {
                "error" | "err" | "failed" | "fail" => Outcome::Error,
                "warn" | "warning" => Outcome::Warning,
                "ok" => Outcome::Ok,
                _ => return Err(err("expected status:error, status:warn or status:ok")),
            }),
            "kind" => Pred::Kind(StepKind::parse(v).ok_or_else(|| {
                err("expected kind:agent|llm|tool|retrieval|embedding|rerank|guardrail|chain|other")
            })?),
            "tool" => Pred::Text(Field::Tool, Pattern::new(v)),
            "model" => Pred::Text(Field::Model, Pattern::new(v)),
            "provider" => Pred::Text(Field::Provider, Pattern::new(v)),
            "session" => Pred::Text(Field::Session, Pattern::new(v)),
            "user" => Pred::Text(Field::User, Pattern::new(v)),
            "agent" => Pred::Text(Field::Agent, Pattern::new(v)),
            "service" => Pred::Text(Field::Service, Pattern::new(v)),
            "name" => Pred::Text(Field::Name, Pattern::new(v)),
            "finish" => Pred::Text(Field::Finish, Pattern::new(&format!("*{v}*"))),
            "is" => match v.to_ascii_lowercase().as_str() {
                "error" | "err" | "failed" => Pred::Status(Outcome::Error),
                "warn" | "warning" => Pred::Status(Outcome::Warning),
                "ok" => Pred::Status(Outcome::Ok),
                "orphan" | "orphaned" => Pred::Mark(Marks::ORPHAN),
                "unfinished" => Pred::Mark(Marks::UNFINISHED),
                "skew" | "clock-skew" => Pred::Mark(Marks::CLOCK_SKEW),
                "cycle" | "cycle-broken" => Pred::Mark(Marks::CYCLE_BROKEN),
                "duplicate" | "dup" => Pred::Mark(Marks::DUPLICATE),
                _ => {
                    return Err(err(
                        "expected is:error, is:warn, is:ok, is:orphan, is:unfinished, is:skew, is:cycle or is:duplicate",
                    ));
                }
            },
            "text" => Pred::FullText(v.to_lowercase()),
            "finding" => match crate::model::FindingKind::parse(v) {
                Some(k) => Pred::Finding(k.bit()),
                None => {
                    let kinds: Vec<&str> = crate::model::FindingKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect();
                    return Err(err(&format!(
                        "expected finding:{}",
                        kinds.join(", finding:")
                    )));
                }
            },
            "trace" => Pred::TraceId(v.to_ascii_lowercase()),
            "span" => Pred::SpanId(v.to_ascii_lowercase()),
            _ => {
                return Err(err(&format!(
                    "unknown key: expected {}:…, attr.KEY=…, or a comparison dur>, self>, tokens>, cost> (agtrace help filter)",
                    KEYS.join(":…, ")
                )));
            }
        };
        return Ok(Term {
            negate,
            pred,
            text: String::new(),
        });
    }
    Ok(Term {
        negate,
        pred: Pred::Fuzzy(body.to_owned()),
        text: String::new(),
    })
}

fn numeric(k: &str, cmp: Cmp, v: &str) -> Option<Pred> {
    match k.trim().to_ascii_lowercase().as_str() {
        "dur" | "duration" => Some(Pred::Duration(cmp, parse_duration(v)?)),
        "self" => Some(Pred::SelfTime(cmp, parse_duration(v)?)),
        "tokens" => Some(Pred::Tokens(cmp, parse_count(v)?)),
        "cost" => Some(Pred::Cost(
            cmp,
            v.trim().trim_start_matches('$').parse().ok()?,
        )),
        _ => None,
    }
}

impl Filter {
    /// Parses a filter expression. An empty expression matches everything.
    pub fn parse(s: &str) -> Result<Filter, FilterError> {
        let mut groups = vec![Vec::new()];
        for tok in tokenize(s) {
            if tok == "|" {
                groups.push(Vec::new());
                continue;
            }
            if let Some(g) = groups.last_mut() {
                let mut term = parse_term(&tok)?;
                term.text = quote(&tok);
                g.push(term);
            }
        }
        groups.retain(|g| !g.is_empty());
        Ok(Filter {
            groups,
            source: s.trim().to_owned(),
        })
    }

    /// True when the filter has no terms.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The bare words, for highlighting fuzzy matches.
    pub fn fuzzy_words(&self) -> Vec<&str> {
        self.groups
            .iter()
            .flatten()
            .filter_map(|t| match (&t.pred, t.negate) {
                (Pred::Fuzzy(w), false) => Some(w.as_str()),
                _ => None,
            })
            .collect()
    }

    /// A matcher bound to one trace set (with per-string caches).
    pub fn matcher<'a>(&'a self, set: &'a TraceSet) -> Matcher<'a> {
        Matcher {
            filter: self,
            set,
            memo: RefCell::new(vec![Vec::new(); self.term_count()]),
            text_hits: std::cell::OnceCell::new(),
            fuzzy: SkimMatcherV2::default().ignore_case(),
            subtrees: RefCell::new(SubtreeSums::default()),
        }
    }

    fn term_count(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }

    /// Rewrites `source` from the terms (after a structural change).
    fn rewrite_source(&mut self) {
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        self.source = groups.join(" | ");
    }

    /// This filter and also `term` (added to every or-group).
    fn and_term(mut self, term: Term) -> Filter {
        if self.groups.is_empty() {
            self.groups.push(Vec::new());
        }
        for g in &mut self.groups {
            g.push(term.clone());
        }
        self.rewrite_source();
        self
    }

    /// This filter and also the terms of `text`; an error names the bad term.
    pub fn and(self, text: &str) -> Result<Filter, FilterError> {
        let extra = Filter::parse(text)?;
        let mut out = self;
        for g in extra.groups {
            for t in g {
                out = out.and_term(t);
            }
        }
        Ok(out)
    }

    /// This filter and only failed steps (`status:error`): what "failed only" means.
    pub fn and_failed(self) -> Filter {
        self.and_term(Term {
            negate: false,
            pred: Pred::Status(Outcome::Error),
            text: "status:error".into(),
        })
    }

    /// This filter and only steps whose own time is at least `ns` (`self>=…`): what
    /// "slow" means — the slow step, not the run around it.
    pub fn and_slow_steps(self, ns: u64) -> Filter {
        self.and_term(Term {
            negate: false,
            pred: Pred::SelfTime(Cmp::Ge, ns),
            text: format!("self>={}", super::duration_term(ns)),
        })
    }

    /// The slow-step threshold when every or-group holds the same `self>=…` term.
    pub fn slow_steps(&self) -> Option<u64> {
        let per_group: Vec<Option<u64>> = self
            .groups
            .iter()
            .map(|g| {
                g.iter().find_map(|t| match t.pred {
                    Pred::SelfTime(Cmp::Ge, ns) if !t.negate => Some(ns),
                    _ => None,
                })
            })
            .collect();
        match per_group.first() {
            Some(Some(ns)) if per_group.iter().all(|x| *x == Some(*ns)) => Some(*ns),
            _ => None,
        }
    }

    /// This filter without `self>=…` terms.
    pub fn without_slow_steps(self) -> Filter {
        self.without(|t| !t.negate && matches!(t.pred, Pred::SelfTime(Cmp::Ge, _)))
    }

    /// This filter and only the session with exactly this id (`session:ID`, no
    /// wildcards).
    pub fn and_session(self, id: &str) -> Filter {
        self.and_term(Term {
            negate: false,
            pred: Pred::SessionIs(id.to_owned()),
            text: quote(&format!("session:{id}")),
        })
    }

    /// True when every or-group requires a failed step (`status:error`).
    pub fn is_failed_only(&self) -> bool {
        !self.groups.is_empty()
            && self.groups.iter().all(|g| {
                g.iter()
                    .any(|t| !t.negate && t.pred == Pred::Status(Outcome::Error))
            })
    }

    /// This filter without `status:error` terms.
    pub fn without_failed(self) -> Filter {
        self.without(|t| !t.negate && t.pred == Pred::Status(Outcome::Error))
    }

    fn without(mut self, drop: impl Fn(&Term) -> bool) -> Filter {
        for g in &mut self.groups {
            g.retain(|t| !drop(t));
        }
        self.groups.retain(|g| !g.is_empty());
        self.rewrite_source();
        self
    }

    /// True when some term asks what the findings point at (`finding:loop`): the
    /// findings must be decided before the filter runs.
    pub fn reads_findings(&self) -> bool {
        self.groups
            .iter()
            .flatten()
            .any(|t| matches!(t.pred, Pred::Finding(_)))
    }

    /// True when a trace-summary row (no spans: a store's traces table) is enough to
    /// decide every term; otherwise the spans must be read.
    pub fn decidable_on_summaries(&self) -> bool {
        self.groups
            .iter()
            .flatten()
            .all(|t| !t.negate && trace_level_known(&t.pred))
    }

    /// What a text index can narrow this filter to: per group, the needles of its
    /// positive `text:` terms (lower case) that are ASCII, where an index and the
    /// exact matcher fold case alike. `None` when some group has none: then only
    /// reading every span answers it.
    pub fn index_needles(&self) -> Option<Vec<Vec<&str>>> {
        if self.groups.is_empty() {
            return None;
        }
        self.groups
            .iter()
            .map(|g| {
                let needles: Vec<&str> = g
                    .iter()
                    .filter(|t| !t.negate)
                    .filter_map(|t| match &t.pred {
                        Pred::FullText(n) if !n.is_empty() && n.is_ascii() => Some(n.as_str()),
                        _ => None,
                    })
                    .collect();
                (!needles.is_empty()).then_some(needles)
            })
            .collect()
    }

    /// Conditions a trace-summary query can apply before reading rows (all must hold).
    /// A superset of the matches: the exact test runs after, in memory.
    pub fn summary_conditions(&self) -> Vec<TraceCond> {
        let [group] = self.groups.as_slice() else {
            return Vec::new();
        };
        group
            .iter()
            .filter(|t| !t.negate)
            .filter_map(|t| match &t.pred {
                Pred::Status(Outcome::Error) => Some(TraceCond::Failed),
                Pred::SessionIs(s) => Some(TraceCond::Session(s.clone())),
                Pred::Duration(Cmp::Ge | Cmp::Gt, ns) => Some(TraceCond::MinDuration(*ns)),
                _ => None,
            })
            .collect()
    }
}

/// A filter term a trace backend can evaluate (a superset of the matches: the exact
/// filter runs on what comes back). Globs are case-insensitive, `*` any text.
#[derive(Clone, Debug, PartialEq)]
pub enum Pushdown {
    /// The trace has a failed span.
    Failed,
    /// This session id exactly.
    Session(String),
    /// A span lasts at least this long (ns): the trace does.
    MinDuration(u64),
    /// The service name matches.
    Service(Glob),
    /// A span's model matches.
    Model(Glob),
    /// A span's tool name matches.
    Tool(Glob),
    /// A span's name matches.
    Name(Glob),
    /// The trace id starts with this (lower-case hex).
    TraceId(String),
}

/// A case-insensitive glob, as a backend query writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    /// The literal pieces between `*`s, lower case.
    pub parts: Vec<String>,
    /// No `*` before the first piece.
    pub anchored_start: bool,
    /// No `*` after the last piece.
    pub anchored_end: bool,
}

impl Glob {
    /// The text itself when there is no `*`.
    pub fn exact(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [one] if self.anchored_start && self.anchored_end => Some(one),
            [] if self.anchored_start && self.anchored_end => Some(""),
            _ => None,
        }
    }

    /// A SQL `LIKE` pattern (`%` for `*`; `%`, `_` and `\` escaped).
    pub fn like(&self) -> String {
        let esc = |p: &str| {
            p.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        };
        let mut out = String::new();
        if !self.anchored_start {
            out.push('%');
        }
        out.push_str(
            &self
                .parts
                .iter()
                .map(|p| esc(p))
                .collect::<Vec<_>>()
                .join("%"),
        );
        if !self.anchored_end && !out.ends_with('%') {
            out.push('%');
        }
        out
    }

    /// A regular expression (RE2 syntax, case-insensitive) for the whole value.
    pub fn regex(&self) -> String {
        let esc = |p: &str| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == ' ' || c == '_' || c == '-' {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect::<String>()
        };
        format!(
            "(?i){}{}{}",
            if self.anchored_start { "" } else { ".*" },
            self.parts
                .iter()
                .map(|p| esc(p))
                .collect::<Vec<_>>()
                .join(".*"),
            if self.anchored_end { "" } else { ".*" }
        )
    }
}

impl Pattern {
    fn glob(&self) -> Glob {
        Glob {
            parts: self.parts.clone(),
            anchored_start: self.anchored_start,
            anchored_end: self.anchored_end,
        }
    }
}

impl Filter {
    /// The terms a trace backend can evaluate: those of a filter with one and-group,
    /// not negated. The whole filter still runs locally on what comes back.
    pub fn pushdown(&self) -> Vec<Pushdown> {
        let [group] = self.groups.as_slice() else {
            return Vec::new();
        };
        group
            .iter()
            .filter(|t| !t.negate)
            .filter_map(|t| match &t.pred {
                Pred::Status(Outcome::Error) => Some(Pushdown::Failed),
                Pred::SessionIs(s) => Some(Pushdown::Session(s.clone())),
                Pred::Text(Field::Session, p) => {
                    p.glob().exact().map(|s| Pushdown::Session(s.to_owned()))
                }
                Pred::Duration(Cmp::Ge | Cmp::Gt, ns) => Some(Pushdown::MinDuration(*ns)),
                Pred::Text(Field::Service, p) => Some(Pushdown::Service(p.glob())),
                Pred::Text(Field::Model, p) => Some(Pushdown::Model(p.glob())),
                Pred::Text(Field::Tool, p) => Some(Pushdown::Tool(p.glob())),
                Pred::Text(Field::Name, p) => Some(Pushdown::Name(p.glob())),
                Pred::TraceId(id) => Some(Pushdown::TraceId(id.to_ascii_lowercase())),
                _ => None,
            })
            .collect()
    }
}

/// A condition on whole traces that a store can check in SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceCond {
    /// The trace has a failed step.
    Failed,
    /// The trace's session id is exactly this.
    Session(String),
    /// The trace lasts at least this long (ns).
    MinDuration(u64),
}

/// A `tokens`/`cost` term read on a trace's totals (billable leaves summed, as in
/// `ls`); `None` for other terms. An unknown total meets no comparison.
fn total_term(p: &Pred, tr: &crate::model::Trace) -> Option<bool> {
    Some(match p {
        Pred::Tokens(c, v) => {
            let known = tr.tokens.input.is_some() || tr.tokens.output.is_some();
            known
                && c.holds(
                    tr.tokens.input.unwrap_or(0) + tr.tokens.output.unwrap_or(0),
                    *v,
                )
        }
        Pred::Cost(c, v) => tr.cost().is_some_and(|x| c.holds(x, *v)),
        _ => return None,
    })
}

/// Whether a term reads the same on a trace summary as "some span of the trace
/// matches" (so a store's traces table answers it exactly): status, trace id,
/// session, agent, and a lower bound on duration (no span outlasts its trace, and
/// the root spans the trace).
fn trace_level_known(p: &Pred) -> bool {
    match p {
        Pred::Status(_) | Pred::TraceId(_) | Pred::SessionIs(_) => true,
        Pred::Tokens(..) | Pred::Cost(..) | Pred::Mark(_) => true,
        Pred::Duration(c, _) => matches!(c, Cmp::Ge | Cmp::Gt),
        Pred::Text(f, _) => matches!(f, Field::Session | Field::Agent),
        _ => false,
    }
}

/// Per term that searches text: its lower-case needle and, for every interned
/// string, whether it holds it (one bit a string: millions of strings in a few MB,
/// so the lookup per attribute stays in cache).
pub type TextHits = Vec<(String, Bits)>;

/// A set of small integers as bits.
#[derive(Clone, Debug, Default)]
pub struct Bits(Vec<u64>);

impl Bits {
    /// Room for `n` bits, all clear.
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    /// Whether bit `i` is set (false beyond the end).
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

/// The text tables of `filter`'s terms over `set`'s interned strings, the strings
/// shared out over the cores.
fn text_hits(filter: &Filter, set: &TraceSet) -> TextHits {
    let strings = &set.strings;
    let n = strings.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, 8)
        .min(n / 100_000 + 1);
    filter
        .groups
        .iter()
        .flatten()
        .map(|t| {
            let needle = match &t.pred {
                Pred::FullText(n) => n.clone(),
                Pred::Fuzzy(w) => w.to_lowercase(),
                _ => return (String::new(), Bits::default()),
            };
            let mut table = Bits::new(n);
            // Whole words per thread, so each writes its own.
            let per = n.div_ceil(64).div_ceil(threads).max(1);
            let (buf, ends) = strings.packed();
            std::thread::scope(|sc| {
                for (part, out) in table.0.chunks_mut(per).enumerate() {
                    let needle = &needle;
                    sc.spawn(move || {
                        let first = part * per * 64;
                        let last = (first + out.len() * 64).min(n);
                        let mut set_bit =
                            |i: usize| out[(i - first) / 64] |= 1 << ((i - first) % 64);
                        if needle.is_ascii() {
                            super::text::packed_containing_ci(
                                buf,
                                &ends[..last],
                                first,
                                needle,
                                &mut set_bit,
                            );
                        } else {
                            for i in first..last {
                                if super::text::contains_ci(strings.get(Sym(i as u32)), needle) {
                                    set_bit(i);
                                }
                            }
                        }
                    });
                }
            });
            (needle, table)
        })
        .collect()
}

/// Evaluates a filter against spans of one set. String tests are cached per interned
/// string, so a filter over a million spans costs one test per distinct name.
pub struct Matcher<'a> {
    filter: &'a Filter,
    set: &'a TraceSet,
    /// Per term: per symbol 0 = unknown, 1 = no, 2 = yes.
    memo: RefCell<Vec<Vec<u8>>>,
    fuzzy: SkimMatcherV2,
    /// Per term that searches text (`text:` and bare words): its lower-case needle
    /// and, for every interned string, whether it holds it (see `text_contains`).
    text_hits: std::cell::OnceCell<std::sync::Arc<TextHits>>,
    /// Subtree token and cost sums, filled per trace when a `tokens`/`cost` term
    /// first needs them.
    subtrees: RefCell<SubtreeSums>,
}

/// What a span's subtree adds up to over its billable leaves.
#[derive(Clone, Copy, Debug, Default)]
struct SpanSum {
    tokens: Option<u64>,
    cost: Option<f64>,
}

/// Per-span subtree sums for the traces computed so far.
#[derive(Debug, Default)]
struct SubtreeSums {
    sums: Vec<SpanSum>,
    done: Vec<bool>,
}

impl SubtreeSums {
    /// Fills the sums of trace `t` from its subtree totals.
    fn fill(&mut self, set: &TraceSet, t: usize) {
        if self.sums.is_empty() {
            self.sums = vec![SpanSum::default(); set.spans.len()];
            self.done = vec![false; set.traces.len()];
        }
        let Some(tr) = set.traces.get(t) else {
            return;
        };
        self.done[t] = true;
        let order = set.trace_spans(tr);
        let (_, parent_pos) = outline::positions(set, order);
        for (p, tot) in outline::subtree_totals(set, order, &parent_pos)
            .iter()
            .enumerate()
        {
            let n = tot.input_tokens + tot.output_tokens;
            self.sums[order[p] as usize] = SpanSum {
                // As a subtree's token cell reads: nothing when its calls report none.
                tokens: (n > 0).then_some(n),
                cost: tot.cost(),
            };
        }
    }
}

impl Matcher<'_> {
    /// The subtree sums of span `i`.
    fn subtree(&self, i: u32) -> SpanSum {
        let t = self.set.spans[i as usize].trace as usize;
        let mut st = self.subtrees.borrow_mut();
        if st.done.get(t) != Some(&true) {
            st.fill(self.set, t);
        }
        st.sums.get(i as usize).copied().unwrap_or_default()
    }

    /// True when span `i` matches.
    pub fn span_matches(&self, i: u32) -> bool {
        if self.filter.groups.is_empty() {
            return true;
        }
        (0..self.filter.groups.len()).any(|g| self.group_span(g, i, false))
    }

    /// True when span `i` meets every term of group `g`; with `skip_totals`, the
    /// `tokens`/`cost` terms are left out (the caller decided them on the trace).
    fn group_span(&self, g: usize, i: u32, skip_totals: bool) -> bool {
        let base: usize = self.filter.groups[..g].iter().map(Vec::len).sum();
        self.filter.groups[g].iter().enumerate().all(|(j, t)| {
            (skip_totals && t.pred.is_total()) || self.term(base + j, t, i) != t.negate
        })
    }

    /// True when trace `t` matches: for some or-group, the trace's totals meet its
    /// `tokens`/`cost` terms and one span meets all its other terms (a group of only
    /// totals needs no span).
    pub fn trace_matches(&self, t: u32) -> bool {
        if self.filter.groups.is_empty() {
            return true;
        }
        let tr = &self.set.traces[t as usize];
        let spans = self.set.trace_spans(tr);
        if spans.is_empty() && tr.span_count > 0 {
            // A summary without spans (a store's traces table): decide on the trace.
            return self.summary_matches(tr);
        }
        self.filter.groups.iter().enumerate().any(|(g, terms)| {
            let totals_hold = terms
                .iter()
                .filter(|t| t.pred.is_total())
                .all(|term| total_term(&term.pred, tr).unwrap_or(false) != term.negate);
            totals_hold
                && (terms.iter().all(|t| t.pred.is_total())
                    || spans.iter().any(|&i| self.group_span(g, i, true)))
        })
    }

    /// Trace-level reading of the filter for a summary row (see
    /// [`Filter::decidable_on_summaries`]); terms that need spans do not match.
    fn summary_matches(&self, tr: &crate::model::Trace) -> bool {
        self.filter.groups.iter().any(|g| {
            g.iter()
                .all(|t| self.summary_term(&t.pred, tr).unwrap_or(false) != t.negate)
        })
    }

    fn summary_term(&self, p: &Pred, tr: &crate::model::Trace) -> Option<bool> {
        let set = self.set;
        Some(match p {
            Pred::Status(Outcome::Error) => tr.error_count > 0,
            Pred::Status(Outcome::Warning) => tr.warning_count > 0,
            Pred::Status(Outcome::Ok) => tr.span_count > tr.error_count + tr.warning_count,
            Pred::TraceId(prefix) => hex_starts_with(&tr.id.0, prefix),
            Pred::Duration(c, v) => c.holds(tr.duration_ns(), *v),
            Pred::Text(f, pat) => {
                let sym = match f {
                    Field::Session => tr.session,
                    Field::Agent => tr.agent_name,
                    _ => return None,
                };
                !sym.is_empty() && pat.matches(set.str(sym))
            }
            Pred::SessionIs(id) => set.str(tr.session) == id,
            Pred::Tokens(..) | Pred::Cost(..) => return total_term(p, tr),
            Pred::Mark(m) => tr.integrity.count_of(*m) > 0,
            _ => return None,
        })
    }

    fn sym_test(&self, term: usize, sym: Sym, test: impl Fn(&str) -> bool) -> bool {
        let mut memo = self.memo.borrow_mut();
        let m = &mut memo[term];
        if m.is_empty() {
            m.resize(self.set.strings.len(), 0);
        }
        match m.get(sym.0 as usize).copied() {
            Some(1) => false,
            Some(2) => true,
            Some(_) => {
                let r = test(self.set.str(sym));
                m[sym.0 as usize] = if r { 2 } else { 1 };
                r
            }
            None => test(self.set.str(sym)),
        }
    }

    /// The text tables of this filter's text terms, worked out once (over all cores)
    /// and shared by the matchers of every thread: [`Matcher::with_text_hits`].
    pub fn text_hits(&self) -> std::sync::Arc<TextHits> {
        self.text_hits
            .get_or_init(|| std::sync::Arc::new(text_hits(self.filter, self.set)))
            .clone()
    }

    /// This matcher, with text tables worked out already (by another matcher of the
    /// same filter and set).
    pub fn with_text_hits(self, hits: std::sync::Arc<TextHits>) -> Self {
        let _ = self.text_hits.set(hits);
        self
    }

    /// True when the filter has a term that searches text (the tables are worth
    /// sharing).
    pub fn searches_text(&self) -> bool {
        self.filter
            .groups
            .iter()
            .flatten()
            .any(|t| matches!(t.pred, Pred::FullText(_) | Pred::Fuzzy(_)))
    }

    /// True when the span's text holds term `k`'s needle (`text:` and bare words).
    /// The first call builds, per such term, its lower-case needle and whether each
    /// interned string holds it, in one pass over the string table.
    fn text_contains(&self, k: usize, span: &crate::model::Span) -> bool {
        let hits = self.text_hits();
        let (needle, table) = &hits[k];
        super::text::any_piece(self.set, span, &mut |p| match p {
            super::text::Piece::Sym(s) => table.get(s.0 as usize),
            super::text::Piece::Text(t) => super::text::contains_ci(t, needle),
        })
    }

    fn term(&self, k: usize, t: &Term, i: u32) -> bool {
        let set = self.set;
        let span = &set.spans[i as usize];
        let step = set.step(i);
        let tr = &set.traces[span.trace as usize];
        match &t.pred {
            Pred::Status(o) => step.outcome == *o,
            Pred::Kind(kind) => step.kind == *kind,
            Pred::Text(field, p) => {
                let sym = match field {
                    Field::Tool => step.tool_name,
                    Field::Model => {
                        if step.model.is_empty() {
                            step.model_requested
                        } else {
                            return self.sym_test(k, step.model, |s| p.matches(s))
                                || (!step.model_requested.is_empty()
                                    && p.matches(set.str(step.model_requested)));
                        }
                    }
                    Field::Provider => step.provider,
                    // A session is a trace property: any span of it matches.
                    Field::Session => {
                        if step.session.is_empty() {
                            tr.session
                        } else {
                            step.session
                        }
                    }
                    Field::User => step.user,
                    Field::Agent => {
                        if step.agent_name.is_empty() {
                            tr.agent_name
                        } else {
                            step.agent_name
                        }
                    }
                    Field::Service => set
                        .resources
                        .get(span.resource as usize)
                        .map(|r| r.service)
                        .unwrap_or_default(),
                    Field::Name => span.name,
                    Field::Finish => step.finish_reasons,
                };
                !sym.is_empty() && self.sym_test(k, sym, |s| p.matches(s))
            }
            Pred::TraceId(p) => hex_starts_with(&span.trace_id.0, p),
            Pred::SpanId(p) => hex_starts_with(&span.span_id.0, p),
            Pred::Mark(m) => span.marks.has(*m),
            Pred::Finding(bit) => set
                .finding_marks
                .get(i as usize)
                .is_some_and(|m| m & bit != 0),
            Pred::Duration(c, v) => span.is_finished() && c.holds(span.duration_ns(), *v),
            Pred::SelfTime(c, v) => step_time(set, i).is_some_and(|t| c.holds(t, *v)),
            Pred::Tokens(c, v) => {
                if step.tokens.input.is_some() || step.tokens.output.is_some() {
                    let n = step.tokens.input.unwrap_or(0) + step.tokens.output.unwrap_or(0);
                    c.holds(n, *v)
                } else {
                    self.subtree(i).tokens.is_some_and(|n| c.holds(n, *v))
                }
            }
            Pred::Cost(c, v) => match step.cost() {
                Some(x) if step.billable_leaf => c.holds(x, *v),
                own => match self.subtree(i).cost {
                    Some(x) => c.holds(x, *v),
                    None => own.is_some_and(|x| c.holds(x, *v)),
                },
            },
            Pred::Attr(key, pat) => {
                let Some(ksym) = set.strings.lookup(key) else {
                    return false;
                };
                set.span_attrs(span).iter().any(|a| {
                    a.key == ksym
                        && pat
                            .as_ref()
                            .is_none_or(|p| p.matches(&a.value.display(&set.strings)))
                })
            }
            Pred::SessionIs(id) => {
                let sym = if step.session.is_empty() {
                    tr.session
                } else {
                    step.session
                };
                set.str(sym) == id
            }
            Pred::Fuzzy(word) => {
                let hex = word.len() >= 4 && word.chars().all(|c| c.is_ascii_hexdigit());
                if hex {
                    let w = word.to_ascii_lowercase();
                    if span.span_id.to_string().starts_with(&w)
                        || span.trace_id.to_string().starts_with(&w)
                    {
                        return true;
                    }
                }
                [span.name, step.tool_name, step.model, step.session]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .any(|s| {
                        self.sym_test(k, s, |text| self.fuzzy.fuzzy_match(text, word).is_some())
                    })
                    || self.text_contains(k, span)
            }
            Pred::FullText(_) => self.text_contains(k, span),
        }
    }
}

/// True when the lower-case hex form of `id` starts with `prefix` (any case), without
/// formatting the id.
fn hex_starts_with(id: &[u8], prefix: &str) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let p = prefix.as_bytes();
    if p.len() > id.len() * 2 {
        return false;
    }
    p.iter().enumerate().all(|(k, &c)| {
        let nibble = if k % 2 == 0 {
            id[k / 2] >> 4
        } else {
            id[k / 2] & 0xf
        };
        HEX[nibble as usize] == c.to_ascii_lowercase()
    })
}

/// Positions (char indices) of `word`'s fuzzy match in `text`, for highlighting.
pub fn fuzzy_indices(text: &str, words: &[&str]) -> Vec<usize> {
    let m = SkimMatcherV2::default().ignore_case();
    let mut out: Vec<usize> = words
        .iter()
        .filter_map(|w| m.fuzzy_indices(text, w).map(|(_, idx)| idx))
        .flatten()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_term_form() {
        let f = Filter::parse(r#"status:error kind:tool tool:search_* -model:gpt-4o* dur>2s tokens>=10k cost<0.05 attr.http.status_code=503 "two words" | session:conv-88"#)
            .expect("parses");
        assert_eq!(f.groups.len(), 2);
        assert_eq!(f.groups[0].len(), 9);
        assert!(f.groups[0][3].negate);
        assert_eq!(f.groups[0][4].pred, Pred::Duration(Cmp::Gt, 2_000_000_000));
        assert_eq!(f.groups[0][5].pred, Pred::Tokens(Cmp::Ge, 10_000));
        assert_eq!(f.groups[0][8].pred, Pred::Fuzzy("two words".into()));
        assert!(Filter::parse("kind:robot").is_err());
        assert!(Filter::parse("dur>soon").is_err());
        assert!(Filter::parse("").expect("empty").is_empty());
    }

    #[test]
    fn toggles_are_terms_and_rewrite_the_text() {
        let f = Filter::parse("kind:tool | refund").expect("parses");
        let f = f.and_failed().and_slow_steps(2_000_000_000);
        assert_eq!(
            f.source,
            "kind:tool status:error self>=2s | refund status:error self>=2s"
        );
        assert!(f.is_failed_only());
        assert_eq!(f.slow_steps(), Some(2_000_000_000));
        assert_eq!(Filter::parse(&f.source).expect("reparses"), f);
        let f = f.without_failed().without_slow_steps();
        assert_eq!(f.source, "kind:tool | refund");
        assert!(!f.is_failed_only());
        let s = Filter::default().and_session("conv 88*");
        assert_eq!(s.source, "session:\"conv 88*\"");
        assert_eq!(
            s.summary_conditions(),
            vec![TraceCond::Session("conv 88*".into())]
        );
        assert!(s.decidable_on_summaries());
        assert!(
            !Filter::parse("kind:tool")
                .expect("parses")
                .decidable_on_summaries()
        );
    }

    #[test]
    fn every_reference_example_parses() {
        for (example, _) in REFERENCE {
            let f = Filter::parse(example);
            assert!(f.is_ok(), "{example}: {f:?}");
        }
        let e = Filter::parse("colour:red").expect_err("unknown key");
        for k in KEYS {
            assert!(e.message.contains(&format!("{k}:")), "{k} in {}", e.message);
        }
    }

    #[test]
    fn glob_patterns() {
        assert!(Pattern::new("gpt-4o*").matches("GPT-4o-2024-08-06"));
        assert!(!Pattern::new("gpt-4o*").matches("my-gpt-4o"));
        assert!(Pattern::new("*search*").matches("web_search_tool"));
        assert!(Pattern::new("refund_payment").matches("refund_payment"));
        assert!(!Pattern::new("refund").matches("refund_payment"));
        assert!(Pattern::new("*_payment").matches("refund_payment"));
    }
}
