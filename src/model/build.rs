//! Turning decoded batches into a [`TraceSet`]: merge string tables, drop duplicate
//! spans, link parents, break cycles, order children, walk each tree iteratively, flag
//! integrity problems and compute per-trace aggregates.

use super::span::{Marks, NONE, Slice, Span, StatusCode};
use super::{Batch, Integrity, Sym, Trace, TraceSet, Warning};

/// How far outside its parent's time a span may be before it is clock skew: SDKs
/// that keep milliseconds round start times by up to one.
pub const SKEW_TOLERANCE_NS: u64 = 1_000_000;

impl TraceSet {
    /// Builds the set from decoded batches. `sources` names the inputs that
    /// [`Span::source`] indexes; `warnings` are load warnings from outside the batches.
    pub fn build(batches: Vec<Batch>, sources: Vec<String>, warnings: Vec<Warning>) -> TraceSet {
        let mut set = TraceSet {
            sources,
            warnings,
            ..TraceSet::default()
        };
        let mut batches = batches;
        let logs: Vec<super::LogEvent> = batches
            .iter_mut()
            .flat_map(|b| std::mem::take(&mut b.log_events))
            .collect();
        let mut batches = batches.into_iter();
        // The first (usually largest) batch is adopted as is: its vectors and string
        // table become the set's, so its handles need no remapping and nothing is
        // copied. Later batches are appended and remapped.
        if let Some(first) = batches.next() {
            set.adopt(first);
        }
        // Room for every later batch at once, exactly: growing by doubling while
        // merging would copy each arena several times and leave it up to twice the
        // size it needs (pages reserved but not yet written cost no memory).
        let rest = batches.as_slice();
        let total = |f: fn(&Batch) -> usize| rest.iter().map(f).sum::<usize>();
        set.spans.reserve_exact(total(|b| b.spans.len()));
        set.attrs.reserve_exact(total(|b| b.attrs.len()));
        set.events.reserve_exact(total(|b| b.events.len()));
        set.links.reserve_exact(total(|b| b.links.len()));
        set.span_index.reserve(&set.spans, total(|b| b.spans.len()));
        for batch in batches {
            // Which spans took later copies only matters when growing in place.
            let _ = set.merge(batch);
        }
        let _ = set.attach_log_events(logs);
        set.link_parents();
        set.build_children();
        set.walk_traces();
        set.flag_and_aggregate();
        set
    }

    /// Grows the set in place by `batches`, the way a live view takes what arrived:
    /// the indexes are kept rather than rebuilt, every span keeps its index and every
    /// trace its number, later copies of spans already held are merged into them, log
    /// records waiting for their spans join them, and the tree (parents, children,
    /// pre-order, roots, marks, per-trace structure) is derived again over the whole
    /// set, which is linear and cheap. Steps and findings are not touched: the
    /// returned [`Growth`] says which spans the caller must derive again.
    pub fn extend_with(&mut self, batches: Vec<Batch>) -> Growth {
        let first_new = self.spans.len();
        let mut logs = std::mem::take(&mut self.unattached_logs);
        let mut revised = Vec::new();
        for mut batch in batches {
            logs.append(&mut batch.log_events);
            if self.spans.is_empty() && self.traces.is_empty() {
                // Nothing held yet: the batch's tables become the set's, as in a build.
                self.adopt(batch);
            } else {
                revised.extend(self.merge(batch));
            }
        }
        revised.retain(|&i| (i as usize) < first_new);
        revised.extend(
            self.attach_log_events(logs)
                .into_iter()
                .filter(|&i| (i as usize) < first_new),
        );
        revised.sort_unstable();
        revised.dedup();
        for s in &mut self.spans {
            s.parent = NONE;
            s.depth = 0;
            s.children = Slice::default();
            // Orphans, cycles and skew are found again; a merge of copies stays known.
            s.marks = Marks(s.marks.0 & Marks::DUPLICATE);
        }
        self.children.clear();
        self.order.clear();
        self.roots.clear();
        self.link_parents();
        self.build_children();
        self.walk_traces();
        self.flag_and_aggregate();
        Growth { first_new, revised }
    }

    /// The set as a batch again (its spans, arenas and string table, derived fields
    /// cleared), so it can be built once more with newer batches: how a live set
    /// grows (and a store merges a trace with its stored spans) without copying what
    /// it already holds. The warnings stay with the batch.
    pub fn into_batch(self) -> Batch {
        let mut spans = self.spans;
        for s in &mut spans {
            s.trace = 0;
            s.parent = super::NONE;
            s.depth = 0;
            s.children = Slice::default();
            // Orphans, cycles and skew are found again; a merge of copies stays known.
            s.marks = Marks(s.marks.0 & Marks::DUPLICATE);
        }
        Batch {
            strings: self.strings,
            spans,
            attrs: self.attrs,
            events: self.events,
            links: self.links,
            resources: self.resources,
            scopes: self.scopes,
            warnings: self.warnings,
            log_events: self.unattached_logs,
            revises: false,
        }
    }

    /// Makes each log record an event of the span it names (after the span's own
    /// events, in time order); records whose span is not in the input are counted in
    /// one warning.
    /// Span index by the `gen_ai.response.id` it carries.
    fn response_ids(&self) -> rustc_hash::FxHashMap<String, u32> {
        let mut out = rustc_hash::FxHashMap::default();
        let Some(key) = self.strings.lookup(super::RESPONSE_ID) else {
            return out;
        };
        for (i, s) in self.spans.iter().enumerate() {
            if let Some(v) = self
                .span_attrs(s)
                .iter()
                .find(|a| a.key == key)
                .and_then(|a| a.value.as_str(&self.strings))
            {
                out.insert(v.to_owned(), i as u32);
            }
        }
        out
    }

    /// Returns the spans that gained events.
    fn attach_log_events(&mut self, logs: Vec<super::LogEvent>) -> Vec<u32> {
        if logs.is_empty() {
            return Vec::new();
        }
        let mut by_span: rustc_hash::FxHashMap<u32, Vec<super::LogEvent>> =
            rustc_hash::FxHashMap::default();
        // Records without span ids join the span that produced their response.
        let mut by_response: Option<rustc_hash::FxHashMap<String, u32>> = None;
        for l in logs {
            let found = if l.span_id == super::SpanId::NONE {
                let want = l.attrs.iter().find_map(|(k, v)| {
                    (k == super::RESPONSE_ID)
                        .then(|| v.get("stringValue").and_then(|s| s.as_str()).or(v.as_str()))
                        .flatten()
                });
                let map = by_response.get_or_insert_with(|| self.response_ids());
                want.and_then(|w| map.get(w).copied())
            } else {
                self.span_at(l.trace_id, l.span_id)
            };
            match found {
                Some(i) => by_span.entry(i).or_default().push(l),
                None => self.unattached_logs.push(l),
            }
        }
        let joined: Vec<u32> = by_span.keys().copied().collect();
        for (i, mut list) in by_span {
            list.sort_by_key(|l| l.time);
            let own = self.spans[i as usize].events;
            let start = self.events.len();
            let copied: Vec<super::Event> = self.events[own.range()].to_vec();
            self.events.extend(copied);
            for l in list {
                // The same record again (a store re-reading what it joined before).
                let again = self.events[start..]
                    .iter()
                    .any(|e| e.time == l.time && self.strings.lookup(&l.name) == Some(e.name));
                if again {
                    continue;
                }
                let a0 = self.attrs.len();
                for (k, v) in &l.attrs {
                    let key = self.strings.intern(k);
                    let value = any_value(&mut self.strings, v);
                    self.attrs.push(super::Attr { key, value });
                }
                let name = self.strings.intern(&l.name);
                self.events.push(super::Event {
                    time: l.time,
                    name,
                    attrs: Slice {
                        start: a0 as u32,
                        len: (self.attrs.len() - a0) as u32,
                    },
                    dropped: 0,
                });
            }
            self.spans[i as usize].events = Slice {
                start: start as u32,
                len: (self.events.len() - start) as u32,
            };
        }
        joined
    }

    /// Warns about the log records whose span never arrived and lets them go: the end
    /// of loading a finished input.
    pub fn warn_unattached_logs(&mut self) {
        let missing = std::mem::take(&mut self.unattached_logs).len();
        if missing > 0 {
            self.warnings.push(Warning {
                source: self.sources.first().cloned().unwrap_or_default(),
                position: super::Position::Whole,
                message: format!(
                    "{missing} log records name spans that are not in the input; not shown"
                ),
            });
        }
    }

    /// Takes the first batch wholesale: its string table becomes the set's.
    fn adopt(&mut self, batch: Batch) {
        self.strings = batch.strings;
        self.attrs = batch.attrs;
        self.events = batch.events;
        self.links = batch.links;
        self.resources = batch.resources;
        self.scopes = batch.scopes;
        self.warnings.extend(batch.warnings);
        self.spans = batch.spans;
        self.span_index.reserve(&self.spans, self.spans.len());
        // Nothing comes before the first batch, so nothing is folded into earlier spans.
        let _ = self.index_spans_from(0, false);
    }

    /// Appends one batch, remapping its strings and arena offsets and merging spans
    /// already seen; returns the spans held before that a copy was merged into.
    fn merge(&mut self, batch: Batch) -> Vec<u32> {
        let from = self.spans.len();
        let revises = batch.revises;
        let rest = super::batch::append_remapped(
            super::batch::Arenas {
                strings: &mut self.strings,
                spans: &mut self.spans,
                attrs: &mut self.attrs,
                events: &mut self.events,
                links: &mut self.links,
                resources: &mut self.resources,
                scopes: &mut self.scopes,
            },
            batch,
        );
        self.warnings.extend(rest.warnings);
        self.index_spans_from(from, revises)
    }

    /// Indexes the spans from `from` on, assigning traces and folding duplicates into
    /// their first copy (or, when the new spans `revise` earlier copies, letting them
    /// replace those); the survivors are compacted in place. Returns the spans before
    /// `from` that a copy was folded into.
    fn index_spans_from(&mut self, from: usize, revise: bool) -> Vec<u32> {
        let mut folded = Vec::new();
        let mut write = from;
        let mut impossible = 0usize;
        for read in from..self.spans.len() {
            let mut span = self.spans[read];
            span.parent = NONE;
            // A set given back as a batch keeps knowing which spans were merged from
            // copies; every other mark is found again.
            span.marks = Marks(span.marks.0 & Marks::DUPLICATE);
            // A time after 2200 is a producer's bug (u64::MAX, a unit mix-up): such
            // an end is unknown (unfinished), such a start takes the end, so one bad
            // span does not stretch its trace over centuries.
            if span.end > MAX_PLAUSIBLE_NS || span.start > MAX_PLAUSIBLE_NS {
                impossible += 1;
                if span.end > MAX_PLAUSIBLE_NS {
                    span.end = 0;
                }
                if span.start > MAX_PLAUSIBLE_NS {
                    span.start = span.end;
                }
            }
            if let Some(existing) = self
                .span_index
                .get(&self.spans, span.trace_id, span.span_id)
            {
                if revise {
                    supersede(&mut self.spans[existing as usize], span, &mut self.attrs);
                } else {
                    merge_duplicate(&mut self.spans[existing as usize], span, &mut self.attrs);
                }
                if (existing as usize) < from {
                    folded.push(existing);
                }
                continue;
            }
            span.trace = match self.trace_index.get(&span.trace_id) {
                Some(&t) => t,
                None => {
                    let t = self.traces.len() as u32;
                    self.traces.push(Trace {
                        id: span.trace_id,
                        ..Trace::default()
                    });
                    self.trace_index.insert(span.trace_id, t);
                    t
                }
            };
            self.spans[write] = span;
            self.span_index.insert(&self.spans, write as u32);
            write += 1;
        }
        self.spans.truncate(write);
        if impossible > 0 {
            self.warnings.push(Warning {
                source: self.sources.first().cloned().unwrap_or_default(),
                position: super::Position::Whole,
                message: format!(
                    "{impossible} spans with times after the year 2200 (impossible): an impossible end is read as unfinished, an impossible start as the end"
                ),
            });
        }
        folded
    }

    /// Resolves parent ids to indices; marks orphans and self-parents.
    fn link_parents(&mut self) {
        for i in 0..self.spans.len() {
            let s = &self.spans[i];
            if s.parent_span_id.is_none() {
                continue;
            }
            let found = self.span_at(s.trace_id, s.parent_span_id);
            let s = &mut self.spans[i];
            match found {
                Some(p) if p as usize == i => {
                    s.marks.set(Marks::CYCLE_BROKEN);
                }
                Some(p) => s.parent = p,
                None => s.marks.set(Marks::ORPHAN),
            }
        }
    }

    /// Fills the children arena (CSR layout), each list sorted by start time.
    fn build_children(&mut self) {
        let n = self.spans.len();
        let mut counts = vec![0u32; n];
        for s in &self.spans {
            if s.parent != NONE {
                counts[s.parent as usize] += 1;
            }
        }
        let mut next = 0u32;
        for (s, &c) in self.spans.iter_mut().zip(&counts) {
            s.children = Slice {
                start: next,
                len: 0,
            };
            next += c;
        }
        self.children = vec![0; next as usize];
        for i in 0..n {
            let p = self.spans[i].parent;
            if p != NONE {
                let ps = &mut self.spans[p as usize].children;
                self.children[(ps.start + ps.len) as usize] = i as u32;
                ps.len += 1;
            }
        }
        let spans = &self.spans;
        for s in spans {
            let list = &mut self.children[s.children.range()];
            if list.len() > 1 {
                list.sort_unstable_by_key(|&c| start_key(&spans[c as usize]));
            }
        }
    }

    /// Walks every trace's tree iteratively to produce pre-order and depths, breaking
    /// any parent cycle it meets.
    fn walk_traces(&mut self) {
        let n = self.spans.len();
        // Group spans by trace (counting sort), each group in start order.
        let mut by_trace: Vec<Vec<u32>> = vec![Vec::new(); self.traces.len()];
        for (i, s) in self.spans.iter().enumerate() {
            by_trace[s.trace as usize].push(i as u32);
        }
        let mut visited = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        self.order.reserve(n);
        for (t, members) in by_trace.iter_mut().enumerate() {
            members.sort_unstable_by_key(|&i| start_key(&self.spans[i as usize]));
            let order_start = self.order.len();
            let roots_start = self.roots.len();
            for &i in members.iter() {
                if self.spans[i as usize].parent == NONE {
                    self.roots.push(i);
                    self.dfs(i, &mut visited, &mut stack);
                }
            }
            // Whatever is left hangs off a parent cycle: cut each cycle once and walk on.
            for &i in members.iter() {
                if visited[i as usize] {
                    continue;
                }
                let cut = self.find_cycle_member(i, &visited);
                self.cut_parent(cut);
                self.roots.push(cut);
                self.dfs(cut, &mut visited, &mut stack);
            }
            let trace = &mut self.traces[t];
            trace.spans = Slice {
                start: order_start as u32,
                len: (self.order.len() - order_start) as u32,
            };
            trace.roots = Slice {
                start: roots_start as u32,
                len: (self.roots.len() - roots_start) as u32,
            };
        }
    }

    fn dfs(&mut self, root: u32, visited: &mut [bool], stack: &mut Vec<u32>) {
        stack.clear();
        self.spans[root as usize].depth = 0;
        stack.push(root);
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut visited[i as usize], true) {
                continue;
            }
            self.order.push(i);
            let (depth, kids) = {
                let s = &self.spans[i as usize];
                (s.depth, s.children)
            };
            for k in (kids.start..kids.start + kids.len).rev() {
                let c = self.children[k as usize];
                if !visited[c as usize] {
                    self.spans[c as usize].depth = depth + 1;
                    stack.push(c);
                }
            }
        }
    }

    /// Follows parents up from `start` (never visited, so it hangs below a cycle) until a
    /// span repeats; returns the earliest-starting span of that cycle.
    fn find_cycle_member(&self, start: u32, visited: &[bool]) -> u32 {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut cur = start;
        while seen.insert(cur) {
            let p = self.spans[cur as usize].parent;
            if p == NONE || visited[p as usize] {
                // Defensive: not actually below a cycle; treat `cur` as the root.
                return cur;
            }
            cur = p;
        }
        // `cur` is on the cycle; pick its earliest member so the cut is deterministic.
        let mut best = cur;
        let mut m = self.spans[cur as usize].parent;
        while m != cur {
            if start_key(&self.spans[m as usize]) < start_key(&self.spans[best as usize]) {
                best = m;
            }
            m = self.spans[m as usize].parent;
        }
        best
    }

    /// Detaches a span from its parent (removing it from the parent's children).
    fn cut_parent(&mut self, i: u32) {
        let p = self.spans[i as usize].parent;
        if p != NONE {
            let ps = self.spans[p as usize].children;
            let list = &mut self.children[ps.range()];
            if let Some(pos) = list.iter().position(|&c| c == i) {
                list[pos..].rotate_left(1);
                self.spans[p as usize].children.len -= 1;
            }
        }
        let s = &mut self.spans[i as usize];
        s.parent = NONE;
        s.depth = 0;
        s.marks.set(Marks::CYCLE_BROKEN);
    }

    /// Sets clock-skew and unfinished marks and computes the per-trace aggregates.
    /// Clock skew: a span starting more than [`SKEW_TOLERANCE_NS`] before its parent,
    /// or (across services) ending that much after it.
    fn flag_and_aggregate(&mut self) {
        for i in 0..self.spans.len() {
            let s = &self.spans[i];
            let mut marks = s.marks;
            if !s.is_finished() {
                marks.set(Marks::UNFINISHED);
            }
            if s.parent != NONE {
                let p = &self.spans[s.parent as usize];
                // One service keeps one clock: a child ending after its parent there
                // is async work outliving it (an SDK that ends spans on a later
                // tick), not skew. Across services, or starting before its parent,
                // it is, beyond the millisecond SDKs round start times to.
                let service = |x: &Span| self.resources.get(x.resource as usize).map(|r| r.service);
                let one_clock = service(s) == service(p);
                let ends_late = s.is_finished()
                    && p.is_finished()
                    && s.end > p.end.saturating_add(SKEW_TOLERANCE_NS)
                    && !one_clock;
                if s.start.saturating_add(SKEW_TOLERANCE_NS) < p.start || ends_late {
                    marks.set(Marks::CLOCK_SKEW);
                }
            }
            self.spans[i].marks = marks;
        }
        let mut total = Integrity::default();
        for t in 0..self.traces.len() {
            let trace = &self.traces[t];
            let (spans, roots) = (trace.spans, trace.roots);
            let mut agg = Trace {
                id: trace.id,
                spans,
                roots,
                start: u64::MAX,
                span_count: spans.len,
                ..Trace::default()
            };
            for &i in &self.order[spans.range()] {
                let s = &self.spans[i as usize];
                // A start of 0 is unknown (OTLP's unset), not 1970.
                if s.start > 0 {
                    agg.start = agg.start.min(s.start);
                }
                if s.is_finished() {
                    agg.end = agg.end.max(s.end);
                }
                if s.status == StatusCode::Error {
                    agg.error_count += 1;
                }
                let m = s.marks;
                let ig = &mut agg.integrity;
                ig.orphans += m.has(Marks::ORPHAN) as u32;
                ig.cycles += m.has(Marks::CYCLE_BROKEN) as u32;
                ig.clock_skew += m.has(Marks::CLOCK_SKEW) as u32;
                ig.unfinished += m.has(Marks::UNFINISHED) as u32;
                ig.dropped += s.dropped.iter().map(|&d| d as u64).sum::<u64>();
            }
            agg.integrity.duplicates = self.duplicate_counts(spans);
            if agg.start == u64::MAX {
                agg.start = 0;
            }
            agg.end = agg.end.max(agg.start);
            let root_list = &self.roots[roots.range()];
            let main = root_list
                .iter()
                .copied()
                .find(|&r| !self.spans[r as usize].marks.has(Marks::ORPHAN))
                .or_else(|| root_list.first().copied())
                .unwrap_or(NONE);
            agg.root = main;
            if main != NONE {
                let r = &self.spans[main as usize];
                agg.root_name = r.name;
                agg.service = self
                    .resources
                    .get(r.resource as usize)
                    .map(|res| res.service)
                    .unwrap_or_default();
            }
            total.add(&agg.integrity);
            self.traces[t] = agg;
        }
        self.integrity = total;
    }

    fn duplicate_counts(&self, spans: Slice) -> u32 {
        self.order[spans.range()]
            .iter()
            .filter(|&&i| self.spans[i as usize].marks.has(Marks::DUPLICATE))
            .count() as u32
    }
}

/// What [`TraceSet::extend_with`] changed, for bringing steps and findings up to date.
#[derive(Clone, Debug, Default)]
pub struct Growth {
    /// The first new span: spans from here on arrived with this growth.
    pub first_new: usize,
    /// Spans held before that changed: a later copy was merged in or log records
    /// joined them (sorted, no repeats).
    pub revised: Vec<u32>,
}

impl Growth {
    /// The spans whose steps must be derived again, in index order.
    pub fn changed_spans(&self, set: &TraceSet) -> Vec<u32> {
        let mut out = self.revised.clone();
        out.extend(self.first_new as u32..set.spans.len() as u32);
        out
    }

    /// The traces that gained or changed a span (sorted, no repeats).
    pub fn changed_traces(&self, set: &TraceSet) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .changed_spans(set)
            .iter()
            .filter_map(|&i| set.spans.get(i as usize).map(|s| s.trace))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Unix nanoseconds of 2200-01-01: later times are not real.
const MAX_PLAUSIBLE_NS: u64 = 7_258_118_400_000_000_000;

/// Sort key for "start order": start time, then span id to keep ties deterministic.
fn start_key(s: &Span) -> (u64, [u8; 8]) {
    (s.start, s.span_id.0)
}

/// Folds a second copy of a span into the first: the copy wins where the first is
/// incomplete (no end, no status, no attributes), so a span re-sent after finishing
/// shows its final state. Attributes join: the finished copy's win, and those only the
/// other copy has are kept (an unfinished copy often carries the request, the finished
/// one the result and the error).
fn merge_duplicate(old: &mut Span, new: Span, attrs: &mut Vec<super::Attr>) {
    old.marks.set(Marks::DUPLICATE);
    let new_wins = !old.is_finished() && new.is_finished();
    if new_wins {
        old.start = new.start;
        old.end = new.end;
    }
    if old.status == StatusCode::Unset && new.status != StatusCode::Unset {
        old.status = new.status;
        old.status_message = new.status_message;
    }
    old.attrs = merged_attrs(old.attrs, new.attrs, new_wins, attrs);
    if old.events.len == 0 {
        old.events = new.events;
    }
    if old.links.len == 0 {
        old.links = new.links;
    }
    if old.name.is_empty() {
        old.name = new.name;
    }
}

/// A fuller copy of a span from the same input taking the place of the copy held: its
/// fields win, the attributes only the held copy has stay (log records joined as
/// events are kept when the new copy has fewer events), and it is not a duplicate.
fn supersede(old: &mut Span, new: Span, attrs: &mut Vec<super::Attr>) {
    old.start = new.start;
    old.end = new.end;
    if new.status != StatusCode::Unset || old.status == StatusCode::Unset {
        old.status = new.status;
        old.status_message = new.status_message;
    }
    old.attrs = merged_attrs(old.attrs, new.attrs, true, attrs);
    if new.events.len >= old.events.len {
        old.events = new.events;
    }
    if new.links.len >= old.links.len {
        old.links = new.links;
    }
    if !new.name.is_empty() {
        old.name = new.name;
    }
    old.kind = new.kind;
    old.flags = new.flags;
    old.trace_state = new.trace_state;
    old.dropped = new.dropped;
    old.resource = new.resource;
    old.scope = new.scope;
    old.parent_span_id = new.parent_span_id;
}

/// Two copies' attributes as one list: every attribute of the winner, then those of
/// the other copy whose keys the winner lacks (new entries at the arena's end).
fn merged_attrs(old: Slice, new: Slice, new_wins: bool, attrs: &mut Vec<super::Attr>) -> Slice {
    if old.len == 0 {
        return new;
    }
    if new.len == 0 || old == new {
        return old;
    }
    let (win, other) = if new_wins { (new, old) } else { (old, new) };
    let start = attrs.len();
    let winners: Vec<super::Attr> = attrs[win.range()].to_vec();
    let keys: rustc_hash::FxHashSet<Sym> = winners.iter().map(|w| w.key).collect();
    let extra: Vec<super::Attr> = attrs[other.range()]
        .iter()
        .filter(|a| !keys.contains(&a.key))
        .cloned()
        .collect();
    attrs.extend(winners);
    attrs.extend(extra);
    Slice {
        start: start as u32,
        len: (attrs.len() - start) as u32,
    }
}

/// An OTLP/JSON `AnyValue` (`{"stringValue": …}`…) as an attribute value; a bare JSON
/// value (an object without any `AnyValue` key too) is taken as it is.
fn any_value(strings: &mut super::Interner, v: &serde_json::Value) -> super::AttrValue {
    use super::AttrValue;
    use serde_json::Value;
    let Some(o) = v.as_object() else {
        return AttrValue::from_json(strings, v);
    };
    if let Some(s) = o
        .get("stringValue")
        .or(o.get("string_value"))
        .and_then(Value::as_str)
    {
        return AttrValue::string(strings, s);
    }
    if let Some(b) = o
        .get("boolValue")
        .or(o.get("bool_value"))
        .and_then(Value::as_bool)
    {
        return AttrValue::Bool(b);
    }
    if let Some(i) = o.get("intValue").or(o.get("int_value")) {
        let n = i
            .as_i64()
            .or_else(|| i.as_str().and_then(|s| s.parse().ok()));
        return n.map_or(AttrValue::Empty, AttrValue::Int);
    }
    if let Some(d) = o
        .get("doubleValue")
        .or(o.get("double_value"))
        .and_then(Value::as_f64)
    {
        return AttrValue::Double(d);
    }
    if let Some(a) = o.get("arrayValue").or(o.get("array_value")) {
        let items = a
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        return AttrValue::Array(Box::new(
            items.iter().map(|x| any_value(strings, x)).collect(),
        ));
    }
    if let Some(m) = o.get("kvlistValue").or(o.get("kvlist_value")) {
        let items = m
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        return AttrValue::KvList(Box::new(
            items
                .iter()
                .filter_map(|kv| {
                    let k = kv.get("key")?.as_str()?;
                    let key = strings.intern(k);
                    Some((key, any_value(strings, kv.get("value")?)))
                })
                .collect(),
        ));
    }
    if o.contains_key("bytesValue") || o.contains_key("bytes_value") || o.is_empty() {
        return AttrValue::Empty;
    }
    // A plain JSON object (a log body printed as JSON by the debug exporter).
    AttrValue::from_json(strings, v)
}
