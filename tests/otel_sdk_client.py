"""Sends one GenAI agent run (agent -> chat -> failed tool call) with the real
OpenTelemetry Python SDK and its OTLP exporter (protobuf over HTTP, or gRPC) to
ENDPOINT, then flushes. Usage: python otel_sdk_client.py http|grpc http://127.0.0.1:PORT"""
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

protocol, endpoint = sys.argv[1], sys.argv[2].rstrip("/")
if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=endpoint + "/v1/traces")
provider = TracerProvider(resource=Resource.create({"service.name": "sdk-agent"}))
provider.add_span_processor(BatchSpanProcessor(exporter))
tracer = provider.get_tracer("agent.sdk.test", "1.0")

with tracer.start_as_current_span("invoke_agent support", attributes={
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": "support",
    "gen_ai.conversation.id": "conv-sdk-1",
}):
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
    }):
        pass
    with tracer.start_as_current_span("execute_tool refund", attributes={
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "refund",
        "gen_ai.tool.call.arguments": '{"order": 1}',
    }) as tool:
        tool.set_status(Status(StatusCode.ERROR, "declined"))

provider.force_flush()
provider.shutdown()
