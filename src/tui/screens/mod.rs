//! The explorer's screens. Each owns its state (rows, selection, scroll), handles its
//! own actions and draws itself; the [`Screen`] enum is the only place that lists
//! them, so a new screen is one file here plus one variant.

pub mod list;
mod list_view;
pub mod session;
pub mod stats;
pub mod steps;
pub mod trace;
mod trace_view;

use super::keymap::{Action, Context};
use super::shared::Shared;
use super::theme::Theme;
use crate::model::Sym;
use ratatui::Frame;
use ratatui::layout::Rect;

/// Where a screen's action leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nav {
    /// Nowhere: the screen handled it.
    Stay,
    /// Open this trace (index in the shared set).
    OpenTrace(u32),
    /// Open this session.
    OpenSession(Sym),
    /// Open this trace (index in the shared set) at this span.
    OpenSpan(u32, u32),
    /// Back to the trace list, filtered by this term (a group of the stats screen).
    ListWith(String),
}

/// How far a movement action moves a selection, for a list showing `page` rows;
/// `None` for actions that are not movements. One rule for every screen.
pub fn movement(action: Action, page: usize) -> Option<isize> {
    let page = page as isize;
    Some(match action {
        Action::Down => 1,
        Action::Up => -1,
        Action::PageDown => page - 1,
        Action::PageUp => 1 - page,
        Action::Top => isize::MIN / 2,
        Action::Bottom => isize::MAX / 2,
        _ => return None,
    })
}

/// Which screen, without its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenKind {
    /// All traces.
    List,
    /// One trace: tree and detail pane.
    Trace,
    /// The traces of one session.
    Session,
    /// The slowest steps of every trace.
    Steps,
    /// Stats per group.
    Stats,
}

/// A screen on the navigation stack.
pub enum Screen {
    /// All traces.
    List(list::ListScreen),
    /// One trace.
    Trace(Box<trace::TraceScreen>),
    /// One session.
    Session(session::SessionScreen),
    /// The slowest steps.
    Steps(steps::StepsScreen),
    /// Stats per group.
    Stats(stats::StatsScreen),
}

impl Screen {
    /// Which screen this is.
    pub fn kind(&self) -> ScreenKind {
        match self {
            Screen::List(_) => ScreenKind::List,
            Screen::Trace(_) => ScreenKind::Trace,
            Screen::Session(_) => ScreenKind::Session,
            Screen::Steps(_) => ScreenKind::Steps,
            Screen::Stats(_) => ScreenKind::Stats,
        }
    }

    /// The keymap context of the screen.
    pub fn context(&self) -> Context {
        match self {
            Screen::List(_) | Screen::Session(_) | Screen::Steps(_) | Screen::Stats(_) => {
                Context::List
            }
            Screen::Trace(_) => Context::Trace,
        }
    }

    /// Applies an action the router did not take.
    pub fn handle(&mut self, action: Action, sh: &mut Shared) -> Nav {
        match self {
            Screen::List(s) => s.handle(action, sh),
            Screen::Trace(s) => s.handle(action, sh),
            Screen::Session(s) => s.handle(action, sh),
            Screen::Steps(s) => s.handle(action, sh),
            Screen::Stats(s) => s.handle(action, sh),
        }
    }

    /// The query changed: recompute what depends on it.
    pub fn refilter(&mut self, sh: &Shared) {
        match self {
            Screen::List(s) => s.rebuild(sh),
            Screen::Trace(s) => s.rebuild_rows(sh),
            Screen::Session(_) => {}
            Screen::Steps(s) => s.rebuild(sh),
            Screen::Stats(s) => s.rebuild(sh),
        }
    }

    /// The session the selection belongs to (`v` opens it).
    pub fn selected_session(&self, sh: &Shared) -> Sym {
        match self {
            Screen::List(s) => s.selected_session(&sh.set),
            Screen::Trace(s) => sh
                .set
                .traces
                .get(s.summary as usize)
                .map_or(Sym::EMPTY, |t| t.session),
            Screen::Session(_) | Screen::Stats(_) => Sym::EMPTY,
            Screen::Steps(s) => s
                .rows
                .get(s.sel)
                .and_then(|&(i, _)| sh.set.spans.get(i as usize))
                .and_then(|sp| sh.set.traces.get(sp.trace as usize))
                .map_or(Sym::EMPTY, |t| t.session),
        }
    }

    /// The keys worth showing in the status bar here: an action (and its opposite,
    /// shown as `a/b`) with what they do.
    pub fn hints(&self) -> &'static [(Action, Option<Action>, &'static str)] {
        use Action::*;
        match self {
            Screen::List(_) => &[
                (Down, Some(Up), "move"),
                (Enter, None, "open"),
                (Filter, None, "filter"),
                (ToggleFailed, None, "failed"),
                (ToggleSlow, None, "slow"),
                (SlowestSteps, None, "slowest"),
                (StatsView, None, "stats"),
                (NextFailure, None, "next failure"),
                (Sort, None, "sort"),
                (GroupSessions, None, "sessions"),
                (Help, None, "help"),
                (Quit, None, "quit"),
            ],
            Screen::Session(_) => &[
                (Down, Some(Up), "move"),
                (Enter, None, "open turn"),
                (NextFailure, None, "failed turn"),
                (Back, None, "back"),
                (Help, None, "help"),
            ],
            Screen::Stats(_) => &[
                (Down, Some(Up), "move"),
                (Enter, None, "its traces"),
                (Sort, None, "group by"),
                (Filter, None, "filter"),
                (Back, None, "back"),
            ],
            Screen::Steps(_) => &[
                (Down, Some(Up), "move"),
                (Enter, None, "open at step"),
                (Filter, None, "filter"),
                (Copy, None, "copy id"),
                (Back, None, "back"),
            ],
            Screen::Trace(_) => &[
                (Down, Some(Up), "move"),
                (Left, Some(Right), "fold"),
                (NextFailure, Some(PrevFailure), "findings"),
                (NextTurn, Some(PrevTurn), "turn"),
                (Filter, None, "filter"),
                (NextMatch, Some(PrevMatch), "match"),
                (SwitchPane, None, "pane"),
                (NextTab, None, "tabs"),
                (Copy, None, "copy"),
                (Back, None, "back"),
            ],
        }
    }

    /// Draws the screen's body into `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, sh: &mut Shared, theme: &Theme) {
        match self {
            Screen::List(s) => s.draw(frame, area, sh, theme),
            Screen::Trace(s) => trace_view::draw(s, frame, area, sh, theme),
            Screen::Session(s) => s.draw(frame, area, sh, theme),
            Screen::Steps(s) => s.draw(frame, area, sh, theme),
            Screen::Stats(s) => s.draw(frame, area, sh, theme),
        }
    }

    /// Selects the row under a click at body row `row`.
    pub fn click(&mut self, row: usize) {
        let pick = |sel: &mut usize, offset: usize, len: usize| {
            let hit = offset + row < len;
            if hit {
                *sel = offset + row;
            }
            hit
        };
        match self {
            Screen::List(s) => {
                pick(&mut s.sel, s.offset, s.rows.len());
            }
            Screen::Session(s) => {
                pick(&mut s.sel, s.offset, s.rows.len());
            }
            Screen::Steps(s) => {
                pick(&mut s.sel, s.offset, s.rows.len());
            }
            Screen::Stats(s) => {
                let len = s.rows_shown();
                pick(&mut s.sel, s.offset, len);
            }
            Screen::Trace(s) => {
                if pick(&mut s.sel, s.offset, s.rows.len()) {
                    s.focus = trace::Focus::Tree;
                    s.detail_scroll = 0;
                }
            }
        }
    }
}

/// Puts text on the clipboard and says so.
pub fn put_on_clipboard(sh: &mut Shared, what: &str, text: String) {
    sh.status = format!(
        "copied {what} ({} chars) to the clipboard",
        text.chars().count()
    );
    sh.clipboard = Some(text);
}
