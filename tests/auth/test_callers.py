"""Caller kinds from Entra's agent claims ("Token claims reference for agents"), and the refusals setting."""

from __future__ import annotations

from typing import Any

import pytest

from auth import ConfigError, InvalidToken, Principal, Settings
from auth.callers import CALLER_KINDS, caller_kind, parent_app_id
from auth.refusals import CallerRefusals, read_refusals
from tests.support import app_claims, entra_env, user_claims

PARENT = "30cf4c22-9985-4ef7-8756-91cc888176bd"
# The page's own sample of an autonomous agent's token, its agent claims exactly as printed.
AUTONOMOUS_SAMPLE = {"idtyp": "app", "xms_act_fct": "3 9 11", "xms_sub_fct": "9 3 11", "xms_tnt_fct": "3 9",
                     "xms_idrel": "7 10", "xms_par_app_azp": PARENT}


@pytest.mark.parametrize(
    ("claims", "kind"),
    [
        (user_claims(), "user"),
        (app_claims(), "app"),
        (app_claims(**AUTONOMOUS_SAMPLE), "autonomous_agent"),
        # "Agent identity acting autonomously": `scp` "Empty or `/` (unscoped)".
        (app_claims(**AUTONOMOUS_SAMPLE, scp="/"), "autonomous_agent"),
        (app_claims(**AUTONOMOUS_SAMPLE, scp=""), "autonomous_agent"),
        # "Agent identity acting on behalf of a human user": idtyp user, actor facet 11.
        (user_claims(idtyp="user", xms_act_fct="11", xms_par_app_azp=PARENT), "agent_for_user"),
        # "... via agent's user account": subject facet 13.
        (user_claims(idtyp="user", xms_act_fct="11", xms_sub_fct="13", xms_par_app_azp=PARENT), "agent_user_account"),
        # No order promised, other values ignored, and a JSON array read alike.
        (user_claims(xms_act_fct="15 11 1", xms_sub_fct="1 13"), "agent_user_account"),
        (user_claims(xms_act_fct=[3, "11"]), "agent_for_user"),
        # Any one marker is enough, so an agent never passes for a plain user or app.
        (user_claims(xms_par_app_azp=PARENT), "agent_for_user"),
        (app_claims(xms_sub_fct="11"), "autonomous_agent"),
        (app_claims(xms_sub_fct="13"), "agent_user_account"),
        # Facet values that are not the agent's leave a user a user.
        (user_claims(xms_act_fct="3 9", xms_sub_fct="1"), "user"),
        (user_claims(xms_act_fct="111 1"), "user"),
    ],
)
def test_the_kind_follows_microsofts_scenarios(claims: dict[str, Any], kind: str):
    assert caller_kind(claims, claims.get("azp")) == kind


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"xms_act_fct": 11}, "malformed_xms_act_fct"),
        ({"xms_act_fct": "11 x"}, "malformed_xms_act_fct"),
        ({"xms_act_fct": "1\u00b9"}, "malformed_xms_act_fct"),  # superscript one: no ASCII digit
        ({"xms_sub_fct": [True]}, "malformed_xms_sub_fct"),
        ({"xms_sub_fct": {"13": 1}}, "malformed_xms_sub_fct"),
        ({"xms_par_app_azp": 7}, "malformed_xms_par_app_azp"),
        ({"xms_par_app_azp": "not-a-guid"}, "malformed_xms_par_app_azp"),
        ({"xms_par_app_azp": PARENT + "\n"}, "malformed_xms_par_app_azp"),
    ],
)
def test_a_malformed_agent_claim_rejects_the_token(claims: dict[str, Any], reason: str):
    with pytest.raises(InvalidToken) as caught:
        Principal.from_claims(user_claims(**claims), None)

    assert caught.value.reason == reason


def test_an_autonomous_agent_gets_its_roles_though_its_scp_is_a_slash():
    principal = Principal.from_claims(app_claims(**AUTONOMOUS_SAMPLE, scp="/", roles=["calculator.add"]), None)

    assert (principal.kind, principal.permissions, principal.parent_app_id) == (
        "autonomous_agent",
        frozenset({"calculator.add"}),
        PARENT,
    )


def test_the_parent_app_id_is_read_lower_case_and_only_from_its_claim():
    assert parent_app_id({"xms_par_app_azp": PARENT.upper()}) == PARENT
    assert parent_app_id(user_claims()) is None


@pytest.mark.parametrize(
    ("value", "refusals"),
    [
        ("autonomous_agent", CallerRefusals(frozenset({"autonomous_agent"}))),
        (
            " autonomous_agent : subtract , agent_user_account,agent_for_user:subtract ",
            CallerRefusals(
                frozenset({"agent_user_account"}), frozenset({("autonomous_agent", "subtract"), ("agent_for_user", "subtract")})
            ),
        ),
    ],
)
def test_refusals_are_read_per_tool_and_everywhere(value: str, refusals: CallerRefusals):
    problems: list[str] = []

    assert read_refusals(value, problems) == refusals
    assert problems == []


def test_a_refusal_applies_to_its_tool_only():
    problems: list[str] = []
    refusals = read_refusals("autonomous_agent:subtract,app", problems)

    refused = {(kind, tool) for kind in CALLER_KINDS for tool in ("add", "subtract") if refusals.refuses(kind, tool)}
    assert refused == {("autonomous_agent", "subtract"), ("app", "add"), ("app", "subtract")}


def test_every_bad_entry_is_named_at_start_up():
    env = entra_env("http://127.0.0.1:1/keys", MCP_REFUSED_CALLERS="robot:add, autonomous_agent:, user:a b,app")

    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)

    assert caught.value.problems == [
        "MCP_REFUSED_CALLERS entry 'robot:add' must start with a caller kind "
        "(user, app, agent_for_user, autonomous_agent, agent_user_account)",
        "MCP_REFUSED_CALLERS entry 'autonomous_agent:' must be a caller kind, or kind:tool",
        "MCP_REFUSED_CALLERS entry 'user:a b' must be a caller kind, or kind:tool",
    ]


def test_a_setting_that_lists_nothing_is_refused():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(entra_env("http://127.0.0.1:1/keys", MCP_REFUSED_CALLERS=" , "))

    assert caught.value.problems == ["MCP_REFUSED_CALLERS must list caller kinds, or kind:tool entries"]


def test_unset_refuses_nothing_and_settings_stay_hashable():
    settings = Settings.from_env(entra_env("http://127.0.0.1:1/keys"))
    refusing = Settings.from_env(entra_env("http://127.0.0.1:1/keys", MCP_REFUSED_CALLERS="app:add,user"))

    assert (bool(settings.refused_callers), settings.refused_callers) == (False, CallerRefusals())
    assert len({settings, refusing}) == 2


def test_a_tool_the_server_lacks_refuses_the_build():
    from mcp_tools import build_server

    settings = Settings.from_env(entra_env("http://127.0.0.1:1/keys", MCP_REFUSED_CALLERS="app:multiply,user:add"))

    with pytest.raises(ConfigError) as caught:
        build_server(refusals=settings.refused_callers)

    assert str(caught.value) == (
        "invalid configuration: MCP_REFUSED_CALLERS names no tool of this server: 'multiply' (tools: add, subtract, get_me)"
    )
