"""TelemetrySettings.from_env: where telemetry goes, in the documented order, and one error for bad flags."""

from __future__ import annotations

import pytest

from auth import ConfigError
from telemetry.settings import TelemetrySettings

CONNECTION = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1/"


@pytest.mark.parametrize(
    ("environ", "exporter", "console"),
    [
        ({}, None, False),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "  "}, None, False),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION}, "azure_monitor", False),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "azure_monitor", False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "otlp", False),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, "otlp", False),
        ({"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://127.0.0.1:4318/v1/metrics"}, "otlp", False),
        ({"MCP_TELEMETRY_CONSOLE": "on"}, "console", True),
        ({"MCP_TELEMETRY_CONSOLE": "on", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, "otlp", True),
        ({"MCP_TELEMETRY_CONSOLE": "on", "OTEL_SDK_DISABLED": "true"}, None, False),
        ({"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION, "OTEL_SDK_DISABLED": "TRUE"}, None, False),
    ],
)
def test_where_telemetry_goes(environ: dict[str, str], exporter: str | None, console: bool):
    settings = TelemetrySettings.from_env(environ)

    assert (settings.exporter, settings.console, settings.enabled, settings.record_user_id) == (exporter, console, exporter is not None, False)


def test_user_id_is_off_unless_turned_on():
    assert TelemetrySettings.from_env({"MCP_TELEMETRY_RECORD_USER_ID": "on"}).record_user_id is True
    assert TelemetrySettings.from_env({"MCP_TELEMETRY_RECORD_USER_ID": "off"}).record_user_id is False


def test_every_bad_flag_is_named_in_one_error():
    with pytest.raises(ConfigError) as caught:
        TelemetrySettings.from_env({"MCP_TELEMETRY_CONSOLE": "maybe", "MCP_TELEMETRY_RECORD_USER_ID": "2", "OTEL_SDK_DISABLED": "nope"})

    assert str(caught.value) == (
        "invalid configuration: OTEL_SDK_DISABLED must be on or off; MCP_TELEMETRY_CONSOLE must be on or off; "
        "MCP_TELEMETRY_RECORD_USER_ID must be on or off"
    )


def test_the_connection_string_is_not_kept():
    settings = TelemetrySettings.from_env({"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION})

    assert CONNECTION not in repr(settings)
