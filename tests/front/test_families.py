"""The pure rules of refresh-token families (front/families.py): the window, and the reuse decision
on a stored record (RFC 9700 §4.14.2)."""

from __future__ import annotations

import pytest

from front.families import Family, FamilyRecord, Verdict, judge


def test_a_sign_in_starts_generation_zero_and_refreshing_keeps_the_window() -> None:
    family = Family.start(1_000.9)

    later = family.next().next()

    assert (family.started, family.generation) == (1_000, 0)
    assert (later.id, later.started, later.generation) == (family.id, 1_000, 2)
    assert later.ends(86_400) == family.ends(86_400) == 87_400
    assert Family.start(0).id != Family.start(0).id


@pytest.mark.parametrize(
    ("record", "generation", "verdict"),
    [
        (None, 0, Verdict(allowed=True)),  # never refreshed with the store on
        (None, 5, Verdict(allowed=True)),  # signed in before the store was configured
        (FamilyRecord(generation=3, revoked=False), 3, Verdict(allowed=True)),
        (FamilyRecord(generation=3, revoked=False), 2, Verdict(allowed=False, revoke=True)),  # a replay
        (FamilyRecord(generation=3, revoked=False), 4, Verdict(allowed=False, revoke=True)),  # never issued
        (FamilyRecord(generation=3, revoked=True), 3, Verdict(allowed=False, revoked_before=True)),
    ],
)
def test_the_reuse_decision(record: FamilyRecord | None, generation: int, verdict: Verdict) -> None:
    assert judge(record, generation) == verdict
