"""PLAYGROUND_MCP=1 serves the public endpoints as MCP tools, described by their docstrings."""
import json
import urllib.request


def test_the_switch_turns_the_mcp_server_on(monkeypatch):
    from playground.ui import launch_kwargs
    monkeypatch.delenv("PLAYGROUND_MCP", raising=False)
    assert launch_kwargs()["mcp_server"] is False
    monkeypatch.setenv("PLAYGROUND_MCP", "1")
    assert launch_kwargs()["mcp_server"] is True


def test_mcp_server_lists_the_tools(app_url):
    """The session's app runs with PLAYGROUND_MCP=1 (conftest): no second launch for this."""
    with urllib.request.urlopen(f"{app_url}/gradio_api/mcp/schema", timeout=30) as r:
        tools = {t["name"]: t for t in json.loads(r.read())}
    names = " ".join(tools)
    for endpoint in ("sample_grid", "sample_class", "generate_text"):
        assert endpoint in names, f"{endpoint} is not an MCP tool: {names}"
    grid_tool = next(t for name, t in tools.items() if "sample_grid" in name)
    assert "temperature" in json.dumps(grid_tool).lower()
