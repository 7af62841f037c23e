"""Two-factor login with time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Only hashes of recovery codes are stored: they are shown once, like a password.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from datetime import datetime, timezone

import pyotp
import qrcode
import qrcode.image.svg

RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(text: str) -> str:
    """``text`` as a QR code in an SVG ``data:`` URI (the CSP allows images from data:)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _clean(code: str) -> str:
    # People copy codes with spaces or dashes; neither is part of the code.
    return "".join(code.split()).replace("-", "").lower()


def accept(user, code: str, secret: str | None = None) -> bool:
    """Whether ``code`` is a current code of ``secret`` (default: the user's), give or take
    30 seconds of clock drift, and newer than the last code the user used: a code works
    once (RFC 6238, 5.2), so one read over a shoulder cannot be replayed. The caller
    commits."""
    secret = secret or user.totp_secret
    code = _clean(code or "")
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    generator = pyotp.TOTP(secret)
    now = generator.timecode(datetime.now(timezone.utc))
    for step in (now - 1, now, now + 1):
        if step > (user.totp_last_step or 0) and hmac.compare_digest(generator.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def new_recovery_codes() -> tuple[list[str], list[str]]:
    """``(codes, hashes)``: the codes to show the user once, the hashes to store."""
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes, [_hash(code) for code in codes]


def use_recovery_code(user, code: str) -> bool:
    """If ``code`` is one of ``user``'s unused recovery codes, remove it and say yes. The
    caller commits."""
    cleaned = _clean(code or "")
    if len(cleaned) != 10:
        return False
    digest = _hash(cleaned)
    remaining = list(user.recovery_codes or [])
    if digest not in remaining:
        return False
    remaining.remove(digest)
    user.recovery_codes = remaining  # a new list, so SQLAlchemy sees the JSON change
    return True
