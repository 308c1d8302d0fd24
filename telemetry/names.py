"""Every name this app records: span names, metric names and attribute keys, in one place.

Where OpenTelemetry's semantic conventions name a thing, that name is used: HTTP server spans
(`http.request.method`, `http.route`, `http.response.status_code`, `error.type`), the MCP
conventions, now in the GenAI semantic-conventions repository (`mcp.method.name`,
`gen_ai.tool.name`, the `mcp.server.operation.duration` histogram), and `user.id`.
Authorization has no convention yet; its names follow the same style under `mcp.auth.*`
(the resource server's view of the caller) and `mcp.front.*` / `oauth.*` (the OAuth front).
docs/operations.md documents each.
"""

from __future__ import annotations

from typing import Final

# Instrumentation scope (the "library" that records): one for this app's own spans and metrics.
SCOPE: Final = "mcp-calculator"

# --- span names ----------------------------------------------------------------------------
#: One fetch of the signing keys by auth/keys.py, an INTERNAL span (with the Azure Monitor distro,
#: its urllib instrumentation adds the GET as a CLIENT span beneath it).
JWKS_SPAN: Final = "jwks refresh"

# --- HTTP semantic conventions (stable) ------------------------------------------------------
HTTP_METHOD: Final = "http.request.method"
HTTP_ROUTE: Final = "http.route"
HTTP_STATUS: Final = "http.response.status_code"
URL_SCHEME: Final = "url.scheme"
ERROR_TYPE: Final = "error.type"

# --- MCP semantic conventions (GenAI repository), as the SDK's own span records them ---------
MCP_METHOD: Final = "mcp.method.name"
TOOL_NAME: Final = "gen_ai.tool.name"

# --- general registry ------------------------------------------------------------------------
#: The caller's object id (`oid`): recorded only with MCP_TELEMETRY_RECORD_USER_ID=on.
USER_ID: Final = "user.id"

# --- authorization at the resource server (this app's own, in the conventions' style) ---------
AUTH_OUTCOME: Final = "mcp.auth.outcome"  # "allowed" | "refused"
AUTH_REASON: Final = "mcp.auth.reason"  # the reason code of the log line, on refusal only
AUTH_CALLER_KIND: Final = "mcp.auth.caller.kind"  # auth.callers.CallerKind: "user", "app" or an agent kind
AUTH_TENANT_ID: Final = "mcp.auth.tenant.id"  # `tid`
AUTH_CLIENT_ID: Final = "mcp.auth.client.id"  # `azp` / `appid` / `client_id`: an application, not a person
AUTH_PARENT_APP_ID: Final = "mcp.auth.client.parent_id"  # an agent's parent application (`xms_par_app_azp`)
CORRELATION_ID: Final = "mcp.correlation_id"  # the x-correlation-id the log lines carry
JWKS_OUTCOME: Final = "mcp.auth.jwks.outcome"  # "ok" or the failure's reason code
JWKS_TRIGGER: Final = "mcp.auth.jwks.trigger"  # "request" (a key miss) | "background"
JWKS_KEYS: Final = "mcp.auth.jwks.keys"  # keys held after the fetch
#: "ok", "tool_error" (the tool's result has isError), "error" (a JSON-RPC error or a 5xx),
#: "refused" (by auth) or "rejected" (before the SDK: Origin, method, size, Host, JSON, envelope)
REQUEST_OUTCOME: Final = "mcp.request.outcome"

# --- the OAuth front -------------------------------------------------------------------------
CLIENT_KIND: Final = "oauth.client.kind"  # "cimd" | "dcr" | "unknown"
CLIENT_ID: Final = "oauth.client.id"  # a CIMD client's document URL, on spans only; never a DCR id
GRANT_TYPE: Final = "oauth.grant_type"  # "authorization_code" | "refresh_token" | "other"
FRONT_ENDPOINT: Final = "mcp.front.endpoint"  # "authorize" | "consent" | "callback" | "token" | "register"
FRONT_OUTCOME: Final = "mcp.front.outcome"  # "ok" | "refused"
FRONT_ERROR: Final = "mcp.front.error"  # the RFC 6749 error code of a refusal
FRONT_REASON: Final = "mcp.front.reason"  # the reason code of the refusal's log line

# --- metrics ---------------------------------------------------------------------------------
#: MCP semantic conventions' name: each POST /mcp from arrival to answer, in seconds, by method,
#: tool, REQUEST_OUTCOME and error.type; its count is the request count.
OPERATION_DURATION: Final = "mcp.server.operation.duration"
AUTH_REFUSALS: Final = "mcp.auth.refusals"
JWKS_REFRESHES: Final = "mcp.auth.jwks.refreshes"
FRONT_SIGN_INS: Final = "mcp.front.sign_ins"
FRONT_TOKEN_GRANTS: Final = "mcp.front.token_grants"
FRONT_REFUSALS: Final = "mcp.front.refusals"


# The semantic conventions' advice for HTTP and MCP durations, in seconds.
DURATION_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
