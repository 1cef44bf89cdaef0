"""opentelemetry-instrumentation-openai-v2 (the OpenTelemetry project's own OpenAI
instrumentation) around a hand-written tool loop with the openai client. The
semantic-convention mode and content capture come from the environment
(OTEL_SEMCONV_STABILITY_OPT_IN, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT),
set by the test per run. The weather scenario streams (with usage), the others do
not. The library makes no tool spans: tools run outside any span."""
import harness as h
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

tp = h.tracer_provider()
lp = h.logger_provider()
OpenAIInstrumentor().instrument(tracer_provider=tp, logger_provider=lp)

import openai  # noqa: E402

client = openai.OpenAI(base_url=h.FAKE + "/v1", api_key="sk-fake", max_retries=0)

for scenario in h.SCENARIOS:
    with h.scenario(scenario):
        h.openai_tool_loop(client, scenario, stream=scenario == "weather")

h.finish(tp, lp)
