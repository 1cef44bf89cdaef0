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







model = ChatOpenAI(model="gpt-4o-mini", base_url=h.FAKE + "/v1", api_key="sk-fake",
                   max_retries=0, max_tokens=200)
graph = create_react_agent(model, [tool(f) for f in h.TOOL_FUNCS])
for scenario in h.SCENARIOS:
    h.CURRENT["scenario"] = scenario
    with h.scenario(scenario), using_session(h.session_id(scenario)):
        graph.invoke({"messages": [("user", h.prompt(scenario))]}, {"recursion_limit": 12})
h.finish(tp)
