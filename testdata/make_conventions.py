#!/usr/bin/env python3
"""Writes testdata/conventions-2026.otlp.json: agent runs as late-2026 producers emit
them, written from the OpenTelemetry GenAI conventions (gen-ai-dev/1.42.0-dev), the
MCP and A2A span conventions and the producers' documented names:

- a Claude Code turn (claude_code.interaction → llm_request → tool.execution), priced
  claude-sonnet-4-5 usage, an evaluation result logged later with no span id that joins
  by gen_ai.response.id;
- a handle_conversation_turn with a denied tool call (gen_ai.tool.call.decision) and a
  failed background response (fetch_response, gen_ai.response.status=failed);
- an MCP client/server pair whose server span lost its parent (params._meta not
  propagated) and a tools/call that returned a JSON-RPC error;
- two agents talking over A2A in one conversation (a2a.context_id) where the remote
  task was rejected, and a blocked prompt injection (agent.threat.detection).

    python3 testdata/make_conventions.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_790_000_000_000_000_000  # 2026-09-21
MS = 1_000_000


def v(x):
    if isinstance(x, bool):
        return {"boolValue": x}
    if isinstance(x, int):
        return {"intValue": str(x)}
    if isinstance(x, float):
        return {"doubleValue": x}
    return {"stringValue": x}


def attrs(d):
    return [{"key": k, "value": v(x)} for k, x in d.items()]


def span(tid, sid, parent, name, start, dur, a=None, kind=1, status=None, events=None):
    return {
        "traceId": tid, "spanId": sid, "parentSpanId": parent, "name": name, "kind": kind,
        "startTimeUnixNano": str(T0 + start * MS), "endTimeUnixNano": str(T0 + (start + dur) * MS),
        "attributes": attrs(a or {}),
        "events": [{"name": n, "timeUnixNano": str(T0 + (start + 1) * MS), "attributes": attrs(ea)}
                   for n, ea in (events or [])],
        "status": status or {},
    }


def rs(service, scope, spans, extra=None):
    res = {"service.name": service}
    res.update(extra or {})
    return {"resource": {"attributes": attrs(res)},
            "scopeSpans": [{"scope": {"name": scope}, "spans": spans}]}


CC = "cc000000000000000000000000000001"
TURN = "7e000000000000000000000000000002"
MCP = "3c000000000000000000000000000003"
A2A_A = "a2a00000000000000000000000000004"
A2A_B = "a2a00000000000000000000000000005"

doc = {"resourceSpans": [
    rs("claude-code", "com.anthropic.claude_code.tracing", [
        span(CC, "cc00000000000001", "", "claude_code.interaction", 0, 9000,
             {"session.id": "cc-session-7", "user.id": "dev-42"}),
        span(CC, "cc00000000000002", "cc00000000000001", "claude_code.llm_request", 10, 4000,
             {"gen_ai.request.model": "claude-sonnet-4-5-20250929", "gen_ai.response.id": "msg_01abc",
              "gen_ai.usage.input_tokens": 18000, "gen_ai.usage.cache_read.input_tokens": 15000,
              "gen_ai.usage.output_tokens": 420, "session.id": "cc-session-7"}, kind=3),
        span(CC, "cc00000000000003", "cc00000000000001", "claude_code.tool.execution", 4100, 3000,
             {"tool_name": "Bash", "tool_use_id": "toolu_01", "gen_ai.tool.call.arguments": "{\"command\": \"pytest -q\"}",
              "process.exit.code": 1}),
        span(CC, "cc00000000000004", "cc00000000000003", "claude_code.tool.blocked_on_user", 4110, 2000, {}),
    ]),
    rs("support-bot", "agent-framework", [
        span(TURN, "7e00000000000001", "", "handle_conversation_turn support", 0, 6000,
             {"gen_ai.operation.name": "handle_conversation_turn", "gen_ai.agent.name": "support",
              "gen_ai.conversation.id": "conv-77", "gen_ai.conversation.compacted": True}),
        span(TURN, "7e00000000000002", "7e00000000000001", "chat gpt-5.1", 10, 1500,
             {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-5.1", "gen_ai.request.reasoning.level": "high",
              "gen_ai.usage.input_tokens": 2400, "gen_ai.usage.output_tokens": 300,
              "gen_ai.usage.text.cache_read.input_tokens": 1200},
             kind=3, events=[("gen_ai.tool.call.decision", {"gen_ai.tool.name": "refund_payment",
                                                            "gen_ai.tool.call.decision": "deny",
                                                            "gen_ai.tool.call.id": "call_9"})]),
        span(TURN, "7e00000000000003", "7e00000000000001", "fetch_response", 1600, 4000,
             {"gen_ai.operation.name": "fetch_response", "gen_ai.request.model": "gpt-5.1",
              "gen_ai.response.id": "resp_bg_1", "gen_ai.response.status": "failed"}, kind=3),
    ], {"gen_ai.main_agent.name": "support"}),
    rs("ide-agent", "mcp-client", [
        span(MCP, "3c00000000000001", "", "invoke_agent ide", 0, 3000,
             {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "ide"}),
        span(MCP, "3c00000000000002", "3c00000000000001", "tools/call search_code", 100, 900,
             {"mcp.method.name": "tools/call", "gen_ai.tool.name": "search_code", "mcp.session.id": "m-1",
              "jsonrpc.request.id": "7", "mcp.protocol.version": "2025-06-18"}, kind=3),
        span(MCP, "3c00000000000003", "3c00000000000001", "tools/call read_file", 1100, 300,
             {"mcp.method.name": "tools/call", "gen_ai.tool.name": "read_file", "rpc.response.status_code": "-32602",
              "error.type": "tool_error"}, kind=3),
    ]),
    rs("code-search-mcp", "mcp-server", [
        # The server half: its parent (the client span) is in another process and was
        # never linked (params._meta without traceparent): an orphan.
        span(MCP, "3c00000000000009", "3c000000000000ff", "tools/call search_code", 150, 700,
             {"mcp.method.name": "tools/call", "gen_ai.tool.name": "search_code", "mcp.session.id": "m-1"}, kind=2),
    ]),
    rs("travel-planner", "a2a", [
        span(A2A_A, "a2a0000000000001", "", "invoke_agent planner", 0, 5000,
             {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner", "a2a.context_id": "ctx-trip-1"}),
        span(A2A_A, "a2a0000000000002", "a2a0000000000001", "a2a message/send booking", 100, 2000,
             {"a2a.context_id": "ctx-trip-1", "a2a.task.state": "TASK_STATE_REJECTED", "a2a.agent.name": "booking"}, kind=3),
    ]),
    rs("booking-agent", "a2a", [
        span(A2A_B, "a2a0000000000011", "", "invoke_agent booking", 0, 1500,
             {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "booking", "a2a.context_id": "ctx-trip-1"},
             events=[("agent.threat.detection", {"agent.threat.rule": "prompt-injection", "agent.threat.severity": "high",
                                                "agent.threat.action": "block"})]),
    ]),
]}
# An evaluator that ran later: no span id, joined by the response it judged.
doc["resourceLogs"] = [{"resource": {"attributes": attrs({"service.name": "evaluator"})},
    "scopeLogs": [{"logRecords": [{
        "timeUnixNano": str(T0 + 20000 * MS), "eventName": "gen_ai.evaluation.result",
        "attributes": attrs({"gen_ai.response.id": "msg_01abc", "gen_ai.evaluation.name": "task_success",
                             "gen_ai.evaluation.score.value": 0.25, "gen_ai.evaluation.score.label": "fail",
                             "gen_ai.evaluation.explanation": "tests still failing after the run"})}]}]}]

with open(os.path.join(HERE, "conventions-2026.otlp.json"), "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
