"""Google ADK's own OpenTelemetry spans (invoke_workflow, invoke_agent,
generate_content, execute_tool) around an LlmAgent on Gemini, whose API
(generateContent) the fake server speaks. Content on spans needs the latest
conventions and SPAN_ONLY capture (set by the test). Tools run as ADK function
tools; a tool that raises ends the run with the error."""
import asyncio

import harness as h

tp = h.tracer_provider()

from google.adk.agents import LlmAgent  # noqa: E402
from google.adk.models.google_llm import Gemini  # noqa: E402
from google.adk.runners import Runner  # noqa: E402
from google.adk.sessions import InMemorySessionService  # noqa: E402
from google.genai import types  # noqa: E402

model = Gemini(model="gemini-2.5-flash", base_url=h.FAKE)
agent = LlmAgent(name="support", model=model, instruction="You help customers.",
                 tools=h.TOOL_FUNCS,
                 generate_content_config=types.GenerateContentConfig(max_output_tokens=200))
sessions = InMemorySessionService()
runner = Runner(agent=agent, app_name="support-app", session_service=sessions)


async def main():
    for scenario in h.SCENARIOS:
        h.CURRENT["scenario"] = scenario
        with h.scenario(scenario):
            session = await sessions.create_session(
                app_name="support-app", user_id="u-1", session_id=h.session_id(scenario))
            message = types.Content(role="user", parts=[types.Part(text=h.prompt(scenario))])
            async for _ in runner.run_async(user_id="u-1", session_id=session.id, new_message=message):
                pass


asyncio.run(main())
h.finish(tp)
