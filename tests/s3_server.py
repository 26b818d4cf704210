"""A real S3 API server on 127.0.0.1 for the object-store tests: moto in server mode, as a subprocess.

Every request it serves is logged one line each (werkzeug's access log), so tests and the
benchmark can count the requests a run makes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ACCESS_KEY = "testing-key"
AUTH_SETUP_REQUESTS = 4  # the requests read_only_user makes before the server checks credentials
SECRET_KEY = "testing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class S3Server:
    """``moto.server`` on a free port; ``requests()`` reads its access log."""

    def __init__(self, log: Path, *, checks_credentials: bool = False) -> None:
        """``checks_credentials``: the server checks keys and IAM policies (after the set-up requests)."""
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._handle = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._handle, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1",
                 **({"INITIAL_NO_AUTH_ACTION_COUNT": str(AUTH_SETUP_REQUESTS)} if checks_credentials else {})},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.1)

    def env(self) -> dict[str, str]:
        """Credentials as a user would give them: in the environment."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1"}

    def make_bucket(self, name: str) -> str:
        from minio import Minio

        Minio(f"127.0.0.1:{self.port}", ACCESS_KEY, SECRET_KEY, secure=False, region="us-east-1").make_bucket(name)
        return name

    def read_only_user(self, bucket: str) -> tuple[str, str]:
        """On a server that checks credentials: a bucket, and keys that may read and list it but not write."""
        import json

        import boto3

        common = {"endpoint_url": self.endpoint, "region_name": "us-east-1", "aws_access_key_id": ACCESS_KEY,
                  "aws_secret_access_key": SECRET_KEY}
        iam = boto3.client("iam", **common)
        iam.create_user(UserName="reader")
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
        iam.put_user_policy(UserName="reader", PolicyName="read-only", PolicyDocument=json.dumps(policy))
        boto3.client("s3", **common).create_bucket(Bucket=bucket)
        return key["AccessKeyId"], key["SecretAccessKey"]

    def requests(self) -> list[str]:
        """Request lines served so far ("PUT /bucket/key HTTP/1.1"), moto's own API left out."""
        import re

        text = re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(errors="replace"))  # errors are logged in colour
        lines = text.splitlines()
        found = []
        for line in lines:
            if '"' in line and " HTTP/" in line:
                request = line.split('"')[1]
                if "/moto-api/" not in request:
                    found.append(request)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._handle.close()


def store_config(endpoint: str, bucket: str, log_type: str = "s3", catalog_type: str = "s3") -> dict:
    """A configuration with both stores in ``bucket`` (run log under run-logs/, catalog under catalog/)."""
    common = {"endpoint_url": endpoint, "bucket": bucket}
    return {
        "run-log-store": {"type": log_type, "config": {**common, "prefix": "run-logs"}},
        "catalog": {"type": catalog_type, "config": {**common, "prefix": "catalog"}},
    }
