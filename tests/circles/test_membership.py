"""Circle and membership services and pages: flows, bad input, counters, notifications."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from essaim.circles.models import (
    Circle,
    CircleInvitation,
    InvitationStatus,
    JoinPolicy,
    JoinRequest,
    Membership,
    MembershipRole,
    RequestStatus,
)
from essaim.circles.services import (
    circle_archive,
    circle_create,
    circle_update,
    invitation_accept,
    invitation_create,
    join_request_create,
    join_request_decide,
    membership_join,
    membership_leave,
    membership_set_role,
)
from essaim.core.models import AuditLog
from essaim.feed.models import Activity, Notification, NotificationKind, Verb
from tests.accounts.factories import UserFactory
from tests.circles.conftest import World
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _count(circle: Circle) -> int:
    circle.refresh_from_db()
    assert circle.member_count == Membership.objects.filter(circle=circle).count()
    return circle.member_count


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Joining --------------------------------------------------------------------------


def test_join_open_circle_counts_records_and_notifies(world: World):
    b = world.circles["b"]
    before = _count(b)
    membership_join(actor=world.users["member"], circle=b)
    assert _count(b) == before + 1
    activity = Activity.objects.filter(circle=b, verb=Verb.MEMBER_JOINED).latest("id")
    assert activity.actor == world.person("member")
    coordinator = Membership.objects.get(circle=b, role=MembershipRole.COORDINATOR).person
    assert Notification.objects.filter(
        recipient=coordinator, kind=NotificationKind.NEW_MEMBER, circle=b
    ).exists()


def test_join_twice_is_refused_and_counts_once(world: World):
    b = world.circles["b"]
    before = _count(b)
    with pytest.raises(ValidationError, match="déjà membre"):
        membership_join(actor=world.users["member_b"], circle=b)
    assert _count(b) == before


def test_join_request_circle_directly_is_refused_with_a_message(client, world: World):
    a = world.circles["a"]
    before = _count(a)
    client.force_login(world.users["sympathiser"])
    response = client.post(reverse("circles:join", kwargs={"slug": a.slug}), follow=True)
    assert "sur demande" in " ".join(_messages(response))
    assert _count(a) == before


def test_join_invitation_only_circle_is_refused_with_a_message(client, world: World):
    national = world.circles["national"]
    national.join_policy = JoinPolicy.INVITATION
    national.save()
    before = _count(national)
    client.force_login(world.users["member"])
    response = client.post(reverse("circles:join", kwargs={"slug": national.slug}), follow=True)
    assert "sur invitation seulement" in " ".join(_messages(response))
    assert _count(national) == before


def test_guessing_a_secret_circle_url_changes_nothing(client, world: World):
    secret = world.circles["secret"]
    before = _count(secret)
    client.force_login(world.users["member_a"])
    for name in ("circles:join", "circles:request", "circles:leave"):
        response = client.post(reverse(name, kwargs={"slug": secret.slug}))
        assert response.status_code == 404
        assert "Cellule" not in response.content.decode()
    assert _count(secret) == before
    assert not JoinRequest.objects.filter(circle=secret).exists()


def test_htmx_join_returns_the_membership_box(client, world: World):
    b = world.circles["b"]
    client.force_login(world.users["member"])
    response = client.post(
        reverse("circles:join", kwargs={"slug": b.slug}), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "Vous êtes membre de ce cercle." in body
    assert _count(b) == 3


# --- Requests -------------------------------------------------------------------------


def test_second_pending_request_is_refused(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["member"])
    response = client.post(
        reverse("circles:request", kwargs={"slug": a.slug}), {"message": "Encore"}, follow=True
    )
    assert "déjà une demande en attente" in " ".join(_messages(response))
    assert JoinRequest.objects.filter(circle=a, person=world.person("member")).count() == 1


def test_request_notifies_coordinators(world: World):
    a = world.circles["a"]
    join_request_create(actor=world.users["sympathiser"], circle=a, message="Bonjour")
    assert Notification.objects.filter(
        recipient=world.person("coordinator_a"), kind=NotificationKind.JOIN_REQUEST, circle=a
    ).exists()


def test_approve_request_adds_member_and_tells_the_person(world: World):
    a = world.circles["a"]
    before = _count(a)
    assert world.join_request is not None
    decided = join_request_decide(
        actor=world.users["coordinator_a"],
        join_request=world.join_request,
        approve=True,
        response="Bienvenue parmi nous",
    )
    assert decided.status == RequestStatus.APPROVED
    assert decided.decided_by == world.person("coordinator_a")
    assert _count(a) == before + 1
    note = Notification.objects.filter(recipient=world.person("member")).latest("id")
    assert "acceptée" in note.summary and "Bienvenue parmi nous" in note.summary
    with pytest.raises(ValidationError, match="déjà reçu une réponse"):
        join_request_decide(
            actor=world.users["coordinator_a"], join_request=world.join_request, approve=False
        )
    assert _count(a) == before + 1


def test_refuse_request_with_a_message(client, world: World):
    a = world.circles["a"]
    before = _count(a)
    assert world.join_request is not None
    client.force_login(world.users["coordinator_a"])
    response = client.post(
        reverse(
            "circles:request_decide",
            kwargs={"slug": a.slug, "request_id": world.join_request.pk},
        ),
        {"decision": "refuse", "response": "Le groupe est complet cette année."},
    )
    assert response.status_code == 302
    world.join_request.refresh_from_db()
    assert world.join_request.status == RequestStatus.REFUSED
    assert _count(a) == before
    note = Notification.objects.filter(recipient=world.person("member")).latest("id")
    assert "n'est pas acceptée" in note.summary
    assert "complet" in note.summary


def test_decision_without_choice_changes_nothing(client, world: World):
    assert world.join_request is not None
    client.force_login(world.users["coordinator_a"])
    url = reverse(
        "circles:request_decide",
        kwargs={"slug": world.circles["a"].slug, "request_id": world.join_request.pk},
    )
    response = client.post(url, {"decision": "peut-etre"}, follow=True)
    assert "Accepter" in " ".join(_messages(response))
    world.join_request.refresh_from_db()
    assert world.join_request.status == RequestStatus.PENDING


# --- Invitations ------------------------------------------------------------------------


def test_invitation_email_carries_the_code_link(world: World, django_capture_on_commit_callbacks):
    a = world.circles["a"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            actor=world.users["coordinator_a"], circle=a, email="inconnue@exemple.org"
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["inconnue@exemple.org"]
    assert reverse("circles:invitation", kwargs={"code": invitation.code}) in message.body
    assert "créez-le avec cette adresse" in message.body
    assert len(invitation.code) >= 32


def test_invitation_without_account_then_sign_up_then_accept(client, world: World):
    secret = world.circles["secret"]
    invitation = invitation_create(
        actor=world.users["admin"], circle=secret, email="Nouvelle@Exemple.org"
    )
    url = reverse("circles:invitation", kwargs={"code": invitation.code})
    page = client.get(url).content.decode()
    assert reverse("account_signup") in page and "Créez-le avec cette même adresse" in page
    user = UserFactory(email="nouvelle@exemple.org")
    PersonFactory(user=user, email=user.email)
    client.force_login(user)
    response = client.post(url, {"answer": "accept"})
    assert response.status_code == 302
    assert Membership.objects.filter(circle=secret, person__user=user).exists()
    assert client.get(reverse("circles:detail", kwargs={"slug": secret.slug})).status_code == 200
    _count(secret)


def test_invitation_answered_only_by_the_invited_person(client, world: World):
    assert world.invitation is not None
    with pytest.raises(ValidationError, match="autre adresse"):
        invitation_accept(actor=world.users["member_a"], invitation=world.invitation)
    client.force_login(world.users["member_b"])
    url = reverse("circles:invitation", kwargs={"code": world.invitation.code})
    assert client.post(url, {"answer": "accept"}).status_code == 403
    world.invitation.refresh_from_db()
    assert world.invitation.status == InvitationStatus.PENDING
    assert not Membership.objects.filter(
        circle=world.circles["secret"], person=world.person("member_b")
    ).exists()


def test_declined_invitation_cannot_be_accepted_later(client, world: World):
    assert world.invitation is not None
    client.force_login(world.users["member"])
    url = reverse("circles:invitation", kwargs={"code": world.invitation.code})
    client.post(url, {"answer": "decline"})
    response = client.post(url, {"answer": "accept"})
    assert "plus valable" in response.content.decode()
    assert not Membership.objects.filter(
        circle=world.circles["secret"], person=world.person("member")
    ).exists()


def test_second_invitation_to_same_address_is_refused(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["coordinator_a"])
    url = reverse("circles:invite", kwargs={"slug": a.slug})
    assert client.post(url, {"email": "quelquun@exemple.org"}).status_code == 302
    response = client.post(url, {"email": "QUELQUUN@exemple.org"})
    assert response.status_code == 400
    assert "attend déjà une réponse" in response.content.decode()
    assert (
        CircleInvitation.objects.filter(circle=a, email__iexact="quelquun@exemple.org").count() == 1
    )


def test_inviting_a_member_is_refused(world: World):
    member_a = world.users["member_a"]
    assert member_a is not None
    with pytest.raises(ValidationError, match="déjà membre"):
        invitation_create(
            actor=world.users["coordinator_a"], circle=world.circles["a"], email=member_a.email
        )


# --- Roles, leaving, removal ------------------------------------------------------------


def test_last_coordinator_cannot_leave_be_demoted_or_removed(client, world: World):
    a = world.circles["a"]
    last = world.memberships["coordinator_a"]
    before = _count(a)
    with pytest.raises(ValidationError, match="dernier coordinateur"):
        membership_leave(actor=world.users["coordinator_a"], circle=a)
    with pytest.raises(ValidationError, match="au moins un coordinateur"):
        membership_set_role(actor=world.users["admin"], membership=last, role="member")
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("circles:member_remove", kwargs={"slug": a.slug, "membership_id": last.pk}),
        {"reason": "Essai"},
    )
    assert response.status_code == 400
    assert "dernier coordinateur" in response.content.decode()
    last.refresh_from_db()
    assert last.role == MembershipRole.COORDINATOR
    assert _count(a) == before


def test_promote_then_the_old_coordinator_may_step_down(world: World):
    a = world.circles["a"]
    membership_set_role(
        actor=world.users["coordinator_a"],
        membership=world.memberships["member_a"],
        role="coordinator",
    )
    membership_set_role(
        actor=world.users["coordinator_a"],
        membership=world.memberships["coordinator_a"],
        role="member",
    )
    roles = dict(Membership.objects.filter(circle=a).values_list("person_id", "role"))
    assert roles[world.person("member_a").pk] == MembershipRole.COORDINATOR
    assert roles[world.person("coordinator_a").pk] == MembershipRole.MEMBER
    assert AuditLog.objects.filter(action="circle.member_role").count() == 2


def test_remove_member_needs_a_reason_and_is_audited(client, world: World):
    a = world.circles["a"]
    target = world.memberships["member_a"]
    before = _count(a)
    client.force_login(world.users["coordinator_a"])
    url = reverse("circles:member_remove", kwargs={"slug": a.slug, "membership_id": target.pk})
    assert client.post(url, {"reason": "  "}).status_code == 400
    assert _count(a) == before
    assert client.post(url, {"reason": "A déménagé"}).status_code == 302
    assert _count(a) == before - 1
    entry = AuditLog.objects.get(action="circle.member_remove")
    assert entry.details["reason"] == "A déménagé"


def test_leave_then_count_drops(world: World):
    b = world.circles["b"]
    before = _count(b)
    membership_leave(actor=world.users["member_b"], circle=b)
    assert _count(b) == before - 1
    with pytest.raises(ValidationError, match="pas membre"):
        membership_leave(actor=world.users["member_b"], circle=b)
    assert _count(b) == before - 1


# --- Creating and editing circles ------------------------------------------------------


def test_create_circle_makes_creator_coordinator_and_records_activity(world: World):
    circle = circle_create(
        actor=world.users["coordinator_a"], name="Atelier vélo", parent=world.circles["a"]
    )
    assert circle.slug == "atelier-velo"
    assert _count(circle) == 1
    assert Membership.objects.get(circle=circle).person == world.person("coordinator_a")
    assert Activity.objects.filter(circle=circle, verb=Verb.CIRCLE_CREATED).exists()
    assert AuditLog.objects.filter(action="circle.create", target_id=str(circle.pk)).exists()
    twin = circle_create(actor=world.users["admin"], name="Atelier vélo")
    assert twin.slug == "atelier-velo-2"


def test_coordinator_cannot_create_under_a_circle_they_do_not_coordinate(client, world: World):
    client.force_login(world.users["coordinator_a"])
    before = Circle.objects.count()
    response = client.post(
        reverse("circles:create"),
        {
            "name": "Cercle pirate",
            "kind": "team",
            "parent": world.circles["b"].slug,
            "visibility": "public",
            "join_policy": "open",
        },
    )
    assert response.status_code == 400
    assert Circle.objects.count() == before


def test_reserved_or_taken_slug_is_refused(client, world: World):
    client.force_login(world.users["admin"])
    before = Circle.objects.count()
    for slug in ("nouveau", world.circles["a"].slug):
        response = client.post(
            reverse("circles:create"),
            {
                "name": "Essai",
                "slug": slug,
                "kind": "team",
                "visibility": "public",
                "join_policy": "open",
            },
        )
        assert response.status_code == 400
        assert "choisissez-en une autre" in response.content.decode()
    assert Circle.objects.count() == before


def test_circle_cannot_move_under_its_own_child(world: World):
    national = world.circles["national"]
    with pytest.raises(ValidationError, match="sous lui-même"):
        circle_update(
            actor=world.users["admin"], circle=national, data={"parent": world.circles["a"]}
        )
    national.refresh_from_db()
    assert national.parent_id is None


def test_archive_refused_while_children_are_active(world: World):
    national = world.circles["national"]
    with pytest.raises(ValidationError, match="sous-cercles actifs"):
        circle_archive(actor=world.users["admin"], circle=national)
    national.refresh_from_db()
    assert national.archived_at is None
    archived = circle_archive(actor=world.users["admin"], circle=world.circles["b"])
    assert archived.archived_at is not None
    with pytest.raises(ValidationError, match="archivé"):
        membership_join(actor=world.users["member"], circle=archived)


def test_circles_nav_entry_for_signed_in_people(client, world: World):
    assert 'href="/cercles/"' not in client.get(reverse("core:home")).content.decode()
    client.force_login(make_user_for_role("sympathiser"))
    assert 'href="/cercles/"' in client.get(reverse("core:home")).content.decode()


def test_sub_circle_counts_hide_secret_children(client, world: World):
    from essaim.circles.selectors import circle_child_counts

    def national_children(role: str) -> int:
        national = world.circles["national"].pk
        return circle_child_counts(world.users[role], [national])[national]

    assert national_children("member_a") == 2
    assert national_children("anonymous") == 2
    assert national_children("admin") == 3
    secret = world.circles["secret"]
    Membership.objects.create(circle=secret, person=world.person("member_b"))
    assert national_children("member_b") == 3


def test_revoked_invitation_link_stops_working(client, world: World):
    assert world.invitation is not None
    client.force_login(world.users["admin"])
    url = reverse(
        "circles:invitation_revoke",
        kwargs={"slug": world.circles["secret"].slug, "invitation_id": world.invitation.pk},
    )
    assert client.post(url).status_code == 302
    world.invitation.refresh_from_db()
    assert world.invitation.status == InvitationStatus.REVOKED
    again = client.post(url, follow=True)
    assert "plus valable" in " ".join(_messages(again))
    client.force_login(world.users["member"])
    answer = reverse("circles:invitation", kwargs={"code": world.invitation.code})
    client.post(answer, {"answer": "accept"})
    assert not Membership.objects.filter(
        circle=world.circles["secret"], person=world.person("member")
    ).exists()


def test_htmx_join_refusal_is_shown_in_the_box(client, world: World):
    a = world.circles["a"]
    before = _count(a)
    client.force_login(world.users["member_b"])
    response = client.post(
        reverse("circles:join", kwargs={"slug": a.slug}), headers={"HX-Request": "true"}
    )
    # htmx swaps only 2xx answers: the refusal must come back as 200 with its message.
    assert response.status_code == 200
    body = response.content.decode()
    assert "sur demande" in body and "Demander à rejoindre" in body
    assert _count(a) == before


def test_htmx_search_updates_the_count(client, world: World):
    client.force_login(world.users["admin"])
    response = client.get(reverse("circles:list"), {"q": "antenne"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'hx-swap-oob="innerHTML"' in body and "2 cercles" in body


def test_audit_log_names_circle_actions(client, world: World):
    client.force_login(world.users["admin"])
    page = client.get(reverse("core:audit")).content.decode()
    assert "Cercle créé" in page and "Invitation à un cercle envoyée" in page


def test_withdraw_own_request_then_ask_again(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["member"])
    page = client.get(reverse("circles:detail", kwargs={"slug": a.slug})).content.decode()
    assert "Retirer ma demande" in page
    client.post(reverse("circles:request_withdraw", kwargs={"slug": a.slug}))
    assert world.join_request is not None
    world.join_request.refresh_from_db()
    assert world.join_request.status == RequestStatus.WITHDRAWN
    again = client.post(reverse("circles:request", kwargs={"slug": a.slug}), {"message": ""})
    assert again.status_code == 302
    assert JoinRequest.objects.filter(circle=a, status=RequestStatus.PENDING).count() == 1


def test_withdraw_without_request_changes_nothing(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["member_b"])
    response = client.post(
        reverse("circles:request_withdraw", kwargs={"slug": a.slug}), follow=True
    )
    assert "pas de demande en attente" in " ".join(_messages(response))
    assert world.join_request is not None
    world.join_request.refresh_from_db()
    assert world.join_request.status == RequestStatus.PENDING


def test_secret_parent_stays_unnamed_on_its_public_child(client, world: World):
    child = circle_create(
        actor=world.users["admin"],
        name="Groupe ouvert",
        parent=world.circles["secret"],
        visibility="public",
        join_policy="open",
    )
    membership_join(actor=world.users["member_b"], circle=child)
    client.force_login(world.users["member_b"])
    pages = [
        client.get(reverse("circles:detail", kwargs={"slug": child.slug})),
        client.get(reverse("circles:members", kwargs={"slug": child.slug})),
        client.get(reverse("circles:list")),
        client.get(reverse("circles:list"), {"q": "groupe"}),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert "Groupe ouvert" in body
        assert "Cellule secrète" not in body and "cellule-secrete" not in body
    client.force_login(world.users["admin"])
    admin_page = client.get(reverse("circles:detail", kwargs={"slug": child.slug}))
    assert "Cellule secrète" in admin_page.content.decode()


# --- Parent circle picker ----------------------------------------------------------------


def _create(client, parent: str, name: str = "Atelier couture"):
    return client.post(
        reverse("circles:create"),
        {
            "name": name,
            "kind": "team",
            "parent": parent,
            "visibility": "public",
            "join_policy": "open",
        },
    )


def _parent_errors(response) -> str:
    assert response.status_code == 400
    return " ".join(str(e) for e in response.context["form"].errors.get("parent", []))


@pytest.mark.parametrize("typed", ["Antenne A", "  antenne   a ", "ANTENNE-A", "antenne-a"])
def test_parent_found_by_name_or_address(client, world: World, typed: str):
    client.force_login(world.users["admin"])
    response = _create(client, typed)
    assert response.status_code == 302
    assert Circle.objects.get(name="Atelier couture").parent == world.circles["a"]


def test_parent_found_by_a_single_partial_name(client, world: World):
    client.force_login(world.users["admin"])
    assert _create(client, "natio").status_code == 302
    assert Circle.objects.get(name="Atelier couture").parent == world.circles["national"]


def test_two_circles_with_the_same_name_ask_for_the_address(client, world: World):
    admin = world.users["admin"]
    first = circle_create(actor=admin, name="Antenne Sud", parent=world.circles["national"])
    second = circle_create(actor=admin, name="Antenne Sud")
    client.force_login(admin)
    before = Circle.objects.count()
    errors = _parent_errors(_create(client, "antenne sud"))
    assert "Plusieurs cercles portent ce nom" in errors
    assert f"({first.slug})" in errors and f"({second.slug})" in errors
    assert Circle.objects.count() == before
    assert _create(client, second.slug).status_code == 302
    assert Circle.objects.get(name="Atelier couture").parent == second


def test_a_partial_name_matching_several_circles_is_refused(client, world: World):
    client.force_login(world.users["admin"])
    before = Circle.objects.count()
    errors = _parent_errors(_create(client, "Antenne"))
    assert "Plusieurs cercles correspondent à « Antenne »" in errors
    assert "(antenne-a)" in errors and "(antenne-b)" in errors
    assert Circle.objects.count() == before


def test_unknown_parent_is_refused_with_a_message(client, world: World):
    client.force_login(world.users["admin"])
    before = Circle.objects.count()
    errors = _parent_errors(_create(client, "Atlantide"))
    assert "Aucun cercle actif ne s'appelle « Atlantide »" in errors
    assert Circle.objects.count() == before


def test_archived_circle_is_not_a_parent(client, world: World):
    circle_archive(actor=world.users["admin"], circle=world.circles["b"])
    client.force_login(world.users["admin"])
    errors = _parent_errors(_create(client, "Antenne B"))
    assert "Aucun cercle actif" in errors


def test_coordinator_picks_only_among_circles_they_coordinate(client, world: World):
    client.force_login(world.users["coordinator_a"])
    before = Circle.objects.count()
    errors = _parent_errors(_create(client, "Antenne B"))
    assert "Aucun des cercles que vous coordonnez" in errors
    # The secret circle's name gives nothing away either.
    assert "Aucun des cercles" in _parent_errors(_create(client, "Cellule secrète"))
    assert "Indiquez le cercle parent" in _parent_errors(_create(client, ""))
    assert Circle.objects.count() == before
    assert _create(client, "Antenne A").status_code == 302


def test_moving_a_circle_under_its_child_is_refused_on_the_form(client, world: World):
    national = world.circles["national"]
    client.force_login(world.users["admin"])
    response = client.post(
        reverse("circles:edit", kwargs={"slug": national.slug}),
        {
            "name": national.name,
            "slug": national.slug,
            "kind": national.kind,
            "parent": "Antenne A",
            "visibility": national.visibility,
            "join_policy": national.join_policy,
        },
    )
    assert response.status_code == 400
    assert "sous lui-même" in response.content.decode()
    national.refresh_from_db()
    assert national.parent_id is None


def test_a_circle_is_not_its_own_parent(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["admin"])
    data = {
        "name": a.name,
        "slug": a.slug,
        "kind": a.kind,
        "parent": a.slug,
        "visibility": a.visibility,
        "join_policy": a.join_policy,
    }
    response = client.post(reverse("circles:edit", kwargs={"slug": a.slug}), data)
    assert "Aucun cercle actif" in _parent_errors(response)
    a.refresh_from_db()
    assert a.parent == world.circles["national"]


def test_edit_form_shows_the_parent_address_and_a_coordinator_keeps_it(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["coordinator_a"])
    url = reverse("circles:edit", kwargs={"slug": a.slug})
    page = client.get(url).content.decode()
    assert 'name="parent" value="national"' in page
    assert reverse("circles:parent_suggestions") in page  # the htmx suggestions
    data = {
        "name": "Antenne A renommée",
        "slug": a.slug,
        "kind": a.kind,
        "parent": "national",
        "visibility": a.visibility,
        "join_policy": a.join_policy,
    }
    assert client.post(url, data).status_code == 302
    a.refresh_from_db()
    assert (a.name, a.parent) == ("Antenne A renommée", world.circles["national"])


def test_create_link_from_a_circle_prefills_its_address(client, world: World):
    client.force_login(world.users["coordinator_a"])
    page = client.get(reverse("circles:create"), {"parent": "antenne-a"}).content.decode()
    assert 'name="parent" value="antenne-a"' in page


def _suggested(response) -> list[str]:
    assert response.status_code == 200
    return [
        line.split("pick=")[1].split("&")[0].split('"')[0]
        for line in response.content.decode().splitlines()
        if "pick=" in line
    ]


def test_suggestions_follow_what_the_user_may_choose(client, world: World):
    url = reverse("circles:parent_suggestions")
    client.force_login(world.users["admin"])
    assert _suggested(client.get(url, {"parent": "antenne"})) == ["antenne-a", "antenne-b"]
    assert _suggested(client.get(url, {"parent": "secr"})) == ["cellule-secrete"]
    # Editing Antenne A: it is not offered as its own parent.
    assert _suggested(client.get(url, {"parent": "antenne", "circle": "antenne-a"})) == [
        "antenne-b"
    ]
    response = client.get(url, {"parent": "zzz"})
    assert _suggested(response) == []
    assert "Aucun cercle ne correspond" in response.content.decode()
    client.force_login(world.users["coordinator_a"])
    assert _suggested(client.get(url, {"parent": "antenne"})) == ["antenne-a"]
    assert _suggested(client.get(url, {"parent": "secr"})) == []
    # Editing their circle, a coordinator may keep its current parent.
    assert _suggested(client.get(url, {"parent": "nat", "circle": "antenne-a"})) == ["national"]


def test_picking_a_suggestion_fills_the_field(client, world: World):
    url = reverse("circles:parent_suggestions")
    client.force_login(world.users["coordinator_a"])
    html = client.get(url, {"pick": "antenne-a"}).content.decode()
    assert 'value="antenne-a"' in html and "autofocus" in html
    assert "Cercle parent choisi : Antenne A." in html
    refused = client.get(url, {"pick": "antenne-b"}).content.decode()
    assert "ne peut pas être choisi" in refused


def test_deciding_from_a_later_page_comes_back_to_it(client, world: World):
    a = world.circles["a"]
    client.force_login(world.users["coordinator_a"])
    assert world.join_request is not None
    url = reverse(
        "circles:request_decide", kwargs={"slug": a.slug, "request_id": world.join_request.pk}
    )
    response = client.post(url, {"decision": "approve", "page": "2"})
    assert response["Location"] == reverse("circles:requests", kwargs={"slug": a.slug}) + "?page=2"
    # A later page past the end shows the last one; a malformed page number is ignored.
    listing = client.get(reverse("circles:requests", kwargs={"slug": a.slug}), {"page": "2"})
    assert listing.status_code == 200
    assert "Aucune demande en attente." in listing.content.decode()
    before = JoinRequest.objects.filter(status=RequestStatus.PENDING).count()
    response = client.post(url, {"decision": "refuse", "page": "abc'><script>"})
    assert response["Location"] == reverse("circles:requests", kwargs={"slug": a.slug})
    assert "déjà" in " ".join(_messages(client.get(response["Location"])))
    assert JoinRequest.objects.filter(status=RequestStatus.PENDING).count() == before


def test_suggestions_take_odd_input_calmly(client, world: World):
    url = reverse("circles:parent_suggestions")
    client.force_login(world.users["admin"])
    before = Circle.objects.count()
    # LIKE wildcards are plain characters; an endless text is cut; nothing is written.
    assert _suggested(client.get(url, {"parent": "%"})) == []
    assert _suggested(client.get(url, {"parent": "_"})) == []
    assert _suggested(client.get(url, {"parent": "antenne " * 500})) == ["antenne-a", "antenne-b"]
    assert _suggested(client.get(url, {"parent": "   "})) == []
    assert client.get(url, {"parent": "x", "circle": "inconnu"}).status_code == 404
    assert client.post(url, {"parent": "antenne"}).status_code == 405
    assert Circle.objects.count() == before
