"""A check's outcome, one line each, and the client kinds' verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Check", "Status", "Verdict", "failed", "passed", "printable", "warned"]


class Status(Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One rule applied to what the doctor saw: `name` is stable, `reason` short and exact."""

    name: str
    status: Status
    reason: str

    def line(self) -> str:
        return f"{self.status.value:<4}  {self.name}: {printable(self.reason)}"


def passed(name: str, reason: str) -> Check:
    return Check(name, Status.PASS, reason)


def warned(name: str, reason: str) -> Check:
    return Check(name, Status.WARN, reason)


def failed(name: str, reason: str) -> Check:
    return Check(name, Status.FAIL, reason)


@dataclass(frozen=True)
class Verdict:
    """Whether one kind of client will sign in, and the exact fix when it will not."""

    client: str
    works: bool
    how: str

    def line(self) -> str:
        return f"{'ok' if self.works else 'NO':<4}  {self.client}: {printable(self.how)}"


def printable(text: str) -> str:
    """The remote server chose much of what a line quotes: escape what a terminal would act on."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" for c in text)
