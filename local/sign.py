"""Print a curl command that sends a correctly signed Standard Webhooks request to the local API.

python -m local.sign --user username=jdoe --ticket INC-1 [--status resolved] [--secret whsec_...]
"""

from __future__ import annotations

import argparse
import shlex

from local.samples import HELPDESK_SOURCE, PINGONE_CONNECTION, WEBHOOK_SECRET, ticket_body
from local.signing import encode, standard_webhook_headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", required=True, help="KIND=VALUE, KIND one of id, username, email, login_id, ip")
    parser.add_argument("--ticket", required=True)
    parser.add_argument("--status", default="resolved")
    parser.add_argument("--connection", default=PINGONE_CONNECTION)
    parser.add_argument("--source", default=HELPDESK_SOURCE)
    parser.add_argument("--secret", default=WEBHOOK_SECRET, help="whsec_ secret of the source")
    parser.add_argument("--url", default="http://127.0.0.1:3000")
    args = parser.parse_args()
    kind, _, value = args.user.partition("=")
    body = encode(ticket_body(args.ticket, {kind: value}, status=args.status, connection=args.connection))
    headers = standard_webhook_headers(args.secret, body)
    parts = ["curl", "-sS", "-X", "POST", f"{args.url}/webhooks/{args.source}"]
    for key, header_value in headers.items():
        parts += ["-H", f"{key}: {header_value}"]
    parts += ["--data-binary", body.decode()]
    print(shlex.join(parts))


if __name__ == "__main__":
    main()
