"""Every failure that carries a reason code carries it the same way: one base, auth.errors.Failure (STYLE 12)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import REPO

PRODUCT = ("auth", "edge", "front", "web", "mcp_tools")


def _reason_assignments() -> list[str]:
    """Every `self.reason = …` in product code, as path:line."""
    found = []
    for package in PRODUCT:
        for path in sorted((Path(REPO) / package).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == "reason" and isinstance(target.value, ast.Name) and target.value.id == "self":
                        found.append(f"{package}/{path.name}:{node.lineno}")
    return found


def test_only_the_base_failure_stores_a_reason():
    (where,) = _reason_assignments()

    assert where.startswith("auth/errors.py:")


def test_each_reasoned_failure_is_a_failure_with_its_code():
    from auth import Failure, InsufficientScope, KeysUnavailable
    from auth.fetch import FetchError
    from auth.jwks import JwksFetchError
    from front.clients import UnknownClient
    from front.errors import InvalidGrant, UpstreamError
    from front.fetch import DocumentRefused
    from front.sealing import Expired, Unreadable, WrongPurpose
    from front.upstream import UpstreamUnavailable

    failures = [
        FetchError("http_404"), JwksFetchError("jwks_not_json"), UnknownClient("document_not_json"), DocumentRefused("private_address"),
        UpstreamUnavailable("managed_identity"), Unreadable(), Expired(), WrongPurpose(), InsufficientScope("calculator.add"),
        KeysUnavailable("jwks_unreachable", retry_after=30), InvalidGrant("The code is invalid", reason="code_expired"),
        UpstreamError("access_denied\n", None),
    ]

    assert all(isinstance(failure, Failure) for failure in failures)
    assert [failure.reason for failure in failures] == [
        "http_404", "jwks_not_json", "document_not_json", "private_address", "managed_identity", "unreadable", "expired",
        "wrong_purpose", "insufficient_scope", "jwks_unreachable", "code_expired", "upstream_invalid_grant",
    ]
