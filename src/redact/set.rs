//! A redacted copy of a whole trace set, index for index: the explorer's privacy
//! mode swaps it in, so every screen (list, tree, detail tabs, transcript, findings)
//! shows redacted text without knowing about redaction, and the selection stays
//! where it was.

use super::Redactor;
use crate::model::{AttrValue, Interner, Sym, TraceSet};

fn text(strings: &mut Interner, r: &Redactor, sym: Sym) -> Sym {
    if sym.is_empty() {
        return sym;
    }
    let s = strings.get(sym);
    match r.text(s) {
        std::borrow::Cow::Borrowed(_) => sym,
        std::borrow::Cow::Owned(o) => strings.intern(&o),
    }
}

fn value(strings: &mut Interner, r: &Redactor, key: &str, v: &AttrValue) -> AttrValue {
    match v {
        AttrValue::Str(_) | AttrValue::Text(_) => {
            let s = v.as_str(strings).unwrap_or("").to_owned();
            match r.value(key, &s) {
                std::borrow::Cow::Borrowed(_) => v.clone(),
                std::borrow::Cow::Owned(o) => AttrValue::string(strings, &o),
            }
        }
        AttrValue::Int(i) => match r.int(key, *i) {
            Some(m) => AttrValue::string(strings, &m),
            None => v.clone(),
        },
        AttrValue::Bytes(b) if !b.is_empty() => AttrValue::string(strings, &r.bytes(b.len())),
        AttrValue::Array(items) => AttrValue::Array(Box::new(
            items.iter().map(|x| value(strings, r, key, x)).collect(),
        )),
        AttrValue::KvList(kvs) => AttrValue::KvList(Box::new(
            kvs.iter()
                .map(|(k, x)| {
                    let nested = format!("{key}.{}", strings.get(*k));
                    let v = value(strings, r, &nested, x);
                    // Map keys are data too (an email used as a key).
                    (text(strings, r, *k), v)
                })
                .collect(),
        )),
        _ => v.clone(),
    }
}

/// `set` with every string a view shows passed through `r`: attribute values and
/// map keys (of spans, events, links, resources, scopes), span and event names,
/// trace states, scope names and versions, status messages,
/// the steps' and traces' names and ids, findings and warnings. Numbers, times, ids
/// and the tree are the same, index for index.
pub fn redact_set(set: &TraceSet, r: &Redactor) -> TraceSet {
    let mut out = set.clone();
    let strings = &mut out.strings;
    for a in &mut out.attrs {
        let key = strings.get(a.key).to_owned();
        a.value = value(strings, r, &key, &a.value);
    }
    for s in &mut out.spans {
        s.name = text(strings, r, s.name);
        s.status_message = text(strings, r, s.status_message);
        s.trace_state = text(strings, r, s.trace_state);
    }
    for e in &mut out.events {
        e.name = text(strings, r, e.name);
    }
    for l in &mut out.links {
        l.trace_state = text(strings, r, l.trace_state);
    }
    for sc in &mut out.scopes {
        sc.name = text(strings, r, sc.name);
        sc.version = text(strings, r, sc.version);
    }
    for st in &mut out.steps {
        for sym in [
            &mut st.reason,
            &mut st.tool_name,
            &mut st.agent_name,
            &mut st.session,
            &mut st.user,
            &mut st.model,
            &mut st.model_requested,
            &mut st.finish_reasons,
            &mut st.tool_call_id,
        ] {
            *sym = text(strings, r, *sym);
        }
    }
    for t in &mut out.traces {
        for sym in [
            &mut t.root_name,
            &mut t.service,
            &mut t.session,
            &mut t.user,
            &mut t.agent_name,
        ] {
            *sym = text(strings, r, *sym);
        }
    }
    for res in &mut out.resources {
        res.service = text(strings, r, res.service);
    }
    let sessions = std::mem::take(&mut out.sessions);
    for (k, v) in sessions {
        let k = text(strings, r, k);
        out.sessions.entry(k).or_default().extend(v);
    }
    for f in &mut out.findings {
        f.message = r.text(&f.message).into_owned();
    }
    for w in &mut out.warnings {
        w.message = r.text(&w.message).into_owned();
        w.source = r.text(&w.source).into_owned();
    }
    out
}
