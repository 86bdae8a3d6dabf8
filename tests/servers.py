"""Real peers as processes of their own (localstripe, moto's S3 server): a free port, and a
server started, awaited until it answers, and stopped."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    """A port nothing listens on: bound, then released (connecting to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def s3_client(endpoint: str):
    """A boto3 S3 client for moto's server at `endpoint` (moto takes any credentials)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@contextlib.contextmanager
def server_process(
    command: list[str], *, ready_url: str, workdir: Path, name: str, env: dict | None = None
) -> Iterator[None]:
    """Run `command` in `workdir` until the block ends, once `ready_url` answers (20 s at most;
    otherwise the test fails with the end of the server's log, workdir/<name>.log)."""
    log_path = workdir / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(ready_url, timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(
                    f"{name} did not start: " + log_path.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.1)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
