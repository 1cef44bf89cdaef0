//! Where each span of a set is, by trace and span id. The table holds only span
//! positions (4 bytes each) and finds a span's ids in the span arena itself, where a
//! map keyed by both ids would keep a second copy of them (32 bytes a span: 0.3 GB
//! at 10M spans).

use super::ids::{SpanId, TraceId};
use super::span::Span;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher as _;

/// Span positions hashed by the (trace id, span id) of the span they point at.
#[derive(Clone, Default)]
pub struct SpanIndex {
    table: hashbrown::HashTable<u32>,
}

impl std::fmt::Debug for SpanIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpanIndex({} spans)", self.table.len())
    }
}

fn hash(trace: TraceId, span: SpanId) -> u64 {
    FxBuildHasher.hash_one((trace, span))
}

fn hash_at(spans: &[Span], at: u32) -> u64 {
    spans
        .get(at as usize)
        .map_or(0, |s| hash(s.trace_id, s.span_id))
}

impl SpanIndex {
    /// The position in `spans` of the span with these ids.
    pub fn get(&self, spans: &[Span], trace: TraceId, span: SpanId) -> Option<u32> {
        self.table
            .find(hash(trace, span), |&at| {
                spans
                    .get(at as usize)
                    .is_some_and(|s| s.trace_id == trace && s.span_id == span)
            })
            .copied()
    }

    /// Records the span already written at `spans[at]` (its ids must not be indexed).
    pub fn insert(&mut self, spans: &[Span], at: u32) {
        let h = hash_at(spans, at);
        self.table.insert_unique(h, at, |&i| hash_at(spans, i));
    }

    /// Room for `more` spans without growing.
    pub fn reserve(&mut self, spans: &[Span], more: usize) {
        self.table.reserve(more, |&i| hash_at(spans, i));
    }

    /// Spans indexed.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Bytes held (entries and their control bytes).
    pub fn heap_bytes(&self) -> usize {
        self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }

    /// Forgets every span.
    pub fn clear(&mut self) {
        self.table.clear();
    }
}
