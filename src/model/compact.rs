//! Keeping some traces of a set and letting the rest go, as a live view does past its
//! span cap. Arenas and the string table only ever grow, so dropping spans alone
//! would free nothing: the kept traces are copied into a fresh batch that holds only
//! what they use. Copying the model directly is several times faster than the round
//! trip through the protobuf encoding it replaced, and keeps what that encoding has
//! no place for (each span's input, the mark of spans merged from copies, warnings,
//! log records still waiting for their spans).

use super::span::{Marks, NONE, Slice};
use super::{Attr, AttrValue, Batch, Interner, Sym, TraceSet};

impl TraceSet {
    /// The traces `keep` (indices into `traces`) as a batch holding only what they
    /// use, in the order their spans were held; the set's warnings and waiting log
    /// records go with it. Build it (with the same `sources`) to have the smaller set.
    pub fn keep_traces(self, keep: &[u32]) -> Batch {
        let mut kept = vec![false; self.traces.len()];
        for &t in keep {
            if let Some(k) = kept.get_mut(t as usize) {
                *k = true;
            }
        }
        let mut c = Copier {
            from: &self,
            strings: Interner::default(),
            syms: vec![u32::MAX; self.strings.len()],
            attrs: Vec::new(),
            resources: vec![u32::MAX; self.resources.len()],
            scopes: vec![u32::MAX; self.scopes.len()],
            out_resources: Vec::new(),
            out_scopes: Vec::new(),
        };
        let mut spans = Vec::new();
        let mut events = Vec::new();
        let mut links = Vec::new();
        for s in &self.spans {
            if !kept.get(s.trace as usize).copied().unwrap_or(false) {
                continue;
            }
            let mut n = *s;
            n.name = c.sym(s.name);
            n.status_message = c.sym(s.status_message);
            n.trace_state = c.sym(s.trace_state);
            n.attrs = c.attrs(s.attrs);
            n.resource = c.resource(s.resource);
            n.scope = c.scope(s.scope);
            let start = events.len();
            for e in self.events.get(s.events.range()).unwrap_or_default() {
                let mut e = e.clone();
                e.name = c.sym(e.name);
                e.attrs = c.attrs(e.attrs);
                events.push(e);
            }
            n.events = Slice {
                start: start as u32,
                len: (events.len() - start) as u32,
            };
            let start = links.len();
            for l in self.links.get(s.links.range()).unwrap_or_default() {
                let mut l = l.clone();
                l.trace_state = c.sym(l.trace_state);
                l.attrs = c.attrs(l.attrs);
                links.push(l);
            }
            n.links = Slice {
                start: start as u32,
                len: (links.len() - start) as u32,
            };
            n.trace = 0;
            n.parent = NONE;
            n.depth = 0;
            n.children = Slice::default();
            n.marks = Marks(s.marks.0 & Marks::DUPLICATE);
            spans.push(n);
        }
        let Copier {
            strings,
            attrs,
            out_resources,
            out_scopes,
            ..
        } = c;
        Batch {
            strings,
            spans,
            attrs,
            events,
            links,
            resources: out_resources,
            scopes: out_scopes,
            warnings: self.warnings,
            log_events: self.unattached_logs,
            revises: false,
        }
    }
}

/// Copies parts of one set into fresh tables, each string and resource once.
struct Copier<'a> {
    from: &'a TraceSet,
    strings: Interner,
    /// Old symbol → new symbol (`u32::MAX`: not copied yet).
    syms: Vec<u32>,
    attrs: Vec<Attr>,
    resources: Vec<u32>,
    scopes: Vec<u32>,
    out_resources: Vec<super::Resource>,
    out_scopes: Vec<super::Scope>,
}

impl Copier<'_> {
    fn sym(&mut self, s: Sym) -> Sym {
        match self.syms.get(s.0 as usize) {
            Some(&n) if n != u32::MAX => Sym(n),
            Some(_) => {
                let n = self.strings.intern(self.from.strings.get(s));
                self.syms[s.0 as usize] = n.0;
                n
            }
            None => Sym(0),
        }
    }

    fn value(&mut self, v: &AttrValue) -> AttrValue {
        match v {
            AttrValue::Str(s) => AttrValue::Str(self.sym(*s)),
            AttrValue::Text(t) => {
                AttrValue::Text(self.strings.add_text(self.from.strings.text(*t)))
            }
            AttrValue::Array(items) => {
                AttrValue::Array(Box::new(items.iter().map(|x| self.value(x)).collect()))
            }
            AttrValue::KvList(items) => AttrValue::KvList(Box::new(
                items
                    .iter()
                    .map(|(k, x)| (self.sym(*k), self.value(x)))
                    .collect(),
            )),
            other => other.clone(),
        }
    }

    fn attrs(&mut self, slice: Slice) -> Slice {
        let start = self.attrs.len();
        let from = self.from;
        for a in from.attrs.get(slice.range()).unwrap_or_default() {
            let key = self.sym(a.key);
            let value = self.value(&a.value);
            self.attrs.push(Attr { key, value });
        }
        Slice {
            start: start as u32,
            len: (self.attrs.len() - start) as u32,
        }
    }

    fn resource(&mut self, r: u32) -> u32 {
        let Some(&done) = self.resources.get(r as usize) else {
            return r;
        };
        if done != u32::MAX {
            return done;
        }
        let mut res = self.from.resources[r as usize].clone();
        res.service = self.sym(res.service);
        res.attrs = self.attrs(res.attrs);
        let n = self.out_resources.len() as u32;
        self.out_resources.push(res);
        self.resources[r as usize] = n;
        n
    }

    fn scope(&mut self, sc: u32) -> u32 {
        let Some(&done) = self.scopes.get(sc as usize) else {
            return sc;
        };
        if done != u32::MAX {
            return done;
        }
        let mut s = self.from.scopes[sc as usize].clone();
        s.name = self.sym(s.name);
        s.version = self.sym(s.version);
        s.attrs = self.attrs(s.attrs);
        let n = self.out_scopes.len() as u32;
        self.out_scopes.push(s);
        self.scopes[sc as usize] = n;
        n
    }
}
