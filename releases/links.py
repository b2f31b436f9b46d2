"""Where a node fetches an artifact: a short-lived presigned URL when the storage can make
one (S3), else the node download route (which takes the node's credentials)."""

import functools

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.files.storage import default_storage
from storages.utils import clean_name


@functools.lru_cache(maxsize=4)
def _public_client(endpoint, access_key, secret_key, region, signature_version, addressing):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(signature_version=signature_version, s3={"addressing_style": addressing}),
    )


def presigned_url(name: str) -> str | None:
    """A URL the node can fetch for `RELAIS_DOWNLOAD_URL_TTL` seconds. The signature covers
    the host, so when devices reach the S3 service by another address than the server does
    (MinIO inside a compose network), it is signed for AWS_S3_PUBLIC_ENDPOINT_URL."""
    ttl = settings.RELAIS_DOWNLOAD_URL_TTL
    public = getattr(settings, "AWS_S3_PUBLIC_ENDPOINT_URL", None)
    storage = default_storage
    if public and hasattr(storage, "bucket_name"):
        client = _public_client(
            public,
            storage.access_key,
            storage.secret_key,
            storage.region_name,
            storage.signature_version,
            storage.addressing_style,
        )
        key = storage._normalize_name(clean_name(name))
        params = {"Bucket": storage.bucket_name, "Key": key}
        return client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)
    try:
        return storage.url(name, expire=ttl)
    except TypeError:  # a storage without expiring URLs: serve the file ourselves
        return None


def artifact_url(artifact) -> str:
    """An absolute URL for `artifact`: presigned (S3), or the download route under
    RELAIS_PUBLIC_URL."""
    url = presigned_url(artifact.file.name)
    if url and url.startswith(("http://", "https://")):
        return url
    return f"{settings.RELAIS_PUBLIC_URL.rstrip('/')}/api/v1/updates/download/{artifact.pk}"
