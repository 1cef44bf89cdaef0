#!/usr/bin/env python3
"""Writes testdata/shapes/agent-incident.zipkin.json: testdata/agent-incident.otlp.json
as a Zipkin v2 span array, converted the way the OpenTelemetry collector's translator
(pkg/translator/zipkin, OTLP -> Zipkin) maps fields: kind (INTERNAL has none), times in
microseconds, localEndpoint.serviceName from service.name, attributes as string tags
(arrays and maps as JSON), status as otel.status_code / otel.status_description tags
(and error), the scope as otel.scope.* tags, events as annotations (their attributes
are lost, as are links and other resource attributes).

    python3 testdata/make_zipkin.py [IN.otlp.json OUT]   (OUT: a generated benchmark file)
"""
import json
import os
import sys

from make_jaeger import plain

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def tag(v):
    p = plain(v)
    if isinstance(p, str):
        return p
    if isinstance(p, bool):
        return "true" if p else "false"
    return json.dumps(p, separators=(",", ":"))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "agent-incident.otlp.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "shapes", "agent-incident.zipkin.json")
    with open(src) as f:
        doc = json.load(f)
    out = []
    for rs in doc["resourceSpans"]:
        res = rs.get("resource", {}).get("attributes", [])
        service = next((a["value"]["stringValue"] for a in res if a["key"] == "service.name"), "")
        for ss in rs.get("scopeSpans", []):
            scope = ss.get("scope", {})
            for sp in ss.get("spans", []):
                tags = {a["key"]: tag(a["value"]) for a in sp.get("attributes", [])}
                if scope.get("name"):
                    tags["otel.scope.name"] = scope["name"]
                if scope.get("version"):
                    tags["otel.scope.version"] = scope["version"]
                st = sp.get("status", {})
                if st.get("code") == 1:
                    tags["otel.status_code"] = "OK"
                if st.get("code") == 2:
                    tags["otel.status_code"] = "ERROR"
                    tags["error"] = st.get("message", "true") or "true"
                if st.get("message"):
                    tags["otel.status_description"] = st["message"]
                start = int(sp["startTimeUnixNano"]) // 1000
                z = {
                    "traceId": sp["traceId"], "id": sp["spanId"], "name": sp["name"],
                    "timestamp": start, "duration": int(sp["endTimeUnixNano"]) // 1000 - start,
                    "localEndpoint": {"serviceName": service}, "tags": tags,
                }
                if sp.get("parentSpanId"):
                    z["parentId"] = sp["parentSpanId"]
                kind = KINDS.get(sp.get("kind", 0))
                if kind:
                    z["kind"] = kind
                ann = [{"timestamp": int(e["timeUnixNano"]) // 1000, "value": e["name"]} for e in sp.get("events", [])]
                if ann:
                    z["annotations"] = ann
                out.append(z)
    with open(dst, "w") as f:
        f.write(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
