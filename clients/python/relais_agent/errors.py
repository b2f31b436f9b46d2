class AgentError(Exception):
    """A refusal or failure with a machine-readable `code` (the server's, or the agent's:
    SIZE_MISMATCH, CHECKSUM_MISMATCH, INSTALL_FAILED, HEALTH_CHECK_FAILED, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
