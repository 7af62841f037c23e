"""Sign-in throttling, per account and per IP address, with Flask-Limiter's storage and
moving-window strategy. Only failures count; the same message answers whether or not the
account exists.

Limits come from the config: ``LOGIN_LIMIT_ACCOUNT`` (default ``5 per 15 minutes``) and
``LOGIN_LIMIT_IP`` (default ``50 per 15 minutes``). Counts live in memory, or in Redis when
``KONTOR_REDIS_URL`` is set, so several workers share them.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse


def init_app(app: Flask) -> None:
    # One limiter per application: its storage must not be shared between apps (tests
    # build many, each signing in the same accounts).
    limiter = Limiter(get_remote_address, app=app, default_limits=[], strategy="moving-window",
                      storage_uri=app.config.get("REDIS_URL") or "memory://", key_prefix="kontor")
    app.extensions["kontor_throttle"] = limiter


def _limits(scope: str, account: str):
    config = current_app.config
    account_limit = parse(config.get("LOGIN_LIMIT_ACCOUNT", "5 per 15 minutes"))
    ip_limit = parse(config.get("LOGIN_LIMIT_IP", "50 per 15 minutes"))
    ip = request.remote_addr or "unknown"
    return [(account_limit, (scope, "account", account.strip().lower())), (ip_limit, (scope, "ip", ip))]


def _strategy():
    return current_app.extensions["kontor_throttle"].limiter


def blocked(scope: str, account: str) -> bool:
    """Whether sign-ins for ``account`` (an email, or a user id for the 2FA step) or from
    this IP address are blocked for now. ``scope`` keeps staff, portal and 2FA apart."""
    strategy = _strategy()
    return any(not strategy.test(limit, *keys) for limit, keys in _limits(scope, account))


def failed(scope: str, account: str) -> None:
    """Count a failed attempt."""
    strategy = _strategy()
    for limit, keys in _limits(scope, account):
        strategy.hit(limit, *keys)


def reset(scope: str, account: str) -> None:
    """Forget the account's failures after a successful sign-in."""
    limit, keys = _limits(scope, account)[0]
    _strategy().clear(limit, *keys)
