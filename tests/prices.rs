//! The bundled price table and price files: current model families are priced in
//! every spelling, and LiteLLM's community price file gives the same costs as the
//! equivalent bundled entries.

use agtrace::model::Tokens;
use agtrace::semconv::PriceTable;

fn tokens() -> Tokens {
    Tokens {
        input: Some(120_000),
        output: Some(8_000),
        cache_read: Some(40_000),
        cache_write: Some(10_000),
        reasoning: None,
    }
}

/// A LiteLLM `model_prices_and_context_window.json` holding the bundled families'
/// prices (per token, provider-prefixed keys as LiteLLM spells them, its
/// `sample_spec` entry and fields agtrace does not use) prices calls exactly as the
/// bundled table does.
#[test]
fn a_litellm_price_file_round_trips_to_the_bundled_costs() {
    let bundled = PriceTable::bundled();
    let families = [
        (
            "claude-sonnet-4-5",
            "anthropic/claude-sonnet-4-5-20250929",
            "anthropic",
        ),
        ("claude-haiku-4-5", "claude-haiku-4-5-20251001", "anthropic"),
        ("gpt-5", "gpt-5", "openai"),
        ("gpt-4.1-mini", "azure/gpt-4.1-mini", "azure"),
        ("gemini-2.5-flash", "gemini/gemini-2.5-flash", "gemini"),
        ("deepseek-chat", "deepseek/deepseek-chat", "deepseek"),
        ("grok-4", "xai/grok-4", "xai"),
    ];
    let mut file = serde_json::Map::new();
    file.insert(
        "sample_spec".into(),
        serde_json::json!({"max_tokens": "LEGACY parameter", "input_cost_per_token": 0.0, "litellm_provider": "one of https://docs.litellm.ai/docs/providers"}),
    );
    for (family, key, provider) in families {
        let p = bundled.lookup(family).expect(family);
        let per_token = |x: f64| x / 1_000_000.0;
        let mut e = serde_json::json!({
            "max_input_tokens": 200000,
            "input_cost_per_token": per_token(p.input),
            "output_cost_per_token": per_token(p.output),
            "litellm_provider": provider,
            "mode": "chat",
            "supports_function_calling": true,
        });
        if let Some(c) = p.cache_read {
            e["cache_read_input_token_cost"] = per_token(c).into();
        }
        if let Some(c) = p.cache_write {
            e["cache_creation_input_token_cost"] = per_token(c).into();
        }
        file.insert(key.into(), e);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model_prices_and_context_window.json");
    std::fs::write(&path, serde_json::Value::Object(file).to_string()).expect("write");
    let mut from_file = PriceTable::empty();
    from_file.merge_file(&path).expect("a LiteLLM file reads");
    for (family, key, _) in families {
        let want = bundled.cost(family, &tokens()).expect(family);
        for spelling in [family, key] {
            let got = from_file.cost(spelling, &tokens()).expect(spelling);
            assert!(
                (got - want).abs() < 1e-12,
                "{spelling}: {got} vs bundled {want}"
            );
        }
    }
    assert!(from_file.lookup("sample_spec").is_none());
}

#[test]
fn a_file_of_neither_shape_is_refused_with_both_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.json");
    std::fs::write(&path, r#"{"gpt-x": {"price": 3}}"#).expect("write");
    let e = PriceTable::empty().merge_file(&path).expect_err("refused");
    let msg = e.to_string();
    assert!(
        msg.contains("LiteLLM") && msg.contains("\"models\""),
        "{msg}"
    );
}

/// Claude agents of late 2025 (the symptom in the issue): every call priced.
#[test]
fn current_claude_gpt_and_gemini_models_are_priced() {
    let t = PriceTable::bundled();
    for model in [
        "claude-sonnet-4-5-20250929",
        "claude-haiku-4-5",
        "claude-opus-4-5-20251101",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "gpt-5.1",
        "gpt-5-mini-2025-08-07",
        "gpt-5-codex",
        "o3",
        "gemini-2.5-pro",
        "gemini-3-pro-preview",
        "mistral-medium-2508",
        "grok-code-fast-1",
    ] {
        assert!(t.cost(model, &tokens()).is_some(), "{model} is not priced");
    }
    // Cache reads at a tenth of the input price, writes at 1.25x (Anthropic).
    let p = t.lookup("claude-sonnet-4-5").expect("priced");
    assert_eq!(
        (p.input, p.output, p.cache_read, p.cache_write),
        (3.0, 15.0, Some(0.3), Some(3.75))
    );
}

fn chat(span: &str, model: &str, start_s: u64, cost: Option<f64>) -> serde_json::Value {
    let mut attrs = vec![
        serde_json::json!({"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}),
        serde_json::json!({"key": "gen_ai.request.model", "value": {"stringValue": model}}),
        serde_json::json!({"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}}),
        serde_json::json!({"key": "gen_ai.usage.output_tokens", "value": {"intValue": "100"}}),
    ];
    if let Some(c) = cost {
        attrs.push(serde_json::json!({"key": "gen_ai.usage.cost", "value": {"doubleValue": c}}));
    }
    serde_json::json!({"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": span, "name": "chat",
        "startTimeUnixNano": (start_s * 1_000_000_000).to_string(),
        "endTimeUnixNano": ((start_s + 1) * 1_000_000_000).to_string(), "attributes": attrs})
}

fn load(spans: Vec<serde_json::Value>) -> agtrace::model::TraceSet {
    let doc = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]});
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("t.json");
    std::fs::write(&p, doc.to_string()).expect("write");
    agtrace::source::load(
        &[agtrace::source::Input::Path(p)],
        &agtrace::source::LoadOptions::with_threads(1),
    )
    .expect("load")
}

/// A trace whose calls were billed by the span, priced from the table and not priced
/// at all says so, with the table's date; a dump far newer than the table with
/// unpriced models gets one warning naming them and how to pass prices.
#[test]
fn costs_say_where_they_came_from_and_a_stale_table_is_named() {
    // 2027-09-01: nine months after the bundled table.
    let late = 1_819_756_800;
    let set = load(vec![
        chat("a000000000000001", "gpt-5", late, Some(0.5)),
        chat("a000000000000002", "claude-sonnet-4-5", late + 2, None),
        chat("a000000000000003", "future-model-9", late + 4, None),
    ]);
    let tr = &set.traces[0];
    assert_eq!(tr.cost_sources(), Some((1, 1, 1)));
    let words = agtrace::analysis::totals::cost_origin(
        tr.cost_sources().expect("known"),
        &set.prices_as_of,
    );
    assert!(
        words.contains("1 provided")
            && words.contains("estimated from the price table of 2026-12-01")
            && words.contains("1 unknown"),
        "{words}"
    );
    let stale: Vec<_> = set
        .warnings
        .iter()
        .filter(|w| w.message.contains("price table is from"))
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", set.warnings);
    assert!(
        stale[0].message.contains("future-model-9") && stale[0].message.contains("--prices"),
        "{}",
        stale[0]
    );
    // Within six months of the table: unknown models are just unknown.
    let set = load(vec![chat(
        "a000000000000003",
        "future-model-9",
        1_767_225_600,
        None,
    )]);
    assert!(
        !set.warnings
            .iter()
            .any(|w| w.message.contains("price table is from"))
    );
}
