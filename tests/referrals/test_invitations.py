"""E-mail invitations: bad input changes nothing, the suppression list, the daily limit, the
batch task, the one-click stop link and its headers, the retention job, the list page."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from essaim.core.models import Organisation
from essaim.core.selectors import organisation_get
from essaim.feed.scheduling import JOBS
from essaim.people.models import Person
from essaim.referrals import invitations as services
from essaim.referrals import tasks
from essaim.referrals.models import Invitation, InvitationStatus, SuppressedAddress
from tests.accounts.factories import UserFactory
from tests.referrals.factories import InvitationFactory, ShareTextFactory

pytestmark = pytest.mark.django_db

URL = "/parrainage/inviter/"


def set_limit(per_day: int) -> None:
    Organisation.objects.filter(pk=organisation_get().pk).update(invitations_per_day=per_day)
    cache.clear()


@pytest.fixture
def inviter_client(client: Client, referrer: Person) -> Client:
    client.force_login(referrer.user)
    return client


def post(client: Client, **data: object):
    return client.post(reverse("referrals:invite"), {"addresses": "", "message": "", **data})


# --- Bad input ---------------------------------------------------------------------------


def test_invalid_addresses_are_listed_and_nothing_is_sent(inviter_client: Client) -> None:
    response = post(inviter_client, addresses="ami@exemple.fr, pas-une-adresse\nx@y, autre@")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ces adresses ne sont pas valides : pas-une-adresse, x@y, autre@." in html
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_empty_list_is_refused(inviter_client: Client) -> None:
    response = post(inviter_client, addresses="  ,  ")
    assert response.status_code == 400
    assert "Indiquez au moins une adresse e-mail." in response.content.decode()


def test_oversized_list_is_refused(inviter_client: Client) -> None:
    addresses = " ".join(f"p{n}@exemple.fr" for n in range(501))
    response = post(inviter_client, addresses=addresses)
    assert response.status_code == 400
    assert "501 adresses : 500 au plus par envoi" in response.content.decode()
    assert not Invitation.objects.exists()


def test_oversized_csv_is_refused(inviter_client: Client) -> None:
    big = SimpleUploadedFile("liste.csv", b"email\n" + b"a" * (101 * 1024), "text/csv")
    response = post(inviter_client, file=big)
    assert response.status_code == 400
    assert "Le fichier dépasse 100 Ko" in response.content.decode()
    assert not Invitation.objects.exists()


def test_csv_with_too_many_rows_is_refused(inviter_client: Client) -> None:
    rows = "\n".join(f"p{n}@exemple.fr" for n in range(600)).encode()
    response = post(inviter_client, file=SimpleUploadedFile("l.csv", rows, "text/csv"))
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_csv_column_named_courriel(inviter_client: Client) -> None:
    content = "nom;courriel\nLéa;lea@exemple.fr\nNoé;noe@exemple.fr\n".encode()
    response = post(inviter_client, file=SimpleUploadedFile("l.csv", content, "text/csv"))
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "lea@exemple.fr",
        "noe@exemple.fr",
    }


def test_csv_first_column_without_header() -> None:
    assert services.addresses_from_csv(b"a@exemple.fr,Anne\nb@exemple.fr,Bob\n") == [
        "a@exemple.fr",
        "b@exemple.fr",
    ]


def test_too_long_message_is_refused(inviter_client: Client) -> None:
    response = post(inviter_client, addresses="a@exemple.fr", message="x" * 1001)
    assert response.status_code == 400
    assert not Invitation.objects.exists()


# --- Sending -----------------------------------------------------------------------------


def test_invitations_are_sent_in_one_task_with_stop_headers(
    inviter_client, referrer, django_capture_on_commit_callbacks
) -> None:
    ShareTextFactory(
        goal="join", channel="email", subject="{prenom} vous invite", text="Venez ! {lien}"
    )
    with (
        mock.patch("essaim.referrals.tasks.invitations_send", wraps=tasks.invitations_send) as task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(
            inviter_client,
            addresses="Lea@Exemple.fr; noe@exemple.fr lea@exemple.fr",
            message="On t'attend !",
        )
    assert response.status_code == 302
    assert task.enqueue.call_count == 1  # one task for the batch, not one per address
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == ["lea@exemple.fr"])
    invitation = Invitation.objects.get(email="lea@exemple.fr")
    assert invitation.status == InvitationStatus.SENT and invitation.sent_at is not None
    assert message.subject == "Camille vous invite"
    stop_url = f"http://127.0.0.1:8000/invitation/{invitation.code}/stop/"
    assert message.extra_headers["List-Unsubscribe"] == f"<{stop_url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Venez ! http://127.0.0.1:8000/invitation/{invitation.code}/" in message.body
    assert "On t'attend !" in message.body
    assert stop_url in message.body
    assert invitation.link is not None and invitation.link.owner_id == referrer.pk


def test_suppressed_addresses_are_skipped_and_counted(
    inviter_client: Client, django_capture_on_commit_callbacks
) -> None:
    for address in ("a@exemple.fr", "B@exemple.fr", "c@exemple.fr"):
        SuppressedAddress.objects.create(email_hash=services.address_hash(address))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            inviter_client, addresses="a@exemple.fr b@exemple.fr c@exemple.fr d@exemple.fr"
        )
    assert response.status_code == 302
    assert list(Invitation.objects.values_list("email", flat=True)) == ["d@exemple.fr"]
    page = inviter_client.get(response["Location"]).content.decode()
    assert "3 adresses ne souhaitent plus être contactées." in page
    assert "1 invitation va partir." in page
    assert [m.to for m in mail.outbox] == [["d@exemple.fr"]]


def test_suppressed_between_queue_and_send_is_not_sent(referrer: Person) -> None:
    result = services.invitations_create(inviter=referrer, addresses=["z@exemple.fr"])
    services.invitation_stop(code=result.created[0].code)
    assert services.invitations_send(invitation_ids=[result.created[0].pk]) == 0
    assert mail.outbox == []


def test_pending_invitations_and_accounts_are_skipped(inviter_client: Client) -> None:
    InvitationFactory(email="deja@exemple.fr", status=InvitationStatus.SENT)
    UserFactory(email="membre@exemple.fr")
    response = post(inviter_client, addresses="deja@exemple.fr membre@exemple.fr neuf@exemple.fr")
    assert response.status_code == 302
    assert Invitation.objects.filter(email="neuf@exemple.fr").count() == 1
    assert Invitation.objects.filter(email="deja@exemple.fr").count() == 1
    page = inviter_client.get(response["Location"]).content.decode()
    assert "1 adresse a déjà une invitation en attente." in page
    assert "1 adresse a déjà un compte." in page


def test_failed_sending_is_tried_again_later_then_marked(referrer: Person) -> None:
    result = services.invitations_create(inviter=referrer, addresses=["f@exemple.fr"])
    pk = result.created[0].pk
    start = timezone.now()
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")):
        assert services.invitations_send(invitation_ids=[pk]) == 0
        invitation = Invitation.objects.get()
        # Still queued, planned again in 10 minutes: not due before.
        assert (invitation.status, invitation.attempts) == (InvitationStatus.QUEUED, 1)
        assert invitation.retry_at is not None
        assert timedelta(minutes=9) < invitation.retry_at - start < timedelta(minutes=11)
        assert services.invitations_due_for_retry(now=start + timedelta(minutes=5)) == []
        for attempt, delay in ((2, 11), (3, 71), (4, 500)):
            later = start + timedelta(minutes=delay)
            assert services.invitations_due_for_retry(now=later) == [pk]
            assert services.invitations_retry(now=later) == 0
            assert Invitation.objects.get().attempts == attempt
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.retry_at) == (InvitationStatus.FAILED, None)
    assert services.invitations_due_for_retry(now=start + timedelta(days=1)) == []
    assert mail.outbox == []


def test_retry_job_sends_a_failed_invitation_once_the_server_is_back(referrer: Person) -> None:
    result = services.invitations_create(inviter=referrer, addresses=["g@exemple.fr"])
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")):
        services.invitations_send(invitation_ids=[result.created[0].pk])
    JOBS["invitations_retry"].run()  # not due yet: nothing sent
    assert mail.outbox == []
    Invitation.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
    JOBS["invitations_retry"].run()
    assert [m.to for m in mail.outbox] == [["g@exemple.fr"]]
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.retry_at) == (InvitationStatus.SENT, None)


def test_a_batch_the_queue_refused_is_sent_an_hour_later(
    inviter_client: Client, referrer: Person
) -> None:
    refusing_queue = mock.Mock(**{"enqueue.side_effect": ConnectionError("queue down")})
    with mock.patch("essaim.referrals.tasks.invitations_send", refusing_queue):
        assert post(inviter_client, addresses="h@exemple.fr").status_code == 302
    assert Invitation.objects.get().status == InvitationStatus.QUEUED
    assert services.invitations_due_for_retry() == []  # made just now: not lost yet
    Invitation.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    JOBS["invitations_retry"].run()
    assert [m.to for m in mail.outbox] == [["h@exemple.fr"]]


def test_retry_skips_an_address_suppressed_in_the_meantime(referrer: Person) -> None:
    result = services.invitations_create(inviter=referrer, addresses=["i@exemple.fr"])
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")):
        services.invitations_send(invitation_ids=[result.created[0].pk])
    services.invitation_stop(code=result.created[0].code)
    Invitation.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
    assert services.invitations_retry() == 0
    assert mail.outbox == []


# --- Daily limit -------------------------------------------------------------------------


def test_daily_limit_refuses_the_overflow(inviter_client: Client, referrer: Person) -> None:
    set_limit(3)
    assert post(inviter_client, addresses="a@exemple.fr b@exemple.fr").status_code == 302
    response = post(inviter_client, addresses="c@exemple.fr d@exemple.fr")
    assert response.status_code == 400
    assert "Vous pouvez encore inviter 1 personne aujourd&#x27;hui." in response.content.decode()
    assert Invitation.objects.count() == 2
    assert post(inviter_client, addresses="c@exemple.fr").status_code == 302
    response = post(inviter_client, addresses="e@exemple.fr")
    assert "Vous avez atteint la limite" in response.content.decode()
    assert Invitation.objects.count() == 3


def test_daily_limit_is_over_the_last_24_hours(referrer: Person) -> None:
    set_limit(2)
    old = InvitationFactory(inviter=referrer)
    InvitationFactory(inviter=referrer)
    with pytest.raises(ValidationError, match="limite"):
        services.invitations_create(inviter=referrer, addresses=["n@exemple.fr"])
    Invitation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    services.invitations_create(inviter=referrer, addresses=["n@exemple.fr"])
    assert Invitation.objects.filter(email="n@exemple.fr").exists()


# --- Invitation answers ------------------------------------------------------------------


def test_stop_link_shows_a_button_then_records_the_hash(client: Client) -> None:
    invitation = InvitationFactory(email="Stop.Moi@Exemple.fr", status=InvitationStatus.SENT)
    other = InvitationFactory(email="stop.moi@exemple.fr", status=InvitationStatus.QUEUED)
    url = reverse("capillarity:invitation_stop", kwargs={"code": invitation.code})
    page = client.get(url)
    assert page.status_code == 200
    assert "Ne plus me contacter" in page.content.decode()
    assert not SuppressedAddress.objects.exists()
    assert client.post(url).status_code == 200
    stored = SuppressedAddress.objects.get()
    assert stored.email_hash == services.address_hash("stop.moi@exemple.fr")
    assert "stop" not in stored.email_hash
    for row in (invitation, other):
        row.refresh_from_db()
        assert (row.status, row.email) == (InvitationStatus.REFUSED, "")
    # Later invitations to that address are skipped.
    assert client.post(url).status_code == 200
    assert SuppressedAddress.objects.count() == 1


def test_one_click_post_needs_no_csrf_token(referrer: Person) -> None:
    invitation = InvitationFactory(email="one@exemple.fr")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("capillarity:invitation_stop", kwargs={"code": invitation.code}),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert SuppressedAddress.objects.filter(
        email_hash=services.address_hash("one@exemple.fr")
    ).exists()


@pytest.mark.parametrize("code", ["court", "x" * 40, "inconnu-mais-bien-forme-123"])
def test_unknown_invitation_codes_are_404(client: Client, code: str) -> None:
    assert client.get(reverse("capillarity:invitation", kwargs={"code": code})).status_code == 404
    stop = client.post(reverse("capillarity:invitation_stop", kwargs={"code": code}))
    assert stop.status_code == 404
    assert not SuppressedAddress.objects.exists()


def test_refused_invitation_link_is_404(client: Client) -> None:
    invitation = InvitationFactory(status=InvitationStatus.REFUSED, email="")
    response = client.get(reverse("capillarity:invitation", kwargs={"code": invitation.code}))
    assert response.status_code == 404
    assert "essaim_ref" not in response.cookies


# --- Retention ---------------------------------------------------------------------------


def test_retention_job_erases_unanswered_addresses() -> None:
    now = timezone.now()
    old_sent = InvitationFactory(status=InvitationStatus.SENT)
    old_failed = InvitationFactory(status=InvitationStatus.FAILED)
    old_accepted = InvitationFactory(status=InvitationStatus.ACCEPTED)
    recent = InvitationFactory(status=InvitationStatus.SENT)
    Invitation.objects.filter(pk__in=[old_sent.pk, old_failed.pk, old_accepted.pk]).update(
        created_at=now - timedelta(days=91)
    )
    Invitation.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=89))
    JOBS["invitations_expire"].run()  # the daily job enqueues the task (run at once in tests)
    for row in (old_sent, old_failed):
        row.refresh_from_db()
        assert (row.status, row.email) == (InvitationStatus.EXPIRED, "")
    old_accepted.refresh_from_db()
    recent.refresh_from_db()
    assert old_accepted.status == InvitationStatus.ACCEPTED and old_accepted.email
    assert recent.status == InvitationStatus.SENT and recent.email
    assert services.invitations_expire() == 0


# --- My invitations ----------------------------------------------------------------------


def test_my_invitations_page_query_count_is_constant(
    inviter_client: Client,
    referrer: Person,
    django_assert_num_queries,
    django_assert_max_num_queries,
) -> None:
    InvitationFactory(inviter=referrer, email="un@exemple.fr")
    url = reverse("referrals:invitations")
    inviter_client.get(url)
    with django_assert_max_num_queries(20) as first:
        response = inviter_client.get(url)
    assert "un@exemple.fr" in response.content.decode()
    queries = len(first)
    for _n in range(20):
        InvitationFactory(inviter=referrer, status=InvitationStatus.EXPIRED, email="")
    InvitationFactory(email="pas-a-moi@exemple.fr")
    with django_assert_num_queries(queries):
        response = inviter_client.get(url)
    html = response.content.decode()
    assert "(adresse effacée)" in html
    assert "pas-a-moi@exemple.fr" not in html
