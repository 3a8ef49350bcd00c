"""Helpdesk write-back clients, by the ``kind`` of the source the request came from."""

from __future__ import annotations

from account_unlock.helpdesks.base import Helpdesk
from account_unlock.helpdesks.callback import Callback
from account_unlock.helpdesks.freshservice import Freshservice
from account_unlock.helpdesks.jira import Jira
from account_unlock.helpdesks.servicenow import ServiceNow
from account_unlock.helpdesks.zendesk import Zendesk

_callback, _jira = Callback(), Jira()
HELPDESKS: dict[str, Helpdesk] = {
    "zendesk": Zendesk(),
    "jira": _jira,
    "jira-automation": _jira,
    "servicenow": ServiceNow(),
    "freshservice": Freshservice(),
    "standard-webhooks": _callback,
    "github-hmac": _callback,
}
