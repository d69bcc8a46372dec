"""Instructor statements by month: gross, refunds, the platform's share (PLATFORM_SHARE_PERCENT, 30 % by
default, frozen on each payment at checkout) and net; refunds land in the month they were made."""
import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import update

from mwanzo.auth.models import Role
from mwanzo.database import business_timezone, utcnow
from mwanzo.extensions import db
from mwanzo.payments.models import PaymentEvent, PaymentStatus
from mwanzo.payments.services import refund_payment


def at(year, month, day):
    return datetime(year, month, day, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def instructor(make):
    return make.user(role=Role.INSTRUCTOR, is_email_verified=True, name="Wanjiru Kamau")


def sale(make, course, amount, when, share=None):
    enrollment = make.enrollment(make.user(), course)
    return make.payment(enrollment, amount, PaymentStatus.SUCCESS, settled_at=when, created_at=when,
                        platform_share_percent=Decimal(share) if share is not None else None)


def refund(make, payment, when):
    refund_payment(payment, make.user(role=Role.ADMIN), "Asked within the window")
    db.session.flush()
    db.session.execute(update(PaymentEvent).where(PaymentEvent.payment_id == payment.id,
                                                  PaymentEvent.kind == "refunded").values(created_at=when))
    db.session.commit()


def month(client, key: str, until: str) -> list[str]:
    """The CSV row of month `key`, from the statements that end with the month `until`."""
    response = client.get("/studio/earnings.csv", query_string={"until": until})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return next(row for row in rows if row[0] == key)


def test_a_month_of_sales_less_the_platform_share(client, login, make, instructor):
    course = make.course(instructor_id=instructor.id, price=1000)
    sale(make, course, "1000", at(2026, 11, 3), share="30")
    sale(make, course, "800", at(2026, 11, 20), share="30")  # a coupon took 200 off: the sale is what was paid
    sale(make, course, "1000", at(2026, 10, 31), share="30")
    sale(make, make.course(price=5000), "5000", at(2026, 11, 5), share="30")  # someone else's course
    login(instructor)
    assert month(client, "2026-11", "2026-11") == ["2026-11", "1800.00", "0.00", "540.00", "1260.00"]
    assert month(client, "2026-10", "2026-11") == ["2026-10", "1000.00", "0.00", "300.00", "700.00"]
    page = client.get("/studio/earnings", query_string={"until": "2026-11"}).get_data(as_text=True)
    assert 'data-month="2026-11"' in page and "KES 1,260" in page


def test_a_refund_is_taken_off_the_month_it_was_made_with_its_own_share(client, login, make, instructor):
    course = make.course(instructor_id=instructor.id, price=1000)
    refunded = sale(make, course, "1000", at(2026, 11, 28), share="20")  # sold when the share was 20 %
    sale(make, course, "1000", at(2026, 12, 2), share="30")
    refund(make, refunded, at(2026, 12, 3))
    login(instructor)
    assert month(client, "2026-11", "2026-12") == ["2026-11", "1000.00", "0.00", "200.00", "800.00"]
    # December: 1000 sold (300 to the platform), 1000 refunded (its 200 back from the platform).
    assert month(client, "2026-12", "2026-12") == ["2026-12", "1000.00", "1000.00", "100.00", "-100.00"]


def test_the_share_is_frozen_at_checkout_and_older_payments_use_the_setting(client, login, make, instructor,
                                                                            monkeypatch, app):
    monkeypatch.setitem(app.config, "PLATFORM_SHARE_PERCENT", 25)
    course = make.course(instructor_id=instructor.id, price=1000)
    sale(make, course, "1000", at(2026, 11, 3))  # no share recorded: the setting applies
    sale(make, course, "1000", at(2026, 11, 4), share="30")
    login(instructor)
    assert month(client, "2026-11", "2026-11") == ["2026-11", "2000.00", "0.00", "550.00", "1450.00"]


def test_statements_end_with_the_month_asked_for_never_past_this_month(client, login, make, instructor):
    course = make.course(instructor_id=instructor.id, price=1000)
    sale(make, course, "1000", at(2024, 12, 10), share="30")
    login(instructor)
    last_year = client.get("/studio/earnings", query_string={"until": "2025-01"}).get_data(as_text=True)
    assert 'data-month="2025-01"' in last_year and 'data-month="2024-02"' in last_year
    assert 'data-month="2025-02"' not in last_year and 'data-month="2024-01"' not in last_year
    assert "KES 700" in last_year
    assert "until=2025-01" in last_year  # the CSV link downloads the months on the page

    this_month = utcnow().astimezone(business_timezone()).strftime("%Y-%m")
    future = client.get("/studio/earnings", query_string={"until": "2999-01"}).get_data(as_text=True)
    assert f'data-month="{this_month}"' in future and 'data-month="2999-01"' not in future

    unreadable = client.get("/studio/earnings", query_string={"until": "last year"})
    assert unreadable.status_code == 422
    assert "Enter a month as year-month, e.g. 2026-03." in unreadable.get_data(as_text=True)
    assert f'data-month="{this_month}"' in unreadable.get_data(as_text=True)  # this month's, the choice left out
    assert client.get("/studio/earnings.csv", query_string={"until": "13/2025"}).status_code == 422


def test_checkout_records_the_current_share(checkout, payhero, app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_SHARE_PERCENT", 35)
    assert checkout().platform_share_percent == Decimal("35")


def test_admins_read_an_instructors_statement_and_others_cannot(client, login, make, instructor):
    login(make.user(role=Role.ADMIN))
    page = client.get("/studio/earnings", query_string={"instructor": str(instructor.id)})
    assert page.status_code == 200 and "Wanjiru Kamau" in page.get_data(as_text=True)
    assert client.get("/studio/earnings", query_string={"instructor": "nope"}).status_code == 404
    other = login(make.user(role=Role.INSTRUCTOR, is_email_verified=True, name="Otieno"))
    page = client.get("/studio/earnings", query_string={"instructor": str(instructor.id)}).get_data(as_text=True)
    assert "Wanjiru Kamau" not in page and other.name
    login(make.user())
    assert client.get("/studio/earnings").status_code == 403
