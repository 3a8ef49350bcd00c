"""Webhook source kinds, by the ``kind`` field of a source secret.

Each is imported when a source of its kind first receives a request (``account_unlock.registry``).
"""

from __future__ import annotations

from account_unlock.registry import Registry
from account_unlock.sources.base import SourceKind

SOURCE_KINDS: Registry[SourceKind] = Registry(
    {
        "standard-webhooks": "account_unlock.sources.standard_webhooks:StandardWebhooks",
        "zendesk": "account_unlock.sources.zendesk:Zendesk",
        "jira": "account_unlock.sources.jira:JiraWebhook",
        "jira-automation": "account_unlock.sources.jira:JiraAutomation",
        "servicenow": "account_unlock.sources.servicenow:ServiceNow",
        "freshservice": "account_unlock.sources.freshservice:Freshservice",
        "github-hmac": "account_unlock.sources.github:GitHubHmac",
        "loginradius-webhook": "account_unlock.sources.loginradius_webhook:LoginRadiusWebhook",
        "gigya-webhook": "account_unlock.sources.gigya_webhook:GigyaWebhook",
        "pingone-subscription": "account_unlock.sources.pingone_subscription:PingOneSubscription",
        "auth0-log-stream": "account_unlock.sources.auth0_log_stream:Auth0LogStream",
        "okta-event-hook": "account_unlock.sources.okta_event_hook:OktaEventHook",
    },
    make=lambda kind: kind(),
)
