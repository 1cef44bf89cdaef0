"""A LangGraph ReAct agent (langgraph.prebuilt.create_react_agent over
langchain-openai's ChatOpenAI) traced by openinference-instrumentation-langchain:
chain, LLM and tool spans with input.value / output.value."""
import harness as h
from openinference.instrumentation import using_session
from openinference.instrumentation.langchain import LangChainInstrumentor

tp = h.tracer_provider()
LangChainInstrumentor().instrument(tracer_provider=tp)

from langchain_core.tools import tool  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langgraph.prebuilt import create_react_agent  # noqa: E402

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


model = ChatOpenAI(model="gpt-4o-mini", base_url=h.FAKE + "/v1", api_key="sk-fake",
                   max_retries=0, max_tokens=200)
graph = create_react_agent(model, [get_weather, lookup_order, charge_card, search_orders])
for scenario in h.SCENARIOS:
    CURRENT["scenario"] = scenario
    with h.scenario(scenario), using_session(h.session_id(scenario)):
        graph.invoke({"messages": [("user", h.prompt(scenario))]}, {"recursion_limit": 12})
h.finish(tp)
