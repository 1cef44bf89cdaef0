"""strands-agents' own OpenTelemetry spans (agent, event loop cycles, model calls,
tools) around an agent on its OpenAI model provider."""
import harness as h

tp = h.tracer_provider()

from strands import Agent, tool  # noqa: E402
from strands.models.openai import OpenAIModel  # noqa: E402

CURRENT = {"scenario": ""}


@tool
def get_weather(city: str) -> str:
    """Current weather of a city."""
    return h.run_tool(CURRENT["scenario"], "get_weather", {"city": city})


@tool
def lookup_order(order_id: str) -> str:
    """Find an order by id."""
    return h.run_tool(CURRENT["scenario"], "lookup_order", {"order_id": order_id})


@tool
def charge_card(amount: float) -> str:
    """Charge the customer's card."""
    return h.run_tool(CURRENT["scenario"], "charge_card", {"amount": amount})


@tool
def search_orders(q: str) -> str:
    """Search orders."""
    return h.run_tool(CURRENT["scenario"], "search_orders", {"q": q})


model = OpenAIModel(client_args={"base_url": h.FAKE + "/v1", "api_key": "sk-fake", "max_retries": 0},
                    model_id="gpt-4o-mini", params={"max_tokens": 200})
for scenario in h.SCENARIOS:
    CURRENT["scenario"] = scenario
    agent = Agent(model=model, name="support", system_prompt="You help customers.",
                  tools=[get_weather, lookup_order, charge_card, search_orders],
                  trace_attributes={"session.id": h.session_id(scenario)}, callback_handler=None)
    with h.scenario(scenario):
        agent(h.prompt(scenario))
h.finish(tp)
