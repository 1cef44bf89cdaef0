#!/usr/bin/env python3
"""Writes agtrace's test fixtures from the OTLP specs.

Every fixture is derived from the trace documents defined below (hand-written for this
project, following the OTLP/JSON mapping and the OpenTelemetry GenAI conventions).
Protobuf forms are produced by the reference `opentelemetry-proto` Python package
(google.protobuf.json_format), an implementation independent of agtrace, so the
JSON/protobuf parity tests compare two encoders, not one with itself.

    pip install opentelemetry-proto==1.*  &&  python3 testdata/make_fixtures.py
"""
import base64, copy, gzip, json, os, struct, subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1763694720_000_000_000  # 2025-11-21T03:12:00Z
MS = 1_000_000


def s(k, v):
    return {"key": k, "value": {"stringValue": v}}


def i(k, v):
    return {"key": k, "value": {"intValue": str(v)}}


def d(k, v):
    return {"key": k, "value": {"doubleValue": v}}


def b(k, v):
    return {"key": k, "value": {"boolValue": v}}


def span(trace, sid, parent, name, start_ms, dur_ms, kind=1, attrs=(), status=None, events=(), links=()):
    sp = {
        "traceId": trace,
        "spanId": sid,
        "parentSpanId": parent or "",
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(T0 + start_ms * MS),
        "endTimeUnixNano": str(T0 + (start_ms + dur_ms) * MS),
        "attributes": list(attrs),
    }
    if events:
        sp["events"] = list(events)
    if links:
        sp["links"] = list(links)
    sp["status"] = status or {}
    return sp


def resource(service, spans, scope="opentelemetry.instrumentation.openai_v2"):
    return {
        "resource": {"attributes": [s("service.name", service), s("deployment.environment.name", "prod")]},
        "scopeSpans": [{"scope": {"name": scope, "version": "2.1b0"}, "spans": spans}],
        "schemaUrl": "https://opentelemetry.io/schemas/1.37.0",
    }


TA = "4bf92f3577b34da6a3ce929d0e0e4736"
TB = "0af7651916cd43dd8448eb211c80319c"
TC = "5b8efff798038103d269b633813fc60c"
TD = "d4cda95b652f4a1592b449d5929fda1b"
ERR = {"code": 2, "message": "payment gateway timeout after 30s"}

user_msg = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "My order 8812 was charged twice, please refund one."}]}])
tool_call_out = json.dumps([{"role": "assistant", "parts": [{"type": "tool_call", "id": "call_7", "name": "search_orders", "arguments": {"order_id": "8812"}}], "finish_reason": "tool_call"}])


def llm(trace, sid, parent, start, dur, model, inp, out, finish="stop", conv="conv-8812", extra=()):
    return span(trace, sid, parent, f"chat {model}", start, dur, kind=3, attrs=[
        s("gen_ai.operation.name", "chat"),
        s("gen_ai.provider.name", "openai" if model.startswith("gpt") else "anthropic"),
        s("gen_ai.request.model", model),
        s("gen_ai.response.model", model + ("-2024-08-06" if model == "gpt-4o" else "")),
        i("gen_ai.usage.input_tokens", inp),
        i("gen_ai.usage.output_tokens", out),
        {"key": "gen_ai.response.finish_reasons", "value": {"arrayValue": {"values": [{"stringValue": finish}]}}},
        s("gen_ai.conversation.id", conv),
        s("gen_ai.input.messages", user_msg),
        *extra,
    ])


def tool(trace, sid, parent, start, dur, name, args, result, status=None, events=(), conv="conv-8812"):
    return span(trace, sid, parent, f"execute_tool {name}", start, dur, attrs=[
        s("gen_ai.operation.name", "execute_tool"),
        s("gen_ai.tool.name", name),
        s("gen_ai.tool.call.id", "call_" + sid[:6]),
        s("gen_ai.tool.call.arguments", json.dumps(args)),
        s("gen_ai.tool.call.result", json.dumps(result)),
        s("gen_ai.conversation.id", conv),
    ], status=status, events=events)


def agent(trace, sid, start, dur, name, conv, status=None):
    return span(trace, sid, None, f"invoke_agent {name}", start, dur, attrs=[
        s("gen_ai.operation.name", "invoke_agent"),
        s("gen_ai.agent.name", name),
        s("gen_ai.conversation.id", conv),
        s("user.id", "u-1042"),
    ], status=status)


# Trace A: a clean turn. Trace B: the incident (a failing tool, its HTTP child).
# Trace C: a retrieval agent on another service. Trace D: OpenInference-style spans.
DOCS = [
    {"resourceSpans": [resource("support-agent", [
        agent(TA, "a000000000000001", 0, 4200, "support", "conv-8812"),
        llm(TA, "a000000000000002", "a000000000000001", 50, 1800, "gpt-4o", 1200, 85, finish="tool_call"),
        tool(TA, "a000000000000003", "a000000000000001", 1900, 600, "search_orders", {"order_id": "8812"}, {"orders": [{"id": "8812", "charges": 2}]}),
        llm(TA, "a000000000000004", "a000000000000001", 2550, 1600, "gpt-4o", 1460, 140),
    ])]},
    {"resourceSpans": [resource("support-agent", [
        agent(TB, "b000000000000001", 60_000, 34_500, "support", "conv-8812", status={"code": 2, "message": "tool refund_payment failed"}),
        llm(TB, "b000000000000002", "b000000000000001", 60_050, 1500, "gpt-4o", 1650, 60, finish="tool_call"),
        tool(TB, "b000000000000003", "b000000000000001", 61_600, 30_200, "refund_payment", {"order_id": "8812", "amount": 42.5}, {"error": "timeout"}, status=ERR, events=[
            {"timeUnixNano": str(T0 + 91_790 * MS), "name": "exception", "attributes": [
                s("exception.type", "GatewayTimeout"),
                s("exception.message", "payment gateway timeout after 30s"),
                s("exception.stacktrace", "Traceback (most recent call last):\n  File \"tools/refund.py\", line 88, in refund_payment\n    resp = gateway.post(...)\nGatewayTimeout: payment gateway timeout after 30s"),
            ]}]),
        span(TB, "b000000000000004", "b000000000000003", "POST", 61_650, 30_000, kind=3, attrs=[
            s("http.request.method", "POST"), s("url.full", "https://payments.internal/v2/refunds"), i("http.response.status_code", 504),
        ], status={"code": 2, "message": "HTTP 504"}),
        llm(TB, "b000000000000005", "b000000000000001", 91_850, 2600, "gpt-4o", 2100, 4096, finish="length"),
    ])]},
    {"resourceSpans": [resource("research-agent", [
        agent(TC, "c000000000000001", 120_000, 6100, "research", "conv-9100"),
        span(TC, "c000000000000002", "c000000000000001", "embeddings text-embedding-3-small", 120_010, 180, kind=3, attrs=[
            s("gen_ai.operation.name", "embeddings"), s("gen_ai.request.model", "text-embedding-3-small"), i("gen_ai.usage.input_tokens", 24)]),
        span(TC, "c000000000000003", "c000000000000001", "retrieve docs", 120_200, 420, attrs=[
            s("gen_ai.operation.name", "retrieval"), s("gen_ai.data_source.id", "kb-policies"), i("gen_ai.request.top_k", 4)]),
        llm(TC, "c000000000000004", "c000000000000001", 120_650, 5400, "claude-sonnet-4-20250514", 5200, 610, conv="conv-9100",
            extra=[i("gen_ai.usage.cache_read.input_tokens", 4096)]),
    ], scope="opentelemetry.instrumentation.anthropic")]},
    {"resourceSpans": [resource("rag-service", [
        span(TD, "d000000000000001", None, "RAGChain", 200_000, 2500, attrs=[
            s("openinference.span.kind", "CHAIN"), s("session.id", "sess-77"), s("input.value", "what is the refund policy?")]),
        span(TD, "d000000000000002", "d000000000000001", "VectorStoreRetriever", 200_010, 300, attrs=[
            s("openinference.span.kind", "RETRIEVER"),
            s("retrieval.documents.0.document.content", "Refunds are issued within 5 business days."),
            d("retrieval.documents.0.document.score", 0.82)]),
        span(TD, "d000000000000003", "d000000000000001", "ChatOpenAI", 200_320, 2100, kind=3, attrs=[
            s("openinference.span.kind", "LLM"), s("llm.model_name", "gpt-4o-mini"), s("llm.provider", "openai"),
            i("llm.token_count.prompt", 350), i("llm.token_count.completion", 42), i("llm.token_count.total", 392),
            s("llm.input_messages.0.message.role", "user"), s("llm.input_messages.0.message.content", "what is the refund policy?"),
            s("llm.output_messages.0.message.role", "assistant"), s("llm.output_messages.0.message.content", "Refunds take 5 business days."),
        ]),
    ], scope="openinference.instrumentation.langchain")]},
]

# One span exercising every AnyValue variant, events, links, trace state, flags and
# dropped counts.
ANY = {"resourceSpans": [{
    "resource": {"attributes": [s("service.name", "kitchen-sink")], "droppedAttributesCount": 1},
    "scopeSpans": [{"scope": {"name": "fixture", "version": "1.0.0", "attributes": [s("scope.attr", "x")]}, "spans": [{
        "traceId": "e7ad6b7169203331e7ad6b7169203331",
        "spanId": "e7ad6b7169203331",
        "traceState": "vendor=a:1",
        "flags": 769,
        "name": "kitchen sink",
        "kind": 2,
        "startTimeUnixNano": str(T0),
        "endTimeUnixNano": str(T0 + 1500 * MS),
        "attributes": [
            s("str", "hello"), b("flag", True), i("count", -42), d("ratio", 0.25),
            {"key": "raw", "value": {"bytesValue": base64.b64encode(b"\x00\x01\xfe").decode()}},
            {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "7"}, {"boolValue": False}]}}},
            {"key": "map", "value": {"kvlistValue": {"values": [s("inner", "v"), {"key": "nested", "value": {"arrayValue": {"values": [{"doubleValue": 1.5}]}}}]}}},
            {"key": "empty", "value": {}},
            s("long", "x" * 300),
        ],
        "droppedAttributesCount": 2,
        "events": [{"timeUnixNano": str(T0 + 10 * MS), "name": "cache.miss", "attributes": [s("cache.key", "k1")], "droppedAttributesCount": 1}],
        "droppedEventsCount": 3,
        "links": [{"traceId": TA, "spanId": "a000000000000001", "traceState": "vendor=b:2", "attributes": [s("link.kind", "follows")], "droppedAttributesCount": 0, "flags": 1}],
        "droppedLinksCount": 4,
        "status": {"code": 1, "message": ""},
    }]}],
}]}


CONSOLE_SPAN = """{
    "name": "chat gpt-4o",
    "context": {
        "trace_id": "0x4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "0xa000000000000001",
        "trace_state": "[]"
    },
    "kind": "SpanKind.CLIENT",
    "parent_id": null,
    "start_time": "2025-11-21T03:12:00.000000Z",
    "end_time": "2025-11-21T03:12:01.000000Z",
    "status": {
        "status_code": "UNSET"
    },
    "attributes": {
        "gen_ai.request.model": "gpt-4o"
    },
    "events": [],
    "links": [],
    "resource": {
        "attributes": {
            "service.name": "checkout"
        },
        "schema_url": ""
    }
}
"""


def write(rel, data, mode="w"):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def to_proto(doc):
    """OTLP/JSON (hex ids) -> TracesData bytes via the reference protobuf library."""
    doc = copy.deepcopy(doc)
    for rs in doc.get("resourceSpans", []):
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                for k in ("traceId", "spanId", "parentSpanId"):
                    if sp.get(k):
                        sp[k] = base64.b64encode(bytes.fromhex(sp[k])).decode()
                for l in sp.get("links", []):
                    for k in ("traceId", "spanId"):
                        l[k] = base64.b64encode(bytes.fromhex(l[k])).decode()
    from google.protobuf import json_format  # the reference encoder, only needed here
    from opentelemetry.proto.trace.v1 import trace_pb2

    msg = json_format.ParseDict(doc, trace_pb2.TracesData())
    return msg.SerializeToString()


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def camel_to_snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def snakeify(v):
    """snake_case names, 64-bit ints as numbers, enums as names, ids as base64."""
    if isinstance(v, list):
        return [snakeify(x) for x in v]
    if not isinstance(v, dict):
        return v
    out = {}
    for k, x in v.items():
        nk = camel_to_snake(k)
        if k in ("traceId", "spanId", "parentSpanId") and x:
            x = base64.b64encode(bytes.fromhex(x)).decode()
        elif k in ("startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "intValue"):
            x = int(x)
        elif k == "kind":
            x = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"][x]
        elif k == "code":
            x = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"][x]
        else:
            x = snakeify(x)
        out[nk] = x
    return out


def main():
    merged = {"resourceSpans": [rs for doc in DOCS for rs in doc["resourceSpans"]]}
    pretty = json.dumps(merged, indent=2) + "\n"
    write("agent-incident.otlp.json", pretty)
    # JSON shapes
    write("shapes/snake_case.json", json.dumps(snakeify(merged), indent=1) + "\n")
    logs_line = json.dumps({"resourceLogs": [{"resource": {"attributes": [s("service.name", "support-agent")]}, "scopeLogs": [{"logRecords": [{"timeUnixNano": str(T0), "body": {"stringValue": "hello"}}]}]}]})
    lines = [json.dumps(doc) for doc in DOCS]
    jsonl = "\n".join(lines[:2] + [logs_line] + lines[2:]) + "\n"
    write("shapes/collector.jsonl", jsonl)
    write("shapes/concatenated.json", "".join(json.dumps(doc, indent=2) + "\n" for doc in DOCS))
    write("shapes/array.json", json.dumps(DOCS, indent=1) + "\n")
    legacy = copy.deepcopy(merged)
    for rs in legacy["resourceSpans"]:
        rs["instrumentationLibrarySpans"] = [{"instrumentationLibrary": ss["scope"], "spans": ss["spans"]} for ss in rs.pop("scopeSpans")]
    write("shapes/legacy-instrumentation-library.json", json.dumps(legacy, indent=1) + "\n")
    write("shapes/tempo-batches.json", json.dumps({"batches": merged["resourceSpans"]}, indent=1) + "\n")
    both = dict(merged)
    both["resourceLogs"] = json.loads(logs_line)["resourceLogs"]
    both["resourceMetrics"] = [{"resource": {"attributes": []}, "scopeMetrics": []}]
    write("shapes/traces-and-logs.json", json.dumps(both, indent=1) + "\n")
    write("shapes/anyvalues.json", json.dumps(ANY, indent=1) + "\n")
    # Protobuf framings, from the reference encoder
    pb = to_proto(merged)
    write("shapes/agent-incident.pb", pb, "wb")
    per_doc = [to_proto(doc) for doc in DOCS]
    write("shapes/agent-incident.pbstream", b"".join(struct.pack(">I", len(m)) + m for m in per_doc), "wb")
    write("shapes/agent-incident.pbdelim", b"".join(varint(len(m)) + m for m in per_doc), "wb")
    write("shapes/anyvalues.pb", to_proto(ANY), "wb")
    # Compression
    write("shapes/collector.jsonl.gz", gzip.compress(jsonl.encode(), mtime=0), "wb")
    write("shapes/collector.jsonl.zst", subprocess.run(["zstd", "-q", "-c", "-19"], input=jsonl.encode(), stdout=subprocess.PIPE, check=True).stdout, "wb")
    write("shapes/agent-incident.pb.zst", subprocess.run(["zstd", "-q", "-c"], input=pb, stdout=subprocess.PIPE, check=True).stdout, "wb")
    # Damage: cut inside trace C's third span, keeping everything before it
    cut = pretty.index('"spanId": "c000000000000003"')
    write("damaged/truncated.json", pretty[:cut + 10])
    write("damaged/truncated.jsonl", jsonl[: jsonl.rindex("\n", 0, len(jsonl) - 1) + 1 + 300])
    write("damaged/bad-line.jsonl", "\n".join(lines[:1] + ['{"resourceSpans": [ this is not json'] + lines[1:]) + "\n")
    write("damaged/truncated.pbstream", b"".join(struct.pack(">I", len(m)) + m for m in per_doc)[:-40], "wb")
    gz = gzip.compress(jsonl.encode(), mtime=0)
    write("damaged/truncated.jsonl.gz", gz[: len(gz) * 2 // 3], "wb")
    # A folder of rotated exporter files: trace B spread over both, one span in both.
    b_spans = DOCS[1]["resourceSpans"][0]["scopeSpans"][0]["spans"]
    part1 = {"resourceSpans": [resource("support-agent", b_spans[:3])]}
    part2 = {"resourceSpans": [resource("support-agent", b_spans[2:])]}
    write("folder/traces-2025-11-21T03.jsonl", lines[0] + "\n" + json.dumps(part1) + "\n")
    write("folder/traces-2025-11-21T04.jsonl", json.dumps(part2) + "\n" + lines[2] + "\n")
    # Integrity problems
    TI = "11111111111111111111111111111111"
    integ = {"resourceSpans": [resource("integrity", [
        span(TI, "1000000000000001", None, "root", 0, 1000),
        span(TI, "1000000000000002", "1000000000000001", "skewed child", -50, 200),
        span(TI, "1000000000000003", "1000000000000001", "late child", 900, 300),
        span(TI, "1000000000000004", "ffffffffffffffff", "orphan", 100, 100),
        span(TI, "1000000000000005", "1000000000000006", "cycle a", 200, 50),
        span(TI, "1000000000000006", "1000000000000005", "cycle b", 210, 50),
        span(TI, "1000000000000007", "1000000000000006", "below cycle", 220, 10),
        span(TI, "1000000000000008", "1000000000000008", "self parent", 300, 10),
        dict(span(TI, "1000000000000009", "1000000000000001", "unfinished", 400, 0), endTimeUnixNano="0"),
        span(TI, "100000000000000a", "1000000000000001", "ends before start", 500, -20),
        dict(span(TI, "100000000000000b", "1000000000000001", "duplicate", 600, 0), endTimeUnixNano="0"),
        span(TI, "100000000000000b", "1000000000000001", "duplicate", 600, 50),
    ])]}
    write("integrity.json", json.dumps(integ, indent=1) + "\n")
    # Not trace data at all
    write("shapes/jaeger-minimal.json", json.dumps({"data": [{"traceID": TA, "spans": [{"traceID": TA, "spanID": "a000000000000001", "operationName": "x", "startTime": 1, "duration": 2}], "processes": {}}]}) + "\n")
    # The Python SDK's ConsoleSpanExporter output (objects one after another).
    write("shapes/python-console.json", CONSOLE_SPAN)
    write("shapes/zipkin-minimal.json", json.dumps([{"traceId": TA[:16], "id": "a000000000000001", "name": "get", "timestamp": 1, "duration": 2, "localEndpoint": {"serviceName": "web"}}]) + "\n")
    write("not-traces/app.log", "2025-11-21T03:12:00Z INFO starting server on :8080\n2025-11-21T03:12:01Z WARN slow request\n")
    write("not-traces/random.bin", bytes((x * 37 + 11) % 256 for x in range(512)), "wb")
    write("not-traces/broken.json", '{"resourceSpans": [ {"resource": 12,, } ]\n')
    # Hostile text: escape sequences and bidi overrides in names and values
    TH = "22222222222222222222222222222222"
    hostile = {"resourceSpans": [resource("evil\u001b[2Jservice", [
        span(TH, "2000000000000001", None, "name with \u001b]52;c;aGk=\u0007 osc52 and \u001b[31mred", 0, 10,
             attrs=[s("note", "bidi \u202e reversed"), s("multi", "line1\nline2\r\u0007")], status={"code": 2, "message": "boom \u001b[5mblink"}),
    ])]}
    write("hostile.json", json.dumps(hostile) + "\n")


if __name__ == "__main__":
    main()
