"""MCP_REFUSED_CALLERS reaches the opt-in example too: `get_my_profile` can be refused a kind by name.

Built by the composition root (app_factory.build_app) with the example on, as function_app.py builds it.
"""

from __future__ import annotations

import azure.functions as func
import pytest

from app_factory import build_app
from auth import ConfigError, Settings
from obo.settings import OboSettings
from tests.obo.conftest import OboStack
from tests.support import FunctionHost, body_json, call_tool, list_tools


def _host(stack: OboStack, refused: str) -> FunctionHost:
    env = {**stack.env, "MCP_REFUSED_CALLERS": refused}
    settings = Settings.from_env(env)
    app = build_app(settings, None, obo_settings=OboSettings.from_env(env, settings))
    return FunctionHost(func.AsgiFunctionApp(app=app, http_auth_level=func.AuthLevel.ANONYMOUS))


def test_an_example_tool_is_refused_a_kind_by_name_and_left_out_of_its_list(obo_stack: OboStack):
    host = _host(obo_stack, "agent_for_user:get_my_profile")
    try:
        agent = obo_stack.idp.mint_agent_token("agent_for_user")
        listed = host.mcp(agent, list_tools())
        refused = host.mcp(agent, call_tool("get_my_profile"))
        user_listed = host.mcp(obo_stack.idp.mint_user_token(), list_tools())
    finally:
        host.close()

    assert [tool["name"] for tool in body_json(listed)["result"]["tools"]] == ["add", "subtract", "get_me"]
    assert (refused.status_code, body_json(refused)) == (
        403,
        {
            "error": "caller_kind_refused",
            "error_description": "This server does not accept agent_for_user callers for the tool get_my_profile",
        },
    )
    assert [tool["name"] for tool in body_json(user_listed)["result"]["tools"]] == ["add", "subtract", "get_me", "get_my_profile"]


def test_a_refusal_naming_a_tool_of_neither_server_stops_the_build(obo_stack: OboStack):
    with pytest.raises(ConfigError) as caught:
        _host(obo_stack, "app:multiply")

    assert caught.value.problems == [
        "MCP_REFUSED_CALLERS names no tool of this server: 'multiply' (tools: add, subtract, get_me, get_my_profile)"
    ]
