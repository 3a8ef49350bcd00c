"""The local stack: moto's server with the template's resources, the functions run in-process.

What it emulates, from ``template.yaml`` itself:
- the buses, archives, tables and queues, created in moto under ``<stack>-<LogicalId>`` names;
- each function's environment (Globals + its own, ``Ref``s resolved to those names);
- API events: requests are turned into API Gateway REST proxy events for the matching route;
- EventBridgeRule events: the rule is created in moto with the template's pattern and an SQS
  queue as target; ``dispatch()`` delivers what matched to the function as Lambda's async
  invoke would, with its ``EventInvokeConfig`` retries and on-failure destination (the DLQ).
Function output (logs and EMF metrics) goes to ``self.output``, not the terminal.

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
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from local.aws_faults import AwsFaults
from local.lambda_context import LocalContext
from local.template import ROOT, load_template

REGION = "us-east-1"
ACCOUNT = "123456789012"
OUTCOME_SOURCE = "account-unlock"


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
    logical_id: str
    module: ModuleType
    handler: str
    timeout: float
    retries: int = 0
    on_failure_queue: str | None = None
    invoke_queue: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


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
    def __init__(self, stack_name: str = "account-unlock-local") -> None:
        self.stack_name = stack_name
        self.template = load_template()
        self.resources: dict[str, Any] = self.template["Resources"]
        self.names: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}
        self.functions: dict[str, Function] = {}
        self.routes: list[Route] = []
        self.invocations: list[Invocation] = []
        self.output = Output()
        self.port = free_port()  # moto's
        self.moto_endpoint = f"http://127.0.0.1:{self.port}"
        self.faults = AwsFaults(upstream_port=self.port, port=free_port())
        self.endpoint = self.faults.url  # what the functions use
        self.names = {logical: self._physical_name(logical, spec) for logical, spec in self.resources.items()}
        self._moto: ThreadedMotoServer | None = None

    # start-up --------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        """What the functions' process sees: moto's endpoint and each function's variables."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_DEV": "false",
        } | self._function_environment()

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        cache_moto_input_paths()
        os.environ |= self.environment()
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
        if spec["Type"] == "AWS::Events::EventBus":
            return f"{self.stack_name}-bus"
        return f"{self.stack_name}-{logical}"

    def _arn(self, logical: str) -> str:
        kind = self.resources[logical]["Type"]
        name = self.names[logical]
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::Events::EventBus":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        raise KeyError(f"no ARN for {kind}")

    def resolve(self, value: Any) -> Any:
        """Resolve ``Ref`` (resources and parameter defaults) and ``GetAtt ...Arn``."""
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
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
                dynamodb.create_table(
                    TableName=name,
                    KeySchema=props["KeySchema"],
                    AttributeDefinitions=props["AttributeDefinitions"],
                    BillingMode=props["BillingMode"],
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
        self._add_rule_to_queue("outcomes", {"source": [OUTCOME_SOURCE]}, "Outcomes")

    def _add_rule_to_queue(self, rule: str, pattern: dict[str, Any], queue_logical: str) -> str:
        events, sqs = self.client("events"), self.client("sqs")
        queue_name = f"{self.stack_name}-{queue_logical}"
        url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        self.queue_urls[queue_logical] = url
        bus = next(self.names[k] for k, v in self.resources.items() if v["Type"] == "AWS::Events::EventBus")
        events.put_rule(Name=f"{self.stack_name}-{rule}", EventBusName=bus, EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=f"{self.stack_name}-{rule}",
            EventBusName=bus,
            Targets=[{"Id": "queue", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"}],
        )
        return url

    def _function_environment(self) -> dict[str, str]:
        variables = dict(
            self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        )
        for spec in self.resources.values():
            if spec["Type"] == "AWS::Serverless::Function":
                variables |= spec["Properties"].get("Environment", {}).get("Variables", {})
        return {key: str(self.resolve(value)) for key, value in variables.items()}

    def _load_functions(self) -> None:
        for logical, spec in self.resources.items():
            if spec["Type"] != "AWS::Serverless::Function":
                continue
            props = spec["Properties"]
            module = self.load_module(logical)
            handler = props["Handler"].rsplit(".", 1)[1]
            invoke_config = props.get("EventInvokeConfig", {})
            on_failure = invoke_config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            function = Function(
                logical_id=logical,
                module=module,
                handler=handler,
                timeout=float(self.resolve(props.get("Timeout", 3))),
                retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
                on_failure_queue=on_failure["Fn::GetAtt"][0] if on_failure else None,
            )
            self.functions[logical] = function
            for event_name, event in props.get("Events", {}).items():
                self._wire_event(function, event_name, event)

    def load_module(self, logical_id: str) -> ModuleType:
        """A fresh import of a function's handler module: its module-level set-up (resolver, decorators)
        runs again, e.g. under another environment."""
        props = self.resources[logical_id]["Properties"]
        module_name = props["Handler"].rsplit(".", 1)[0]
        path = ROOT / props["CodeUri"] / f"{module_name}.py"
        module_spec = importlib.util.spec_from_file_location(f"{logical_id}_{module_name}", path)
        assert module_spec
        assert module_spec.loader
        module = importlib.util.module_from_spec(module_spec)
        with contextlib.redirect_stdout(self.output):
            module_spec.loader.exec_module(module)
        return module

    def _wire_event(self, function: Function, event_name: str, event: dict[str, Any]) -> None:
        props = event["Properties"]
        if event["Type"] == "Api":
            resource = props["Path"]
            pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource)) + "$")
            self.routes.append(Route(props["Method"].upper(), pattern, resource, function.logical_id))
        elif event["Type"] == "EventBridgeRule":
            queue_logical = f"{function.logical_id}{event_name}Invocations"
            pattern = {key: self.resolve(value) for key, value in props["Pattern"].items()}
            self._add_rule_to_queue(f"{function.logical_id}-{event_name}", pattern, queue_logical)
            function.invoke_queue = queue_logical

    # invoking --------------------------------------------------------------------------------
    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """One synchronous invocation, as ``sam local invoke`` would do it."""
        function = self.functions[logical_id]
        with function.lock, contextlib.redirect_stdout(self.output):
            capture_logs(self.output)
            context = LocalContext(function_name=f"{self.stack_name}-{logical_id}", timeout_seconds=function.timeout)
            return getattr(function.module, function.handler)(event, context)

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
        if invocation.error and function.on_failure_queue:
            self._send_to_destination(function, invocation)
        self.invocations.append(invocation)
        return invocation

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

    def dispatch(self) -> list[Invocation]:
        """Deliver every event the bus rules have matched so far; repeat until nothing is left."""
        delivered: list[Invocation] = []
        while True:
            batch = [
                (function, message)
                for function in self.functions.values()
                if function.invoke_queue
                for message in self.drain(function.invoke_queue)
            ]
            if not batch:
                return delivered
            # moto leaves out "account", which EventBridge always sets.
            delivered += [self.invoke_async(f.logical_id, {"account": ACCOUNT, **message}) for f, message in batch]

    def drain(self, queue_logical: str) -> list[dict[str, Any]]:
        """Receive and delete every message of a queue."""
        sqs, url, bodies = self.client("sqs"), self.queue_urls[queue_logical], []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    def put_event(self, detail_type: str, detail: dict[str, Any], source: str = "identity.workflows") -> None:
        bus = self.names[next(k for k, v in self.resources.items() if v["Type"] == "AWS::Events::EventBus")]
        response = self.client("events").put_events(
            Entries=[{"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
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
        """Serve one request the way API Gateway's Lambda proxy integration would (from ``source_ip``).

        ``identity`` is the caller ARN API Gateway puts in ``requestContext.identity.userArn`` after
        verifying a SigV4 signature on an AWS_IAM route. The local stack does not verify SigV4 itself
        (API Gateway does): it takes the caller as given.
        """
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                event = api_gateway_event(
                    method, path, route.resource, match.groupdict(), headers, body, source_ip, identity=identity
                )
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
