"""Pages of the tree (/reseau/): role matrix, own downline only, names setting, tree
navigation with and without htmx, corrections (confirmation, bad input, audit), query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from essaim.core.models import AuditLog, Organisation
from essaim.core.selectors import organisation_get
from essaim.people.models import Person
from essaim.referrals.models import ReferralEventKind
from essaim.referrals.tree import referral_attribute, referral_event_record
from tests.access import ROLES, SIGNED_IN, Route, assert_access
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db

NETWORK = frozenset({"coordinator", "communication", "admin"})
ADMINS = frozenset({"admin"})
HTMX = {"HTTP_HX_REQUEST": "true"}


def attach(child: Person, parent: Person) -> None:
    assert referral_attribute(person=child, referrer=parent, at=timezone.now())


def _referred() -> dict[str, int]:
    root = PersonFactory()
    child = PersonFactory()
    attach(child, root)
    return {"pk": child.pk}


def _detach() -> dict[str, str]:
    return {"detach": "on", "note": "Arrivée par un autre chemin"}


ROUTES = [
    Route("network:mine", allowed=SIGNED_IN),
    Route("network:overview", allowed=NETWORK),
    Route("network:tree", allowed=NETWORK),
    Route("network:tree", allowed=NETWORK, query="q=a"),
    Route("network:children", allowed=NETWORK, kwargs=_referred, extra=HTMX),
    Route("network:children", allowed=NETWORK, kwargs=_referred, ok=(302,)),
    Route("network:correct", allowed=ADMINS, kwargs=_referred),
    Route("network:correct", allowed=ADMINS, kwargs=_referred, method="post", data=_detach),
    Route(
        "network:correct",
        allowed=ADMINS,
        kwargs=_referred,
        method="post",
        data=lambda: {**_detach(), "confirm": "1"},
        ok=(302,),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_role_matrix(client: Any, route: Route, role: str, login_as: Any) -> None:
    assert_access(client, route, role, login_as)


def _signed_in(client: Any, role: str = "member") -> Person:
    user = make_user_for_role(role)
    assert user is not None
    client.force_login(user)
    return Person.objects.get(user=user)


def _set_names(value: str) -> None:
    organisation_get()  # the row exists once read
    Organisation.objects.update(referral_names=value)
    cache.clear()
    assert organisation_get().referral_names == value


def test_a_person_sees_only_their_own_downline(client: Any) -> None:
    me = _signed_in(client)
    mine = PersonFactory(given_name="Léa", family_name="Dupont")
    attach(mine, me)
    grandchild = PersonFactory(given_name="Noé", family_name="Bernard")
    attach(grandchild, mine)
    referral_event_record(person=grandchild, kind=ReferralEventKind.GAVE, at=timezone.now())
    stranger_root = PersonFactory()
    attach(PersonFactory(given_name="Inconnu", family_name="Ailleurs"), stranger_root)
    page = client.get(reverse("network:mine")).content.decode()
    assert "2 personnes ont rejoint" in page
    assert "Léa D." in page and "Dupont" not in page
    assert "Inconnu" not in page
    # Generation 2 holds one donor.
    assert '<th scope="row">2</th><td>1</td><td>0</td><td>1</td>' in page
    # No id in the address: nobody can ask for someone else's downline.
    assert (
        client.get(reverse("network:mine") + f"?personne={stranger_root.pk}")
        .content.decode()
        .count("Inconnu")
        == 0
    )


@pytest.mark.parametrize(
    ("setting", "shown", "hidden"),
    [("full", "Léa Dupont", ""), ("initials", "Léa D.", "Dupont"), ("anonymous", "", "Léa")],
)
def test_names_follow_the_organisation_setting(
    client: Any, setting: str, shown: str, hidden: str
) -> None:
    _set_names(setting)
    me = _signed_in(client)
    attach(PersonFactory(given_name="Léa", family_name="Dupont"), me)
    page = client.get(reverse("network:mine")).content.decode()
    assert "1 personne a rejoint" in page
    if shown:
        assert shown in page
    if hidden:
        assert hidden not in page


def test_mine_without_a_person_is_not_found(client: Any) -> None:
    user = make_user_for_role("member")
    assert user is not None
    Person.objects.filter(user=user).update(user=None)
    client.force_login(user)
    assert client.get(reverse("network:mine")).status_code == 404


def test_tree_from_the_hard_core_then_from_a_person(client: Any) -> None:
    _signed_in(client, "coordinator")
    root = PersonFactory(given_name="Racine", family_name="Noyau")
    child = PersonFactory(given_name="Enfant", family_name="Un")
    leaf = PersonFactory(given_name="Feuille", family_name="Deux")
    attach(child, root)
    attach(leaf, child)
    page = client.get(reverse("network:tree")).content.decode()
    assert "Racine Noyau" in page and "Enfant Un" not in page
    children_url = reverse("network:children", kwargs={"pk": root.pk})
    assert f'hx-get="{children_url}"' in page
    # Without JavaScript, the fallback link opens the tree from that person.
    assert f"?depuis={root.pk}" in page
    partial = client.get(children_url, **HTMX).content.decode()
    assert "Enfant Un" in partial and "<html" not in partial
    redirect = client.get(children_url)
    assert redirect.status_code == 302 and redirect["Location"].endswith(f"?depuis={root.pk}")
    page = client.get(reverse("network:tree") + f"?depuis={leaf.pk}").content.decode()
    # Breadcrumb of the upline.
    assert "Racine Noyau" in page and "Enfant Un" in page
    assert client.get(reverse("network:tree") + "?depuis=abc").status_code == 404
    assert client.get(reverse("network:tree") + "?depuis=999999").status_code == 404


def test_tree_search_finds_people(client: Any) -> None:
    _signed_in(client, "communication")
    PersonFactory(given_name="Hélène", family_name="Zarbi")
    page = client.get(reverse("network:tree") + "?q=zarbi").content.decode()
    assert "Hélène Zarbi" in page


def test_correction_asks_confirmation_then_moves_and_audits(client: Any) -> None:
    admin = _signed_in(client, "admin")
    old, new, person = PersonFactory(), PersonFactory(given_name="Nouveau"), PersonFactory()
    attach(person, old)
    url = reverse("network:correct", kwargs={"pk": person.pk})
    data = {"referrer": str(new.pk), "note": "Lien partagé par erreur"}
    page = client.post(url, data).content.decode()
    assert "Confirmer la correction" in page
    assert Person.objects.get(pk=person.pk).referred_by_id == old.pk
    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).referred_by_id == new.pk
    entry = AuditLog.objects.get(action="referral.correct")
    assert entry.actor_id == admin.user_id
    assert entry.details["old_referrer"][0] == old.pk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"note": "x"}, "Choisissez une nouvelle personne"),
        ({"referrer": "1", "detach": "on", "note": "x"}, "Choisissez une nouvelle personne"),
        ({"referrer": "99999999", "note": "x", "confirm": "1"}, "n&#x27;existe pas"),
        ({"detach": "on", "note": "", "confirm": "1"}, "Ce champ est obligatoire"),
        ({"referrer": "abc", "note": "x", "confirm": "1"}, "Saisissez un nombre entier"),
    ],
)
def test_correction_bad_input_changes_nothing(
    client: Any, data: dict[str, str], message: str
) -> None:
    _signed_in(client, "admin")
    old, person = PersonFactory(), PersonFactory()
    attach(person, old)
    response = client.post(reverse("network:correct", kwargs={"pk": person.pk}), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Person.objects.get(pk=person.pk).referred_by_id == old.pk
    assert not AuditLog.objects.filter(action="referral.correct").exists()


def test_correction_refuses_a_cycle_with_a_clear_message(client: Any) -> None:
    _signed_in(client, "admin")
    top, below = PersonFactory(), PersonFactory()
    attach(below, top)
    url = reverse("network:correct", kwargs={"pk": top.pk})
    response = client.post(url, {"referrer": str(below.pk), "note": "essai", "confirm": "1"})
    assert response.status_code == 400
    assert "boucle" in response.content.decode()
    assert Person.objects.get(pk=top.pk).referred_by_id is None


def _count(client: Any, url: str, **extra: Any) -> int:
    client.get(url, **extra)  # warm the organisation cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(captured)


def _grow(parent: Person, count: int, *, give: bool = True) -> list[Person]:
    made = []
    for _ in range(count):
        child = PersonFactory()
        attach(child, parent)
        if give:
            referral_event_record(person=child, kind=ReferralEventKind.GAVE, at=timezone.now())
        made.append(child)
    return made


def test_mine_queries_constant_in_rows(client: Any, django_assert_num_queries: Any) -> None:
    me = _signed_in(client)
    kids = _grow(me, 2)
    _grow(kids[0], 1)
    url = reverse("network:mine")
    small = _count(client, url)
    more = _grow(me, 12)
    for kid in more[:4]:
        _grow(kid, 2)
    with django_assert_num_queries(small):
        client.get(url)


def test_tree_pages_queries_constant_in_rows(client: Any, django_assert_num_queries: Any) -> None:
    _signed_in(client, "coordinator")
    root = PersonFactory()
    kids = _grow(root, 2)
    urls = [
        (reverse("network:tree"), {}),
        (reverse("network:tree") + f"?depuis={root.pk}", {}),
        (reverse("network:children", kwargs={"pk": root.pk}), HTMX),
    ]
    small = [_count(client, url, **extra) for url, extra in urls]
    for _ in range(5):
        _grow(PersonFactory(), 2, give=False)
    for kid in [*kids, *_grow(root, 10)]:
        _grow(kid, 1)
    for (url, extra), expected in zip(urls, small, strict=True):
        with django_assert_num_queries(expected):
            client.get(url, **extra)


def test_overview_queries_constant_in_rows(client: Any, django_assert_num_queries: Any) -> None:
    _signed_in(client, "admin")
    _grow(PersonFactory(), 3)
    url = reverse("network:overview")
    before = client.get(url).context["figures"].persons  # also warms the organisation cache
    small = _count(client, url)
    for _ in range(4):
        _grow(PersonFactory(), 3)
    with django_assert_num_queries(small):
        page = client.get(url)
    # Always current: the 16 people just added are counted at once.
    assert page.context["figures"].persons == before + 16 == Person.objects.count()


@pytest.mark.parametrize("role", ["member", "treasurer", "coordinator", "admin"])
def test_network_entry_in_the_navigation_for_staff_who_may_see_it(client: Any, role: str) -> None:
    _signed_in(client, role)
    page = client.get(reverse("network:mine")).content.decode()
    assert (f'href="{reverse("network:overview")}"' in page) == (role in NETWORK)


def test_long_lists_are_counted_up_to_a_cap(client: Any, monkeypatch: Any) -> None:
    from essaim.referrals import tree_views

    monkeypatch.setattr(tree_views, "TREE_COUNT_CAP", 3)
    _signed_in(client, "admin")
    root = PersonFactory()
    _grow(root, 5, give=False)
    page = client.get(reverse("network:tree") + f"?depuis={root.pk}").content.decode()
    assert "Seules les 5 000 premières personnes" in page
    small = PersonFactory()
    _grow(small, 2, give=False)
    page = client.get(reverse("network:tree") + f"?depuis={small.pk}").content.decode()
    assert "Seules les" not in page
