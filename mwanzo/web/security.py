"""Security headers on every response and a same-site check for redirect targets."""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Flask, current_app, request


def callback_token(setting: str, purpose: str) -> str:
    """The secret in a provider's callback URL (PayHero, Africa's Talking): the setting, or (development)
    one derived from SECRET_KEY for that purpose, so it is stable across restarts."""
    configured = current_app.config.get(setting)
    if configured:
        return configured
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, purpose.encode(), hashlib.sha256).hexdigest()[:40]


def callback_token_matches(token: str, setting: str, purpose: str) -> bool:
    return hmac.compare_digest(token.encode(), callback_token(setting, purpose).encode())


def media_origins(config) -> list[str]:
    """The outside hosts the browser may load media from or upload to: the bucket and CloudFront, none locally.

    Presigned URLs name the bucket path-style on a custom S3 endpoint and virtual-hosted on AWS, where the
    global host may redirect to the regional one, so both AWS hosts are allowed."""
    origins = []
    if config["STORAGE_BACKEND"] == "s3":
        if config["S3_ENDPOINT_URL"]:
            endpoint = urlsplit(config["S3_ENDPOINT_URL"])
            origins.append(f"{endpoint.scheme}://{endpoint.netloc}")
        else:
            bucket, region = config["S3_BUCKET"], config["AWS_REGION"]
            origins += [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]
    if config.get("CLOUDFRONT_DOMAIN"):
        origins.append(f"https://{config['CLOUDFRONT_DOMAIN'].strip('/')}")
    return origins


def content_security_policy(config) -> str:
    hosts = "".join(f" {origin}" for origin in media_origins(config))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self'{hosts}",
        f"media-src 'self' blob:{hosts}",  # blob: for hls.js, which feeds the video element through MediaSource
        f"connect-src 'self'{hosts}",     # hls.js segment fetches and direct uploads to the bucket
        "worker-src 'self'",    # /sw.js, the service worker that keeps saved lessons
        "manifest-src 'self'",  # /manifest.webmanifest, for "Add to home screen"
        "font-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths: '/dashboard' yes; '//evil.example', 'https://evil.example', '/\\evil' no."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def init_app(app: Flask) -> None:
    csp = content_security_policy(app.config)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint and not request.endpoint.startswith("assets."):
            response.headers.setdefault("Cache-Control", "no-cache, private")
        return response
