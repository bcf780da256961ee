"""The services a tool call uses: the ledger, the provider registry and the job runner, with the
settings they were made from. Built by the composition root (runtime.py), which the tools never import."""

from __future__ import annotations

from dataclasses import dataclass

from talking_video_mcp.jobs.ledger import Ledger
from talking_video_mcp.jobs.runner import JobRunner
from talking_video_mcp.providers.registry import ProviderRegistry
from talking_video_mcp.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Ledger
    registry: ProviderRegistry
    runner: JobRunner
