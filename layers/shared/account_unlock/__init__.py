"""Shared package of account-unlock: models, sources, vendors, policy, audit and configuration."""
