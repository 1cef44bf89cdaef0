//! Keys → actions, as data: the default bindings are an embedded TOML file
//! (`keys.toml`), a user file can rebind them, and the one resulting table drives both
//! key resolution and the `?` help. Duplicates are rejected when the table is built.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// The default bindings.
pub const DEFAULT_TOML: &str = include_str!("keys.toml");

/// Everything a key can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// The slowest steps of every trace.
    SlowestSteps,
    /// Stats per tool, model… and the findings per kind.
    StatsView,
    /// The agent view of a trace on/off.
    AgentView,
    /// The next turn of the trace's session, in place.
    NextTurn,
    /// The previous turn of the trace's session, in place.
    PrevTurn,
    /// Reload (for stores).
    Refresh,
    /// A backend: fetch the next page of traces.
    More,
    /// Privacy mode on/off: redaction as a view.
    Privacy,
    /// Live view frozen / running again (receiving goes on).
    Pause,
    /// The incident summary of the selection: copy it, or write it with a slice.
    Incident,
    /// Mark the selected run; on a second run, how the two differ.
    Compare,
    /// Help.
    Help,
    /// Back.
    Back,
    /// Quit.
    Quit,
    /// Stop the explorer (Ctrl-Z): restore the terminal, stop, redraw on `fg`.
    Suspend,
}

/// Every action with its name in the TOML file and its help text.
const ACTIONS: &[(Action, &str, &str)] = &[
    (Action::Down, "down", "move down"),
    (Action::Up, "up", "move up"),
    (Action::Top, "top", "first row"),
    (Action::Bottom, "bottom", "last row"),
    (Action::PageDown, "page-down", "page down"),
    (Action::PageUp, "page-up", "page up"),
    (Action::Enter, "enter", "open / toggle node"),
    (Action::Left, "left", "collapse, or go to parent"),
    (Action::Right, "right", "expand, or go to first child"),
    (Action::CollapseAll, "collapse-all", "collapse all"),
    (Action::ExpandAll, "expand-all", "expand all"),
    (
        Action::SwitchPane,
        "switch-pane",
        "switch tree / detail pane",
    ),
    (Action::NextTab, "next-tab", "next detail tab"),
    (Action::PrevTab, "prev-tab", "previous detail tab"),
    (Action::Tab(1), "tab-1", "detail tab by number"),
    (Action::Tab(2), "tab-2", "detail tab 2"),
    (Action::Tab(3), "tab-3", "detail tab 3"),
    (Action::Tab(4), "tab-4", "detail tab 4"),
    (Action::Tab(5), "tab-5", "detail tab 5"),
    (Action::Tab(6), "tab-6", "detail tab 6"),
    (Action::Tab(7), "tab-7", "detail tab 7"),
    (Action::Tab(8), "tab-8", "detail tab 8"),
    (
        Action::Filter,
        "filter",
        "filter / search (status:error kind:tool dur>2s …)",
    ),
    (Action::NextMatch, "next-match", "next match"),
    (Action::PrevMatch, "prev-match", "previous match"),
    (
        Action::NextFailure,
        "next-failure",
        "next finding (failure origins first; on the list: next failed trace)",
    ),
    (
        Action::PrevFailure,
        "prev-failure",
        "previous finding (on the list: previous failed trace)",
    ),
    (
        Action::ToggleFailed,
        "toggle-failed",
        "failed only on/off (status:error)",
    ),
    (
        Action::ToggleSlow,
        "toggle-slow",
        "slow steps only on/off (self>=…)",
    ),
    (
        Action::SlowerThreshold,
        "slower-threshold",
        "raise slow threshold",
    ),
    (
        Action::FasterThreshold,
        "faster-threshold",
        "lower slow threshold",
    ),
    (
        Action::CriticalPath,
        "critical-path",
        "highlight critical path",
    ),
    (Action::Copy, "copy", "copy id / value (OSC 52)"),
    (Action::Sort, "sort", "sort by next column"),
    (Action::ReverseSort, "reverse-sort", "reverse sort"),
    (Action::GroupSessions, "group-sessions", "group by session"),
    (
        Action::SessionView,
        "session-view",
        "session view of the selection",
    ),
    (
        Action::SlowestSteps,
        "slowest-steps",
        "slowest steps of all traces (own time)",
    ),
    (
        Action::AgentView,
        "agent-view",
        "agent view on/off: plumbing (HTTP, gRPC, DB…) folded into its step",
    ),
    (
        Action::StatsView,
        "stats",
        "stats per tool, model, kind… and findings per kind (o: group by)",
    ),
    (Action::NextTurn, "next-turn", "next turn of the session"),
    (
        Action::PrevTurn,
        "prev-turn",
        "previous turn of the session",
    ),
    (
        Action::Refresh,
        "refresh",
        "refresh: read the sources again (store, files, backend)",
    ),
    (
        Action::More,
        "more",
        "a backend: fetch the next page of traces (when more are available)",
    ),
    (
        Action::Privacy,
        "privacy",
        "privacy mode on/off: secrets, personal data and content masked on screen",
    ),
    (
        Action::Pause,
        "pause",
        "live view (open --listen): freeze / resume; spans are still received",
    ),
    (
        Action::Incident,
        "incident",
        "incident summary of the selection (Markdown: copy, or write with a redacted slice)",
    ),
    (
        Action::Compare,
        "compare",
        "compare runs: mark this one, then d on another shows where they went different ways",
    ),
    (Action::Help, "help", "this help"),
    (Action::Back, "back", "back / close"),
    (Action::Quit, "quit", "quit"),
    (
        Action::Suspend,
        "suspend",
        "suspend to the shell (fg resumes)",
    ),
];

impl Action {
    /// The action's name in a keys file.
    pub fn name(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(a, _, _)| *a == self)
            .map_or("?", |(_, n, _)| n)
    }

    /// What the action does, for help.
    pub fn describe(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(a, _, _)| *a == self)
            .map_or("", |(_, _, d)| d)
    }

    fn from_name(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(a, _, _)| *a)
    }
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// Everywhere.
    Global,
    /// Trace list and session view.
    List,
    /// Trace view.
    Trace,
}

impl Context {
    /// Every context, in file order.
    pub const ALL: [Context; 3] = [Context::Global, Context::List, Context::Trace];

    fn from_name(name: &str) -> Option<Context> {
        match name {
            "global" => Some(Context::Global),
            "list" => Some(Context::List),
            "trace" => Some(Context::Trace),
            _ => None,
        }
    }

    /// The context's table name in a keys file.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Trace => "trace",
        }
    }
}

/// One key: a code and whether Ctrl is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCodeOrd,
    ctrl: bool,
}

/// The key codes a binding can name (ordered, so tables are deterministic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyCodeOrd {
    Char(char),
    Named(u8),
    F(u8),
}

const NAMED: &[(&str, KeyCode, &str)] = &[
    ("Down", KeyCode::Down, "↓"),
    ("Up", KeyCode::Up, "↑"),
    ("Left", KeyCode::Left, "←"),
    ("Right", KeyCode::Right, "→"),
    ("Enter", KeyCode::Enter, "Enter"),
    ("Space", KeyCode::Char(' '), "Space"),
    ("Tab", KeyCode::Tab, "Tab"),
    ("BackTab", KeyCode::BackTab, "S-Tab"),
    ("Esc", KeyCode::Esc, "Esc"),
    ("Home", KeyCode::Home, "Home"),
    ("End", KeyCode::End, "End"),
    ("PageUp", KeyCode::PageUp, "PgUp"),
    ("PageDown", KeyCode::PageDown, "PgDn"),
    ("Backspace", KeyCode::Backspace, "Bksp"),
];

impl Key {
    /// Parses a key as written in a keys file.
    pub fn parse(s: &str) -> Option<Key> {
        let (ctrl, rest) = match s.strip_prefix("Ctrl-") {
            Some(r) => (true, r),
            None => (false, s),
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if rest != " " => KeyCodeOrd::Char(c),
            _ => {
                if let Some(k) = NAMED.iter().position(|(n, _, _)| *n == rest) {
                    if rest == "Space" {
                        KeyCodeOrd::Char(' ')
                    } else {
                        KeyCodeOrd::Named(k as u8)
                    }
                } else {
                    let n: u8 = rest.strip_prefix('F')?.parse().ok()?;
                    if !(1..=12).contains(&n) {
                        return None;
                    }
                    KeyCodeOrd::F(n)
                }
            }
        };
        if ctrl && !matches!(code, KeyCodeOrd::Char(_)) {
            return None;
        }
        Some(Key { code, ctrl })
    }

    /// The key of a terminal event (`None` for keys no binding can name).
    pub fn from_event(ev: KeyEvent) -> Option<Key> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            other => KeyCodeOrd::Named(NAMED.iter().position(|(_, c, _)| *c == other)? as u8),
        };
        Some(Key { code, ctrl })
    }

    /// The key as shown in help and hints.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCodeOrd::Char(' ') => "Space".to_owned(),
            KeyCodeOrd::Char(c) => c.to_string(),
            KeyCodeOrd::Named(k) => NAMED.get(k as usize).map_or("?", |n| n.2).to_owned(),
            KeyCodeOrd::F(n) => format!("F{n}"),
        };
        if self.ctrl { format!("^{base}") } else { base }
    }
}

/// A bad keys file entry, named by file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct KeymapError {
    /// The file (or "built-in keys.toml").
    pub file: String,
    /// 1-based line of the entry (or of the syntax error).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One binding as listed in help: context, action, keys in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// Where it applies.
    pub context: Context,
    /// The action.
    pub action: Action,
    /// Its keys.
    pub keys: Vec<Key>,
}

/// The resolved key table.
#[derive(Clone, Debug)]
pub struct Keymap {
    bindings: Vec<Binding>,
    by_key: BTreeMap<(Context, Key), Action>,
}

/// A parsed file: per (context, action) its keys and the line it was written on.
type Entries = Vec<(Context, Action, Vec<Key>, usize)>;

fn parse_file(text: &str, file: &str) -> Result<Entries, KeymapError> {
    let err = |line: usize, message: String| KeymapError {
        file: file.to_owned(),
        line,
        message,
    };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].lines().count().max(1)
        });
        err(line, e.message().to_owned())
    })?;
    let mut out = Vec::new();
    for (ctx_name, v) in &table {
        let line_of_ctx = find_line(text, None, ctx_name);
        let ctx = Context::from_name(ctx_name).ok_or_else(|| {
            err(
                line_of_ctx,
                format!("unknown context [{ctx_name}] (expected global, list or trace)"),
            )
        })?;
        let toml::Value::Table(actions) = v else {
            return Err(err(line_of_ctx, format!("{ctx_name} must be a table")));
        };
        for (name, keys) in actions {
            let line = find_line(text, Some(ctx_name), name);
            let action = Action::from_name(name)
                .ok_or_else(|| err(line, format!("unknown action {name:?} in [{ctx_name}]")))?;
            let toml::Value::Array(keys) = keys else {
                return Err(err(
                    line,
                    format!("{name}: expected a list of keys, e.g. [\"j\", \"Down\"]"),
                ));
            };
            let mut parsed = Vec::new();
            for k in keys {
                let s = k.as_str().unwrap_or_default();
                let k = s;
                parsed.push(Key::parse(s).ok_or_else(|| {
                    err(line, format!("{name}: {k:?} is not a key (a character, a key name such as Down or PageUp, or Ctrl-x)"))
                })?);
            }
            out.push((ctx, action, parsed, line));
        }
    }
    Ok(out)
}

/// The 1-based line of `key = …` inside `[section]` (or of `[key]` when `section` is
/// `None`); 1 when not found.
fn find_line(text: &str, section: Option<&str>, key: &str) -> usize {
    let mut current: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_owned();
            if section.is_none() && name == key {
                return n + 1;
            }
            current = Some(name);
            continue;
        }
        if let Some(sec) = section
            && current.as_deref() == Some(sec)
            && let Some((k, _)) = line.split_once('=')
            && k.trim().trim_matches('"') == key
        {
            return n + 1;
        }
    }
    1
}

impl Keymap {
    /// The built-in bindings.
    pub fn defaults() -> Keymap {
        match Keymap::build(DEFAULT_TOML, None) {
            Ok(k) => k,
            // The embedded file is checked by the tests; never fail at runtime.
            Err(_) => Keymap {
                bindings: Vec::new(),
                by_key: BTreeMap::new(),
            },
        }
    }

    /// The defaults with a user file (its text and name) applied on top.
    pub fn build(defaults: &str, user: Option<(&str, &str)>) -> Result<Keymap, KeymapError> {
        let mut entries = parse_file(defaults, "built-in keys.toml")?;
        let mut origin: Vec<String> = vec!["built-in keys.toml".into(); entries.len()];
        if let Some((text, file)) = user {
            for (ctx, action, keys, line) in parse_file(text, file)? {
                // The user's entry replaces the action's keys in that context.
                match entries.iter().position(|e| e.0 == ctx && e.1 == action) {
                    Some(k) => {
                        entries[k] = (ctx, action, keys, line);
                        origin[k] = file.to_owned();
                    }
                    None => {
                        entries.push((ctx, action, keys, line));
                        origin.push(file.to_owned());
                    }
                }
            }
        }
        let mut by_key: BTreeMap<(Context, Key), (Action, usize)> = BTreeMap::new();
        for (k, (ctx, action, keys, line)) in entries.iter().enumerate() {
            for key in keys {
                let clash = by_key.get(&(*ctx, *key)).copied().or_else(|| {
                    // A global key may not be taken again by another context.
                    if *ctx == Context::Global {
                        Context::ALL
                            .iter()
                            .filter(|c| **c != Context::Global)
                            .find_map(|c| by_key.get(&(*c, *key)).copied())
                    } else {
                        by_key.get(&(Context::Global, *key)).copied()
                    }
                });
                if let Some((other, other_k)) = clash {
                    // Name the user's line when the clash involves the user's file.
                    let (file, at) = if origin[k] != "built-in keys.toml" {
                        (origin[k].clone(), *line)
                    } else {
                        (origin[other_k].clone(), entries[other_k].3)
                    };
                    return Err(KeymapError {
                        file,
                        line: at,
                        message: format!(
                            "key {} is bound to both {} and {}",
                            key.label(),
                            other.name(),
                            action.name()
                        ),
                    });
                }
                by_key.insert((*ctx, *key), (*action, k));
            }
        }
        let bindings = entries
            .into_iter()
            .map(|(context, action, keys, _)| Binding {
                context,
                action,
                keys,
            })
            .collect();
        Ok(Keymap {
            bindings,
            by_key: by_key.into_iter().map(|(k, (a, _))| (k, a)).collect(),
        })
    }

    /// The defaults plus the user's file when there is one; a bad user file is an
    /// error naming its line.
    pub fn load_user() -> Result<Keymap, KeymapError> {
        let path = std::env::var_os("XDG_CONFIG_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".config")))
            .map(|d| d.join("agtrace").join("keys.toml"));
        match path {
            Some(p) if p.is_file() => {
                let name = p.display().to_string();
                let text = std::fs::read_to_string(&p).map_err(|e| KeymapError {
                    file: name.clone(),
                    line: 1,
                    message: e.to_string(),
                })?;
                Keymap::build(DEFAULT_TOML, Some((&text, &name)))
            }
            _ => Keymap::build(DEFAULT_TOML, None),
        }
    }

    /// The action for a key press in `context` (its own bindings, then global ones).
    pub fn resolve(&self, context: Context, ev: KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev)?;
        self.by_key
            .get(&(context, key))
            .or_else(|| self.by_key.get(&(Context::Global, key)))
            .copied()
    }

    /// Every binding, in file order (what help lists).
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The first key of an action (in its context or globally), for hints.
    pub fn key_label(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map_or_else(|| "?".to_owned(), |k| k.label())
    }

    /// Help rows: (keys, description, context); the detail-tab-by-number actions
    /// share one row.
    pub fn help_rows(&self) -> Vec<(String, String, Context)> {
        let mut rows: Vec<(String, String, Context)> = Vec::new();
        for b in &self.bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.label()).collect();
            match b.action {
                Action::Tab(n) if n > 1 => {
                    if let Some(last) = rows.last_mut()
                        && last.1 == Action::Tab(1).describe()
                    {
                        last.0.push(' ');
                        last.0.push_str(&keys.join(" "));
                        continue;
                    }
                    rows.push((keys.join(" "), b.action.describe().to_owned(), b.context));
                }
                _ => rows.push((keys.join(" "), b.action.describe().to_owned(), b.context)),
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_binding_resolves_in_its_context() {
        let km = Keymap::build(DEFAULT_TOML, None).expect("the built-in keys are valid");
        assert!(!km.bindings().is_empty());
        for b in km.bindings() {
            for k in &b.keys {
                let code = match k.code {
                    KeyCodeOrd::Char(c) => KeyCode::Char(c),
                    KeyCodeOrd::Named(n) => NAMED[n as usize].1,
                    KeyCodeOrd::F(n) => KeyCode::F(n),
                };
                let mods = if k.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                };
                let ctx = if b.context == Context::Global {
                    Context::Trace
                } else {
                    b.context
                };
                assert_eq!(
                    km.resolve(ctx, KeyEvent::new(code, mods)),
                    Some(b.action),
                    "{} {}",
                    b.action.name(),
                    k.label()
                );
            }
        }
    }

    #[test]
    fn every_action_is_bound_by_default() {
        let km = Keymap::defaults();
        for (a, name, _) in ACTIONS {
            assert!(
                km.bindings().iter().any(|b| b.action == *a),
                "{name} has no default key"
            );
        }
    }

    #[test]
    fn a_user_file_rebinds_and_bad_entries_name_their_line() {
        let user = "[global]\n# move with w/z\ndown = [\"z\"]\n";
        let km = Keymap::build(DEFAULT_TOML, Some((user, "keys.toml"))).expect("valid");
        let x = KeyEvent::from(KeyCode::Char('z'));
        let j = KeyEvent::from(KeyCode::Char('j'));
        assert_eq!(km.resolve(Context::List, x), Some(Action::Down));
        assert_eq!(
            km.resolve(Context::List, j),
            None,
            "the user's keys replace j"
        );

        let dup = "[global]\n\ndown = [\"q\"]\n";
        let e = Keymap::build(DEFAULT_TOML, Some((dup, "keys.toml"))).expect_err("duplicate");
        assert_eq!((e.file.as_str(), e.line), ("keys.toml", 3), "{e}");
        assert!(
            e.message.contains("quit") && e.message.contains("down"),
            "{e}"
        );

        let unknown = "[trace]\nfly = [\"w\"]\n";
        let e = Keymap::build(DEFAULT_TOML, Some((unknown, "k.toml"))).expect_err("unknown");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown action \"fly\""), "{e}");

        let bad_key = "[list]\n\n\nsort = [\"Hyper-x\"]\n";
        let e = Keymap::build(DEFAULT_TOML, Some((bad_key, "k.toml"))).expect_err("bad key");
        assert_eq!(e.line, 4, "{e}");

        let syntax = "[list]\nsort = [\"o\"\n";
        let e = Keymap::build(DEFAULT_TOML, Some((syntax, "k.toml"))).expect_err("syntax");
        assert!(e.line >= 2, "{e}");

        let cross = "[list]\nsort = [\"j\"]\n";
        let e = Keymap::build(DEFAULT_TOML, Some((cross, "k.toml"))).expect_err("clash");
        assert_eq!(e.line, 2, "a list key may not take a global key: {e}");
    }

    #[test]
    fn help_lists_exactly_the_toml() {
        let km = Keymap::defaults();
        let rows = km.help_rows();
        let table: toml::Table = DEFAULT_TOML.parse().expect("toml");
        let mut from_toml: Vec<String> = Vec::new();
        for (_, actions) in &table {
            for (_, keys) in actions.as_table().expect("table") {
                for k in keys.as_array().expect("array") {
                    let key = Key::parse(k.as_str().expect("str")).expect("key");
                    from_toml.push(key.label());
                }
            }
        }
        let mut in_help: Vec<String> = rows
            .iter()
            .flat_map(|(keys, _, _)| keys.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        from_toml.sort();
        in_help.sort();
        assert_eq!(in_help, from_toml);
    }
}
