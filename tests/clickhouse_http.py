"""A stand-in for ClickHouse's HTTP interface in front of the real ClickHouse engine
(chDB, PyPI `chdb`), for agtrace's backend tests. Only the HTTP layer is ours: every
query runs in ClickHouse itself.

What it maps, as ClickHouse's HTTP interface does: the query from `?query=` and/or the
POST body, `database`, `default_format`, `param_NAME` query parameters (bound by
ClickHouse, `{NAME:Type}`), the `X-ClickHouse-User` / `X-ClickHouse-Key` headers (a
password is required when `--password` is given), errors as HTTP 500 (403 for a bad
password) with the server's `Code: N. DB::Exception: …` text and an
`X-ClickHouse-Exception-Code` header.

Setup before serving: `--schema FILE` runs the exporter's DDL (statements separated by
lines holding only `;`); `--load FILE` inserts the spans of an OTLP/JSON file the way
the collector's clickhouse exporter inserts them (one row per span: start time,
hex ids, kind and status names, attribute values as strings, scope name and version,
events and links as nested arrays); `--generate N` inserts N synthetic agent traces of
`--spans` spans each through the same row mapping (the scale benchmark).

Prints `READY <port>` once it listens on 127.0.0.1.
"""

import argparse
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chdb import session

KINDS = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
         "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"]
STATUS = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]
KIND_NAMES = {"SPAN_KIND_" + k: i for i, k in enumerate(
    ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"])}


def any_value_string(v):
    """pcommon.Value.AsString(): strings as they are, the rest as their JSON."""
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return str(int(v["intValue"]))
    if "doubleValue" in v:
        d = float(v["doubleValue"])
        return repr(d) if d != int(d) else str(int(d)) if abs(d) < 1e15 else repr(d)
    if "boolValue" in v:
        return "true" if v["boolValue"] else "false"
    if "bytesValue" in v:
        return v["bytesValue"]
    if "arrayValue" in v:
        return json.dumps([raw(x) for x in v["arrayValue"].get("values", [])],
                          separators=(",", ":"))
    if "kvlistValue" in v:
        return json.dumps({kv["key"]: raw(kv.get("value", {}))
                           for kv in v["kvlistValue"].get("values", [])},
                          separators=(",", ":"))
    return ""


def raw(v):
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [raw(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: raw(kv.get("value", {})) for kv in v["kvlistValue"].get("values", [])}
    return None


def attrs(kvs):
    return {kv["key"]: any_value_string(kv.get("value", {})) for kv in kvs or []}


def ts(ns):
    """DateTime64(9) text for JSONEachRow input."""
    ns = int(ns)
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs)) + ".%09d" % frac


def kind_name(k):
    if isinstance(k, str):
        return k if k.startswith("SPAN_KIND_") else KINDS[KIND_NAMES.get("SPAN_KIND_" + k.upper(), 0)]
    return KINDS[int(k)] if 0 <= int(k) < len(KINDS) else ""


def status_name(c):
    if isinstance(c, str):
        return c if c.startswith("STATUS_CODE_") else "STATUS_CODE_" + c.upper()
    return STATUS[int(c)] if 0 <= int(c) < len(STATUS) else ""


def rows_of(doc):
    """The exporter's rows for one OTLP/JSON TracesData document."""
    for rs in doc.get("resourceSpans", []):
        res = attrs(rs.get("resource", {}).get("attributes"))
        service = res.get("service.name", "")
        for ss in rs.get("scopeSpans", []):
            scope = ss.get("scope", {})
            for s in ss.get("spans", []):
                start, end = int(s.get("startTimeUnixNano", 0)), int(s.get("endTimeUnixNano", 0))
                status = s.get("status", {})
                events = s.get("events", [])
                links = s.get("links", [])
                yield {
                    "Timestamp": ts(start),
                    "TraceId": s.get("traceId", "").lower(),
                    "SpanId": s.get("spanId", "").lower(),
                    "ParentSpanId": s.get("parentSpanId", "").lower(),
                    "TraceState": s.get("traceState", ""),
                    "SpanName": s.get("name", ""),
                    "SpanKind": kind_name(s.get("kind", 0)),
                    "ServiceName": service,
                    "ResourceAttributes": res,
                    "ScopeName": scope.get("name", ""),
                    "ScopeVersion": scope.get("version", ""),
                    "SpanAttributes": attrs(s.get("attributes")),
                    "Duration": max(0, end - start),
                    "StatusCode": status_name(status.get("code", 0)),
                    "StatusMessage": status.get("message", ""),
                    "Events.Timestamp": [ts(e.get("timeUnixNano", 0)) for e in events],
                    "Events.Name": [e.get("name", "") for e in events],
                    "Events.Attributes": [attrs(e.get("attributes")) for e in events],
                    "Links.TraceId": [l.get("traceId", "").lower() for l in links],
                    "Links.SpanId": [l.get("spanId", "").lower() for l in links],
                    "Links.TraceState": [l.get("traceState", "") for l in links],
                    "Links.Attributes": [attrs(l.get("attributes")) for l in links],
                }


def insert(sess, rows, batch=50_000):
    """INSERT … FORMAT JSONEachRow in batches, as the exporter inserts a batch per export."""
    buf = []
    for r in rows:
        buf.append(json.dumps(r, separators=(",", ":")))
        if len(buf) >= batch:
            sess.query("INSERT INTO otel.otel_traces FORMAT JSONEachRow\n" + "\n".join(buf))
            buf = []
    if buf:
        sess.query("INSERT INTO otel.otel_traces FORMAT JSONEachRow\n" + "\n".join(buf))


def generated(traces, spans):
    """Synthetic agent runs: an agent span, LLM calls and tool calls under it."""
    base = 1_764_000_000_000_000_000
    for t in range(traces):
        tid = "%032x" % (0xA6E0_0000_0000_0000_0000_0000_0000_0000 + t)
        start = base + t * 1_000_000_000
        session_id = "conv-%d" % (t // 4)
        for k in range(spans):
            sid = "%016x" % (t * 65536 + k + 1)
            llm = k % 2 == 1
            name = "invoke_agent support" if k == 0 else ("chat gpt-4o" if llm else "execute_tool lookup")
            a = {"gen_ai.conversation.id": session_id}
            if k == 0:
                a.update({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"})
            elif llm:
                a.update({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                          "gen_ai.provider.name": "openai",
                          "gen_ai.usage.input_tokens": str(1000 + k),
                          "gen_ai.usage.output_tokens": str(50 + k)})
            else:
                a.update({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"})
            failed = (t % 50 == 7) and k == spans - 1
            yield {
                "Timestamp": ts(start + k * 1_000_000),
                "TraceId": tid,
                "SpanId": sid,
                "ParentSpanId": "" if k == 0 else "%016x" % (t * 65536 + 1),
                "TraceState": "",
                "SpanName": name,
                "SpanKind": "SPAN_KIND_INTERNAL" if k == 0 else "SPAN_KIND_CLIENT",
                "ServiceName": "support-agent",
                "ResourceAttributes": {"service.name": "support-agent"},
                "ScopeName": "opentelemetry.instrumentation.openai_v2",
                "ScopeVersion": "2.1b0",
                "SpanAttributes": a,
                "Duration": (spans - k) * 1_000_000 if k == 0 else 900_000,
                "StatusCode": "STATUS_CODE_ERROR" if failed else "STATUS_CODE_UNSET",
                "StatusMessage": "upstream timeout" if failed else "",
                "Events.Timestamp": [], "Events.Name": [], "Events.Attributes": [],
                "Links.TraceId": [], "Links.SpanId": [], "Links.TraceState": [],
                "Links.Attributes": [],
            }


def big_trace(spans):
    """One agent run of `spans` spans: an agent, then LLM and tool calls under it."""
    tid = "b16" + "0" * 29
    for row in generated(1, spans):
        row["TraceId"] = tid
        row["SpanAttributes"]["gen_ai.conversation.id"] = "conv-big"
        yield row


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sess = None
    lock = threading.Lock()
    password = None
    queries = []

    def log_message(self, *args):
        pass

    def answer(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_query(self):
        url = urllib.parse.urlparse(self.path)
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        if url.path == "/ping":
            return self.answer(200, b"Ok.\n")
        if Handler.password is not None and self.headers.get("X-ClickHouse-Key") != Handler.password:
            user = self.headers.get("X-ClickHouse-User", "default")
            msg = ("Code: 516. DB::Exception: %s: Authentication failed: password is incorrect, "
                   "or there is no user with such name. (AUTHENTICATION_FAILED)\n" % user)
            return self.answer(403, msg.encode(), [("X-ClickHouse-Exception-Code", "516")])
        sql = "\n".join(p for p in [params.get("query", ""), body] if p)
        fmt = params.get("default_format", "TabSeparated")
        bound = {k[len("param_"):]: v for k, v in params.items() if k.startswith("param_")}
        Handler.queries.append({"sql": sql, "params": bound})
        try:
            with Handler.lock:
                if params.get("database"):
                    Handler.sess.query("USE " + params["database"])
                r = Handler.sess.query(sql, fmt, params=bound or None)
                out = r.bytes()
        except Exception as e:  # the engine's own message, as the server sends it
            text = str(e)
            code = text.split(".", 1)[0].replace("Code:", "").strip() if text.startswith("Code:") else "1000"
            return self.answer(500, (text + "\n").encode(),
                               [("X-ClickHouse-Exception-Code", code)])
        self.answer(200, out, [("Content-Type", "text/plain; charset=UTF-8"),
                               ("X-ClickHouse-Format", fmt)])

    def do_GET(self):
        if self.path.startswith("/_queries"):
            body = json.dumps(Handler.queries).encode()
            return self.answer(200, body)
        self.handle_query()

    def do_POST(self):
        self.handle_query()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema")
    ap.add_argument("--load", action="append", default=[])
    ap.add_argument("--generate", type=int, default=0)
    ap.add_argument("--spans", type=int, default=10)
    ap.add_argument("--big", type=int, default=0,
                    help="also one trace of this many spans (id b16 followed by zeros)")
    ap.add_argument("--password")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (and --tls-key)")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    sess = session.Session()
    if a.schema:
        text = open(a.schema).read()
        for stmt in text.split("\n;\n"):
            lines = [l for l in stmt.splitlines() if not l.strip().startswith("--")]
            stmt = "\n".join(lines).strip().rstrip(";")
            if stmt:
                sess.query(stmt)
    for path in a.load:
        with open(path) as f:
            text = f.read()
        docs = [json.loads(l) for l in text.splitlines() if l.strip()] if path.endswith(".jsonl") else [json.loads(text)]
        for d in docs:
            insert(sess, rows_of(d))
    if a.generate:
        insert(sess, generated(a.generate, a.spans))
    if a.big:
        insert(sess, big_trace(a.big))
    Handler.sess = sess
    Handler.password = a.password
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
