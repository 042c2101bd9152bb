"""Page cache of anonymous public pages: one query a hit, exact invalidation, nothing personal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from essaim.actions.models import Action, ActionStatus, ActionVisibility
from essaim.actions.services import action_transition, action_update
from essaim.blog.models import PublicationStatus
from essaim.blog.services import (
    article_publish,
    article_unpublish,
    article_update,
    articles_publish_due,
)
from essaim.circles.models import Circle, Visibility
from essaim.core import pagecache
from essaim.core.models import ContentVersion
from essaim.core.selectors import organisation_get
from essaim.core.services import organisation_update
from tests.blog.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _organisation() -> None:
    organisation_get()


def get(client: Client, url: str) -> tuple[str, str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response["X-Essaim-Cache"], response.content.decode()


# --- Hits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/en/", "/blog/", "/en/blog/", "/blog/?page=1", "/blog/premier-billet/"]
)
def test_a_hit_costs_one_query(client: Client, django_assert_num_queries: Any, url: str) -> None:
    ArticleFactory(slug="premier-billet", title="Premier billet")
    status, first = get(client, url)
    assert status == "miss"
    with django_assert_num_queries(1):  # the versions of the page's keys
        status, second = get(client, url)
    assert status == "hit"
    assert second == first


def test_a_hit_keeps_the_content_type_and_language(client: Client) -> None:
    client.get("/en/blog/")
    response = client.get("/en/blog/")
    assert response["X-Essaim-Cache"] == "hit"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in response.content.decode()


def test_languages_are_cached_apart(client: Client) -> None:
    ArticleFactory(language="fr", title="Billet français")
    ArticleFactory(language="en", title="English post")
    assert get(client, "/blog/")[0] == "miss"
    status, english = get(client, "/en/blog/")
    assert status == "miss"  # not the French page
    assert "English post" in english and "Billet français" not in english
    status, french = get(client, "/blog/")
    assert status == "hit" and "Billet français" in french and "English post" not in french


def test_each_page_of_a_list_is_cached_apart(client: Client) -> None:
    for number in range(13):
        ArticleFactory(published_at=timezone.now() - dt.timedelta(days=number))
    assert get(client, "/blog/")[0] == "miss"
    status, second = get(client, "/blog/?page=2")
    assert status == "miss" and second.count('class="article-card"') == 1


# --- Invalidation through the services -----------------------------------------------------


def test_an_edited_article_is_served_fresh_at_once(client: Client, admin_user: Any) -> None:
    article = ArticleFactory(title="Titre d'origine", slug="billet")
    get(client, "/blog/billet/")
    get(client, "/blog/")
    assert get(client, "/blog/billet/")[0] == "hit"
    article_update(actor=admin_user, article=article, data={"title": "Titre corrigé"})
    status, html = get(client, "/blog/billet/")
    assert status == "miss" and "Titre corrigé" in html and "Titre d&#x27;origine" not in html
    status, html = get(client, "/blog/")
    assert status == "miss" and "Titre corrigé" in html


def test_an_unpublished_article_is_404_at_once(client: Client, admin_user: Any) -> None:
    article = ArticleFactory(title="Bientôt retiré", slug="retire")
    get(client, "/blog/retire/")
    get(client, "/")
    get(client, "/blog/")
    article_unpublish(actor=admin_user, article=article, reason="Erreur de chiffres")
    assert client.get("/blog/retire/").status_code == 404
    assert "Bientôt retiré" not in get(client, "/")[1]
    assert "Bientôt retiré" not in get(client, "/blog/")[1]


def test_a_scheduled_article_appears_when_published_by_the_job(client: Client) -> None:
    article = ArticleFactory(title="À paraître", slug="a-paraitre", status="scheduled")
    assert "À paraître" not in get(client, "/blog/")[1]
    assert client.get("/blog/a-paraitre/").status_code == 404
    article.publish_at = timezone.now() - dt.timedelta(minutes=1)
    article.save()
    assert articles_publish_due() == 1
    status, html = get(client, "/blog/")
    assert status == "miss" and "À paraître" in html
    assert client.get("/blog/a-paraitre/").status_code == 200


def test_a_published_draft_shows_at_once(client: Client, admin_user: Any) -> None:
    draft = ArticleFactory(title="Tout neuf", status=PublicationStatus.DRAFT)
    get(client, "/")
    article_publish(actor=admin_user, article=draft)
    assert "Tout neuf" in get(client, "/")[1]


def test_organisation_changes_reach_every_public_page(
    client: Client, admin_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ArticleFactory(slug="billet")
    for url in ("/", "/blog/", "/blog/billet/"):
        get(client, url)
    org = organisation_get()
    with django_capture_on_commit_callbacks(execute=True):
        organisation_update(actor=admin_user, organisation=org, data={"name": "Nouveau Nom Asso"})
    for url in ("/", "/blog/", "/blog/billet/"):
        status, html = get(client, url)
        assert status == "miss", url
        assert "Nouveau Nom Asso" in html, url


def _public_action(**fields: Any) -> Action:
    circle = Circle.objects.create(name="Cercle", slug="cercle", visibility=Visibility.PUBLIC)
    start = timezone.now() + dt.timedelta(days=2)
    values: dict[str, Any] = {
        "circle": circle,
        "kind": "event",
        "title": "Maraude",
        "slug": "maraude",
        "visibility": ActionVisibility.PUBLIC,
        "status": ActionStatus.PREPARING,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
    }
    values.update(fields)
    return Action.objects.create(**values)


def test_public_action_changes_refresh_the_home(client: Client, admin_user: Any) -> None:
    action = _public_action(title="Maraude du soir")
    assert "Maraude du soir" in get(client, "/")[1]
    action = action_update(actor=admin_user, action=action, data={"title": "Maraude de nuit"})
    status, html = get(client, "/")
    assert status == "miss" and "Maraude de nuit" in html
    # No longer public: it leaves the home.
    action_update(actor=admin_user, action=action, data={"visibility": ActionVisibility.MEMBERS})
    assert "Maraude de nuit" not in get(client, "/")[1]


def test_a_cancelled_public_action_leaves_the_home(client: Client, admin_user: Any) -> None:
    action = _public_action(title="Collecte annulée bientôt")
    get(client, "/")
    action_transition(actor=admin_user, action=action, target=ActionStatus.CANCELLED, note="Pluie")
    assert "Collecte annulée bientôt" not in get(client, "/")[1]


def test_a_private_action_change_keeps_the_home_cached(client: Client, admin_user: Any) -> None:
    action = _public_action(visibility=ActionVisibility.CIRCLE)
    get(client, "/")
    action_update(actor=admin_user, action=action, data={"title": "Réunion interne"})
    assert get(client, "/")[0] == "hit"


def test_other_content_keeps_the_article_lists_cached(client: Client, admin_user: Any) -> None:
    get(client, "/blog/")
    _public_action()
    pagecache.bump("actions", "stories")
    assert get(client, "/blog/")[0] == "hit"


def test_a_bump_rolled_back_changes_nothing() -> None:
    pagecache.bump("articles")
    before = pagecache.versions(["articles"])
    with pytest.raises(RuntimeError), transaction.atomic():
        pagecache.bump("articles")
        raise RuntimeError
    assert pagecache.versions(["articles"]) == before
    assert pagecache.versions(["jamais"]) == {"jamais": 0}


def test_bump_counts_up_from_nothing() -> None:
    pagecache.bump("article:7", "article:7", "site")
    assert ContentVersion.objects.get(key="article:7").value == 1
    pagecache.bump("article:7")
    assert pagecache.versions(["article:7", "site"]) == {"article:7": 2, "site": 1}


# --- Nothing personal is stored or served ----------------------------------------------------


def test_signed_in_people_never_read_the_cache(client: Client, login_as: Any) -> None:
    ArticleFactory(slug="billet")
    get(client, "/blog/billet/")
    assert get(client, "/blog/billet/")[0] == "hit"
    client.force_login(login_as("member"))
    response = client.get("/blog/billet/")
    assert response.status_code == 200
    assert "X-Essaim-Cache" not in response
    assert "Mon espace" in response.content.decode()


def test_signed_in_people_never_write_the_cache(client: Client, login_as: Any) -> None:
    ArticleFactory(slug="billet")
    member = Client()
    member.force_login(login_as("communication"))
    member.get("/blog/billet/")
    member.get("/blog/")
    assert get(client, "/blog/billet/")[0] == "miss"
    assert get(client, "/blog/")[0] == "miss"
    assert "Mon espace" not in get(client, "/blog/")[1]


def test_posts_are_never_cached(client: Client) -> None:
    get(client, "/blog/")
    response = client.post("/blog/")
    assert "X-Essaim-Cache" not in response


def _anonymous(path: str = "/essai/") -> HttpRequest:
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = SessionBase()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def _cached(view: Any) -> Any:
    return pagecache.cached_page(lambda request: ["articles"])(view)


def test_a_page_that_rendered_a_csrf_token_is_not_stored() -> None:
    calls = []

    def with_token(request: HttpRequest) -> HttpResponse:
        calls.append(1)
        return HttpResponse(f"<input value='{get_token(request)}'>")

    def without_token(request: HttpRequest) -> HttpResponse:
        calls.append(1)
        return HttpResponse("<p>rien de personnel</p>")

    view = _cached(with_token)
    assert view(_anonymous())["X-Essaim-Cache"] == "miss"
    assert view(_anonymous())["X-Essaim-Cache"] == "miss"
    assert len(calls) == 2
    plain = _cached(without_token)
    assert plain(_anonymous("/autre/"))["X-Essaim-Cache"] == "miss"
    assert plain(_anonymous("/autre/"))["X-Essaim-Cache"] == "hit"
    assert len(calls) == 3


def test_a_page_that_showed_flash_messages_is_not_stored() -> None:
    def with_messages(request: HttpRequest) -> HttpResponse:
        from django.contrib import messages

        messages.info(request, "Bienvenue")
        return HttpResponse("".join(str(message) for message in get_messages(request)))

    view = _cached(with_messages)
    assert view(_anonymous())["X-Essaim-Cache"] == "miss"
    assert view(_anonymous())["X-Essaim-Cache"] == "miss"


def test_a_page_setting_a_cookie_is_not_stored() -> None:
    def with_cookie(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        response.set_cookie("suivi", "1")
        return response

    view = _cached(with_cookie)
    view(_anonymous())
    assert view(_anonymous())["X-Essaim-Cache"] == "miss"


def test_a_visitor_with_a_messages_cookie_bypasses_the_cache(client: Client) -> None:
    get(client, "/blog/")
    client.cookies["messages"] = "quelque chose"
    response = client.get("/blog/")
    assert "X-Essaim-Cache" not in response


def test_a_page_expiring_in_the_past_is_not_stored() -> None:
    def expired(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        response.page_cache_until = timezone.now() - dt.timedelta(seconds=1)  # type: ignore[attr-defined]
        return response

    view = _cached(expired)
    view(_anonymous())
    assert view(_anonymous())["X-Essaim-Cache"] == "miss"


def test_a_page_expiring_soon_is_kept_that_long(monkeypatch: Any) -> None:
    stored: list[int] = []
    real_set = cache.set

    def spy(key: str, value: Any, timeout: int) -> None:
        stored.append(timeout)
        real_set(key, value, timeout)

    monkeypatch.setattr(pagecache.cache, "set", spy)

    def soon(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        response.page_cache_until = timezone.now() + dt.timedelta(minutes=10)  # type: ignore[attr-defined]
        return response

    _cached(soon)(_anonymous())
    assert stored and 590 <= stored[0] <= 600


def test_content_language_is_the_page_language(client: Client) -> None:
    for _ in range(2):  # miss, then hit
        response = client.get("/en/blog/", HTTP_ACCEPT_LANGUAGE="fr")
        assert response["Content-Language"] == "en"
        response = client.get("/blog/", HTTP_ACCEPT_LANGUAGE="en")
        assert response["Content-Language"] == "fr"


def test_a_circle_turning_secret_hides_its_actions_from_the_home(
    client: Client, admin_user: Any
) -> None:
    from essaim.circles.services import circle_update

    action = _public_action(title="Action du cercle")
    assert "Action du cercle" in get(client, "/")[1]
    circle_update(actor=admin_user, circle=action.circle, data={"visibility": Visibility.SECRET})
    assert "Action du cercle" not in get(client, "/")[1]


def test_tracking_parameters_share_the_cached_page(client: Client) -> None:
    for number in range(13):
        ArticleFactory(published_at=timezone.now() - dt.timedelta(days=number))
    assert get(client, "/blog/")[0] == "miss"
    assert get(client, "/blog/?fbclid=IwAR0abc&utm_source=facebook")[0] == "hit"
    assert get(client, "/blog/?utm_medium=email&utm_campaign=lettre")[0] == "hit"
    status, second = get(client, "/blog/?utm_source=x&page=2")
    assert status == "miss" and second.count('class="article-card"') == 1
    assert get(client, "/blog/?page=2&gclid=123")[0] == "hit"
    # Other parameters still make a page of their own.
    assert get(client, "/blog/?page=1")[0] == "miss"
