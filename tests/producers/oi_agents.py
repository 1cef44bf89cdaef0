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

CURRENT = {"scenario": ""}


@function_tool
def get_weather(city: str) -> str:
    """Current weather of a city."""
    return h.run_tool(CURRENT["scenario"], "get_weather", {"city": city})


@function_tool
def lookup_order(order_id: str) -> str:
    """Find an order by id."""
    return h.run_tool(CURRENT["scenario"], "lookup_order", {"order_id": order_id})


@function_tool
def charge_card(amount: float) -> str:
    """Charge the customer's card."""
    return h.run_tool(CURRENT["scenario"], "charge_card", {"amount": amount})


@function_tool
def search_orders(q: str) -> str:
    """Search orders."""
    return h.run_tool(CURRENT["scenario"], "search_orders", {"q": q})


client = AsyncOpenAI(base_url=h.FAKE + "/v1", api_key="sk-fake", max_retries=0)
agent = Agent(
    name="support",
    instructions="You help customers.",
    model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client),
    model_settings=ModelSettings(max_tokens=200),
    tools=[get_weather, lookup_order, charge_card, search_orders],
)


async def main():
    for scenario in h.SCENARIOS:
        CURRENT["scenario"] = scenario
        with h.scenario(scenario):
            await Runner.run(agent, h.prompt(scenario), max_turns=8)


asyncio.run(main())
h.finish(tp)
