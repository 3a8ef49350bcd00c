"""Shared package of account-unlock: models, sources, vendors, policy, audit and configuration."""

# Sent to the vendors and to AWS: what their logs (CloudTrail's userAgent among them) name the caller.
USER_AGENT = "account-unlock/1.0"
