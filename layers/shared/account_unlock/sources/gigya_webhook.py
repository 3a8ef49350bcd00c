"""Gigya / SAP Customer Data Cloud webhooks: a JWT in ``X-Gigya-Sig-JWT`` (default), or legacy HMAC.

Webhooks 2.0 "sign the webhook notifications with a JWT"; versions 1.0 and 1.1 "will no longer be
supported after July 5, 2021" ("Webhooks", https://developers.gigya.com/display/GD/Webhooks).

What the JWT must be, each point failing closed (docs/sources/gigya-webhook.md, "Decisions"):

- ``alg`` RS256 and a ``kid`` naming one of the site's ``accounts.getJWTPublicKey`` keys
  (``gigya_keys``). No other algorithm, ``none`` and HS256 included, gets as far as a key look-up.
- ``iss`` is ``https://fidm.gigya.com/jwt/<the site's API key>/``, and the time of receipt lies
  between ``iat`` and ``exp`` give or take 120 s: the checks of SAP's SDK for a Gigya JWT
  (SAP/gigya-java-sdk, auth/src/main/java/com/gigya/auth/GSAuthRequestUtils.java ``verifyJwt``,
  https://github.com/SAP/gigya-java-sdk). ``iss``, ``iat``, ``exp`` and ``sub`` are required.
- ``sub`` is the body's hash: base64url (unpadded) of SHA-256 of the raw body. The SAP pages found
  do not spell this out (see the guide's open points); any other form is refused.

Freshness comes from the token, not from the body's ``timestamp``: Gigya re-sends a failed
notification "at increasing intervals up to one hour" ("Webhook Do's and Don'ts - Building Scalable
Webhook Integrations", https://www.sap.com/cxworks/article/2589632364/webhook_dos_and_donts_building_scalable_webhook_integrations),
and a re-send signed anew verifies whatever the age of its body. A re-send is still one delivery:
its ``nonce``, bound by the hash, is the delivery id.

With ``signature: "hmac-sha1"`` (legacy senders, opt-in): ``X-Gigya-Sig-Hmac-Sha1`` =
base64(HMAC-SHA1(raw body, base64-decoded secret)) and the body's ``timestamp`` within
±``TIMESTAMP_TOLERANCE_SECONDS``.

Body ``{"events": [{"type", "id", "timestamp", "data": {"uid"}}], "nonce", "timestamp"}``: one
notification carries up to 100 events, each one item here. Per event the delivery id is its
``id``, also the ticket id. Nothing unlocks by default: ``resolved`` is ``false`` for every event
until the source opts event types in with ``resolved_statuses``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from account_unlock.errors import PermanentError
from account_unlock.gigya_sites import API_DOMAINS, KEY, DataCenter, default_api_root
from account_unlock.models import UNLOCK_REQUESTED
from account_unlock.sources.base import Delivery, SourceConfig, SourceKind, Unauthorized
from account_unlock.sources.gigya_keys import METHOD, SITE_KEYS, KeyCache
from account_unlock.sources.mapping import FieldMap, MappingError
from account_unlock.sources.signatures import (
    check_window,
    epoch_seconds,
    raw,
    verify_body_hmac,
)
from account_unlock.validation import secure_base_url

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

JWT_HEADER = "x-gigya-sig-jwt"
SIGNATURE_HEADER = "x-gigya-sig-hmac-sha1"
ALGORITHM = "RS256"
CLOCK_SKEW_SECONDS = 120
KID = re.compile(r"^[!-~]{1,256}$")

GIGYA_EVENT = FieldMap(
    ticket_id="id",
    status="type",
    resolved="`false`",
    user="{id: data.uid}",
    requested_by="join(':', ['gigya', to_string(type)])",
    delivery_id="id",
)


class GigyaSourceConfig(SourceConfig):
    """A ``gigya-webhook`` source secret: the common fields plus how the site signs."""

    signature: Literal["jwt", "hmac-sha1"] = Field(
        default="jwt", description="'hmac-sha1': legacy X-Gigya-Sig-Hmac-Sha1 with the base64 secrets"
    )
    api_key: str | None = Field(default=None, pattern=KEY, description="With 'jwt': the site's API key")
    data_center: DataCenter | None = Field(default=None, description="With 'jwt': the site's data center")
    base_url: str | None = Field(default=None, description="With 'jwt': API root override, https (http on loopback)")

    @field_validator("secrets")
    @classmethod
    def _secrets_unless_iam(cls, secrets: list[SecretStr], info: ValidationInfo) -> list[SecretStr]:
        return secrets  # replaces the common rule: which signature needs secrets is checked below

    @field_validator("base_url")
    @classmethod
    def _secure_base_url(cls, url: str | None) -> str | None:
        try:
            return None if url is None else secure_base_url(url, "base_url")
        except PermanentError as exc:
            raise ValueError(exc.message) from None

    @model_validator(mode="after")
    def _signature_settings(self) -> Self:
        if self.auth == "iam":
            raise ValueError("Gigya cannot sign with SigV4: a gigya-webhook source uses the secret route")
        if self.signature == "hmac-sha1":
            if not self.secrets:
                raise ValueError("signature 'hmac-sha1' needs at least one secret")
            if self.api_key or self.data_center or self.base_url:
                raise ValueError("api_key, data_center and base_url are settings of signature 'jwt'")
            return self
        if self.secrets:
            raise ValueError("secrets are used only with signature 'hmac-sha1'")
        if not self.api_key or not (self.data_center or self.base_url):
            raise ValueError("signature 'jwt' needs the site's api_key and data_center (or base_url)")
        return self

    @property
    def keys_endpoint(self) -> str:
        """The site's ``accounts.getJWTPublicKey`` URL: ``base_url``, else the data center's API root."""
        if self.base_url:
            root = self.base_url
        elif self.data_center:
            root = default_api_root(API_DOMAINS[self.data_center])
        else:
            raise PermanentError("config_invalid", "source field data_center or base_url is required")
        return f"{root}/{METHOD}"

    @property
    def issuer(self) -> str:
        return f"https://fidm.gigya.com/jwt/{self.api_key}/"


def body_hash(body: bytes) -> str:
    """The ``sub`` of a webhook JWT for ``body``: base64url of its SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


class GigyaWebhook(SourceKind):
    kind = "gigya-webhook"
    preset = GIGYA_EVENT
    detail_type = UNLOCK_REQUESTED
    batched = True
    config_model = GigyaSourceConfig

    def __init__(self, config: GigyaSourceConfig | None = None, keys: KeyCache = SITE_KEYS) -> None:
        self.config = config  # None: the registered kind, bound to a source by ``bind``
        self.keys = keys

    def bind(self, config: SourceConfig) -> SourceKind:
        if not isinstance(config, GigyaSourceConfig):
            raise TypeError("a gigya-webhook source is configured by a GigyaSourceConfig")
        return GigyaWebhook(config, self.keys)

    def authenticate(self, delivery: Delivery, secrets: Sequence[str]) -> str | None:
        if self.config is None:
            raise Unauthorized("this source has no Gigya site configured")
        if self.config.signature == "hmac-sha1":
            return authenticate_hmac(delivery, secrets)
        claims = verified_claims(delivery, self.config, self.keys)
        check_lifetime(claims, delivery.received_at)
        check_body_hash(claims, delivery.body)
        return nonce(delivery)

    def items(self, payload: Any) -> list[Any]:
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list):
            raise MappingError("missing field events (a list)")
        return events


def verified_claims(delivery: Delivery, config: GigyaSourceConfig, keys: KeyCache) -> dict[str, Any]:
    """The claims of an RS256 token signed by one of the site's keys and issued for its API key."""
    import jwt  # PyJWT and cryptography load with the first JWT, not at every cold start

    token = delivery.header(JWT_HEADER).strip()
    key = site_key(token, config, keys)
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=config.issuer,
            options={
                "require": ["iss", "iat", "exp", "sub"],
                "verify_exp": False,  # checked against the time of receipt in check_lifetime
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise Unauthorized("signature verification failed") from None
    except jwt.InvalidIssuerError:
        raise Unauthorized(f"{JWT_HEADER} was issued for another site") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"{JWT_HEADER} has no {exc.claim} claim") from None
    except (jwt.PyJWTError, ValueError):
        raise Unauthorized(f"{JWT_HEADER} is not a valid JWT") from None


def site_key(token: str, config: GigyaSourceConfig, keys: KeyCache) -> RSAPublicKey:
    """The site's key the token names; checked before any call to Gigya."""
    import jwt  # see verified_claims

    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError):
        raise Unauthorized(f"{JWT_HEADER} is not a JWT") from None
    if header.get("alg") != ALGORITHM:
        raise Unauthorized(f"{JWT_HEADER} must be signed with {ALGORITHM}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not KID.fullmatch(kid):
        raise Unauthorized(f"{JWT_HEADER} names no valid kid")
    key = keys.key(config.keys_endpoint, config.api_key or "", kid)
    if key is None:
        raise Unauthorized(f"{JWT_HEADER} is signed with a key the site does not publish")
    return key


def check_lifetime(claims: dict[str, Any], received_at: float) -> None:
    issued_at, expires_at = claims["iat"], claims["exp"]
    if not (is_time(issued_at) and is_time(expires_at)):
        raise Unauthorized(f"{JWT_HEADER} iat and exp must be times")
    if not received_at >= issued_at - CLOCK_SKEW_SECONDS:  # also false for NaN
        raise Unauthorized(f"{JWT_HEADER} is not valid yet")
    if not received_at <= expires_at + CLOCK_SKEW_SECONDS:
        raise Unauthorized(f"{JWT_HEADER} has expired")


def is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_body_hash(claims: dict[str, Any], body: bytes) -> None:
    sub = claims["sub"]
    if not isinstance(sub, str) or not hmac.compare_digest(raw(sub), body_hash(body).encode()):
        raise Unauthorized(f"the body does not match {JWT_HEADER}")


def nonce(delivery: Delivery) -> str | None:
    payload = delivery.json_object()
    value = payload.get("nonce") if payload else None
    return value if isinstance(value, str) and value.strip() else None


def authenticate_hmac(delivery: Delivery, secrets: Sequence[str]) -> str | None:
    """Legacy: the HMAC of the raw body, then the body's ``timestamp`` (required) within the tolerance."""
    verify_body_hmac(delivery, SIGNATURE_HEADER, secrets, digest="sha1", key_format="base64", encoding="base64")
    payload = delivery.json_object()
    if payload is None:
        return None
    sent_at = epoch_seconds(payload.get("timestamp"))
    if sent_at is None:
        raise Unauthorized("timestamp is missing or not a time")
    check_window(sent_at, delivery.received_at, "timestamp")
    return nonce(delivery)
