"""The CSP lets the browser load media only from the app and the media hosts it is configured with."""
import pytest

from mwanzo import create_app


def directives(app) -> dict[str, str]:
    header = app.test_client().get("/login").headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_local_storage_allows_no_outside_host(app):
    csp = directives(app)
    assert (csp["img-src"], csp["media-src"], csp["connect-src"]) == ("'self'", "'self' blob:", "'self'")
    assert not any("https:" in value for value in csp.values())


@pytest.mark.parametrize(("settings", "hosts"), [
    ({"S3_ENDPOINT_URL": "https://minio.example.co.ke:9000", "CLOUDFRONT_DOMAIN": "d111.cloudfront.net"},
     "https://minio.example.co.ke:9000 https://d111.cloudfront.net"),
    ({"S3_ENDPOINT_URL": None, "AWS_REGION": "af-south-1"},
     "https://mwanzo-media.s3.amazonaws.com https://mwanzo-media.s3.af-south-1.amazonaws.com"),
], ids=["endpoint-and-cloudfront", "aws"])
def test_s3_and_cloudfront_hosts_are_named_exactly(app, settings, hosts):
    other = create_app({**app.config, "STORAGE_BACKEND": "s3", "S3_BUCKET": "mwanzo-media", **settings})
    csp = directives(other)
    assert csp["img-src"] == f"'self' {hosts}"
    assert csp["media-src"] == f"'self' blob: {hosts}"
    assert csp["connect-src"] == f"'self' {hosts}"
