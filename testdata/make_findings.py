#!/usr/bin/env python3
"""Writes testdata/findings.otlp.json: one agent ("planner") with six healthy runs and
one run per planted finding, so that tests can assert each finding fires on exactly
the intended spans and on nothing else:

- loop:     search_orders called 4 times with the same arguments (keys reordered)
- empty:    an MCP lookup returns {"content": [], "isError": false}; the model carries on
- cut off:  an Anthropic answer stops at max_tokens
- no content (capture off): an LLM call with token counts only
- by reference: an LLM call whose messages are in gen_ai.input.messages_ref
- runaway:  a run of 41 steps and ~60k tokens (its peers: 5 steps, ~3.5k tokens)
- plumbing: a healthy run with HTTP, gRPC and DB spans under its steps (agent view)
- slow LLM: one gpt-4o call of 9 s for 100 output tokens
- slow:     one fetch_url of 8 s (its 26 peers take 100-180 ms); its LLM call streams
            (first token after 420 ms)

    python3 testdata/make_findings.py
"""
import json

from make_fixtures import agent, b, d, i, llm, resource, s, span, tool, write

CONV = "conv-plan"


def tid(n):
    return f"f1d0000000000000000000000000{n:04x}"


def sid(t, n):
    return f"{t:04x}{n:012x}"


def healthy(t, start):
    """agent → llm → fetch_url → llm: content everywhere, finish stop."""
    T = tid(t)
    return [
        agent(T, sid(t, 1), start, 2000, "planner", CONV),
        llm(T, sid(t, 2), sid(t, 1), start + 10, 600, "gpt-4o", 1500, 80, conv=CONV,
            extra=[s("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "checking"}]}]))]),
        tool(T, sid(t, 3), sid(t, 1), start + 700, 100 + 10 * t, "fetch_url", {"url": f"https://status.example.com/{t}"}, {"status": 200, "body": "all good"}, conv=CONV),
        llm(T, sid(t, 4), sid(t, 1), start + 900, 900, "gpt-4o", 1700, 200, conv=CONV,
            extra=[s("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "all good"}]}]))]),
    ]


def out(text):
    return [s("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": text}]}]))]


def main():
    spans = []
    for t in range(1, 7):
        spans += healthy(t, t * 10_000)

    # 0x10: a loop.
    t, T, at = 0x10, tid(0x10), 100_000
    spans += [agent(T, sid(t, 1), at, 9000, "planner", CONV),
              llm(T, sid(t, 2), sid(t, 1), at + 10, 300, "gpt-4o", 1500, 40, conv=CONV, extra=out("searching"))]
    for k in range(4):
        args = {"customer": "c-9", "status": "open"} if k % 2 == 0 else {"status": "open", "customer": "c-9"}
        spans.append(tool(T, sid(t, 3 + 2 * k), sid(t, 1), at + 400 + 2000 * k, 900, "search_orders", args, {"orders": ["o-1"]}, conv=CONV))
        spans.append(llm(T, sid(t, 4 + 2 * k), sid(t, 1), at + 1400 + 2000 * k, 500, "gpt-4o", 2000, 50, conv=CONV, extra=out("again")))

    # 0x11: an empty MCP result the model carried on after.
    t, T, at = 0x11, tid(0x11), 120_000
    spans += [agent(T, sid(t, 1), at, 3000, "planner", CONV),
              llm(T, sid(t, 2), sid(t, 1), at + 10, 300, "gpt-4o", 1500, 40, conv=CONV, extra=out("looking up")),
              tool(T, sid(t, 3), sid(t, 1), at + 400, 200, "lookup_orders", {"customer": "c-12"}, {"content": [], "isError": False}, conv=CONV),
              llm(T, sid(t, 4), sid(t, 1), at + 700, 900, "gpt-4o", 1700, 120, conv=CONV, extra=out("Your order o-555 ships tomorrow."))]

    # 0x12: an answer cut off at max_tokens.
    t, T, at = 0x12, tid(0x12), 140_000
    spans += [agent(T, sid(t, 1), at, 3000, "planner", CONV),
              llm(T, sid(t, 2), sid(t, 1), at + 10, 2500, "claude-sonnet-4", 1500, 4096, finish="max_tokens", conv=CONV, extra=out("The plan has twelve parts. First"))]

    # 0x13: content capture off (token counts only).
    t, T, at = 0x13, tid(0x13), 160_000
    spans += [agent(T, sid(t, 1), at, 1000, "planner", CONV),
              span(T, sid(t, 2), sid(t, 1), "chat gpt-4o", at + 10, 800, kind=3, attrs=[
                  s("gen_ai.operation.name", "chat"), s("gen_ai.provider.name", "openai"),
                  s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.input_tokens", 1200),
                  i("gen_ai.usage.output_tokens", 90), s("gen_ai.conversation.id", CONV)])]

    # 0x14: messages stored by reference.
    t, T, at = 0x14, tid(0x14), 180_000
    spans += [agent(T, sid(t, 1), at, 1000, "planner", CONV),
              span(T, sid(t, 2), sid(t, 1), "chat gpt-4o", at + 10, 800, kind=3, attrs=[
                  s("gen_ai.operation.name", "chat"), s("gen_ai.provider.name", "openai"),
                  s("gen_ai.request.model", "gpt-4o"), i("gen_ai.usage.input_tokens", 1200),
                  i("gen_ai.usage.output_tokens", 90), s("gen_ai.conversation.id", CONV),
                  s("gen_ai.input.messages_ref", "s3://traces-content/f1d0/0014/input.json")])]

    # 0x15: a runaway: 20 rounds of llm + fetch_url (distinct arguments, 120-170 ms).
    t, T, at = 0x15, tid(0x15), 200_000
    spans.append(agent(T, sid(t, 1), at, 60_000, "planner", CONV))
    for k in range(20):
        spans.append(llm(T, sid(t, 2 + 2 * k), sid(t, 1), at + 10 + 2500 * k, 1000, "gpt-4o", 2800, 100, conv=CONV, extra=out(f"step {k}")))
        spans.append(tool(T, sid(t, 3 + 2 * k), sid(t, 1), at + 1100 + 2500 * k, 120 + (k % 6) * 10, "fetch_url", {"url": f"https://status.example.com/p/{k}"}, {"status": 200}, conv=CONV))

    # 0x16: one slow fetch_url (8 s; its peers take 100-180 ms).
    t, T, at = 0x16, tid(0x16), 300_000
    spans += [agent(T, sid(t, 1), at, 9500, "planner", CONV),
              llm(T, sid(t, 2), sid(t, 1), at + 10, 600, "gpt-4o", 1500, 80, conv=CONV,
                  extra=out("fetching") + [d("gen_ai.response.time_to_first_chunk", 0.42), b("gen_ai.request.stream", True)]),
              tool(T, sid(t, 3), sid(t, 1), at + 700, 8000, "fetch_url", {"url": "https://status.example.com/slow"}, {"status": 200, "body": "ok"}, conv=CONV),
              llm(T, sid(t, 4), sid(t, 1), at + 8800, 600, "gpt-4o", 1700, 200, conv=CONV, extra=out("done"))]

    # 0x17: a healthy run whose steps sit on plumbing (HTTP and gRPC clients, a DB
    # query): the agent view folds those into their steps.
    t, T, at = 0x17, tid(0x17), 320_000
    spans += [agent(T, sid(t, 1), at, 2600, "planner", CONV),
              llm(T, sid(t, 2), sid(t, 1), at + 10, 700, "gpt-4o", 1500, 80, conv=CONV, extra=out("reading")),
              span(T, sid(t, 3), sid(t, 2), "POST", at + 20, 650, kind=3, attrs=[s("http.request.method", "POST"), s("url.full", "https://api.openai.com/v1/chat/completions")]),
              tool(T, sid(t, 4), sid(t, 1), at + 800, 900, "read_db", {"table": "orders"}, {"rows": 3}, conv=CONV),
              span(T, sid(t, 5), sid(t, 4), "SELECT orders", at + 810, 400, kind=3, attrs=[s("db.system.name", "postgresql"), s("db.query.text", "SELECT * FROM orders")]),
              span(T, sid(t, 6), sid(t, 4), "grpc.health.v1.Health/Check", at + 1250, 50, kind=3, attrs=[s("rpc.system", "grpc")]),
              span(T, sid(t, 7), sid(t, 6), "HTTP/2 stream", at + 1255, 40, kind=3),
              llm(T, sid(t, 8), sid(t, 1), at + 1800, 700, "gpt-4o", 1700, 120, conv=CONV, extra=out("three open orders"))]

    # 0x18: one slow LLM call: 9 s for 100 output tokens (its model's calls take
    # 0.3-2.5 s, 2-40 ms per output token).
    t, T, at = 0x18, tid(0x18), 340_000
    spans += [agent(T, sid(t, 1), at, 9500, "planner", CONV),
              llm(T, sid(t, 2), sid(t, 1), at + 10, 9000, "gpt-4o", 1500, 100, conv=CONV, extra=out("finally"))]

    doc = {"resourceSpans": [resource("planner-agent", spans)]}
    write("findings.otlp.json", json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
