"""strands-agents' own OpenTelemetry spans (agent, event loop cycles, model calls,
tools) around an agent on its OpenAI model provider."""
import harness as h

tp = h.tracer_provider()

from strands import Agent, tool  # noqa: E402
from strands.models.openai import OpenAIModel  # noqa: E402







model = OpenAIModel(client_args={"base_url": h.FAKE + "/v1", "api_key": "sk-fake", "max_retries": 0},
                    model_id="gpt-4o-mini", params={"max_tokens": 200})
for scenario in h.SCENARIOS:
    h.CURRENT["scenario"] = scenario
    agent = Agent(model=model, name="support", system_prompt="You help customers.",
                  tools=[tool(f) for f in h.TOOL_FUNCS],
                  trace_attributes={"session.id": h.session_id(scenario)}, callback_handler=None)
    with h.scenario(scenario):
        agent(h.prompt(scenario))
h.finish(tp)
