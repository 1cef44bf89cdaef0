#!/usr/bin/env python3
"""Writes testdata/triage.otlp.json: a small incident dump with the shapes that
mislead at 3am — a partly priced trace, an unpriced one, a slow step inside a long
run, an MCP server span that lost its parent, a tool error whose message must be
searchable, and one long session id whose turns start 60 ms apart.

    python3 testdata/make_triage.py
"""
import json

from make_fixtures import T0, MS, agent, i, llm, resource, s, span, tool, write

SESSION = "sess-S1-v2_default-7f3a9c21-long-session-identifier"
T1 = "71a9e0c0000000000000000000000001"  # partly priced: one call of an unknown model
T2 = "71a9e0c0000000000000000000000002"  # nothing priced
T3 = "71a9e0c0000000000000000000000003"  # slow fetch_url step, orphaned MCP span, tool error


def main():
    doc = {"resourceSpans": [
        resource("triage-agent", [
            agent(T1, "1100000000000001", 0, 3000, "triage", SESSION),
            llm(T1, "1100000000000002", "1100000000000001", 10, 1200, "gpt-4o", 2000, 300, conv=SESSION),
            llm(T1, "1100000000000003", "1100000000000001", 1300, 1500, "acme-large-2", 4000, 500, conv=SESSION),
            agent(T2, "1200000000000001", 60, 2000, "triage", SESSION),
            llm(T2, "1200000000000002", "1200000000000001", 70, 1800, "acme-large-2", 900, 100, conv=SESSION),
            agent(T3, "1300000000000001", 120, 12_000, "triage", SESSION),
            llm(T3, "1300000000000002", "1300000000000001", 130, 900, "gpt-4o", 1500, 80, finish="tool_call", conv=SESSION),
            tool(T3, "1300000000000003", "1300000000000001", 1100, 8200, "fetch_url", {"url": "https://status.example.com"}, {"status": 200}, conv=SESSION),
            tool(T3, "1300000000000004", "1300000000000001", 9400, 300, "lookup_customer", {"id": "c-77"}, {"error": "customer not found"},
                 status={"code": 2, "message": "customer not found: c-77"}, conv=SESSION),
            llm(T3, "1300000000000005", "1300000000000001", 9800, 2200, "gpt-4o", 1700, 200, conv=SESSION),
        ]),
        resource("mcp-server", [
            # The MCP server's span: its parent (the client's call span) never arrived.
            span(T3, "1300000000000009", "13000000000000ff", "tools/call lookup_customer", 9420, 250, kind=2, attrs=[
                s("mcp.method.name", "tools/call"), s("gen_ai.tool.name", "lookup_customer"),
                s("gen_ai.operation.name", "execute_tool"), s("jsonrpc.request.id", "42"),
            ]),
        ], scope="mcp.server"),
    ]}
    write("triage.otlp.json", json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
