//! The columns the store writes and reads, as enums: the writer fills a row with an
//! exhaustive match over every column and the reader selects and indexes by the same
//! enum, so a column cannot be added in one place and forgotten in another.

macro_rules! columns {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $col:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $(
                #[doc = concat!("`", $col, "`")]
                $variant,
            )+
        }

        impl $name {
            /// Every column, in statement order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The column's name in SQL.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $col),+
                }
            }

            /// Its position in a statement built from [`Self::ALL`].
            pub fn at(self) -> usize {
                self as usize
            }
        }
    };
}

columns!(
    /// A row of the `traces` table (written whole on every import of the trace).
    TraceCol {
        TraceId = "trace_id",
        RootName = "root_name",
        Service = "service",
        SessionId = "session_id",
        UserId = "user_id",
        AgentName = "agent_name",
        StartNs = "start_ns",
        EndNs = "end_ns",
        DurationMs = "duration_ms",
        SpanCount = "span_count",
        ErrorCount = "error_count",
        WarningCount = "warning_count",
        LlmCalls = "llm_calls",
        ToolCalls = "tool_calls",
        InputTokens = "input_tokens",
        OutputTokens = "output_tokens",
        CacheReadTokens = "cache_read_tokens",
        CacheWriteTokens = "cache_write_tokens",
        ReasoningTokens = "reasoning_tokens",
        CostUsd = "cost_usd",
        CostPartial = "cost_partial",
        BillableSteps = "billable_steps",
        UnpricedSteps = "unpriced_steps",
        OrphanCount = "orphan_count",
        CycleCount = "cycle_count",
        ClockSkewCount = "clock_skew_count",
        UnfinishedCount = "unfinished_count",
        DuplicateCount = "duplicate_count",
        DroppedCount = "dropped_count",
        Status = "status",
        Findings = "findings",
    }
);

columns!(
    /// The columns import writes into the `spans` table (its `id` is the rowid).
    SpanCol {
        TraceId = "trace_id",
        SpanId = "span_id",
        ParentSpanId = "parent_span_id",
        Name = "name",
        Kind = "kind",
        Model = "model",
        Provider = "provider",
        ToolName = "tool_name",
        SessionId = "session_id",
        UserId = "user_id",
        AgentName = "agent_name",
        InputTokens = "input_tokens",
        OutputTokens = "output_tokens",
        CostUsd = "cost_usd",
        Status = "status",
        StatusReason = "status_reason",
        StartNs = "start_ns",
        EndNs = "end_ns",
        SpanKind = "span_kind",
        StatusCode = "status_code",
        StatusMessage = "status_message",
        TraceState = "trace_state",
        Flags = "flags",
        ResourceId = "resource_id",
        ScopeId = "scope_id",
        DroppedAttributes = "dropped_attributes",
        DroppedEvents = "dropped_events",
        DroppedLinks = "dropped_links",
        Attributes = "attributes",
    }
);

columns!(
    /// What reading spans back selects from the `spans` table (schema 2 and later);
    /// the model re-derives everything else.
    SpanRead {
        Id = "id",
        TraceId = "trace_id",
        SpanId = "span_id",
        ParentSpanId = "parent_span_id",
        Name = "name",
        SpanKind = "span_kind",
        StartNs = "start_ns",
        EndNs = "end_ns",
        StatusCode = "status_code",
        StatusMessage = "status_message",
        TraceState = "trace_state",
        Flags = "flags",
        ResourceId = "resource_id",
        DroppedAttributes = "dropped_attributes",
        DroppedEvents = "dropped_events",
        DroppedLinks = "dropped_links",
        Attributes = "attributes",
        ScopeId = "scope_id",
    }
);

/// `INSERT <verb> INTO table (a, b, …) VALUES (?1, ?2, …)` for these columns.
pub fn insert_sql(verb: &str, table: &str, names: &[&str]) -> String {
    let marks: Vec<String> = (1..=names.len()).map(|k| format!("?{k}")).collect();
    format!(
        "INSERT {verb}INTO {table} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    )
}

/// `SELECT <prefix>a, <prefix>b, … FROM` for these columns.
pub fn select_list(prefix: &str, names: &[&str]) -> String {
    let cols: Vec<String> = names.iter().map(|n| format!("{prefix}{n}")).collect();
    cols.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_list_every_column_in_order() {
        let names: Vec<&str> = TraceCol::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), 31);
        assert_eq!(TraceCol::Status.at(), 29);
        let sql = insert_sql(
            "OR IGNORE ",
            "spans",
            &SpanCol::ALL.iter().map(|c| c.name()).collect::<Vec<_>>(),
        );
        assert!(sql.starts_with("INSERT OR IGNORE INTO spans (trace_id, span_id"));
        assert!(sql.ends_with("?28, ?29)"));
        for (k, c) in SpanRead::ALL.iter().enumerate() {
            assert_eq!(c.at(), k);
        }
    }
}
