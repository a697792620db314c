"""Object storage (S3: MinIO in production, SeaweedFS here). Keys are always built by the
server from ids it generated, never from user input."""

from __future__ import annotations

import io
from datetime import timedelta

from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.helpers import MIN_PART_SIZE

from aduan.infra.config import Settings


class ObjectStore:
    def __init__(self, settings: Settings) -> None:
        self.raw_bucket = settings.s3_raw_bucket
        self.public_bucket = settings.s3_public_bucket
        self._client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )

    def ensure_buckets(self) -> None:
        for bucket in (self.raw_bucket, self.public_bucket):
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket)
                except S3Error as err:
                    if err.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        """One PUT whatever the size: the client's default splits anything over 5 MiB (a
        phone's photo can be 10 MiB) into a multipart upload, four round trips instead of one
        (S3 takes up to 5 GiB in a single PUT)."""
        self._client.put_object(
            bucket, key, io.BytesIO(data), len(data), content_type=content_type,
            part_size=max(len(data), MIN_PART_SIZE),
        )

    def get(self, bucket: str, key: str) -> bytes:
        response = self._client.get_object(bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self._client.stat_object(bucket, key)
        except S3Error as err:
            if err.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return False
            raise
        return True

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return [o.object_name for o in self._client.list_objects(bucket, prefix, recursive=True)]

    def delete(self, bucket: str, key: str) -> None:
        self._client.remove_object(bucket, key)

    def delete_many(self, bucket: str, keys: list[str]) -> None:
        """Deletes `keys` in one S3 DeleteObjects request per thousand; raises on any failure."""
        errors = list(self._client.remove_objects(bucket, [DeleteObject(k) for k in keys]))
        if errors:
            raise RuntimeError(f"{len(errors)} objects not deleted, first: {errors[0]}")

    def presigned_url(self, bucket: str, key: str, ttl: timedelta) -> str:
        return self._client.presigned_get_object(bucket, key, expires=ttl)

    def ping(self) -> None:
        self._client.bucket_exists(self.raw_bucket)
