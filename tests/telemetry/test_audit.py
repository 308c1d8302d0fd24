"""The telemetry audit: no token, or part of one, in any span or metric point the suite recorded.

Runs last (log_audit), over everything the telemetry tests recorded; the log audit in
tests/logs reads the same record beside the log lines.
"""

from __future__ import annotations

import pytest

from tests.log_capture import audit_telemetry_record, report
from tests.support import MINTED_TOKENS
from tests.telemetry.rig import TELEMETRY_RECORD


# With pytest-xdist this is deselected on every worker and the controller runs the same audit over
# the union of all workers' records, once every worker has finished (tests/log_capture.py).
@pytest.mark.log_audit
def test_no_span_or_metric_point_holds_token_material():
    report(audit_telemetry_record(TELEMETRY_RECORD, MINTED_TOKENS))
