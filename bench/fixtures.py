"""What every benchmark needs: a signing key, a loopback JWKS, a valid token, the server's settings."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from tests.support import REPO, JwksServer, SigningKey, entra_env, mint, user_claims

from .wires import MODERN_TOOL_CALL, TOOL_CALL, TOOL_CALL_BODY, WIRES

__all__ = ["MODERN_TOOL_CALL", "REPO", "TOOL_CALL", "TOOL_CALL_BODY", "WIRES", "Fixture", "read_cpu_seconds"]


if REPO not in sys.path:
    sys.path.insert(0, REPO)


@dataclass
class Fixture:
    """A published key, the JWKS server serving it, and a token it signed (valid for an hour)."""

    key: SigningKey
    jwks: JwksServer
    token: str

    @classmethod
    def start(cls) -> Fixture:
        key = SigningKey.generate("bench-key-1")
        jwks = JwksServer()
        jwks.publish(key)
        return cls(key=key, jwks=jwks, token=mint(key, user_claims()))

    def env(self) -> dict[str, str]:
        """The process environment a server under test gets."""
        return {**os.environ, **entra_env(self.jwks.url), "BENCH_TOKEN": self.token, "PYTHONPATH": REPO}

    def close(self) -> None:
        self.jwks.close()


def read_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
