"""Print a curl command that sends a correctly signed webhook to the local API (``make serve``).

    python -m local.sign --user username=jdoe --ticket INC-1 [--status resolved] [--source helpdesk]
    python -m local.sign --event events/webhook-zendesk.json

The first form signs the generic ticket body for a Standard Webhooks source; the second re-signs the
request of an events/ file now (its fixed signature time is outside every replay window), for the
source the file names. Run the command with ``eval "$(...)"``. The URL is that of the running
``make serve`` (whatever port it took), else http://127.0.0.1:3000; ``--url`` overrides it. Sources
replaced with ``make serve SECRETS=<dir>`` are signed with the secret in ``<dir>``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from local.demo import Credentials, credentials, current_webhook, function_for, read_secrets, request_body
from local.samples import HELPDESK_SOURCE, PINGONE_CONNECTION, ticket_body
from local.secrets_dir import SecretsError
from local.serve import DEFAULT_PORT, running_server
from local.signing import encode, standard_webhook_headers

SKIPPED_HEADERS = {"host", "content-length"}  # curl sets these itself


def curl(url: str, headers: dict[str, str], body: bytes) -> str:
    parts = ["curl", "-sS", "-X", "POST", url]
    for key, value in headers.items():
        if key.lower() not in SKIPPED_HEADERS:
            parts += ["-H", f"{key}: {value}"]
    return shlex.join([*parts, "--data-binary", body.decode()])


def ticket_request(args: argparse.Namespace, secret: str | None) -> tuple[str, dict[str, str], bytes]:
    if secret is None:
        raise SystemExit(f"source {args.source} has no secret to sign with; give one with --secret")
    kind, _, value = args.user.partition("=")
    body = encode(ticket_body(args.ticket, {kind: value}, status=args.status, connection=args.connection))
    return f"/webhooks/{args.source}", standard_webhook_headers(secret, body), body


def event_request(path: Path, secrets: Credentials) -> tuple[str, dict[str, str], bytes]:
    event = json.loads(path.read_text())
    resource = str(event.get("resource", ""))
    if resource != "/webhooks/{source}":
        raise SystemExit(
            f"{path} is not a webhook request on the secret route ({resource or event.get('detail-type')}): "
            f"run it through its function with make invoke FUNCTION={function_for(event)} EVENT={path}"
        )
    fresh, notes = current_webhook(event, secrets)
    for note in notes:
        print(f"# {note}", file=sys.stderr)
    return str(fresh["path"]), fresh["headers"], request_body(fresh)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--event", type=Path, help="an events/webhook-*.json file to send, signed now")
    parser.add_argument("--user", help="KIND=VALUE, KIND one of id, username, email, login_id, ip")
    parser.add_argument("--ticket")
    parser.add_argument("--status", default="resolved")
    parser.add_argument("--connection", default=PINGONE_CONNECTION)
    parser.add_argument("--source", default=HELPDESK_SOURCE, help="a Standard Webhooks source")
    parser.add_argument("--secret", help="whsec_ secret of the source (default: the one make serve uses)")
    parser.add_argument(
        "--url", help=f"the API (default: the running make serve, else http://127.0.0.1:{DEFAULT_PORT})"
    )
    args = parser.parse_args()
    if args.event is None and not (args.user and args.ticket):
        parser.error("give --user and --ticket, or --event")
    return args


def main() -> None:
    args = parse_args()
    server = running_server()
    try:
        secrets = credentials(read_secrets(server.secrets if server else None))
    except SecretsError as exc:
        raise SystemExit(f"SECRETS of the running make serve: {exc}") from None
    url = args.url or (server.url if server else f"http://127.0.0.1:{DEFAULT_PORT}")
    if args.event is not None:
        path, headers, body = event_request(args.event, secrets)
    else:
        path, headers, body = ticket_request(args, args.secret or secrets.get(args.source, ("", None))[1])
    print(curl(f"{url}{path}", headers, body))


if __name__ == "__main__":
    main()
