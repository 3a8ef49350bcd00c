"""Webhook source kinds, by the ``kind`` field of a source secret."""

from __future__ import annotations

from account_unlock.sources.auth0_log_stream import Auth0LogStream
from account_unlock.sources.base import SourceKind
from account_unlock.sources.freshservice import Freshservice
from account_unlock.sources.gigya_webhook import GigyaWebhook
from account_unlock.sources.github import GitHubHmac
from account_unlock.sources.jira import JiraAutomation, JiraWebhook
from account_unlock.sources.loginradius_webhook import LoginRadiusWebhook
from account_unlock.sources.okta_event_hook import OktaEventHook
from account_unlock.sources.pingone_subscription import PingOneSubscription
from account_unlock.sources.servicenow import ServiceNow
from account_unlock.sources.standard_webhooks import StandardWebhooks
from account_unlock.sources.zendesk import Zendesk

SOURCE_KINDS: dict[str, SourceKind] = {
    kind.kind: kind
    for kind in (
        StandardWebhooks(),
        Zendesk(),
        JiraWebhook(),
        JiraAutomation(),
        ServiceNow(),
        Freshservice(),
        GitHubHmac(),
        LoginRadiusWebhook(),
        GigyaWebhook(),
        PingOneSubscription(),
        Auth0LogStream(),
        OktaEventHook(),
    )
}
