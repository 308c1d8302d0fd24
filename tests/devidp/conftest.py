"""One provider per module on an ephemeral loopback port, with a clock tests can move."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devidp import DevIdentityProvider, OffsetClock


@pytest.fixture(scope="module")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(scope="module")
def idp(clock: OffsetClock) -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider(clock=clock) as provider:
        yield provider


@pytest.fixture(autouse=True)
def _reset_clock(clock: OffsetClock) -> None:
    clock.offset = 0.0
