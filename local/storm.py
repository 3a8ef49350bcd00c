"""``make storm``: exactly once under load, concurrency and faults, printed as figures.

A thousand unlock requests across the six vendors go through the local stack at once: most as signed
Standard Webhooks deliveries from several sender threads, the others as "Unlock Requested" events put
on the bus, while ``DISPATCHERS`` threads deliver what the bus matched, ``DISPATCH_CONCURRENCY`` at a
time. On top of that:
- duplicates: the same signed delivery from two threads at the same moment (the webhook's delivery
  record answers the second 409 + Retry-After while the first holds it, and the sender retries), the
  same event put twice at the same moment and dispatched side by side (the unlock function's
  idempotency record makes the second invocation raise; Lambda retries it, into the dead-letter queue
  when the first is still running), and the same delivery or event sent again later;
- vendor faults (``Chaos`` in every simulator): the vendor's rate-limit answer (with ``Retry-After``
  where the vendor documents one; Okta and Auth0 announce the end of their window instead, a second or
  two away, which the connectors wait for), its 5xx (half of them after it applied the write) and, on the
  writes, answers later than the connector's read timeout;
- AWS outages through the fault proxy: now and then one DynamoDB or EventBridge operation fails every
  call for a moment (a 500, a throttling error, a closed connection); the webhook answers 503 +
  Retry-After when botocore's retries do not outlast it, and the sender retries. EventBridge fails its
  deliveries to the unlock function twice for a while (a few events end in the rule's dead-letter queue);
- a few requests for users the vendor does not know: recorded failures, never retried.
Then, with every fault off: what the senders gave up on is sent again, and every dead-letter entry
(Lambda's on-failure records and EventBridge's undelivered events) is redriven until the queue is
empty. What must hold (``Report.problems``): each request ends with exactly one outcome, which its outcome
events and audit items all record (an event repeated only in the case README's Audit row describes),
nothing is lost, no vendor write is applied twice (counted at the simulators), every known user can
sign in again, every webhook delivery is accepted in the end and no answer is a 5xx other than 503.

Randomness is seeded (``Plan.seed``): the requests, the users, the AWS outages' schedule and the fault
each vendor call meets. The threads' interleaving is not: the figures vary a little between runs, the
guarantees may not. One stack runs one storm per seed (the users' ids come from it).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from local import aws_faults
from local.samples import (
    AUTH0_CONNECTION,
    LOGINRADIUS_CONNECTION,
    OKTA_CONNECTION,
    PINGONE_CONNECTION,
    SAILPOINT_CONNECTION,
    WEBHOOK_SECRET,
    LocalEnvironment,
    ticket_body,
)
from local.signing import encode, standard_webhook_headers
from local.simulators.base import Chaos, Simulator
from local.stack import Invocation
from ops import redrive
from ops.aws import Aws
from ops.names import from_template

VENDORS = ("pingone", "loginradius", "sailpoint", "gigya", "okta", "auth0")
STORM_SOURCE = "storm-helpdesk"
# The Gigya connection reads isLockedOut before it unlocks a UID: without that read Gigya documents no
# state to check, and an unlock whose answer was lost is sent again (docs/connections/gigya.md).
STORM_GIGYA = "storm-gigya"
CONNECTIONS = {
    "pingone": PINGONE_CONNECTION,
    "loginradius": LOGINRADIUS_CONNECTION,
    "sailpoint": SAILPOINT_CONNECTION,
    "gigya": STORM_GIGYA,
    "okta": OKTA_CONNECTION,
    "auth0": AUTH0_CONNECTION,
}
# Okta by login (searched as profile.login), Auth0 by e-mail: the identifier brute-force protection blocked.
IDENTIFIERS = {
    "pingone": "username",
    "loginradius": "email",
    "sailpoint": "username",
    "gigya": "id",
    "okta": "username",
    "auth0": "email",
}
# Each vendor's unlock writes (``METHOD path``): the only calls answered late, a timeout being slow.
WRITES = {
    "pingone": r"^POST /v1/environments/[^/]+/users/[^/]+(/password)?$",
    "loginradius": r"^PUT /identity/v2/manage/account/[^/]+$",
    "sailpoint": r"^POST /v3/accounts/[^/]+/unlock$",
    "gigya": r"^POST /accounts\.rba\.unlock$",
    "okta": r"^POST /api/v1/users/[^/]+/lifecycle/unlock$",
    "auth0": r"^DELETE /api/v2/user-blocks(/[^/]+)?$",  # by identifier (the query is not matched) or by user id
}
WORKFLOW_SYSTEM = "identity-workflows"
WORKFLOW_SOURCE = "identity.workflows"
NAMESPACE = uuid.UUID("0b6f4f0e-5d1c-4d55-9a5e-3c1f3f2a7d11")
UNLOCK = "UnlockFunction"
DISPATCH_CONCURRENCY = 10
DISPATCHERS = 4  # while some wait for their batch's slowest invocation, the others deliver what came since
# Requests handed to the stack and not yet handled by the unlock function, at most: the senders wait
# beyond it. The function stays at its reserved concurrency; a longer queue only costs CPU, moto's SQS
# reading a queue's every message for each message it receives.
BACKLOG = 100
SENDER_ATTEMPTS = 6
SENDER_TIME_SCALE = 0.01  # a sender waits Retry-After times this (30 s: 0.3 s)
REDRIVE_ROUNDS = 5
# The AWS operations an outage hits: claims, records and audit items, their completion and release, the bus.
AWS_TARGETS = (
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.UpdateItem",
    "DynamoDB_20120810.DeleteItem",
    "AWSEvents.PutEvents",
)
AWS_FAULTS: tuple[Callable[[], aws_faults.Fault], ...] = (
    lambda: aws_faults.server_error(times=None),
    lambda: aws_faults.throttled(times=None, error="ProvisionedThroughputExceededException"),
    lambda: aws_faults.dropped(times=None),
)

Channel = Literal["webhook", "event"]
Duplicate = Literal["", "concurrent", "later"]


@dataclass(frozen=True)
class Plan:
    """What a storm sends and the faults it meets."""

    requests: int = 1000
    seed: int = 11
    event_share: float = 0.2  # sent as "Unlock Requested" events, the others as webhooks
    duplicate_share: float = 0.1  # sent twice: half at the same moment, half later
    unknown_share: float = 0.02  # for users the vendor does not know: recorded failures
    rate_limited: float = 0.2  # of the vendor calls
    server_error: float = 0.05  # of the vendor calls
    timeout: float = 0.02  # of the vendor writes
    aws_outage_gap: tuple[float, float] = (2.0, 6.0)  # seconds between two AWS outages (drawn)
    aws_outage_seconds: tuple[float, float] = (0.5, 2.0)  # how long one lasts (drawn)
    senders: int = 8

    def chaos(self, vendor: str) -> Chaos:
        return Chaos(
            seed=self.seed,
            rate_limited=self.rate_limited,
            server_error=self.server_error,
            timeout=self.timeout,
            timeout_path=WRITES[vendor],
        )


@dataclass
class Ticket:
    """One distinct unlock request and how it is sent."""

    index: int
    key: str  # the origin ticket id, in the request's business key
    vendor: str
    channel: Channel
    user: dict[str, str]
    duplicate: Duplicate
    locked: Callable[[], bool] | None  # whether the user is still locked; None: unknown to the vendor
    body: bytes = b""  # a webhook's
    delivery_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)  # an event's


@dataclass
class Tally:
    """What the senders and the outages saw, updated from several threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter[int] = field(default_factory=Counter)  # webhook HTTP statuses
    accepted: Counter[str] = field(default_factory=Counter)  # 2xx answers per ticket
    sender_retries: Counter[int] = field(default_factory=Counter)  # after a 409 / 503
    unexpected: list[str] = field(default_factory=list)
    pending: list[Ticket] = field(default_factory=list)  # still refused after SENDER_ATTEMPTS
    handed_over_later: int = 0
    aws_outages: int = 0
    aws_failed_calls: int = 0


@dataclass
class Report:
    figures: list[tuple[str, str]]
    problems: list[str]
    seconds: float

    def text(self) -> str:
        width = max(len(name) for name, _ in self.figures)
        lines = [f"storm ({self.seconds:.0f} s)"]
        lines += [f"    {name:<{width}}  {value}" for name, value in self.figures]
        lines += [f"    PROBLEM {problem}" for problem in self.problems]
        return "\n".join(lines)


class Storm:
    def __init__(self, env: LocalEnvironment, plan: Plan | None = None) -> None:
        self.env = env
        self.stack = env.stack
        self.plan = plan or Plan()
        self.tally = Tally()
        self.outcomes: list[dict[str, Any]] = []
        self.dead_letters: list[redrive.DeadLetter] = []
        self.first_invocation = 0
        self.sent = 0  # tickets handed over (first sends)
        self.handled: set[str] = set()  # tickets an unlock invocation has finished
        self.read = 0  # stack.invocations read into handled
        self.room = threading.Condition()

    @property
    def simulators(self) -> dict[str, Simulator]:
        return {vendor: getattr(self.env, vendor) for vendor in VENDORS}  # each simulator is named as its vendor

    def run(self) -> Report:
        started = time.monotonic()
        tickets = self.prepare()
        self.first_invocation = self.read = len(self.stack.invocations)
        with self.faults_on():
            self.send(tickets)
        self.hand_over_pending()
        self.redrive()
        observed = Observed.of(self, tickets, self.stack.invocations[self.first_invocation :])
        return Report(observed.figures(), observed.problems(), time.monotonic() - started)

    # the requests ------------------------------------------------------------------------------
    def prepare(self) -> list[Ticket]:
        """The storm's source and Gigya connection, its users and its tickets (the vendors in turn)."""
        env = self.env
        env.put_secret("connection", STORM_GIGYA, env.gigya_connection(read_lockout_state=True))
        source = {"kind": "standard-webhooks", "secrets": [WEBHOOK_SECRET], "connections": [*CONNECTIONS.values()]}
        env.put_secret("source", STORM_SOURCE, source)
        draw = random.Random(self.plan.seed)
        return [self.ticket(index, VENDORS[index % len(VENDORS)], draw) for index in range(self.plan.requests)]

    def ticket(self, index: int, vendor: str, draw: random.Random) -> Ticket:
        plan = self.plan
        name = f"storm{plan.seed}-{index:04d}"
        known = draw.random() >= plan.unknown_share
        locked = self.add_user(vendor, name, two_locks=index // len(VENDORS) % 2 == 1) if known else None
        channel: Channel = "event" if draw.random() < plan.event_share else "webhook"
        duplicate: Duplicate = ""
        if draw.random() < plan.duplicate_share:
            duplicate = "concurrent" if draw.random() < 0.5 else "later"
        key = f"STORM{plan.seed}-{index:04d}"
        user = identifier(vendor, name if known else f"{name}-unknown")
        ticket = Ticket(index, key, vendor, channel, user, duplicate, locked)
        if channel == "webhook":
            ticket.body = encode(ticket_body(key, user, connection=CONNECTIONS[vendor]))
            ticket.delivery_id = f"msg_{uuid.uuid5(NAMESPACE, key).hex}"
        else:
            ticket.detail = {
                "request_id": str(uuid.uuid5(NAMESPACE, key)),
                "origin": {"system": WORKFLOW_SYSTEM, "ticket_id": key},
                "connection": CONNECTIONS[vendor],
                "user": user,
                "requested_by": "workflow:storm",
                "reason": "identity verified by the storm's workflow",
            }
        return ticket

    def add_user(self, vendor: str, name: str, *, two_locks: bool) -> Callable[[], bool]:
        """A locked user at ``vendor``, named as ``identifier`` names it; whether it is still locked.

        ``two_locks``: a PingOne user locked out by failed sign-ins as well (two writes: password, account).
        """
        env, email, ident = self.env, f"{name}@example.com", uuid.uuid5(NAMESPACE, name)
        if vendor == "pingone":
            user = env.pingone.add_user(name, email, user_id=str(ident), password_locked=two_locks)
            return lambda: not user.can_sign_in
        if vendor == "loginradius":
            profile = env.loginradius.add_user(email, name, uid=ident.hex)
            return lambda: profile.locked
        if vendor == "sailpoint":
            account = env.sailpoint.add_account(name, account_id=ident.hex)
            return lambda: account.locked
        if vendor == "okta":
            okta = env.okta.add_user(name, email, user_id=f"00u{ident.hex[:17]}")
            return lambda: okta.locked
        if vendor == "auth0":
            auth0 = env.auth0.add_user(email, name, user_id=f"auth0|{ident.hex[:24]}")
            env.auth0.fail_sign_ins(auth0)  # brute-force protection blocks the e-mail from one IP
            return lambda: not auth0.can_sign_in
        gigya = env.gigya.add_account(name, email)
        return lambda: gigya.locked

    @contextmanager
    def faults_on(self) -> Iterator[None]:
        """The vendors' random faults for the block (the AWS outages run in ``send``); all off after it."""
        sailpoint = self.env.sailpoint
        rate_limit = sailpoint.rate_limit
        sailpoint.rate_limit = 10**6  # its own limit (100 per 10 s): the random 429s stand for it, shorter
        for vendor, simulator in self.simulators.items():
            simulator.inject(self.plan.chaos(vendor))
        try:
            yield
        finally:
            self.stack.faults.clear()
            self.stack.fail_deliveries(UNLOCK, 0)
            for simulator in self.simulators.values():
                simulator.inject(None)
            sailpoint.rate_limit = rate_limit

    # the storm ---------------------------------------------------------------------------------
    def send(self, tickets: list[Ticket]) -> None:
        """Every ticket (a concurrent duplicate with it), then the later duplicates, while the dispatchers
        deliver what the bus matched, a collector reads the outcome events and AWS fails now and then;
        returns once nothing is left to deliver. (The collector keeps the outcome queue short: moto reads
        a queue's every message for each message it sends or receives.)"""
        stop, dispatched = threading.Event(), threading.Event()
        dispatchers = [threading.Thread(target=self.dispatching, args=(stop,)) for _ in range(DISPATCHERS)]
        outages = threading.Thread(target=self.aws_outages, args=(stop,))
        collector = threading.Thread(target=self.collecting, args=(dispatched,))
        for worker in [*dispatchers, outages, collector]:
            worker.start()
        try:
            with ThreadPoolExecutor(self.plan.senders) as pool:
                list(pool.map(self.send_first, tickets))
                list(pool.map(self.send_once, [t for t in tickets if t.duplicate == "later"]))
        finally:
            stop.set()
            for worker in [*dispatchers, outages]:
                worker.join()
            dispatched.set()
            collector.join()
        self.collect_outcomes()

    def dispatching(self, stop: threading.Event) -> None:
        """Dispatch while there is something to deliver; once stopped, until nothing is left."""
        while self.stack.dispatch(concurrency=DISPATCH_CONCURRENCY) or not stop.wait(0.5):
            pass

    def collecting(self, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            self.collect_outcomes()

    def collect_outcomes(self) -> None:
        self.outcomes += self.stack.drain("Outcomes")

    def aws_outages(self, stop: threading.Event) -> None:
        """Now and then one AWS operation fails every call for a moment; a call fails for its caller
        when botocore's retries do not outlast the outage."""
        draw, faults = random.Random(f"{self.plan.seed}|aws"), self.stack.faults
        while not stop.wait(draw.uniform(*self.plan.aws_outage_gap)):
            target = draw.choice(AWS_TARGETS)
            before = faults.calls[target]
            faults.arm(target, draw.choice(AWS_FAULTS)())
            stop.wait(draw.uniform(*self.plan.aws_outage_seconds))
            failed = faults.calls[target] - before
            faults.clear()
            with self.tally.lock:
                self.tally.aws_outages += 1
                self.tally.aws_failed_calls += failed

    def fail_deliveries(self, index: int) -> None:
        """A third of the way, EventBridge fails its deliveries to the unlock function long enough for
        about two events to exhaust the rule's RetryPolicy; two thirds of the way, it may not invoke the
        function (NO_PERMISSIONS, not retried) for two events. Both end in the rule's dead-letter queue."""
        retries = self.stack.functions[UNLOCK].rules[0].retry_attempts
        if index == self.plan.requests // 3:
            self.stack.fail_deliveries(UNLOCK, 2 * (retries + 1))
        elif index == 2 * self.plan.requests // 3:
            self.stack.fail_deliveries(UNLOCK, 2, code="NO_PERMISSIONS")

    def wait_for_room(self) -> None:
        """Wait while ``BACKLOG`` tickets are handed over and not handled yet."""
        with self.room:
            while self.sent - len(self.handled) >= BACKLOG:
                invocations = self.stack.invocations
                self.handled |= {ticket_of(i.event) for i in invocations[self.read :] if i.function == UNLOCK}
                self.read = len(invocations)
                if self.sent - len(self.handled) >= BACKLOG:
                    self.room.wait(0.05)
            self.sent += 1

    def send_first(self, ticket: Ticket) -> None:
        self.wait_for_room()
        self.fail_deliveries(ticket.index)
        if ticket.duplicate == "concurrent":
            self.twice_at_once(ticket)
        else:
            self.send_once(ticket)

    def send_once(self, ticket: Ticket) -> None:
        if ticket.channel == "event":
            self.stack.put_event("Unlock Requested", ticket.detail, source=WORKFLOW_SOURCE)
        else:
            self.deliver(ticket, self.signed(ticket))

    def twice_at_once(self, ticket: Ticket) -> None:
        """The same signed delivery, or the same event, from two threads at the same moment."""
        barrier, headers = threading.Barrier(2), self.signed(ticket)

        def send() -> None:
            barrier.wait()
            if ticket.channel == "event":
                self.stack.put_event("Unlock Requested", ticket.detail, source=WORKFLOW_SOURCE)
            else:
                self.deliver(ticket, headers)

        twins = [threading.Thread(target=send) for _ in range(2)]
        for twin in twins:
            twin.start()
        for twin in twins:
            twin.join()

    def signed(self, ticket: Ticket) -> dict[str, str]:
        return standard_webhook_headers(WEBHOOK_SECRET, ticket.body, msg_id=ticket.delivery_id)

    def deliver(self, ticket: Ticket, headers: dict[str, str]) -> None:
        """Send until accepted, retrying after a 409 or 503 as a Standard Webhooks sender does (same id
        and body, signed again; after Retry-After times ``SENDER_TIME_SCALE``); a delivery refused
        ``SENDER_ATTEMPTS`` times is kept for ``hand_over_pending``."""
        for attempt in range(1, SENDER_ATTEMPTS + 1):
            status, answer_headers, _ = self.stack.api_request(
                "POST", f"/webhooks/{STORM_SOURCE}", headers, ticket.body
            )
            with self.tally.lock:
                self.tally.answers[status] += 1
                if 200 <= status < 300:
                    self.tally.accepted[ticket.key] += 1
                    return
                if status not in (409, 503):
                    self.tally.unexpected.append(f"{ticket.key}: the webhook answered {status}")
                    return
                if attempt == SENDER_ATTEMPTS:
                    self.tally.pending.append(ticket)
                    return
                self.tally.sender_retries[status] += 1
            time.sleep(float(answer_headers.get("Retry-After", "1")) * SENDER_TIME_SCALE)
            headers = self.signed(ticket)

    # after the storm, every fault off --------------------------------------------------------------
    def hand_over_pending(self) -> None:
        """The deliveries the senders gave up on (a claim left by a failed call blocks them until it
        lapses, at the end of its invocation's timeout), sent again once the claims lapsed."""
        pending, self.tally.pending = self.tally.pending, []
        self.tally.handed_over_later = len(pending)
        lapse_claims(self.env)
        with ThreadPoolExecutor(self.plan.senders) as pool:
            list(pool.map(lambda ticket: self.deliver(ticket, self.signed(ticket)), pending))
        self.stack.dispatch(concurrency=DISPATCH_CONCURRENCY)
        self.collect_outcomes()

    def redrive(self) -> None:
        """Every dead letter put on the bus again by the operator's redrive (``python -m ops redrive``)
        and delivered, round after round until the queue is empty. Before each round the records left
        in progress by invocations that could not release them lapse, as at the end of their Lambda timeout."""
        aws = Aws.local(self.stack.endpoint)
        names = from_template(aws, self.stack)
        for _ in range(REDRIVE_ROUNDS):
            lapse_claims(self.env)
            done = redrive.redrive(aws, names, dry_run=False, queues=["UnlockDeadLetterQueue"], wait_seconds=0)
            if not done.letters:
                return
            self.dead_letters += done.letters
            self.stack.dispatch(concurrency=DISPATCH_CONCURRENCY)
            self.collect_outcomes()


@dataclass
class Observed:
    """What the storm left, per ticket: outcome events, audit items, events that reached the unlock
    function, its invocations, the vendors' writes."""

    storm: Storm
    tickets: list[Ticket]
    outcomes: dict[str, list[dict[str, Any]]]  # the outcome events' details
    audits: dict[str, list[dict[str, Any]]]
    invocations: int  # of the unlock function, for the storm's requests
    succeeded: int  # of those invocations
    retries: int  # Lambda's async retries of those invocations
    retries_in_progress: int  # invocations whose every retry met the request in progress
    dead_letter_left: bool

    @classmethod
    def of(cls, storm: Storm, tickets: list[Ticket], invocations: list[Invocation]) -> Observed:
        keys = {ticket.key for ticket in tickets}
        unlock = [i for i in invocations if i.function == UNLOCK and ticket_of(i.event) in keys]
        outcomes: dict[str, list[dict[str, Any]]] = {}
        for event in storm.outcomes:
            outcomes.setdefault(ticket_of(event), []).append(event["detail"])
        return cls(
            storm=storm,
            tickets=tickets,
            outcomes=outcomes,
            audits=audit_items(storm.stack, f"STORM{storm.plan.seed}-"),
            invocations=len(unlock),
            succeeded=sum(i.error is None for i in unlock),
            retries=sum(i.attempts - 1 for i in unlock),
            retries_in_progress=sum((i.error or "").startswith("IdempotencyAlreadyInProgressError") for i in unlock),
            dead_letter_left=bool(storm.stack.drain("UnlockDeadLetterQueue")),
        )

    def writes(self) -> Counter[tuple[str, str, str]]:
        return Counter(
            {(vendor, *key): n for vendor, sim in self.storm.simulators.items() for key, n in sim.writes.items()}
        )

    def problems(self) -> list[str]:
        tally = self.storm.tally
        found = []
        for ticket in self.tickets:
            outcomes, audits = self.outcomes.get(ticket.key, []), self.audits.get(ticket.key, [])
            decided = {(o["status"], o["reason"]) for o in outcomes}
            recorded = {(a["status"]["S"], a["reason"]["S"]) for a in audits}
            if not outcomes:
                found.append(f"{ticket.key}: no outcome (lost)")
            elif len(decided) > 1:
                found.append(f"{ticket.key}: {len(decided)} different outcomes {sorted(decided)}")
            if not audits or recorded != decided:
                found.append(f"{ticket.key}: audit items {sorted(recorded)}, outcome events {sorted(decided)}")
            if ticket.locked and ticket.locked():
                found.append(f"{ticket.key}: the {ticket.vendor} user is still locked")
            if ticket.channel == "webhook" and not tally.accepted[ticket.key]:
                found.append(f"{ticket.key}: the webhook never accepted the delivery")
        found += [f"{vendor} {op} {subject}: {n} writes" for (vendor, op, subject), n in self.writes().items() if n > 1]
        found += tally.unexpected
        if self.dead_letter_left:
            found.append(f"the dead-letter queue is not empty after {REDRIVE_ROUNDS} redrive rounds")
        found += [
            f"dead letter {d.message_id} not redriven: {d.outcome}" for d in self.storm.dead_letters if not d.deleted
        ]
        return found

    def figures(self) -> list[tuple[str, str]]:
        tickets, tally, storm = self.tickets, self.storm.tally, self.storm
        details = [detail for ticket in tickets for detail in self.outcomes.get(ticket.key, [])]
        unlocked = Counter(d["reason"] for d in details if d["status"] == "unlocked")
        failed = Counter(d["reason"] for d in details if d["status"] == "failed")
        webhooks = [t for t in tickets if t.channel == "webhook"]
        from_record = sum(max(tally.accepted[t.key] - 1, 0) for t in webhooks)
        lambda_records = sum(letter.shape == redrive.DESTINATION_RECORD for letter in storm.dead_letters)
        writes = self.writes()
        injected = {vendor: sim.injected for vendor, sim in storm.simulators.items()}
        return [
            ("requests", f"{len(tickets)}: {len(webhooks)} webhooks, {len(tickets) - len(webhooks)} events; "
             + ", ".join(f"{v} {sum(t.vendor == v for t in tickets)}" for v in VENDORS)),
            ("duplicates sent", listed(Counter(f"{t.channel} {t.duplicate}" for t in tickets if t.duplicate))),
            ("duplicates suppressed", f"{from_record} deliveries answered from the webhook's delivery record; "
             f"{self.succeeded - len(details)} invocations answered from the unlock function's idempotency record, "
             f"{self.retries_in_progress} found it in progress on every retry"),
            ("webhook answers", ", ".join(f"{n} × {status}" for status, n in sorted(tally.answers.items()))),
            ("sender retries", f"{tally.sender_retries[409]} after 409, {tally.sender_retries[503]} after 503; "
             f"{tally.handed_over_later} deliveries handed over after the storm"),
            ("vendor faults", "; ".join(
                f"{v} {c['rate_limited']} rate-limited, {c['server_error']} 5xx, {c['timeout']} late"
                for v, c in injected.items())),
            ("AWS outages", f"{tally.aws_outages}, {tally.aws_failed_calls} calls failed; "
             "EventBridge failing its deliveries twice"),
            ("Lambda retries", f"{self.retries} in {self.invocations} unlock invocations"),
            ("unlocks", f"{sum(unlocked.values())} ({listed(unlocked)})"),
            ("recorded failures", f"{sum(failed.values())} ({listed(failed)})"),
            ("outcome events", f"{len(details)} for {len(self.outcomes)} requests"
             f" ({sum(len(o) - 1 for o in self.outcomes.values())} the same outcome again: README, Audit)"),
            ("audit items", f"{sum(map(len, self.audits.values()))} for {len(self.audits)} requests"),
            ("vendor writes", f"{sum(writes.values())} for {len(writes)} user writes"),
            ("dead letters", f"{len(storm.dead_letters)} ({lambda_records} Lambda on-failure records, "
             f"{len(storm.dead_letters) - lambda_records} undelivered events), all redriven"),
            ("lost", str(sum(not self.outcomes.get(t.key) for t in tickets))),
            ("double", f"{sum(n > 1 for n in writes.values())} vendor writes, "
             f"{sum(len({(o['status'], o['reason']) for o in v}) > 1 for v in self.outcomes.values())} outcomes"),
        ]  # fmt: skip


def identifier(vendor: str, name: str) -> dict[str, str]:
    """The user reference a request names ``name`` by at ``vendor``."""
    kind = IDENTIFIERS[vendor]
    return {kind: f"{name}@example.com" if kind == "email" else name}


def listed(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "none"


def ticket_of(event: dict[str, Any] | None) -> str:
    """The origin ticket id of an event (a request or an outcome)."""
    return str((event or {}).get("detail", {}).get("origin", {}).get("ticket_id", ""))


def audit_items(stack: Any, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """The audit items whose ticket id starts with ``prefix``, per ticket id."""
    items = scan(
        stack.client("dynamodb"),
        TableName=stack.names["AuditTable"],
        FilterExpression="begins_with(ticket_id, :prefix)",
        ExpressionAttributeValues={":prefix": {"S": prefix}},
    )
    per_ticket: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        per_ticket.setdefault(item["ticket_id"]["S"], []).append(item)
    return per_ticket


def lapse_claims(env: LocalEnvironment) -> None:
    """Move every in-progress idempotency record (delivery claims, unlock records and their steps)
    past its window, as the end of the claiming invocation's Lambda timeout would. Only while nothing runs."""
    from account_unlock import unlock, webhook  # after the stack set the functions' environment

    dynamodb = env.stack.client("dynamodb")
    for store in (webhook.persistence, unlock.persistence):
        in_progress = scan(
            dynamodb,
            TableName=store.table_name,
            FilterExpression="#status = :in_progress",
            ExpressionAttributeNames={"#status": store.status_attr},
            ExpressionAttributeValues={":in_progress": {"S": "INPROGRESS"}},
        )
        for item in in_progress:
            dynamodb.update_item(
                TableName=store.table_name,
                Key={store.key_attr: item[store.key_attr]},
                UpdateExpression="SET #lapse = :past",
                ExpressionAttributeNames={"#lapse": store.in_progress_expiry_attr},
                ExpressionAttributeValues={":past": {"N": "1"}},
            )


def scan(dynamodb: Any, **request: Any) -> list[dict[str, Any]]:
    """Every item a DynamoDB scan finds, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        page = dynamodb.scan(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def main() -> None:
    env = LocalEnvironment().start()
    try:
        report = Storm(env).run()
    finally:
        env.stop()
    print(report.text())
    raise SystemExit(1 if report.problems else 0)


if __name__ == "__main__":
    main()
