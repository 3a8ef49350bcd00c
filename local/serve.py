"""``make serve``: the local stack kept running, with the API on http://127.0.0.1:3000.

Signed webhooks can be sent with curl (``python -m local.sign`` prints a ready command); the bus
rules are applied every half second and each outcome is printed as it happens.
"""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.run import describe
from local.samples import LocalEnvironment
from local.story_self_service import prepare_self_service


def api_server(env: LocalEnvironment, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            status, headers, payload = env.stack.api_request(self.command, path, dict(self.headers.items()), body)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            print(f"API  {self.command} {self.path} → {status} {payload.decode(errors='replace')}")

        do_GET = do_POST = do_PUT = do_OPTIONS = _serve

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    env = LocalEnvironment().start()
    for name in ("jdoe", "asmith", "kwong"):
        env.pingone.add_user(name, f"{name}@example.com", account_locked=True, password_locked=True)
    prepare_self_service(env)
    server = api_server(env, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"API on http://127.0.0.1:{port} (POST /webhooks/{{source}}, POST /self-service/{{connection}}/unlock)")
    print(f"AWS (moto) on {env.stack.endpoint}; self-service demo: see docs/self-service.md")
    print("PingOne users jdoe, asmith, kwong are locked. Send a signed webhook with the command printed by:")
    print("    .venv/bin/python -m local.sign --user username=jdoe --ticket INC-1")
    try:
        while True:
            env.stack.dispatch()
            for outcome in env.stack.drain("Outcomes"):
                print(f"BUS  {describe(outcome)}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        env.stop()


if __name__ == "__main__":
    main()
