"""Whether telemetry is on, and where it goes: read once from the environment, standard library only.

Importing this module imports nothing of OpenTelemetry, so a server with telemetry off pays
nothing for it (tests/telemetry/test_imports.py).

- Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set (Microsoft's Azure
  Monitor OpenTelemetry distro reads the string itself; it is never copied here).
- Otherwise OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT or its per-signal variant is set
  (the exporters read every OTEL_EXPORTER_OTLP_* variable themselves: OpenTelemetry
  specification, "OpenTelemetry Protocol Exporter", configuration options).
- Otherwise nothing, unless MCP_TELEMETRY_CONSOLE=on (what `devserver.py --telemetry` sets).
- OTEL_SDK_DISABLED=true (OpenTelemetry specification, "Environment Variable Specification")
  turns all of it off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from auth import ConfigError
from auth.env import switch

__all__ = ["Exporter", "TelemetrySettings"]

Exporter = Literal["azure_monitor", "otlp", "console"]

_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")


@dataclass(frozen=True)
class TelemetrySettings:
    """Where telemetry goes (None: nowhere) and what it may hold."""

    exporter: Exporter | None
    #: Also print spans and metrics on the console (the devserver's --telemetry).
    console: bool
    #: Record the caller's `oid` as `user.id`. Off by default: a person's id is personal data,
    #: and the tenant, the caller kind and the application's client id answer the operational
    #: questions without it (docs/operations.md, "What is recorded").
    record_user_id: bool

    @property
    def enabled(self) -> bool:
        return self.exporter is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TelemetrySettings:
        """The settings, or ConfigError naming every malformed one."""
        problems: list[str] = []
        disabled = switch(environ, "OTEL_SDK_DISABLED", problems)
        console = switch(environ, "MCP_TELEMETRY_CONSOLE", problems)
        record_user_id = switch(environ, "MCP_TELEMETRY_RECORD_USER_ID", problems)
        if problems:
            raise ConfigError(problems)
        exporter: Exporter | None
        if disabled:
            exporter = None
        elif environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip():
            exporter = "azure_monitor"
        elif any(environ.get(name, "").strip() for name in _OTLP_ENDPOINTS):
            exporter = "otlp"
        elif console:
            exporter = "console"
        else:
            exporter = None
        return cls(exporter=exporter, console=console and not disabled, record_user_id=record_user_id)

