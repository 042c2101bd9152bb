"""Staff pages of the excuses journey: services, bad input, ordering, report, query counts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from essaim.core.models import AuditLog
from essaim.giving import journey
from essaim.giving.journey import RebuttalInput
from essaim.giving.models import Excuse, JourneyDay, JourneySettings, JourneyStep, Rebuttal
from tests.giving.factories import (
    ExcuseFactory,
    GivingPageFactory,
    PaidDonationFactory,
    RebuttalFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(login_as: Any) -> Any:
    return login_as("communication")


@pytest.fixture
def staff(client: Client, editor: Any) -> Client:
    client.force_login(editor)
    return client


def snapshot() -> list[tuple[Any, ...]]:
    excuses = list(Excuse.objects.order_by("pk").values_list("pk", "label", "slug", "position"))
    rebuttals = list(Rebuttal.objects.order_by("pk").values_list("pk", "name", "text", "is_active"))
    settings_row = list(JourneySettings.objects.values_list("title", "intro"))
    return [*excuses, *rebuttals, *settings_row]


# --- Services ------------------------------------------------------------------------------


def test_services_refuse_people_without_the_right(login_as: Any) -> None:
    member = login_as("member")
    coordinator = login_as("coordinator")
    excuse = ExcuseFactory()
    for actor in (member, coordinator, None):
        with pytest.raises(PermissionDenied):
            journey.excuse_create(actor=actor, label="Je donne déjà")
        with pytest.raises(PermissionDenied):
            journey.excuse_move(actor=actor, excuse=excuse, direction="up")
        with pytest.raises(PermissionDenied):
            journey.rebuttal_create(actor=actor, excuse=excuse, data=RebuttalInput("B", "x"))


def test_excuse_create_makes_a_unique_address_and_an_audit_row(editor: Any) -> None:
    first = journey.excuse_create(actor=editor, label="Je donne déjà à l'église")
    second = journey.excuse_create(actor=editor, label="Je donne déjà à l'église !")
    assert first.slug == "je-donne-deja-a-leglise"
    assert second.slug == "je-donne-deja-a-leglise-2"
    assert second.position == first.position + 1 == Excuse.objects.count() - 1
    assert AuditLog.objects.filter(action="giving.excuse_create", actor=editor).count() == 2
    with pytest.raises(ValidationError, match="déjà prise"):
        journey.excuse_create(actor=editor, label="Autre", slug="je-donne-deja-a-leglise")


def test_excuse_move_up_and_down(editor: Any) -> None:
    order = list(Excuse.objects.order_by("position", "id"))
    third = order[2]
    journey.excuse_move(actor=editor, excuse=third, direction="up")
    moved = list(Excuse.objects.order_by("position", "id"))
    assert moved[1] == third and moved[2] == order[1]
    journey.excuse_move(actor=editor, excuse=third, direction="down")
    journey.excuse_move(actor=editor, excuse=third, direction="down")
    assert list(Excuse.objects.order_by("position", "id")).index(third) == 3
    first = moved[0]
    journey.excuse_move(actor=editor, excuse=first, direction="up")  # already first
    assert Excuse.objects.order_by("position", "id").first() == first
    positions = list(Excuse.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(len(positions)))  # renumbered without gaps or ties


def test_excuse_move_resolves_ties(editor: Any) -> None:
    Excuse.objects.update(position=0)  # older data: every excuse at the same place
    order = list(Excuse.objects.order_by("position", "id"))
    journey.excuse_move(actor=editor, excuse=order[-1], direction="up")
    assert list(Excuse.objects.order_by("position", "id"))[-2] == order[-1]


def test_rebuttal_services_check_names_and_texts(editor: Any) -> None:
    excuse = RebuttalFactory(name="A").excuse
    b = journey.rebuttal_create(
        actor=editor, excuse=excuse, data=RebuttalInput(name=" B ", text="  Réponse B.  ")
    )
    assert (b.name, b.text, b.is_active) == ("B", "Réponse B.", True)
    with pytest.raises(ValidationError, match="déjà une variante nommée « a »"):
        journey.rebuttal_create(actor=editor, excuse=excuse, data=RebuttalInput("a", "x"))
    with pytest.raises(ValidationError, match="ne peut pas être vide"):
        journey.rebuttal_update(actor=editor, rebuttal=b, data=RebuttalInput("B", "   "))
    with pytest.raises(ValidationError, match="adresse de source"):
        journey.rebuttal_update(
            actor=editor, rebuttal=b, data=RebuttalInput("B", "x", source_label="Nos comptes")
        )
    b.refresh_from_db()
    assert b.text == "Réponse B."
    journey.rebuttal_set_active(actor=editor, rebuttal=b, is_active=False)
    assert not Rebuttal.objects.get(pk=b.pk).is_active
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"giving.rebuttal_create", "giving.rebuttal_set_active"} <= actions


# --- Pages ---------------------------------------------------------------------------------


def test_staff_list_shows_excuses_variants_and_buttons(staff: Client) -> None:
    RebuttalFactory(excuse=Excuse.objects.get(slug="je-n-ai-pas-le-temps"), name="B")
    response = staff.get(reverse("journey_admin:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Je n&#x27;ai pas le temps" in html
    assert html.count('name="sens" value="up"') == Excuse.objects.count() - 1
    assert html.count('name="sens" value="down"') == Excuse.objects.count() - 1
    assert "Ajouter une variante" in html


def test_staff_list_queries_do_not_grow(staff: Client, django_assert_num_queries: Any) -> None:
    staff.get(reverse("journey_admin:list"))
    with django_assert_num_queries(QUERIES_LIST) as before:
        staff.get(reverse("journey_admin:list"))
    for _ in range(8):
        excuse = ExcuseFactory()
        RebuttalFactory(excuse=excuse, giving_page=GivingPageFactory())
        RebuttalFactory(excuse=excuse, name="B")
    with django_assert_num_queries(len(before.captured_queries)):
        staff.get(reverse("journey_admin:list"))


QUERIES_LIST = 7  # session, user, roles, page text, excuses, answers, unread count


def test_create_excuse_then_its_first_variant(staff: Client) -> None:
    response = staff.post(
        reverse("journey_admin:excuse_create"),
        {"label": "Je donne déjà ailleurs", "slug": "", "is_active": "on"},
    )
    excuse = Excuse.objects.get(label="Je donne déjà ailleurs")
    assert response["Location"] == reverse(
        "journey_admin:rebuttal_create", kwargs={"pk": excuse.pk}
    )
    form = staff.get(response["Location"])
    assert form.context["form"].initial["name"] == "A"
    page = GivingPageFactory()
    response = staff.post(
        response["Location"],
        {
            "name": "A",
            "text": "Tant mieux ! Chaque association compte.",
            "impact_figure": "",
            "source_url": "exemple.org/comptes",
            "source_label": "Nos comptes",
            "give_label": "",
            "giving_page": str(page.pk),
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rebuttal = excuse.rebuttals.get()
    assert rebuttal.source_url == "https://exemple.org/comptes" and rebuttal.giving_page == page
    assert staff.get(reverse("blog:excuse", kwargs={"slug": excuse.slug})).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "   ", "slug": ""}, "L&#x27;excuse ne peut pas être vide."),
        ({"label": "Une autre", "slug": "je-n-ai-pas-le-temps"}, "Cette adresse est déjà prise"),
        ({"label": "Une autre", "slug": "pas une adresse"}, "lettres, chiffres et tirets"),
    ],
)
def test_bad_excuse_input_changes_nothing(
    staff: Client, data: dict[str, str], message: str
) -> None:
    before = snapshot()
    response = staff.post(reverse("journey_admin:excuse_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    excuse = Excuse.objects.get(slug="ca-ne-sert-a-rien")
    response = staff.post(reverse("journey_admin:excuse_edit", kwargs={"pk": excuse.pk}), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "B", "text": "   "}, "La réponse ne peut pas être vide."),
        ({"name": "", "text": "Texte"}, "Donnez un nom à la variante"),
        ({"name": "a", "text": "Texte"}, "Cette excuse a déjà une variante nommée « a »."),
        ({"name": "B", "text": "Texte", "source_url": "pas une url"}, "adresse web complète"),
        ({"name": "B", "text": "Texte", "source_label": "Comptes"}, "demande une adresse"),
        ({"name": "B", "text": "Texte", "giving_page": "999999"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_rebuttal_input_changes_nothing(
    staff: Client, data: dict[str, str], message: str
) -> None:
    excuse = Excuse.objects.get(slug="ca-ne-sert-a-rien")
    before = snapshot()
    response = staff.post(reverse("journey_admin:rebuttal_create", kwargs={"pk": excuse.pk}), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_edit_rebuttal_keeps_what_is_not_changed(staff: Client) -> None:
    rebuttal = Rebuttal.objects.get(excuse__slug="je-n-ai-pas-le-temps")
    url = reverse("journey_admin:rebuttal_edit", kwargs={"pk": rebuttal.pk})
    form = staff.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data["text"] = "Deux minutes, montre en main."
    data["is_active"] = "on"
    assert staff.post(url, data).status_code == 302
    rebuttal.refresh_from_db()
    assert rebuttal.text == "Deux minutes, montre en main."
    assert rebuttal.impact_figure == "Deux minutes : le temps qu'il faut pour donner en ligne."


def test_settings_edit_and_empty_title_refused(staff: Client) -> None:
    url = reverse("journey_admin:settings")
    before = snapshot()
    response = staff.post(url, {"title": "  ", "intro": "Bonjour"})
    assert response.status_code == 400
    assert "Le titre ne peut pas être vide." in response.content.decode()
    assert snapshot() == before
    assert staff.post(url, {"title": "Vos excuses", "intro": "Bonjour"}).status_code == 302
    assert journey.journey_settings_get().title == "Vos excuses"
    assert AuditLog.objects.filter(action="giving.journey_settings_update").exists()


def test_hide_and_show_from_the_list(staff: Client) -> None:
    excuse = Excuse.objects.get(slug="ca-ne-sert-a-rien")
    url = reverse("journey_admin:excuse_active", kwargs={"pk": excuse.pk})
    staff.post(url, {"active": "0"})
    assert staff.get(reverse("blog:excuse", kwargs={"slug": excuse.slug})).status_code == 404
    staff.post(url, {"active": "1"})
    assert staff.get(reverse("blog:excuse", kwargs={"slug": excuse.slug})).status_code == 200
    rebuttal = excuse.rebuttals.get()
    staff.post(
        reverse("journey_admin:rebuttal_active", kwargs={"pk": rebuttal.pk}), {"active": "0"}
    )
    assert staff.get(reverse("blog:excuse", kwargs={"slug": excuse.slug})).status_code == 404


def test_move_with_unknown_direction_changes_nothing(staff: Client) -> None:
    excuse = Excuse.objects.get(slug="ca-ne-sert-a-rien")
    before = snapshot()
    response = staff.post(
        reverse("journey_admin:excuse_move", kwargs={"pk": excuse.pk}), {"sens": "sideways"}
    )
    assert response.status_code == 302
    assert snapshot() == before
    assert "Sens de déplacement inconnu." in staff.get(response["Location"]).content.decode()


# --- Report --------------------------------------------------------------------------------


def _ab_test(day: datetime.date) -> Excuse:
    excuse = Excuse.objects.get(slug="je-n-ai-pas-le-temps")
    a = excuse.rebuttals.get()
    b = RebuttalFactory(excuse=excuse, name="B")
    for rebuttal, reads, clicks in ((a, 200, 20), (b, 200, 35)):
        for _ in range(reads):
            journey.journey_count(step=JourneyStep.READ, excuse=excuse, rebuttal=rebuttal, day=day)
        for _ in range(clicks):
            journey.journey_count(
                step=JourneyStep.GIVE_CLICK, excuse=excuse, rebuttal=rebuttal, day=day
            )
    return excuse


def test_report_shows_the_winner(staff: Client) -> None:
    day = datetime.date(2026, 3, 10)
    excuse = _ab_test(day)
    PaidDonationFactory(excuse=excuse, rebuttal=excuse.rebuttals.get(name="A"), given_on=day)
    response = staff.get(
        reverse("journey_admin:report"), {"start": "2026-03-01", "end": "2026-03-31"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    # One gift arrived: the verdict now weighs donors per read (1/200 against 0/200).
    assert "Pas encore assez de données" not in html.split("je-n-ai-pas-le-temps")[0]
    assert "A fait mieux que B avec" in html
    assert "30\u00a0€" in html
    assert "<svg" in html and 'role="img"' in html


def test_report_clicks_verdict(staff: Client) -> None:
    day = datetime.date(2026, 3, 10)
    _ab_test(day)
    response = staff.get(
        reverse("journey_admin:report"), {"start": "2026-03-10", "end": "2026-03-10"}
    )
    html = response.content.decode()
    assert "B fait mieux que A avec 98 % de confiance" in html
    # Bars of the clicks per read: A 10 %, B 17.5 %, longest bar for B.
    assert "Clics « Je donne » par lecture, par variante" in html
    assert "A 10,0\u00a0%, B 17,5\u00a0%" in html
    assert 'width="480.0"' in html and 'width="274.3"' in html


def test_report_default_period_is_the_last_thirty_days(staff: Client) -> None:
    response = staff.get(reverse("journey_admin:report"))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.end - report.start).days == 29


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "La date de début doit précéder"),
        ({"start": "hier", "end": "2026-03-01"}, "Saisissez une date valide"),
        ({"start": "2000-01-01", "end": "2026-03-01"}, "dix ans au plus"),
    ],
)
def test_report_bad_period(staff: Client, query: dict[str, str], message: str) -> None:
    response = staff.get(reverse("journey_admin:report"), query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["report"] is None


def test_report_queries_do_not_grow(staff: Client, django_assert_num_queries: Any) -> None:
    query = {"start": "2026-01-01", "end": "2026-12-31"}
    staff.get(reverse("journey_admin:report"), query)
    with django_assert_num_queries(QUERIES_REPORT) as before:
        staff.get(reverse("journey_admin:report"), query)
    for offset in range(20):
        day = datetime.date(2026, 2, 1) + datetime.timedelta(days=offset)
        rebuttal = RebuttalFactory()
        journey.journey_count(step=JourneyStep.VIEW, day=day)
        journey.journey_count(
            step=JourneyStep.READ, excuse=rebuttal.excuse, rebuttal=rebuttal, day=day
        )
        PaidDonationFactory(excuse=rebuttal.excuse, rebuttal=rebuttal, given_on=day)
    with django_assert_num_queries(len(before.captured_queries)):
        response = staff.get(reverse("journey_admin:report"), query)
    assert response.context["report"].counts.gifts == 20


QUERIES_REPORT = 8  # session, user, roles, day counts, gifts, excuses, answers, unread count


def test_preview_shows_a_withdrawn_variant_and_counts_nothing(staff: Client) -> None:
    excuse = Excuse.objects.get(slug="je-n-ai-pas-le-temps")
    draft = RebuttalFactory(excuse=excuse, name="B", text="Brouillon **B**.", is_active=False)
    before = JourneyDay.objects.count()
    response = staff.get(reverse("journey_admin:rebuttal_preview", kwargs={"pk": draft.pk}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Brouillon <strong>B</strong>." in html and "Aperçu" in html
    assert "Cette variante est retirée" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "/donner/" not in html  # the buttons do not go through the counting addresses
    assert JourneyDay.objects.count() == before
    assert "essaim_variant" not in response.cookies


def test_move_with_htmx_swaps_the_list_keeps_focus_and_announces(staff: Client) -> None:
    order = list(Excuse.objects.order_by("position", "id"))
    third = order[2]
    url = reverse("journey_admin:excuse_move", kwargs={"pk": third.pk})
    response = staff.post(url, {"sens": "up"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert list(Excuse.objects.order_by("position", "id"))[1] == third
    assert f"« {third.label} » est maintenant en position 2 sur {len(order)}." in html.replace(
        "&#x27;", "'"
    )
    assert html.count("autofocus") == 1
    block = html.split(f'id="excuse-{third.pk}"')[1].split("</li>")[0]
    assert 'value="up"><button type="submit" class="button small secondary" autofocus>' in block
    # Moved to the top: "Monter" is gone, focus goes to "Descendre".
    response = staff.post(url, {"sens": "up"}, HTTP_HX_REQUEST="true")
    block = response.content.decode().split(f'id="excuse-{third.pk}"')[1].split("</li>")[0]
    assert 'value="down"><button type="submit" class="button small secondary" autofocus>' in block
    response = staff.post(url, {"sens": "nowhere"}, HTTP_HX_REQUEST="true")
    assert "Sens de déplacement inconnu." in response.content.decode()


def test_report_csv(staff: Client) -> None:
    day = datetime.date(2026, 3, 10)
    excuse = _ab_test(day)
    PaidDonationFactory(
        excuse=excuse, rebuttal=excuse.rebuttals.get(name="B"), given_on=day, amount_cents=4550
    )
    response = staff.get(
        reverse("journey_admin:report_csv"), {"start": "2026-03-10", "end": "2026-03-10"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="parcours-excuses-2026-03-10-2026-03-10.csv"' in response["Content-Disposition"]
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffExcuse;Variante;Active;Lectures;")
    lines = text.splitlines()
    assert len(lines) == 1 + Rebuttal.objects.count()
    b_line = next(line for line in lines if line.startswith("Je n'ai pas le temps;B;"))
    assert b_line.split(";")[3:11] == ["200", "35", "17,50", "0", "1", "1", "0,50", "45,50"]
    assert "fait mieux que" in b_line
    # The page links to the file of the period shown.
    page = staff.get(reverse("journey_admin:report"), {"start": "2026-03-10", "end": "2026-03-10"})
    assert "rapport.csv?start=2026-03-10&amp;end=2026-03-10" in page.content.decode()
