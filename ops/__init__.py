"""Operator commands for a deployed stack or the local one: status, redrive, replay, export.

Not Lambda code: it runs on an operator's machine with the caller's AWS credentials (boto3's default
chain), or against ``make serve``'s local AWS. ``python -m ops --help`` lists the commands.
"""
