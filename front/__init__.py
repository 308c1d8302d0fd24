"""The OAuth front: an opt-in, stateless authorization server in front of Entra (or any issuer).

Imported only when OAUTH_FRONT is on (function_app.py), so with it off the cold
start and the /mcp path pay nothing for it. See docs/direct-clients.md.
"""
