#!/usr/bin/env python3
"""Writes secrets.otlp.json: one agent run whose every kind of value holds a secret
or a piece of personal data (span names, status messages, attributes, nested maps and
arrays, events, links, resource and scope attributes, messages, tool arguments and
results), and secrets.list, the strings that must never appear in a redacted output.
Run from testdata/: python3 make_secrets.py"""
import base64
import json
import random

RNG = random.Random(7)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def rnd(n, alphabet=ALNUM):
    """A random token of n characters (the shape real keys have)."""
    return "".join(RNG.choice(alphabet) for _ in range(n))


def hexs(n):
    return rnd(n, "0123456789abcdef")


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
# Issue 29's leaks and more: values under secret-named keys in every naming style
# (the value itself has no known shape), provider formats written from their
# documentation, secrets inside text, URLs, encodings, map and JSON keys, scope and
# trace state.
NAMED = {
    "db_password": "Pl4inOldPa55",
    "OPENAI_API_KEY": "plain-openai-value-" + rnd(6),
    "AZURE_OPENAI_API_KEY": hexs(32),
    "github_token": "tok-github-" + rnd(8),
    "aws_secret_access_key": rnd(40, ALNUM + "/+"),
    "auth_token": "auth-" + rnd(10),
    "x-auth-token": "xat-" + rnd(10),
    "secret_key": "django-insecure-" + rnd(12),
    "openaiApiKey": "camel-" + rnd(12),
    "sessionToken": "sess-" + rnd(12),
    "clientSecret": "cs-" + rnd(14),
    "connectionString": "Server=tcp:db1.example.net;Password=" + rnd(12) + ";",
    "webhook_secret": "whk-" + rnd(14),
    "passphrase": "correct horse battery staple",
    "DATABASE_PASSWORD": "dbpw-" + rnd(10),
    "x-api-key": "xak-" + rnd(12),
    "cookie": "sessionid=" + rnd(16),
}
SHAPES = {
    "google_oauth": "GOCSPX-" + rnd(28),
    "sendgrid": "SG." + rnd(22) + "." + rnd(43),
    "npm": "npm_" + rnd(36),
    "gitlab": "glpat-" + rnd(20),
    "huggingface": "hf_" + rnd(34),
    "shopify": "shpat_" + hexs(32),
    "digitalocean": "dop_v1_" + hexs(64),
    "vault": "hvs." + rnd(90),
    "databricks": "dapi" + hexs(32),
    "pypi": "pypi-AgEIcHlwaS5vcmc" + rnd(60),
    "postman": "PMAK-" + hexs(24) + "-" + hexs(34),
    "grafana": "glsa_" + rnd(32) + "_" + hexs(8),
    "linear": "lin_api_" + rnd(40),
    "notion": "ntn_" + rnd(46),
    "age": "AGE-SECRET-KEY-1" + rnd(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
    "mailgun": "key-" + hexs(32),
    "twilio_key": "SK" + hexs(32),
    "square": "sq0atp-" + rnd(22),
    "atlassian": "ATATT3xFfGF0" + rnd(180),
    "newrelic": "NRAK-" + rnd(27, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    "sentry": "sntrys_eyJpYXQiOjE3" + rnd(60),
    "dropbox": "sl.B" + rnd(130),
    "stripe_restricted": "rk_live_" + rnd(24),
    "stripe_webhook": "whsec_" + rnd(32),
    "google_access": "ya29." + rnd(60),
    "docker": "dckr_pat_" + rnd(27),
    "slack_app": "xapp-1-" + rnd(11) + "-" + rnd(30),
    "telegram": "7234567890:AA" + rnd(33),
    "openrouter": "sk-or-v1-" + hexs(64),
    "unknown_prefixed": "acme_live_" + rnd(32),
    "unknown_token_after_word": rnd(32),
}
TEXT = {
    "aws_in_text": rnd(40, ALNUM + "/+"),
    "sas_sig": rnd(43) + "%3D",
    "slack_webhook": "T0" + rnd(7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "/B0" + rnd(7, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "/" + rnd(24),
    "discord_webhook": "1234567890123456789/" + rnd(68, ALNUM + "-_"),
    "twilio_env": hexs(32),
    "basic_auth": base64.b64encode(b"ops:" + rnd(12).encode()).decode(),
    "base64_key": base64.b64encode(("sk-proj-" + rnd(40)).encode()).decode(),
    "pct_email": "jane.smith%40corp-mail.example",
    "dotted_card": "4000.0566.5566.5556",
    "url_password_slash": "pa/ss" + rnd(8) + "w0rd",
    "url_query_token": rnd(36),
    "url_user_token": rnd(40),
    "json_key_email": "mike.jones@example-shop.example",
    "map_key_email": "ana.lopez@mailhost.example",
    "scope_email": "ops-lead@agentcorp.example",
    "scope_version_token": "ghp_" + rnd(36),
    "trace_state_key": "rk_test_" + rnd(24),
    "event_name_email": "maria.garcia@inbox-mail.example",
    "link_state_key": "sk_test_" + rnd(26),
    "header_token": rnd(32),
    "yaml_password": "yamlPw-" + rnd(10),
    "pgp_block": rnd(60, ALNUM + "+/"),
    "json_password": "jsonPw-" + rnd(10),
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
T = TEXT
named_attrs = [kv(k, v) for k, v in NAMED.items()]
shape_text = " ".join(f"{k}: {v}" if k != "unknown_token_after_word" else f"token {v}" for k, v in SHAPES.items())
tool_args = json.dumps({T["json_key_email"]: {"orders": 3}, "password": T["json_password"]})
tool_result = "\n".join([
    f"export aws_secret_access_key={T['aws_in_text']}",
    f"blob: https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sr=b&sp=r&sig={T['sas_sig']}",
    f"hook https://hooks.slack.com/services/{T['slack_webhook']}",
    f"also https://discord.com/api/webhooks/{T['discord_webhook']}",
    f"TWILIO_AUTH_TOKEN={T['twilio_env']}",
    f"Authorization: Basic {T['basic_auth']}",
    f"encoded {T['base64_key']}",
    f"mailto {T['pct_email']} card {T['dotted_card']}",
    f"git https://bob:{T['url_password_slash']}@git.example.com/repo.git",
    f"api https://api.example.com/v1/data?access={T['url_query_token']}&page=2",
    f"clone https://{T['url_user_token']}@github.com/org/repo.git",
    f"X-Request-Token: {T['header_token']}",
    f"password: {T['yaml_password']}",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n" + T["pgp_block"] + "\n-----END PGP PRIVATE KEY BLOCK-----",
    shape_text,
])
spans.append(span("a000000000000004", "a000000000000001", "execute_tool deploy", 8850, 8990, [
    kv("gen_ai.operation.name", "execute_tool"),
    kv("gen_ai.tool.name", "deploy"),
    kv("gen_ai.tool.call.id", "call_2"),
    kv("gen_ai.tool.call.arguments", tool_args),
    kv("gen_ai.tool.call.result", tool_result),
    kv("deploy.log", tool_result),
    kv("deploy.env", {"kvlistValue": {"values": named_attrs + [
        kv(T["map_key_email"], "owner"),
    ]}}),
] + named_attrs, traceState="vendor=" + T["trace_state_key"],
   events=[{"timeUnixNano": str(1764650000000000000 + 8900 * 1000000), "name": "login by " + T["event_name_email"],
            "attributes": [kv("shapes", shape_text)]}],
   links=[{"traceId": "0" * 31 + "2", "spanId": "0" * 15 + "2", "traceState": "k=" + T["link_state_key"],
           "attributes": [kv("link.env", "TWILIO_AUTH_TOKEN=" + T["twilio_env"])]}]))

doc = {"resourceSpans": [{
    "resource": {"attributes": [kv("service.name", "support-agent"),
                                kv("host.ip", S["ipv4"]),
                                kv("deploy.owner", S["email"])]},
    "scopeSpans": [{"scope": {"name": "agent.sdk owner " + T["scope_email"], "version": "1.0+" + T["scope_version_token"],
                              "attributes": [kv("scope.token", S["openai"])]},
                    "spans": spans}],
}]}
with open("secrets.otlp.json", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
with open("secrets.list", "w") as f:
    for table in (SECRETS, NAMED, SHAPES, TEXT):
        for k, v in table.items():
            f.write(v + "\n")
