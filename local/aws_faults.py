"""A fault-injecting HTTP proxy in front of moto's server: AWS failing on demand, for the tests.

The local stack points ``AWS_ENDPOINT_URL`` (what the functions use) at this proxy; everything is
passed through to moto unchanged until a test arms a fault for one AWS operation. Operations are
matched by the ``X-Amz-Target`` header of the JSON APIs (``DynamoDB_20120810.PutItem``,
``AWSEvents.PutEvents``, ``secretsmanager.GetSecretValue``), and a fault applies to the next
``times`` matching requests (every one until ``clear()`` when ``times`` is None). Each SDK attempt
is one request, so a fault that should outlast botocore's retries needs ``times`` ≥ its attempts.

Faults (see ``Fault``): an error answer without forwarding (a 500, a 400 throttling body), a
connection closed without an answer (what a refused or reset connection is to the SDK), a late
answer to a request that *was* applied, and a PutEvents answer with every entry failed.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

FaultKind = Literal["error", "drop", "delay", "failed_entries"]
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass
class Fault:
    kind: FaultKind
    times: int | None = 1
    status: int = 500
    error: str = "InternalServerError"
    delay: float = 0.0

    def body(self) -> bytes:
        return json.dumps({"__type": self.error, "message": f"injected {self.error}"}).encode()


def server_error(times: int | None = 1, error: str = "InternalServerError") -> Fault:
    """HTTP 500 with an AWS error body (DynamoDB names it InternalServerError, EventBridge InternalException)."""
    return Fault("error", times, 500, error)


def throttled(times: int | None = 1, error: str = "ThrottlingException") -> Fault:
    """HTTP 400 throttling (DynamoDB: ProvisionedThroughputExceededException; EventBridge: ThrottlingException)."""
    return Fault("error", times, 400, error)


def dropped(times: int | None = 1) -> Fault:
    """The connection is closed without an answer: the SDK sees a refused / reset connection."""
    return Fault("drop", times)


def slow(seconds: float, times: int | None = 1) -> Fault:
    """The request is forwarded (and applied) at once, its answer sent ``seconds`` late."""
    return Fault("delay", times, delay=seconds)


def failed_entries(times: int | None = 1) -> Fault:
    """PutEvents answered 200 with every entry failed (``FailedEntryCount``); nothing reaches the bus."""
    return Fault("failed_entries", times)


class AwsFaults:
    """The proxy: ``arm(target, fault)``, ``clear()``, ``calls`` (requests seen per target) and
    ``user_agents`` (requests seen per User-Agent)."""

    def __init__(self, upstream_port: int, port: int) -> None:
        self.upstream_port = upstream_port
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.calls: Counter[str] = Counter()
        self.user_agents: Counter[str] = Counter()
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> AwsFaults:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def arm(self, target: str, fault: Fault) -> None:
        with self._lock:
            self._faults[target] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.calls.clear()
            self.user_agents.clear()

    def take(self, target: str, user_agent: str) -> Fault | None:
        """Count a request for ``target``; the fault it gets, if one is armed."""
        with self._lock:
            self.calls[target] += 1
            self.user_agents[user_agent] += 1
            fault = self._faults.get(target)
            if fault is None:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[target]
            return fault

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            upstream.request(method, path, body=body, headers=headers)
            response = upstream.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            upstream.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # The headers and the body leave in two writes: without this, Nagle's algorithm and the
                # client's delayed ACK hold the body back ~40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.relay()

            do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

            def relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                fault = proxy.take(target, self.headers.get("User-Agent", ""))
                if fault and fault.kind == "drop":
                    self.close_connection = True
                    return
                if fault and fault.kind == "error":
                    self.answer(fault.status, [("Content-Type", "application/x-amz-json-1.1")], fault.body())
                    return
                if fault and fault.kind == "failed_entries":
                    self.answer(200, [("Content-Type", "application/x-amz-json-1.1")], all_entries_failed(body))
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                status, answer_headers, answer = proxy.forward(self.command, self.path, headers, body)
                if fault and fault.kind == "delay":
                    time.sleep(fault.delay)
                self.answer(status, answer_headers, answer)

            def answer(self, status: int, headers: list, body: bytes) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers:
                        if name.lower() not in HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self.close_connection = True

        return Handler


def all_entries_failed(request: bytes) -> bytes:
    entries = json.loads(request or b"{}").get("Entries", [])
    failed = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected entry failure"}
    return json.dumps({"FailedEntryCount": len(entries), "Entries": [failed for _ in entries]}).encode()
