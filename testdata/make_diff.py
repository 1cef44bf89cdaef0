#!/usr/bin/env python3
"""Writes testdata/diff.otlp.json: two runs of the same support agent on one request
that went different ways — `agtrace diff`'s fixture. Run A looked the order up with
the right id, found the duplicate charge and refunded it. Run B asked for the wrong
id, got nothing back, and told the customer it could not find the order.

    python3 testdata/make_diff.py
"""
import json

from make_fixtures import llm, resource, s, tool, agent, write

A = "d1ff0000000000000000000000000a01"
B = "d1ff0000000000000000000000000b02"


def said(*parts):
    return s("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": list(parts)}]))


def call(name, args):
    return {"type": "tool_call", "id": "c-" + name, "name": name, "arguments": args}


def text(t):
    return {"type": "text", "content": t}


def main():
    doc = {"resourceSpans": [resource("support-agent", [
        agent(A, "a100000000000001", 0, 5200, "support", "conv-d1ff-a"),
        llm(A, "a100000000000002", "a100000000000001", 10, 900, "gpt-4o", 1200, 40, finish="tool_call", conv="conv-d1ff-a",
            extra=[said(call("search_orders", {"order_id": "8812"}))]),
        tool(A, "a100000000000003", "a100000000000001", 950, 400, "search_orders", {"order_id": "8812"},
             {"orders": [{"id": "8812", "charges": [{"id": "ch_1"}, {"id": "ch_2"}]}]}, conv="conv-d1ff-a"),
        llm(A, "a100000000000004", "a100000000000001", 1400, 1100, "gpt-4o", 1500, 30, finish="tool_call", conv="conv-d1ff-a",
            extra=[said(call("refund_charge", {"charge_id": "ch_2"}))]),
        tool(A, "a100000000000005", "a100000000000001", 2550, 1500, "refund_charge", {"charge_id": "ch_2"},
             {"status": "refunded"}, conv="conv-d1ff-a"),
        llm(A, "a100000000000006", "a100000000000001", 4100, 1000, "gpt-4o", 1700, 60, conv="conv-d1ff-a",
            extra=[said(text("I refunded the duplicate charge ch_2 on order 8812."))]),
        agent(B, "b200000000000001", 60_000, 2400, "support", "conv-d1ff-b"),
        llm(B, "b200000000000002", "b200000000000001", 60_010, 950, "gpt-4o", 1200, 40, finish="tool_call", conv="conv-d1ff-b",
            extra=[said(call("search_orders", {"order_id": "8821"}))]),
        tool(B, "b200000000000003", "b200000000000001", 61_000, 350, "search_orders", {"order_id": "8821"},
             {"orders": []}, conv="conv-d1ff-b"),
        llm(B, "b200000000000004", "b200000000000001", 61_400, 900, "gpt-4o", 1400, 25, conv="conv-d1ff-b",
            extra=[said(text("I could not find your order. Could you check the number?"))]),
    ])]}
    write("diff.otlp.json", json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
