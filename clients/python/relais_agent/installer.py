"""Installers: how a verified artifact becomes the running version, and how it is undone.

The default swaps atomically: the new version is prepared beside the target (a copy of the
file, or an archive extracted into a directory), the current one is renamed to
`<target>.previous` (kept: that is the rollback) and the new one renamed into place. A
command installer hands the file to the vendor's own installer instead."""

import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Protocol

from .errors import AgentError


class Installer(Protocol):
    def install(self, artifact: Path, version: str) -> None: ...

    def rollback(self) -> None: ...


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _extract(archive: Path, into: Path) -> None:
    """A zip or tar archive into `into`, refusing members that would land outside it."""
    root = into.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                if not (root / name).resolve().is_relative_to(root):
                    raise AgentError("INSTALL_FAILED", f"unsafe path in archive: {name}")
            zipped.extractall(into)  # noqa: S202 - every member checked above
        return
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tarred:
            tarred.extractall(into, filter="data")
        return
    raise AgentError("INSTALL_FAILED", "a directory target needs a zip or tar artifact")


class SwapInstaller:
    def __init__(self, target: Path):
        self.target = target
        self.previous = target.with_name(target.name + ".previous")
        self.incoming = target.with_name(target.name + ".incoming")

    def install(self, artifact: Path, version: str) -> None:
        _remove(self.incoming)
        try:
            if self.target.is_dir():
                self.incoming.mkdir(mode=0o755)
                _extract(artifact, self.incoming)
            else:
                shutil.copyfile(artifact, self.incoming)
                if self.target.exists():
                    shutil.copymode(self.target, self.incoming)
        except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
            _remove(self.incoming)
            raise AgentError("INSTALL_FAILED", str(exc)) from exc
        _remove(self.previous)
        if self.target.exists():
            os.replace(self.target, self.previous)
        os.replace(self.incoming, self.target)

    def rollback(self) -> None:
        if not self.previous.exists():
            raise AgentError("ROLLBACK_FAILED", f"no previous version at {self.previous}")
        failed = self.target.with_name(self.target.name + ".failed")
        _remove(failed)
        if self.target.exists():
            os.replace(self.target, failed)
        os.replace(self.previous, self.target)
        _remove(failed)


def run_command(command: str, *, env: dict[str, str], timeout: float, code: str) -> None:
    """`command` through the shell; AgentError `code` with its output's tail when it exits
    non-zero or outlasts `timeout`."""
    try:
        done = subprocess.run(  # noqa: S602 - the operator's own command line
            command,
            shell=True,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise AgentError(code, f"{command!r} timed out after {timeout:g} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-500:]
        raise AgentError(code, f"{command!r} exited with {done.returncode}: {tail}")


class CommandInstaller:
    """`--install-cmd`: run with RELAIS_ARTIFACT (the verified file) and RELAIS_VERSION;
    `--rollback-cmd` undoes it (RELAIS_VERSION: the version to return to)."""

    def __init__(self, install: str, rollback: str = "", timeout: float = 600.0):
        self.install_command = install
        self.rollback_command = rollback
        self.timeout = timeout
        self.previous_version = ""

    def install(self, artifact: Path, version: str) -> None:
        env = {"RELAIS_ARTIFACT": str(artifact), "RELAIS_VERSION": version}
        run_command(self.install_command, env=env, timeout=self.timeout, code="INSTALL_FAILED")

    def rollback(self) -> None:
        if not self.rollback_command:
            raise AgentError("ROLLBACK_FAILED", "no rollback command configured")
        env = {"RELAIS_VERSION": self.previous_version}
        run_command(self.rollback_command, env=env, timeout=self.timeout, code="ROLLBACK_FAILED")
