"""Binary deltas: zstd with the old file as the dictionary (the `--patch-from` idea). The
server makes them (releases.deltas); the agent applies one to the file it installed and
keeps the result only if its sha256 is the full file's signed one."""

from pathlib import Path

import zstandard

from .download import CHUNK

DELTA_FORMAT = "zstd-patch-from/v1"


def _window_log(size: int) -> int:
    return max(
        zstandard.WINDOWLOG_MIN, min(zstandard.WINDOWLOG_MAX, (max(size, 1) - 1).bit_length())
    )


def delta_make(old: bytes, new: bytes, *, level: int = 19) -> bytes:
    """The delta from `old` to `new` (both in memory: the caller bounds their sizes)."""
    dictionary = zstandard.ZstdCompressionDict(old, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    params = zstandard.ZstdCompressionParameters.from_level(
        level,
        window_log=_window_log(max(len(old), len(new))),
        enable_ldm=True,
    )
    compressor = zstandard.ZstdCompressor(dict_data=dictionary, compression_params=params)
    return compressor.compress(new)


def delta_apply(old: Path, delta: Path, output: Path) -> None:
    """`output` = `old` patched by `delta`, streamed (memory: the old file and a window).
    Raises zstandard.ZstdError or OSError when the delta is not one for `old`."""
    base = old.read_bytes()
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    decompressor = zstandard.ZstdDecompressor(
        dict_data=dictionary, max_window_size=1 << zstandard.WINDOWLOG_MAX
    )
    with delta.open("rb") as source, output.open("wb") as sink:
        reader = decompressor.stream_reader(source)
        for block in iter(lambda: reader.read(CHUNK), b""):
            sink.write(block)
