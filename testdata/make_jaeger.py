#!/usr/bin/env python3
"""Writes testdata/shapes/agent-incident.jaeger.json: testdata/agent-incident.otlp.json
as the Jaeger query API returns it, converted the way the OpenTelemetry collector's
translator (pkg/translator/jaeger, OTLP -> Jaeger) maps fields: a process per resource
(serviceName + the other resource attributes as tags), span kind / status / scope as
tags, events as logs (the name in an `event` field), the parent as a CHILD_OF reference
and links as FOLLOWS_FROM references, times in microseconds, arrays and maps as JSON
strings (the lossy part).

    python3 testdata/make_jaeger.py [IN.otlp.json OUT]   (OUT: a generated benchmark file)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def value(v):
    """An OTLP AnyValue as a Jaeger (type, value) pair."""
    if "stringValue" in v:
        return "string", v["stringValue"]
    if "boolValue" in v:
        return "bool", v["boolValue"]
    if "intValue" in v:
        return "int64", int(v["intValue"])
    if "doubleValue" in v:
        return "float64", v["doubleValue"]
    if "bytesValue" in v:
        return "binary", v["bytesValue"]
    return "string", json.dumps(plain(v), separators=(",", ":"))


def plain(v):
    if "arrayValue" in v:
        return [plain(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: plain(kv["value"]) for kv in v["kvlistValue"].get("values", [])}
    for k in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    return None


def tags(attrs):
    out = []
    for a in attrs:
        t, v = value(a["value"])
        out.append({"key": a["key"], "type": t, "value": v})
    return out


KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "agent-incident.otlp.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "shapes", "agent-incident.jaeger.json")
    with open(src) as f:
        doc = json.load(f)
    traces = {}
    for n, rs in enumerate(doc["resourceSpans"]):
        pid = f"p{n + 1}"
        res = rs.get("resource", {}).get("attributes", [])
        service = next((a["value"]["stringValue"] for a in res if a["key"] == "service.name"), "")
        process = {"serviceName": service, "tags": tags([a for a in res if a["key"] != "service.name"])}
        for ss in rs.get("scopeSpans", []):
            scope = ss.get("scope", {})
            for sp in ss.get("spans", []):
                tid = sp["traceId"]
                t = traces.setdefault(tid, {"traceID": tid, "spans": [], "processes": {}, "warnings": None})
                t["processes"][pid] = process
                tg = tags(sp.get("attributes", []))
                if scope.get("name"):
                    tg.append({"key": "otel.scope.name", "type": "string", "value": scope["name"]})
                if scope.get("version"):
                    tg.append({"key": "otel.scope.version", "type": "string", "value": scope["version"]})
                kind = KINDS.get(sp.get("kind", 0))
                if kind:
                    tg.append({"key": "span.kind", "type": "string", "value": kind})
                st = sp.get("status", {})
                code = st.get("code", 0)
                if code == 1:
                    tg.append({"key": "otel.status_code", "type": "string", "value": "OK"})
                if code == 2:
                    tg.append({"key": "otel.status_code", "type": "string", "value": "ERROR"})
                    tg.append({"key": "error", "type": "bool", "value": True})
                if st.get("message"):
                    tg.append({"key": "otel.status_description", "type": "string", "value": st["message"]})
                refs = []
                if sp.get("parentSpanId"):
                    refs.append({"refType": "CHILD_OF", "traceID": tid, "spanID": sp["parentSpanId"]})
                for l in sp.get("links", []):
                    refs.append({"refType": "FOLLOWS_FROM", "traceID": l["traceId"], "spanID": l["spanId"]})
                logs = []
                for e in sp.get("events", []):
                    logs.append({
                        "timestamp": int(e["timeUnixNano"]) // 1000,
                        "fields": [{"key": "event", "type": "string", "value": e["name"]}] + tags(e.get("attributes", [])),
                    })
                start = int(sp["startTimeUnixNano"]) // 1000
                end = int(sp["endTimeUnixNano"]) // 1000
                t["spans"].append({
                    "traceID": tid, "spanID": sp["spanId"], "operationName": sp["name"],
                    "references": refs, "startTime": start, "duration": end - start,
                    "tags": tg, "logs": logs, "processID": pid, "warnings": None,
                })
    out = {"data": list(traces.values()), "total": 0, "limit": 0, "offset": 0, "errors": None}
    with open(dst, "w") as f:
        f.write(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
