"""The names every layer shares: job statuses. No pydantic here, so the
ledger can be opened without loading the result models."""

from __future__ import annotations

from typing import Literal

JobStatus = Literal["queued", "processing", "completed", "failed", "canceled", "expired", "submit_unknown"]
ACTIVE_STATUSES: frozenset[str] = frozenset({"queued", "processing"})
FINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "canceled", "expired", "submit_unknown"})

# Model ids and provider names come from the providers' declarations (providers/registry.py): plain text here.
ModelId = str
ProviderName = str
