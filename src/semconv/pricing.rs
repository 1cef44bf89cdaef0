//! Pricing model calls: a bundled, dated price table (USD per million tokens for input,
//! output, cache read, cache write and reasoning) that a user can extend or override
//! with a JSON file. Dated and provider-prefixed model names (`gpt-4o-2024-08-06`,
//! `anthropic.claude-3-5-sonnet-20240620-v1:0`, `models/gemini-2.0-flash`) map to their
//! family. A model that is not in the table has no price: its cost is unknown, not $0.
//! A price file is either this table's shape or LiteLLM's community
//! `model_prices_and_context_window.json` (USD per token, provider-prefixed keys), so a
//! team keeps one file for every tool.

use crate::model::Tokens;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::path::Path;

/// USD per 1,000,000 tokens.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct Price {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Input tokens read from cache (default: the input price).
    #[serde(default)]
    pub cache_read: Option<f64>,
    /// Input tokens written to cache (default: the input price).
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// Reasoning tokens (default: the output price).
    #[serde(default)]
    pub reasoning: Option<f64>,
}

#[derive(Deserialize)]
struct PriceFile {
    #[serde(default)]
    as_of: Option<String>,
    models: FxHashMap<String, Price>,
}

/// A price table.
#[derive(Clone, Debug)]
pub struct PriceTable {
    /// The date the bundled prices were taken, plus any override file.
    pub as_of: String,
    models: FxHashMap<String, Price>,
}

/// Why a price file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// The file could not be read.
    #[error("price file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid price table.
    #[error(
        "price file {path}: {message} (expected {{\"models\": {{\"model-name\": {{\"input\": 2.5, \"output\": 10.0, \"cache_read\": 1.25}}}}}}, USD per million tokens, or LiteLLM's model_prices_and_context_window.json)"
    )]
    Format {
        /// The file.
        path: String,
        /// What serde said.
        message: String,
    },
}

const BUNDLED: &str = include_str!("prices.json");

/// The date of the bundled table (`agtrace --version`, `stats`); a unit test keeps it
/// equal to the table's own `as_of`.
pub const BUNDLED_AS_OF: &str = "2026-12-01";

/// One entry of LiteLLM's price file (USD per token).
#[derive(Deserialize)]
struct LiteLlmEntry {
    input_cost_per_token: Option<f64>,
    output_cost_per_token: Option<f64>,
    #[serde(default)]
    cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    cache_creation_input_token_cost: Option<f64>,
    #[serde(default)]
    output_cost_per_reasoning_token: Option<f64>,
}

/// Reads a price file of either shape: agtrace's `{as_of, models: {name: {input,
/// output, …}}}` (per million tokens) or LiteLLM's `{name: {input_cost_per_token, …}}`
/// (per token; entries without both prices, like its `sample_spec`, are left out).
fn parse_price_file(text: &str) -> Result<PriceFile, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if v.get("models").is_some() {
        return serde_json::from_value(v).map_err(|e| e.to_string());
    }
    let map = v
        .as_object()
        .ok_or_else(|| "not a JSON object".to_owned())?;
    let mut models = FxHashMap::default();
    for (k, e) in map {
        let Ok(e) = serde_json::from_value::<LiteLlmEntry>(e.clone()) else {
            continue;
        };
        let (Some(i), Some(o)) = (e.input_cost_per_token, e.output_cost_per_token) else {
            continue;
        };
        let m = |x: f64| x * 1_000_000.0;
        models.insert(
            k.clone(),
            Price {
                input: m(i),
                output: m(o),
                cache_read: e.cache_read_input_token_cost.map(m),
                cache_write: e.cache_creation_input_token_cost.map(m),
                reasoning: e.output_cost_per_reasoning_token.map(m),
            },
        );
    }
    if models.is_empty() {
        return Err("no models: neither a \"models\" table nor LiteLLM entries with input_cost_per_token and output_cost_per_token".into());
    }
    Ok(PriceFile {
        as_of: None,
        models,
    })
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable::bundled()
    }
}

impl PriceTable {
    /// The table shipped with agtrace.
    pub fn bundled() -> PriceTable {
        // The bundled file is checked by a unit test; an empty table is the safe
        // fallback (everything unknown, nothing wrong).
        let file: PriceFile = serde_json::from_str(BUNDLED).unwrap_or(PriceFile {
            as_of: None,
            models: FxHashMap::default(),
        });
        PriceTable {
            as_of: file.as_of.unwrap_or_default(),
            models: file
                .models
                .into_iter()
                .map(|(k, v)| (normalize(&k), v))
                .collect(),
        }
    }

    /// An empty table (every cost unknown).
    pub fn empty() -> PriceTable {
        PriceTable {
            as_of: String::new(),
            models: FxHashMap::default(),
        }
    }

    /// Adds or replaces prices from a JSON file of the bundled file's shape.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), PriceError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PriceError::Io {
            path: name.clone(),
            source,
        })?;
        let file = parse_price_file(&text).map_err(|message| PriceError::Format {
            path: name.clone(),
            message,
        })?;
        for (k, v) in file.models {
            self.models.insert(normalize(&k), v);
        }
        self.as_of = format!("{} + {}", self.as_of, file.as_of.unwrap_or(name));
        Ok(())
    }

    /// The price of a model (any spelling that normalizes to a known family).
    pub fn lookup(&self, model: &str) -> Option<&Price> {
        self.models.get(&normalize(model))
    }

    /// The cost of a call, when the model has a price and some token count is known.
    pub fn cost(&self, model: &str, t: &Tokens) -> Option<f64> {
        Self::cost_at(self.lookup(model)?, t)
    }

    /// The cost of a call at a known price, when some token count is known.
    pub fn cost_at(p: &Price, t: &Tokens) -> Option<f64> {
        if t.input.is_none() && t.output.is_none() {
            return None;
        }
        let input = t.input.unwrap_or(0) as f64;
        let cache_read = t.cache_read.unwrap_or(0) as f64;
        let cache_write = t.cache_write.unwrap_or(0) as f64;
        let uncached = (input - cache_read - cache_write).max(0.0);
        let output = t.output.unwrap_or(0) as f64;
        let (plain_out, reasoning) = match (p.reasoning, t.reasoning) {
            (Some(_), Some(r)) => ((output - r as f64).max(0.0), r as f64),
            _ => (output, 0.0),
        };
        let usd = uncached * p.input
            + cache_read * p.cache_read.unwrap_or(p.input)
            + cache_write * p.cache_write.unwrap_or(p.input)
            + plain_out * p.output
            + reasoning * p.reasoning.unwrap_or(p.output);
        Some(usd / 1_000_000.0)
    }

    /// Number of models priced.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// True when nothing is priced.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

/// Maps a model name to its family key: lower case, provider and region prefixes
/// removed, version/date suffixes removed.
pub fn normalize(model: &str) -> String {
    let mut m = model.trim().to_ascii_lowercase();
    // Path-like prefixes: "openai/gpt-4o", "models/gemini-2.0-flash", "bedrock/…".
    if let Some(pos) = m.rfind('/') {
        m = m[pos + 1..].to_owned();
    }
    // Bedrock ids: "us.anthropic.claude-3-5-sonnet-20240620-v1:0".
    for region in [
        "us.", "eu.", "apac.", "global.", "jp.", "au.", "ca.", "us-gov.",
    ] {
        if let Some(rest) = m.strip_prefix(region) {
            m = rest.to_owned();
        }
    }
    for vendor in ["anthropic.", "meta.", "mistral.", "amazon.", "cohere."] {
        if let Some(rest) = m.strip_prefix(vendor) {
            m = rest.to_owned();
        }
    }
    // Claude Code marks the 1M-token context window: "claude-opus-4-8[1m]".
    if let Some(pos) = m.find('[') {
        m.truncate(pos);
    }
    if let Some(pos) = m.find(':') {
        m.truncate(pos);
    }
    if let Some(pos) = m.find('@') {
        m.truncate(pos);
    }
    loop {
        let before = m.len();
        for suffix in ["-latest", "-v1", "-v2", "-exp", "-preview", "-001", "-002"] {
            if let Some(rest) = m.strip_suffix(suffix) {
                m = rest.to_owned();
            }
        }
        m = strip_date(&m).to_owned();
        if m.len() == before {
            break;
        }
    }
    m
}

/// Removes one trailing date: `-2024-08-06`, `-20240806`, Mistral's `-2411`, or
/// Gemini previews' `-09-2025` and `-05-06`.
fn strip_date(m: &str) -> &str {
    let bytes = m.as_bytes();
    let digits_at = |from: usize, n: usize| {
        bytes
            .get(from..from + n)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let len = m.len();
    // -YYYY-MM-DD
    if len > 11
        && bytes[len - 11] == b'-'
        && digits_at(len - 10, 4)
        && bytes[len - 6] == b'-'
        && digits_at(len - 5, 2)
        && bytes[len - 3] == b'-'
        && digits_at(len - 2, 2)
    {
        return &m[..len - 11];
    }
    // -YYYYMMDD
    if len > 9 && bytes[len - 9] == b'-' && digits_at(len - 8, 8) && m[len - 8..].starts_with("20")
    {
        return &m[..len - 9];
    }
    // -MM-YYYY (gemini-2.5-flash-preview-09-2025)
    if len > 8
        && bytes[len - 8] == b'-'
        && digits_at(len - 7, 2)
        && bytes[len - 5] == b'-'
        && digits_at(len - 4, 4)
        && m[len - 4..].starts_with("20")
    {
        return &m[..len - 8];
    }
    // -MM-DD after a preview (gemini-2.5-pro-preview-05-06)
    if len > 14
        && bytes[len - 6] == b'-'
        && digits_at(len - 5, 2)
        && bytes[len - 3] == b'-'
        && digits_at(len - 2, 2)
        && bytes[..len - 6].ends_with(b"-preview")
    {
        return &m[..len - 6];
    }
    // -YYMM (Mistral: mistral-large-2411)
    if len > 5
        && bytes[len - 5] == b'-'
        && digits_at(len - 4, 4)
        && matches!(&m[len - 4..len - 2], "23" | "24" | "25" | "26")
    {
        return &m[..len - 5];
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_parses_and_its_date_is_the_one_shown() {
        let t = PriceTable::bundled();
        assert!(t.len() > 60);
        assert_eq!(t.as_of, BUNDLED_AS_OF);
        assert!(crate::VERSION.contains(BUNDLED_AS_OF));
    }

    #[test]
    fn every_family_is_priced_dated_and_undated() {
        let file: PriceFile = serde_json::from_str(BUNDLED).expect("bundled");
        let t = PriceTable::bundled();
        for name in file.models.keys() {
            assert!(t.lookup(name).is_some(), "{name}");
            let dated = format!("{name}-20260115");
            assert_eq!(t.lookup(&dated), t.lookup(name), "{dated}");
            let dashed = format!("{name}-2026-01-15");
            assert_eq!(t.lookup(&dashed), t.lookup(name), "{dashed}");
        }
        // Provider spellings of current families.
        for (spelling, family) in [
            (
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "claude-sonnet-4-5",
            ),
            (
                "global.anthropic.claude-haiku-4-5-20251001-v1:0",
                "claude-haiku-4-5",
            ),
            ("claude-opus-4-5@20251101", "claude-opus-4-5"),
            (
                "vertex_ai/gemini-2.5-flash-preview-09-2025",
                "gemini-2.5-flash",
            ),
            ("gemini-2.5-pro-preview-05-06", "gemini-2.5-pro"),
            ("gemini-3-pro-preview", "gemini-3-pro"),
            ("amazon.nova-pro-v1:0", "nova-pro"),
            ("xai/grok-4-fast-reasoning", "grok-4-fast-reasoning"),
            ("deepseek/deepseek-chat", "deepseek-chat"),
            ("gpt-5-2025-08-07", "gpt-5"),
        ] {
            assert_eq!(normalize(spelling), normalize(family), "{spelling}");
            assert!(t.lookup(spelling).is_some(), "{spelling}");
        }
    }

    #[test]
    fn dated_and_prefixed_names_map_to_their_family() {
        for (name, family) in [
            ("gpt-4o-2024-08-06", "gpt-4o"),
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
            ("claude-sonnet-4-20250514", "claude-sonnet-4"),
            ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
            (
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                "claude-3-5-sonnet",
            ),
            (
                "us.anthropic.claude-3-5-haiku-20241022-v1:0",
                "claude-3-5-haiku",
            ),
            (
                "bedrock/us.anthropic.claude-3-haiku-20240307-v1:0",
                "claude-3-haiku",
            ),
            ("models/gemini-2.0-flash", "gemini-2.0-flash"),
            ("openai/GPT-4.1", "gpt-4.1"),
            ("mistral-large-2411", "mistral-large"),
            ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ] {
            assert_eq!(normalize(name), family, "{name}");
        }
    }

    /// Found by the render fuzz target: a model name whose last bytes are not ASCII
    /// made the date stripper slice inside a character.
    #[test]
    fn names_ending_in_multibyte_characters_do_not_panic() {
        for name in [
            "ab\u{fffd}-05-06",
            "gemini-2.5-pro-\u{fffd}\u{fffd}-05",
            "é",
            "x-é-2024",
            "\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}",
        ] {
            let _ = normalize(name);
        }
    }

    #[test]
    fn cost_uses_cache_prices() {
        let t = PriceTable::bundled();
        let tokens = Tokens {
            input: Some(1_000_000),
            output: Some(100_000),
            cache_read: Some(400_000),
            ..Tokens::default()
        };
        // 600k uncached × $2.50 + 400k cached × $1.25 + 100k out × $10.
        let c = t.cost("gpt-4o-2024-08-06", &tokens).expect("priced");
        assert!((c - (1.5 + 0.5 + 1.0)).abs() < 1e-9, "{c}");
        assert_eq!(t.cost("my-private-model", &tokens), None);
        assert_eq!(t.cost("gpt-4o", &Tokens::default()), None);
    }
}
