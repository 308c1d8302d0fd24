"""The session-wide log audit stays whole when the suite runs on several xdist workers.

A small suite, run with two workers as its own pytest process: one file leaks a token
fragment into a log and logs an auth failure, another logs the same correlation id's
failure again. No single worker holds both halves of the evidence, so only the audit
the controller runs over every worker's record (tests/log_capture.py) can fail both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support import REPO

AUDITS = '''
    import pytest
    from tests.log_capture import audit_auth_failure_lines, audit_token_material, report
    from tests.support import MINTED_TOKENS

    @pytest.mark.log_audit
    def test_no_token_or_token_fragment_appears_in_any_log_of_the_suite(suite_log):
        report(audit_token_material(suite_log.everything(), MINTED_TOKENS))

    @pytest.mark.log_audit
    def test_every_auth_failure_of_the_suite_logged_one_line_with_reason_and_correlation_id(suite_log):
        report(audit_auth_failure_lines(suite_log.everything()))
'''
LEAKS = '''
    import logging
    from tests.support import SigningKey, mint, user_claims

    def test_leaks_a_signature_fragment():
        token = mint(SigningKey.generate(bits=512), user_claims())
        logging.getLogger("edge").info("auth failure status=401 reason=expired correlation_id=twice-logged")
        logging.getLogger("careless").info("signature tail %s", token.split(".")[2][-40:])
'''
REPEATS = '''
    import logging

    def test_logs_the_same_failure_again():
        logging.getLogger("edge").info("auth failure status=401 reason=expired correlation_id=twice-logged")
'''


def test_two_workers_leaks_and_duplicates_fail_the_audit_run_in_the_controller(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    log_audit: audits the whole session's logs\n")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.log_capture"]\n')
    for name, source in (("test_audits.py", AUDITS), ("test_leaks.py", LEAKS), ("test_repeats.py", REPEATS)):
        (tmp_path / name).write_text(textwrap.dedent(source))

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist", "-n", "2", "--dist", "loadfile", "-rf"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        # Only xdist among the installed plugins: the others (hypothesis, anyio) cost a second a process here.
        env={**os.environ, "PYTHONPATH": REPO, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )

    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "FAILED test_audits.py::test_no_token_or_token_fragment_appears_in_any_log_of_the_suite" in out
    assert "1 log lines hold token material, e.g. 'careless INFO signature tail " in out
    assert "FAILED test_audits.py::test_every_auth_failure_of_the_suite_logged_one_line_with_reason_and_correlation_id" in out
    assert "assert ['twice-logged'] == []" in out
    assert out.rstrip().splitlines()[-1].startswith("2 failed, 2 passed")
