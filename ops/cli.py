"""``python -m ops <command>``: argument parsing and output (a table or lines; ``--json`` for scripts)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from ops import export, redrive, replay, status
from ops.aws import Aws
from ops.names import LOCAL_STACK_NAME, NamesError, StackNames, from_cloudformation, from_local_template
from ops.render import clip, table
from ops.window import parse_time

DESCRIPTION = """Operator commands for account-unlock.

Against a deployed stack: --stack <name> (resource names from its CloudFormation resources) with the
caller's AWS credentials (boto3's default chain: environment, profile, SSO, instance role) and --region.
Against the local stack: --endpoint-url <the "AWS (moto) on …" URL that make serve prints> (names from
template.yaml, stack account-unlock-local unless --stack says otherwise; fixed test credentials)."""


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("where")
    where.add_argument("--stack", help="CloudFormation stack name (with --endpoint-url: the local stack's name)")
    where.add_argument("--region", help="AWS region (default: boto3's, e.g. AWS_REGION or the profile's)")
    where.add_argument("--endpoint-url", help="the local stack's AWS endpoint (make serve prints it)")
    common.add_argument("--json", action="store_true", help="machine-readable output (JSON)")
    return common


def ticket_argument(text: str) -> tuple[str, str]:
    system, colon, ticket_id = text.partition(":")
    if not colon or not system or not ticket_id:
        raise argparse.ArgumentTypeError("a ticket is <system>:<ticket id>, e.g. helpdesk:INC-1001")
    return system, ticket_id


def user_arguments(values: Sequence[str]) -> tuple[str, str, str]:
    connection, named = values
    kind, equals, value = named.partition("=")
    if not equals or not kind or not value:
        raise argparse.ArgumentTypeError("a user is <connection> <kind>=<value>, e.g. pingone-workforce username=jdoe")
    return connection, kind, value


def parser() -> argparse.ArgumentParser:
    common = common_options()
    top = argparse.ArgumentParser(
        prog="python -m ops", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="command")

    look = commands.add_parser("status", parents=[common], help="what happened to a request, a ticket or a user")
    which = look.add_mutually_exclusive_group(required=True)
    which.add_argument("--request", metavar="REQUEST_ID")
    which.add_argument("--ticket", type=ticket_argument, metavar="SYSTEM:TICKET_ID")
    which.add_argument("--user", nargs=2, metavar=("CONNECTION", "KIND=VALUE"))

    again = commands.add_parser(
        "redrive", parents=[common], help="re-publish the dead-letter queues' events on the bus (--dry-run: list them)"
    )
    again.add_argument("--dry-run", action="store_true", help="list what would be re-published; change nothing")
    again.add_argument(
        "--queue", action="append", metavar="LOGICAL_ID", help="only this queue (e.g. WriteBackDeadLetterQueue)"
    )

    play = commands.add_parser("replay", parents=[common], help="replay the bus archive for a time window")
    play.add_argument("--from", dest="start", required=True, help="ISO 8601 time (UTC unless given) or 90m/2h/7d ago")
    play.add_argument("--to", dest="end", default="0s", help="the same forms; default now")
    play.add_argument(
        "--rule",
        action="append",
        metavar="RULE",
        help="replay into this rule (logical id or name; repeatable); default the unlock function's rule",
    )
    play.add_argument("--archive", help="another archive of the bus (default the stack's)")
    play.add_argument("--name", help="the replay's name (default ops-<from>-<random>)")
    play.add_argument("--poll", type=float, default=5.0, metavar="SECONDS", help="DescribeReplay interval")

    out = commands.add_parser("export", parents=[common], help="the audit trail of a time window, JSON lines or CSV")
    out.add_argument("--from", dest="start", required=True, help="ISO 8601 time (UTC unless given) or 90m/2h/7d ago")
    out.add_argument("--to", dest="end", default="0s", help="the same forms; default now")
    subject = out.add_mutually_exclusive_group()
    subject.add_argument("--ticket", type=ticket_argument, metavar="SYSTEM:TICKET_ID", help="Query the by_ticket index")
    subject.add_argument("--user", nargs=2, metavar=("CONNECTION", "KIND=VALUE"), help="Query the by_user index")
    out.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    out.add_argument("--output", type=Path, help="write to this file (default standard output)")
    return top


def connect(args: argparse.Namespace) -> tuple[Aws, StackNames]:
    if args.endpoint_url:
        aws = Aws.local(args.endpoint_url)
        return aws, from_local_template(aws, args.stack or LOCAL_STACK_NAME)
    if not args.stack:
        raise NamesError("give --stack <name> (a deployed stack) or --endpoint-url <make serve's AWS endpoint>")
    aws = Aws.default(args.region)
    return aws, from_cloudformation(aws, args.stack)


def main(argv: Sequence[str] | None = None, stdout: IO[str] | None = None) -> int:
    out = stdout or sys.stdout
    cli = parser()
    args = cli.parse_args(argv)
    if getattr(args, "user", None):
        try:
            args.user = user_arguments(args.user)
        except argparse.ArgumentTypeError as exc:
            cli.error(str(exc))
    try:
        aws, names = connect(args)
        return run(args, aws, names, out)
    except (NamesError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"AWS error: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace, aws: Aws, names: StackNames, out: IO[str]) -> int:
    commands = {"status": run_status, "redrive": run_redrive, "replay": run_replay, "export": run_export}
    return commands[args.command](args, aws, names, out)


def emit_json(value: Any, out: IO[str]) -> None:
    out.write(json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n")


# status ------------------------------------------------------------------------------------------
def run_status(args: argparse.Namespace, aws: Aws, names: StackNames, out: IO[str]) -> int:
    status.configure_layer(aws, names)
    found = status.lookup(request=args.request, ticket=args.ticket, user=args.user)
    if args.json:
        emit_json(found[0] if args.request and found else found, out)
    elif not found:
        print("no audit item names it", file=out)
    else:
        print("\n\n".join(status.describe(summary) for summary in found), file=out)
    return 0 if found else 1


# redrive -----------------------------------------------------------------------------------------
def run_redrive(args: argparse.Namespace, aws: Aws, names: StackNames, out: IO[str]) -> int:
    report = redrive.redrive(
        aws, names, dry_run=args.dry_run, queues=args.queue, wait_seconds=0 if aws.endpoint_url else 1
    )
    now = datetime.now(UTC)
    rows = [letter.summary(now, report.ttl) for letter in report.letters]
    if args.json:
        emit_json({"dry_run": report.dry_run, "ttl_days": report.ttl.days, "messages": rows}, out)
    else:
        print_redrive(report, rows, out)
    return 1 if report.kept and not report.dry_run else 0


def print_redrive(report: redrive.Redrive, rows: list[dict[str, Any]], out: IO[str]) -> None:
    if not rows:
        print("the dead-letter queues are empty", file=out)
        return
    headers = ("queue", "request id", "connection", "user", "error", "age", "outcome")
    cells = [
        (
            row["queue"],
            row["request_id"] or "-",
            row["connection"] or "-",
            " ".join(f"{kind}={value}" for kind, value in row["user"].items()) or "-",
            clip(row["error"] or "-", 48),
            (row["age"] or "-") + (" (stale)" if row["stale"] else ""),
            row["outcome"],
        )
        for row in rows
    ]
    print(table(headers, cells), file=out)
    kept = len(report.kept)
    if report.dry_run:
        print(
            f"\ndry run: {sum(1 for r in rows if r['outcome'] == 'would re-publish')} to re-publish; nothing changed",
            file=out,
        )
    else:
        print(f"\n{len(rows) - kept} re-published and deleted, {kept} kept in the queue", file=out)
    print(stale_reminder(report.ttl.days), file=out)


def stale_reminder(days: int) -> str:
    return (
        f"Events older than IdempotencyTtlDays ({days} d) come back as Unlock Failed / stale_request"
        " (audited, no vendor call): their idempotency records may be gone."
    )


# replay ------------------------------------------------------------------------------------------
def run_replay(args: argparse.Namespace, aws: Aws, names: StackNames, out: IO[str]) -> int:
    now = datetime.now(UTC)
    start, end = parse_time(args.start, now), parse_time(args.end, now)

    def progress(state: str) -> None:
        if not args.json:
            print(f"replay {state}", file=out)

    done = replay.replay(
        aws,
        names,
        start=start,
        end=end,
        rules=args.rule,
        archive=args.archive,
        name=args.name,
        poll_seconds=args.poll,
        on_state=progress,
    )
    stale_before = done.stale_before(now)
    if args.json:
        emit_json(
            {
                "name": done.name,
                "archive": done.archive,
                "rules": done.rules,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "state": done.state,
                "state_reason": done.reason,
                "ttl_days": done.ttl.days,
                "stale_before": stale_before.isoformat(),
            },
            out,
        )
    else:
        print(f"replay {done.name} of {done.archive}: {start.isoformat()} … {end.isoformat()}", file=out)
        print(f"into   {', '.join(done.rules)}", file=out)
        print(f"state  {done.state}{f' ({done.reason})' if done.reason else ''}", file=out)
        if start < stale_before:
            print(f"events before {stale_before.isoformat()} are older than the idempotency TTL", file=out)
        print(stale_reminder(done.ttl.days), file=out)
    return 0 if done.state == "COMPLETED" else 1


# export ------------------------------------------------------------------------------------------
def run_export(args: argparse.Namespace, aws: Aws, names: StackNames, out: IO[str]) -> int:
    now = datetime.now(UTC)
    start, end = parse_time(args.start, now), parse_time(args.end, now)
    items = export.audit_items(aws, names, start=start, end=end, ticket=args.ticket, user=args.user)
    write = export.write_csv if args.format == "csv" else export.write_jsonl
    if args.output:
        with args.output.open("w", newline="", encoding="utf-8") as stream:
            write(items, stream)
    else:
        write(items, out)
    how = "Query of the index" if args.ticket or args.user else "Scan filtered on recorded_at"
    print(f"{len(items)} audit item(s) recorded {start.isoformat()} … {end.isoformat()} ({how})", file=sys.stderr)
    return 0
