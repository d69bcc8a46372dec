"""Download my data: a job builds a zip (JSON + certificate PDFs) and sends a link that works for a while."""
from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from mwanzo.database import utcnow

from mwanzo.extensions import db
from mwanzo.notifications.models import OutboundEmail
from mwanzo.privacy.models import DataRequest, RequestKind, RequestStatus
from mwanzo.privacy.tasks import apply_retention, build_export
from mwanzo.sms.models import OutboundSms
from tests.emails import link_in
from tests.privacy.conftest import EMAIL, NAME, PHONE


def ask_for_export(client, login, learner):
    login(learner["user"])
    response = client.post("/account/data/export")
    assert response.status_code == 303
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.template == "data_export_ready"))
    return link_in(email, "/account/data/download/")


def test_the_archive_holds_the_learners_data_and_certificates(client, login, learner):
    link = ask_for_export(client, login, learner)
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    [account] = data["users"]
    assert (account["name"], account["email"], account["phone"]) == (NAME, EMAIL, PHONE)
    assert account["bio"] == "Napenda kujifunza" and account["created_at"].startswith("20")
    [payment] = data["payments"]
    assert (payment["amount_kes"], payment["mpesa_receipt"], payment["course"]) == ("1500.00", "SGH7ABC123",
                                                                                   "Excel for business")
    code = learner["certificate"].verification_code
    assert [c["code"] for c in data["certificates"]] == [code]
    assert archive.read(f"certificates/{code}.pdf").startswith(b"%PDF")
    assert [r["text"] for r in data["reviews"]] == ["Nzuri sana, asante"]
    assert [a["note"] for a in data["job_applications"]] == ["I would love this job"]
    assert any("123456" in sms["text"] for sms in data["outbound_sms"])
    request = db.session.scalar(select(DataRequest))
    assert (request.kind, request.status) == (RequestKind.EXPORT, RequestStatus.DONE)


def test_the_learner_is_also_told_by_sms(client, login, learner):
    ask_for_export(client, login, learner)
    assert db.session.scalar(select(OutboundSms).where(OutboundSms.template == "data_export_ready"))


def test_the_link_is_only_for_its_owner_and_expires(client, login, learner, make, app, monkeypatch):
    link = ask_for_export(client, login, learner)
    login(make.user())
    assert client.get(link).status_code == 404
    login(learner["user"])
    monkeypatch.setitem(app.config, "EXPORT_LINK_HOURS", 0)
    time.sleep(1.1)  # the link's age in whole seconds now exceeds its life
    assert client.get(link).status_code == 404
    assert client.get("/account/data/download/forged-token").status_code == 404


def test_the_export_form_needs_its_csrf_token(client, login, learner, csrf_enabled):
    login(learner["user"])
    assert client.post("/account/data/export").status_code == 400
    assert db.session.scalar(select(DataRequest)) is None


def test_privacy_pages_are_linked_from_every_page_and_the_sign_up_forms(client):
    for path in ("/", "/register", "/login/phone"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/privacy"' in page and 'href="/terms"' in page
    for path in ("/privacy", "/terms"):
        assert client.get(path).status_code == 200
    client.post("/language", data={"lang": "sw"})
    assert "Ilani ya faragha" in client.get("/privacy").get_data(as_text=True)


def test_an_export_that_cannot_be_stored_fails_visibly_and_can_be_retried(client, login, learner, app):
    # Storage unwritable: a file stands where the exports folder must be created.
    blocker = Path(app.config["MEDIA_ROOT"]) / "exports"
    shutil.rmtree(blocker, ignore_errors=True)
    blocker.write_text("not a folder")
    try:
        login(learner["user"])
        assert client.post("/account/data/export").status_code == 303
        failed = db.session.scalar(select(DataRequest))
        assert failed.status == RequestStatus.FAILED and "NotADirectoryError" in failed.error
        page = client.get("/account/data").get_data(as_text=True)
        assert "failed" in page and "try again" in page
        assert db.session.scalar(select(OutboundEmail).where(OutboundEmail.template == "data_export_ready")) is None
        build_export(str(failed.id))  # running the job again leaves a failed request alone
        db.session.refresh(failed)
        assert failed.status == RequestStatus.FAILED
    finally:
        blocker.unlink()

    assert client.post("/account/data/export").status_code == 303  # the retry
    retried = db.session.scalar(select(DataRequest).where(DataRequest.id != failed.id))
    assert retried.status == RequestStatus.DONE
    build_export(str(retried.id))  # and again: one archive, one email
    assert len(db.session.scalars(select(OutboundEmail).where(OutboundEmail.template == "data_export_ready")).all()) == 1
    assert client.get(link_in(db.session.scalar(select(OutboundEmail)), "/account/data/download/")).status_code == 200


def test_an_export_whose_job_was_lost_is_failed_by_the_retention_job(client, login, learner):
    request = DataRequest(user_id=learner["user"].id, kind=RequestKind.EXPORT,
                          created_at=utcnow() - timedelta(hours=2))
    db.session.add(request)
    db.session.commit()
    apply_retention()
    db.session.refresh(request)
    assert request.status == RequestStatus.FAILED
    login(learner["user"])
    assert client.post("/account/data/export").status_code == 303  # no longer blocked by a "pending" one
    assert db.session.scalar(select(func.count()).select_from(DataRequest)
                             .where(DataRequest.status == RequestStatus.DONE)) == 1
