//! The detail of one step as typed sections — summary, messages, tool call,
//! attributes (GenAI first), events, links, raw — each a list of toned lines. `show
//! --detail` prints them as text and the explorer draws them as tabs, so the wording
//! lives here once. Every string from the trace is sanitized here, before any view.

use super::json::detail_json;
use crate::format::{cost, duration, timestamp, tokens};
use crate::model::{Attr, CostSource, Outcome, Span, Step, TraceSet};
use crate::sanitize::{sanitize, sanitize_multiline};
use crate::semconv::messages::{Part, call_conversation};
use crate::semconv::{keys::is_genai_key, tool_io};
use serde_json::Value;

/// The sections, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Kind, timing, tokens, cost, status, ids.
    Summary,
    /// The conversation.
    Messages,
    /// Tool arguments and result.
    Tool,
    /// Every attribute, and the resource's.
    Attributes,
    /// Events (exceptions with stack traces).
    Events,
    /// Links.
    Links,
    /// The span as JSON.
    Raw,
    /// The trace's conversation, every message once (not the span's own).
    Transcript,
}

impl SectionKind {
    /// All sections in order.
    pub const ALL: [SectionKind; 8] = [
        SectionKind::Summary,
        SectionKind::Messages,
        SectionKind::Tool,
        SectionKind::Attributes,
        SectionKind::Events,
        SectionKind::Links,
        SectionKind::Raw,
        SectionKind::Transcript,
    ];

    /// The section's title.
    pub fn title(self) -> &'static str {
        match self {
            SectionKind::Summary => "Summary",
            SectionKind::Messages => "Messages",
            SectionKind::Tool => "Tool",
            SectionKind::Attributes => "Attributes",
            SectionKind::Events => "Events",
            SectionKind::Links => "Links",
            SectionKind::Raw => "Raw",
            SectionKind::Transcript => "Transcript",
        }
    }

    /// The heading `show --detail` prints above the section.
    pub fn heading(self) -> &'static str {
        match self {
            SectionKind::Summary => "summary",
            SectionKind::Messages => "messages",
            SectionKind::Tool => "tool call",
            SectionKind::Attributes => "attributes",
            SectionKind::Events => "events",
            SectionKind::Links => "links",
            SectionKind::Raw => "raw",
            SectionKind::Transcript => "transcript",
        }
    }

    /// A short title for narrow tab bars.
    pub fn short_title(self) -> &'static str {
        match self {
            SectionKind::Summary => "Sum",
            SectionKind::Messages => "Msg",
            SectionKind::Tool => "Tool",
            SectionKind::Attributes => "Attr",
            SectionKind::Events => "Ev",
            SectionKind::Links => "Ln",
            SectionKind::Raw => "Raw",
            SectionKind::Transcript => "Txt",
        }
    }

    /// Position in [`SectionKind::ALL`].
    pub fn index(self) -> usize {
        SectionKind::ALL
            .iter()
            .position(|t| *t == self)
            .unwrap_or(0)
    }
}

/// How a piece of text is meant to look; each view maps tones to its own styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Ordinary text.
    Plain,
    /// A heading or the span name.
    Title,
    /// A field name or attribute key.
    Label,
    /// Secondary text and placeholders.
    Dim,
    /// A step outcome (status words).
    Outcome(Outcome),
    /// Integrity problems.
    Warning,
    /// A tool name.
    Tool,
    /// A message role heading.
    Role,
    /// An exception event.
    Error,
}

/// One line: sanitized text pieces, each with a tone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DetailLine(pub Vec<(Tone, String)>);

impl DetailLine {
    fn plain(text: impl Into<String>) -> DetailLine {
        DetailLine(vec![(Tone::Plain, text.into())])
    }

    fn toned(tone: Tone, text: impl Into<String>) -> DetailLine {
        DetailLine(vec![(tone, text.into())])
    }

    fn push(mut self, tone: Tone, text: impl Into<String>) -> DetailLine {
        self.0.push((tone, text.into()));
        self
    }

    /// The line's text without tones.
    pub fn text(&self) -> String {
        self.0.iter().map(|(_, t)| t.as_str()).collect()
    }
}

/// One section of a step's detail.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// Its lines (a placeholder line when there is nothing to show).
    pub lines: Vec<DetailLine>,
    /// True when the span has nothing for this section (the lines say so).
    pub empty: bool,
    /// How many items it lists (attributes, events, links), for headings.
    pub count: Option<usize>,
}

impl Section {
    /// The section as plain text, one line per line.
    pub fn text(&self) -> String {
        let lines: Vec<String> = self.lines.iter().map(DetailLine::text).collect();
        lines.join("\n")
    }
}

/// The detail of one step: every section, in tab order.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDetail {
    /// The span (arena index).
    pub span: u32,
    /// One section per [`SectionKind`], in order.
    pub sections: Vec<Section>,
}

impl StepDetail {
    /// Builds every section of span `i`.
    pub fn build(set: &TraceSet, i: u32) -> StepDetail {
        let sections = SectionKind::ALL
            .iter()
            .map(|&k| section(set, i, k))
            .collect();
        StepDetail { span: i, sections }
    }

    /// One section.
    pub fn section(&self, kind: SectionKind) -> &Section {
        &self.sections[kind.index()]
    }
}

/// Builds one section of span `i` (for views that show one at a time).
pub fn section(set: &TraceSet, i: u32, kind: SectionKind) -> Section {
    section_in(set, i, kind, None)
}

/// [`section`], given the trace's time by step kind when the caller keeps it
/// ([`crate::analysis::steptime::time_by_kind`] walks the whole trace: a view moving
/// through a 200,000-span trace works it out once, not on every move).
pub fn section_in(
    set: &TraceSet,
    i: u32,
    kind: SectionKind,
    time_split: Option<&[(crate::model::StepKind, u64)]>,
) -> Section {
    let Some(s) = set.spans.get(i as usize) else {
        return Section {
            kind,
            lines: Vec::new(),
            empty: true,
            count: None,
        };
    };
    let step = set.step(i);
    let (lines, count) = match kind {
        SectionKind::Summary => (summary(set, i, s, &step, time_split), None),
        SectionKind::Messages => (messages(set, s), None),
        SectionKind::Tool => (tool(set, s, &step), None),
        SectionKind::Attributes => (attributes(set, s, 0), Some(set.span_attrs(s).len())),
        SectionKind::Events => (events(set, s), Some(set.span_events(s).len())),
        SectionKind::Links => (links(set, s), Some(set.span_links(s).len())),
        SectionKind::Raw => (
            text_lines(
                &serde_json::to_string_pretty(&detail_json(set, i)).unwrap_or_default(),
                "",
            ),
            None,
        ),
        SectionKind::Transcript => {
            let lines = transcript_lines(set, s.trace, Some(i));
            let entries = lines
                .iter()
                .filter(|l| l.0.first().is_some_and(|(t, _)| *t == Tone::Role))
                .count();
            (lines, Some(entries))
        }
    };
    let empty = match kind {
        SectionKind::Messages => call_conversation(set, s).is_empty(),
        SectionKind::Tool => {
            let (a, r) = tool_io(set, s);
            a.is_none() && r.is_none()
        }
        SectionKind::Attributes => {
            count == Some(0)
                && set
                    .resources
                    .get(s.resource as usize)
                    .is_none_or(|r| r.attrs.range().is_empty())
        }
        SectionKind::Events | SectionKind::Links => count == Some(0),
        SectionKind::Summary | SectionKind::Raw => false,
        SectionKind::Transcript => count == Some(0),
    };
    Section {
        kind,
        lines,
        empty,
        count,
    }
}

/// The reason shown for a failed or warned step: its derived reason, else its status
/// message (unsanitized).
pub fn step_reason<'a>(set: &'a TraceSet, span: &Span, step: &Step) -> &'a str {
    let r = set.str(step.reason);
    if r.is_empty() {
        set.str(span.status_message)
    } else {
        r
    }
}

/// How a step's cost was found, in words.
pub fn cost_source_words(c: CostSource) -> &'static str {
    match c {
        CostSource::Provided => "provided by the span",
        CostSource::Priced => "priced from the price table",
        CostSource::Unknown => "unknown: no cost on the span and no price for this model",
        CostSource::None => "nothing billable",
    }
}

const LABEL_W: usize = 14;

fn kv(k: &str, v: impl Into<String>) -> DetailLine {
    DetailLine(vec![
        (Tone::Label, format!("{k:<LABEL_W$}")),
        (Tone::Plain, v.into()),
    ])
}

fn sym(set: &TraceSet, s: crate::model::Sym) -> String {
    sanitize(set.str(s)).into_owned()
}

/// Findings as detail lines: `◆ kind  message`, errors in the error tone.
fn finding_lines<'a>(fs: impl Iterator<Item = &'a crate::model::Finding>) -> Vec<DetailLine> {
    fs.map(|f| {
        let tone = match f.severity {
            crate::model::Severity::Error => Tone::Error,
            crate::model::Severity::Warning => Tone::Warning,
            crate::model::Severity::Info => Tone::Dim,
        };
        DetailLine::toned(tone, format!("◆ {}  ", f.kind.as_str()))
            .push(Tone::Plain, sanitize(&f.message).into_owned())
    })
    .collect()
}

fn summary(
    set: &TraceSet,
    i: u32,
    s: &Span,
    step: &Step,
    time_split: Option<&[(crate::model::StepKind, u64)]>,
) -> Vec<DetailLine> {
    let mut out = vec![DetailLine::toned(Tone::Title, sym(set, s.name))];
    let trace_findings = crate::analysis::findings::of_trace(set, s.trace).unwrap_or_default();
    let own = trace_findings.iter().filter(|f| f.spans.contains(&i));
    out.extend(finding_lines(own));
    out.push(kv(
        "kind",
        format!("{} (by {})", step.kind.as_str(), step.kind_source),
    ));
    let reason = sanitize(step_reason(set, s, step)).into_owned();
    out.push(
        DetailLine::toned(Tone::Label, format!("{:<LABEL_W$}", "status"))
            .push(Tone::Outcome(step.outcome), step.outcome.as_str())
            .push(
                Tone::Plain,
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                },
            ),
    );
    out.push(kv("start", timestamp(s.start)));
    out.push(kv(
        "duration",
        if s.is_finished() {
            duration(s.duration_ns())
        } else {
            "unfinished".into()
        },
    ));
    if !step.model.is_empty() || !step.model_requested.is_empty() {
        out.push(kv(
            "model",
            format!(
                "{} (requested {})",
                sym(set, step.model),
                sym(set, step.model_requested)
            ),
        ));
        out.push(kv("provider", sym(set, step.provider)));
    }
    if !step.tool_name.is_empty() {
        out.push(
            DetailLine::toned(Tone::Label, format!("{:<LABEL_W$}", "tool"))
                .push(Tone::Tool, sym(set, step.tool_name)),
        );
    }
    if !step.tokens.is_empty() {
        let t = &step.tokens;
        out.push(kv(
            "tokens",
            format!("{} in → {} out", tokens(t.input), tokens(t.output)),
        ));
        out.push(kv(
            "  cache",
            format!(
                "read {}  write {}",
                tokens(t.cache_read),
                tokens(t.cache_write)
            ),
        ));
        out.push(kv("  reasoning", tokens(t.reasoning)));
    }
    if step.cost_source != CostSource::None {
        let mut v = format!(
            "{} ({})",
            cost(step.cost(), false, true),
            cost_source_words(step.cost_source)
        );
        if step.same_call_as.is_some() {
            v.push_str("; not added to the trace total (a second record of a call)");
        } else if !step.billable_leaf {
            v.push_str("; not added to the trace total (not a leaf model call)");
        }
        out.push(kv("cost", v));
    }
    if let Some(first) = step.same_call_as.and_then(|f| set.spans.get(f as usize)) {
        let id = crate::semconv::response_id(set, i);
        let how = if id.is_empty() {
            "the same model, tokens and parent, one inside the other's time".to_owned()
        } else {
            format!("response id {}", sanitize(set.str(id)))
        };
        out.push(kv(
            "same call",
            format!(
                "as {} {} ({how}): counted once, there",
                sanitize(set.str(first.name)),
                first.span_id
            ),
        ));
    }
    if !step.finish_reasons.is_empty() {
        out.push(kv("finish", sym(set, step.finish_reasons)));
    }
    if let Some(ns) = crate::analysis::steptime::time_to_first_token(set, i) {
        out.push(kv("first token", duration(ns)));
    }
    // Request and conversation facts of the late-2026 conventions, as sent.
    for (label, key) in [
        ("reasoning", "gen_ai.request.reasoning.level"),
        ("previous resp", "gen_ai.request.previous_response.id"),
        ("response", "gen_ai.response.status"),
        ("compacted", "gen_ai.conversation.compacted"),
        ("skill", "gen_ai.skill.name"),
        ("memory", "gen_ai.memory.store.name"),
    ] {
        if let Some(v) = set.span_attr(s, key) {
            out.push(kv(label, sanitize(&v.display(&set.strings)).into_owned()));
        }
    }
    for e in crate::analysis::evaluation::of_span(set, i) {
        let mut v = crate::analysis::evaluation::short(&e);
        if !e.explanation.is_empty() {
            v.push_str(": ");
            v.push_str(&sanitize(&e.explanation));
        }
        out.push(kv("evaluation", v));
    }
    for (k, v) in [
        ("session", step.session),
        ("user", step.user),
        ("agent", step.agent_name),
        ("tool call id", step.tool_call_id),
    ] {
        if !v.is_empty() {
            out.push(kv(k, sym(set, v)));
        }
    }
    out.push(kv("span id", s.span_id.to_string()));
    out.push(kv(
        "parent id",
        if s.parent_span_id.is_none() {
            "-".into()
        } else {
            s.parent_span_id.to_string()
        },
    ));
    out.push(kv("trace id", s.trace_id.to_string()));
    out.push(kv("depth", s.depth.to_string()));
    out.push(kv("service", sanitize(set.service_of(s)).into_owned()));
    out.push(kv("span kind", s.kind.as_str()));
    let marks = s.marks.labels();
    if !marks.is_empty() {
        out.push(
            DetailLine::toned(Tone::Label, format!("{:<LABEL_W$}", "integrity"))
                .push(Tone::Warning, marks.join(", ")),
        );
    }
    let tr = &set.traces[s.trace as usize];
    if tr.billable_steps > 0
        && let Some(sources) = tr.cost_sources()
    {
        out.push(DetailLine::plain(""));
        out.push(DetailLine::toned(Tone::Label, "trace cost: ").push(
            Tone::Plain,
            format!(
                "{} ({})",
                crate::format::cost_compact(tr.cost(), tr.cost_is_partial(), true),
                crate::analysis::totals::cost_origin(sources, &set.prices_as_of)
            ),
        ));
    }
    let owned;
    let split = match time_split {
        Some(split) => split,
        None => {
            owned = crate::analysis::steptime::time_by_kind(set, s.trace);
            &owned
        }
    };
    if split.len() > 1 {
        out.push(DetailLine::plain(""));
        out.push(
            DetailLine::toned(Tone::Label, "trace time by step kind (own time): ").push(
                Tone::Plain,
                crate::analysis::steptime::time_split_line(split),
            ),
        );
    }
    if !trace_findings.is_empty() {
        out.push(DetailLine::plain(""));
        out.push(DetailLine::toned(
            Tone::Title,
            format!(
                "findings of this trace ({}, e/E steps through them)",
                trace_findings.len()
            ),
        ));
        out.extend(finding_lines(trace_findings.iter()));
    }
    out
}

/// A JSON value as display text: strings holding a JSON object or array are parsed
/// and pretty-printed; other strings stay as they are.
fn pretty(v: &Value) -> String {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(j @ (Value::Object(_) | Value::Array(_))) => {
                serde_json::to_string_pretty(&j).unwrap_or_default()
            }
            _ => s.clone(),
        },
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// Multi-line text, sanitized, one line each, indented.
fn text_lines(text: &str, indent: &str) -> Vec<DetailLine> {
    sanitize_multiline(text)
        .lines()
        .map(|l| DetailLine::plain(format!("{indent}{l}")))
        .collect()
}

fn messages(set: &TraceSet, s: &Span) -> Vec<DetailLine> {
    let c = call_conversation(set, s);
    if c.is_empty() {
        return vec![DetailLine::toned(
            Tone::Dim,
            "no messages recorded on this span",
        )];
    }
    let mut out = vec![DetailLine::toned(Tone::Dim, format!("from {}", c.source))];
    let mut push = |role: &str, parts: &[Part]| {
        out.push(DetailLine::toned(
            Tone::Role,
            format!(
                "[{}]",
                sanitize(if role.is_empty() { "message" } else { role })
            ),
        ));
        if parts.is_empty() {
            out.push(DetailLine::toned(Tone::Dim, "  (empty)"));
        }
        for p in parts {
            part_lines(&mut out, p);
        }
        out.push(DetailLine::default());
    };
    if !c.system.is_empty() {
        push("system", &c.system);
    }
    for m in &c.input {
        push(&m.role, &m.parts);
    }
    for m in &c.output {
        let role = match &m.finish_reason {
            Some(f) => format!("{} (finish: {f})", m.role),
            None => m.role.clone(),
        };
        push(&role, &m.parts);
    }
    while out.last().is_some_and(|l| l.0.is_empty()) {
        out.pop();
    }
    out
}

/// The transcript of trace `t` as lines: each entry's role and the step it came from
/// (marked `▸` when it is span `here`), then what it said.
pub fn transcript_lines(set: &TraceSet, t: u32, here: Option<u32>) -> Vec<DetailLine> {
    let entries = crate::analysis::transcript::transcript(set, t);
    let mut out = Vec::new();
    for e in &entries {
        let s = &set.spans[e.span as usize];
        let mark = if here == Some(e.span) { "▸ " } else { "" };
        out.push(
            DetailLine::toned(Tone::Role, format!("{mark}[{}]", sanitize(&e.role))).push(
                Tone::Dim,
                format!("  {} {}", sanitize(set.str(s.name)), s.span_id),
            ),
        );
        for p in &e.parts {
            part_lines(&mut out, p);
        }
        out.push(DetailLine::default());
    }
    while out.last().is_some_and(|l| l.0.is_empty()) {
        out.pop();
    }
    out
}

/// ` (call_1)` after a tool call or result, nothing when the call has no id.
fn call_id(id: Option<&str>) -> String {
    id.filter(|i| !i.is_empty())
        .map(|i| format!(" ({})", sanitize(i)))
        .unwrap_or_default()
}

fn part_lines(out: &mut Vec<DetailLine>, p: &Part) {
    match p {
        Part::Text(t) => out.extend(text_lines(t, "  ")),
        Part::Reasoning(t) => {
            out.push(DetailLine::toned(Tone::Dim, "  (reasoning)"));
            out.extend(text_lines(t, "  "));
        }
        Part::ToolCall {
            id,
            name,
            arguments,
        } => {
            out.push(
                DetailLine::plain("  → tool call ")
                    .push(Tone::Tool, sanitize(name).into_owned())
                    .push(Tone::Dim, call_id(id.as_deref())),
            );
            out.extend(text_lines(&pretty(arguments), "    "));
        }
        Part::ToolResponse { id, response } => {
            out.push(DetailLine::toned(
                Tone::Dim,
                format!("  ← tool result{}", call_id(id.as_deref())),
            ));
            out.extend(text_lines(&pretty(response), "    "));
        }
        Part::Other(v) => out.extend(text_lines(&pretty(v), "  ")),
    }
}

fn tool(set: &TraceSet, s: &Span, step: &Step) -> Vec<DetailLine> {
    let (args, result) = tool_io(set, s);
    let mut out = Vec::new();
    if args.is_none() && result.is_none() {
        out.push(DetailLine::toned(
            Tone::Dim,
            "no tool arguments or result on this span",
        ));
    }
    if let Some(a) = args {
        out.push(DetailLine::toned(Tone::Label, "arguments"));
        out.extend(text_lines(&pretty(&a), "  "));
    }
    match result {
        Some(r) => {
            out.push(DetailLine::toned(Tone::Label, "result"));
            out.extend(text_lines(&pretty(&r), "  "));
        }
        None if step.kind == crate::model::StepKind::Tool => out.push(DetailLine::toned(
            Tone::Dim,
            "result: none recorded (OTel writes it only on success)",
        )),
        None => {}
    }
    out
}

/// `key = value`; a multi-line value continues below, indented by `cont`.
fn attr_lines(out: &mut Vec<DetailLine>, set: &TraceSet, a: &Attr, lead: &str, cont: &str) {
    let v = a.value.display(&set.strings);
    let v = match serde_json::from_str::<Value>(&v) {
        Ok(j @ (Value::Object(_) | Value::Array(_))) if v.len() > 60 => {
            serde_json::to_string_pretty(&j).unwrap_or(v)
        }
        _ => v,
    };
    let text = sanitize_multiline(&v);
    let mut lines = text.lines();
    let key = DetailLine::toned(Tone::Label, format!("{lead}{}", sanitize(set.str(a.key))));
    match (lines.next(), text.contains('\n')) {
        (Some(first), false) => out.push(key.push(Tone::Plain, format!(" = {first}"))),
        (first, _) => {
            out.push(key.push(Tone::Plain, " ="));
            out.extend(first.map(|f| DetailLine::plain(format!("{cont}{f}"))));
        }
    }
    out.extend(lines.map(|l| DetailLine::plain(format!("{cont}{l}"))));
}

/// Attributes on one page of the detail view: a span with more (a producer bug, or
/// hostile input) is shown a page at a time, so drawing it costs one page whatever
/// the span holds.
pub const ATTRIBUTES_PER_PAGE: usize = 2_000;

/// How many pages span `i`'s attributes take (at least one).
pub fn attribute_pages(set: &TraceSet, i: u32) -> usize {
    set.spans.get(i as usize).map_or(1, |s| {
        set.span_attrs(s).len().div_ceil(ATTRIBUTES_PER_PAGE).max(1)
    })
}

/// The attributes section of span `i` at `page` (0-based; the last page when past
/// the end).
pub fn attributes_page(set: &TraceSet, i: u32, page: usize) -> Section {
    let Some(s) = set.spans.get(i as usize) else {
        return section(set, i, SectionKind::Attributes);
    };
    let page = page.min(attribute_pages(set, i) - 1);
    let lines = attributes(set, s, page);
    let count = set.span_attrs(s).len();
    Section {
        kind: SectionKind::Attributes,
        lines,
        empty: false,
        count: Some(count),
    }
}

fn attributes(set: &TraceSet, s: &Span, page: usize) -> Vec<DetailLine> {
    let all = set.span_attrs(s);
    let mut out = Vec::new();
    if all.len() <= ATTRIBUTES_PER_PAGE {
        let mut attrs: Vec<&Attr> = all.iter().collect();
        attrs.sort_by_key(|a| !is_genai_key(set.str(a.key)));
        for a in &attrs {
            attr_lines(&mut out, set, a, "", "    ");
        }
    } else {
        // Too many to sort: recorded order, one page of them.
        let pages = all.len().div_ceil(ATTRIBUTES_PER_PAGE);
        let first = page * ATTRIBUTES_PER_PAGE;
        let shown = &all[first..(first + ATTRIBUTES_PER_PAGE).min(all.len())];
        let heading = format!(
            "attributes {}–{} of {} (page {} of {}, in recorded order: scroll past the end or the top to turn the page)",
            first + 1,
            first + shown.len(),
            all.len(),
            page + 1,
            pages,
        );
        out.push(DetailLine::toned(Tone::Warning, heading));
        for a in shown {
            attr_lines(&mut out, set, a, "", "    ");
        }
        if page + 1 < pages {
            out.push(DetailLine::toned(
                Tone::Dim,
                "… scroll on for the next page (agtrace show --json lists every one)",
            ));
        }
    }
    if out.is_empty() {
        out.push(DetailLine::toned(Tone::Dim, "no attributes"));
    }
    if let Some(r) = set.resources.get(s.resource as usize)
        && !r.attrs.range().is_empty()
    {
        out.push(DetailLine::default());
        out.push(DetailLine::toned(Tone::Title, "resource"));
        for a in &set.attrs[r.attrs.range()] {
            attr_lines(&mut out, set, a, "  ", "    ");
        }
    }
    out
}

fn events(set: &TraceSet, s: &Span) -> Vec<DetailLine> {
    let events = set.span_events(s);
    if events.is_empty() {
        return vec![DetailLine::toned(Tone::Dim, "no events")];
    }
    let mut out = Vec::new();
    for e in events {
        let name = set.str(e.name);
        let tone = if name == "exception" {
            Tone::Error
        } else {
            Tone::Title
        };
        out.push(
            DetailLine::toned(Tone::Dim, timestamp(e.time))
                .push(Tone::Plain, " ")
                .push(tone, sanitize(name).into_owned()),
        );
        for a in &set.attrs[e.attrs.range()] {
            attr_lines(&mut out, set, a, "  ", "    ");
        }
    }
    out
}

fn links(set: &TraceSet, s: &Span) -> Vec<DetailLine> {
    let links = set.span_links(s);
    if links.is_empty() {
        return vec![DetailLine::toned(Tone::Dim, "no links")];
    }
    let mut out = Vec::new();
    for l in links {
        out.push(DetailLine::plain(format!(
            "trace {} span {}",
            l.trace_id, l.span_id
        )));
        for a in &set.attrs[l.attrs.range()] {
            attr_lines(&mut out, set, a, "  ", "    ");
        }
    }
    out
}
