"""Claude Code itself (the `claude` CLI from npm, beta traces on) in headless mode
against the fake model server, one turn per scenario, its own Bash tool allowed.
It exports OTLP straight to agtrace over the protocol in AGTRACE_CC_PROTOCOL
(http/protobuf or grpc); prompts and tool details are logged (OTEL_LOG_*). The
tools it ran are known from the server's log (the calls it asked for and the
results that came back)."""
import os
import subprocess
import sys
import tempfile

import harness as h

SCENARIOS = ["ccshell", "ccempty", "ccfail", "length"]
claude = os.path.join(os.environ["AGTRACE_NODE_MODULES"], ".bin", "claude")
protocol = os.environ.get("AGTRACE_CC_PROTOCOL", "http/protobuf")
endpoint = os.environ["AGTRACE_OTLP_GRPC" if protocol == "grpc" else "AGTRACE_OTLP_HTTP"]
home = tempfile.mkdtemp(prefix="agtrace-cc-")
env = dict(
    os.environ,
    HOME=home,
    ANTHROPIC_BASE_URL=h.FAKE,
    ANTHROPIC_API_KEY="sk-ant-fake",
    CLAUDE_CODE_ENABLE_TELEMETRY="1",
    CLAUDE_CODE_ENHANCED_TELEMETRY_BETA="1",
    OTEL_TRACES_EXPORTER="otlp",
    OTEL_LOGS_EXPORTER="otlp",
    OTEL_METRICS_EXPORTER="none",
    OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
    OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
    OTEL_SERVICE_NAME=h.RUN,
    OTEL_LOG_USER_PROMPTS="1",
    OTEL_LOG_TOOL_DETAILS="1",
    OTEL_LOG_TOOL_CONTENT="1",
    DISABLE_AUTOUPDATER="1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
)
for scenario in SCENARIOS:
    out = subprocess.run(
        [claude, "-p", h.prompt(scenario),
         "--max-turns", "4", "--allowedTools", "Bash"],
        cwd=home, env=env, capture_output=True, text=True, timeout=120)
    h.record_outcome(scenario, None if out.returncode == 0 else RuntimeError(out.stderr[-500:]))
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
