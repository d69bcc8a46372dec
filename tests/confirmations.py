"""Admin changes that need confirming: open the confirmation page, then send its form with the token it shows."""
import re


def confirmation_token(client, url: str, **query) -> str:
    page = client.get(url, query_string=query)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="confirm_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def post_confirmed(client, url: str, **data):
    """What an admin's two clicks send: the choice (also the page's query) and the page's token."""
    return client.post(url, data={**data, "confirm_token": confirmation_token(client, url, **data)})
