"""The pure core: header checks, signature, and each claim rule against an injected `now`."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from jwt import PyJWK

from auth import InvalidToken, Settings, TokenExpired
from auth.claims import client_id_of, read_header, validate_claims, validate_key_issuer, validate_lifetime, verify_signature
from tests.support import (
    APP_ID_URI,
    CLIENT_ID,
    DROP,
    GATEWAY_CLIENT_ID,
    ISSUER_V1,
    ISSUER_V2,
    OTHER_TENANT_ID,
    TENANT_ID,
    V1_CLIENT,
    SigningKey,
    app_claims,
    mint,
    raw_token,
    user_claims,
)

NOW = 1_800_000_000
SETTINGS = Settings.from_env(
    {"OAUTH_ISSUER": ISSUER_V2, "OAUTH_AUDIENCE": CLIENT_ID, "OAUTH_JWKS_URI": "https://keys.example/keys"}
)
OKTA = Settings.from_env(
    {
        "OAUTH_ISSUER": "https://contoso.okta.com/oauth2/default",
        "OAUTH_AUDIENCE": "api://mcp-calculator",
        "OAUTH_JWKS_URI": "https://contoso.okta.com/oauth2/default/v1/keys",
    }
)
KEY = SigningKey.generate("k1")


def at_now(**overrides: Any) -> dict[str, Any]:
    return user_claims(**{"iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 3600, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="v2-user"),
        pytest.param({"iss": ISSUER_V1, "aud": APP_ID_URI, "ver": "1.0", **V1_CLIENT}, id="v1-app-id-uri"),
        pytest.param({"iss": ISSUER_V1, "aud": CLIENT_ID, "ver": "1.0", **V1_CLIENT}, id="v1-client-id"),
        pytest.param({"exp": NOW - 59}, id="expired-within-leeway"),
        pytest.param({"nbf": NOW + 59}, id="nbf-within-leeway"),
        pytest.param({"iat": NOW + 59}, id="iat-within-leeway"),
        pytest.param({"nbf": DROP}, id="nbf-is-optional"),
        pytest.param({"aud": ["https://other.example", CLIENT_ID]}, id="aud-list-containing-us"),
        pytest.param({"tid": TENANT_ID.upper()}, id="tid-case-insensitive"),
        pytest.param({"scp": DROP, "roles": ["calculator.add"]}, id="app-roles-only"),
    ],
)
def test_acceptable_claims_pass(overrides: dict[str, Any]):
    assert validate_claims(at_now(**overrides), SETTINGS, now=NOW) is None


@pytest.mark.parametrize(
    ("overrides", "error", "reason"),
    [
        ({"exp": DROP}, InvalidToken, "missing_exp"),
        ({"iat": DROP}, InvalidToken, "missing_iat"),
        ({"iss": DROP}, InvalidToken, "missing_iss"),
        ({"aud": DROP}, InvalidToken, "missing_aud"),
        ({"exp": NOW - 60}, TokenExpired, "expired"),
        ({"exp": "1800003600"}, InvalidToken, "malformed_exp"),
        ({"exp": True}, InvalidToken, "malformed_exp"),
        ({"nbf": NOW + 61}, InvalidToken, "not_yet_valid"),
        ({"iat": NOW + 61}, InvalidToken, "issued_in_future"),
        ({"iss": ISSUER_V2 + "/"}, InvalidToken, "bad_issuer"),
        ({"iss": ISSUER_V2 + ".evil.example"}, InvalidToken, "bad_issuer"),
        ({"iss": "https://evil.example/" + ISSUER_V2}, InvalidToken, "bad_issuer"),
        ({"iss": ISSUER_V2.upper()}, InvalidToken, "bad_issuer"),
        ({"iss": [ISSUER_V2]}, InvalidToken, "bad_issuer"),
        ({"iss": f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0"}, InvalidToken, "bad_issuer"),
        ({"tid": OTHER_TENANT_ID}, InvalidToken, "tenant_mismatch"),
        ({"tid": DROP}, InvalidToken, "tenant_mismatch"),
        ({"aud": APP_ID_URI}, InvalidToken, "bad_audience"),  # v2 tokens always carry the client id
        ({"aud": "00000003-0000-0000-c000-000000000000"}, InvalidToken, "bad_audience"),  # Microsoft Graph
        ({"aud": "https://graph.microsoft.com"}, InvalidToken, "bad_audience"),
        ({"aud": [CLIENT_ID + "x"]}, InvalidToken, "bad_audience"),
        ({"aud": {"id": CLIENT_ID}}, InvalidToken, "bad_audience"),
        ({"iss": ISSUER_V1, "aud": "api://someone-else"}, InvalidToken, "bad_audience"),
        ({"scp": DROP}, InvalidToken, "not_an_access_token"),  # neither delegated nor application permissions
        ({"nonce": "n-0S6_WzA2Mj"}, InvalidToken, "nonce_present"),  # OIDC Core §2: an ID token's claim
        ({"scp": DROP, "azp": DROP, "nonce": "n", "roles": ["calculator.subtract"]}, InvalidToken, "nonce_present"),
        ({"scp": DROP, "azp": DROP, "roles": ["calculator.subtract"]}, InvalidToken, "missing_client_id"),
        ({"azp": DROP}, InvalidToken, "missing_client_id"),
        ({"azp": ""}, InvalidToken, "missing_client_id"),
        ({"azp": 7}, InvalidToken, "missing_client_id"),
        ({"azp": DROP, "appid": GATEWAY_CLIENT_ID}, InvalidToken, "missing_client_id"),  # appid is v1's
        ({"azp": DROP, "cid": GATEWAY_CLIENT_ID}, InvalidToken, "missing_client_id"),  # cid is Okta's
        ({"azp": DROP, "client_id": GATEWAY_CLIENT_ID}, InvalidToken, "missing_client_id"),  # not Entra's
        ({"iss": ISSUER_V1, "aud": APP_ID_URI, "ver": "1.0"}, InvalidToken, "missing_client_id"),  # azp is v2's
    ],
    ids=lambda value: None if isinstance(value, dict) else str(getattr(value, "__name__", value)),
)
def test_each_claim_rule_rejects_with_its_reason(overrides: dict[str, Any], error: type[Exception], reason: str):
    with pytest.raises(error) as caught:
        validate_claims(at_now(**overrides), SETTINGS, now=NOW)
    assert caught.value.reason == reason


NON_FINITE_OR_INSANE = [float("nan"), float("inf"), -float("inf"), 10**400, -(10**400), 1e308, -1, 253402300800]


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", NON_FINITE_OR_INSANE, ids=["nan", "inf", "-inf", "10**400", "-10**400", "1e308", "-1", "year-10000"])
def test_time_claims_must_be_finite_numeric_dates_in_range(name: str, value: float):
    # RFC 7519 §2 NumericDate; validate_lifetime is also what re-judges a cached verification.
    for check in (lambda: validate_claims(at_now(**{name: value}), SETTINGS, now=NOW), lambda: validate_lifetime(at_now(**{name: value}), now=NOW)):
        with pytest.raises(InvalidToken) as caught:
            check()
        assert caught.value.reason == f"malformed_{name}"
        assert not isinstance(caught.value, TokenExpired)


@pytest.mark.parametrize("value", [0, 1.5, NOW, 253402300799])
def test_numeric_dates_at_the_ends_of_the_range_are_judged_by_their_rule(value: float):
    def reason(**claims: float) -> str | None:
        try:
            validate_lifetime(at_now(**claims), now=NOW, leeway=0)
        except InvalidToken as error:
            return error.reason
        return None

    assert reason(exp=value) == ("expired" if value <= NOW else None)
    assert reason(nbf=value) == ("not_yet_valid" if value > NOW else None)
    assert reason(iat=value) == ("issued_in_future" if value > NOW else None)


def test_other_issuers_match_issuer_and_audience_exactly_and_need_no_tenant():
    claims = at_now(iss="https://contoso.okta.com/oauth2/default", aud="api://mcp-calculator", tid=DROP, azp=DROP, cid="0oa1gateway")
    assert validate_claims(claims, OKTA, now=NOW) is None

    with pytest.raises(InvalidToken) as caught:
        validate_claims({**claims, "aud": CLIENT_ID}, OKTA, now=NOW)
    assert caught.value.reason == "bad_audience"


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        ({"client_id": "s6BhdRkqt3"}, "s6BhdRkqt3"),  # RFC 9068 §2.2
        ({"cid": "0oa1gateway"}, "0oa1gateway"),  # Okta
        ({"azp": "keycloak-gateway"}, "keycloak-gateway"),  # Keycloak, Auth0
        ({"client_id": "s6BhdRkqt3", "cid": "0oa1gateway"}, "s6BhdRkqt3"),
        ({"client_id": "s6BhdRkqt3", "azp": "s6BhdRkqt3"}, "s6BhdRkqt3"),
    ],
)
def test_other_issuers_name_the_client_in_client_id_azp_or_cid(client: dict[str, Any], expected: str):
    claims = {**at_now(iss="https://contoso.okta.com/oauth2/default", aud="api://mcp-calculator", tid=DROP, azp=DROP), **client}

    assert validate_claims(claims, OKTA, now=NOW) is None
    assert client_id_of(claims, OKTA) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, GATEWAY_CLIENT_ID, id="v2-azp"),
        pytest.param({"iss": ISSUER_V1, "ver": "1.0", "azp": DROP, "appid": "v1-client"}, "v1-client", id="v1-appid"),
        pytest.param({"iss": ISSUER_V1, "ver": "1.0", "appid": "v1-client"}, "v1-client", id="v1-appid-beside-azp"),
        pytest.param({"appid": "v1-client"}, GATEWAY_CLIENT_ID, id="v2-azp-beside-appid"),
    ],
)
def test_entra_reads_the_client_of_the_token_version(overrides: dict[str, Any], expected: str):
    assert client_id_of(at_now(**overrides), SETTINGS) == expected


@pytest.mark.parametrize("client", [{}, {"appid": "c1"}, {"client_id": 7}, {"cid": ""}, {"azp": ["c1"]}])
def test_other_issuers_refuse_a_token_naming_no_client(client: dict[str, Any]):
    claims = {**at_now(iss="https://contoso.okta.com/oauth2/default", aud="api://mcp-calculator", tid=DROP, azp=DROP), **client}

    with pytest.raises(InvalidToken) as caught:
        validate_claims(claims, OKTA, now=NOW)
    assert caught.value.reason == "missing_client_id"


def test_app_only_token_without_scp_is_an_access_token():
    assert validate_claims(app_claims(iat=NOW, exp=NOW + 60), SETTINGS, now=NOW) is None


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"kid": None}, "missing_kid"),
        ({"kid": ""}, "missing_kid"),
        ({"kid": "k" * 129}, "malformed_kid"),
        ({"kid": "k1\r\nX-Injected: 1"}, "malformed_kid"),
        ({"kid": "k1\n"}, "malformed_kid"),
        ({"kid": "k 1"}, "malformed_kid"),
    ],
)
def test_header_checks_need_no_key(header: dict[str, Any], reason: str):
    token = mint(KEY, at_now(), **header)

    with pytest.raises(InvalidToken) as caught:
        read_header(token)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "RS256", "kid": 7}, "malformed_token"),  # PyJWT: kid must be a string
        ({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1}, "malformed_token"),  # PyJWT: unknown extension
        ({"alg": "none", "kid": "k1"}, "alg_not_allowed"),
        ({"alg": "None", "kid": "k1"}, "alg_not_allowed"),
        ({"kid": "k1"}, "alg_not_allowed"),
    ],
)
def test_hand_made_headers_are_refused(header: dict[str, Any], reason: str):
    with pytest.raises(InvalidToken) as caught:
        read_header(raw_token(header, at_now()))
    assert caught.value.reason == reason


def test_crit_is_refused_even_for_extensions_pyjwt_understands():
    # RFC 7797 `b64` is an extension PyJWT knows (with a detached, empty payload segment);
    # we accept no `crit` at all (RFC 7515 §4.1.11).
    header = raw_token({"alg": "RS256", "kid": "k1", "crit": ["b64"], "b64": False}, {}).split(".")[0]

    with pytest.raises(InvalidToken) as caught:
        read_header(f"{header}..c2ln")
    assert caught.value.reason == "crit_header"


@pytest.mark.parametrize("algorithm", ["HS256", "PS256", "RS512"])
def test_only_rs256_is_allowed(algorithm: str):
    key: Any = "a-shared-secret-of-sufficient-length!!" if algorithm == "HS256" else KEY.private
    token = jwt.encode(at_now(), key, algorithm=algorithm, headers={"kid": KEY.kid})

    with pytest.raises(InvalidToken) as caught:
        read_header(token)
    assert caught.value.reason == "alg_not_allowed"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???.***", "eyJhbGciOiJSUzI1NiJ9"])
def test_garbage_is_malformed(token: str):
    with pytest.raises(InvalidToken) as caught:
        read_header(token)
    assert caught.value.reason == "malformed_token"


def test_header_is_returned_with_its_kid():
    assert read_header(mint(KEY, at_now()))["kid"] == "k1"


def test_signature_verifies_only_with_the_signing_key():
    token = mint(KEY, at_now())
    claims, key = verify_signature(token, [PyJWK(KEY.jwk())])
    assert (claims["sub"], key.key_id) == ("user-subject-1", "k1")

    impostor = SigningKey.generate("k1")
    with pytest.raises(InvalidToken) as caught:
        verify_signature(token, [PyJWK(impostor.jwk())])
    assert caught.value.reason == "bad_signature"


def test_each_candidate_key_is_tried_and_the_one_that_verified_is_returned():
    impostor, other = SigningKey.generate("k1"), SigningKey.generate("k1")
    candidates = [PyJWK(impostor.jwk()), PyJWK(KEY.jwk())]

    claims, key = verify_signature(mint(KEY, at_now()), candidates)

    assert key is candidates[1]
    with pytest.raises(InvalidToken) as caught:
        verify_signature(mint(other, at_now()), candidates)
    assert caught.value.reason == "bad_signature"


def test_a_tampered_payload_fails_the_signature():
    header, _, signature = mint(KEY, at_now()).split(".")
    forged_payload = jwt.utils.base64url_encode(jwt.api_jwt.json.dumps(at_now(scp="calculator.add calculator.subtract admin")).encode()).decode()

    with pytest.raises(InvalidToken) as caught:
        verify_signature(f"{header}.{forged_payload}.{signature}", [PyJWK(KEY.jwk())])
    assert caught.value.reason == "bad_signature"


# --- the signing key's issuer ("Access tokens in the Microsoft identity platform", *Validate the signing key issuer*) ---

TEMPLATED = "https://login.microsoftonline.com/{tenantid}/v2.0"
MULTI = Settings.from_env(
    {
        "OAUTH_ISSUER": "https://login.microsoftonline.com/organizations/v2.0",
        "OAUTH_AUDIENCE": CLIENT_ID,
        "OAUTH_JWKS_URI": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
        "OAUTH_ALLOWED_TENANTS": f"{TENANT_ID},{OTHER_TENANT_ID}",
    }
)


@pytest.mark.parametrize(
    "key_issuer",
    [None, ISSUER_V2, TEMPLATED, "https://login.microsoftonline.com/{TenantId}/v2.0"],
    ids=["no-issuer", "concrete", "template", "template-any-case"],
)
def test_a_key_tied_to_the_tokens_issuer_or_to_none_passes(key_issuer: str | None):
    claims = at_now()
    validate_claims(claims, SETTINGS, NOW)
    validate_key_issuer(claims, key_issuer, SETTINGS)  # raises on refusal


@pytest.mark.parametrize(
    ("key_issuer", "claims"),
    [
        (f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0", user_claims()),
        ("https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", user_claims()),
        ("https://login.microsoftonline.us/{tenantid}/v2.0", user_claims()),
        (TEMPLATED + "/", user_claims()),
        (TEMPLATED, user_claims(tid=DROP)),
        (TEMPLATED, user_claims(tid="not-a-guid")),
        ("https://contoso.okta.com/oauth2/default", user_claims()),
    ],
    ids=["other-tenant", "consumers-key", "other-cloud", "trailing-slash", "template-no-tid", "template-bad-tid", "other-issuer"],
)
def test_a_key_published_for_another_issuer_cannot_vouch_for_the_token(key_issuer: str, claims: dict[str, Any]):
    with pytest.raises(InvalidToken) as caught:
        validate_key_issuer(claims, key_issuer, SETTINGS)
    assert caught.value.reason == "key_issuer_mismatch"


def test_the_template_takes_each_tokens_own_tenant():
    mine = user_claims(iss=f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0", tid=OTHER_TENANT_ID)
    validate_key_issuer(mine, TEMPLATED, MULTI)

    confused = user_claims(iss=f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0", tid=TENANT_ID)
    with pytest.raises(InvalidToken) as caught:
        validate_key_issuer(confused, TEMPLATED, MULTI)
    assert caught.value.reason == "key_issuer_mismatch"


def test_a_v1_token_is_held_to_the_v2_issuer_of_its_own_tenant_and_cloud():
    # Only the v2.0 keys document carries `issuer`; a v1.0 token verified by one of its keys is held
    # to the v2.0 issuer of the same tenant, as Microsoft.IdentityModel.Validators does.
    v1 = user_claims(iss=ISSUER_V1, aud=APP_ID_URI, ver="1.0", **V1_CLIENT)
    for key_issuer in (TEMPLATED, ISSUER_V2):
        validate_key_issuer(v1, key_issuer, SETTINGS)
    for key_issuer in (f"https://login.microsoftonline.com/{OTHER_TENANT_ID}/v2.0", "https://login.microsoftonline.us/{tenantid}/v2.0"):
        with pytest.raises(InvalidToken) as caught:
            validate_key_issuer(v1, key_issuer, SETTINGS)
        assert caught.value.reason == "key_issuer_mismatch"


def test_okta_keys_name_no_issuer_and_are_not_tied():
    claims = {"iss": "https://contoso.okta.com/oauth2/default", "aud": "api://mcp-calculator", "cid": "0oa1", "scp": ["a"]}
    validate_key_issuer(claims, None, OKTA)
    validate_key_issuer(claims, "https://contoso.okta.com/oauth2/default", OKTA)
