//! `agtrace open`: the interactive explorer. The only module that talks to the
//! terminal. One event channel fed by an input thread (keys from the terminal device,
//! so piped data on stdin is fine), a loader thread and a progress tick; the state is
//! owned by the loop and changed only through [`App::update`]; frames are drawn only
//! after a change, once per drained batch of events.

pub mod app;
pub mod detail;
pub mod keymap;
pub mod theme;
pub mod view;

use crate::model::TraceSet;
use crate::source::{Input, LoadError, LoadOptions, LoadProgress};
use app::{App, Mode};
use crossterm::event::{self, Event as CtEvent, KeyEventKind, MouseButton, MouseEventKind};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// Where to start.
#[derive(Clone, Debug, Default)]
pub struct Start {
    /// Open this trace (id prefix).
    pub trace: Option<String>,
    /// Open this session.
    pub session: Option<String>,
    /// Start with this filter.
    pub filter: Option<String>,
}

enum Event {
    Term(CtEvent),
    Loaded(Box<Result<TraceSet, LoadError>>),
    /// Store mode: the newest traces, shown while the rest are read.
    FirstPage(Box<TraceSet>),
    /// Store mode: the whole trace list, after a first page.
    Complete(Box<Result<TraceSet, LoadError>>),
    Tick,
}

/// Store mode: traces on the first screen of a large store, read before the rest.
const FIRST_PAGE: usize = 2_000;

/// Applies the start options once data is there.
pub fn apply_start(app: &mut App, start: &Start) {
    if let Some(f) = &start.filter {
        app.apply_filter_text(f);
    }
    if let Some(s) = &start.session {
        app.mode = Mode::Normal;
        match app
            .set
            .strings
            .lookup(s)
            .filter(|sym| app.set.sessions.contains_key(sym))
        {
            Some(_) => {
                app.mode = Mode::Filter {
                    input: s.clone(),
                    previous: String::new(),
                };
                app.filter_key(crossterm::event::KeyEvent::from(
                    crossterm::event::KeyCode::Enter,
                ));
            }
            None => app.status = format!("no session {}", crate::sanitize::sanitize(s)),
        }
    }
    if let Some(t) = &start.trace {
        let found = app.set.find_traces(t);
        match found.as_slice() {
            [one] => app.open_trace(*one),
            [] => app.status = format!("no trace id starts with {}", crate::sanitize::sanitize(t)),
            many => {
                app.status = format!(
                    "{} traces start with {}",
                    many.len(),
                    crate::sanitize::sanitize(t)
                )
            }
        }
    }
}

/// Runs the explorer until the user quits. Load errors end it with the error (after
/// the terminal is restored); load warnings are returned for printing afterwards.
pub fn run(
    inputs: Vec<Input>,
    mut opts: LoadOptions,
    start: Start,
    label: String,
) -> Result<Vec<String>, RunError> {
    let progress = Arc::new(LoadProgress::default());
    opts.progress = Some(progress.clone());
    // One agtrace store: list it from its traces table and read a trace's spans only
    // when it is opened, so a store of any size opens at once.
    let store = crate::store::all_agtrace_stores(&inputs)
        .filter(|s| s.len() == 1)
        .and_then(|s| s.into_iter().next());
    let (tx, rx) = mpsc::channel::<Event>();
    {
        let tx = tx.clone();
        let store = store.clone();
        // The start options look for a trace, session or filter in the whole list.
        let staged = start.trace.is_none() && start.session.is_none() && start.filter.is_none();
        std::thread::spawn(move || {
            let summaries = |f: &crate::store::SummaryFilter, p: &std::path::Path| {
                crate::store::load_summaries(p, f).map_err(|e| LoadError::Store(Box::new(e)))
            };
            let r = match &store {
                Some(p) if staged => {
                    // A large store shows its newest traces first, then all of them.
                    let first = crate::store::SummaryFilter {
                        newest: Some(FIRST_PAGE),
                        ..Default::default()
                    };
                    match summaries(&first, p) {
                        Ok(page) if page.traces.len() >= FIRST_PAGE => {
                            if tx.send(Event::FirstPage(Box::new(page))).is_err() {
                                return;
                            }
                            let all = summaries(&Default::default(), p);
                            let _ = tx.send(Event::Complete(Box::new(all)));
                            return;
                        }
                        other => other,
                    }
                }
                Some(p) => summaries(&Default::default(), p),
                None => crate::input::load(&inputs, &opts),
            };
            let _ = tx.send(Event::Loaded(Box::new(r)));
        });
    }
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            while tx.send(Event::Tick).is_ok() {
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    }
    let mut terminal = ratatui::try_init().map_err(RunError::Terminal)?;
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), event::DisableMouseCapture);
        prev_hook(info);
    }));
    let _ = crossterm::execute!(std::io::stdout(), event::EnableMouseCapture);
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            while let Ok(ev) = event::read() {
                if tx.send(Event::Term(ev)).is_err() {
                    break;
                }
            }
        });
    }
    let theme = theme::Theme::detect();
    let mut app = App::loading(label);
    app.store = store;
    let result = event_loop(&mut terminal, &mut app, &rx, &progress, &start, &theme);
    let _ = crossterm::execute!(std::io::stdout(), event::DisableMouseCapture);
    ratatui::restore();
    result.map(|()| app.set.warnings.iter().map(|w| w.to_string()).collect())
}

/// Why the explorer stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The terminal could not be set up or drawn.
    #[error("terminal: {0}")]
    Terminal(#[source] std::io::Error),
    /// The input could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    rx: &mpsc::Receiver<Event>,
    progress: &LoadProgress,
    start: &Start,
    theme: &theme::Theme,
) -> Result<(), RunError> {
    let mut dirty = true;
    loop {
        if dirty {
            terminal
                .draw(|f| view::render(app, f, theme))
                .map_err(RunError::Terminal)?;
            dirty = false;
        }
        let Ok(first) = rx.recv() else { return Ok(()) };
        let mut next = Some(first);
        while let Some(ev) = next {
            dirty |= handle(app, ev, progress, start)?;
            next = rx.try_recv().ok();
        }
        if let Some(text) = app.clipboard.take() {
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
            );
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Applies one event; returns whether the screen changed.
fn handle(
    app: &mut App,
    ev: Event,
    progress: &LoadProgress,
    start: &Start,
) -> Result<bool, RunError> {
    match ev {
        Event::Tick => {
            let Some(p) = &mut app.loading else {
                return Ok(false);
            };
            let now = app::Progress {
                bytes: progress.bytes.load(std::sync::atomic::Ordering::Relaxed),
                spans: progress.spans.load(std::sync::atomic::Ordering::Relaxed),
                phase: progress.phase_name().to_owned(),
            };
            let changed = *p != now;
            *p = now;
            Ok(changed)
        }
        Event::Loaded(r) => {
            let set = (*r)?;
            app.loaded(set);
            apply_start(app, start);
            Ok(true)
        }
        Event::FirstPage(set) => {
            app.partial = true;
            app.loaded(*set);
            Ok(true)
        }
        Event::Complete(r) => {
            match *r {
                Ok(set) => app.complete(set),
                // The first page stays usable; say why the rest is missing.
                Err(e) => {
                    app.partial = false;
                    app.status = format!(
                        "only the newest traces are listed: {}",
                        crate::sanitize::sanitize(&e.to_string())
                    );
                }
            }
            Ok(true)
        }
        Event::Term(CtEvent::Key(k)) if k.kind != KeyEventKind::Release => {
            if matches!(app.mode, Mode::Filter { .. }) {
                app.filter_key(k);
            } else if let Some(a) = keymap::resolve(k) {
                app.update(a);
            } else {
                return Ok(false);
            }
            Ok(true)
        }
        Event::Term(CtEvent::Mouse(m)) => {
            match m.kind {
                MouseEventKind::ScrollDown => (0..3).for_each(|_| app.update(keymap::Action::Down)),
                MouseEventKind::ScrollUp => (0..3).for_each(|_| app.update(keymap::Action::Up)),
                MouseEventKind::Down(MouseButton::Left) => app.click(m.column, m.row),
                _ => return Ok(false),
            }
            Ok(true)
        }
        Event::Term(CtEvent::Resize(..)) => Ok(true),
        Event::Term(_) => Ok(false),
    }
}
