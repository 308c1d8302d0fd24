"""The opt-in on-behalf-of example: a tool that calls a downstream API as the signed-in user.

Off by default (OBO_EXAMPLE=on turns it on), so the default tool list stays add, subtract
and get_me. Imported only when it is on. See docs/downstream.md.
"""
