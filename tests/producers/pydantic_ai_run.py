"""pydantic-ai's own OpenTelemetry instrumentation (InstrumentationSettings) around
an agent with four plain tools, on OpenAI (chat completions) or Anthropic: argv[1]
is `openai` or `anthropic`. A tool that raises ends the run with the error."""
import sys

import harness as h

tp = h.tracer_provider()

from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.models.instrumented import InstrumentationSettings  # noqa: E402

if sys.argv[1] == "anthropic":
    from pydantic_ai.models.anthropic import AnthropicModel
    from anthropic import AsyncAnthropic
    from pydantic_ai.providers.anthropic import AnthropicProvider
    model = AnthropicModel("claude-3-5-haiku-latest",
                           provider=AnthropicProvider(anthropic_client=AsyncAnthropic(
                               base_url=h.FAKE, api_key="sk-ant-fake", max_retries=0)))
else:
    from pydantic_ai.models.openai import OpenAIChatModel
    from openai import AsyncOpenAI
    from pydantic_ai.providers.openai import OpenAIProvider
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(openai_client=AsyncOpenAI(
        base_url=h.FAKE + "/v1", api_key="sk-fake", max_retries=0)))

Agent.instrument_all(InstrumentationSettings(tracer_provider=tp))
agent = Agent(model, name="support", instructions="You help customers.",
              model_settings={"max_tokens": 200}, tools=h.TOOL_FUNCS)






for scenario in h.SCENARIOS:
    h.CURRENT["scenario"] = scenario
    with h.scenario(scenario):
        agent.run_sync(h.prompt(scenario))
h.finish(tp)
