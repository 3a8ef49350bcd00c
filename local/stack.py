"""The local stack: moto's server with the template's resources, the functions run in-process.

What it emulates, from ``template.yaml`` itself:
- the buses, archives, tables and queues, created in moto under ``<stack>-<LogicalId>`` names;
- each function's environment (Globals + its own, ``Ref``s resolved to those names);
- API events: requests are turned into API Gateway REST proxy events for the matching route;
- EventBridgeRule events: the rule is created in moto with the template's pattern and an SQS
  queue as target; ``dispatch()`` delivers what matched as EventBridge would: a delivery that fails
  (``fail_deliveries``) is retried per the rule's ``RetryPolicy``, then written to its
  ``DeadLetterConfig`` queue; a delivered event runs as Lambda's async invoke would, with its
  ``EventInvokeConfig`` retries (Lambda's delays times ``time_scale``) and on-failure destination;
- concurrency: a function runs several invocations at once, each in an instance of its own (a fresh
  load of its handler module, like a container), at most its ``ReservedConcurrentExecutions``
  (further invocations wait for a free instance rather than being throttled);
- each function's environment per invocation, and each invocation's output and metrics
  (``local/isolation.py``). Function output (logs and EMF metrics) goes to ``self.output``.

The functions reach moto through ``self.faults`` (``local/aws_faults.py``), a pass-through proxy
that a test can tell to fail a given AWS operation; the stack's own clients (``client()``, used to
create resources and to read queues) talk to moto directly, so an armed fault hits only the functions.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import importlib.util
import io
import json
import logging
import os
import random
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from local import isolation
from local.aws_faults import AwsFaults
from local.lambda_context import LocalContext
from local.template import ROOT, load_template

REGION = "us-east-1"
ACCOUNT = "123456789012"
# Lambda's waits before its two async retries (Lambda Developer Guide, "How Lambda handles errors
# and retries with asynchronous invocation",
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
LAMBDA_RETRY_DELAYS = (60.0, 120.0)
# Errors EventBridge does not retry: it writes the event to the dead-letter queue at once (EventBridge
# User Guide, "Event retry policy and using dead-letter queues",
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
NOT_RETRIED_DELIVERY_ERRORS = frozenset({"NO_PERMISSIONS", "NO_RESOURCE"})
# Instances of one function at once when the template reserves no concurrency.
DEFAULT_CONCURRENCY = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Output(io.StringIO):
    """Everything the functions printed: JSON log lines and EMF metric blobs."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def records(self) -> list[dict[str, Any]]:
        lines = [line for line in self.getvalue().splitlines() if line.startswith("{")]
        return [json.loads(line) for line in lines]


@dataclass
class Function:
    """One function of the template and its warm instances (handler modules, one per container)."""

    logical_id: str
    handler: str
    timeout: float
    environment: dict[str, str]
    concurrency: int
    retries: int = 0
    on_failure_queue: str | None = None
    rules: list[Rule] = field(default_factory=list)
    idle: list[ModuleType] = field(default_factory=list)
    running: int = 0
    ready: threading.Condition = field(default_factory=threading.Condition)


@dataclass
class Rule:
    """An EventBridgeRule event of a function: the queue moto delivers to, and what EventBridge does on failure."""

    name: str
    queue: str
    retry_attempts: int
    max_event_age: float
    dead_letter_queue: str | None


@dataclass
class DeliveryFault:
    """The next ``times`` deliveries to a function fail with an EventBridge error code."""

    code: str
    times: int


@dataclass
class Invocation:
    function: str
    event: dict[str, Any]
    attempts: int
    result: Any = None
    error: str | None = None


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    resource: str
    function: str


class LocalStack:
    def __init__(self, stack_name: str = "account-unlock-local", time_scale: float = 0.0) -> None:
        self.stack_name = stack_name
        self.time_scale = time_scale  # AWS's retry delays are slept times this (0: no waiting)
        self.template = load_template()
        self.resources: dict[str, Any] = self.template["Resources"]
        self.names: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}
        self.functions: dict[str, Function] = {}
        self.routes: list[Route] = []
        self.invocations: list[Invocation] = []
        self.delivery_faults: dict[str, DeliveryFault] = {}
        self.faults_lock = threading.Lock()
        self.output = Output()
        self.port = free_port()  # moto's
        self.moto_endpoint = f"http://127.0.0.1:{self.port}"
        self.faults = AwsFaults(upstream_port=self.port, port=free_port())
        self.endpoint = self.faults.url  # what the functions use
        self.names = {logical: self._physical_name(logical, spec) for logical, spec in self.resources.items()}
        self.hidden = frozenset(self.function_variables())  # during an invocation, unless the function's own
        self._moto: ThreadedMotoServer | None = None

    # start-up --------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """What the process sees: moto's endpoint (through the fault proxy), test credentials, the
        template's Globals and every function's variables (for the tests and tools, which import the
        shared layer outside any function). During an invocation a function sees only its own
        (``function_environment``): the other functions' variables are hidden."""
        return self._process_environment() | self.function_variables()

    def function_variables(self) -> dict[str, str]:
        """Every function's own variables (not the Globals), merged."""
        merged: dict[str, str] = {}
        for spec in self.resources.values():
            if spec["Type"] == "AWS::Serverless::Function":
                merged |= self._variables(spec["Properties"])
        return merged

    def _process_environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_DEV": "false",
        } | self._variables(self.template.get("Globals", {}).get("Function", {}))

    def _variables(self, props: dict[str, Any]) -> dict[str, str]:
        variables = props.get("Environment", {}).get("Variables", {})
        return {key: str(self.resolve(value)) for key, value in variables.items()}

    @property
    def bus_name(self) -> str:
        return self.names[next(k for k, v in self.resources.items() if v["Type"] == "AWS::Events::EventBus")]

    @property
    def outcome_source(self) -> str:
        """The ``source`` of the outcome events: the unlock function's ``EVENT_SOURCE``."""
        return self.function_environment("UnlockFunction")["EVENT_SOURCE"]

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        cache_moto_input_paths()
        os.environ |= self.environment()
        isolation.install()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._moto.start()
        self.faults.start()
        self._create_resources()
        self._load_functions()
        return self

    def stop(self) -> None:
        self.faults.stop()
        if self._moto:
            self._moto.stop()

    def client(self, service: str) -> Any:
        """A client of moto itself, past the fault proxy."""
        return boto3.client(service, endpoint_url=self.moto_endpoint, region_name=REGION)

    def _physical_name(self, logical: str, spec: dict[str, Any]) -> str:
        """The template's name for a resource that has one (``Name: !Sub ${AWS::StackName}-bus``), else
        ``<stack>-<LogicalId>``."""
        name = spec.get("Properties", {}).get("Name")
        return (
            self.substitute(name["Fn::Sub"])
            if isinstance(name, dict) and "Fn::Sub" in name
            else f"{self.stack_name}-{logical}"
        )

    def substitute(self, text: str) -> str:
        """``Fn::Sub`` with pseudo parameters and parameter defaults."""
        pseudo = {"AWS::StackName": self.stack_name, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return pseudo.get(name) or str(self.template["Parameters"][name]["Default"])

        return re.sub(r"\$\{([\w:]+)\}", value, text)

    def _arn(self, logical: str) -> str:
        kind = self.resources[logical]["Type"]
        name = self.names[logical]
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::Events::EventBus":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        raise KeyError(f"no ARN for {kind}")

    def resolve(self, value: Any) -> Any:
        """Resolve ``Ref`` (resources and parameter defaults), ``GetAtt ...Arn`` and ``If`` on the template's
        conditions (``Equals``/``Not`` of parameter defaults); ``AWS::NoValue`` is None."""
        if isinstance(value, dict) and "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if self.condition(self.template["Conditions"][condition]) else when_false)
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref == "AWS::NoValue":
                return None
            if ref in self.names:
                return self.names[ref]
            parameter = self.template["Parameters"][ref]
            if parameter["Type"] == "CommaDelimitedList":
                return str(parameter["Default"]).split(",")
            return str(parameter["Default"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return self._arn(logical) if attribute == "Arn" else self.names[logical]
        return value

    def condition(self, expression: dict[str, Any]) -> bool:
        if "Fn::Not" in expression:
            return not self.condition(expression["Fn::Not"][0])
        if "Fn::Equals" in expression:
            left, right = (self.resolve(side) for side in expression["Fn::Equals"])
            return str(left) == str(right)
        raise ValueError(f"condition not emulated: {expression}")

    def _create_resources(self) -> None:
        events, dynamodb, sqs = self.client("events"), self.client("dynamodb"), self.client("sqs")
        for logical, spec in self.resources.items():
            props = spec.get("Properties", {})
            name = self.names[logical]
            if spec["Type"] == "AWS::Events::EventBus":
                events.create_event_bus(Name=name)
            elif spec["Type"] == "AWS::SQS::Queue":
                self.queue_urls[logical] = sqs.create_queue(QueueName=name)["QueueUrl"]
            elif spec["Type"] == "AWS::DynamoDB::Table":
                indexes = (
                    {"GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"]}
                    if "GlobalSecondaryIndexes" in props
                    else {}
                )
                dynamodb.create_table(
                    TableName=name,
                    KeySchema=props["KeySchema"],
                    AttributeDefinitions=props["AttributeDefinitions"],
                    BillingMode=props["BillingMode"],
                    **indexes,
                )
                if "TimeToLiveSpecification" in props:
                    dynamodb.update_time_to_live(
                        TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
                    )
        for logical, spec in self.resources.items():
            if spec["Type"] == "AWS::Events::Archive":
                props = spec["Properties"]
                events.create_archive(
                    ArchiveName=self.names[logical],
                    EventSourceArn=self.resolve(props["SourceArn"]),
                    RetentionDays=int(self.resolve(props["RetentionDays"])),
                )
        # A tap on the outcome events, so the run command and the tests can read them.
        self._add_rule_to_queue("outcomes", {"source": [self.outcome_source]}, "Outcomes")

    def _add_rule_to_queue(self, rule: str, pattern: dict[str, Any], queue_logical: str) -> str:
        events, sqs = self.client("events"), self.client("sqs")
        queue_name = f"{self.stack_name}-{queue_logical}"
        url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        self.queue_urls[queue_logical] = url
        bus = self.bus_name
        events.put_rule(Name=f"{self.stack_name}-{rule}", EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=f"{self.stack_name}-{rule}",
            EventBusName=bus,
            Targets=[{"Id": "queue", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"}],
        )
        return url

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """A function's variables as Lambda sets them: Globals, its own (``Ref``s resolved) and Lambda's."""
        function = self.functions.get(logical_id)
        if function:
            return function.environment
        globals_ = self._variables(self.template.get("Globals", {}).get("Function", {}))
        return (
            globals_
            | self._variables(self.resources[logical_id]["Properties"])
            | {
                "AWS_LAMBDA_FUNCTION_NAME": f"{self.stack_name}-{logical_id}",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(
                    self.resolve(self._function_property(logical_id, "MemorySize", 128))
                ),
            }
        )

    def _function_property(self, logical_id: str, name: str, default: Any) -> Any:
        props = self.resources[logical_id]["Properties"]
        return props.get(name, self.template.get("Globals", {}).get("Function", {}).get(name, default))

    def configure(self, logical_id: str, **variables: str) -> None:
        """Lambda's UpdateFunctionConfiguration for environment variables: later invocations see them in
        new instances (settings are read once per function, so they are read again)."""
        from account_unlock.config import function_settings

        function = self.functions[logical_id]
        with function.ready:
            function.environment = function.environment | variables
            function.idle.clear()
        function_settings.cache_clear()

    def _load_functions(self) -> None:
        for logical, spec in self.resources.items():
            if spec["Type"] != "AWS::Serverless::Function":
                continue
            props = spec["Properties"]
            invoke_config = props.get("EventInvokeConfig", {})
            on_failure = invoke_config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            reserved = self.resolve(props.get("ReservedConcurrentExecutions", {"Ref": "AWS::NoValue"}))
            function = Function(
                logical_id=logical,
                handler=props["Handler"].rsplit(".", 1)[1],
                timeout=float(self.resolve(self._function_property(logical, "Timeout", 3))),
                environment=self.function_environment(logical),
                concurrency=int(reserved) if reserved else DEFAULT_CONCURRENCY,
                retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
                on_failure_queue=on_failure["Fn::GetAtt"][0] if on_failure else None,
            )
            self.functions[logical] = function
            function.idle.append(self.load_module(logical))  # the first instance, warm before any request
            for event_name, event in props.get("Events", {}).items():
                self._wire_event(function, event_name, event)

    def load_module(self, logical_id: str, environment: dict[str, str] | None = None) -> ModuleType:
        """A fresh import of a function's handler module under its environment (or ``environment``): a
        new instance whose module-level set-up (resolver, decorators) runs again."""
        props = self.resources[logical_id]["Properties"]
        module_name = props["Handler"].rsplit(".", 1)[0]
        path = ROOT / props["CodeUri"] / f"{module_name}.py"
        module_spec = importlib.util.spec_from_file_location(f"{logical_id}_{module_name}", path)
        assert module_spec
        assert module_spec.loader
        module = importlib.util.module_from_spec(module_spec)
        environment = environment or self.function_environment(logical_id)
        with isolation.invocation(environment, self.output, self.hidden):
            module_spec.loader.exec_module(module)
        return module

    @contextlib.contextmanager
    def instance(self, function: Function) -> Iterator[ModuleType]:
        """An idle instance of ``function``, or a new one (a cold start) while under its concurrency."""
        with function.ready:
            function.ready.wait_for(lambda: function.idle or function.running < function.concurrency)
            module = function.idle.pop() if function.idle else None
            function.running += 1
        try:
            if module is None:
                module = self.load_module(function.logical_id)
            yield module
        finally:
            with function.ready:
                function.running -= 1
                if module is not None:
                    function.idle.append(module)
                function.ready.notify()

    def _wire_event(self, function: Function, event_name: str, event: dict[str, Any]) -> None:
        props = event["Properties"]
        if event["Type"] == "Api":
            resource = props["Path"]
            pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource)) + "$")
            self.routes.append(Route(props["Method"].upper(), pattern, resource, function.logical_id))
        elif event["Type"] == "EventBridgeRule":
            queue_logical = f"{function.logical_id}{event_name}Invocations"
            pattern = {key: self.resolve(value) for key, value in props["Pattern"].items()}
            name = f"{function.logical_id}-{event_name}"
            self._add_rule_to_queue(name, pattern, queue_logical)
            retry = props.get("RetryPolicy", {})
            dead_letter = props.get("DeadLetterConfig", {}).get("Arn")
            function.rules.append(
                Rule(
                    name=f"{self.stack_name}-{name}",
                    queue=queue_logical,
                    retry_attempts=int(retry.get("MaximumRetryAttempts", 185)),
                    max_event_age=float(retry.get("MaximumEventAgeInSeconds", 86400)),
                    dead_letter_queue=dead_letter["Fn::GetAtt"][0] if dead_letter else None,
                )
            )

    # invoking --------------------------------------------------------------------------------
    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """One synchronous invocation, as ``sam local invoke`` would do it; safe to call from several threads."""
        function = self.functions[logical_id]
        with self.instance(function) as module, isolation.invocation(function.environment, self.output, self.hidden):
            capture_logs(sys.stdout)
            context = LocalContext(
                function_name=function.environment["AWS_LAMBDA_FUNCTION_NAME"], timeout_seconds=function.timeout
            )
            return getattr(module, function.handler)(event, context)

    def invoke_async(self, logical_id: str, event: dict[str, Any]) -> Invocation:
        """Lambda's async invoke: retries per EventInvokeConfig, then the on-failure destination."""
        function = self.functions[logical_id]
        invocation = Invocation(function=logical_id, event=event, attempts=0)
        for attempt in range(1, function.retries + 2):
            invocation.attempts = attempt
            try:
                invocation.result = self.invoke(logical_id, event)
                invocation.error = None
                break
            except Exception as exc:
                invocation.error = f"{type(exc).__name__}: {exc}"
                if attempt <= function.retries:
                    self.wait(LAMBDA_RETRY_DELAYS[min(attempt, len(LAMBDA_RETRY_DELAYS)) - 1])
        if invocation.error and function.on_failure_queue:
            self._send_to_destination(function, invocation)
        self.invocations.append(invocation)
        return invocation

    def invocations_of(self, logical_id: str) -> list[Invocation]:
        """The async invocations of one function so far, oldest first."""
        return [invocation for invocation in self.invocations if invocation.function == logical_id]

    def wait(self, seconds: float) -> None:
        if self.time_scale:
            time.sleep(seconds * self.time_scale)

    def fail_deliveries(self, logical_id: str, times: int, code: str = "CONNECTION_FAILURE") -> None:
        """Make EventBridge's next ``times`` deliveries to a function fail with ``code``."""
        self.delivery_faults[logical_id] = DeliveryFault(code, times)

    def deliver(self, function: Function, rule: Rule, event: dict[str, Any]) -> Invocation | None:
        """EventBridge's delivery of one matched event to its Lambda target: retried per the rule's
        RetryPolicy (exponential back-off with jitter, times ``time_scale``) while the target refuses it,
        then written to the rule's dead-letter queue; once accepted, Lambda's async invoke runs it."""
        waited, attempt = 0.0, 0
        while fault := self._delivery_fault(function.logical_id):
            condition = None
            if fault.code in NOT_RETRIED_DELIVERY_ERRORS:
                condition = "NotRetried"
            elif attempt >= rule.retry_attempts:
                condition = "MaximumRetryAttempts"
            elif waited >= rule.max_event_age:
                condition = "MaximumEventAgeInSeconds"
            if condition:
                self._send_to_dead_letter_queue(function, rule, event, fault.code, condition, attempt)
                return None
            delay = random.uniform(0, min(2.0**attempt, 300.0))
            self.wait(delay)
            waited, attempt = waited + delay, attempt + 1
        return self.invoke_async(function.logical_id, event)

    def _delivery_fault(self, logical_id: str) -> DeliveryFault | None:
        with self.faults_lock:
            fault = self.delivery_faults.get(logical_id)
            if not fault or fault.times <= 0:
                return None
            fault.times -= 1
            return fault

    def _send_to_dead_letter_queue(
        self, function: Function, rule: Rule, event: dict[str, Any], code: str, condition: str, retries: int
    ) -> None:
        """The event, with the attributes EventBridge documents for its dead-letter messages."""
        if not rule.dead_letter_queue:
            return
        attributes = {
            "RULE_ARN": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self.bus_name}/{rule.name}",
            "TARGET_ARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.environment['AWS_LAMBDA_FUNCTION_NAME']}",
            "ERROR_CODE": code,
            "ERROR_MESSAGE": f"delivery to the target failed: {code}",
            "EXHAUSTED_RETRY_CONDITION": condition,
            "RETRY_ATTEMPTS": str(retries),
        }
        self.client("sqs").send_message(
            QueueUrl=self.queue_urls[rule.dead_letter_queue],
            MessageBody=json.dumps(event),
            MessageAttributes={key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()},
        )

    def _send_to_destination(self, function: Function, invocation: Invocation) -> None:
        error_type, _, message = (invocation.error or "").partition(": ")
        record = {
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.stack_name}-{function.logical_id}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": invocation.attempts,
            },
            "requestPayload": invocation.event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorType": error_type, "errorMessage": message},
        }
        self.client("sqs").send_message(
            QueueUrl=self.queue_urls[function.on_failure_queue], MessageBody=json.dumps(record)
        )

    def dispatch(self, concurrency: int = 1) -> list[Invocation]:
        """Deliver every event the bus rules have matched so far, ``concurrency`` at a time; repeat until
        nothing is left. Events that end in a rule's dead-letter queue are not in the list."""
        delivered: list[Invocation | None] = []
        while batch := [
            (function, rule, {"account": ACCOUNT, **message})  # moto leaves out "account", which EventBridge sets
            for function in self.functions.values()
            for rule in function.rules
            for message in self.drain(rule.queue)
        ]:
            if concurrency == 1:
                delivered += [self.deliver(*delivery) for delivery in batch]
            else:
                with ThreadPoolExecutor(concurrency) as pool:
                    delivered += list(pool.map(lambda delivery: self.deliver(*delivery), batch))
        return [invocation for invocation in delivered if invocation]

    def drain(self, queue_logical: str) -> list[dict[str, Any]]:
        """Receive and delete every message of a queue."""
        sqs, url, bodies = self.client("sqs"), self.queue_urls[queue_logical], []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def put_event(self, detail_type: str, detail: dict[str, Any], source: str = "identity.workflows") -> None:
        response = self.client("events").put_events(
            Entries=[
                {
                    "EventBusName": self.bus_name,
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                }
            ]
        )
        assert response["FailedEntryCount"] == 0, response

    # the API ---------------------------------------------------------------------------------
    def api_request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        *,
        source_ip: str = "127.0.0.1",
        identity: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Serve one request the way API Gateway's Lambda proxy integration would (from ``source_ip``):
        ``path`` may carry a query string.

        ``identity`` is the caller ARN API Gateway puts in ``requestContext.identity.userArn`` after
        verifying a SigV4 signature on an AWS_IAM route. The local stack does not verify SigV4 itself
        (API Gateway does): it takes the caller as given.
        """
        path, _, query = path.partition("?")
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                event = api_gateway_event(
                    method, path, route.resource, match.groupdict(), headers, body, source_ip, identity=identity
                )
                if query:
                    values = parse_qs(query, keep_blank_values=True)
                    event["queryStringParameters"] = {name: given[-1] for name, given in values.items()}
                    event["multiValueQueryStringParameters"] = values
                result = self.invoke(route.function, event)
                payload = (
                    base64.b64decode(result["body"])
                    if result.get("isBase64Encoded")
                    else result.get("body", "").encode()
                )
                multi = {key: ", ".join(values) for key, values in (result.get("multiValueHeaders") or {}).items()}
                return result["statusCode"], {**result.get("headers", {}), **multi}, payload
        return 403, {"Content-Type": "application/json"}, b'{"message":"Missing Authentication Token"}'


def cache_moto_input_paths() -> None:
    """moto delivers every event to each rule target through its input-path template, parsing the same
    few JSONPath expressions with a freshly built parser each time (~7 ms an event, most of a
    PutEvents call); the parsed expressions are reusable, so they are cached."""
    import jsonpath_ng.ext

    if not hasattr(jsonpath_ng.ext.parse, "cache_info"):
        jsonpath_ng.ext.parse = functools.cache(jsonpath_ng.ext.parse)


def capture_logs(stream: io.StringIO) -> None:
    """Point the Powertools logger at ``stream``: it keeps the stdout of the moment it was created,
    which is not the function output if something imported the package before the stack started."""
    for handler in logging.getLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "service_undefined")).handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is not stream:
            handler.setStream(stream)


def api_gateway_event(
    method: str,
    path: str,
    resource: str,
    path_parameters: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    source_ip: str = "127.0.0.1",
    *,
    identity: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event; ``identity``: the SigV4 caller's ARN (``userArn``), if any."""
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")}
            | ({"userArn": identity} if identity is not None else {}),
        },
        "body": text if body else None,
        "isBase64Encoded": is_base64,
    }
