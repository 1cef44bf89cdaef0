"""Writes testdata/shapes/any-agent.json and testdata/shapes/js-readable.json: one
agent run each in the layout of mozilla-ai any-agent's AgentTrace JSON (ids as decimal
integers up to 2^128, `parent` objects full of nulls at the root, lowercase kinds and
status) and of the OpenTelemetry JS SDK's ReadableSpans as JSON.stringify leaves them
(`_spanContext`, `parentSpanContext`, `[seconds, nanos]` times, the 0-based kind enum,
`resource._rawAttributes`). Written from the shapes of the projects' public samples;
run `python3 testdata/make_layouts.py` to write them again."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TRACE = 0xF1D0_0000_0000_0000_0000_0000_0000_0A11  # > 2^127: a double would lose it
BASE = 1_763_694_720_000_000_000  # 2025-11-21T03:12:00Z


def any_agent():
    root = 0x8F00_0000_0000_0001
    spans = []

    def span(name, sid, parent, start_ms, end_ms, attrs, status="ok"):
        ctx = lambda t, s: {"trace_id": t, "span_id": s, "is_remote": False,
                            "trace_flags": {"value": 0}, "trace_state": {"entries": {}}}
        spans.append({
            "name": name, "kind": "internal",
            "parent": ctx(TRACE if parent else None, parent),
            "start_time": BASE + start_ms * 1_000_000,
            "end_time": BASE + end_ms * 1_000_000,
            "status": {"status_code": status, "description": None},
            "context": ctx(TRACE, sid),
            "attributes": attrs, "links": [], "events": [],
            "resource": {"attributes": {"service.name": "any-agent-demo"}, "schema_url": ""},
        })

    llm = lambda i, o: {"gen_ai.operation.name": "call_llm", "gen_ai.request.model": "gpt-4.1-mini",
                        "gen_ai.usage.input_tokens": i, "gen_ai.usage.output_tokens": o}
    span("call_llm gpt-4.1-mini", 0xA000_0000_0000_0001, root, 10, 900, llm(313, 18))
    span("execute_tool get_order", 0xA000_0000_0000_0002, root, 910, 950,
         {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_order",
          "gen_ai.tool.args": "{\"order\": \"A-17\"}", "gen_ai.output": "\"[]\""})
    span("call_llm gpt-4.1-mini", 0xA000_0000_0000_0003, root, 960, 1900, llm(404, 15))
    span("execute_tool write_file", 0xA000_0000_0000_0004, root, 1910, 1912,
         {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "write_file",
          "gen_ai.tool.args": "{\"text\": \"done\"}", "gen_ai.output": "\"None\""})
    span("invoke_agent [any_agent]", root, None, 0, 2000,
         {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "any_agent"}, "unset")
    return json.dumps({"spans": spans, "final_output": "Order A-17 shipped."}, indent=2)


def js_readable():
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    hr = lambda ms: [(BASE // 1_000_000_000) + ms // 1000, (ms % 1000) * 1_000_000]
    out = []

    def span(name, sid, parent, kind, start_ms, end_ms, attrs, code=0, message=None):
        status = {"code": code}
        if message:
            status["message"] = message
        s = {"name": name, "kind": kind,
             "_spanContext": {"traceId": trace, "spanId": sid, "traceFlags": 1},
             "startTime": hr(start_ms), "endTime": hr(end_ms),
             "duration": hr(end_ms - start_ms), "attributes": attrs, "status": status,
             "events": [], "links": [], "_ended": True,
             "resource": {"_rawAttributes": [["service.name", "vercel-agent"]]},
             "instrumentationLibrary": {"name": "ai", "version": "6.0.0"}}
        if parent:
            s["parentSpanContext"] = {"traceId": trace, "spanId": parent, "traceFlags": 1}
        out.append(s)

    span("ai.generateText", "00f067aa0ba90201", None, 0, 0, 2500,
         {"ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o-mini",
          "ai.telemetry.functionId": "support"})
    span("ai.generateText.doGenerate", "00f067aa0ba90202", "00f067aa0ba90201", 2, 10, 1200,
         {"ai.operationId": "ai.generateText.doGenerate", "gen_ai.request.model": "gpt-4o-mini",
          "gen_ai.usage.input_tokens": 812, "gen_ai.usage.output_tokens": 41})
    span("ai.toolCall", "00f067aa0ba90203", "00f067aa0ba90201", 0, 1210, 1500,
         {"ai.operationId": "ai.toolCall", "ai.toolCall.name": "refund",
          "ai.toolCall.args": "{\"order\":\"A-17\"}"}, 2, "gateway timeout")
    return json.dumps(out, indent=2)


with open(os.path.join(HERE, "shapes", "any-agent.json"), "w") as f:
    f.write(any_agent() + "\n")
with open(os.path.join(HERE, "shapes", "js-readable.json"), "w") as f:
    f.write(js_readable() + "\n")
