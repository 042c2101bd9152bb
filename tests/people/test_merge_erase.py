"""Merging duplicates and RGPD erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from essaim.accounts.models import RoleGrant, User
from essaim.core.models import AuditLog
from essaim.people.models import Person
from essaim.people.services import person_erase, person_merge
from tests.accounts.factories import RoleGrantFactory, UserFactory
from tests.people.factories import PersonFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    client.user = admin_user
    return client


def _pair():
    keep = PersonFactory(
        given_name="Hélène",
        family_name="Zérah",
        email="helene@exemple.fr",
        phone="",
        city="Lyon",
        is_member=True,
        is_sympathiser=False,
        notes="Note A",
    )
    duplicate = PersonFactory(
        given_name="Helene",
        family_name="Zerah",
        email="helene@exemple.fr",
        phone="06 12 34 56 78",
        city="Villeurbanne",
        is_member=False,
        is_donor=True,
        is_sympathiser=False,
        notes="Note B",
        newsletter_consent=True,
        newsletter_consent_at=timezone.now() - timedelta(days=30),
        newsletter_consent_proof="Formulaire papier signé",
    )
    keep.tags.add(TagFactory(name="Lyon"))
    duplicate.tags.add(TagFactory(name="Lyon"), TagFactory(name="Gala"))
    # The duplicate was entered first: its creation date is the one to keep.
    Person.objects.filter(pk=duplicate.pk).update(created_at=timezone.now() - timedelta(days=400))
    duplicate.refresh_from_db()
    return keep, duplicate


def test_merge_rules(admin_user):
    keep, duplicate = _pair()
    account = UserFactory(email="helene.compte@exemple.fr")
    duplicate.user = account
    duplicate.save()
    earliest = duplicate.created_at
    merged = person_merge(actor=admin_user, keep=keep, duplicate=duplicate)
    merged.refresh_from_db()
    assert not Person.objects.filter(pk=duplicate.pk).exists()
    assert merged.given_name == "Hélène" and merged.city == "Lyon"  # kept values win
    assert merged.phone == "06 12 34 56 78"  # empty field filled from the duplicate
    assert merged.is_member and merged.is_donor and not merged.is_sympathiser
    assert sorted(t.name for t in merged.tags.all()) == ["Gala", "Lyon"]
    assert merged.created_at == earliest
    assert merged.newsletter_consent
    assert merged.newsletter_consent_proof == "Formulaire papier signé"
    assert merged.user == account  # only the duplicate had an account: it moves
    assert merged.notes == "Note A\n\nNote B"
    assert "villeurbanne" not in merged.search_text
    row = AuditLog.objects.get(action="person.merge")
    assert row.actor == admin_user
    assert row.details["kept_id"] == keep.pk and row.details["duplicate_id"] == duplicate.pk
    assert row.details["kept_name"] == "Hélène Zérah"
    assert row.details["duplicate_name"] == "Helene Zerah"
    assert row.details["account_moved"] is True


def test_merge_refused_when_both_have_accounts(admin):
    keep, duplicate = _pair()
    keep.user = UserFactory()
    keep.save()
    duplicate.user = UserFactory()
    duplicate.save()
    with pytest.raises(ValidationError, match="chacune un compte"):
        person_merge(actor=admin.user, keep=keep, duplicate=duplicate)
    url = reverse("people:merge", kwargs={"pk": keep.pk})
    preview = admin.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert "chacune un compte" in preview
    assert "Confirmer la fusion" not in preview
    response = admin.post(url, {"duplicate": duplicate.pk})
    assert response.status_code == 400
    assert "chacune un compte" in response.content.decode()
    assert Person.objects.filter(pk=duplicate.pk).exists()
    keep.refresh_from_db()
    assert keep.phone == "" and not keep.is_donor
    assert not AuditLog.objects.filter(action="person.merge").exists()


def test_merge_refuses_itself_and_erased(admin_user):
    keep, duplicate = _pair()
    with pytest.raises(ValidationError, match="elle-même"):
        person_merge(actor=admin_user, keep=keep, duplicate=keep)
    Person.objects.filter(pk=duplicate.pk).update(erased_at=timezone.now())
    duplicate.refresh_from_db()
    with pytest.raises(ValidationError, match="effacée"):
        person_merge(actor=admin_user, keep=keep, duplicate=duplicate)
    assert Person.objects.filter(pk=duplicate.pk).exists()


def test_merge_page_candidates_preview_and_confirm(admin):
    keep, duplicate = _pair()
    other = PersonFactory(family_name="Autre", email="autre@exemple.fr")
    url = reverse("people:merge", kwargs={"pk": keep.pk})
    page = admin.get(url)
    assert page.context["likely"] == [duplicate]  # same email listed first, unasked
    search = admin.get(url, {"q": "autre"})
    assert other in search.context["found"]
    preview = admin.get(url, {"duplicate": duplicate.pk})
    body = preview.content.decode()
    assert "Aperçu du résultat" in body and "Confirmer la fusion" in body
    assert "06 12 34 56 78" in body and "Gala" in body
    assert Person.objects.filter(pk=duplicate.pk).exists()  # a preview writes nothing
    response = admin.post(url, {"duplicate": duplicate.pk})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=duplicate.pk).exists()


@pytest.mark.parametrize("bad", ["", "abc", "999999"])
def test_merge_with_bad_duplicate_changes_nothing(admin, bad):
    keep, _duplicate = _pair()
    count = Person.objects.count()
    response = admin.post(reverse("people:merge", kwargs={"pk": keep.pk}), {"duplicate": bad})
    assert response.status_code == 400
    assert Person.objects.count() == count


def _erasable():
    user = UserFactory(email="bientot.efface@exemple.fr")
    RoleGrantFactory(user=user, role="communication")
    person = PersonFactory(
        given_name="Bientôt",
        family_name="Effacé",
        email="bientot.efface@exemple.fr",
        phone="06 00 00 00 00",
        address_line1="12 rue Secrète",
        address_line2="Bât. B",
        postal_code="75011",
        city="Paris",
        notes="Allergique aux arachides",
        source_detail="Rencontré au salon",
        newsletter_consent=True,
        newsletter_consent_at=timezone.now(),
        newsletter_consent_proof="Case cochée le 3 mars",
        last_contact_at=timezone.now(),
        user=user,
    )
    person.tags.add(TagFactory(name="VIP"))
    return person, user


PERSONAL = [
    "Bientôt",
    "Effacé",
    "bientot.efface@exemple.fr",
    "06 00 00 00 00",
    "12 rue Secrète",
    "Bât. B",
    "75011",
    "Paris",
    "Allergique",
    "Rencontré au salon",
    "Case cochée",
]


def test_erase_leaves_no_personal_data(admin):
    person, user = _erasable()
    keep = PersonFactory(family_name="Gardée")
    person_merge(actor=admin.user, keep=person, duplicate=keep)  # an audit row naming them
    url = reverse("people:erase", kwargs={"pk": person.pk})
    assert "définitif" in admin.get(url).content.decode()
    response = admin.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.erased_at is not None
    assert person.full_name == "Personne effacée"
    stored = " ".join(str(getattr(person, f.name)) for f in Person._meta.concrete_fields)
    for value in PERSONAL:
        assert value not in stored, value
    assert not person.newsletter_consent and person.newsletter_consent_at is None
    assert person.tags.count() == 0
    assert person.user is None
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert user.email.endswith(".invalid") and "efface" in user.email
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not RoleGrant.objects.filter(user=user).exists()
    assert not User.objects.filter(email="bientot.efface@exemple.fr").exists()
    logs = " ".join(f"{r.target_label} {r.details}" for r in AuditLog.objects.all())
    for value in ("Bientôt", "bientot.efface@exemple.fr"):
        assert value not in logs
    # The staff role went through the accounts service, audited without the address.
    revoke = AuditLog.objects.get(action="role.revoke")
    assert revoke.details["role"] == "communication"
    assert "bientot" not in f"{revoke.target_label} {revoke.details}"
    erase_row = AuditLog.objects.get(action="person.erase")
    assert erase_row.actor == admin.user and erase_row.details["person_id"] == person.pk
    # Gone from the directory and the exports.
    directory = admin.get(reverse("people:directory"))
    assert person not in list(directory.context["page"].object_list)
    csv = b"".join(admin.get(reverse("people:export_csv")).streaming_content).decode()
    assert "Personne effacée" not in csv
    # The person page still says it was erased.
    assert (
        "Fiche effacée"
        in admin.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    )


def test_erase_needs_confirmation(admin):
    person, user = _erasable()
    response = admin.post(reverse("people:erase", kwargs={"pk": person.pk}), {})
    assert response.status_code == 400
    assert "Cochez la case" in response.content.decode()
    person.refresh_from_db()
    assert person.erased_at is None and person.email == "bientot.efface@exemple.fr"
    user.refresh_from_db()
    assert user.is_active


def test_admin_cannot_erase_themselves_or_twice(admin):
    own = admin.user.person
    with pytest.raises(ValidationError, match="propre fiche"):
        person_erase(actor=admin.user, person=own)
    response = admin.post(reverse("people:erase", kwargs={"pk": own.pk}), {"confirm": "yes"})
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.erased_at is None
    other = PersonFactory()
    person_erase(actor=admin.user, person=other)
    with pytest.raises(ValidationError, match="déjà effacée"):
        person_erase(actor=admin.user, person=other)
    assert AuditLog.objects.filter(action="person.erase").count() == 1


def test_coordinator_cannot_erase(client, login_as):
    client.force_login(login_as("coordinator"))
    person = PersonFactory()
    response = client.post(reverse("people:erase", kwargs={"pk": person.pk}), {"confirm": "yes"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.erased_at is None


def test_erasing_the_last_admin_is_refused(admin):
    other_admin = UserFactory(email="seule.admin@exemple.fr")
    person = PersonFactory(user=other_admin, email=other_admin.email)
    grant = RoleGrantFactory(user=other_admin, role="admin")
    # Make the other account the only active administrator left.
    RoleGrant.objects.filter(user=admin.user).delete()
    admin.user.is_superuser = True
    admin.user.save()
    with pytest.raises(ValidationError, match="dernier administrateur"):
        person_erase(actor=admin.user, person=person)
    person.refresh_from_db()
    other_admin.refresh_from_db()
    assert person.erased_at is None and person.email == "seule.admin@exemple.fr"
    assert other_admin.is_active and RoleGrant.objects.filter(pk=grant.pk).exists()


@pytest.mark.parametrize("rows", [3, 12])
def test_merge_candidates_query_count_is_constant(admin, django_assert_num_queries, rows):
    keep = PersonFactory(email="double@exemple.fr")
    for index in range(rows):
        candidate = PersonFactory(email="double@exemple.fr", family_name=f"Double{index}")
        candidate.tags.add(TagFactory(name=f"t{index % 3}"))
    PersonFactory(family_name="Doublement", email="autre@exemple.fr")
    url = reverse("people:merge", kwargs={"pk": keep.pk})
    admin.get(url)  # warm the organisation cache
    # session, user, roles, person, its tags, likely duplicates and their tags, search and tags,
    # unread-notification badge
    with django_assert_num_queries(10):
        response = admin.get(url, {"q": "double"})
    assert len(response.context["likely"]) == rows
    assert [p.family_name for p in response.context["found"]] == ["Doublement"]
