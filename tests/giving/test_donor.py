"""The donor space: by account or by signed link, a donor sees and acts only on their own gifts."""

from __future__ import annotations

import html as htmllib
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from essaim.accounts.models import User
from essaim.giving import donor_links, policies
from essaim.giving.models import (
    DonationStatus,
    RecurringChange,
    RecurringGift,
    RecurringStatus,
)
from essaim.giving.receipts import receipt_cancel, receipt_issue_for_donation
from essaim.people.models import Person
from tests.conftest import make_user_for_role
from tests.giving.factories import DonationFactory, PaidDonationFactory, RecurringGiftFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    return htmllib.unescape(response.content.decode())


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def _member() -> User:
    user = make_user_for_role("member")
    assert user is not None
    return user


def _open_by_link(client: Client, person: Person) -> None:
    response = client.get(
        reverse("donor:signed", kwargs={"token": donor_links.donor_token(person)})
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("donor:home")


# --- Who sees what ------------------------------------------------------------------------


def test_a_visitor_without_link_is_asked_for_one(client: Client) -> None:
    response = client.get(reverse("donor:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("donor:request_link")


def test_a_member_sees_their_gifts_schedules_and_receipts_only(client: Client) -> None:
    user = _member()
    mine = PaidDonationFactory(person=user.person, amount_cents=4200)
    DonationFactory(person=user.person, amount_cents=1700, status=DonationStatus.REFUNDED)
    RecurringGiftFactory(person=user.person, amount_cents=1500)
    issued = receipt_issue_for_donation(donation=mine, actor=None)
    other_gift = PaidDonationFactory(amount_cents=9900)
    other_receipt = receipt_issue_for_donation(donation=other_gift, actor=None)
    RecurringGiftFactory(person=other_gift.person, amount_cents=7700)
    client.force_login(user)
    html = _text(client.get(reverse("donor:home")))
    assert "42\u00a0€" in html and "17\u00a0€" in html and "Remboursé" in html
    assert "15\u00a0€ par mois" in html and "Mettre en pause" in html
    assert issued.number in html
    assert reverse("receipts:pdf", kwargs={"code": issued.code}) in html
    assert "99\u00a0€" not in html and "77\u00a0€" not in html
    assert other_receipt.number not in html
    assert other_receipt.code not in html


def test_a_cancelled_receipt_is_shown_as_such(client: Client) -> None:
    user = _member()
    receipt = receipt_issue_for_donation(
        donation=PaidDonationFactory(person=user.person), actor=None
    )
    receipt_cancel(actor=None, receipt=receipt, reason="Adresse erronée")
    client.force_login(user)
    html = _text(client.get(reverse("donor:home")))
    assert f"Reçu n° {receipt.number}" in html
    assert "annulé : Adresse erronée" in html
    assert reverse("receipts:pdf", kwargs={"code": receipt.code}) not in html


def test_the_donor_space_queries_do_not_grow_with_rows(
    client: Client, django_assert_num_queries: Any
) -> None:
    user = _member()
    client.force_login(user)
    PaidDonationFactory(person=user.person)
    RecurringGiftFactory(person=user.person)
    url = reverse("donor:home")
    client.get(url)
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get(url).status_code == 200
    for _n in range(4):
        receipt_issue_for_donation(donation=PaidDonationFactory(person=user.person), actor=None)
        RecurringGiftFactory(person=user.person)
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get(url).status_code == 200


# The same whatever the number of gifts, monthly gifts and receipts (gifts: count + page).
HOME_QUERIES = 9


def test_the_signed_link_opens_the_space_without_an_account(client: Client) -> None:
    gift = PaidDonationFactory(amount_cents=6100)
    _open_by_link(client, gift.person)
    html = _text(client.get(reverse("donor:home")))
    assert "61\u00a0€" in html
    assert "Fermer mon espace donateur" in html
    client.post(reverse("donor:leave"))
    assert client.get(reverse("donor:home")).status_code == 302


def test_a_forged_or_expired_link_opens_nothing(client: Client, monkeypatch: Any) -> None:
    gift = PaidDonationFactory()
    response = client.get(reverse("donor:signed", kwargs={"token": "faux:jeton"}))
    assert response.status_code == 404
    assert "Ce lien n'est plus valable" in _text(response)
    token = donor_links.donor_token(gift.person)
    monkeypatch.setattr(donor_links, "DONOR_LINK_MAX_AGE", timedelta(seconds=-1))
    assert client.get(reverse("donor:signed", kwargs={"token": token})).status_code == 404
    assert client.get(reverse("donor:home")).status_code == 302


def test_the_link_session_expires(client: Client) -> None:
    gift = PaidDonationFactory()
    _open_by_link(client, gift.person)
    session = client.session
    session[policies.SESSION_KEY] = {"p": gift.person.pk, "until": int(time.time()) - 1}
    session.save()
    assert client.get(reverse("donor:home")).status_code == 302


def test_person_b_cannot_see_or_act_on_person_a(client: Client) -> None:
    schedule_a = RecurringGiftFactory(amount_cents=3300)
    gift_a = PaidDonationFactory(person=schedule_a.person, amount_cents=8800)
    receipt_a = receipt_issue_for_donation(donation=gift_a, actor=None)
    person_b = PaidDonationFactory().person
    _open_by_link(client, person_b)
    html = _text(client.get(reverse("donor:home")))
    assert "88\u00a0€" not in html and receipt_a.number not in html
    response = client.post(
        reverse("donor:recurring_change", kwargs={"code": schedule_a.code}), {"action": "cancel"}
    )
    assert response.status_code == 404
    schedule_a.refresh_from_db()
    assert schedule_a.status == RecurringStatus.ACTIVE
    with pytest.raises(Exception, match="ne vous concerne pas"):
        policies.get_donation_for_donor(person_b, gift_a.code)
    with pytest.raises(Exception, match="ne vous concerne pas"):
        policies.get_receipt_for_donor(person_b, receipt_a.code)
    assert policies.get_donation_for_donor(gift_a.person, gift_a.code) == gift_a


# --- Monthly gifts --------------------------------------------------------------------------


def test_pause_resume_and_stop_from_the_space(client: Client) -> None:
    user = _member()
    schedule = RecurringGiftFactory(person=user.person)
    client.force_login(user)
    url = reverse("donor:recurring_change", kwargs={"code": schedule.code})
    response = client.post(url, {"action": "pause"}, follow=True)
    assert "Votre don mensuel est en pause" in _text(response)
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.PAUSED
    client.post(url, {"action": "resume"})
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.ACTIVE
    client.post(url, {"action": "cancel"})
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.CANCELLED
    changes = RecurringChange.objects.filter(recurring=schedule)
    assert changes.count() == 3 and all(change.by_donor for change in changes)


def test_an_impossible_move_says_why_and_changes_nothing(client: Client) -> None:
    user = _member()
    schedule = RecurringGiftFactory(person=user.person, status=RecurringStatus.CANCELLED)
    client.force_login(user)
    url = reverse("donor:recurring_change", kwargs={"code": schedule.code})
    response = client.post(url, {"action": "resume"}, follow=True)
    assert response.status_code == 200
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.CANCELLED
    response = client.post(url, {"action": "supprimer"}, follow=True)
    assert "Cette action n'existe pas" in _text(response)


def test_the_monthly_link_manages_one_gift_without_an_account(client: Client) -> None:
    schedule = RecurringGiftFactory(amount_cents=2500)
    url = reverse("donor:recurring", kwargs={"token": donor_links.recurring_token(schedule)})
    html = _text(client.get(url))
    assert "25\u00a0€ par mois" in html and "Mettre en pause" in html
    response = client.post(url, {"action": "cancel"})
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.CANCELLED
    assert RecurringChange.objects.get(recurring=schedule).by_donor
    assert "Mettre en pause" not in _text(client.get(url))


def test_a_forged_monthly_link_is_404(client: Client) -> None:
    schedule = RecurringGiftFactory()
    token = donor_links.recurring_token(schedule)
    url = reverse("donor:recurring", kwargs={"token": token[:-2] + "xx"})
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "cancel"}).status_code == 404
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.ACTIVE


# --- Address --------------------------------------------------------------------------------


def test_the_address_update_changes_the_person_not_old_gifts(client: Client) -> None:
    user = _member()
    gift = PaidDonationFactory(person=user.person, city="Paris")
    client.force_login(user)
    data = {"address_line1": "3 place du Marché", "address_line2": "", "postal_code": "13001"}
    response = client.post(reverse("donor:address"), {**data, "city": "Marseille"}, follow=True)
    assert "Les reçus déjà émis gardent l'ancienne adresse" in _text(response)
    user.person.refresh_from_db()
    assert (user.person.city, user.person.postal_code) == ("Marseille", "13001")
    gift.refresh_from_db()
    assert gift.city == "Paris"


def test_a_bad_address_is_refused_and_changes_nothing(client: Client) -> None:
    user = _member()
    client.force_login(user)
    before = Person.objects.get(pk=user.person.pk)
    response = client.post(
        reverse("donor:address"),
        {"address_line1": "3 place du Marché", "postal_code": "13001", "city": ""},
    )
    assert response.status_code == 400
    assert "Ce champ est obligatoire" in _text(response)
    after = Person.objects.get(pk=user.person.pk)
    assert (after.address_line1, after.city) == (before.address_line1, before.city)


# --- Asking for a link ------------------------------------------------------------------------


def test_a_donor_who_asks_gets_their_link_by_email(client: Client, on_commit: Any) -> None:
    gift = PaidDonationFactory()
    with on_commit(execute=True):
        response = client.post(reverse("donor:request_link"), {"email": gift.person.email.upper()})
    assert response.status_code == 200
    assert "Si cette adresse correspond à un donateur" in _text(response)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == [gift.person.email]
    token = body.split("/mes-dons/lien/")[1].split("/")[0]
    assert donor_links.donor_from_token(token) == gift.person


def test_the_answer_never_reveals_who_gives(client: Client, on_commit: Any) -> None:
    PersonFactory(email="pas-donateur@exemple.fr")
    gift = PaidDonationFactory()
    url = reverse("donor:request_link")
    with on_commit(execute=True):
        unknown = client.post(url, {"email": "inconnu@exemple.fr"})
        not_donor = client.post(url, {"email": "pas-donateur@exemple.fr"})
        donor = client.post(url, {"email": gift.person.email})
    texts = [_text(response) for response in (unknown, not_donor, donor)]
    assert unknown.status_code == not_donor.status_code == donor.status_code == 200
    assert all("Si cette adresse correspond à un donateur" in text for text in texts)
    assert len(mail.outbox) == 1


def test_link_requests_are_limited_per_address_and_hour(client: Client, on_commit: Any) -> None:
    gift = PaidDonationFactory()
    for _n in range(5):
        with on_commit(execute=True):
            response = client.post(reverse("donor:request_link"), {"email": gift.person.email})
        assert response.status_code == 200
    assert len(mail.outbox) == 3


def test_a_bad_address_in_the_link_form_says_so(client: Client) -> None:
    response = client.post(reverse("donor:request_link"), {"email": "pas une adresse"})
    assert response.status_code == 400
    assert "adresse de courriel valide" in _text(response)
    assert not mail.outbox


def test_recurring_schedule_listing_skips_abandoned_checkouts(client: Client) -> None:
    user = _member()
    RecurringGiftFactory(person=user.person, status=RecurringStatus.PENDING, amount_cents=4400)
    client.force_login(user)
    html = _text(client.get(reverse("donor:home")))
    assert "44\u00a0€ par mois" not in html
    assert RecurringGift.objects.count() == 1


def test_a_long_history_is_paginated(client: Client) -> None:
    from essaim.giving.donor_views import GIFTS_PER_PAGE

    user = _member()
    for _n in range(GIFTS_PER_PAGE):
        PaidDonationFactory(person=user.person, amount_cents=1100)
    oldest = PaidDonationFactory(person=user.person, amount_cents=9700)
    oldest.created_at = oldest.created_at.replace(year=2020)
    oldest.save(update_fields=["created_at"])
    client.force_login(user)
    first = _text(client.get(reverse("donor:home")))
    assert "97\u00a0€" not in first and "Page 1 sur 2" in first
    second = _text(client.get(reverse("donor:home") + "?page=2"))
    assert "97\u00a0€" in second and "11\u00a0€" not in second


def test_stopped_monthly_gifts_come_last() -> None:
    from essaim.giving.selectors import donor_recurring_gifts

    person = PersonFactory()
    stopped = RecurringGiftFactory(person=person, status=RecurringStatus.CANCELLED)
    paused = RecurringGiftFactory(person=person, status=RecurringStatus.PAUSED)
    active = RecurringGiftFactory(person=person)
    assert list(donor_recurring_gifts(person)) == [active, paused, stopped]


def test_opening_the_space_by_link_renews_the_session_key(client: Client) -> None:
    gift = PaidDonationFactory()
    client.get(reverse("donor:request_link"))
    session = client.session
    session["planted"] = True
    session.save()
    before = session.session_key
    _open_by_link(client, gift.person)
    assert client.session.session_key != before
