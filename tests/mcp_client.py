"""Drives `agtrace mcp` with the official MCP Python SDK (PyPI `mcp`): initialize, list
the tools, call each, and an invalid call; prints one JSON report for tests/mcp.rs.
Usage: python mcp_client.py AGTRACE_BINARY DUMP"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def answer(result):
    return json.loads(result.content[0].text)


async def main(binary, dump):
    params = StdioServerParameters(command=binary, args=["mcp", dump])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = sorted(t.name for t in (await session.list_tools()).tools)
            traces = answer(await session.call_tool("list_traces", {}))
            failed = answer(await session.call_tool("list_traces", {"filter": "status:error"}))
            tid = failed["traces"][0]["trace_id"]
            outline = answer(await session.call_tool("get_trace", {"trace_id": tid[:8]}))
            origin = outline["failure_origins"][0]
            detail = answer(await session.call_tool("get_span", {"span_id": origin["span_id"]}))
            answer(await session.call_tool("find", {"kind": "truncated"}))
            answer(await session.call_tool("stats", {"by": "model"}))
            error = ""
            try:
                bad = await session.call_tool("get_trace", {"trace_id": "not-hex"})
                # Some SDK versions return tool errors as results instead of raising.
                error = bad.content[0].text if bad.isError else ""
            except Exception as e:  # McpError carries the JSON-RPC error
                error = str(e)
            print(json.dumps({
                "tools": tools,
                "traces": traces["paging"]["total"],
                "failed": failed["paging"]["total"],
                "origin_reason": origin["reason"],
                "detail_chars": detail["paging"]["total_chars"],
                "error": error,
            }))


asyncio.run(main(sys.argv[1], sys.argv[2]))
