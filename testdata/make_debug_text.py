#!/usr/bin/env python3
"""Writes testdata/shapes/agent-incident.debug.txt: testdata/agent-incident.otlp.json as
`kubectl logs otel-collector` shows it with the debug exporter at verbosity: detailed —
the layout of the collector's internal/otlptext marshaler (ResourceSpans / ScopeSpans /
Span blocks, `-> key: Str(value)` attributes, SpanEvent and SpanLink blocks, Go time
strings), a log prefix on each block's first line, the exporter's summary lines and
some of the collector's own log lines in between.

    python3 testdata/make_debug_text.py
"""
import datetime
import json
import os

from make_jaeger import plain

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {0: "Unspecified", 1: "Internal", 2: "Server", 3: "Client", 4: "Producer", 5: "Consumer"}
CODES = {0: "Unset", 1: "Ok", 2: "Error"}


def gotime(ns):
    ns = int(ns)
    t = datetime.datetime.fromtimestamp(ns // 1_000_000_000, tz=datetime.timezone.utc)
    frac = ns % 1_000_000_000
    s = t.strftime("%Y-%m-%d %H:%M:%S")
    if frac:
        s += ("." + f"{frac:09d}").rstrip("0")
    return s + " +0000 UTC"


def val(v):
    if "stringValue" in v:
        return f"Str({v['stringValue']})"
    if "boolValue" in v:
        return f"Bool({'true' if v['boolValue'] else 'false'})"
    if "intValue" in v:
        return f"Int({int(v['intValue'])})"
    if "doubleValue" in v:
        return f"Double({v['doubleValue']})"
    if "arrayValue" in v:
        return f"Slice({json.dumps(plain(v), separators=(',', ':'))})"
    if "kvlistValue" in v:
        return f"Map({json.dumps(plain(v), separators=(',', ':'))})"
    return "Empty()"


def main():
    with open(os.path.join(HERE, "agent-incident.otlp.json")) as f:
        doc = json.load(f)
    out = [
        "2025-11-21T03:11:59.000Z\tinfo\tservice@v0.115.0/service.go:238\tStarting otelcol-contrib...",
        "2025-11-21T03:11:59.100Z\tinfo\tservice@v0.115.0/service.go:261\tEverything is ready. Begin running and processing data.",
    ]
    for n, rs in enumerate(doc["resourceSpans"]):
        spans = sum(len(ss.get("spans", [])) for ss in rs.get("scopeSpans", []))
        out.append(f'2025-11-21T03:12:00.229Z\tinfo\tTraces\t{{"kind": "exporter", "data_type": "traces", "name": "debug", "resource spans": 1, "spans": {spans}}}')
        out.append("2025-11-21T03:12:00.229Z\tinfo\tResourceSpans #0")
        out.append("Resource SchemaURL: ")
        out.append("Resource attributes:")
        for a in rs.get("resource", {}).get("attributes", []):
            out.append(f"     -> {a['key']}: {val(a['value'])}")
        for k, ss in enumerate(rs.get("scopeSpans", [])):
            sc = ss.get("scope", {})
            out.append(f"ScopeSpans #{k}")
            out.append("ScopeSpans SchemaURL: ")
            out.append(f"InstrumentationScope {sc.get('name', '')} {sc.get('version', '')}")
            for j, sp in enumerate(ss.get("spans", [])):
                st = sp.get("status", {})
                out += [
                    f"Span #{j}",
                    f"    Trace ID       : {sp['traceId']}",
                    f"    Parent ID      : {sp.get('parentSpanId', '')}",
                    f"    ID             : {sp['spanId']}",
                    f"    Name           : {sp['name']}",
                    f"    Kind           : {KINDS[sp.get('kind', 0)]}",
                    f"    Start time     : {gotime(sp['startTimeUnixNano'])}",
                    f"    End time       : {gotime(sp['endTimeUnixNano'])}",
                    f"    Status code    : {CODES[st.get('code', 0)]}",
                    f"    Status message : {st.get('message', '')}",
                ]
                if sp.get("attributes"):
                    out.append("Attributes:")
                    for a in sp["attributes"]:
                        out.append(f"     -> {a['key']}: {val(a['value'])}")
                if sp.get("events"):
                    out.append("Events:")
                    for i, e in enumerate(sp["events"]):
                        out += [f"SpanEvent #{i}", f"     -> Name: {e['name']}",
                                f"     -> Timestamp: {gotime(e['timeUnixNano'])}",
                                "     -> DroppedAttributesCount: 0"]
                        if e.get("attributes"):
                            out.append("     -> Attributes::")
                            for a in e["attributes"]:
                                out.append(f"          -> {a['key']}: {val(a['value'])}")
                if sp.get("links"):
                    out.append("Links:")
                    for i, l in enumerate(sp["links"]):
                        out += [f"SpanLink #{i}", f"     -> Trace ID: {l['traceId']}", f"     -> ID: {l['spanId']}",
                                f"     -> TraceState: {l.get('traceState', '')}", "     -> DroppedAttributesCount: 0"]
                        if l.get("attributes"):
                            out.append("     -> Attributes::")
                            for a in l["attributes"]:
                                out.append(f"          -> {a['key']}: {val(a['value'])}")
        out.append('\t{"kind": "exporter", "data_type": "traces", "name": "debug"}')
        if n == 0:
            out.append("2025-11-21T03:12:05.000Z\twarn\tmemorylimiter/memorylimiter.go:95\tMemory usage is above soft limit.")
    with open(os.path.join(HERE, "shapes", "agent-incident.debug.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
