"""The OpenAI Agents SDK (openai-agents) traced by
openinference-instrumentation-openai-agents: agent, LLM (chat completions model)
and function-tool spans. The SDK's own exporter to OpenAI's platform is removed."""
import asyncio

import harness as h
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

tp = h.tracer_provider()

import agents  # noqa: E402
from agents import Agent, ModelSettings, OpenAIChatCompletionsModel, Runner, function_tool  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402

agents.set_trace_processors([])
OpenAIAgentsInstrumentor().instrument(tracer_provider=tp)







client = AsyncOpenAI(base_url=h.FAKE + "/v1", api_key="sk-fake", max_retries=0)
agent = Agent(
    name="support",
    instructions="You help customers.",
    model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client),
    model_settings=ModelSettings(max_tokens=200),
    tools=[function_tool(f) for f in h.TOOL_FUNCS],
)


async def main():
    for scenario in h.SCENARIOS:
        h.CURRENT["scenario"] = scenario
        with h.scenario(scenario):
            await Runner.run(agent, h.prompt(scenario), max_turns=8)


asyncio.run(main())
h.finish(tp)
