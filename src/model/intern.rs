//! String interning: repeated strings (attribute keys, span and service names, model
//! names) are stored once in one buffer and referred to by a 4-byte [`Sym`].

use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

/// A handle to an interned string. `Sym::EMPTY` is always the empty string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Sym(pub u32);

impl Sym {
    /// The empty string.
    pub const EMPTY: Sym = Sym(0);

    /// True for the empty string.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Strings at most this long are interned; longer attribute values are stored as owned
/// text, since they rarely repeat (prompts, tool payloads) and would bloat the table.
pub const INTERN_MAX: usize = 96;

/// A handle to a long text (not interned, stored once in the text arena).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Txt(pub u32);

/// An append-only string table, plus an arena for long texts that are not worth
/// interning (one contiguous buffer: no per-string allocation).
#[derive(Clone)]
pub struct Interner {
    buf: String,
    ends: Vec<usize>,
    table: hashbrown::HashTable<u32>,
    hasher: FxBuildHasher,
    texts: String,
    text_ends: Vec<usize>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            buf: String::new(),
            ends: Vec::new(),
            table: hashbrown::HashTable::new(),
            hasher: FxBuildHasher,
            texts: String::new(),
            text_ends: Vec::new(),
        };
        i.intern("");
        i
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} strings)", self.ends.len())
    }
}

/// Entry `i` of strings stored back to back in `buf`, entry `k` ending at `ends[k]`;
/// "" when `i` is out of range.
fn nth<'a>(buf: &'a str, ends: &[usize], i: usize) -> &'a str {
    let Some(&end) = ends.get(i) else {
        return "";
    };
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &buf[start..end]
}

impl Interner {
    /// Returns the handle for `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> Sym {
        let hash = self.hasher.hash_one(s);
        let Self {
            buf, ends, table, ..
        } = self;
        if let Some(&id) = table.find(hash, |&id| nth(buf, ends, id as usize) == s) {
            return Sym(id);
        }
        let id = ends.len() as u32;
        buf.push_str(s);
        ends.push(buf.len());
        let hasher = self.hasher;
        let (buf, ends) = (&self.buf, &self.ends);
        self.table
            .insert_unique(hash, id, |&id| hasher.hash_one(nth(buf, ends, id as usize)));
        Sym(id)
    }

    /// The string behind a handle. A handle from another table gives "" rather than
    /// panicking.
    pub fn get(&self, sym: Sym) -> &str {
        nth(&self.buf, &self.ends, sym.0 as usize)
    }

    /// Reserves room for `bytes` of long texts.
    pub fn reserve_texts(&mut self, bytes: usize) {
        self.texts.reserve(bytes);
        self.text_ends.reserve(bytes / 256);
    }

    /// Reserves room for about `n` more distinct strings (avoids rehashing).
    pub fn reserve(&mut self, n: usize) {
        let (buf, ends, hasher) = (&self.buf, &self.ends, self.hasher);
        self.table
            .reserve(n, |&id| hasher.hash_one(nth(buf, ends, id as usize)));
        self.ends.reserve(n);
        self.buf.reserve(n * 24);
    }

    /// Stores a long text and returns its handle.
    pub fn add_text(&mut self, s: &str) -> Txt {
        self.texts.push_str(s);
        self.text_ends.push(self.texts.len());
        Txt((self.text_ends.len() - 1) as u32)
    }

    /// A long text by handle ("" for a foreign handle).
    pub fn text(&self, t: Txt) -> &str {
        nth(&self.texts, &self.text_ends, t.0 as usize)
    }

    /// Number of long texts.
    pub fn text_count(&self) -> usize {
        self.text_ends.len()
    }

    /// Appends all of `other`'s long texts; handle `t` of `other` becomes
    /// `Txt(t.0 + returned offset)`.
    pub fn append_texts(&mut self, other: &Interner) -> u32 {
        let off = self.text_ends.len() as u32;
        let base = self.texts.len();
        self.texts.push_str(&other.texts);
        self.text_ends
            .extend(other.text_ends.iter().map(|e| e + base));
        off
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Always false: the empty string is always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Looks a string up without adding it.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&id| self.get(Sym(id)) == s)
            .map(|&id| Sym(id))
    }

    /// Every interned string back to back, and where each ends (string `i` runs from
    /// the end of `i - 1` to `ends[i]`): for searching all of them in one pass.
    pub fn packed(&self) -> (&str, &[usize]) {
        (&self.buf, &self.ends)
    }

    /// Bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
            + self.ends.capacity() * 8
            + self.table.capacity() * 5
            + self.texts.capacity()
            + self.text_ends.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let mut i = Interner::default();
        let a = i.intern("gen_ai.request.model");
        let b = i.intern("service.name");
        assert_eq!(i.intern("gen_ai.request.model"), a);
        assert_ne!(a, b);
        assert_eq!(i.get(a), "gen_ai.request.model");
        assert_eq!(i.get(Sym::EMPTY), "");
        assert_eq!(i.intern(""), Sym::EMPTY);
        assert_eq!(i.lookup("service.name"), Some(b));
        assert_eq!(i.lookup("nope"), None);
        assert_eq!(i.get(Sym(999)), "");
    }
}
