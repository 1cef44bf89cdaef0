//! The agent *step* derived for every span: what kind of work it was (LLM call, tool
//! call, retrieval…), the model, tokens, cost, tool, outcome, session. Computed by
//! `semconv` from whatever conventions the span follows; stored here as plain data.

use super::Outcome;
use super::intern::Sym;

/// What kind of agent step a span is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum StepKind {
    /// An agent run (invoke_agent, OI AGENT).
    Agent,
    /// A model call (chat, completion, generate_content).
    Llm,
    /// A tool execution.
    Tool,
    /// A retrieval / vector search / memory search.
    Retrieval,
    /// An embeddings call.
    Embedding,
    /// A reranker call.
    Rerank,
    /// A guardrail check.
    Guardrail,
    /// A chain, workflow, step or plan grouping other steps.
    Chain,
    /// Anything else (HTTP, DB, framework plumbing).
    #[default]
    Other,
}

impl StepKind {
    /// Every kind, in display order.
    pub const ALL: [StepKind; 9] = [
        StepKind::Agent,
        StepKind::Llm,
        StepKind::Tool,
        StepKind::Retrieval,
        StepKind::Embedding,
        StepKind::Rerank,
        StepKind::Guardrail,
        StepKind::Chain,
        StepKind::Other,
    ];

    /// Lower-case name (used in JSON and the filter language).
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Agent => "agent",
            StepKind::Llm => "llm",
            StepKind::Tool => "tool",
            StepKind::Retrieval => "retrieval",
            StepKind::Embedding => "embedding",
            StepKind::Rerank => "rerank",
            StepKind::Guardrail => "guardrail",
            StepKind::Chain => "chain",
            StepKind::Other => "other",
        }
    }

    /// Parses a name as printed by [`StepKind::as_str`].
    pub fn parse(s: &str) -> Option<StepKind> {
        StepKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

/// Token counts of one step; `None` where the span did not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Input (prompt) tokens, cache reads and writes included (OTel semantics).
    pub input: Option<u64>,
    /// Output tokens, reasoning included.
    pub output: Option<u64>,
    /// Input tokens read from the provider's cache.
    pub cache_read: Option<u64>,
    /// Input tokens written to the provider's cache.
    pub cache_write: Option<u64>,
    /// Reasoning tokens (a part of output).
    pub reasoning: Option<u64>,
}

impl Tokens {
    /// True when no count is known.
    pub fn is_empty(&self) -> bool {
        *self == Tokens::default()
    }
}

/// Where a step's cost came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CostSource {
    /// The span carried a cost.
    Provided,
    /// Priced from the price table.
    Priced,
    /// A billable step whose price is not known: shown as unknown, never $0.
    Unknown,
    /// Not a billable step (no model call).
    #[default]
    None,
}

/// The derived step of one span.
#[derive(Clone, Copy, Debug, Default)]
pub struct Step {
    /// Step kind.
    pub kind: StepKind,
    /// Which rule decided the kind (e.g. `gen_ai.operation.name`), for debugging.
    pub kind_source: &'static str,
    /// Error, warning or ok.
    pub outcome: Outcome,
    /// Short reason for an error or warning.
    pub reason: Sym,
    /// The model that answered (else the one requested).
    pub model: Sym,
    /// The model that was asked for.
    pub model_requested: Sym,
    /// The provider (`openai`, `anthropic`…).
    pub provider: Sym,
    /// Tool name, for tool steps.
    pub tool_name: Sym,
    /// Tool call id.
    pub tool_call_id: Sym,
    /// Finish reasons, comma-separated.
    pub finish_reasons: Sym,
    /// Conversation / session id on this span.
    pub session: Sym,
    /// End user id.
    pub user: Sym,
    /// Agent name.
    pub agent_name: Sym,
    /// Token counts.
    pub tokens: Tokens,
    /// Cost in USD (meaningful when `cost_source` is Provided or Priced).
    pub cost_usd: f64,
    /// Where the cost came from.
    pub cost_source: CostSource,
    /// An LLM (or embedding/rerank) step with no LLM step below it: the only steps
    /// whose tokens and cost are added up, since agent spans often repeat totals.
    /// Each model call has exactly one: a second record of the same call is not.
    pub billable_leaf: bool,
    /// This span records a model call that another span of the trace records too
    /// (the same response id, or a twin under the same parent): it is counted once,
    /// on the other span (index in `TraceSet::spans`).
    pub same_call_as: Option<u32>,
}

impl Step {
    /// The cost when known.
    pub fn cost(&self) -> Option<f64> {
        matches!(self.cost_source, CostSource::Provided | CostSource::Priced)
            .then_some(self.cost_usd)
    }

    /// What this step adds to a cost total, the one definition every total uses:
    /// `None` when it bills nothing (not a model call, a second record of one, a
    /// call that failed without usage); else its cost, `None` inside when unpriced.
    pub fn bill(&self) -> Option<Option<f64>> {
        (self.billable_leaf && self.cost_source != CostSource::None).then(|| self.cost())
    }
}
