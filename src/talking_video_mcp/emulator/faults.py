"""Fault rules: which endpoint misbehaves, how, and how many more times.

Faults come per request (header `x-emulator-fault`) or armed ahead of time (CLI spec,
`POST /_emulator/faults`, `EmulatorHandle.add_fault`). An armed rule is consumed one
use per matching request, so a test can say "the next two polls answer 429".
"""

from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Final

ENDPOINTS: Final = (
    "segmind.submit",
    "segmind.status",
    "segmind.result",
    "segmind.credits",
    "segmind.upload",
    "unifically.speak",
    "unifically.tts",
    "unifically.generate",
    "unifically.ads",
    "unifically.feed",
    "unifically.tpl",
    "unifically.account",
    "heygen.videos.create",
    "heygen.videos.get",
    "heygen.assets.create",
    "heygen.voices",
    "heygen.looks",
    "heygen.users.me",
    "heygen.file",
    "fal.submit",
    "fal.status",
    "fal.result",
    "fal.cancel",
    "fal.token",
    "fal.upload",
    "files",
)

# Faults every endpoint can suffer.
GENERIC_FAULTS: Final = (
    "429",
    "500",
    "502",
    "504",
    "timeout",
    "drop-after-commit",
    "reset",
    "malformed",
    "missing-fields",
    "truncated",
    "notfound",
)
# Faults that act on a job record, so only endpoints that own one take them.
JOB_ENDPOINTS: Final = frozenset(
    {
        "segmind.submit",
        "segmind.status",
        "segmind.result",
        "unifically.speak",
        "unifically.tts",
        "unifically.generate",
        "unifically.ads",
        "unifically.feed",
        "heygen.videos.create",
        "heygen.videos.get",
        "heygen.file",
        "fal.submit",
        "fal.status",
        "fal.result",
    }
)
JOB_FAULTS: Final = ("fail", "expire")
FEED_FAULTS: Final = ("code400-processing",)
FAULT_KINDS: Final = (*GENERIC_FAULTS, *JOB_FAULTS, *FEED_FAULTS)

FAULT_HEADER: Final = "x-emulator-fault"

_RULE = re.compile(r"^(?P<endpoint>[a-z*?.\[\]]+):(?P<fault>[a-z0-9-]+?)(?:x(?P<times>\d+|\*))?$")


class FaultError(ValueError):
    """A fault name or rule the emulator does not know."""


def applies(endpoint: str, fault: str) -> bool:
    """Whether `fault` makes sense on `endpoint` (a job fault needs a job record)."""
    if fault in GENERIC_FAULTS:
        return True
    if fault in JOB_FAULTS:
        return endpoint in JOB_ENDPOINTS
    if fault in FEED_FAULTS:
        return endpoint == "unifically.feed"
    return False


def check_fault(endpoint: str, fault: str) -> None:
    """Raise FaultError unless `fault` is known and applies to `endpoint`."""
    if fault not in FAULT_KINDS:
        raise FaultError(f"unknown fault {fault!r}; known faults: {', '.join(FAULT_KINDS)}")
    if not applies(endpoint, fault):
        raise FaultError(f"fault {fault!r} does not apply to endpoint {endpoint!r}")


@dataclass
class FaultRule:
    """Make `endpoint` (a name from ENDPOINTS, or a glob such as `segmind.*`) answer with
    `fault`, for the next `times` matching requests (None: every time)."""

    endpoint: str
    fault: str
    times: int | None = 1
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.fault not in FAULT_KINDS:
            raise FaultError(f"unknown fault {self.fault!r}; known faults: {', '.join(FAULT_KINDS)}")
        targets = self.targets()
        if not targets:
            raise FaultError(f"unknown endpoint {self.endpoint!r}; known endpoints: {', '.join(ENDPOINTS)}")
        if not any(applies(name, self.fault) for name in targets):
            raise FaultError(f"fault {self.fault!r} does not apply to endpoint {self.endpoint!r}")
        if self.times is not None and self.times < 1:
            raise FaultError("times must be at least 1 (or None / '*' for every time)")

    def targets(self) -> list[str]:
        """The endpoint names this rule matches."""
        return [name for name in ENDPOINTS if fnmatch.fnmatchcase(name, self.endpoint)]

    def matches(self, endpoint: str) -> bool:
        return fnmatch.fnmatchcase(endpoint, self.endpoint) and applies(endpoint, self.fault)

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(self.times - self.fired, 0)

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        """Parse one rule, `endpoint:fault[xN]` (N defaults to 1, `*` means every time)."""
        match = _RULE.match(text.strip())
        if match is None:
            raise FaultError(f"bad fault rule {text!r}; expected endpoint:fault[xN], e.g. segmind.status:429x2")
        times_text = match["times"]
        times = 1 if times_text is None else None if times_text == "*" else int(times_text)
        return cls(endpoint=match["endpoint"], fault=match["fault"], times=times)

    @classmethod
    def parse_spec(cls, spec: str) -> list[FaultRule]:
        """Parse a comma-separated list of rules (the CLI's --faults SPEC)."""
        return [cls.parse(part) for part in spec.split(",") if part.strip()]

    @classmethod
    def from_json(cls, data: Any) -> FaultRule:
        """Build a rule from `{"endpoint", "fault", "times"}`; times may be an int, "*" or null."""
        if not isinstance(data, dict):
            raise FaultError("a fault rule is an object {endpoint, fault, times}")
        endpoint, fault, times = data.get("endpoint"), data.get("fault"), data.get("times", 1)
        if not isinstance(endpoint, str) or not isinstance(fault, str):
            raise FaultError("endpoint and fault must be strings")
        if times == "*" or times is None:
            return cls(endpoint=endpoint, fault=fault, times=None)
        if isinstance(times, bool) or not isinstance(times, int):
            raise FaultError("times must be an integer, '*' or null")
        return cls(endpoint=endpoint, fault=fault, times=times)

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "fault": self.fault, "times": self.times, "remaining": self.remaining}


def parse_faults(spec: str) -> list[FaultRule]:
    """Parse the CLI's --faults SPEC: `endpoint:fault[xN],...`."""
    return FaultRule.parse_spec(spec)


class FaultBook:
    """The armed rules; thread-safe because tests arm faults from another thread."""

    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        for rule in rules or []:
            self.add(rule)

    def add(self, rule: FaultRule) -> None:
        # Copy so a rule object reused across emulators keeps its own count.
        with self._lock:
            self._rules.append(FaultRule(rule.endpoint, rule.fault, rule.times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, endpoint: str) -> str | None:
        """Consume one use of the first armed rule matching `endpoint`; return its fault."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(endpoint) and (rule.times is None or rule.fired < rule.times):
                    rule.fired += 1
                    if rule.times is not None and rule.fired >= rule.times:
                        self._rules.remove(rule)
                    return rule.fault
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]
