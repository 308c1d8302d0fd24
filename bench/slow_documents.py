"""Slow client metadata documents vs an unrelated token refresh (issue 14, item 2).

    .venv/bin/python -m bench.slow_documents            # 30 s of attack
    .venv/bin/python -m bench.slow_documents --smoke    # 8 s; what tests/bench checks

The real app with the OAuth front on (local-development mode, so documents may live on
loopback), the local identity provider upstream. One user refreshes their token again and
again: first alone, then while 40 attackers each keep one sign-in open whose client_id names
a document that drips one byte every half second (tests/front/drip.py). Each attacker starts
a new sign-in, with a new document URL, as soon as its last one is refused.

Before the fix, each of those fetches held one of the 40 worker threads the refresh's upstream
call needs, for as long as the document kept dripping: the refresh waited 17 s and more. The
figure to watch is the refresh's latency under attack against the `BOUND_S` below, and its
ratio to the same refresh without the attack.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.fixtures import REPO  # noqa: F401 - puts the repository on sys.path for the imports below
from devidp import DevIdentityProvider, OffsetClock
from front.fetch import DEADLINE_SECONDS
from tests.front.conftest import FrontStack, start_front
from tests.front.drip import DripServer
from tests.front.flows import register, tokens_for

__all__ = ["ATTACKERS", "BOUND_S", "run"]

#: Slow documents in flight at once: the issue's attack.
ATTACKERS = 40
#: The most a refresh may take while they are: well under one fetch deadline, so no refresh
#: ever waited for a CIMD fetch to end, and far under the 17 s the attack caused before. On a
#: machine so loaded that a refresh alone is slow, the bound is five times the slowest refresh
#: without the attack, if that is more.
BOUND_S = 1.0
BOUND_TIMES_ALONE = 5.0
#: One byte per half second: a 300-byte document would take two and a half minutes.
DRIP_INTERVAL_S = 0.5


@dataclass(frozen=True)
class Plan:
    baseline_refreshes: int
    attack_seconds: float


FULL = Plan(baseline_refreshes=200, attack_seconds=30.0)
# At least one whole fetch deadline of attack, so fetches end, are refused and start again.
SMOKE = Plan(baseline_refreshes=30, attack_seconds=DEADLINE_SECONDS + 3.0)


class Refresher:
    """One user's refresh token, refreshed again and again; each answer's latency in seconds."""

    def __init__(self, stack: FrontStack, client_id: str) -> None:
        self._stack = stack
        self._client_id = client_id
        self._refresh_token = tokens_for(stack, client_id)["refresh_token"]
        self._http = httpx.Client(timeout=60.0)

    def once(self) -> float:
        started = time.perf_counter()
        answer = self._http.post(
            f"{self._stack.origin}/oauth/token",
            data={"grant_type": "refresh_token", "client_id": self._client_id, "refresh_token": self._refresh_token},
        )
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"refresh failed: {answer.status_code} {answer.text[:200]}")
        self._refresh_token = answer.json()["refresh_token"]
        return elapsed

    def close(self) -> None:
        self._http.close()


def _summary(samples: list[float]) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_s": statistics.median(ordered),
        "p99_s": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max_s": ordered[-1],
    }


def _attack(stack: FrontStack, drip: DripServer, stop: threading.Event, answers: list[int], index: int) -> None:
    """One attacker: a sign-in whose document drips, then another, until told to stop."""
    with httpx.Client(timeout=60.0) as http:
        round_ = 0
        while not stop.is_set():
            round_ += 1
            client_id = f"{drip.url}/clients/attacker-{index}-{round_}.json"
            answer = http.get(
                f"{stack.origin}/oauth/authorize",
                params={"response_type": "code", "client_id": client_id, "redirect_uri": "http://127.0.0.1/callback",
                        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"},
            )
            answers.append(answer.status_code)


def run(plan: Plan) -> dict[str, Any]:
    clock = OffsetClock()
    with DevIdentityProvider(clock=clock) as idp, DripServer(interval=DRIP_INTERVAL_S) as drip:
        server, thread, origin, env = start_front(idp)
        # MSAL reads the managed-identity endpoint from the process environment, as on App Service.
        os.environ.update({"IDENTITY_ENDPOINT": env["IDENTITY_ENDPOINT"], "IDENTITY_HEADER": env["IDENTITY_HEADER"]})
        stack = FrontStack(idp=idp, clock=clock, origin=origin, env=env)
        refresher = Refresher(stack, register(origin))
        try:
            for _ in range(5):  # warm-up: connections, first imports
                refresher.once()
            alone = [refresher.once() for _ in range(plan.baseline_refreshes)]

            stop = threading.Event()
            statuses: list[int] = []
            attackers = [threading.Thread(target=_attack, args=(stack, drip, stop, statuses, i), daemon=True) for i in range(ATTACKERS)]
            for attacker in attackers:
                attacker.start()
            time.sleep(0.5)  # the attackers' first sign-ins reach the front and start their fetches
            under_attack: list[float] = []
            ends = time.monotonic() + plan.attack_seconds
            while time.monotonic() < ends:
                under_attack.append(refresher.once())
            stop.set()
            for attacker in attackers:
                attacker.join(DEADLINE_SECONDS * 3)
        finally:
            refresher.close()
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(10)
        slow_connections = len(drip.hangups)

    alone_summary, attack_summary = _summary(alone), _summary(under_attack)
    bound = max(BOUND_S, BOUND_TIMES_ALONE * alone_summary["max_s"])
    return {
        "plan": plan.__dict__,
        "attackers": ATTACKERS,
        "drip_interval_s": DRIP_INTERVAL_S,
        "fetch_deadline_s": DEADLINE_SECONDS,
        "bound_s": bound,
        "alone": alone_summary,
        "under_attack": attack_summary,
        "ratio_p50": attack_summary["p50_s"] / alone_summary["p50_s"],
        "ratio_p99": attack_summary["p99_s"] / alone_summary["p99_s"],
        "attacker_answers": {str(status): statuses.count(status) for status in sorted(set(statuses))},
        "documents_connected": slow_connections,
        "within_bound": attack_summary["max_s"] <= bound,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_documents", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="a few seconds of attack, as tests/bench runs it")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    results = run(SMOKE if args.smoke else FULL)
    text = json.dumps(results, indent=2)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
