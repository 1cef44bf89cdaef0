//! `agtrace open`: the interactive explorer. The only module that talks to the
//! terminal. One event channel fed by an input thread (keys from the terminal device,
//! so piped data on stdin is fine), a loader thread and a progress tick; the state is
//! owned by the loop and changed only through [`App::update`]; frames are drawn only
//! after a change, once per drained batch of events.

pub mod app;
mod compare;
mod deciding;
pub mod detail;
mod handoff;
pub mod jobs;
pub mod keymap;
pub mod live;
mod popup;
pub mod screens;
pub mod shared;
pub mod theme;
pub mod view;
mod widgets;

use crate::input::Opened;
use crate::model::TraceSet;
use crate::source::{LoadError, LoadOptions, LoadProgress};
use app::{App, Popup};
use crossterm::event::{self, Event as CtEvent, KeyEventKind, MouseButton, MouseEventKind};
use jobs::{JobDone, Jobs, SqliteStore};
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
    /// A signal: quit on SIGTERM/SIGHUP/SIGINT, take the terminal back on SIGCONT.
    Signal(i32),
    Term(CtEvent),
    Loaded(Box<Result<TraceSet, LoadError>>),
    /// A background read finished.
    Job(Box<JobDone>),
    Tick,
}

/// Applies the start options once data is there: direct actions, not simulated keys.
pub fn apply_start(app: &mut App, start: &Start) {
    if let Some(f) = &start.filter {
        app.apply_filter_text(f);
    }
    if let Some(s) = &start.session {
        app.open_session_by_id(s);
    }
    if let Some(t) = &start.trace {
        let found = app.shared.set.find_traces(t);
        match found.as_slice() {
            [one] => app.open_trace(*one),
            [] => {
                app.shared.status =
                    format!("no trace id starts with {}", crate::sanitize::sanitize(t))
            }
            many => {
                app.shared.status = format!(
                    "{} traces start with {}",
                    many.len(),
                    crate::sanitize::sanitize(t)
                )
            }
        }
    }
}

/// Live input for [`run`]: what feeds the view and how many spans to keep.
#[derive(Default)]
pub struct Live {
    /// Listen for OTLP with these options.
    pub listen: Option<crate::live::ListenOptions>,
    /// Read stdin as it arrives.
    pub stdin: bool,
    /// Follow these files as they grow.
    pub follow: Vec<std::path::PathBuf>,
    /// The span cap (oldest traces evicted beyond it).
    pub max_spans: usize,
}

impl Live {
    /// Whether anything feeds the view live.
    pub fn any(&self) -> bool {
        self.listen.is_some() || self.stdin || !self.follow.is_empty()
    }
}

/// Runs the explorer until the user quits. Load errors end it with the error (after
/// the terminal is restored); load warnings are returned for printing afterwards.
/// With `listen`, the OTLP receiver feeds it live (bound before the terminal is
/// taken, so a port in use is an error message, not a broken screen).
pub fn run(
    opened: Opened,
    mut opts: LoadOptions,
    start: Start,
    label: String,
    live: Live,
) -> Result<Vec<String>, RunError> {
    // A bad keys file is reported before the terminal is taken over.
    let keymap = keymap::Keymap::load_user().map_err(RunError::Keys)?;
    let progress = Arc::new(LoadProgress::default());
    opts.progress = Some(progress.clone());
    let (tx, rx) = mpsc::channel::<Event>();
    let deliver_tx = std::sync::Mutex::new(tx.clone());
    let jobs = Jobs::with_deliver(Arc::new(move |done| {
        if let Ok(tx) = deliver_tx.lock() {
            let _ = tx.send(Event::Job(Box::new(done)));
        }
    }));
    let mut app = App::loading(label);
    app.jobs = jobs;
    app.shared.keymap = keymap;
    let is_live = live.any();
    // Files and backends: the list is shown before the findings are decided (the
    // event loop decides them between keys). A live set decides its own as it grows.
    opts.findings = is_live;
    if is_live {
        let wake_tx = std::sync::Mutex::new(tx.clone());
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Ok(tx) = wake_tx.lock() {
                let _ = tx.send(Event::Tick);
            }
        });
        let mut state = live::LiveState::start(live.max_spans, opts.prices.clone(), wake);
        if let Some(listen) = live.listen {
            let receiver = crate::live::listen(listen, state.sink()).map_err(RunError::Listen)?;
            state.origins.push(live::Origin {
                label: receiver.endpoints(),
                stats: receiver.stats,
            });
        }
        if live.stdin {
            let stats = Arc::new(crate::live::Stats::default());
            crate::live::feed::read_stream(
                Box::new(std::io::stdin()),
                "<stdin>",
                &opts,
                state.feed_sink(),
                stats.clone(),
            )
            .map_err(RunError::Listen)?;
            state.origins.push(live::Origin {
                label: "stdin".into(),
                stats,
            });
        }
        for path in &live.follow {
            let stats = Arc::new(crate::live::Stats::default());
            crate::live::feed::follow(path, &opts, state.feed_sink(), stats.clone())
                .map_err(RunError::Listen)?;
            state.origins.push(live::Origin {
                label: format!(
                    "following {}",
                    crate::sanitize::sanitize(&path.display().to_string())
                ),
                stats,
            });
        }
        app.live = Some(state);
    }
    match opened {
        // One store: list it from its traces table (newest first, then all) and read
        // a trace's spans only when it is opened, so a store of any size opens at once.
        Opened::Store(path) => {
            let store = Arc::new(SqliteStore {
                path,
                prices: opts.prices.clone(),
            });
            let staged = start.trace.is_none() && start.session.is_none() && start.filter.is_none();
            app.start_store(store, staged);
        }
        Opened::Dumps(inputs) => {
            if !is_live && !inputs.is_empty() && !inputs.contains(&crate::source::Input::Stdin) {
                app.reload = Some(app::reload_of(inputs.clone(), opts.clone()));
            }
            let tx = tx.clone();
            std::thread::spawn(move || {
                let r = crate::input::load(&inputs, &opts);
                let _ = tx.send(Event::Loaded(Box::new(r)));
            });
        }
    }
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            while tx.send(Event::Tick).is_ok() {
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    }
    watch_signals(&tx);
    let mut terminal = ratatui::try_init().map_err(RunError::Terminal)?;
    crate::oom::TERMINAL_TAKEN.store(true, std::sync::atomic::Ordering::SeqCst);
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
    let result = event_loop(&mut terminal, &mut app, &rx, &progress, &start, &theme);
    let _ = crossterm::execute!(std::io::stdout(), event::DisableMouseCapture);
    ratatui::restore();
    crate::oom::TERMINAL_TAKEN.store(false, std::sync::atomic::Ordering::SeqCst);
    result.map(|()| {
        app.shared
            .set
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect()
    })
}

#[cfg(unix)]
fn is_continue(sig: i32) -> bool {
    sig == signal_hook::consts::SIGCONT
}

#[cfg(not(unix))]
fn is_continue(_sig: i32) -> bool {
    false
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
    /// The user's keys file is bad.
    #[error("keys: {0}")]
    Keys(#[source] keymap::KeymapError),
    /// The receiver could not listen.
    #[error("--listen: {0}")]
    Listen(#[source] std::io::Error),
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
        let first = if app.is_deciding() {
            // Findings are decided a slice at a time while no event waits.
            match rx.try_recv() {
                Ok(ev) => ev,
                Err(mpsc::TryRecvError::Empty) => {
                    dirty |= app.decide_some();
                    if !app.is_deciding() {
                        for k in app.take_waiting() {
                            dirty |= handle(app, Event::Term(CtEvent::Key(k)), progress, start)?;
                        }
                    }
                    continue;
                }
                Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
            }
        } else {
            let Ok(first) = rx.recv() else { return Ok(()) };
            first
        };
        let mut next = Some(first);
        while let Some(ev) = next {
            dirty |= handle(app, ev, progress, start)?;
            next = rx.try_recv().ok();
        }
        if let Some(text) = app.shared.clipboard.take() {
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
            );
        }
        if app.shared.quit {
            return Ok(());
        }
        if std::mem::take(&mut app.shared.suspend) {
            suspend(terminal)?;
            dirty = true;
        }
        if std::mem::take(&mut app.shared.resumed) {
            take_terminal(terminal)?;
            dirty = true;
        }
    }
}

/// Forwards the signals that must not leave the terminal broken to the event loop.
#[cfg(unix)]
fn watch_signals(tx: &mpsc::Sender<Event>) {
    use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGCONT])
    else {
        return;
    };
    let tx = tx.clone();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if tx.send(Event::Signal(sig)).is_err() {
                break;
            }
        }
    });
}

#[cfg(not(unix))]
fn watch_signals(_tx: &mpsc::Sender<Event>) {}

/// Gives the terminal back to the shell and stops the process (Ctrl-Z); returns once
/// continued (`fg`), with the terminal taken over again.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<(), RunError> {
    let _ = crossterm::execute!(
        std::io::stdout(),
        event::DisableMouseCapture,
        crossterm::cursor::Show
    );
    ratatui::restore();
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    }
    take_terminal(terminal)
}

/// Raw mode, the alternate screen and mouse capture again, and a full redraw (after a
/// stop, the shell drew over the screen).
fn take_terminal(terminal: &mut ratatui::DefaultTerminal) -> Result<(), RunError> {
    crossterm::terminal::enable_raw_mode().map_err(RunError::Terminal)?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        event::EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )
    .map_err(RunError::Terminal)?;
    // A blank frame, so the next one is drawn in full. (`Terminal::clear` would ask
    // the terminal for the cursor position, which the input thread's reader eats.)
    terminal
        .draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))
        .map_err(RunError::Terminal)?;
    Ok(())
}

/// Applies one event; returns whether the screen changed.
fn handle(
    app: &mut App,
    ev: Event,
    progress: &LoadProgress,
    start: &Start,
) -> Result<bool, RunError> {
    match ev {
        Event::Signal(sig) => {
            if is_continue(sig) {
                app.shared.resumed = true;
            } else {
                app.shared.quit = true;
            }
            Ok(true)
        }
        Event::Tick => {
            let live_changed = app.live_tick();
            let Some(p) = &mut app.shared.loading else {
                return Ok(live_changed);
            };
            let now = shared::Progress {
                bytes: progress.bytes.load(std::sync::atomic::Ordering::Relaxed),
                spans: progress.spans.load(std::sync::atomic::Ordering::Relaxed),
                phase: progress.phase_name().to_owned(),
            };
            let changed = *p != now;
            *p = now;
            Ok(changed)
        }
        Event::Loaded(r) => {
            let set = match *r {
                // A backend that cannot be read: say why in the explorer; r retries.
                Err(LoadError::Backend(e)) if app.reload.is_some() => {
                    app.loaded(TraceSet::default());
                    app.shared.status = format!(
                        "{} — r retries, q quits",
                        crate::sanitize::sanitize(&e.to_string())
                    );
                    return Ok(true);
                }
                r => r?,
            };
            app.loaded(set);
            apply_start(app, start);
            Ok(true)
        }
        Event::Job(done) => {
            let first = app.shared.loading.is_some();
            app.job_done(*done);
            if first && app.shared.loading.is_none() {
                apply_start(app, start);
            }
            Ok(true)
        }
        Event::Term(CtEvent::Key(k)) if k.kind != KeyEventKind::Release => {
            if matches!(app.popup, Some(Popup::Filter { .. })) {
                app.filter_key(k);
            } else if matches!(app.popup, Some(Popup::Incident(_))) {
                app.incident_key(k);
            } else if matches!(app.popup, Some(Popup::Compare(_))) {
                app.compare_key(k);
            } else {
                let ctx = app
                    .screens
                    .last()
                    .map_or(keymap::Context::List, |s| s.context());
                let action = app.shared.keymap.resolve(ctx, k);
                if action != Some(keymap::Action::Quit) && app.must_wait(action) {
                    app.wait_with(k);
                    return Ok(true);
                }
                match action {
                    Some(a) => app.update(a),
                    // Any key closes help, even an unbound one.
                    None if app.popup == Some(Popup::Help) => app.popup = None,
                    None => return Ok(false),
                }
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
