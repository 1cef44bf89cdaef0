"""A scripted fake model server for the producer conformance suite (stdlib only).

It answers the OpenAI chat-completions API (`POST /v1/chat/completions`, streaming
and not) and the Anthropic messages API (`POST /v1/messages`, streaming and not) on
loopback, so the real instrumentation libraries can be run end to end without a
provider. What it answers is decided by a scenario tag in the conversation's first
user message (`[scenario:NAME]`) and by how many tool results the request already
carries, so every run of a scenario makes the same calls:

  weather  get_weather({"city": "Paris"}), then an answer (cached tokens reported)
  empty    lookup_order({"order_id": "42"}) returns nothing, then a confident answer
  raise    charge_card({"amount": 10}) raises, then an answer
  loop     search_orders({"q": "late"}) three times, then an answer
  ccshell, ccempty, ccfail   Claude Code's own Bash tool: a command that answers,
           one that prints nothing, one that fails
  length   an answer cut off at the token limit
  error    HTTP 500

Every answer it gives is appended to the ground-truth log (JSON Lines, path in
argv[1]): the API, the scenario, the model asked for and the one answered, the
response id, the usage it reported (input tokens in OTel's sense: cache reads and
writes included) and the tool calls it asked for. The port it listens on is written
to argv[2] once it is ready. It serves until killed.
"""
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_PATH, PORT_PATH = sys.argv[1], sys.argv[2]
LOCK = threading.Lock()
COUNTER = [0]

TOOLS = {
    "weather": ("get_weather", {"city": "Paris"}, 1),
    "empty": ("lookup_order", {"order_id": "42"}, 1),
    "raise": ("charge_card", {"amount": 10}, 1),
    "loop": ("search_orders", {"q": "late"}, 3),
    # Claude Code runs its own tools: a shell command that answers, one that prints
    # nothing, one that fails.
    "ccshell": ("Bash", {"command": "echo sunny, 21 C", "description": "Get the weather"}, 1),
    "ccempty": ("Bash", {"command": "true", "description": "Look up order 42"}, 1),
    "ccfail": ("Bash", {"command": "exit 3", "description": "Charge the card"}, 1),
}
ANSWERS = {
    "weather": "It is sunny in Paris.",
    "empty": "Order 42 shipped yesterday and arrives tomorrow.",
    "raise": "I could not charge the card.",
    "loop": "I found no late orders.",
    "length": "The history of the Roman Empire begins with",
    "ccshell": "It is sunny in Paris.",
    "ccempty": "Order 42 shipped yesterday and arrives tomorrow.",
    "ccfail": "I could not charge the card.",
    "plain": "Hello there.",
}


def text_of(content):
    """The text of a message's content (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for p in content:
            if isinstance(p, dict):
                out.append(str(p.get("text") or p.get("content") or ""))
            else:
                out.append(str(p))
        return " ".join(out)
    return ""


def tag(messages, system, name, default):
    """The value of `[name:VALUE]` in the conversation's first message carrying it."""
    for text in [text_of(system)] + [text_of(m.get("content")) for m in messages]:
        found = re.search(r"\[" + name + r":([\w.-]+)\]", text)
        if found:
            return found.group(1)
    return default


def scenario_of(messages, system=""):
    return tag(messages, system, "scenario", "plain")


def run_of(messages, system=""):
    return tag(messages, system, "run", "")


def tool_results(messages):
    """How many tool results the conversation carries (both APIs' spellings)."""
    n = 0
    for m in messages:
        if m.get("role") == "tool":
            n += 1
        elif isinstance(m.get("content"), list):
            n += sum(1 for p in m["content"] if isinstance(p, dict) and p.get("type") == "tool_result")
    return n


def decide(scenario, done):
    """(tool call or None, answer text, finish) for the next answer."""
    if scenario in TOOLS:
        name, args, times = TOOLS[scenario]
        if done < times:
            return (name, args), None, "tool_calls"
    if scenario == "length":
        return None, ANSWERS["length"], "length"
    return None, ANSWERS.get(scenario, ANSWERS["plain"]), "stop"


def usage_for(messages, scenario, done):
    """Deterministic usage: input grows with the conversation; the weather scenario's
    second call reads 64 tokens from the cache."""
    size = sum(len(text_of(m.get("content"))) for m in messages)
    return {
        "input": 100 + size // 4 + 10 * len(messages),
        "output": 12 + 3 * done + (40 if scenario == "length" else 0),
        "cached": 64 if scenario == "weather" and done > 0 else 0,
    }


def log(entry):
    with LOCK:
        with open(LOG_PATH, "a") as f:
            f.write(json.dumps(entry) + "\n")


def next_id(prefix):
    with LOCK:
        COUNTER[0] += 1
        return f"{prefix}{COUNTER[0]:06d}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_sse(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, data, event=None):
        chunk = ""
        if event:
            chunk += f"event: {event}\n"
        chunk += f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n"
        self.wfile.write(chunk.encode())
        self.wfile.flush()

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad json"}})
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            return self.openai(req)
        if path.endswith("/messages"):
            return self.anthropic(req)
        if ":generateContent" in path or ":streamGenerateContent" in path:
            return self.gemini(req, path)
        return self.send_json(404, {"error": {"message": f"no route {path}"}})

    def openai(self, req):
        messages = req.get("messages") or []
        scenario = scenario_of(messages)
        done = tool_results(messages)
        model = req.get("model", "gpt-4o-mini")
        if scenario == "error":
            log({"api": "openai", "run": run_of(messages), "scenario": scenario, "model_requested": model, "status": 500})
            return self.send_json(500, {"error": {"message": "upstream overloaded", "type": "server_error"}})
        call, text, finish = decide(scenario, done)
        u = usage_for(messages, scenario, done)
        rid = next_id("chatcmpl-fake")
        answered = model + "-2024-07-18" if not model.endswith("-2024-07-18") else model
        usage = {
            "prompt_tokens": u["input"],
            "completion_tokens": u["output"],
            "total_tokens": u["input"] + u["output"],
            "prompt_tokens_details": {"cached_tokens": u["cached"]},
        }
        tool_calls = None
        if call:
            tool_calls = [{
                "id": next_id("call_"),
                "type": "function",
                "function": {"name": call[0], "arguments": json.dumps(call[1])},
            }]
        log({
            "api": "openai", "run": run_of(messages), "scenario": scenario, "model_requested": model, "model": answered,
            "response_id": rid, "status": 200, "stream": bool(req.get("stream")),
            "input_tokens": u["input"], "output_tokens": u["output"], "cache_read": u["cached"],
            "finish_reason": finish, "tool_calls": [[call[0], call[1]]] if call else [],
        })
        if not req.get("stream"):
            msg = {"role": "assistant", "content": text}
            if tool_calls:
                msg["tool_calls"] = tool_calls
            return self.send_json(200, {
                "id": rid, "object": "chat.completion", "created": int(time.time()), "model": answered,
                "choices": [{"index": 0, "message": msg, "finish_reason": finish, "logprobs": None}],
                "usage": usage,
            })
        self.start_sse()
        base = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time()), "model": answered}
        self.sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
        if tool_calls:
            tc = tool_calls[0]
            self.sse({**base, "choices": [{"index": 0, "delta": {"tool_calls": [{
                "index": 0, "id": tc["id"], "type": "function",
                "function": {"name": tc["function"]["name"], "arguments": ""}}]}, "finish_reason": None}]})
            self.sse({**base, "choices": [{"index": 0, "delta": {"tool_calls": [{
                "index": 0, "function": {"arguments": tc["function"]["arguments"]}}]}, "finish_reason": None}]})
        else:
            for word in re.findall(r"\S+\s*", text):
                self.sse({**base, "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]})
        self.sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (req.get("stream_options") or {}).get("include_usage"):
            self.sse({**base, "choices": [], "usage": usage})
        self.sse("[DONE]")

    def anthropic(self, req):
        messages = req.get("messages") or []
        scenario = scenario_of(messages, req.get("system") or "")
        done = tool_results(messages)
        model = req.get("model", "claude-3-5-haiku-latest")
        if scenario == "error":
            log({"api": "anthropic", "run": run_of(messages, req.get("system") or ""), "scenario": scenario, "model_requested": model, "status": 500})
            return self.send_json(500, {"type": "error", "error": {"type": "api_error", "message": "upstream overloaded"}})
        call, text, finish = decide(scenario, done)
        finish = {"tool_calls": "tool_use", "length": "max_tokens", "stop": "end_turn"}[finish]
        u = usage_for(messages, scenario, done)
        rid = next_id("msg_fake")
        # Anthropic's input_tokens exclude the cache; the log keeps OTel's sense.
        usage = {
            "input_tokens": u["input"] - u["cached"],
            "output_tokens": u["output"],
            "cache_read_input_tokens": u["cached"],
            "cache_creation_input_tokens": 0,
        }
        content = []
        if call:
            content.append({"type": "tool_use", "id": next_id("toolu_"), "name": call[0], "input": call[1]})
        else:
            content.append({"type": "text", "text": text})
        log({
            "api": "anthropic", "run": run_of(messages, req.get("system") or ""), "scenario": scenario, "model_requested": model, "model": model,
            "response_id": rid, "status": 200, "stream": bool(req.get("stream")),
            "input_tokens": u["input"], "output_tokens": u["output"], "cache_read": u["cached"],
            "finish_reason": finish, "tool_calls": [[call[0], call[1]]] if call else [],
        })
        # What became of the tools asked for last time (Claude Code runs its own).
        results = []
        if messages and isinstance(messages[-1].get("content"), list):
            for b in messages[-1]["content"]:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    results.append({"is_error": bool(b.get("is_error")),
                                    "content": text_of(b.get("content"))})
        if results:
            log({"api": "anthropic", "run": run_of(messages, req.get("system") or ""),
                 "scenario": scenario, "tool_results": results})
        message = {
            "id": rid, "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": finish, "stop_sequence": None, "usage": usage,
        }
        if not req.get("stream"):
            return self.send_json(200, message)
        self.start_sse()
        start = dict(message, content=[], stop_reason=None,
                     usage={**usage, "output_tokens": 1})
        self.sse({"type": "message_start", "message": start}, "message_start")
        block = content[0]
        if block["type"] == "tool_use":
            self.sse({"type": "content_block_start", "index": 0,
                      "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}},
                     "content_block_start")
            self.sse({"type": "content_block_delta", "index": 0,
                      "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}},
                     "content_block_delta")
        else:
            self.sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                     "content_block_start")
            for word in re.findall(r"\S+\s*", text):
                self.sse({"type": "content_block_delta", "index": 0,
                          "delta": {"type": "text_delta", "text": word}}, "content_block_delta")
        self.sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        self.sse({"type": "message_delta", "delta": {"stop_reason": finish, "stop_sequence": None},
                  "usage": {"output_tokens": u["output"]}}, "message_delta")
        self.sse({"type": "message_stop"}, "message_stop")


    def gemini(self, req, path):
        """Gemini's generateContent (google-genai, Google ADK): contents with text,
        functionCall and functionResponse parts; usage in usageMetadata, where the
        prompt count includes cached tokens (as OTel's input does)."""
        model = path.split("/models/")[-1].split(":")[0]
        contents = req.get("contents") or []
        messages = []
        done = 0
        for c in contents:
            parts = c.get("parts") or []
            done += sum(1 for p in parts if isinstance(p, dict) and "functionResponse" in p)
            messages.append({"role": c.get("role"), "content": " ".join(
                str(p.get("text", "")) for p in parts if isinstance(p, dict))})
        system = text_of((req.get("systemInstruction") or {}).get("parts") or [])
        scenario = scenario_of(messages, system)
        run = run_of(messages, system)
        if scenario == "error":
            log({"api": "gemini", "run": run, "scenario": scenario, "model_requested": model, "status": 500})
            return self.send_json(500, {"error": {"code": 500, "message": "upstream overloaded", "status": "INTERNAL"}})
        call, text, finish = decide(scenario, done)
        u = usage_for(messages, scenario, done)
        rid = next_id("gem-fake")
        finish = {"tool_calls": "STOP", "length": "MAX_TOKENS", "stop": "STOP"}[finish]
        log({
            "api": "gemini", "run": run, "scenario": scenario, "model_requested": model, "model": model,
            "response_id": rid, "status": 200, "stream": "stream" in path,
            "input_tokens": u["input"], "output_tokens": u["output"], "cache_read": u["cached"],
            "finish_reason": finish, "tool_calls": [[call[0], call[1]]] if call else [],
        })
        parts = [{"functionCall": {"name": call[0], "args": call[1]}}] if call else [{"text": text}]
        usage = {"promptTokenCount": u["input"], "candidatesTokenCount": u["output"],
                 "totalTokenCount": u["input"] + u["output"]}
        if u["cached"]:
            usage["cachedContentTokenCount"] = u["cached"]
        body = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
                "usageMetadata": usage, "modelVersion": model, "responseId": rid}
        if "streamGenerateContent" not in path:
            return self.send_json(200, body)
        self.start_sse()
        self.sse(body)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(PORT_PATH + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(PORT_PATH + ".tmp", PORT_PATH)
    server.serve_forever()


if __name__ == "__main__":
    main()
