"""A loopback emulator of the Segmind, Unifically (Higgsfield) and HeyGen (v3) APIs.

It speaks the providers' wire contracts (validation, auth, credits, rate limits, queue
progression, expiry, real result files) so the product's clients can be tested without
the network, and so users can try every tool without an API key. It deliberately imports
nothing from `talking_video_mcp.providers`: the fake must not share the client's reading
of the contract.
"""

from talking_video_mcp.emulator.app import EmulatorApp, create_app
from talking_video_mcp.emulator.config import EmulatorConfig
from talking_video_mcp.emulator.faults import ENDPOINTS, FAULT_KINDS, FaultError, FaultRule, parse_faults
from talking_video_mcp.emulator.runner import EmulatorHandle, run_in_thread, serve

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorHandle",
    "FaultError",
    "FaultRule",
    "create_app",
    "parse_faults",
    "run_in_thread",
    "serve",
]
