//! What every screen of the explorer reads: the loaded set, the trace-list query,
//! the status line, the keymap and the last frame's geometry.

use super::keymap::Keymap;
use crate::analysis::list::TraceListQuery;
use crate::model::TraceSet;

/// Loading progress, shown while the first screen waits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    /// Bytes read so far.
    pub bytes: u64,
    /// Spans decoded so far.
    pub spans: u64,
    /// What is happening.
    pub phase: String,
}

/// Geometry of the last frame (for paging and mouse clicks).
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout {
    /// Rows of the main list or tree that fit.
    pub body_rows: u16,
    /// Screen row of the first list/tree row.
    pub body_top: u16,
    /// Left and right edge of the list/tree.
    pub body_x: (u16, u16),
}

/// The explorer's shared state.
pub struct Shared {
    /// What is loaded: every span (files), or trace summaries only (a store).
    pub set: TraceSet,
    /// Some while loading.
    pub loading: Option<Progress>,
    /// Input names, for the header.
    pub source_label: String,
    /// True when `set` holds a store's trace summaries (spans are read per trace).
    pub store_mode: bool,
    /// Store mode: the list shows only the newest traces while the rest are read.
    pub partial: bool,
    /// Store mode: the whole trace list, when it arrived while a trace or session was
    /// open; it replaces the partial one when the list is shown again.
    pub pending_list: Option<TraceSet>,
    /// The trace list asked for: the filter (failed / slow are its terms), the order.
    pub query: TraceListQuery,
    /// Store mode, under a `text:` filter: the traces the store's text search found
    /// for it (the trace summaries alone cannot tell).
    pub text_hits: Option<rustc_hash::FxHashSet<crate::model::TraceId>>,
    /// Why the last filter text did not parse.
    pub filter_error: Option<String>,
    /// The slow threshold the `s` key filters with, ns.
    pub slow_ns: u64,
    /// Group the trace list by session.
    pub group_sessions: bool,
    /// Status bar message.
    pub status: String,
    /// Text to put on the clipboard (taken by the event loop).
    pub clipboard: Option<String>,
    /// Quit requested.
    pub quit: bool,
    /// Suspend requested (Ctrl-Z); the terminal loop does it.
    pub suspend: bool,
    /// Continued after a stop (SIGCONT): the terminal must be taken over again.
    pub resumed: bool,
    /// Geometry of the last frame.
    pub layout: Layout,
    /// Key bindings.
    pub keymap: Keymap,
    /// Privacy mode (`p`): the redactor every set shown has been passed through.
    pub privacy: Option<crate::redact::Redactor>,
    /// While findings are decided after the first frame: traces decided, of how many.
    pub deciding: Option<(usize, usize)>,
}

impl Shared {
    /// Shared state waiting for data.
    pub fn new(source_label: String) -> Shared {
        Shared {
            set: TraceSet::default(),
            loading: Some(Progress {
                phase: "reading".into(),
                ..Progress::default()
            }),
            source_label,
            store_mode: false,
            partial: false,
            pending_list: None,
            query: TraceListQuery::default(),
            text_hits: None,
            filter_error: None,
            slow_ns: 1_000_000_000,
            group_sessions: false,
            status: String::new(),
            clipboard: None,
            quit: false,
            suspend: false,
            resumed: false,
            layout: Layout {
                body_rows: 20,
                ..Layout::default()
            },
            keymap: Keymap::defaults(),
            privacy: None,
            deciding: None,
        }
    }

    /// The trace list's traces, in order: the query's, or in store mode under a text
    /// search, the traces it found (in the query's order).
    pub fn listed(&self) -> Vec<u32> {
        let Some(hits) = self.text_hits.as_ref().filter(|_| self.store_mode) else {
            return self.query.run(&self.set);
        };
        let mut rows: Vec<u32> = (0..self.set.traces.len() as u32)
            .filter(|&t| hits.contains(&self.set.traces[t as usize].id))
            .collect();
        self.query.order(&self.set, &mut rows);
        if let Some(n) = self.query.limit {
            rows.truncate(n);
        }
        rows
    }

    /// Rows of the body that fit, at least one.
    pub fn page(&self) -> usize {
        self.layout.body_rows.max(1) as usize
    }
}

/// Keeps `sel` inside the window `[offset, offset + height)`.
pub fn clamp_offset(offset: &mut usize, sel: usize, height: usize, len: usize) {
    if sel < *offset {
        *offset = sel;
    } else if sel >= *offset + height {
        *offset = sel + 1 - height;
    }
    *offset = (*offset).min(len.saturating_sub(height));
}

/// Moves a selection by `d` rows within `len`.
pub fn step(sel: &mut usize, len: usize, d: isize) {
    if len > 0 {
        *sel = (*sel as isize).saturating_add(d).clamp(0, len as isize - 1) as usize;
    }
}

/// The next index after (forward) or before `from` in a ring of `n` rows that
/// satisfies `hit`.
pub fn find_in_ring(
    from: usize,
    n: usize,
    forward: bool,
    hit: impl Fn(usize) -> bool,
) -> Option<usize> {
    (1..=n)
        .map(|k| {
            if forward {
                (from + k) % n
            } else {
                (from + n - k % n) % n
            }
        })
        .find(|&i| hit(i))
}

pub use crate::format::plural;
