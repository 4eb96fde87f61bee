"""A small SMS gateway on 127.0.0.1 for the tests and the benchmark: a real HTTP server (http.server in a thread) that
records every request it receives and answers like a gateway does.

- `POST /send` with JSON or form fields (`to`, `text`, `reference`) and an `Idempotency-Key` header: 200 with
  `{"id": …}`; a key it already accepted gets the same id back with `"duplicate": true` and is not sent again
  (`sent` holds each key once; `requests` holds every request, repeats included).
- Behaviours for the next requests (`then(...)`): an HTTP status with a body (503, 429 with Retry-After, 400 …),
  or a slow answer (longer than the client's timeout).
- A number can be refused for good (`refuse_number`): 400 with a reason.
- `GET /_stats` (for a gateway in another process): how many requests and keys sent; `?full=1` adds each key's
  request count, the id each key got, and every number written to.

Run on its own (the benchmark does): `python tests/messaging/gateway.py --port 0` prints `listening on PORT`.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


class Gateway:
    def __init__(self, *, record_bodies: bool = True):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.sent: dict[str, str] = {}
        self.per_key: Counter = Counter()
        #: Every number a request was addressed to (kept even without the bodies).
        self.numbers: set[str] = set()
        self.behaviours: list[tuple] = []
        self.refused: dict[str, str] = {}
        self.record_bodies = record_bodies
        #: Seconds every answer waits (a gateway under load; the kill test needs a sender caught mid-batch).
        self.delay = 0.0
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- what the test arranges -------------------------------------------------------------------------------

    def then(self, *behaviours: tuple) -> None:
        """Queue behaviours for the next requests, in order: ("status", 503, body[, headers]) or ("slow", seconds)."""
        with self.lock:
            self.behaviours.extend(behaviours)

    def refuse_number(self, number: str, reason: str = "Invalid destination number") -> None:
        with self.lock:
            self.refused[number] = reason

    # --- serving ------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/send"

    def start(self, port: int = 0) -> Gateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm holds the body back until the
            # client's delayed ACK (40 ms a request), which no real gateway does.
            disable_nagle_algorithm = True

            def log_message(self, format, *args):  # noqa: A002  (http.server's name)
                pass

            def _answer(self, status: int, payload: dict, headers: dict | None = None) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802  (http.server's name)
                if self.path not in ("/_stats", "/_stats?full=1"):
                    self._answer(404, {"error": "not found"})
                    return
                with gateway.lock:
                    stats = {"requests": sum(gateway.per_key.values()), "sent": len(gateway.sent)}
                    if self.path.endswith("full=1"):
                        stats.update(
                            per_key=dict(gateway.per_key), ids=dict(gateway.sent), numbers=sorted(gateway.numbers)
                        )
                self._answer(200, stats)

            def do_POST(self):  # noqa: N802  (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if "json" in (self.headers.get("Content-Type") or ""):
                    fields = json.loads(raw.decode("utf-8") or "{}")
                else:
                    fields = dict(parse_qsl(raw.decode("utf-8")))
                key = self.headers.get("Idempotency-Key") or fields.get("reference", "")
                entry = {
                    "path": self.path,
                    "key": key,
                    "to": fields.get("to", ""),
                    "text": fields.get("text", ""),
                    "fields": fields,
                    "authorization": self.headers.get("Authorization", ""),
                    "content_type": self.headers.get("Content-Type", ""),
                }
                with gateway.lock:
                    if gateway.record_bodies:
                        gateway.requests.append(entry)
                    gateway.per_key[key] += 1
                    gateway.numbers.add(entry["to"])
                    behaviour = gateway.behaviours.pop(0) if gateway.behaviours else None
                    refused = gateway.refused.get(entry["to"])
                if gateway.delay:
                    time.sleep(gateway.delay)
                if behaviour is not None and behaviour[0] == "slow":
                    time.sleep(behaviour[1])
                    behaviour = None
                if behaviour is not None:
                    _kind, status, body, *rest = behaviour
                    self._answer(status, body, rest[0] if rest else None)
                    return
                if refused:
                    self._answer(400, {"error": refused})
                    return
                if not key:
                    self._answer(422, {"error": "An idempotency key is required."})
                    return
                with gateway.lock:
                    duplicate = key in gateway.sent
                    if not duplicate:
                        gateway.sent[key] = f"gw-{len(gateway.sent) + 1:07d}"
                    message_id = gateway.sent[key]
                self._answer(200, {"id": message_id, "status": "accepted", "duplicate": duplicate})

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # A client that gave up (timeout) before a slow answer: what a gateway sees every day.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-gateway", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A test SMS gateway on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-bodies", action="store_true", help="Count requests per key only (large runs).")
    parser.add_argument("--delay", type=float, default=0.0, help="Seconds every answer waits.")
    args = parser.parse_args()
    gateway = Gateway(record_bodies=not args.no_bodies)
    gateway.delay = args.delay
    gateway.start(args.port)
    print(f"listening on {gateway.server.server_address[1]}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
