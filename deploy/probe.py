"""Probing a running installation over HTTP on 127.0.0.1, as deploy/smoke.py and deploy/two_servers.py do: a client
that behaves as a browser behind the TLS proxy, a wait for gunicorn's first answer, checks that stop at the first
failure, the keys a production start needs, and stopping what was started.

Run beside those scripts (their folder is on the import path), with the Python of the installation under test.
"""

from __future__ import annotations

import base64
import http.client
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from urllib.parse import urlencode


def checker(name: str) -> Callable[[bool, str], None]:
    """`check(condition, what)`: prints "NAME: ok: what", or exits non-zero naming the check that failed."""

    def check(condition: bool, what: str) -> None:
        if not condition:
            raise SystemExit(f"{name}: FAILED: {what}")
        print(f"{name}: ok: {what}", flush=True)

    return check


def production_keys() -> dict[str, str]:
    """The secrets production refuses to start without, made for one run (never kept)."""
    return {
        "LIMAN_SECRET_KEY": secrets.token_urlsafe(48),
        "LIMAN_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "LIMAN_BLIND_INDEX_KEY": secrets.token_urlsafe(40),
        "LIMAN_AUDIT_KEY": secrets.token_urlsafe(40),
        "LIMAN_PAYMENT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


class Browser:
    """Just enough of a browser: cookies (secure ones too: the proxy says the request came over HTTPS), kept across
    servers, so that a session made on one server can be tried on another."""

    def __init__(self, *, timeout: float = 60):
        self.cookies: dict[str, str] = {}
        self.timeout = timeout

    def request(self, port: int, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        sent = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"https://127.0.0.1{path}"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, content

    def login(self, port: int, username: str, password: str) -> int:
        """Sign in through the login page (its CSRF token first); the answer's status (302: signed in)."""
        self.request(port, "GET", "/login/")
        form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), "username": username, "password": password}
        status, _, _ = self.request(port, "POST", "/login/", form)
        return status


def wait_for(port: int, process: subprocess.Popen, *, name: str, seconds: int = 120) -> None:
    """Until gunicorn on `port` answers /health with 200; exits naming `name` if it stops or takes longer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name}: FAILED: gunicorn on port {port} exited at start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health", headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{name}: FAILED: gunicorn on port {port} did not answer within {seconds} s")


def stop(processes: Iterable[subprocess.Popen]) -> None:
    """SIGTERM to each process still running, then up to 30 s for each to exit before it is killed."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    import shlex
    import sys

    if sys.argv[1:] != ["keys"]:
        raise SystemExit("usage: deploy/probe.py keys   (prints the production keys as shell exports, for eval)")
    for name, value in production_keys().items():
        print(f"export {name}={shlex.quote(value)}")
