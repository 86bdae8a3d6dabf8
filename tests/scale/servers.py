"""Start real processes for the scale-out tests: gunicorn app servers and a moto S3 server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """The address of the (test) database the test process uses, for the servers to share."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Process:
    """A child process with its output in a temporary file; `stop` ends it (and only it)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str]):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.popen = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def wait_until_up(self, url: str, seconds: float = 40) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(
            f"{self.name} did not answer {url} within {seconds:.0f} s:\n{self.output()}"
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self.log.close()
        os.unlink(self.log.name)


def start_moto(port: int) -> Process:
    return Process(
        "moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], dict(os.environ)
    )


def start_gunicorn(name: str, port: int, env: dict[str, str], workers: int = 2) -> Process:
    return Process(
        name,
        [str(BIN / "gunicorn"), "recert_portal.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--no-control-socket", "--log-level", "warning"],
        env,
    )  # fmt: skip
