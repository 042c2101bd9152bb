"""The whole cycle of an action (issue #4) in a real browser, clicked through as people would.

A coordinator creates an action from the circle's Actions tab, gives it an objective and a
volunteer mission, announces it; a member offers to help; on the day the coordinator starts
it, checks the member in and notes a live result; then ends it, writes the debrief, closes it,
turns a lesson into a practice sheet and publishes it; the member finds the sheet in the
library with a misspelt word. Only the starting world (a circle, its coordinator, a member)
is built with services.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from essaim.actions.models import (
    Action,
    ActionStatus,
    Mission,
    MissionSignup,
    Objective,
    SignupStatus,
)
from essaim.circles.models import JoinPolicy, Membership, MembershipRole, Visibility
from essaim.circles.services import circle_create, membership_join
from essaim.people.models import Person
from essaim.practices.models import PracticeSheet, PracticeStatus
from tests.browser.conftest import assert_accessible
from tests.conftest import make_user_for_role

TITLE = "Collecte solidaire du marché"
LESSON = "Une collecte annoncée la veille au marché attire deux fois plus de monde"
TO_IMPROVE = "Prévoir plus de sacs"


def _named(user: Any, given: str, family: str) -> Person:
    person = Person.objects.get(user=user)
    person.given_name, person.family_name = given, family
    person.refresh_search_text()
    person.save()
    return person


def _world() -> tuple[Any, Any, Any]:
    admin = make_user_for_role("admin")
    coordinator_user = make_user_for_role("member")
    member_user = make_user_for_role("member")
    coordinator = _named(coordinator_user, "Dominique", "Lefèvre")
    _named(member_user, "Camille", "Martin")
    circle = circle_create(
        actor=admin,
        name="Antenne de Nantes",
        visibility=Visibility.PRIVATE,
        join_policy=JoinPolicy.OPEN,
        coordinator=coordinator,
    )
    membership_join(actor=member_user, circle=circle)
    assert Membership.objects.filter(
        circle=circle, person=coordinator, role=MembershipRole.COORDINATOR
    ).exists()
    return circle, coordinator_user, member_user


def _field(page: Any, label: str) -> Any:
    """The form field of this label (Django adds « : » after each label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\s*:?$"))


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _status(page: Any, label: str) -> None:
    page.locator(".page-head .badge").filter(has_text=f"État : {label}").wait_for()


def _move(page: Any, button: str, status_label: str) -> None:
    """Click a lifecycle button of the action page, confirm, and see the new status."""
    page.get_by_role("link", name=button, exact=True).click()
    page.get_by_role("heading", name=f"{button} ?").wait_for()
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_text(f"L'action est maintenant « {status_label} ».").wait_for()
    _status(page, status_label)


def test_action_cycle_from_creation_to_practice_sheet(new_context, sign_in, transactional_db):
    circle, coordinator_user, member_user = _world()

    boss_context = new_context()
    sign_in(boss_context, coordinator_user)
    boss = boss_context.new_page()
    member_context = new_context()
    sign_in(member_context, member_user)
    member = member_context.new_page()

    # 1. The coordinator opens the circle's Actions tab and creates the action.
    boss.goto(reverse("circles:detail", kwargs={"slug": circle.slug}))
    boss.get_by_role("navigation", name="Pages du cercle").get_by_role(
        "link", name="Actions", exact=True
    ).click()
    boss.get_by_role("link", name="Créer une action").click()
    boss.get_by_role("heading", name="Créer une action", level=1).wait_for()
    # Two hours from now: volunteers may still sign up (a mission that has begun is closed to
    # them); "Démarrer l'action (jour J)" then opens the check-in whatever the hour.
    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    _field(boss, "Titre").fill(TITLE)
    _field(boss, "Type d'action").select_option(label="Action de rue")
    _field(boss, "Début").fill(_local(starts))
    _field(boss, "Fin").fill(_local(starts + timedelta(hours=3)))
    _field(boss, "Lieu").fill("Marché de Talensac")
    boss.get_by_role("button", name="Créer le brouillon").click()
    boss.get_by_role("heading", name=TITLE, level=1).wait_for()
    boss.get_by_text(f"L'action « {TITLE} » est créée en brouillon.").wait_for()
    _status(boss, "Brouillon")
    action = Action.objects.get(title=TITLE)
    assert action.circle_id == circle.pk and action.status == ActionStatus.DRAFT
    action_path = boss.url

    # ...adds an objective: 10 participants...
    boss.get_by_role("link", name="Ajouter un objectif").click()
    _field(boss, "Indicateur").select_option(label="Participants")
    _field(boss, "Objectif visé").fill("10")
    boss.get_by_role("button", name="Enregistrer").click()
    objectives = boss.locator("#objectifs table")
    objectives.get_by_role("rowheader", name="Participants").wait_for()
    row = objectives.get_by_role("row").filter(has_text="Participants")
    assert "10" in row.get_by_role("cell").first.inner_text()
    assert "pas encore mesuré" in row.inner_text()

    # ...a mission with two places...
    boss.get_by_role("link", name="Ajouter une mission").click()
    boss.get_by_role("heading", name="Ajouter une mission bénévole").wait_for()
    _field(boss, "Rôle").fill("Tenir le stand")
    _field(boss, "Nombre de places").fill("2")
    boss.get_by_role("button", name="Enregistrer").click()
    boss.get_by_text("La mission est ajoutée.").wait_for()
    mission_card = boss.locator(".mission").filter(has_text="Tenir le stand")
    mission_card.get_by_text("2 places libres sur 2").wait_for()

    # ...and announces it.
    boss.goto(action_path)
    _move(boss, "Annoncer l'action", "En préparation")
    assert_accessible(boss)

    # 2. The member finds it on the circle's Actions tab and offers to help.
    member.goto(reverse("actions:circle_list", kwargs={"slug": circle.slug}))
    member.get_by_role("link", name=TITLE).click()
    member.get_by_role("heading", name=TITLE, level=1).wait_for()
    _status(member, "En préparation")
    mission_card = member.locator(".mission").filter(has_text="Tenir le stand")
    mission_card.get_by_role("button", name="Je me propose — Tenir le stand").click()
    mission_card = member.locator(".mission").filter(has_text="Tenir le stand")
    mission_card.get_by_text("Vous êtes inscrit à cette mission.").wait_for()
    mission_card.get_by_text("1 place libre sur 2").wait_for()
    signup = MissionSignup.objects.get(mission__action=action, person__user=member_user)
    assert signup.status == SignupStatus.CONFIRMED

    # 3. On the day, the coordinator starts the action and checks the member in.
    boss.goto(action_path)
    boss.locator(".mission").filter(has_text="Tenir le stand").get_by_text(
        "1 place libre sur 2"
    ).wait_for()
    _move(boss, "Démarrer l'action (jour J)", "En cours")
    assert_accessible(boss)
    boss.get_by_role("link", name="Pointer les présents").click()
    boss.get_by_role("heading", name="Pointage des présents", level=1).wait_for()
    volunteer = boss.locator(".checkin-row").filter(has_text="Camille Martin")
    volunteer.get_by_text("Tenir le stand").wait_for()
    volunteer.get_by_text("Pas encore pointé").wait_for()
    volunteer.get_by_role("button", name="Présent — Camille Martin").click()
    volunteer = boss.locator(".checkin-row").filter(has_text="Camille Martin")
    volunteer.get_by_text("✓ Présent").wait_for()
    present = volunteer.get_by_role("button", name="Présent — Camille Martin")
    assert present.get_attribute("aria-pressed") == "true"
    assert_accessible(boss)
    signup.refresh_from_db()
    assert signup.attended is True

    # ...and notes a live result for the objective.
    boss.get_by_role("link", name=TITLE).click()
    boss.get_by_role("link", name="Noter les résultats").click()
    boss.get_by_role("heading", name="Noter les résultats", level=1).wait_for()
    _field(boss, "Participants").fill("6")
    boss.get_by_role("button", name="Enregistrer les résultats").click()
    boss.get_by_role("heading", name=TITLE, level=1).wait_for()
    row = boss.locator("#objectifs table").get_by_role("row").filter(has_text="Participants")
    row.get_by_text("60 %").wait_for()
    assert Objective.objects.get(action=action).achieved == 6

    # 4. The coordinator ends the action and writes the debrief.
    _move(boss, "Marquer comme terminée", "Terminée")
    boss.get_by_role("link", name="Rédiger le bilan").click()
    boss.get_by_role("heading", name=f"Bilan de « {TITLE} »", level=1).wait_for()
    achieved = _field(boss, "Réalisé : Participants")
    assert achieved.input_value() == "6"
    achieved.fill("12")
    _field(boss, "Ce qui a marché").fill(f"{LESSON}\nLe stand près de l'entrée")
    _field(boss, "Ce qui est à améliorer").fill(TO_IMPROVE)
    boss.get_by_role("button", name="Enregistrer le bilan").click()
    boss.get_by_role("heading", name="Objectifs et résultats").wait_for()
    results = boss.locator("#objectifs table").get_by_role("row").filter(has_text="Participants")
    results.get_by_text("120 %").wait_for()
    results.get_by_text("objectif atteint").wait_for()
    lessons = boss.locator("#lecons")
    lessons.get_by_text(LESSON).wait_for()
    lessons.get_by_text(TO_IMPROVE).wait_for()

    # ...and closes it as evaluated.
    boss.get_by_role("link", name="Clore : marquer l'action comme évaluée").click()
    boss.get_by_role("heading", name="Clore le bilan ?").wait_for()
    boss.get_by_role("button", name="Clore le bilan").click()
    boss.get_by_text("L'action est maintenant « Évaluée ».").wait_for()
    _status(boss, "Évaluée")
    action.refresh_from_db()
    assert action.status == ActionStatus.EVALUATED
    assert_accessible(boss)
    # A closed action offers no more lifecycle moves nor edits.
    assert boss.get_by_role("link", name="Modifier", exact=True).count() == 0

    # 5. From the debrief, the lesson becomes a draft sheet, which the coordinator publishes.
    boss.get_by_role("link", name="Lire le bilan complet").click()
    boss.get_by_role("heading", name=f"Bilan de « {TITLE} »", level=1).wait_for()
    assert_accessible(boss)
    boss.locator("#lecons li").filter(has_text=LESSON).get_by_role(
        "button", name=re.compile(r"^Transformer en fiche pratique")
    ).click()
    boss.get_by_text(
        f"La fiche pratique « {LESSON} » est créée en brouillon : relisez-la puis publiez-la."
    ).wait_for()
    boss.get_by_role("heading", name=f"Modifier « {LESSON} »", level=1).wait_for()
    sheet = PracticeSheet.objects.get(source_action=action)
    assert sheet.status == PracticeStatus.DRAFT and sheet.title == LESSON
    boss.get_by_role("link", name="← Retour à la fiche").click()
    boss.get_by_role("heading", name=LESSON, level=1).wait_for()
    boss.get_by_text("Brouillon : seuls son auteur").wait_for()
    boss.locator(".practice-body").get_by_role("link", name=TITLE).wait_for()
    boss.get_by_role("button", name="Publier", exact=True).click()
    boss.get_by_text("La fiche est publiée.").wait_for()
    boss.get_by_role("button", name="Repasser en brouillon").wait_for()
    sheet.refresh_from_db()
    assert sheet.status == PracticeStatus.PUBLISHED

    # 6. The member searches the library with a misspelt word and finds the sheet.
    member.goto("/")
    member.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Pratiques"
    ).click()
    member.get_by_role("heading", name="Fiches pratiques", level=1).wait_for()
    _field(member, "Rechercher une fiche").fill("colecte marche")
    member.get_by_role("button", name="Chercher").click()
    member.get_by_role("heading", name="Fiches correspondant à « colecte marche »").wait_for()
    member.get_by_text("voici les fiches aux mots proches de « collecte marche »").wait_for()
    results = member.locator("#practice-results")
    results.get_by_role("status").filter(has_text="1 fiche").wait_for()
    found = results.get_by_role("link", name=LESSON)
    found.wait_for()
    assert_accessible(member)
    found.click()
    member.get_by_role("heading", name=LESSON, level=1).wait_for()
    member.locator(".practice-body").get_by_role("link", name=TITLE).wait_for()
    assert Mission.objects.get(action=action).confirmed_count == 1
