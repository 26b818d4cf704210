"""A small S3 client over ``minio`` (the ``s3`` extra): the few calls the object stores need.

Why minio rather than boto3 or obstore (measured on one machine, median of runs):

- ``import boto3`` and making an S3 client cost about 370 ms per process, ``import minio``
  and a client about 200 ms, obstore about 35 ms;
- a small PUT against a local S3 server took 17 ms with boto3, 3 ms with minio, 4 ms with
  obstore; installed size: boto3 + botocore 34 MB, minio and its dependencies about 20 MB;
- obstore's Rust runtime does not survive ``fork()``: a forked worker that touches it
  hangs, and the local executor runs parallel branches in forked workers.

So minio: pure Python (each process, forked workers included, makes its own client), fast
requests, streaming multipart uploads, and the standard credential sources.

Credentials are looked up in the standard places, in this order: keys written in the
configuration (accepted for runnable 0.50's files, with a warning), ``AWS_ACCESS_KEY_ID``
/ ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``), ``MINIO_ACCESS_KEY`` /
``MINIO_SECRET_KEY``, the profile ``AWS_PROFILE`` (default ``default``) of the shared
credentials file, then workload identity: a web identity token (IRSA:
``AWS_WEB_IDENTITY_TOKEN_FILE`` + ``AWS_ROLE_ARN``), ECS container credentials, and the EC2
instance metadata service unless ``AWS_EC2_METADATA_DISABLED=true``.

Every failure becomes one :class:`ObjectStoreError` line naming the store, the bucket and
what to do.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any, Iterator

from runnable.ir.errors import RunnableError

#: Parts of a multipart upload; minio never holds more than a few in memory at once.
PART_SIZE = 8 << 20
_CHUNK = 1 << 20


class ObjectStoreError(RunnableError):
    """An object store could not be reached, or refused a request."""


class ObjectNotFound(Exception):
    """The key does not exist (internal: callers turn it into their own message)."""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


class S3Location:
    """Where a store's objects live: endpoint, bucket, key prefix, region and explicit keys."""

    def __init__(self, what: str, bucket: str, *, endpoint_url: str = "", prefix: str = "", region: str = "",
                 aws_access_key_id: str = "", aws_secret_access_key: str = "") -> None:
        self.what = what
        bucket, _, in_bucket = bucket.strip("/").partition("/")  # runnable 0.50 wrote 'bucket/folder'
        if not bucket:
            raise ObjectStoreError(f"The {what} needs config.bucket (the bucket name, optionally 'bucket/folder').")
        self.bucket = bucket
        parts = [p.strip("/") for p in (in_bucket, prefix) if p.strip("/")]
        self.prefix = "".join(f"{p}/" for p in parts)
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
        if bool(aws_access_key_id) != bool(aws_secret_access_key):
            raise ObjectStoreError(f"The {what} has only one of aws_access_key_id and aws_secret_access_key; "
                                   "give both, or neither and use the environment or an AWS profile.")
        self.keys = (aws_access_key_id, aws_secret_access_key) if aws_access_key_id else None
        if self.keys:
            sys.stderr.write(
                f"runnable: warning: the {what} has access keys written in its configuration; move them to "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an AWS profile or a workload identity.\n")

    @property
    def where(self) -> str:
        return f"bucket {self.bucket!r} at {self.endpoint_url or 'AWS S3'}"


class S3Client:
    """The calls the stores make; one minio client per process (forked workers make their own)."""

    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.bucket = location.bucket
        self._client: Any = None
        self._pid = 0
        self._stale: list[Any] = []  # a forked child keeps its parent's client alive: closing would close its sockets

    @property
    def client(self) -> Any:
        if self._client is None or self._pid != os.getpid():
            if self._client is not None:
                self._stale.append(self._client)
            self._client, self._pid = self._connect(), os.getpid()
        return self._client

    def _connect(self) -> Any:
        try:
            import urllib3
            from minio import Minio
        except ImportError:
            raise ObjectStoreError(f"The {self.location.what} needs the s3 extra: pip install 'runnable[s3]'.") from None
        location = self.location
        endpoint = location.endpoint_url or "https://s3.amazonaws.com"
        scheme, _, host = endpoint.partition("://")
        if scheme not in ("http", "https") or not host or "/" in host.strip("/"):
            raise ObjectStoreError(f"The {location.what}'s endpoint_url {location.endpoint_url!r} is not "
                                   "http(s)://host[:port]; fix it in the configuration.")
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60), maxsize=16,
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            cert_reqs="CERT_REQUIRED" if scheme == "https" else "CERT_NONE",
            ca_certs=os.environ.get("SSL_CERT_FILE") or _certifi(),
        )
        # Without a region minio asks the server for the bucket's location once per process;
        # S3-compatible servers other than AWS answer us-east-1 anyway.
        region = location.region or ("us-east-1" if location.endpoint_url else None)
        return Minio(host.strip("/"), secure=scheme == "https", region=region, http_client=http,
                     credentials=_credentials(location))

    def key(self, name: str) -> str:
        return self.location.prefix + name

    # -- requests ----------------------------------------------------------------------------

    def put_bytes(self, name: str, data: bytes) -> None:
        """One PUT (atomic: readers see the whole object or none)."""
        import io

        self._call(f"write {name!r}", self.client.put_object, self.bucket, self.key(name), io.BytesIO(data), len(data))

    def put_stream(self, name: str, stream: IO[bytes], length: int) -> None:
        """Upload from a stream, in parts when large: an interrupted upload is aborted and leaves no object."""
        # One part at a time: minio's parallel uploads queue every part of the file in memory first.
        self._call(f"write {name!r}", self.client.put_object, self.bucket, self.key(name), stream, length,
                   part_size=PART_SIZE, num_parallel_uploads=1)

    def get_bytes(self, name: str) -> bytes:
        response = self._open(name)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def get_chunks(self, name: str) -> Iterator[bytes]:
        """The object's bytes in chunks, never all in memory."""
        response = self._open(name)
        try:
            yield from response.stream(_CHUNK)
        finally:
            response.close()
            response.release_conn()

    def _open(self, name: str) -> Any:
        from minio.error import S3Error

        try:
            return self.client.get_object(self.bucket, self.key(name))
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFound(name) from None
            raise self._error(f"read {name!r}", exc) from None
        except Exception as exc:
            raise self._error(f"read {name!r}", exc) from None

    def exists(self, name: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, self.key(name))
            return True
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return False
            raise self._error(f"read {name!r}", exc) from None
        except Exception as exc:
            raise self._error(f"read {name!r}", exc) from None

    def list(self, prefix: str, *, recursive: bool = True, start_after: str = "") -> list[str]:
        """Names under ``prefix`` (the store's own prefix taken off), in key order."""
        strip = len(self.location.prefix)

        def names() -> list[str]:
            objects = self.client.list_objects(self.bucket, prefix=self.key(prefix), recursive=recursive,
                                               start_after=self.key(start_after) if start_after else None)
            return [obj.object_name[strip:] for obj in objects]

        return self._call(f"list {prefix!r}", names)

    def _call(self, doing: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ObjectStoreError:
            raise
        except Exception as exc:
            raise self._error(doing, exc) from None

    def _error(self, doing: str, exc: BaseException) -> ObjectStoreError:
        """One line: which store, which bucket, what went wrong and what to do."""
        location = self.location
        code = getattr(exc, "code", "") or ""
        start = f"The {location.what} ({location.where}) could not {doing}"
        if code == "NoSuchBucket":
            return ObjectStoreError(f"The {location.what}'s bucket {location.bucket!r} does not exist at "
                                    f"{location.endpoint_url or 'AWS S3'}; create it or fix config.bucket.")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
            return ObjectStoreError(f"{start}: the credentials were refused ({code}); check AWS_ACCESS_KEY_ID/"
                                    "AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the workload identity.")
        if code in ("AccessDenied", "AllAccessDisabled"):
            return ObjectStoreError(f"{start}: access denied; grant these credentials s3:GetObject, s3:PutObject "
                                    f"and s3:ListBucket on {location.bucket!r}.")
        if code:
            return ObjectStoreError(f"{start}: {code}: {getattr(exc, 'message', '') or exc}.")
        if isinstance(exc, ValueError) and "credentials" in str(exc):
            return ObjectStoreError(f"{start}: no credentials found; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                                    "AWS_PROFILE, or run with a workload identity.")
        reason = str(getattr(exc, "reason", "") or exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return ObjectStoreError(f"{start}: cannot reach {location.endpoint_url or 'AWS S3'} ({reason}); check "
                                "endpoint_url and that the server is running.")


def _certifi() -> str | None:
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def _credentials(location: S3Location) -> Any:
    """The standard chain (see the module docstring); explicit keys first."""
    from minio.credentials.providers import (
        AWSConfigProvider,
        ChainedProvider,
        EnvAWSProvider,
        EnvMinioProvider,
        IamAwsProvider,
        StaticProvider,
    )

    if location.keys:
        return StaticProvider(*location.keys)
    providers: list[Any] = [EnvAWSProvider(), EnvMinioProvider(), AWSConfigProvider()]
    identity = any(os.environ.get(n) for n in ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                              "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
    if identity or not _env_flag("AWS_EC2_METADATA_DISABLED"):
        import urllib3

        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=5), retries=urllib3.Retry(total=2))
        providers.append(IamAwsProvider(http_client=http))
    return ChainedProvider(providers)
