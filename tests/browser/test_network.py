"""Member network in a real browser: a coordinator creates a circle and invites someone,
who joins and mentions the coordinator; notifications, immediate email, daily digest and
unsubscribe follow. Then the discussion and feed pages pass axe and fit a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from essaim.circles import discussions
from essaim.circles.models import Circle, Membership, MembershipRole, Thread
from essaim.feed.digests import unsubscribe_token
from essaim.feed.models import Delivery, Notification, NotificationKind, NotificationPreference
from essaim.feed.tasks import digest_send
from essaim.people.models import Person
from tests.browser.conftest import assert_accessible, assert_no_horizontal_scroll
from tests.circles.discussion_world import World, build_world
from tests.conftest import make_user_for_role

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LINK = re.compile(r"https?://\S+")


def _named(user: Any, given: str, family: str) -> Person:
    person = Person.objects.get(user=user)
    person.given_name, person.family_name = given, family
    person.refresh_search_text()
    person.save()
    return person


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_invite_join_mention_notify_and_digest(new_context, sign_in, mailoutbox):
    coordinator_user = make_user_for_role("admin")
    invitee_user = make_user_for_role("member")
    coordinator = _named(coordinator_user, "Dominique", "Lefèvre")
    invitee = _named(invitee_user, "Camille", "Martin")

    # The coordinator creates the circle through the form.
    coordinator_context = new_context()
    sign_in(coordinator_context, coordinator_user)
    boss = coordinator_context.new_page()
    boss.goto(reverse("circles:create"))
    assert_accessible(boss)
    boss.get_by_label("Nom du cercle").fill("Antenne de Nantes")
    boss.get_by_role("button", name="Créer le cercle").click()
    boss.get_by_text("Le cercle « Antenne de Nantes » est créé").wait_for()
    circle = Circle.objects.get(name="Antenne de Nantes")
    assert Membership.objects.filter(
        circle=circle, person=coordinator, role=MembershipRole.COORDINATOR
    ).exists()
    assert_accessible(boss)

    # ...and invites the member by email.
    boss.goto(reverse("circles:invite", kwargs={"slug": circle.slug}))
    assert_accessible(boss)
    boss.get_by_label("Adresse e-mail de la personne à inviter").fill(invitee.email)
    boss.get_by_role("button", name="Envoyer l'invitation").click()
    boss.get_by_text(invitee.email, exact=False).first.wait_for()
    assert [m.to for m in mailoutbox] == [[invitee.email]]
    links = [u for u in LINK.findall(mailoutbox[0].body) if "/invitation/" in u]
    assert links, mailoutbox[0].body
    mailoutbox.clear()

    # The invited person, signed in with that address, follows the link and accepts.
    member_context = new_context()
    sign_in(member_context, invitee_user)
    member = member_context.new_page()
    member.goto(_path(links[0]))
    assert_accessible(member)
    member.get_by_role("button", name="Accepter et rejoindre le cercle").click()
    member.get_by_role("link", name="Voir les discussions du cercle").wait_for()
    assert Membership.objects.filter(
        circle=circle, person=invitee, role=MembershipRole.MEMBER
    ).exists()
    assert_accessible(member)

    # Opens the discussions and starts a thread mentioning the coordinator.
    member.get_by_role("link", name="Voir les discussions du cercle").click()
    member.get_by_role("heading", name="Discussions", level=1).wait_for()
    assert_accessible(member)
    member.get_by_role("link", name="Nouvelle discussion").click()
    assert_accessible(member)
    member.get_by_label("Titre").fill("Réunion de rentrée")
    member.get_by_label("Message").fill("Bonjour @Dominique Lefèvre, on se voit jeudi ?")
    member.get_by_role("button", name="Publier").click()
    member.get_by_role("heading", name="Réunion de rentrée", level=1).wait_for()
    assert_accessible(member)
    thread = Thread.objects.get(circle=circle, title="Réunion de rentrée")
    mention = Notification.objects.get(recipient=coordinator, kind=NotificationKind.MENTION)

    # Mentions default to an immediate email.
    assert [m.to for m in mailoutbox] == [[coordinator.email]]
    assert mention.emailed_at is not None
    assert "Réunion de rentrée" in mailoutbox[0].subject
    mailoutbox.clear()

    # The coordinator sees the unread count in the header, then the notification.
    boss.goto("/")
    unread = Notification.objects.filter(recipient=coordinator, read_at__isnull=True).count()
    assert unread >= 1
    header_link = boss.get_by_role("link", name=re.compile(rf"^Notifications {unread}\b"))
    header_link.wait_for()
    header_link.click()
    boss.get_by_role(
        "link", name="Camille Martin vous mentionne dans « Réunion de rentrée »"
    ).wait_for()
    assert_accessible(boss)

    # Through the preferences page, replies and new threads go to the daily digest.
    boss.goto(reverse("feed:preferences"))
    assert_accessible(boss)
    for legend in (NotificationKind.REPLY.label, NotificationKind.NEW_THREAD.label):
        boss.get_by_role("group", name=str(legend)).get_by_label(str(Delivery.DAILY.label)).check()
    boss.get_by_role("button", name="Enregistrer").click()
    boss.wait_for_load_state()
    assert set(
        NotificationPreference.objects.filter(person=coordinator).values_list("kind", "delivery")
    ) >= {(NotificationKind.REPLY, Delivery.DAILY), (NotificationKind.NEW_THREAD, Delivery.DAILY)}

    # The coordinator replies (joining the thread), then the member answers.
    boss.goto(
        reverse("circles:thread_detail", kwargs={"slug": circle.slug, "thread_id": thread.pk})
    )
    boss.get_by_label("Message").fill("Oui, à jeudi !")
    boss.get_by_role("button", name="Publier la réponse").click()
    boss.get_by_text("Oui, à jeudi !").first.wait_for()
    member.reload()
    member.get_by_label("Message").fill("Parfait, j'apporte le café.")
    member.get_by_role("button", name="Publier la réponse").click()
    member.get_by_text("Parfait, j'apporte le café.").first.wait_for()
    assert Notification.objects.filter(
        recipient=coordinator, kind=NotificationKind.REPLY, emailed_at__isnull=True
    ).exists()
    assert not [m for m in mailoutbox if m.to == [coordinator.email]]

    # The daily digest (tests run tasks immediately) carries it, with an unsubscribe header.
    digest_send.enqueue("daily")
    digests = [m for m in mailoutbox if m.to == [coordinator.email]]
    assert len(digests) == 1
    digest = digests[0]
    assert "récapitulatif du jour" in digest.subject
    assert "Réunion de rentrée" in digest.body
    unsubscribe = digest.extra_headers["List-Unsubscribe"].strip("<>")
    assert "/desabonnement/" in unsubscribe
    assert not Notification.objects.filter(
        recipient=coordinator, kind=NotificationKind.REPLY, emailed_at__isnull=True
    ).exists()

    # The link works without signing in: a confirmation page, then the preference changes.
    anonymous = new_context().new_page()
    anonymous.goto(_path(unsubscribe))
    anonymous.get_by_role("heading", name="Se désabonner").wait_for()
    assert_accessible(anonymous)
    anonymous.get_by_role("button", name="Confirmer le désabonnement").click()
    anonymous.wait_for_load_state()
    assert not NotificationPreference.objects.filter(
        person=coordinator, delivery=Delivery.DAILY
    ).exists()
    assert_accessible(anonymous)


# --- every page of the network passes axe and fits a phone ------------------------------


def _thread_kwargs(w: World) -> dict[str, Any]:
    return {"slug": w.circle.slug, "thread_id": w.thread.pk}


# (name, role, url builder)
SCREENS: list[tuple[str, str, Callable[[World], str]]] = [
    ("thread-list", "member", lambda w: reverse("circles:thread_list", kwargs={"slug": "lyon"})),
    (
        "thread-coordinator",
        "coordinator",
        lambda w: reverse("circles:thread_detail", kwargs=_thread_kwargs(w)),
    ),
    (
        "thread-member",
        "member",
        lambda w: reverse("circles:thread_detail", kwargs=_thread_kwargs(w)),
    ),
    ("thread-new", "member", lambda w: reverse("circles:thread_create", kwargs={"slug": "lyon"})),
    ("feed", "member", lambda w: reverse("feed:feed")),
    ("notifications", "coordinator", lambda w: reverse("feed:notifications")),
    ("preferences", "member", lambda w: reverse("feed:preferences")),
    (
        "unsubscribe",
        "anonymous",
        lambda w: reverse(
            "feed:unsubscribe",
            kwargs={"token": unsubscribe_token(w.person("coordinator").pk, Delivery.DAILY)},
        ),
    ),
]


def _world() -> World:
    world = build_world()
    for role in ("member", "coordinator"):
        discussions.reaction_toggle(
            actor=world.users[role], message=world.first_message, emoji="👍"
        )
    # The coordinator has unread notifications to list (replies to their thread).
    assert Notification.objects.filter(recipient=world.person("coordinator")).exists()
    return world


def _open(new_context: Any, sign_in: Any, screen: tuple[str, str, Any], **options: Any) -> Any:
    _name, role, url = screen
    world = _world()
    context = new_context(**options)
    user = world.users[role]
    if user is not None:
        sign_in(context, user)
    page = context.new_page()
    target = url(world)
    response = page.goto(target)
    assert response is not None and response.status == 200, (
        f"{target}: {response and response.status}"
    )
    if _name == "thread-coordinator":
        # The hidden message, its reason, the reactions and the attachment are all on screen.
        page.get_by_text("Propos déplacés ici", exact=False).first.wait_for()
        page.get_by_text("Hors sujet", exact=False).first.wait_for()
        assert page.locator("a[href*='/pieces-jointes/']").count() >= 1
        assert page.get_by_text("👍").count() >= 1
    return page


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_network_page_has_no_axe_violation(new_context, sign_in, screen):
    page = _open(new_context, sign_in, screen)
    assert_accessible(page)


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s[0])
def test_network_page_fits_a_phone(new_context, sign_in, screen):
    page = _open(new_context, sign_in, screen, **PHONE)
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
