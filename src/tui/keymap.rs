//! Keys → actions. One table, so the help screen is generated from the same bindings
//! the app uses, with a description for each.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Move the selection down.
    Down,
    /// Move the selection up.
    Up,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// One page down.
    PageDown,
    /// One page up.
    PageUp,
    /// Collapse, or go to the parent.
    Left,
    /// Expand, or go to the first child.
    Right,
    /// Open the selection, or toggle a tree node.
    Enter,
    /// Collapse every node.
    CollapseAll,
    /// Expand every node.
    ExpandAll,
    /// Switch focus between tree and detail pane.
    SwitchPane,
    /// Next detail tab.
    NextTab,
    /// Previous detail tab.
    PrevTab,
    /// A detail tab by number (1-based).
    Tab(u8),
    /// Open the filter / search line.
    Filter,
    /// Next filter match.
    NextMatch,
    /// Previous filter match.
    PrevMatch,
    /// Next failure origin.
    NextFailure,
    /// Previous failure origin.
    PrevFailure,
    /// Failed-only on/off.
    ToggleFailed,
    /// Slow-only on/off.
    ToggleSlow,
    /// Raise the slow threshold.
    SlowerThreshold,
    /// Lower the slow threshold.
    FasterThreshold,
    /// Highlight the critical path.
    CriticalPath,
    /// Copy the selected id or value (OSC 52).
    Copy,
    /// Next sort column.
    Sort,
    /// Reverse the sort.
    ReverseSort,
    /// Group the trace list by session.
    GroupSessions,
    /// Session view of the selected trace.
    SessionView,
    /// Reload (for stores).
    Refresh,
    /// Help.
    Help,
    /// Back.
    Back,
    /// Quit.
    Quit,
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Everywhere.
    Global,
    /// Trace list and session view.
    List,
    /// Trace view.
    Trace,
}

/// One binding: keys as shown in help, the action, where, and what it does.
pub struct Binding {
    /// Keys, as shown in help.
    pub keys: &'static str,
    /// The action.
    pub action: Action,
    /// Where it applies.
    pub context: Context,
    /// What it does.
    pub desc: &'static str,
}

/// The keymap, in help order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "j ↓",
        action: Action::Down,
        context: Context::Global,
        desc: "move down",
    },
    Binding {
        keys: "k ↑",
        action: Action::Up,
        context: Context::Global,
        desc: "move up",
    },
    Binding {
        keys: "g Home",
        action: Action::Top,
        context: Context::Global,
        desc: "first row",
    },
    Binding {
        keys: "G End",
        action: Action::Bottom,
        context: Context::Global,
        desc: "last row",
    },
    Binding {
        keys: "PgDn ^d",
        action: Action::PageDown,
        context: Context::Global,
        desc: "page down",
    },
    Binding {
        keys: "PgUp ^u",
        action: Action::PageUp,
        context: Context::Global,
        desc: "page up",
    },
    Binding {
        keys: "Enter Space",
        action: Action::Enter,
        context: Context::Global,
        desc: "open / toggle node",
    },
    Binding {
        keys: "h ←",
        action: Action::Left,
        context: Context::Trace,
        desc: "collapse, or go to parent",
    },
    Binding {
        keys: "l →",
        action: Action::Right,
        context: Context::Trace,
        desc: "expand, or go to first child",
    },
    Binding {
        keys: "[",
        action: Action::CollapseAll,
        context: Context::Trace,
        desc: "collapse all",
    },
    Binding {
        keys: "]",
        action: Action::ExpandAll,
        context: Context::Trace,
        desc: "expand all",
    },
    Binding {
        keys: "Tab",
        action: Action::SwitchPane,
        context: Context::Trace,
        desc: "switch tree / detail pane",
    },
    Binding {
        keys: "t 1-7",
        action: Action::NextTab,
        context: Context::Trace,
        desc: "detail tab: next / by number",
    },
    Binding {
        keys: "T",
        action: Action::PrevTab,
        context: Context::Trace,
        desc: "previous detail tab",
    },
    Binding {
        keys: "/",
        action: Action::Filter,
        context: Context::Global,
        desc: "filter / search (status:error kind:tool dur>2s …)",
    },
    Binding {
        keys: "n",
        action: Action::NextMatch,
        context: Context::Global,
        desc: "next match",
    },
    Binding {
        keys: "N",
        action: Action::PrevMatch,
        context: Context::Global,
        desc: "previous match",
    },
    Binding {
        keys: "e",
        action: Action::NextFailure,
        context: Context::Global,
        desc: "next failure (its origin)",
    },
    Binding {
        keys: "E",
        action: Action::PrevFailure,
        context: Context::Global,
        desc: "previous failure",
    },
    Binding {
        keys: "f",
        action: Action::ToggleFailed,
        context: Context::Global,
        desc: "failed only on/off",
    },
    Binding {
        keys: "s",
        action: Action::ToggleSlow,
        context: Context::Global,
        desc: "slow only on/off",
    },
    Binding {
        keys: "+",
        action: Action::SlowerThreshold,
        context: Context::Global,
        desc: "raise slow threshold",
    },
    Binding {
        keys: "-",
        action: Action::FasterThreshold,
        context: Context::Global,
        desc: "lower slow threshold",
    },
    Binding {
        keys: "c",
        action: Action::CriticalPath,
        context: Context::Trace,
        desc: "highlight critical path",
    },
    Binding {
        keys: "y",
        action: Action::Copy,
        context: Context::Global,
        desc: "copy id / value (OSC 52)",
    },
    Binding {
        keys: "o",
        action: Action::Sort,
        context: Context::List,
        desc: "sort by next column",
    },
    Binding {
        keys: "O",
        action: Action::ReverseSort,
        context: Context::List,
        desc: "reverse sort",
    },
    Binding {
        keys: "S",
        action: Action::GroupSessions,
        context: Context::List,
        desc: "group by session",
    },
    Binding {
        keys: "v",
        action: Action::SessionView,
        context: Context::Global,
        desc: "session view of the selection",
    },
    Binding {
        keys: "r",
        action: Action::Refresh,
        context: Context::Global,
        desc: "refresh (stores)",
    },
    Binding {
        keys: "?",
        action: Action::Help,
        context: Context::Global,
        desc: "this help",
    },
    Binding {
        keys: "Esc",
        action: Action::Back,
        context: Context::Global,
        desc: "back / close",
    },
    Binding {
        keys: "q ^c",
        action: Action::Quit,
        context: Context::Global,
        desc: "quit",
    },
];

/// The action for a key press in normal mode.
pub fn resolve(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('d') if ctrl => Action::PageDown,
        KeyCode::Char('u') if ctrl => Action::PageUp,
        _ if ctrl => return None,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Char('h') | KeyCode::Left => Action::Left,
        KeyCode::Char('l') | KeyCode::Right => Action::Right,
        KeyCode::Enter | KeyCode::Char(' ') => Action::Enter,
        KeyCode::Char('[') => Action::CollapseAll,
        KeyCode::Char(']') => Action::ExpandAll,
        KeyCode::Tab | KeyCode::BackTab => Action::SwitchPane,
        KeyCode::Char('t') => Action::NextTab,
        KeyCode::Char('T') => Action::PrevTab,
        KeyCode::Char(c @ '1'..='7') => Action::Tab(c as u8 - b'0'),
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('n') => Action::NextMatch,
        KeyCode::Char('N') => Action::PrevMatch,
        KeyCode::Char('e') => Action::NextFailure,
        KeyCode::Char('E') => Action::PrevFailure,
        KeyCode::Char('f') => Action::ToggleFailed,
        KeyCode::Char('s') => Action::ToggleSlow,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::SlowerThreshold,
        KeyCode::Char('-') => Action::FasterThreshold,
        KeyCode::Char('c') => Action::CriticalPath,
        KeyCode::Char('y') => Action::Copy,
        KeyCode::Char('o') => Action::Sort,
        KeyCode::Char('O') => Action::ReverseSort,
        KeyCode::Char('S') => Action::GroupSessions,
        KeyCode::Char('v') => Action::SessionView,
        KeyCode::Char('r') => Action::Refresh,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_in_help_resolves_from_its_first_key() {
        for b in BINDINGS {
            let first = b.keys.split(' ').next().unwrap_or("");
            let code = match first {
                "Enter" => KeyCode::Enter,
                "Tab" => KeyCode::Tab,
                "Esc" => KeyCode::Esc,
                "PgDn" => KeyCode::PageDown,
                "PgUp" => KeyCode::PageUp,
                k => KeyCode::Char(k.chars().next().unwrap_or(' ')),
            };
            let got = resolve(KeyEvent::new(code, KeyModifiers::NONE));
            assert_eq!(got, Some(b.action), "binding {:?}", b.keys);
        }
    }
}
