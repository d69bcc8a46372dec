"""List pages driven by GET parameters: the page number and the links that keep the filters."""
from __future__ import annotations

import dataclasses


def page_number(args) -> int:
    """?page=N, never below 1; nonsense becomes page 1."""
    return max(args.get("page", 1, type=int) or 1, 1)


class ListQuery:
    """Mixed into a dataclass of filters: ``query.args(page=2)`` gives the URL parameters of that page,
    leaving out empty filters and page 1."""

    def args(self, **changes) -> dict:
        values = {**dataclasses.asdict(self), **changes}
        return {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
