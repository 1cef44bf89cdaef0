"""What every producer driver shares: where its spans go, the scenarios, the tools
and the ground truth of what the tools did.

Environment (set by tests/producers.rs):
  FAKE_LLM_URL          the fake model server (tests/producers/fake_llm.py)
  AGTRACE_RUN           this run's name: the service name and the `[run:…]` tag
  AGTRACE_OTLP_HTTP     OTLP/HTTP base URL (traces and logs), optional
  AGTRACE_OTLP_GRPC     OTLP/gRPC endpoint, optional
  AGTRACE_CONSOLE_FILE  where the SDK's console exporter writes, optional
  AGTRACE_TOOLS_LOG     JSON Lines: one entry per tool call the driver ran

Each scenario runs under a root span `scenario NAME` (attribute `test.scenario`),
as an application's request span would hold the agent's work.
"""
import contextlib
import json
import os

RUN = os.environ.get("AGTRACE_RUN", "producer")
FAKE = os.environ.get("FAKE_LLM_URL", "http://127.0.0.1:9/").rstrip("/")
SCENARIOS = ["weather", "empty", "raise", "loop", "length", "error"]


def prompt(scenario):
    """The user message of a scenario: the tags the fake server reads, then words."""
    words = {
        "weather": "What is the weather in Paris?",
        "empty": "Where is my order 42?",
        "raise": "Charge my card 10 euros.",
        "loop": "Find my late orders.",
        "length": "Tell me the whole history of Rome.",
        "error": "Hello?",
    }.get(scenario, "go")
    return f"[scenario:{scenario}] [run:{RUN}] {words}"


def session_id(scenario):
    return f"sess-{RUN}-{scenario}"


def record_tool(scenario, name, args, result=None, error=None):
    path = os.environ.get("AGTRACE_TOOLS_LOG")
    if not path:
        return
    with open(path, "a") as f:
        f.write(json.dumps({"run": RUN, "scenario": scenario, "tool": name, "args": args,
                            "result": result, "error": error}) + "\n")


def record_outcome(scenario, error=None):
    """How the agent run of a scenario ended, as the application saw it."""
    path = os.environ.get("AGTRACE_TOOLS_LOG")
    if not path:
        return
    with open(path, "a") as f:
        f.write(json.dumps({"run": RUN, "scenario": scenario, "outcome": "error" if error else "ok",
                            "error": str(error) if error else None}) + "\n")


@contextlib.contextmanager
def scenario(name, tracer=None):
    """Runs one scenario under its root span and records how it ended; an exception
    from the agent is the run's failure, not the driver's."""
    with scenario_span(name, tracer):
        try:
            yield
        except Exception as e:  # noqa: BLE001
            record_outcome(name, e)
            return
    record_outcome(name)


class ToolFailed(RuntimeError):
    pass


def run_tool(scenario, name, args):
    """The scripted tools: get_weather answers, lookup_order returns nothing,
    charge_card raises, search_orders answers the same every time."""
    if name == "get_weather":
        out = "sunny, 21 C"
    elif name == "lookup_order":
        out = ""
    elif name == "search_orders":
        out = "still searching"
    elif name == "charge_card":
        record_tool(scenario, name, args, error="card declined")
        raise ToolFailed("card declined")
    else:
        out = f"unknown tool {name}"
    record_tool(scenario, name, args, result=out)
    return out


# The same four tools for every framework, as plain typed functions with docstrings
# (each framework's decorator reads its schema from them); CURRENT names the
# scenario whose tools run.
CURRENT = {"scenario": ""}


def get_weather(city: str) -> str:
    """Current weather of a city."""
    return run_tool(CURRENT["scenario"], "get_weather", {"city": city})


def lookup_order(order_id: str) -> str:
    """Find an order by id."""
    return run_tool(CURRENT["scenario"], "lookup_order", {"order_id": order_id})


def charge_card(amount: float) -> str:
    """Charge the customer's card."""
    return run_tool(CURRENT["scenario"], "charge_card", {"amount": amount})


def search_orders(q: str) -> str:
    """Search orders."""
    return run_tool(CURRENT["scenario"], "search_orders", {"q": q})


TOOL_FUNCS = [get_weather, lookup_order, charge_card, search_orders]

TOOL_SCHEMAS = [
    {"name": "get_weather", "description": "Current weather of a city.",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    {"name": "lookup_order", "description": "Find an order by id.",
     "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}},
    {"name": "charge_card", "description": "Charge the customer's card.",
     "parameters": {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]}},
    {"name": "search_orders", "description": "Search orders.",
     "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}},
]


def exporters():
    """The span exporters this run writes to (every path the test compares)."""
    out = []
    if os.environ.get("AGTRACE_OTLP_HTTP"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        out.append(OTLPSpanExporter(endpoint=os.environ["AGTRACE_OTLP_HTTP"].rstrip("/") + "/v1/traces"))
    if os.environ.get("AGTRACE_OTLP_GRPC"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as G
        out.append(G(endpoint=os.environ["AGTRACE_OTLP_GRPC"], insecure=True))
    if os.environ.get("AGTRACE_CONSOLE_FILE"):
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter
        out.append(ConsoleSpanExporter(out=open(os.environ["AGTRACE_CONSOLE_FILE"], "a")))
    return out


def processors():
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    return [BatchSpanProcessor(e) for e in exporters()]


def resource():
    from opentelemetry.sdk.resources import Resource
    return Resource.create({"service.name": RUN})


def tracer_provider(set_global=True):
    """A tracer provider exporting to every configured path."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    provider = TracerProvider(resource=resource())
    for p in processors():
        provider.add_span_processor(p)
    if set_global:
        trace.set_tracer_provider(provider)
    return provider


def logger_provider():
    """Log records (GenAI events of the legacy conventions) over OTLP/HTTP and gRPC."""
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    provider = LoggerProvider(resource=resource())
    if os.environ.get("AGTRACE_OTLP_HTTP"):
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        provider.add_log_record_processor(BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=os.environ["AGTRACE_OTLP_HTTP"].rstrip("/") + "/v1/logs")))
    if os.environ.get("AGTRACE_OTLP_GRPC"):
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as G
        provider.add_log_record_processor(BatchLogRecordProcessor(
            G(endpoint=os.environ["AGTRACE_OTLP_GRPC"], insecure=True)))
    set_logger_provider(provider)
    return provider


@contextlib.contextmanager
def scenario_span(scenario, tracer=None):
    from opentelemetry import trace
    tracer = tracer or trace.get_tracer("agtrace.producers")
    with tracer.start_as_current_span(f"scenario {scenario}", attributes={"test.scenario": scenario}) as s:
        yield s


def finish(*providers):
    for p in providers:
        if p is None:
            continue
        p.force_flush()
        p.shutdown()


class FanOut:
    """One span exporter that hands every batch to each configured exporter, for
    libraries that take a single exporter (traceloop-sdk)."""

    def __init__(self, inner):
        self.inner = inner

    def export(self, spans):
        from opentelemetry.sdk.trace.export import SpanExportResult
        ok = all(e.export(spans) == SpanExportResult.SUCCESS for e in self.inner)
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self):
        for e in self.inner:
            e.shutdown()

    def force_flush(self, timeout_millis=30000):
        return all(e.force_flush(timeout_millis) for e in self.inner)


def openai_tool_loop(client, scenario, stream=False, model="gpt-4o-mini", call=run_tool):
    """A hand-written tool loop with the openai client (the caller's instrumentation
    records the calls; the tools run outside any span)."""
    tools = [{"type": "function", "function": s} for s in TOOL_SCHEMAS]
    messages = [{"role": "user", "content": prompt(scenario)}]
    for _ in range(6):
        if stream:
            parts = client.chat.completions.create(
                model=model, messages=messages, tools=tools, stream=True,
                stream_options={"include_usage": True}, max_tokens=200)
            text, acc = "", {}
            for chunk in parts:
                for c in chunk.choices:
                    text += c.delta.content or ""
                    for tc in c.delta.tool_calls or []:
                        cur = acc.setdefault(tc.index, {"id": "", "name": "", "args": ""})
                        cur["id"] = tc.id or cur["id"]
                        cur["name"] = (tc.function.name or "") or cur["name"]
                        cur["args"] += tc.function.arguments or ""
            calls = [(c["id"], c["name"], c["args"]) for c in acc.values()]
        else:
            r = client.chat.completions.create(
                model=model, messages=messages, tools=tools, max_tokens=200)
            m = r.choices[0].message
            text = m.content or ""
            calls = [(t.id, t.function.name, t.function.arguments) for t in m.tool_calls or []]
        if not calls:
            return
        messages.append({"role": "assistant", "content": text or None, "tool_calls": [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in calls]})
        for i, n, a in calls:
            try:
                out = call(scenario, n, json.loads(a))
            except ToolFailed as e:
                out = f"error: {e}"
            messages.append({"role": "tool", "tool_call_id": i, "content": out})


def anthropic_tool_loop(client, scenario, stream=False, model="claude-3-5-haiku-latest", call=run_tool):
    """The same loop with the anthropic client."""
    tools = [{"name": s["name"], "description": s["description"], "input_schema": s["parameters"]}
             for s in TOOL_SCHEMAS]
    messages = [{"role": "user", "content": prompt(scenario)}]
    for _ in range(6):
        if stream:
            with client.messages.stream(model=model, max_tokens=200, messages=messages, tools=tools) as s:
                r = s.get_final_message()
        else:
            r = client.messages.create(model=model, max_tokens=200, messages=messages, tools=tools)
        uses = [b for b in r.content if b.type == "tool_use"]
        if not uses:
            return
        messages.append({"role": "assistant", "content": [b.model_dump() for b in r.content]})
        results = []
        for b in uses:
            try:
                out = call(scenario, b.name, b.input)
            except ToolFailed as e:
                out = f"error: {e}"
            results.append({"type": "tool_result", "tool_use_id": b.id, "content": out})
        messages.append({"role": "user", "content": results})
