"""A small threaded HTTP server with routes, a request log and fault injection.

Each vendor simulator subclasses ``Simulator`` and declares ``routes``. Tests and the local run
command use the same simulators: ``requests`` (the log) proves the exact request a connector sent,
``fail(...)`` queues error answers (429 with Retry-After, 5xx, vendor error bodies) and ``delay``
makes the next answers slow (after the request was handled: the vendor acted, the answer is late).
Both can be limited to one method and a path. ``inject(Chaos(...))`` adds seeded random faults to
every request (a vendor under load: its rate-limit answer, its 5xx, an answer later than the client's
read timeout); each vendor answers them with its own documented bodies (``rate_limited``,
``server_error``). ``writes`` counts the writes the vendor applied, per operation and subject, whatever
answer the caller then got: a count above one is a double write.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0  # the status the simulator answered with

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Fault:
    reply: Reply | None  # None: no substitute answer, only a delay
    path: str  # regex searched in the request path; "" matches every path
    times: int
    method: str | None = None  # None matches every method
    delay: float = 0.0
    handled: bool = False  # the request is handled (the vendor acts), then this reply replaces the answer

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and re.search(self.path, path) is not None


@dataclass(frozen=True)
class Chaos:
    """Seeded random faults, drawn once per request: what a vendor under load answers now and then.

    A request draws from a generator seeded with ``seed``, the request itself (method, path, query,
    body) and how many times the same request came before, so a run meets the same faults whatever
    order its threads reach the simulator in. Shares of all requests:
    - ``rate_limited``: the vendor's rate-limit answer (``Simulator.rate_limited``), nothing handled, with
      a ``Retry-After`` drawn from ``retry_after`` where the vendor documents one;
    - ``server_error``: the vendor's 5xx (``Simulator.server_error``); ``committed`` of them after the
      request was handled (the vendor acted, then failed);
    - ``timeout``: handled, then answered ``late_seconds`` later (past the client's read timeout); only
      requests whose ``METHOD path`` matches ``timeout_path`` (they are slow: e.g. the writes only).
    """

    seed: int
    rate_limited: float = 0.0
    server_error: float = 0.0
    timeout: float = 0.0
    committed: float = 0.5
    retry_after: tuple[int, ...] = (0, 1)
    late_seconds: float = 10.5
    timeout_path: str = ""

    def draw(self, target: str, key: str) -> tuple[str | None, random.Random]:
        """The fault of the request ``target`` (``METHOD path``) identified by ``key`` (``rate_limited``,
        ``server_error``, ``timeout`` or None) and the generator it was drawn from."""
        generator = random.Random(f"{self.seed}|{key}")
        roll = generator.random()
        if roll < self.rate_limited:
            return "rate_limited", generator
        if roll < self.rate_limited + self.server_error:
            return "server_error", generator
        if roll < self.rate_limited + self.server_error + self.timeout and re.search(self.timeout_path, target):
            return "timeout", generator
        return None, generator


def take(queue: deque[Fault], request: Request) -> Fault | None:
    """The first queued fault matching ``request``, used once more (and dropped when used up)."""
    for fault in queue:
        if fault.matches(request.method, request.path):
            fault.times -= 1
            if fault.times <= 0:
                queue.remove(fault)
            return fault
    return None


class Simulator:
    """Subclasses set ``name`` and ``routes``: (method, path regex with named groups, handler name)."""

    name: ClassVar[str] = "simulator"
    routes: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: deque[Fault] = deque()
        self.delays: deque[Fault] = deque()
        self.lock = threading.RLock()
        self.chaos: Chaos | None = None
        self.injected: Counter[str] = Counter()  # the faults ``chaos`` answered, by kind
        self.writes: Counter[tuple[str, str]] = Counter()  # (operation, subject) → writes applied
        self._occurrences: Counter[str] = Counter()
        self._compiled = [(method, re.compile(f"^{pattern}$"), handler) for method, pattern, handler in self.routes]
        self._server: ThreadingHTTPServer | None = None

    # lifecycle -------------------------------------------------------------------------------
    def start(self, port: int = 0) -> Simulator:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in separate writes: with Nagle on, the body waits for the client's
            # delayed ACK of the headers (tens of milliseconds an answer), which no vendor adds.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

            def _serve(self) -> None:
                simulator._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server, "simulator not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # test controls ---------------------------------------------------------------------------
    def fail(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        path: str = "",
        times: int = 1,
        method: str | None = None,
        handled: bool = False,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` with this reply.

        ``handled``: the vendor acts on the request first (an unlock happens), then the reply is an
        error, as when a vendor fails after committing a write.
        """
        with self.lock:
            self.faults.append(Fault(Reply(status, body, headers or {}), path, times, method, handled=handled))

    def delay(self, seconds: float, times: int = 1, *, path: str = "", method: str | None = None) -> None:
        """Handle the next ``times`` matching requests as usual, then answer them ``seconds`` late."""
        with self.lock:
            self.delays.append(Fault(None, path, times, method, seconds))

    def inject(self, chaos: Chaos | None) -> None:
        """Draw a fault for every request from now on, counted in ``injected`` from zero (None: stop;
        the counts stay until ``clear``)."""
        with self.lock:
            if chaos is not None:
                self.injected.clear()
                self._occurrences.clear()
            self.chaos = chaos

    def clear(self) -> None:
        """Forget the request log, pending faults and delays, the random faults with their counts and
        the write counts (state is kept)."""
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.delays.clear()
            self.writes.clear()
            self.injected.clear()
            self._occurrences.clear()
            self.chaos = None

    def count_write(self, operation: str, subject: str) -> None:
        """A write the vendor applied (called by the handler that applies it, under ``lock``)."""
        self.writes[(operation, subject)] += 1

    # the vendor's own answers to the random faults (subclasses answer with their documented bodies)
    def rate_limited(self, request: Request, retry_after: int) -> Reply:
        return Reply(429, {"message": "Too Many Requests"}, {"Retry-After": str(retry_after)})

    def server_error(self, request: Request) -> Reply:
        return Reply(500, {"message": "Internal Server Error"})

    def reset(self) -> None:
        """Back to the freshly-constructed state; subclasses also forget their accounts, tokens and switches."""
        with self.lock:
            self.clear()

    def calls(self, method: str | None = None, path: str = "") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method) and re.search(path, r.path)]

    # serving ---------------------------------------------------------------------------------
    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        request = Request(
            method=http.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in http.headers.items()},
            body=http.rfile.read(length) if length else b"",
        )
        with self.lock:
            self.requests.append(request)
            fault = take(self.faults, request)
            late = take(self.delays, request)
            if fault is None and late is None and self.chaos is not None:
                fault, late = self._random_fault(self.chaos, request)
        reply = self._route(request) if fault is None or fault.handled else None
        if fault is not None and fault.reply is not None:
            reply = fault.reply
        assert reply is not None  # a queued fault always carries its reply
        if late:
            time.sleep(late.delay)
        request.status = reply.status
        payload = reply.encode()
        try:
            http.send_response(reply.status)
            http.send_header("Content-Type", reply.content_type)
            http.send_header("Content-Length", str(len(payload)))
            for key, value in reply.headers.items():
                http.send_header(key, value)
            http.end_headers()
            http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # a late answer: the client gave up waiting
            http.close_connection = True

    def _random_fault(self, chaos: Chaos, request: Request) -> tuple[Fault | None, Fault | None]:
        """The (fault, delay) ``chaos`` draws for ``request``, as if queued with ``fail`` / ``delay``."""
        target = f"{request.method} {request.path}"
        signature = f"{target}?{sorted(request.query.items())}#{hashlib.sha256(request.body).hexdigest()}"
        occurrence = self._occurrences[signature]
        self._occurrences[signature] += 1
        kind, generator = chaos.draw(target, f"{signature}#{occurrence}")
        if kind is None:
            return None, None
        self.injected[kind] += 1
        if kind == "rate_limited":
            reply = self.rate_limited(request, generator.choice(chaos.retry_after))
            return Fault(reply, "", 1), None
        if kind == "server_error":
            handled = generator.random() < chaos.committed
            return Fault(self.server_error(request), "", 1, handled=handled), None
        return None, Fault(None, "", 1, delay=chaos.late_seconds)

    def _route(self, request: Request) -> Reply:
        for method, pattern, handler in self._compiled:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                with self.lock:
                    return getattr(self, handler)(request)
        return self.not_routed(request)

    def not_routed(self, request: Request) -> Reply:
        """The vendor's answer to an unknown path; subclasses return the vendor's own error body."""
        return Reply(404, {"message": f"no route for {request.method} {request.path}"})
