//! Handing a trace on from the explorer: privacy mode (`p`, redaction as a view for
//! screen-sharing during an incident call) and the incident summary (`x`: the
//! selection's Markdown summary, copied with OSC 52 or written to a file together
//! with a redacted OTLP slice).

use super::app::{App, Popup};
use super::screens::Screen;
use crate::model::TraceSet;
use crate::redact::{Redactor, redact_set};
use crossterm::event::{KeyCode, KeyEvent};

/// The summary on offer, and what it is of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// The Markdown text (redacted).
    pub markdown: String,
    /// The trace's id, for file names.
    pub trace_id: String,
    /// The spans of the slice written with it (indices into `from_local` or the
    /// shared set).
    pub spans: Vec<u32>,
    /// True when the spans index the open trace's own set (store mode).
    pub from_local: bool,
}

/// The redactor of privacy mode and of summaries: the built-in rules and the user's
/// file (AGTRACE_REDACT_RULES) when it reads.
pub fn redactor() -> Redactor {
    Redactor::configured(None).unwrap_or_default()
}

impl App {
    /// A set about to be shown: redacted when privacy mode is on (the original is
    /// kept to turn it off again).
    pub(super) fn shown(&mut self, set: TraceSet) -> TraceSet {
        match &self.shared.privacy {
            Some(r) => {
                let red = redact_set(&set, r);
                self.plain = Some(set);
                red
            }
            None => set,
        }
    }

    /// Privacy mode on or off: every set on screen is swapped for its redacted copy
    /// (or back), index for index, so the selection and folds stay.
    pub fn toggle_privacy(&mut self) {
        let turning_on = self.shared.privacy.is_none();
        let r = redactor();
        let old_sessions: Vec<String> = self
            .screens
            .iter()
            .filter_map(|s| match s {
                Screen::Session(x) => Some(self.shared.set.str(x.session).to_owned()),
                _ => None,
            })
            .collect();
        if turning_on {
            let red = redact_set(&self.shared.set, &r);
            self.plain = Some(std::mem::replace(&mut self.shared.set, red));
        } else if let Some(plain) = self.plain.take() {
            self.shared.set = plain;
        }
        for screen in &mut self.screens {
            if let Screen::Trace(t) = screen {
                if turning_on {
                    if let Some(local) = t.local.take() {
                        t.local = Some(redact_set(&local, &r));
                        t.plain_local = Some(local);
                    }
                } else if let Some(plain) = t.plain_local.take() {
                    t.local = Some(plain);
                }
                t.forget_detail();
            }
        }
        self.shared.privacy = turning_on.then_some(r);
        // Session views hold their turns' text: built again from the set now shown.
        let shown_names: Vec<String> = old_sessions
            .iter()
            .map(|name| match &self.shared.privacy {
                Some(r) => r.text(name).into_owned(),
                None => self
                    .plain_session_name(name)
                    .unwrap_or_else(|| name.clone()),
            })
            .collect();
        let mut names = shown_names.into_iter();
        let set = &self.shared.set;
        for screen in &mut self.screens {
            if let Screen::Session(x) = screen {
                let shown = names.next().unwrap_or_default();
                if let Some(sym) = set.strings.lookup(&shown) {
                    x.rebuild(set, sym);
                }
            }
        }
        if let Some(Screen::List(l)) = self.screens.first_mut() {
            l.rebuild(&self.shared);
        }
        self.shared.status = if turning_on {
            "privacy mode on: secrets, personal data and message content masked (p turns it off)"
                .into()
        } else {
            "privacy mode off: the trace is shown as recorded".into()
        };
    }

    /// Turning privacy off, a session view's name back: the session of the shown
    /// set whose redacted name is `redacted`.
    fn plain_session_name(&self, redacted: &str) -> Option<String> {
        let r = redactor();
        self.shared
            .set
            .sessions
            .keys()
            .map(|&k| self.shared.set.str(k))
            .find(|name| r.text(name) == redacted)
            .map(str::to_owned)
    }

    /// `x`: the incident summary of the selection (the trace, or the subtree of the
    /// selected step when it has steps below it), offered to copy or write.
    pub fn incident(&mut self) {
        let r = redactor();
        let (set, trace, subtree, from_local) = match self.screens.last() {
            Some(Screen::Trace(t)) => {
                let set = t.tset(&self.shared);
                let tr = if t.local.is_some() { 0 } else { t.summary };
                let span = t.selected_span();
                let root = set.traces.get(tr as usize).map(|x| x.root);
                // A step with steps below it is summarized as a subtree; a leaf (the
                // failure origin the view opens on, typically) is better told as the
                // whole trace, whose summary leads with that step anyway.
                let subtree = span.filter(|&s| {
                    Some(s) != root
                        && set
                            .spans
                            .get(s as usize)
                            .is_some_and(|x| !set.children_of(x).is_empty())
                });
                (set, tr, subtree, t.local.is_some())
            }
            Some(Screen::List(l)) if !self.shared.store_mode => match l.selected_trace() {
                Some(t) => (&self.shared.set, t, None, false),
                None => return,
            },
            _ => {
                self.shared.status =
                    "x: open a trace (or select one in the list) for its incident summary".into();
                return;
            }
        };
        let Some(tr) = set.traces.get(trace as usize) else {
            return;
        };
        let sources = self.shared.source_label.clone();
        let req = crate::render::markdown::SummaryRequest {
            trace,
            subtree,
            redactor: Some(&r),
            sources: &sources,
        };
        let markdown = crate::render::markdown::summary(set, &req);
        let spans = match subtree {
            Some(top) => {
                let o = crate::analysis::outline::TraceOutline::build(set, trace);
                match o.position(top) {
                    Some(p) => o.order[p..o.subtree_end[p] as usize].to_vec(),
                    None => Vec::new(),
                }
            }
            None => crate::export::select(set, &[trace], None),
        };
        self.popup = Some(Popup::Incident(Box::new(Incident {
            markdown,
            trace_id: tr.id.to_string(),
            spans,
            from_local,
        })));
        self.shared.status =
            "incident summary: c copy Markdown · w write .md and a redacted .otlp.json · Esc close"
                .into();
    }

    /// A key while the incident popup is open.
    pub fn incident_key(&mut self, key: KeyEvent) {
        let Some(Popup::Incident(inc)) = &self.popup else {
            return;
        };
        match key.code {
            KeyCode::Char('c') | KeyCode::Char('y') => {
                let text = inc.markdown.clone();
                self.popup = None;
                super::screens::put_on_clipboard(&mut self.shared, "the incident summary", text);
            }
            KeyCode::Char('w') => {
                let inc = inc.clone();
                self.popup = None;
                self.shared.status = match self.write_incident(&inc) {
                    Ok((md, slice)) => format!("wrote {md} and {slice} (redacted)"),
                    Err(e) => format!("could not write the incident files: {e}"),
                };
            }
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('x') => {
                self.popup = None;
                self.shared.status.clear();
            }
            _ => {}
        }
    }

    /// Writes `agtrace-incident-ID.md` and `agtrace-incident-ID.otlp.json` (a
    /// redacted OTLP slice) in the current folder, never over an existing file.
    fn write_incident(&self, inc: &Incident) -> std::io::Result<(String, String)> {
        let short = inc.trace_id.get(..8).unwrap_or(&inc.trace_id);
        let mut n = 1;
        let (md, slice) = loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            let md = format!("agtrace-incident-{short}{suffix}.md");
            let slice = format!("agtrace-incident-{short}{suffix}.otlp.json");
            // A name taken by anything, a dangling symlink too, is passed over.
            let free = |p: &str| std::fs::symlink_metadata(p).is_err();
            if free(&md) && free(&slice) {
                break (md, slice);
            }
            n += 1;
        };
        // The slice is cut from the unredacted set and redacted on the way out, so
        // it is the same whether or not privacy mode is on.
        let set: &TraceSet = match self.screens.last() {
            Some(Screen::Trace(t)) if inc.from_local => t
                .plain_local
                .as_ref()
                .or(t.local.as_ref())
                .unwrap_or(&self.shared.set),
            _ => self.plain.as_ref().unwrap_or(&self.shared.set),
        };
        let r = redactor();
        let mut body = Vec::new();
        crate::export::write(
            &mut body,
            set,
            &inc.spans,
            crate::export::ExportFormat::OtlpJson,
            Some(&r),
            &mut |_| {},
        )?;
        let write_new = |path: &str, bytes: &[u8]| -> std::io::Result<()> {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)?;
            f.write_all(bytes)
        };
        write_new(&md, inc.markdown.as_bytes())?;
        write_new(&slice, &body)?;
        Ok((md, slice))
    }
}
