import gzip

import pytest

from mwanzo.auth.models import Role


@pytest.mark.parametrize("locale", ["en", "sw"])
def test_new_account_and_privacy_pages_stay_within_14kb_gzip(client, make, login, locale):
    client.post("/language", data={"lang": locale})
    pages = ["/privacy", "/terms", "/login/phone", "/forgot-password/phone", "/register"]
    sizes = {path: len(gzip.compress(client.get(path).data, 9)) for path in pages}
    login(make.user(role=Role.ADMIN, locale=locale))
    for path in ("/account/data", "/profile", "/admin/data-requests"):
        response = client.get(path)
        assert response.status_code == 200, path
        sizes[path] = len(gzip.compress(response.data, 9))
    assert max(sizes.values()) <= 14 * 1024, sizes
