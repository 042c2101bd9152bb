"""The public excuses journey: the list, the sticky variant, counts, the give click cookie."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.test import Client, RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from essaim.actions.models import ActionVisibility
from essaim.giving import journey
from essaim.giving.journey import (
    CLICK_COOKIE,
    CLICK_SALT,
    VARIANT_COOKIE,
    VARIANT_SALT,
    journey_from_request,
)
from essaim.giving.models import Excuse, JourneyDay, JourneySettings, JourneyStep, Rebuttal
from tests.actions.conftest import make_action
from tests.blog.factories import StoryConsentFactory
from tests.circles.conftest import build_world
from tests.giving.factories import ExcuseFactory, GivingPageFactory, RebuttalFactory

pytestmark = pytest.mark.django_db

BOT = {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"}


def count(step: str, **filters: Any) -> int:
    return sum(JourneyDay.objects.filter(step=step, **filters).values_list("count", flat=True))


def excuse_url(excuse: Excuse, name: str = "excuse", namespace: str = "blog") -> str:
    return reverse(f"{namespace}:{name}", kwargs={"slug": excuse.slug})


def request_with(cookies: dict[str, str]) -> Any:
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies)
    return request


# --- Seed ----------------------------------------------------------------------------------


def test_seed_has_the_seven_excuses_each_answered() -> None:
    labels = list(Excuse.objects.order_by("position").values_list("label", flat=True))[:7]
    assert labels == [
        "D'autres donnent pour moi",
        "On me sollicite trop souvent",
        "J'ai assez de problèmes comme ça",
        "Je n'ai pas le temps",
        "Je ne sais pas où va l'argent",
        "Je n'ai pas de monnaie sur moi",
        "Ça ne sert à rien",
    ]
    for excuse in Excuse.objects.all():
        (answer,) = excuse.rebuttals.all()
        assert answer.name == "A" and answer.is_active and len(answer.text) > 100
    assert JourneySettings.objects.get().title == "Je n'aime pas donner"
    monnaie = Rebuttal.objects.get(excuse__slug="je-n-ai-pas-de-monnaie-sur-moi")
    assert "66 %" in monnaie.text and "10,20 €" in monnaie.impact_figure


# --- The list ------------------------------------------------------------------------------


def test_list_shows_shown_excuses_in_order_and_counts_a_view(client: Client) -> None:
    settings_row = journey.journey_settings_get()
    settings_row.title = "Vos meilleures excuses"
    settings_row.intro = "Choisissez **la vôtre**.<script>alert(1)</script>"
    settings_row.save()
    hidden = RebuttalFactory(excuse__label="Excuse cachée", excuse__is_active=False).excuse
    unanswered = ExcuseFactory(label="Excuse sans réponse")
    RebuttalFactory(excuse=unanswered, is_active=False)

    response = client.get(reverse("blog:excuses"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Vos meilleures excuses</h1>" in html
    assert "<strong>la vôtre</strong>" in html and "<script>alert" not in html
    assert html.index("D&#x27;autres donnent pour moi") < html.index("Ça ne sert à rien")
    assert hidden.label not in html and unanswered.label not in html
    assert excuse_url(Excuse.objects.get(slug="ca-ne-sert-a-rien")) in html
    assert count(JourneyStep.VIEW, excuse__isnull=True) == 1
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_list_in_english_links_english_addresses(client: Client) -> None:
    response = client.get(reverse("blog_en:excuses"))
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert "/en/je-n-aime-pas-donner/ca-ne-sert-a-rien/" in html
    assert 'lang="fr"' in html  # the excuses are written in French


def test_bots_are_not_counted(client: Client) -> None:
    rebuttal = RebuttalFactory()
    client.get(reverse("blog:excuses"), **BOT)
    response = client.get(excuse_url(rebuttal.excuse), **BOT)
    assert response.status_code == 200
    assert VARIANT_COOKIE not in response.cookies
    give = client.get(excuse_url(rebuttal.excuse, "excuse_give"), **BOT)
    assert give.status_code == 302 and CLICK_COOKIE not in give.cookies
    assert not JourneyDay.objects.exists()


def test_list_queries_do_not_grow_with_excuses(
    client: Client, django_assert_num_queries: Any
) -> None:
    client.get(reverse("blog:excuses"))  # warm the organisation cache
    # A new visitor: the page's text, the excuses, the day's count.
    with django_assert_num_queries(3):
        Client().get(reverse("blog:excuses"))
    for _ in range(10):
        RebuttalFactory()
    with django_assert_num_queries(3):
        response = Client().get(reverse("blog:excuses"))
    assert response.content.decode().count('class="excuse-choice"') == 17


# --- The answer ----------------------------------------------------------------------------


def test_answer_shows_text_impact_source_and_buttons(client: Client) -> None:
    page = GivingPageFactory(slug="rentree")
    rebuttal = RebuttalFactory(
        text="Une **carte** suffit.\n\n<img src=x onerror=alert(1)>",
        impact_figure="30 € = un cartable",
        source_url="https://exemple.org/comptes",
        source_label="Nos comptes 2025",
        give_label="Je donne pour la rentrée",
        giving_page=page,
    )
    response = client.get(excuse_url(rebuttal.excuse))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>carte</strong>" in html
    assert '<meta name="description" content="Une carte suffit.' in html  # no Markdown marks
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "30 € = un cartable" in html
    assert '<a href="https://exemple.org/comptes" rel="noopener">Nos comptes 2025</a>' in html
    assert "Je donne pour la rentrée" in html and "Je préfère donner du temps" in html
    assert f"{excuse_url(rebuttal.excuse, 'excuse_give')}?variante={rebuttal.pk}" in html
    assert count(JourneyStep.READ, rebuttal=rebuttal) == 1


def test_answer_shows_its_story_only_with_consent(client: Client) -> None:
    consent = StoryConsentFactory()
    rebuttal = RebuttalFactory(story=consent.story)
    assert consent.story.title in client.get(excuse_url(rebuttal.excuse)).content.decode()
    consent.uses = ["blog"]  # giving pages not allowed
    consent.save()
    assert consent.story.title not in client.get(excuse_url(rebuttal.excuse)).content.decode()


def test_unknown_hidden_or_unanswered_excuse_is_404(client: Client) -> None:
    assert client.get("/je-n-aime-pas-donner/n-existe-pas/").status_code == 404
    hidden = RebuttalFactory(excuse__is_active=False).excuse
    assert client.get(excuse_url(hidden)).status_code == 404
    assert client.get(excuse_url(hidden, "excuse_give")).status_code == 404
    withdrawn = RebuttalFactory(is_active=False).excuse
    assert client.get(excuse_url(withdrawn)).status_code == 404
    assert client.get(excuse_url(withdrawn, "excuse_volunteer")).status_code == 404
    assert not JourneyDay.objects.filter(step=JourneyStep.READ).exists()


def test_variant_is_random_for_newcomers_and_sticky_after(client: Client) -> None:
    a = RebuttalFactory(name="A", text="Réponse A")
    b = RebuttalFactory(excuse=a.excuse, name="B", text="Réponse B")
    url = excuse_url(a.excuse)
    seen = set()
    for _ in range(40):
        seen.add(Client().get(url).context["rebuttal"].name)
    assert seen == {"A", "B"}  # both shown (chance of missing one: 2 x 0.5**40)

    first = client.get(url)
    shown = first.context["rebuttal"]
    before = count(JourneyStep.READ, rebuttal=shown)
    assert VARIANT_COOKIE in first.cookies
    for _ in range(10):
        again = client.get(url)
        assert again.context["rebuttal"] == shown
        assert VARIANT_COOKIE not in again.cookies  # nothing new to store
    assert count(JourneyStep.READ, rebuttal=shown) == before  # reloads are not new readers
    assert {a.pk, b.pk} >= set(
        journey.variants_from_request(
            request_with({VARIANT_COOKIE: first.cookies[VARIANT_COOKIE].value})
        ).values()
    )


def test_equal_weights_between_variants() -> None:
    a = RebuttalFactory(name="A")
    b = RebuttalFactory(excuse=a.excuse, name="B")
    c = RebuttalFactory(excuse=a.excuse, name="C")
    with mock.patch.object(journey._random, "choice", side_effect=lambda rows: rows[-1]) as pick:
        assert journey.variant_pick([a, b, c], None) == c
    assert pick.call_args.args[0] == [a, b, c]  # uniform choice over every active variant


def test_withdrawn_variant_gives_way_to_an_active_one(client: Client) -> None:
    a = RebuttalFactory(name="A", text="Réponse A")
    b = RebuttalFactory(excuse=a.excuse, name="B", text="Réponse B")
    client.cookies[VARIANT_COOKIE] = signing.dumps(
        {"s": {str(a.excuse_id): b.pk}, "c": {}}, salt=VARIANT_SALT
    )
    assert client.get(excuse_url(a.excuse)).context["rebuttal"] == b
    b.is_active = False
    b.save()
    response = client.get(excuse_url(a.excuse))
    assert response.context["rebuttal"] == a
    assert journey.variants_from_request(
        request_with({VARIANT_COOKIE: response.cookies[VARIANT_COOKIE].value})
    ) == {a.excuse_id: a.pk}


# Built inside the test: a signature made at collection time carries a timestamp, and
# two xdist workers collecting a second apart would name the tests differently.
FORGED_VARIANT_COOKIES = {
    "forged": lambda: "forged",
    "other-salt": lambda: signing.dumps({"1": 2}, salt="another.salt"),
    "not-a-dict": lambda: signing.dumps(["not", "a", "dict"], salt=VARIANT_SALT),
    "bad-keys": lambda: signing.dumps(
        {"s": {"x": "y", "-1": 3, "2": True, "0": 4}, "c": []}, salt=VARIANT_SALT
    ),
    "bad-types": lambda: signing.dumps(
        {"s": ["1", "2"], "c": {"read:1": "demain"}}, salt=VARIANT_SALT
    ),
}


@pytest.mark.parametrize("kind", list(FORGED_VARIANT_COOKIES))
def test_forged_variant_cookies_are_ignored(client: Client, kind: str) -> None:
    value = FORGED_VARIANT_COOKIES[kind]()
    a = RebuttalFactory(name="A")
    client.cookies[VARIANT_COOKIE] = value
    response = client.get(excuse_url(a.excuse))
    assert response.status_code == 200 and response.context["rebuttal"] == a
    assert journey.variants_from_request(request_with({VARIANT_COOKIE: value})) == {}


def test_english_answer_page(client: Client) -> None:
    rebuttal = RebuttalFactory()
    response = client.get(excuse_url(rebuttal.excuse, namespace="blog_en"))
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert f"/en/je-n-aime-pas-donner/{rebuttal.excuse.slug}/donner/" in response.content.decode()


# --- The clicks ----------------------------------------------------------------------------


def test_give_click_counts_sets_the_cookie_and_goes_to_the_answers_page(client: Client) -> None:
    page = GivingPageFactory(slug="hiver")
    a = RebuttalFactory(name="A", giving_page=page)
    b = RebuttalFactory(excuse=a.excuse, name="B")
    response = client.get(f"{excuse_url(a.excuse, 'excuse_give')}?variante={a.pk}")

    assert response.status_code == 302
    assert response["Location"] == reverse("blog:give_page", kwargs={"slug": "hiver"})
    assert count(JourneyStep.GIVE_CLICK, excuse=a.excuse, rebuttal=a) == 1
    cookie = response.cookies[CLICK_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 30 * 24 * 3600
    assert journey_from_request(request_with({CLICK_COOKIE: cookie.value})) == (a.excuse_id, a.pk)

    # Variant B without a giving page of its own: the default giving page.
    response = client.post(excuse_url(a.excuse, "excuse_give"), {"variante": str(b.pk)})
    assert response["Location"] == reverse("blog:give")
    assert count(JourneyStep.GIVE_CLICK, rebuttal=b) == 1
    value = response.cookies[CLICK_COOKIE].value
    assert journey_from_request(request_with({CLICK_COOKIE: value})) == (b.excuse_id, b.pk)


def test_give_click_in_english_goes_to_the_english_giving_page(client: Client) -> None:
    rebuttal = RebuttalFactory()
    response = client.get(excuse_url(rebuttal.excuse, "excuse_give", namespace="blog_en"))
    assert response["Location"] == reverse("blog_en:give")


def test_give_click_with_a_foreign_variant_uses_the_visitors_own(client: Client) -> None:
    mine = RebuttalFactory()
    other = RebuttalFactory()  # an answer to another excuse
    response = client.get(f"{excuse_url(mine.excuse, 'excuse_give')}?variante={other.pk}")
    assert count(JourneyStep.GIVE_CLICK, rebuttal=mine) == 1
    assert not JourneyDay.objects.filter(rebuttal=other).exists()
    value = response.cookies[CLICK_COOKIE].value
    assert journey_from_request(request_with({CLICK_COOKIE: value})) == (mine.excuse_id, mine.pk)


def test_volunteer_click_counts_and_leads_to_acting(client: Client) -> None:
    rebuttal = RebuttalFactory()
    response = client.get(
        f"{excuse_url(rebuttal.excuse, 'excuse_volunteer')}?variante={rebuttal.pk}"
    )
    assert response.status_code == 302
    # No public action to come: the sign-up form (volunteers start with an account).
    assert response["Location"] == reverse("account_signup")
    assert count(JourneyStep.VOLUNTEER_CLICK, rebuttal=rebuttal) == 1
    assert CLICK_COOKIE not in response.cookies
    world = build_world()
    make_action(world, title="Maraude du jeudi", visibility=ActionVisibility.PUBLIC)
    response = Client().get(excuse_url(rebuttal.excuse, "excuse_volunteer"))
    assert response["Location"] == reverse("blog:home") + "#agir"
    assert count(JourneyStep.VOLUNTEER_CLICK, rebuttal=rebuttal) == 2


def test_journey_from_request_without_or_with_bad_cookie() -> None:
    rebuttal = RebuttalFactory()
    good = {"e": rebuttal.excuse_id, "r": rebuttal.pk, "t": 0}
    assert journey_from_request(request_with({})) == (None, None)
    for value in (
        "abc",
        signing.dumps(good, salt="essaim.referrals.attribution"),
        signing.dumps({"e": "1", "r": "2"}, salt=CLICK_SALT),
        signing.dumps({"e": rebuttal.excuse_id, "r": True}, salt=CLICK_SALT),
        signing.dumps({"e": rebuttal.excuse_id + 999, "r": rebuttal.pk}, salt=CLICK_SALT),
        signing.dumps({"e": rebuttal.excuse_id, "r": rebuttal.pk + 999}, salt=CLICK_SALT),
    ):
        assert journey_from_request(request_with({CLICK_COOKIE: value})) == (None, None), value
    signed = signing.dumps(good, salt=CLICK_SALT, compress=True)
    assert journey_from_request(request_with({CLICK_COOKIE: signed})) == (
        rebuttal.excuse_id,
        rebuttal.pk,
    )


def test_journey_cookie_lasts_thirty_days() -> None:
    rebuttal = RebuttalFactory()
    with freeze_time("2026-03-01 12:00"):
        value = signing.dumps({"e": rebuttal.excuse_id, "r": rebuttal.pk}, salt=CLICK_SALT)
    with freeze_time("2026-03-30 12:00"):
        assert journey_from_request(request_with({CLICK_COOKIE: value}))[1] == rebuttal.pk
    with freeze_time("2026-04-01 12:00"):
        assert journey_from_request(request_with({CLICK_COOKIE: value})) == (None, None)


def test_deleted_answer_is_not_returned() -> None:
    rebuttal = RebuttalFactory()
    value = signing.dumps({"e": rebuttal.excuse_id, "r": rebuttal.pk}, salt=CLICK_SALT)
    rebuttal.delete()
    assert journey_from_request(request_with({CLICK_COOKIE: value})) == (None, None)


# --- Counting ------------------------------------------------------------------------------


def test_counts_add_up_per_day_step_excuse_and_variant() -> None:
    rebuttal = RebuttalFactory()
    day = datetime.date(2026, 5, 4)
    for _ in range(3):
        journey.journey_count(step=JourneyStep.VIEW, day=day)
        journey.journey_count(
            step=JourneyStep.READ, excuse=rebuttal.excuse, rebuttal=rebuttal, day=day
        )
    journey.journey_count(step=JourneyStep.VIEW, day=day + datetime.timedelta(days=1))
    assert JourneyDay.objects.count() == 3
    assert JourneyDay.objects.get(step=JourneyStep.VIEW, day=day).count == 3
    assert JourneyDay.objects.get(step=JourneyStep.READ, rebuttal=rebuttal).count == 3


def test_each_browser_counts_once_a_day_per_step(client: Client) -> None:
    rebuttal = RebuttalFactory()
    give = f"{excuse_url(rebuttal.excuse, 'excuse_give')}?variante={rebuttal.pk}"
    with freeze_time("2026-05-04 09:00"):
        for _ in range(3):  # reloads, double clicks
            client.get(reverse("blog:excuses"))
            client.get(excuse_url(rebuttal.excuse))
            response = client.get(give)
            assert response.status_code == 302
        assert CLICK_COOKIE in response.cookies  # the give cookie is renewed at each click
    with freeze_time("2026-05-05 09:00"):
        client.get(excuse_url(rebuttal.excuse))
        cookie = client.cookies[VARIANT_COOKIE].value
        visitor = journey.visitor_from_request(request_with({VARIANT_COOKIE: cookie}))
    assert count(JourneyStep.VIEW, day=datetime.date(2026, 5, 4)) == 1
    assert count(JourneyStep.READ, day=datetime.date(2026, 5, 4)) == 1
    assert count(JourneyStep.GIVE_CLICK, day=datetime.date(2026, 5, 4)) == 1
    assert count(JourneyStep.READ, day=datetime.date(2026, 5, 5)) == 1  # a new day
    # Yesterday's steps are dropped from the cookie: only today's read is left.
    assert list(visitor.counted) == [f"read:{rebuttal.pk}"]
    assert visitor.variants == {rebuttal.excuse_id: rebuttal.pk}


def test_every_public_page_links_to_the_journey(client: Client) -> None:
    assert 'href="/je-n-aime-pas-donner/"' in client.get(reverse("blog:index")).content.decode()
    english = client.get(reverse("blog_en:index")).content.decode()
    assert 'href="/en/je-n-aime-pas-donner/"' in english


def test_answer_queries_do_not_grow_with_variants(django_assert_num_queries: Any) -> None:
    rebuttal = RebuttalFactory()
    url = excuse_url(rebuttal.excuse)
    Client().get(url)  # warm the organisation cache and create the day's row
    # New visitors all drawn variant A (its day's row exists: one UPDATE).
    with mock.patch.object(journey._random, "choice", side_effect=lambda rows: rows[0]):
        # The excuse, its active variants, the day's count, the page's text.
        with django_assert_num_queries(4):
            assert Client().get(url).status_code == 200
        for name in "BCDE":
            RebuttalFactory(excuse=rebuttal.excuse, name=name, giving_page=GivingPageFactory())
        with django_assert_num_queries(4):
            assert Client().get(url).status_code == 200
