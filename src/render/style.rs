//! Color for plain output: ANSI SGR codes when writing to a terminal, nothing when
//! piped or when `NO_COLOR` is set.

use std::io::IsTerminal as _;

/// Colors used by the printers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paint {
    /// Failures.
    Red,
    /// Warnings.
    Yellow,
    /// Success.
    Green,
    /// Secondary text.
    Dim,
    /// Headers.
    Bold,
    /// Bars and ids.
    Cyan,
    /// Findings.
    Magenta,
}

/// Whether to color and whether the terminal gets Unicode bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Emit color codes.
    pub color: bool,
    /// Use Unicode glyphs and bars (a terminal) rather than ASCII.
    pub unicode: bool,
    /// Cut long cells to fit a terminal. Off when piped: a script or a paste gets
    /// every id and name whole.
    pub fit: bool,
}

impl Style {
    /// Decides from stdout and `NO_COLOR`.
    pub fn detect() -> Style {
        let tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: tty && !no_color,
            unicode: tty,
            fit: tty,
        }
    }

    /// Plain: no color, ASCII, nothing cut.
    pub fn plain() -> Style {
        Style {
            color: false,
            unicode: false,
            fit: false,
        }
    }

    /// Wraps already sanitized text in a color.
    pub fn paint(&self, s: &str, p: Paint) -> String {
        if !self.color || s.is_empty() {
            return s.to_owned();
        }
        let code = match p {
            Paint::Red => "31",
            Paint::Yellow => "33",
            Paint::Green => "32",
            Paint::Dim => "2",
            Paint::Bold => "1",
            Paint::Cyan => "36",
            Paint::Magenta => "35",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    }
}
