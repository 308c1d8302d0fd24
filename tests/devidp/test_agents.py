"""Agent identities' tokens, shaped as "Token claims reference for agents" shows each scenario."""

from __future__ import annotations

import pytest

from devidp import DevIdentityProvider, agent_user, defaults
from tests.devidp.flows import client_credentials, get_code, pkce_pair, redeem, verified_claims

AGENT = defaults.DEV_AGENT_CLIENT_ID
SECRET = defaults.DEV_AGENT_CLIENT_SECRET
PARENT = defaults.DEV_AGENT_BLUEPRINT_ID
API = f"api://{defaults.DEV_API_CLIENT_ID}"
AGENT_CLAIMS = ("idtyp", "xms_idrel", "xms_act_fct", "xms_sub_fct", "xms_tnt_fct", "xms_par_app_azp")


def _agent_part(claims: dict[str, object]) -> dict[str, object]:
    return {name: claims[name] for name in AGENT_CLAIMS if name in claims}


def test_client_credentials_as_an_agent_identity_give_an_autonomous_agents_token(idp: DevIdentityProvider):
    response = client_credentials(idp, f"{API}/.default", client_id=AGENT, client_secret=SECRET)

    assert response.status_code == 200, response.text
    claims = verified_claims(idp, response.json()["access_token"])
    sp = idp.clients[AGENT].service_principal_oid
    # "Agent identity acting autonomously": idtyp app, xms_idrel 7, facets as the page's sample prints them.
    assert _agent_part(claims) == {
        "idtyp": "app",
        "xms_idrel": "7",
        "xms_act_fct": "3 9 11",
        "xms_sub_fct": "9 3 11",
        "xms_tnt_fct": "3 9",
        "xms_par_app_azp": PARENT,
    }
    assert (claims["azp"], claims["oid"], claims["sub"], claims["roles"]) == (AGENT, sp, sp, list(defaults.API_SCOPES))
    assert "scp" not in claims


def test_the_code_flow_with_an_agent_identity_gives_a_token_for_the_person(idp: DevIdentityProvider):
    verifier, _ = pkce_pair()
    code = get_code(idp, f"{API}/calculator.add", verifier, client_id=AGENT)
    response = redeem(idp, code, verifier, client_id=AGENT, client_secret=SECRET)

    assert response.status_code == 200, response.text
    claims = verified_claims(idp, response.json()["access_token"])
    person = idp.users["dev.user@contoso.test"]
    # "Agent identity acting on behalf of a human user": idtyp user, actor facet 11, the user's oid.
    assert _agent_part(claims) == {"idtyp": "user", "xms_idrel": "1", "xms_act_fct": "11", "xms_par_app_azp": PARENT}
    assert (claims["azp"], claims["oid"], claims["scp"]) == (AGENT, person.oid, "calculator.add")


@pytest.mark.parametrize("version", [1, 2])
def test_the_agents_user_account_says_so_in_the_subject_facet(idp: DevIdentityProvider, version: int):
    claims = verified_claims(idp, idp.mint_agent_token("agent_user_account", ["calculator.add"], version=version))  # type: ignore[arg-type]

    # "Agent identity acts autonomously via agent's user account": subject facet 13, its own oid.
    assert _agent_part(claims) == {
        "idtyp": "user",
        "xms_idrel": "1",
        "xms_act_fct": "11",
        "xms_sub_fct": "13",
        "xms_par_app_azp": PARENT,
    }
    assert (claims["oid"], claims["scp"]) == (agent_user().oid, "calculator.add")
    assert claims["appid" if version == 1 else "azp"] == AGENT


def test_other_clients_tokens_carry_no_agent_claim(idp: DevIdentityProvider):
    for token in (idp.mint_user_token(), idp.mint_app_token()):
        assert _agent_part(verified_claims(idp, token)).keys() <= {"idtyp"}


def test_only_an_agent_identity_mints_agent_tokens(idp: DevIdentityProvider):
    with pytest.raises(ValueError, match="is not an agent identity"):
        idp.mint_agent_token("autonomous_agent", client_id=defaults.DEV_APP_CLIENT_ID)
