"""Creating and editing actions through their forms; the lists and the action page."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from essaim.actions.models import Action, ActionStatus, ActionVisibility, Metric
from essaim.actions.services import action_url, objective_create, task_create
from tests.actions.conftest import ActionWorld, make_action

pytestmark = pytest.mark.django_db


def _form(**overrides: Any) -> dict[str, Any]:
    starts = timezone.localtime() + timedelta(days=10)
    data = {
        "title": "Collecte alimentaire",
        "kind": "fundraiser",
        "summary": "Devant le supermarché",
        "description": "Apportez des **sacs**.",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "place_name": "",
        "address": "",
        "postal_code": "",
        "city": "Lyon",
        "online_url": "",
        "visibility": "members",
        "capacity": "30",
        "registrations_open": "on",
        "cover_alt": "",
    }
    data.update(overrides)
    return data


def _create_url(world: ActionWorld) -> str:
    return reverse("actions:create", kwargs={"slug": world.circles["a"].slug})


def _image(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    options: dict[str, Any] = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "AppareilPhotoSecret"  # Make
        options["exif"] = data
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_coordinator_creates_a_draft_with_french_dates(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    response = client.post(
        _create_url(action_world),
        _form(starts_at="12/12/2030 14:00", ends_at="12/12/2030 18h30"),
    )
    assert response.status_code == 302
    action = Action.objects.get(title="Collecte alimentaire")
    assert action.status == ActionStatus.DRAFT
    assert action.circle == action_world.circles["a"]
    assert action.capacity == 30
    assert "<strong>sacs</strong>" in action.description_html
    local = timezone.localtime(action.starts_at)
    assert (local.day, local.month, local.hour, local.minute) == (12, 12, 14, 0)
    assert timezone.localtime(action.ends_at).minute == 30
    page = client.get(response["Location"]).content.decode()
    assert "jeudi 12 décembre 2030, 14 h 00 à 18 h 30" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "01/01/2020 10:00"}, "La fin doit venir après le début."),
        ({"capacity": "-5"}, "ne peut pas être négatif"),
        ({"starts_at": "31/02/2030 10:00"}, "Date et heure non reconnues"),
        ({"title": ""}, "Ce champ est obligatoire"),
        ({"kind": "fete"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_says_why_and_creates_nothing(
    client, action_world: ActionWorld, overrides: dict[str, str], message: str
) -> None:
    client.force_login(action_world.users["coordinator_a"])
    before = Action.objects.count()
    response = client.post(_create_url(action_world), _form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Action.objects.count() == before


def test_archived_circle_refuses_new_actions(client, action_world: ActionWorld) -> None:
    circle = action_world.circles["a"]
    circle.archived_at = timezone.now()
    circle.save()
    client.force_login(action_world.users["coordinator_a"])
    before = Action.objects.count()
    response = client.post(_create_url(action_world), _form())
    assert response.status_code == 400
    assert "archivé" in response.content.decode()
    assert Action.objects.count() == before


def test_cover_is_reencoded_and_needs_a_description(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    upload = SimpleUploadedFile("photo.jpg", _image(exif=True), content_type="image/jpeg")
    response = client.post(_create_url(action_world), {**_form(), "cover": upload})
    assert response.status_code == 400
    assert "Décrivez l&#x27;image" in response.content.decode()
    assert not Action.objects.filter(title="Collecte alimentaire").exists()
    upload = SimpleUploadedFile("photo.jpg", _image(exif=True), content_type="image/jpeg")
    response = client.post(
        _create_url(action_world), {**_form(cover_alt="Des bénévoles souriants"), "cover": upload}
    )
    assert response.status_code == 302
    action = Action.objects.get(title="Collecte alimentaire")
    with action.cover.open("rb") as stored:
        raw = stored.read()
    assert b"AppareilPhotoSecret" not in raw
    with Image.open(io.BytesIO(raw)) as image:
        assert image.format == "JPEG"


def test_cover_must_be_an_image_of_5_mb_at_most(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["coordinator_a"])
    fake = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(_create_url(action_world), {**_form(cover_alt="x"), "cover": fake})
    assert response.status_code == 400
    assert "pas une image" in response.content.decode()
    big = SimpleUploadedFile("big.jpg", b"\xff" * (5 * 1024 * 1024 + 1), content_type="image/jpeg")
    response = client.post(_create_url(action_world), {**_form(cover_alt="x"), "cover": big})
    assert response.status_code == 400
    assert "5 Mo" in response.content.decode()
    assert not Action.objects.filter(title="Collecte alimentaire").exists()


def test_edit_keeps_the_slug_and_refuses_bad_dates(client, action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:edit", kwargs={"slug": action.slug})
    assert client.get(url).status_code == 200
    starts = timezone.localtime(action.starts_at)
    bad = _form(
        title="Nouveau titre",
        visibility="circle",
        starts_at=starts.strftime("%d/%m/%Y %H:%M"),
        ends_at=(starts - timedelta(hours=1)).strftime("%d/%m/%Y %H:%M"),
    )
    assert client.post(url, bad).status_code == 400
    action.refresh_from_db()
    assert action.title == "Action du cercle A"
    good = {**bad, "ends_at": (starts + timedelta(hours=1)).strftime("%d/%m/%Y %H:%M")}
    assert client.post(url, good).status_code == 302
    old_slug = action.slug
    action.refresh_from_db()
    assert (action.title, action.slug) == ("Nouveau titre", old_slug)


def test_fixed_page_names_are_never_action_slugs(action_world: ActionWorld) -> None:
    action = make_action(action_world, title="Calendrier", status=ActionStatus.DRAFT)
    assert action.slug != "calendrier"
    assert action_url(action) != reverse("actions:calendar")


def test_network_list_shows_only_what_each_may_see(client, action_world: ActionWorld) -> None:
    make_action(action_world, title="Maraude passée", days=-30)
    client.force_login(action_world.users["member_b"])
    page = client.get(reverse("actions:list")).content.decode()
    assert "Action du réseau" in page
    assert "Action publique" in page
    assert "Action du cercle A" not in page  # circle visibility, not their circle
    assert "Brouillon A" not in page
    assert "Action secrète" not in page
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("actions:list")).content.decode()
    assert "Action du cercle A" in page
    assert "Brouillon A" not in page
    upcoming, past = page.split("Actions passées", 1)
    assert "Maraude passée" in past and "Maraude passée" not in upcoming
    client.force_login(action_world.users["coordinator_a"])
    page = client.get(reverse("actions:list"), {"status": "draft"}).content.decode()
    assert "Brouillon A" in page
    assert "Action du réseau" not in page


def test_circle_page_shows_upcoming_actions_and_tab(client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("circles:detail", kwargs={"slug": "antenne-a"})).content.decode()
    assert "Action du cercle A" in page
    assert reverse("actions:circle_list", kwargs={"slug": "antenne-a"}) in page
    assert "Brouillon A" not in page
    nav = client.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("actions:list")}"' in nav


def _many_actions(world: ActionWorld, count: int) -> None:
    for number in range(count):
        make_action(
            world,
            title=f"Action {number}",
            visibility=ActionVisibility.MEMBERS,
            days=3 + number,
            status=ActionStatus.DRAFT if number % 5 == 0 else ActionStatus.PREPARING,
        )
        make_action(world, title=f"Passée {number}", days=-3 - number)


@pytest.mark.parametrize("rows", [2, 20])
def test_network_list_queries_constant_in_rows(
    client, action_world: ActionWorld, django_assert_num_queries, rows: int
) -> None:
    _many_actions(action_world, rows)
    client.force_login(action_world.users["member_a"])
    url = reverse("actions:list")
    client.get(url)
    # session, user, staff roles, circle roles, count, upcoming page, past preview, badge
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [2, 20])
def test_circle_list_queries_constant_in_rows(
    client, action_world: ActionWorld, django_assert_num_queries, rows: int
) -> None:
    _many_actions(action_world, rows)
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:circle_list", kwargs={"slug": "antenne-a"})
    client.get(url)
    # the list's 8, plus the circle, its pending requests and open reports (tabs)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [2, 20])
def test_action_page_queries_constant_in_rows(
    client, action_world: ActionWorld, django_assert_num_queries, rows: int, monkeypatch
) -> None:
    # Only this page's own part: the missions and debrief sections count their own queries.
    monkeypatch.setattr("essaim.actions.views.SECTION_TEMPLATES", ())
    action = action_world.actions["circle"]
    admin = action_world.users["admin"]
    for number in range(rows):
        objective_create(actor=admin, action=action, metric=Metric.SIGNATURES, target=100 + number)
        task_create(
            actor=admin,
            action=action,
            title=f"Tâche {number}",
            assignee=action_world.person("member_a"),
        )
    client.force_login(action_world.users["coordinator_a"])
    url = action_url(action)
    client.get(url)
    # session, user, staff roles, circle roles, action, objectives, tasks, history, person, badge
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count("Tâche ") >= rows


@pytest.mark.parametrize(
    "role", ["anonymous", "sympathiser", "member", "member_a", "coordinator_a", "member_b", "admin"]
)
def test_list_filter_agrees_with_the_policy(action_world: ActionWorld, role: str) -> None:
    from django.contrib.auth.models import AnonymousUser

    from essaim.actions.policies import can_see_action
    from essaim.actions.selectors import actions_for_user

    make_action(action_world, title="Annulée", status=ActionStatus.DRAFT)
    make_action(action_world, circle="b", title="Chez B", visibility=ActionVisibility.CIRCLE)
    make_action(action_world, circle="national", title="Nationale", status=ActionStatus.DONE)
    user = action_world.users[role] or AnonymousUser()
    listed = set(actions_for_user(user).values_list("pk", flat=True))
    allowed = {a.pk for a in Action.objects.select_related("circle") if can_see_action(user, a)}
    assert listed == allowed
    assert allowed  # every role sees something (the public action at least)


def test_admin_pages_list_and_show_actions(client, action_world: ActionWorld) -> None:
    from essaim.accounts.models import User

    action = action_world.actions["circle"]
    objective_create(actor=None, action=action, metric=Metric.MEALS, target=200)
    task_create(actor=None, action=action, title="Réserver le camion")
    superuser = User.objects.create_superuser(email="racine@exemple.org", password="x-Tr3s-l0ng!")
    client.force_login(superuser)
    for name in ("actions_action", "actions_objective", "actions_actiontask"):
        page = client.get(reverse(f"admin:{name}_changelist"))
        assert page.status_code == 200, name
    page = client.get(reverse("admin:actions_action_change", args=[action.pk])).content.decode()
    assert "Action du cercle A" in page
    # The status is read-only there: it changes only through the lifecycle.
    assert 'name="status"' not in page
    assert client.get(reverse("admin:actions_actiontask_add")).status_code == 403


def test_cover_can_be_replaced_then_removed(client, action_world: ActionWorld) -> None:
    action = action_world.actions["circle"]
    client.force_login(action_world.users["coordinator_a"])
    url = reverse("actions:edit", kwargs={"slug": action.slug})
    starts = timezone.localtime(action.starts_at)
    base = _form(
        title=action.title,
        kind=action.kind,
        visibility=action.visibility,
        starts_at=starts.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
    )
    upload = SimpleUploadedFile("affiche.png", _image("PNG"), content_type="image/png")
    response = client.post(url, {**base, "cover": upload, "cover_alt": "L'affiche"})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.cover.name.startswith("actions/") and action.cover_alt == "L'affiche"
    # Saving again without a new file keeps the image.
    assert client.post(url, {**base, "cover_alt": "L'affiche"}).status_code == 302
    action.refresh_from_db()
    assert action.cover
    assert client.post(url, {**base, "cover-clear": "on"}).status_code == 302
    action.refresh_from_db()
    assert not action.cover and action.cover_alt == ""


def test_list_links_to_each_persons_volunteering_pages(client, action_world: ActionWorld) -> None:
    hours = reverse("actions:hours_report")
    client.force_login(action_world.users["member_a"])
    page = client.get(reverse("actions:list")).content.decode()
    for name in ("actions:my_tasks", "actions:my_missions", "actions:calendars"):
        assert f'href="{reverse(name)}"' in page
    assert hours not in page  # the hours report is for coordinators and admins
    client.force_login(action_world.users["coordinator_a"])
    assert hours in client.get(reverse("actions:list")).content.decode()
