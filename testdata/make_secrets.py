#!/usr/bin/env python3
"""Writes secrets.otlp.json: one agent run whose every kind of value holds a secret
or a piece of personal data (span names, status messages, attributes, nested maps and
arrays, events, links, resource and scope attributes, messages, tool arguments and
results), and secrets.list, the strings that must never appear in a redacted output.
Run from testdata/: python3 make_secrets.py"""
import json

SECRETS = {
    "openai": "sk-proj-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1JkLz",
    "anthropic": "sk-ant-api03-Qm2Wn3Eb4Rv5Tc6Yx7Uz8Ia9Os0Pd",
    "aws": "AKIAQYLPMN5HHHFPZAM2",
    "github": "ghp_R2d2C3poBb8Yoda4Luke5Leia6Han7Solo8",
    "slack": "xoxb-1234567890-abcdefghijklmnop",
    "google": "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "bearer": "mF_9.B5f-4.1JqM7zKk2",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTEwNDIiLCJuYW1lIjoiSmFuZSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "url_password": "Tr0ub4dor-and-3",
    "private_key": "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0",
    "email": "jane.doe@customer-mail.example",
    "phone": "+1 415-555-0142",
    "card": "4242 4242 4242 4242",
    "ipv4": "198.51.100.23",
    "ipv6": "2001:db8:4006:812::200e",
    "password": "hunter2-Secret!",
}
S = SECRETS
TID = "5ec4e75ec4e75ec4e75ec4e75ec4e75e"


def kv(k, v):
    if isinstance(v, bool):
        return {"key": k, "value": {"boolValue": v}}
    if isinstance(v, int):
        return {"key": k, "value": {"intValue": str(v)}}
    if isinstance(v, dict):
        return {"key": k, "value": v}
    return {"key": k, "value": {"stringValue": v}}


def span(sid, parent, name, start, end, attrs, **extra):
    s = {
        "traceId": TID,
        "spanId": sid,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(1764650000000000000 + start * 1000000),
        "endTimeUnixNano": str(1764650000000000000 + end * 1000000),
        "attributes": attrs,
    }
    if parent:
        s["parentSpanId"] = parent
    s.update(extra)
    return s


messages = json.dumps([
    {"role": "system", "parts": [{"type": "text", "content": "You are a support agent. Admin key: " + S["openai"]}]},
    {"role": "user", "parts": [{"type": "text", "content": f"I am {S['email']}, call me at {S['phone']}, my card is {S['card']}"}]},
])
output = json.dumps([
    {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup_customer",
                                     "arguments": {"email": S["email"]}}], "finish_reason": "tool_call"},
])
spans = [
    span("a000000000000001", None, "invoke_agent support", 0, 9000, [
        kv("gen_ai.operation.name", "invoke_agent"),
        kv("gen_ai.agent.name", "support"),
        kv("gen_ai.conversation.id", "conv-secret-1"),
        kv("enduser.email", S["email"]),
        kv("http.request.header.authorization", "Bearer " + S["bearer"]),
        kv("app.config", {"kvlistValue": {"values": [
            kv("db_url", f"postgres://svc:{S['url_password']}@10.1.2.3:5432/orders"),
            kv("api_key", S["stripe"]),
            kv("peers", {"arrayValue": {"values": [{"stringValue": S["ipv4"]}, {"stringValue": S["ipv6"]}]}}),
        ]}}),
    ], status={"code": 2, "message": f"lookup failed for {S['email']} with token {S['github']}"},
       links=[{"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1",
               "attributes": [kv("link.note", "slack " + S["slack"])]}]),
    span("a000000000000002", "a000000000000001", "chat gpt-4o", 100, 2100, [
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.request.model", "gpt-4o"),
        kv("gen_ai.response.model", "gpt-4o-2024-08-06"),
        kv("gen_ai.usage.input_tokens", 1200),
        kv("gen_ai.usage.output_tokens", 80),
        kv("gen_ai.input.messages", messages),
        kv("gen_ai.output.messages", output),
    ], events=[{"timeUnixNano": str(1764650000000000000 + 150 * 1000000), "name": "gen_ai.client.note",
                "attributes": [kv("note", "jwt " + S["jwt"])]}]),
    span("a000000000000003", "a000000000000001", f"execute_tool lookup_customer {S['email']}", 2200, 8800, [
        kv("gen_ai.operation.name", "execute_tool"),
        kv("gen_ai.tool.name", "lookup_customer"),
        kv("gen_ai.tool.call.id", "call_1"),
        kv("gen_ai.tool.call.arguments", json.dumps({"email": S["email"], "aws_key": S["aws"]})),
        kv("gen_ai.tool.call.result", json.dumps({"error": f"denied for {S['ipv4']}", "google": S["google"]})),
        kv("error.type", "PermissionDenied"),
        kv("user.password", S["password"]),
        kv("note", "-----BEGIN RSA PRIVATE KEY-----\n" + S["private_key"] + "\n-----END RSA PRIVATE KEY-----"),
        kv("anthropic", "key=" + S["anthropic"]),
    ], status={"code": 2, "message": "password=" + S["password"]},
       events=[{"timeUnixNano": str(1764650000000000000 + 8700 * 1000000), "name": "exception",
                "attributes": [kv("exception.type", "PermissionDenied"),
                               kv("exception.message", f"no access for {S['email']} from {S['ipv4']}")]}]),
]
doc = {"resourceSpans": [{
    "resource": {"attributes": [kv("service.name", "support-agent"),
                                kv("host.ip", S["ipv4"]),
                                kv("deploy.owner", S["email"])]},
    "scopeSpans": [{"scope": {"name": "agent.sdk", "version": "1.0",
                              "attributes": [kv("scope.token", S["openai"])]},
                    "spans": spans}],
}]}
with open("secrets.otlp.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
with open("secrets.list", "w") as f:
    for k, v in SECRETS.items():
        f.write(v + "\n")
