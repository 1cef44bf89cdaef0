//! Step kind for a span, from the first informative signal in the reference's order
//! (§6.1): LangSmith, OpenInference, OTel GenAI well-known operations, OpenLLMetry,
//! Langfuse, framework span names, custom operation names, then attribute heuristics.

use crate::model::StepKind;

/// What the classifier needs to know about a span.
pub struct Signals<'a> {
    pub langsmith: Option<&'a str>,
    pub openinference: Option<&'a str>,
    pub operation: Option<&'a str>,
    pub traceloop: Option<&'a str>,
    pub llm_request_type: Option<&'a str>,
    pub langfuse: Option<&'a str>,
    pub mcp_method: Option<&'a str>,
    pub name: &'a str,
    pub has_model: bool,
    pub has_tokens: bool,
    pub has_gen_ai_system: bool,
    pub has_tool_name: bool,
    pub has_retrieval_data: bool,
    pub has_embedding_data: bool,
}

/// The kind and the rule that decided it.
pub fn classify(s: &Signals) -> (StepKind, &'static str) {
    use StepKind::*;
    if let Some(k) = s.langsmith.and_then(langsmith) {
        return (k, "langsmith.span.kind");
    }
    if let Some(k) = s.openinference.and_then(openinference) {
        return (k, "openinference.span.kind");
    }
    if let Some(k) = s.operation.and_then(operation_well_known) {
        return (k, "gen_ai.operation.name");
    }
    if let Some(k) = s.traceloop.and_then(traceloop) {
        return (k, "traceloop.span.kind");
    }
    if let Some(k) = s.llm_request_type.and_then(llm_request_type) {
        return (k, "llm.request.type");
    }
    if let Some(k) = s.langfuse.and_then(langfuse) {
        return (k, "langfuse.observation.type");
    }
    if let Some(k) = span_name(s.name) {
        return (k, "span name");
    }
    if let Some(k) = s.operation.and_then(operation_custom) {
        return (k, "gen_ai.operation.name (custom)");
    }
    if let Some(m) = s.mcp_method {
        return (
            if m == "tools/call" { Tool } else { Other },
            "mcp.method.name",
        );
    }
    if s.has_tool_name && !s.has_model {
        return (Tool, "heuristic: tool name");
    }
    if s.has_model && (s.has_tokens || s.has_gen_ai_system) {
        return (Llm, "heuristic: model and usage");
    }
    if s.has_retrieval_data {
        return (Retrieval, "heuristic: retrieval data");
    }
    if s.has_embedding_data {
        return (Embedding, "heuristic: embedding data");
    }
    if let Some(k) = name_prefix(s.name) {
        return (k, "heuristic: span name");
    }
    (Other, "none")
}

fn langsmith(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v.to_ascii_lowercase().as_str() {
        "llm" => Llm,
        "chain" => Chain,
        "tool" => Tool,
        "retriever" => Retrieval,
        "embedding" => Embedding,
        "prompt" | "parser" => Other,
        _ => return None,
    })
}

fn openinference(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v.to_ascii_uppercase().as_str() {
        "LLM" => Llm,
        "EMBEDDING" => Embedding,
        "RETRIEVER" => Retrieval,
        "RERANKER" => Rerank,
        "TOOL" => Tool,
        "AGENT" => Agent,
        "CHAIN" => Chain,
        "GUARDRAIL" => Guardrail,
        "EVALUATOR" | "PROMPT" => Other,
        _ => return None,
    })
}

fn operation_well_known(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v {
        "chat" | "text_completion" | "generate_content" => Llm,
        "embeddings" => Embedding,
        "retrieval" | "search_memory" => Retrieval,
        "execute_tool" => Tool,
        // gen-ai-dev 1.42: a turn's root (framework runner entrypoints) and the
        // internal invocation that replaces in-process invoke_agent/invoke_workflow.
        "invoke_agent" | "handle_conversation_turn" | "invocation" => Agent,
        "invoke_workflow" | "plan" => Chain,
        "apply_guardrail" | "run_guardrail" => Guardrail,
        // A background response fetched by id, and a realtime session's inference.
        "fetch_response" | "realtime_inference" => Llm,
        "create_agent"
        | "create_memory"
        | "update_memory"
        | "upsert_memory"
        | "delete_memory"
        | "create_memory_store"
        | "delete_memory_store" => Other,
        _ => return None,
    })
}

fn operation_custom(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v {
        "rerank" => Rerank,
        "agent_step"
        | "execute_event_loop_cycle"
        | "invoke_graph"
        | "invoke_swarm"
        | "execute_task"
        | "chain"
        | "parser" => Chain,
        "vector_db_retrieve" => Retrieval,
        "llm_request" => Llm,
        _ => return None,
    })
}

fn traceloop(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v {
        "workflow" | "task" => Chain,
        "agent" => Agent,
        "tool" => Tool,
        _ => return None,
    })
}

fn llm_request_type(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v {
        "chat" | "completion" => Llm,
        "embedding" => Embedding,
        "rerank" => Rerank,
        _ => return None,
    })
}

fn langfuse(v: &str) -> Option<StepKind> {
    use StepKind::*;
    Some(match v.to_ascii_lowercase().as_str() {
        "generation" => Llm,
        "embedding" => Embedding,
        "agent" => Agent,
        "tool" => Tool,
        "chain" => Chain,
        "retriever" => Retrieval,
        "evaluator" => Other,
        "guardrail" => Guardrail,
        _ => return None,
    })
}

/// Framework span names and operation ids (Vercel AI SDK, Claude Code, ADK, OpenLLMetry,
/// Logfire, pydantic-ai v2).
fn span_name(name: &str) -> Option<StepKind> {
    use StepKind::*;
    if let Some(rest) = name.strip_prefix("ai.") {
        let op = rest.split(' ').next().unwrap_or(rest);
        return Some(match op {
            "generateText" | "streamText" | "generateObject" | "streamObject" => Agent,
            "generateText.doGenerate"
            | "streamText.doStream"
            | "generateObject.doGenerate"
            | "streamObject.doStream" => Llm,
            "toolCall" => Tool,
            "embed" | "embedMany" | "embed.doEmbed" | "embedMany.doEmbed" => Embedding,
            "rerank" | "rerank.doRerank" => Rerank,
            _ => return None,
        });
    }
    if let Some(rest) = name.strip_prefix("claude_code.") {
        // Claude Code's native tracing (scope com.anthropic.claude_code.tracing): a
        // user turn, its model requests, each tool use (its execution and the wait
        // for the user's permission inside it).
        return Some(match rest {
            "interaction" | "session" | "user_prompt" => Agent,
            "llm_request" | "api_request" => Llm,
            "tool" | "tool.execution" | "tool_use" => Tool,
            "subagent" | "task" => Agent,
            _ => Other,
        });
    }
    Some(match name {
        // Microsoft Agent Framework workflows (its agents and model calls use the
        // GenAI operations): a run, each executor's step, messages between them.
        "workflow.run" => Chain,
        "workflow.build" | "edge_group.process" | "message.send" => Other,
        n if n.starts_with("executor.process") => Chain,
        // CrewAI through OpenLLMetry, when the traceloop kind is missing.
        "crewai.workflow" => Chain,
        // Codex CLI: codex.exec → session_loop → run_turn → stream_request.
        "codex.exec" => Agent,
        "session_loop" | "run_turn" => Chain,
        "stream_request" => Llm,
        "call_llm" => Llm,
        "openai.chat"
        | "openai.completion"
        | "openai.response"
        | "anthropic.chat"
        | "anthropic.completion" => Llm,
        "openai.embeddings" => Embedding,
        "agent run" => Agent,
        "running tool" | "running output function" => Tool,
        "invocation" => Chain,
        n if n.starts_with("execute_tool") => Tool,
        n if n.starts_with("invoke_agent") || n.starts_with("agent_run [") => Agent,
        n if n.starts_with("Agent run: ") => Agent,
        n if n.starts_with("Function: ") => Tool,
        n if n.starts_with("Chat completion with ") || n.starts_with("Responses API") => Llm,
        n if n.starts_with("Guardrail ") => Guardrail,
        n if n.starts_with("Handoff: ") => Other,
        n if n.starts_with("Task: ") || n.starts_with("Custom span: ") => Chain,
        n if n.starts_with("Turn ") && n.contains(" for agent ") => Chain,
        _ => return None,
    })
}

fn name_prefix(name: &str) -> Option<StepKind> {
    use StepKind::*;
    let first = name.split([' ', '.']).next().unwrap_or("");
    Some(match first {
        "chat" | "text_completion" | "generate_content" => Llm,
        "embeddings" => Embedding,
        "retrieval" => Retrieval,
        "rerank" => Rerank,
        "apply_guardrail" => Guardrail,
        _ => return None,
    })
}
