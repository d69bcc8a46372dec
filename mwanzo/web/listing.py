"""List pages driven by GET parameters: the page number and the links that keep the filters."""
from __future__ import annotations

import dataclasses


MAX_PAGE = 10_000  # far past any list's end, and an offset every database can take


def page_number(args) -> int:
    """?page=N between 1 and MAX_PAGE; nonsense becomes page 1."""
    return min(max(args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


class ListQuery:
    """Mixed into a dataclass of filters: ``query.args(page=2)`` gives the URL parameters of that page,
    leaving out empty filters and page 1."""

    def args(self, **changes) -> dict:
        values = {**dataclasses.asdict(self), **changes}
        return {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
