"""S3 upload tuning, shared by the settings and the tests' S3 fixture."""

from boto3.s3.transfer import TransferConfig

MIB = 1024 * 1024


def s3_transfer_config(concurrency: int = 2) -> TransferConfig:
    """8 MiB parts, `concurrency` in flight and as many read ahead: an upload costs about
    (2 × concurrency) × 8 MiB of memory whatever its size. boto3's defaults (ten parts in
    flight, ten read ahead) buffer ~80 MiB per upload."""
    config = TransferConfig(
        multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=concurrency
    )
    # An s3transfer setting boto3's constructor does not take.
    config.max_in_memory_upload_chunks = concurrency
    return config
