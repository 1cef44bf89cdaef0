//! Semantic styles for the explorer. Colors are chosen to read on dark and light
//! backgrounds (no fixed foreground/background pairs except the selection), and all of
//! them are dropped when `NO_COLOR` is set.

use crate::model::{Outcome, StepKind};
use ratatui::style::{Color, Modifier, Style};

/// The style roles used by the views.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colors unless `NO_COLOR` is set.
    pub fn detect() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// No colors (modifiers only).
    pub fn plain() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    /// Section titles and headers.
    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    /// Field labels.
    pub fn label(&self) -> Style {
        self.fg(Color::Cyan)
    }
    /// Secondary text.
    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }
    /// Errors.
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Warnings.
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }
    /// Finding badges.
    pub fn finding(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
    /// Tool names.
    pub fn tool(&self) -> Style {
        self.fg(Color::Magenta)
    }
    /// Fuzzy-matched characters.
    pub fn matched(&self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    /// The selected row.
    pub fn selected(&self, focused: bool) -> Style {
        if !self.color {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
        if focused {
            Style::default().bg(Color::Blue).fg(Color::White)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
    /// Rows on the critical path.
    pub fn critical(&self) -> Style {
        self.fg(Color::LightMagenta).add_modifier(Modifier::BOLD)
    }
    /// Waterfall bars.
    pub fn bar(&self, o: Outcome) -> Style {
        match o {
            Outcome::Error => self.fg(Color::Red),
            Outcome::Warning => self.fg(Color::Yellow),
            Outcome::Ok => self.fg(Color::Blue),
        }
    }
    /// An outcome word or glyph.
    pub fn outcome(&self, o: Outcome) -> Style {
        match o {
            Outcome::Error => self.error(),
            Outcome::Warning => self.warning(),
            Outcome::Ok => self.fg(Color::Green),
        }
    }
    /// A step kind badge.
    pub fn kind(&self, k: StepKind) -> Style {
        match k {
            StepKind::Agent => self.fg(Color::LightBlue).add_modifier(Modifier::BOLD),
            StepKind::Llm => self.fg(Color::Cyan),
            StepKind::Tool => self.fg(Color::Magenta),
            StepKind::Retrieval | StepKind::Embedding | StepKind::Rerank => self.fg(Color::Green),
            StepKind::Guardrail => self.fg(Color::Yellow),
            StepKind::Chain => self.fg(Color::Blue),
            StepKind::Other => self.dim(),
        }
    }
    /// A message role heading.
    pub fn role(&self, role: &str) -> Style {
        let base = Style::default().add_modifier(Modifier::BOLD);
        if !self.color {
            return base;
        }
        match role.split(' ').next().unwrap_or("") {
            "system" => base.fg(Color::Yellow),
            "user" | "input" => base.fg(Color::Green),
            "assistant" | "output" => base.fg(Color::Cyan),
            "tool" => base.fg(Color::Magenta),
            _ => base,
        }
    }
    /// The status bar.
    pub fn status_bar(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

/// A short badge for a step kind.
pub fn badge(k: StepKind) -> &'static str {
    match k {
        StepKind::Agent => "AGENT",
        StepKind::Llm => "LLM",
        StepKind::Tool => "TOOL",
        StepKind::Retrieval => "RETR",
        StepKind::Embedding => "EMBED",
        StepKind::Rerank => "RERANK",
        StepKind::Guardrail => "GUARD",
        StepKind::Chain => "CHAIN",
        StepKind::Other => "·",
    }
}

/// A status glyph.
pub fn glyph(o: Outcome) -> &'static str {
    match o {
        Outcome::Error => "✗",
        Outcome::Warning => "!",
        Outcome::Ok => "✓",
    }
}
