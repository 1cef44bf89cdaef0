//! Draws a step's detail section (from [`crate::analysis::detail`]) as styled lines:
//! the wording and sanitizing are the analysis layer's, the colours the theme's.

use super::theme::Theme;
use crate::analysis::detail::{Section, Tone};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

fn style(theme: &Theme, tone: Tone, text: &str) -> Style {
    match tone {
        Tone::Plain => Style::default(),
        Tone::Title => theme.title(),
        Tone::Label => theme.label(),
        Tone::Dim => theme.dim(),
        Tone::Outcome(o) => theme.outcome(o),
        Tone::Warning => theme.warning(),
        Tone::Tool => theme.tool(),
        Tone::Role => theme.role(text.trim_start_matches('[')),
        Tone::Error => theme.error(),
    }
}

/// The section's lines, styled.
pub fn lines(section: &Section, theme: &Theme) -> Vec<Line<'static>> {
    section
        .lines
        .iter()
        .map(|l| {
            Line::from(
                l.0.iter()
                    .map(|(tone, text)| Span::styled(text.clone(), style(theme, *tone, text)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}
