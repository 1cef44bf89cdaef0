"""traceloop-sdk (OpenLLMetry) with every instrumentation it finds active: the
hand-written tool loop on the openai client or the anthropic client (argv[1]), tools
as traceloop @tool tasks, each scenario a @workflow with its session in the
association properties. With anthropic >= 2 the SDK's own spans and traceloop's
may both record one call."""
import sys

import harness as h
from traceloop.sdk import Traceloop
from traceloop.sdk.decorators import tool, workflow

Traceloop.init(app_name=h.RUN, exporter=h.FanOut(h.exporters()), telemetry_enabled=False,
               resource_attributes={"service.name": h.RUN})
provider = sys.argv[1]






TOOLS = {f.__name__: tool(name=f.__name__)(f) for f in h.TOOL_FUNCS}


def call_tool(scenario, name, args):
    return TOOLS[name](**args)


@workflow(name="support_agent")
def run(scenario):
    Traceloop.set_association_properties({"session_id": h.session_id(scenario)})
    if provider == "anthropic":
        import anthropic
        client = anthropic.Anthropic(base_url=h.FAKE, api_key="sk-ant-fake", max_retries=0)
        h.anthropic_tool_loop(client, scenario, stream=scenario == "weather", call=call_tool)
    else:
        import openai
        client = openai.OpenAI(base_url=h.FAKE + "/v1", api_key="sk-fake", max_retries=0)
        h.openai_tool_loop(client, scenario, stream=scenario == "weather", call=call_tool)


for scenario in h.SCENARIOS:
    h.CURRENT["scenario"] = scenario
    with h.scenario(scenario):
        run(scenario)
Traceloop.flush() if hasattr(Traceloop, "flush") else None
from opentelemetry import trace  # noqa: E402
trace.get_tracer_provider().force_flush()
