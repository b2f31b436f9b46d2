"""Binary deltas between two versions of an artifact: zstd with the old file as a raw
content dictionary (zstd's `--patch-from`), long-distance matching on and a window that
covers the whole file. Chosen over bsdiff4 by bench/deltas.py (smaller on the releases
measured there, several times faster, and its memory is the two files plus zstd's tables
where bsdiff's suffix sort takes many times the old file). The agent
(clients/python/relais_agent/delta.py) applies one with the same dictionary."""

import zstandard

DELTA_FORMAT = "zstd-patch-from/v1"
LEVEL = 19


def window_log(size: int) -> int:
    wanted = (max(size, 1) - 1).bit_length()
    return max(zstandard.WINDOWLOG_MIN, min(zstandard.WINDOWLOG_MAX, wanted))


def delta_make(old: bytes, new: bytes, *, level: int = LEVEL) -> bytes:
    dictionary = zstandard.ZstdCompressionDict(old, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    params = zstandard.ZstdCompressionParameters.from_level(
        level, window_log=window_log(max(len(old), len(new))), enable_ldm=True
    )
    return zstandard.ZstdCompressor(dict_data=dictionary, compression_params=params).compress(new)


def delta_apply(old: bytes, delta: bytes) -> bytes:
    dictionary = zstandard.ZstdCompressionDict(old, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    decompressor = zstandard.ZstdDecompressor(
        dict_data=dictionary, max_window_size=1 << zstandard.WINDOWLOG_MAX
    )
    return decompressor.stream_reader(delta).read()
