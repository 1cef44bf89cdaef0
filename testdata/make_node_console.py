#!/usr/bin/env python3
"""Writes testdata/shapes/agent-incident.node-console.txt: testdata/agent-incident.otlp.json
as the Node.js SDK's ConsoleSpanExporter prints it (sdk-trace-base, 2.x): for each span,
`console.dir(info, {depth: 3})` of {resource: {attributes}, instrumentationScope,
traceId, parentSpanContext, traceState, name, id, kind, timestamp, duration,
attributes, status, events, links} in util.inspect's syntax — unquoted keys where they
are identifiers, single-quoted strings, `undefined`, the JavaScript SpanKind enum
(INTERNAL 0, SERVER 1, CLIENT 2, PRODUCER 3, CONSUMER 4), times in microseconds and
event times as [seconds, nanos]. Spans are printed as they end (children first).

    python3 testdata/make_node_console.py
"""
import json
import os
import re

from make_jaeger import plain

HERE = os.path.dirname(os.path.abspath(__file__))
IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
UNDEFINED = object()


def quote(s):
    if "'" not in s:
        q = "'"
    elif '"' not in s:
        q = '"'
    else:
        q = "`"
    body = s.replace("\\", "\\\\").replace("\n", "\\n").replace(q, "\\" + q)
    return q + body + q


def inspect(v, depth=0, indent=0, max_depth=3):
    pad = " " * (indent + 2)
    if v is UNDEFINED or v is None:
        return "undefined" if v is UNDEFINED else "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, list):
        if depth > max_depth:
            return "[Array]"
        if not v:
            return "[]"
        items = [inspect(x, depth + 1, indent + 2) for x in v]
        one = "[ " + ", ".join(items) + " ]"
        if len(one) <= 72 and "\n" not in one:
            return one
        return "[\n" + ",\n".join(pad + i for i in items) + "\n" + " " * indent + "]"
    if isinstance(v, dict):
        if depth > max_depth:
            return "[Object]"
        if not v:
            return "{}"
        items = []
        for k, x in v.items():
            key = k if IDENT.match(k) else quote(k)
            items.append(f"{key}: {inspect(x, depth + 1, indent + 2)}")
        one = "{ " + ", ".join(items) + " }"
        if len(one) <= 72 and "\n" not in one:
            return one
        return "{\n" + ",\n".join(pad + i for i in items) + "\n" + " " * indent + "}"
    raise TypeError(v)


JS_KIND = {0: 0, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4}


def attrs(list_):
    return {a["key"]: plain(a["value"]) for a in list_ or []}


def micros(ns):
    ns = int(ns)
    us = ns / 1000
    return int(us) if ns % 1000 == 0 else us


def main():
    with open(os.path.join(HERE, "agent-incident.otlp.json")) as f:
        doc = json.load(f)
    out = []
    for rs in doc["resourceSpans"]:
        res = attrs(rs["resource"].get("attributes"))
        for ss in rs["scopeSpans"]:
            scope = ss.get("scope", {})
            for sp in reversed(ss["spans"]):
                parent = sp.get("parentSpanId") or ""
                start, end = int(sp["startTimeUnixNano"]), int(sp["endTimeUnixNano"])
                status = sp.get("status", {})
                st = {"code": int(status.get("code", 0))}
                if status.get("message"):
                    st["message"] = status["message"]
                info = {
                    "resource": {"attributes": res},
                    "instrumentationScope": {
                        "name": scope.get("name", ""),
                        "version": scope.get("version", UNDEFINED),
                        "schemaUrl": UNDEFINED,
                    },
                    "traceId": sp["traceId"],
                    "parentSpanContext": {
                        "traceId": sp["traceId"],
                        "spanId": parent,
                        "traceFlags": 1,
                        "traceState": UNDEFINED,
                    }
                    if parent
                    else UNDEFINED,
                    "traceState": UNDEFINED,
                    "name": sp["name"],
                    "id": sp["spanId"],
                    "kind": JS_KIND[int(sp.get("kind", 0))],
                    "timestamp": micros(start),
                    "duration": micros(end - start),
                    "attributes": attrs(sp.get("attributes")),
                    "status": st,
                    "events": [
                        {
                            "name": e["name"],
                            "attributes": attrs(e.get("attributes")),
                            "time": [int(e["timeUnixNano"]) // 10**9, int(e["timeUnixNano"]) % 10**9],
                            "droppedAttributesCount": 0,
                        }
                        for e in sp.get("events", [])
                    ],
                    "links": [],
                }
                out.append(inspect(info))
    with open(os.path.join(HERE, "shapes", "agent-incident.node-console.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
