"""What ``make serve`` and ``make invoke`` set up, and the events/ files made current for them.

- ``configure``: every sample connection and source (local/samples.py and the story modules: one
  source per kind, the self-service connection ``loginradius-portal``), the locked users that the
  events/ files and the guides' sample requests name, then the files of a ``SECRETS`` folder over them;
- ``current``: an events/ file as its function would receive it now. The files are fixed (webhooks
  signed at 2026-01-01, EventBridge ``time`` in the past), which the functions rightly refuse as stale;
  each change is reported in the returned notes:
  - EventBridge: ``time`` set to now (the unlock function refuses an event older than the idempotency
    records as ``stale_request``);
  - webhook: the time fields of the body (Jira ``timestamp``, GitHub-style ``sent_at``, LoginRadius
    ``Time``) set to now, then signed again with the secret of its source (or, for a static-secret
    kind, that secret put in its header);
  - self-service: its access token issued to a locked LoginRadius user whose password is the body's.

Every value here is a local test value, not a credential for any real tenant.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import auth0_senders, identity_senders, okta_senders, secrets_dir, senders
from local.identity_senders import GIGYA_SOURCE, LOGINRADIUS_SOURCE, PINGONE_SOURCE, gigya_jwt_headers, iso
from local.portal import prepare_self_service
from local.samples import HELPDESK_SOURCE, WEBHOOK_SECRET, LocalEnvironment
from local.secrets_dir import SecretFile
from local.signing import encode, loginradius_signature, standard_webhook_headers

Credentials = dict[str, tuple[str, str | None]]  # source name -> (kind, the secret its sender uses)
Notes = list[str]
PORTAL_USER = "invoke.portal@example.com"  # the LoginRadius user a self-service event's token is issued to


def configure(env: LocalEnvironment, secrets: list[SecretFile]) -> None:
    """Every sample source and connection, the sample users, then ``secrets`` (a SECRETS folder) over them."""
    senders.configure_sources(env)
    identity_senders.configure_sources(env)
    okta_senders.configure_okta_source(env)
    auth0_senders.configure_auth0_source(env)
    prepare_self_service(env)
    add_sample_users(env)
    for secret in secrets:
        env.put_secret(secret.kind, secret.name, secret.value)


def add_sample_users(env: LocalEnvironment) -> None:
    """The locked users the events/ files (and so the guides' sample requests) name, one per file."""
    for name in ("jdoe", "asmith", "kwong"):  # jdoe: the EventBridge and standard-webhooks events
        env.pingone.add_user(name, f"{name}@example.com", account_locked=True, password_locked=True)
    env.pingone.add_user("lena.fischer", "lena.fischer@example.com")  # webhook-zendesk
    env.pingone.add_user("omar.haddad", "omar.haddad@example.com")  # webhook-github-hmac
    env.pingone.add_user(  # webhook-pingone-subscription
        "dee.rao", "dee.rao@example.com", user_id="9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
    )
    env.loginradius.add_user("noah.berg@example.com", "noah.berg")  # webhook-jira
    env.loginradius.add_user(  # webhook-loginradius-webhook
        "ann.lee@example.com", "ann.lee", uid="5f3c0b8e9a6d4c2e8b1a7f6e5d4c3b2a"
    )
    env.sailpoint.add_account("ivy.chen", email="ivy.chen@example.com")  # webhook-jira-automation
    env.sailpoint.add_account("mia.rossi", email="mia.rossi@example.com")  # webhook-servicenow(-iam)
    env.gigya.add_account("gigya-uid-sam", "sam.okafor@example.com")  # webhook-freshservice
    env.gigya.add_account("gigya-uid-bob", "bob@example.com")  # webhook-gigya-webhook
    env.okta.add_user("zoe.adams@example.com", user_id="00ub0oNGTSWTBKOLGLNR")  # webhook-okta-event-hook
    blocked = env.auth0.add_user("lia.moreau@example.com", user_id="auth0|5457edea1b8f22891a000004")
    env.auth0.fail_sign_ins(blocked)  # webhook-auth0-log-stream


def credentials(secrets: list[SecretFile]) -> Credentials:
    """Per source: its kind and the secret its sender signs with (None: the IAM route, Gigya's site key)."""
    samples: Credentials = {
        name: (config["kind"], first_secret(config)) for name, config in senders.source_configs().items()
    }
    samples |= {
        HELPDESK_SOURCE: ("standard-webhooks", WEBHOOK_SECRET),
        LOGINRADIUS_SOURCE: ("loginradius-webhook", identity_senders.LOGINRADIUS_WEBHOOK_SECRET),
        GIGYA_SOURCE: ("gigya-webhook", None),
        PINGONE_SOURCE: ("pingone-subscription", identity_senders.PINGONE_SUBSCRIPTION_SECRET),
        okta_senders.OKTA_SOURCE: ("okta-event-hook", okta_senders.OKTA_HOOK_SECRET),
        auth0_senders.AUTH0_SOURCE: ("auth0-log-stream", auth0_senders.AUTH0_LOG_STREAM_SECRET),
    }
    return samples | {
        secret.name: (secret.value["kind"], first_secret(secret.value)) for secret in secrets if secret.kind == "source"
    }


def first_secret(source: dict[str, Any]) -> str | None:
    return (source.get("secrets") or [None])[0]


def read_secrets(folder: Path | None) -> list[SecretFile]:
    return secrets_dir.read(folder) if folder else []


# making an events/ file current -------------------------------------------------------------------
def current(env: LocalEnvironment, event: dict[str, Any], sources: Credentials) -> tuple[dict[str, Any], Notes]:
    """``event`` as its function would receive it now, and what was changed."""
    function = function_for(event)
    if function == "UnlockFunction":
        return current_bus_event(event)
    if function == "SelfServiceFunction":
        return current_self_service(env, event)
    return current_webhook(event, sources)


def function_for(event: dict[str, Any]) -> str:
    """The function of the template an event is for, by its shape."""
    if "detail-type" in event:
        return "UnlockFunction"
    if str(event.get("resource", "")).startswith("/self-service/"):
        return "SelfServiceFunction"
    return "WebhookFunction"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def current_bus_event(event: dict[str, Any]) -> tuple[dict[str, Any], Notes]:
    was, event = event.get("time"), event | {"time": now_iso()}
    return event, [
        f"time set to now (the file has {was}): the unlock function refuses an event older than"
        " IdempotencyTtlDays as stale_request"
    ]


def current_self_service(env: LocalEnvironment, event: dict[str, Any]) -> tuple[dict[str, Any], Notes]:
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    token = headers.get("authorization", "").removeprefix("Bearer ").strip()
    password = json_field(request_body(event), "password")
    user = env.loginradius.add_user(PORTAL_USER, "invoke.portal", locked=True)
    if password:
        env.loginradius.set_password(user.uid, password)
    if token:
        env.loginradius.issue_token(user.uid, token=token)
    return stamped(event), [
        f"the request's access token was issued by the LoginRadius simulator to {PORTAL_USER}, locked,"
        " whose password is the one in the body"
    ]


def current_webhook(event: dict[str, Any], sources: Credentials) -> tuple[dict[str, Any], Notes]:
    """A webhook request re-timed and re-signed for its source (``pathParameters.source``)."""
    source = (event.get("pathParameters") or {}).get("source", "")
    if source not in sources:
        return event, [f"source {source!r} is not configured: sent as it is"]
    kind, secret = sources[source]
    if str(event.get("resource", "")).startswith("/iam/"):
        return stamped(event), [
            "IAM route: the caller in requestContext.identity.userArn is taken as verified (API Gateway checks SigV4)"
        ]
    body, touched = retimed(request_body(event), kind)
    signer = SIGNERS.get(kind)
    if signer is None or (secret is None and kind != "gigya-webhook"):  # Gigya's JWT needs no source secret
        return with_request(event, event.get("headers") or {}, body), [f"source {source} ({kind}): not re-signed"]
    headers = signer(dict(event.get("headers") or {}), body, secret or "")
    times = f"{', '.join(touched)} set to now, " if touched else ""
    how = "the Gigya simulator's site key" if kind == "gigya-webhook" else "the source's configured secret"
    return with_request(event, headers, body), [
        f"source {source} ({kind}): {times}credentials made current with {how} (events/ are signed at a fixed time)"
    ]


def request_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


def json_field(body: bytes, name: str) -> Any:
    """Field ``name`` of a JSON object body; None when the body is not one or lacks it."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload.get(name) if isinstance(payload, dict) else None


def retimed(body: bytes, kind: str) -> tuple[bytes, list[str]]:
    """The body with the signed time fields it has set to now, and their names."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body, []
    stamps = BODY_TIMES.get(kind, {})
    fields = {field: stamp() for field, stamp in stamps.items() if isinstance(payload, dict) and field in payload}
    return (encode(payload | fields), list(fields)) if fields else (body, [])


def with_request(event: dict[str, Any], headers: dict[str, str], body: bytes) -> dict[str, Any]:
    return stamped(event) | {
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def stamped(event: dict[str, Any]) -> dict[str, Any]:
    """``requestContext.requestTimeEpoch`` set to now, as API Gateway sets it on receipt."""
    context = event.get("requestContext") or {}
    return event | {"requestContext": context | {"requestTimeEpoch": int(time.time() * 1000)}}


def put(headers: dict[str, str], name: str, value: str) -> dict[str, str]:
    """``headers`` with ``name`` (any case) set to ``value``."""
    return {key: item for key, item in headers.items() if key.lower() != name.lower()} | {name: value}


def header(headers: dict[str, str], name: str) -> str:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), "")


# per kind: the body's time fields, and how its sender signs -----------------------------------------
BODY_TIMES: dict[str, dict[str, Callable[[], Any]]] = {
    "jira": {"timestamp": lambda: int(time.time() * 1000)},
    "github-hmac": {"sent_at": lambda: int(time.time())},
    "loginradius-webhook": {"Time": lambda: iso(time.time())},
}


def sign_standard(headers: dict[str, str], body: bytes, secret: str) -> dict[str, str]:
    fresh = standard_webhook_headers(secret, body, msg_id=header(headers, "webhook-id") or None)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        headers = put(headers, name, fresh[name])
    return headers


def sign_zendesk(headers: dict[str, str], body: bytes, secret: str) -> dict[str, str]:
    fresh = senders.zendesk_headers(secret, body)
    for name in ("X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp"):
        headers = put(headers, name, fresh[name])
    return headers


def sign_freshservice(headers: dict[str, str], body: bytes, secret: str) -> dict[str, str]:
    """The secret where the request carries it: the custom header, or the password of Basic authentication."""
    if header(headers, "X-Freshservice-Secret"):
        return put(headers, "X-Freshservice-Secret", secret)
    basic = header(headers, "Authorization").removeprefix("Basic ")
    user = base64.b64decode(basic).decode().partition(":")[0] if basic else "freshservice"
    return put(headers, "Authorization", senders.freshservice_headers(secret, basic_user=user)["Authorization"])


def static(name: str) -> Callable[[dict[str, str], bytes, str], dict[str, str]]:
    return lambda headers, body, secret: put(headers, name, secret)


def hub(name: str) -> Callable[[dict[str, str], bytes, str], dict[str, str]]:
    return lambda headers, body, secret: put(headers, name, senders.hub_signature(secret, body))


SIGNERS: dict[str, Callable[[dict[str, str], bytes, str], dict[str, str]]] = {
    "standard-webhooks": sign_standard,
    "zendesk": sign_zendesk,
    "jira": hub("X-Hub-Signature"),
    "github-hmac": hub("X-Hub-Signature-256"),
    "jira-automation": static("X-Automation-Webhook-Token"),
    "servicenow": static("X-ServiceNow-Secret"),
    "freshservice": sign_freshservice,
    "pingone-subscription": static("Authorization"),
    "okta-event-hook": static("Authorization"),
    "auth0-log-stream": static("Authorization"),
    "loginradius-webhook": lambda headers, body, secret: put(headers, "signature", loginradius_signature(secret, body)),
    "gigya-webhook": lambda headers, body, secret: put(
        headers, "X-Gigya-Sig-JWT", gigya_jwt_headers(body)["X-Gigya-Sig-JWT"]
    ),
}
