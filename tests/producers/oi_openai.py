"""openinference-instrumentation-openai around a hand-written tool loop with the
openai client, each scenario in its own session (`using_session`). The library
makes LLM spans only; the weather scenario streams."""
import harness as h
from openinference.instrumentation import using_session
from openinference.instrumentation.openai import OpenAIInstrumentor

tp = h.tracer_provider()
OpenAIInstrumentor().instrument(tracer_provider=tp)

import openai  # noqa: E402

client = openai.OpenAI(base_url=h.FAKE + "/v1", api_key="sk-fake", max_retries=0)
for scenario in h.SCENARIOS:
    with h.scenario(scenario), using_session(h.session_id(scenario)):
        h.openai_tool_loop(client, scenario, stream=scenario == "weather")
h.finish(tp)
