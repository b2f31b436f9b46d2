"""The build tools' own output folders, read for publishing (manage.py publish_release):
what each file is, for which platform, with the hashes the tool wrote, which the server
checks against its own (artifact_create)."""

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from .versions import parse_version


class BuildFolderError(ValueError):
    pass


@dataclass(frozen=True)
class BuildFile:
    path: Path
    platform: str
    size: int | None = None
    sha256: str | None = None  # hex, as the tool wrote it
    sha512: str | None = None  # hex (electron-builder writes base64: decoded here)
    signature: str = ""


# electron-builder's update files and the platform each stands for; on macOS, `arm64` in a
# file's name is Apple silicon.
ELECTRON_BUILDER_FILES = {
    "latest.yml": "windows-x86_64",
    "latest-mac.yml": "macos-x86_64",
    "latest-linux.yml": "linux-x86_64",
    "latest-linux-arm64.yml": "linux-aarch64",
    "latest-linux-armv7l.yml": "linux-armv7l",
}
VELOPACK_CHANNELS = {"win": "windows-x86_64", "osx": "macos-x86_64", "linux": "linux-x86_64"}


def tauri_signature(path: Path) -> str:
    """The `.sig` `tauri build` writes beside a bundle, else nothing."""
    sig = path.with_name(path.name + ".sig")
    return sig.read_text(encoding="utf-8").strip() if sig.is_file() else ""


def electron_builder_folder(folder: Path) -> tuple[str, list[BuildFile]]:
    """(version, files) from electron-builder's `dist/`: each `latest*.yml`'s files, by
    platform (on macOS the `.zip`, which electron-updater installs), with their sha512 and
    size; every yml must name the same version."""
    versions, found = set(), {}
    for name, platform in ELECTRON_BUILDER_FILES.items():
        yml = folder / name
        if not yml.is_file():
            continue
        info = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        versions.add(str(info.get("version", "")))
        for entry in info.get("files") or []:
            url = str(entry.get("url", ""))
            if platform.startswith("macos") and not url.endswith(".zip"):
                continue
            file_platform = platform
            if platform.startswith("macos") and "arm64" in url:
                file_platform = "macos-aarch64"
            path = folder / url
            if not path.is_file():
                raise BuildFolderError(f"{name} names {url}, which is not in {folder}")
            try:
                sha512 = base64.b64decode(entry["sha512"], validate=True).hex()
            except (KeyError, ValueError) as exc:
                raise BuildFolderError(f"{name}: {url} has no valid sha512") from exc
            found.setdefault(
                file_platform,
                BuildFile(
                    path=path,
                    platform=file_platform,
                    size=entry.get("size"),
                    sha512=sha512,
                    signature=tauri_signature(path),
                ),
            )
    if not found:
        raise BuildFolderError(f"No latest*.yml naming a file in {folder}")
    if len(versions) != 1:
        raise BuildFolderError(f"The latest*.yml files disagree on the version: {versions}")
    version = versions.pop()
    parse_version(version)
    return version, list(found.values())


def velopack_folder(folder: Path) -> tuple[str, list[BuildFile]]:
    """(version, files) from `vpk pack`'s output: the newest `Full` package of each
    `releases.<channel>.json`, by the channel's OS, with its SHA256 and size. Delta packages
    are not published (Relais serves full packages only)."""
    versions, found = set(), {}
    for index in sorted(folder.glob("releases.*.json")):
        channel = index.name.removeprefix("releases.").removesuffix(".json")
        platform = VELOPACK_CHANNELS.get(channel.split("-")[0])
        if platform is None:
            raise BuildFolderError(f"{index.name}: no Relais platform for channel {channel!r}")
        assets = json.loads(index.read_text(encoding="utf-8")).get("Assets") or []
        fulls = [a for a in assets if a.get("Type") == "Full"]
        if not fulls:
            continue
        newest = max(fulls, key=lambda a: parse_version(str(a["Version"])))
        path = folder / str(newest["FileName"])
        if not path.is_file():
            raise BuildFolderError(f"{index.name} names {newest['FileName']}, not in {folder}")
        versions.add(str(newest["Version"]))
        found[platform] = BuildFile(
            path=path,
            platform=platform,
            size=newest.get("Size"),
            sha256=str(newest.get("SHA256") or "").lower() or None,
        )
    if not found:
        raise BuildFolderError(f"No releases.<channel>.json with a Full package in {folder}")
    if len(versions) != 1:
        raise BuildFolderError(f"The channels disagree on the version: {versions}")
    return versions.pop(), list(found.values())
