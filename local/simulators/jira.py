"""A Jira Cloud simulator: "Add comment" with an Atlassian Document Format body.

``POST /rest/api/3/issue/{issueIdOrKey}/comment`` with ``{"body": <ADF doc>, "properties"?}``, Basic
email + API token (The Jira Cloud platform REST API, "Issue comments",
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-post):
201 with the comment; a body that is not an ADF ``doc`` is 400, as Jira answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from local.simulators.base import Reply, Request
from local.simulators.tickets import TicketSimulator


def adf_text(doc: Any) -> str | None:
    """The text of an ADF document of paragraphs of text nodes; None when it is not one."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return None
    lines = []
    for paragraph in doc.get("content", []):
        if not isinstance(paragraph, dict) or paragraph.get("type") != "paragraph":
            return None
        lines.append("".join(node.get("text", "") for node in paragraph.get("content", []) if isinstance(node, dict)))
    return "\n".join(lines)


class JiraSimulator(TicketSimulator):
    name = "jira"
    routes: ClassVar[list[tuple[str, str, str]]] = [
        ("POST", r"/rest/api/3/issue/(?P<issue>[A-Za-z0-9_-]+)/comment", "add_comment_route")
    ]

    def add_comment_route(self, request: Request) -> Reply:
        if not self.authorized(request):
            return Reply(401, {"errorMessages": ["Client must be authenticated to access this resource."]})
        body = request.json() or {}
        text = adf_text(body.get("body"))
        if text is None:
            return Reply(400, {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}})
        properties = body.get("properties", [])
        internal = any(p.get("key") == "sd.public.comment" and p.get("value", {}).get("internal") for p in properties)
        issue = request.params["issue"]
        comment_id = self.add_comment(issue, {"body": text, "adf": body["body"], "internal": internal})
        return Reply(201, {"id": str(comment_id), "self": f"/rest/api/3/issue/{issue}/comment/{comment_id}"})

    def not_routed(self, request: Request) -> Reply:
        return Reply(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]})
