"""relais-agent: the reference node agent for Relais (library and `relais-agent` CLI)."""

from .agent import Agent, AgentConfig, CycleResult
from .errors import AgentError
from .verify import VerificationError, load_keys, verify_license_file, verify_manifest

__all__ = [
    "Agent",
    "AgentConfig",
    "AgentError",
    "CycleResult",
    "VerificationError",
    "load_keys",
    "verify_license_file",
    "verify_manifest",
]
__version__ = "0.1.0"
