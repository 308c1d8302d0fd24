"""The telemetry audit: no token, or part of one, in any span or metric point the suite recorded.

Runs last (log_audit), over everything the telemetry tests recorded; the log audit in
tests/logs reads the same record beside the log lines.
"""

from __future__ import annotations

import pytest

from tests.log_capture import find_token_material, report
from tests.support import MINTED_TOKENS
from tests.telemetry.rig import TELEMETRY_RECORD


@pytest.mark.log_audit
def test_no_span_or_metric_point_holds_token_material():
    if not TELEMETRY_RECORD:
        pytest.skip("no telemetry test ran in this session")
    leaks = find_token_material(TELEMETRY_RECORD, MINTED_TOKENS)

    assert leaks == [], f"{len(leaks)} spans or points hold token material, e.g. {leaks[0][:200]!r}"
    assert [line for line in TELEMETRY_RECORD if "Bearer " in line] == []
    report(f"telemetry: {len(TELEMETRY_RECORD)} spans and metric points audited against {len(MINTED_TOKENS)} minted tokens: no token material")
