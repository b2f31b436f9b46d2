"""Downloads to a staging area that survive an interruption: the partial file is kept and
the next attempt asks for the rest (`Range`); the result is checked against the signed
size and sha256 before anything uses it."""

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import requests

from .errors import AgentError

CHUNK = 256 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    session: requests.Session,
    url: str,
    destination: Path,
    *,
    size: int,
    sha256: str,
    headers: dict[str, str],
    progress: Callable[[int], None] | None = None,
    timeout: float = 60.0,
) -> Path:
    """`url` into `destination` (`<destination>.part` while incomplete), resumed from what
    an earlier attempt left. Raises AgentError SIZE_MISMATCH or CHECKSUM_MISMATCH (the part
    is deleted: the next attempt starts over) or DOWNLOAD_INTERRUPTED (the part is kept)."""
    if destination.exists() and sha256_of(destination) == sha256:
        return destination
    part = destination.with_name(destination.name + ".part")
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    have = part.stat().st_size if part.exists() else 0
    if have > size:
        part.unlink()
        have = 0
    if have < size:
        request_headers = dict(headers)
        if have:
            request_headers["Range"] = f"bytes={have}-"
        try:
            with session.get(
                url, headers=request_headers, stream=True, timeout=timeout
            ) as response:
                if response.status_code == 416:
                    part.unlink(missing_ok=True)
                    raise AgentError("DOWNLOAD_INTERRUPTED", "range refused; starting over")
                if response.status_code not in (200, 206):
                    raise AgentError("DOWNLOAD_FAILED", f"HTTP {response.status_code}")
                mode = "ab" if response.status_code == 206 and have else "wb"
                if mode == "wb":
                    have = 0
                with part.open(mode) as handle:
                    os.chmod(part, 0o600)
                    for block in response.iter_content(CHUNK):
                        handle.write(block)
                        have += len(block)
                        if have > size:
                            break
                        if progress is not None:
                            progress(have)
        except (requests.RequestException, OSError) as exc:
            raise AgentError("DOWNLOAD_INTERRUPTED", f"{have} of {size} bytes: {exc}") from exc
    got = part.stat().st_size
    if got < size:
        raise AgentError("DOWNLOAD_INTERRUPTED", f"{got} of {size} bytes")
    if got != size:
        part.unlink()
        raise AgentError("SIZE_MISMATCH", f"{got} bytes, the manifest says {size}")
    actual = sha256_of(part)
    if actual != sha256:
        part.unlink()
        raise AgentError("CHECKSUM_MISMATCH", f"sha256 {actual}, the manifest says {sha256}")
    os.replace(part, destination)
    return destination
