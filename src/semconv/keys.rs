//! The attribute names each step field is read from, newest convention first
//! (`../shared/reference/genai-conventions.md` §3), and a per-set index from interned
//! key to the fields it can fill, so each span's attributes are scanned once.

use crate::model::{AttrValue, Interner, Sym};

/// A field a span attribute can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Field {
    LangsmithKind,
    OpenInferenceKind,
    OperationName,
    TraceloopKind,
    LlmRequestType,
    LangfuseType,
    McpMethod,
    ModelRequested,
    ModelReturned,
    Provider,
    Session,
    User,
    Agent,
    TraceloopEntity,
    InputTokens,
    OutputTokens,
    CacheRead,
    CacheWrite,
    Reasoning,
    Cost,
    LangfuseCostDetails,
    ToolName,
    ToolCallId,
    ToolArgs,
    ToolResult,
    FinishReasons,
    ErrorType,
    ToolStatus,
    TaskStatus,
    LangfuseLevel,
    LangfuseStatusMessage,
    RetrievalDocuments,
    ResultCount,
    DataSource,
    GuardrailResult,
    GuardrailTriggered,
    GenAiSystem,
    InputValue,
    OutputValue,
    EmbeddingMarker,
    ResponseStatus,
    ProcessExitCode,
    RpcStatus,
    JsonRpcError,
    A2aTaskState,
    GuardrailVerdict,
    CacheReadText,
    CacheReadImage,
    CacheReadAudio,
    RetrievalMarker,
    ResponseId,
}

/// Number of fields.
pub const FIELD_COUNT: usize = Field::ResponseId as usize + 1;

/// Field → attribute names, best first.
pub const TABLE: &[(Field, &[&str])] = &[
    (Field::LangsmithKind, &["langsmith.span.kind"]),
    (Field::OpenInferenceKind, &["openinference.span.kind"]),
    (Field::OperationName, &["gen_ai.operation.name"]),
    (Field::TraceloopKind, &["traceloop.span.kind"]),
    (Field::LlmRequestType, &["llm.request.type"]),
    (Field::LangfuseType, &["langfuse.observation.type"]),
    (Field::McpMethod, &["mcp.method.name", "rpc.method"]),
    (
        Field::ModelRequested,
        &[
            "gen_ai.request.model",
            "llm.request.model_name",
            "llm.model_name",
            "ai.model.id",
            "embedding.model_name",
            "reranker.model_name",
            "langfuse.observation.model.name",
            "model_name",
            "model",
        ],
    ),
    (
        Field::ModelReturned,
        &[
            "gen_ai.response.model",
            "llm.response.model_name",
            "llm.model_name",
            "ai.response.model",
        ],
    ),
    (
        Field::Provider,
        &[
            "gen_ai.provider.name",
            "gen_ai.system",
            "llm.provider",
            "llm.system",
            "ai.model.provider",
        ],
    ),
    (
        Field::Session,
        &[
            "gen_ai.conversation.id",
            "session.id",
            "a2a.context_id",
            "a2a.context.id",
            "conversation.id",
            "traceloop.association.properties.session_id",
            "gcp.vertex.agent.session_id",
            "ai.telemetry.metadata.sessionId",
            "ai.settings.context.sessionId",
            "langfuse.session.id",
        ],
    ),
    (
        Field::User,
        &[
            "user.id",
            "enduser.id",
            "traceloop.association.properties.user_id",
            "gen_ai.user",
            "llm.user",
            "langfuse.user.id",
        ],
    ),
    (
        Field::Agent,
        &[
            "gen_ai.agent.name",
            "agent.name",
            "agent_name",
            "a2a.agent.name",
        ],
    ),
    (Field::TraceloopEntity, &["traceloop.entity.name"]),
    (
        Field::InputTokens,
        &[
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.prompt_tokens",
            "llm.token_count.prompt",
            "ai.usage.inputTokens",
            "ai.usage.promptTokens",
            "ai.usage.tokens",
            "input_tokens",
        ],
    ),
    (
        Field::OutputTokens,
        &[
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.completion_tokens",
            "llm.token_count.completion",
            "ai.usage.outputTokens",
            "ai.usage.completionTokens",
            "output_tokens",
        ],
    ),
    (
        Field::CacheRead,
        &[
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
            "llm.token_count.prompt_details.cache_read",
            "ai.usage.inputTokenDetails.cacheReadTokens",
            "ai.usage.cachedInputTokens",
            "cache_read_tokens",
            "gen_ai.usage.details.cache_read_tokens",
        ],
    ),
    (
        Field::CacheWrite,
        &[
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_write_input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
            "llm.token_count.prompt_details.cache_write",
            "ai.usage.inputTokenDetails.cacheWriteTokens",
            "cache_creation_tokens",
        ],
    ),
    (
        Field::Reasoning,
        &[
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens",
            "codex.usage.reasoning_output_tokens",
            "llm.usage.reasoning_tokens",
            "llm.token_count.completion_details.reasoning",
            "ai.usage.outputTokenDetails.reasoningTokens",
            "ai.usage.reasoningTokens",
        ],
    ),
    (
        Field::Cost,
        &[
            "llm.cost.total",
            "operation.cost",
            "cost_usd",
            "gen_ai.usage.cost",
        ],
    ),
    (
        Field::LangfuseCostDetails,
        &["langfuse.observation.cost_details"],
    ),
    (
        Field::ToolName,
        &[
            "gen_ai.tool.name",
            "mcp.tool.name",
            "tool.name",
            "ai.toolCall.name",
            "tool_name",
        ],
    ),
    (
        Field::ToolCallId,
        &[
            "gen_ai.tool.call.id",
            "tool.id",
            "ai.toolCall.id",
            "tool_use_id",
        ],
    ),
    (
        Field::ToolArgs,
        &[
            "gen_ai.tool.call.arguments",
            "ai.toolCall.args",
            "tool_arguments",
            "traceloop.entity.input",
            "gcp.vertex.agent.tool_call_args",
            // mozilla-ai any-agent
            "gen_ai.tool.args",
        ],
    ),
    (
        Field::ToolResult,
        &[
            "gen_ai.tool.call.result",
            "ai.toolCall.result",
            "tool_response",
            "traceloop.entity.output",
            "gcp.vertex.agent.tool_response",
            // mozilla-ai any-agent (its LLM spans' output is under the same key)
            "gen_ai.output",
        ],
    ),
    (
        Field::FinishReasons,
        &[
            "gen_ai.response.finish_reasons",
            "llm.finish_reason",
            "gen_ai.response.finish_reason",
            "llm.response.finish_reason",
            "gen_ai.response.stop_reason",
            "llm.response.stop_reason",
            "ai.response.finishReason",
            "anthropic.message.stop_reason",
            "stop_reason",
        ],
    ),
    // One model call recorded by two spans (an SDK's own and an instrumentation's)
    // carries the provider's response id on both.
    (
        Field::ResponseId,
        &["gen_ai.response.id", "ai.response.id", "llm.response.id"],
    ),
    (Field::ErrorType, &["error.type"]),
    (Field::ToolStatus, &["gen_ai.tool.status"]),
    (Field::TaskStatus, &["gen_ai.task.status"]),
    (Field::LangfuseLevel, &["langfuse.observation.level"]),
    (
        Field::LangfuseStatusMessage,
        &["langfuse.observation.status_message"],
    ),
    (Field::RetrievalDocuments, &["gen_ai.retrieval.documents"]),
    (
        Field::ResultCount,
        &[
            "db.vector.query.result_count",
            "db.pinecone.query.result_count",
        ],
    ),
    (Field::DataSource, &["gen_ai.data_source.id"]),
    (
        Field::GuardrailResult,
        &[
            "gen_ai.guardrail.result.type",
            "gen_ai.guardrail.result.value",
            "gen_ai.guardrail.verdict",
            "action",
        ],
    ),
    (
        Field::GuardrailTriggered,
        &["tripwire_triggered", "triggered"],
    ),
    (Field::GenAiSystem, &["gen_ai.system"]),
    (Field::InputValue, &["input.value"]),
    (Field::OutputValue, &["output.value"]),
    (
        Field::EmbeddingMarker,
        &["gen_ai.embeddings.dimension.count"],
    ),
    // gen-ai-dev 1.42: queued / in_progress / completed / incomplete / failed / cancelled.
    (Field::ResponseStatus, &["gen_ai.response.status"]),
    // A skill's `command` tool: a non-zero exit is the tool's failure.
    (Field::ProcessExitCode, &["process.exit.code"]),
    // MCP over JSON-RPC: the response's status and error code.
    (Field::RpcStatus, &["rpc.response.status_code"]),
    (
        Field::JsonRpcError,
        &[
            "rpc.jsonrpc.error_code",
            "jsonrpc.error.code",
            "mcp.error.code",
        ],
    ),
    (
        Field::A2aTaskState,
        &["a2a.task.state", "a2a.task.status", "gen_ai.a2a.task.state"],
    ),
    (
        Field::GuardrailVerdict,
        &[
            "verdict.decision",
            "verdict.action",
            "verdict.result",
            "gen_ai.guardrail.decision",
        ],
    ),
    // Per-modality usage breakdowns: recorded only when non-zero (absent is unknown).
    (
        Field::CacheReadText,
        &["gen_ai.usage.text.cache_read.input_tokens"],
    ),
    (
        Field::CacheReadImage,
        &["gen_ai.usage.image.cache_read.input_tokens"],
    ),
    (
        Field::CacheReadAudio,
        &["gen_ai.usage.audio.cache_read.input_tokens"],
    ),
];

/// Key prefixes that only mark the presence of a kind of data.
const PREFIX_MARKERS: &[(&str, Field)] = &[
    ("retrieval.documents.", Field::RetrievalMarker),
    ("reranker.output_documents.", Field::RetrievalMarker),
    ("embedding.embeddings.", Field::EmbeddingMarker),
];

/// For one string table: interned key → the (field, rank) pairs it fills.
pub struct KeyIndex {
    /// Index into `roles` + 1 per symbol; 0 = no role.
    by_sym: Vec<u32>,
    roles: Vec<Vec<(Field, u8)>>,
}

impl KeyIndex {
    /// Builds the index for the keys present in `strings`. Only attribute keys that
    /// exist are looked up, so this is cheap whatever the table size.
    pub fn new(strings: &Interner, keys_in_use: impl Iterator<Item = Sym>) -> KeyIndex {
        let mut index = KeyIndex {
            by_sym: vec![0; strings.len()],
            roles: Vec::new(),
        };
        for (field, names) in TABLE {
            for (rank, name) in names.iter().enumerate() {
                if let Some(sym) = strings.lookup(name) {
                    index.add(sym, *field, rank as u8);
                }
            }
        }
        for sym in keys_in_use {
            let slot = index.by_sym.get(sym.0 as usize).copied().unwrap_or(1);
            if slot != 0 {
                continue;
            }
            let key = strings.get(sym);
            for (prefix, field) in PREFIX_MARKERS {
                if key.starts_with(prefix) {
                    index.add(sym, *field, 50);
                }
            }
        }
        index
    }

    fn add(&mut self, sym: Sym, field: Field, rank: u8) {
        let Some(slot) = self.by_sym.get_mut(sym.0 as usize) else {
            return;
        };
        if *slot == 0 {
            self.roles.push(Vec::new());
            *slot = self.roles.len() as u32;
        }
        self.roles[*slot as usize - 1].push((field, rank));
    }

    /// The fields an attribute key fills.
    pub fn roles(&self, key: Sym) -> &[(Field, u8)] {
        match self.by_sym.get(key.0 as usize) {
            Some(&slot) if slot > 0 => &self.roles[slot as usize - 1],
            _ => &[],
        }
    }
}

/// The attribute names a field is read from, best first (a lookup, not a scan).
pub fn names_of(field: Field) -> &'static [&'static str] {
    static BY_FIELD: std::sync::OnceLock<[&'static [&'static str]; FIELD_COUNT]> =
        std::sync::OnceLock::new();
    BY_FIELD.get_or_init(|| {
        let mut by: [&'static [&'static str]; FIELD_COUNT] = [&[]; FIELD_COUNT];
        for (f, names) in TABLE {
            by[*f as usize] = names;
        }
        by
    })[field as usize]
}

/// Attribute-key prefixes of the GenAI conventions agtrace reads (OpenTelemetry GenAI,
/// OpenInference, OpenLLMetry, Vercel AI SDK, LangSmith, Langfuse).
const GENAI_PREFIXES: &[&str] = &[
    "gen_ai.",
    "llm.",
    "openinference.",
    "ai.",
    "traceloop.",
    "langsmith.",
    "langfuse.",
    "input.",
    "output.",
    "tool.",
    "retrieval.",
    "embedding.",
    "session.",
    "user.",
];

/// True for keys of a GenAI convention: views list these attributes first.
pub fn is_genai_key(k: &str) -> bool {
    GENAI_PREFIXES.iter().any(|p| k.starts_with(p))
}

/// Attributes that hold message or tool payload text (what a full-text search over
/// conversations should see).
pub const MESSAGE_KEYS: &[&str] = &[
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "input.value",
    "output.value",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
];

/// Values that emitters write when they have nothing to say (ADK, pydantic-ai).
pub fn is_placeholder(v: &AttrValue, strings: &Interner) -> bool {
    match v {
        AttrValue::Empty => true,
        AttrValue::Str(_) | AttrValue::Text(_) => {
            let s = v.as_str(strings).unwrap_or("").trim();
            matches!(s, "" | "{}" | "<not specified>" | "N/A" | "(merged tools)")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_names_and_lookups_match_the_table() {
        for (f, names) in TABLE {
            assert_eq!(names_of(*f), *names, "{f:?}");
        }
        assert!(is_genai_key("gen_ai.request.model") && !is_genai_key("http.method"));
    }
}
