"""``make serve``: the local stack kept running for curl, on http://127.0.0.1:3000 by default.

It is set up as ``make invoke`` is (local/demo.py): one source of every kind, the self-service
connection ``loginradius-portal`` and the locked users the guides' sample requests name;
``--secrets <dir>`` (``make serve SECRETS=<dir>``) adds or replaces connections and sources from JSON
files (local/secrets_dir.py). ``--port`` (``make serve PORT=<n>``) asks for a port and stops with a
message when it is taken; without it, 3000, or a free port (printed) when 3000 is taken. The URL is
written to ``.local/serve.json`` so that ``python -m local.sign`` finds the server by itself. The bus
rules are applied every half second and each outcome is printed as it happens.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from local.demo import configure, credentials, read_secrets
from local.portal import SELF_SERVICE_CONNECTION
from local.samples import LocalEnvironment
from local.secrets_dir import SecretsError
from local.steps import describe
from local.template import ROOT

DEFAULT_PORT = 3000  # the port the guides' curl commands use


def state_file() -> Path:
    """Where a running ``make serve`` leaves its URL (``LOCAL_STATE_DIR`` overrides ``.local/``)."""
    return Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local") / "serve.json"


@dataclass(frozen=True)
class RunningServer:
    url: str
    secrets: Path | None  # its secrets folder, whose sources local.sign then signs for


def running_server() -> RunningServer | None:
    """The ``make serve`` that is running, if one is."""
    try:
        state = json.loads(state_file().read_text())
        os.kill(int(state["pid"]), 0)  # a state file left by a killed server does not count
        return RunningServer(str(state["url"]), Path(state["secrets"]) if state["secrets"] else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_state(url: str, secrets: Path | None) -> None:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = str(secrets.resolve()) if secrets else None
    path.write_text(json.dumps({"url": url, "pid": os.getpid(), "secrets": folder}) + "\n")


def clear_state() -> None:
    """Remove the state file if it is still this process's (another server may have started since)."""
    path = state_file()
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        return


def api_server(env: LocalEnvironment, port: int) -> ThreadingHTTPServer:
    """The stack's API over HTTP; the client's address is the request's source IP, as API Gateway sets it."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = env.stack.api_request(
                self.command, self.path, dict(self.headers.items()), body, source_ip=self.client_address[0]
            )
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            print(f"API  {self.command} {self.path} → {status} {payload.decode(errors='replace')}")

        do_GET = do_POST = do_PUT = do_OPTIONS = _serve

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def bind(env: LocalEnvironment, port: int | None) -> tuple[ThreadingHTTPServer, str]:
    """The API server on ``port``; when none is asked for, on 3000 or, if 3000 is taken, a free port.

    Returns the server and a notice for the banner ("" on the default port). A port asked for that is
    taken raises the ``OSError``.
    """
    try:
        return api_server(env, port or DEFAULT_PORT), ""
    except OSError as exc:
        if port is not None or exc.errno != errno.EADDRINUSE:
            raise
    server = api_server(env, 0)
    return server, (
        f"Port {DEFAULT_PORT} is in use, so this server took the free port {server.server_port}.\n"
        f"python -m local.sign finds it by itself; in the guides' curl commands write {server.server_port} for"
        f" {DEFAULT_PORT}\n(or stop what holds port {DEFAULT_PORT}, or choose one: make serve PORT=<n>)."
    )


def banner(env: LocalEnvironment, url: str, sources: list[str], loaded: list[str]) -> str:
    lines = [
        f"API on {url} (POST /webhooks/{{source}}, POST /self-service/{{connection}}/unlock)",
        f"AWS (moto) on {env.stack.endpoint}",
        f"Sources: {', '.join(sources)} (docs/sources/); self-service connection {SELF_SERVICE_CONNECTION}"
        " (docs/self-service.md)",
    ]
    if loaded:
        lines.append(f"From the secrets folder: {', '.join(loaded)}")
    return "\n".join(
        [
            *lines,
            "Locked at the simulators: the users that events/ names (PingOne jdoe, asmith, kwong, …).",
            "Send a signed webhook with the command printed by:",
            "    .venv/bin/python -m local.sign --user username=jdoe --ticket INC-1",
            "or any request of events/, signed now (run it with eval):",
            "    .venv/bin/python -m local.sign --event events/webhook-zendesk.json",
        ]
    )


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the server as Ctrl-C does: the state file removed, moto and the simulators stopped."""
    raise KeyboardInterrupt


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, help=f"port of the API (default {DEFAULT_PORT}, or a free one)")
    parser.add_argument("--secrets", type=Path, help="folder with connections/*.json and sources/*.json")
    return parser.parse_args()


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # each line as it happens, also when piped
    signal.signal(signal.SIGTERM, interrupt)
    args = parse_args()
    try:
        secrets = read_secrets(args.secrets)
    except SecretsError as exc:
        print(f"SECRETS: {exc}", file=sys.stderr)
        return 2
    env = LocalEnvironment()
    try:
        server, notice = bind(env, args.port)
    except OSError as exc:
        port = args.port or DEFAULT_PORT
        print(f"Cannot serve on port {port}: {exc.strerror}. Choose another: make serve PORT=<n>", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{server.server_port}"
    env.start()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        configure(env, secrets)
        serving.start()
        write_state(url, args.secrets)
        loaded = [f"{secret.kind}s/{secret.name}" for secret in secrets]
        print(banner(env, url, sorted(credentials(secrets)), loaded))
        if notice:
            print(f"\n{notice}")
        while True:
            env.stack.dispatch()
            for outcome in env.stack.drain("Outcomes"):
                print(f"BUS  {describe(outcome)}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        clear_state()
        if serving.is_alive():
            server.shutdown()
        server.server_close()
        env.stop()


if __name__ == "__main__":
    sys.exit(main())
