"""PLAYGROUND_MCP=1 serves the public endpoints as MCP tools, described by their docstrings."""
import json
import urllib.request

from playground.bench import free_port


def test_mcp_server_lists_the_tools(backend, monkeypatch):
    from playground.ui import build_demo, launch_kwargs
    monkeypatch.setenv("PLAYGROUND_MCP", "1")
    kwargs = launch_kwargs()
    assert kwargs["mcp_server"] is True
    demo = build_demo(backend)
    demo.launch(**(kwargs | {"server_port": free_port(), "prevent_thread_lock": True, "quiet": True}))
    try:
        with urllib.request.urlopen(f"{demo.local_url.rstrip('/')}/gradio_api/mcp/schema", timeout=30) as r:
            tools = {t["name"]: t for t in json.loads(r.read())}
        names = " ".join(tools)
        for endpoint in ("sample_grid", "sample_class", "generate_text"):
            assert endpoint in names, f"{endpoint} is not an MCP tool: {names}"
        grid_tool = next(t for name, t in tools.items() if "sample_grid" in name)
        assert "temperature" in json.dumps(grid_tool).lower()
    finally:
        demo.close()
