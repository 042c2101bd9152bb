"""The public blog pages: content, pagination, archives, redirects, head tags and JSON-LD."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from essaim.actions.models import Action, ActionStatus, ActionVisibility
from essaim.blog.models import ArticleSlugRedirect, PublicationStatus
from essaim.blog.seo import truncate_description
from essaim.circles.models import Circle, Visibility
from essaim.core.pagecache import bump
from essaim.core.selectors import organisation_get
from tests.blog.factories import (
    ArticleFactory,
    BlogImageFactory,
    CategoryFactory,
    StoryConsentFactory,
    StoryFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _site_origin(settings: Any) -> None:
    settings.SITE_ORIGIN = ORIGIN
    # The organisation row exists on any real site: query counts leave out its creation.
    organisation_get()


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def json_ld(html: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def ld_of_type(html: str, kind: str) -> dict[str, Any]:
    found = [item for item in json_ld(html) if item.get("@type") == kind]
    assert len(found) == 1, [item.get("@type") for item in json_ld(html)]
    return found[0]


def head_links(html: str, rel: str) -> list[str]:
    return re.findall(rf'<link rel="{rel}"[^>]*>', html)


def canonical(html: str) -> str:
    match = re.search(r'<link rel="canonical" href="([^"]+)">', html)
    assert match is not None
    return match.group(1)


def hreflangs(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)">', html))


def published(days_ago: float, **kwargs: Any) -> Any:
    moment = timezone.now() - dt.timedelta(days=days_ago)
    return ArticleFactory(published_at=moment, content_updated_at=moment, **kwargs)


# --- Home ----------------------------------------------------------------------------------


def test_home_shows_the_organisation_latest_articles_and_calls(client: Client) -> None:
    org = organisation_get()
    org.name = "Les Amis du Quartier"
    org.tagline = "Agir ensemble, près de chez vous"
    org.purpose = "Lutter contre l’isolement des personnes âgées."
    org.save()
    cache.clear()
    for number in range(8):
        published(number + 1, title=f"Nouvelle {number}")
    ArticleFactory(language="en", title="English only news")
    html = html_of(client.get("/"))
    assert "<h1" in html and html.count("<h1") == 1
    assert "Les Amis du Quartier" in html and "Agir ensemble, près de chez vous" in html
    assert "Lutter contre l’isolement" in html
    # Six newest, in the page's language only.
    assert all(f"Nouvelle {n}<" in html for n in range(6))
    assert "Nouvelle 6<" not in html and "English only news" not in html
    assert reverse("account_signup") in html
    # The seeded default giving page (giving/0003) is where "Soutenir l'association" leads.
    assert f'href="{reverse("blog:give")}"' in html
    assert 'name="csrfmiddlewaretoken"' not in html and "X-CSRFToken" not in html
    ngo = ld_of_type(html, "NGO")
    assert ngo["name"] == "Les Amis du Quartier"
    assert ngo["url"] == f"{ORIGIN}/"
    assert ngo["description"] == "Agir ensemble, près de chez vous"
    assert "sameAs" not in ngo


def test_home_links_the_institutional_site_when_set(client: Client) -> None:
    org = organisation_get()
    org.website_url = "https://asso.example/"
    org.city = "Lyon"
    org.address_line1 = "3 rue des Lilas"
    org.postal_code = "69003"
    org.save()
    cache.clear()
    html = html_of(client.get("/"))
    assert 'href="https://asso.example/"' in html
    assert "Soutenir l'association" in html
    ngo = ld_of_type(html, "NGO")
    assert ngo["sameAs"] == ["https://asso.example/"]
    assert ngo["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "3 rue des Lilas",
        "postalCode": "69003",
        "addressLocality": "Lyon",
        "addressCountry": "FR",
    }


def test_english_home_is_in_english_with_its_articles(client: Client) -> None:
    ArticleFactory(language="en", title="News from the street")
    ArticleFactory(language="fr", title="Nouvelles de la rue")
    html = html_of(client.get("/en/"))
    assert '<html lang="en">' in html
    assert "News from the street" in html and "Nouvelles de la rue" not in html
    assert canonical(html) == f"{ORIGIN}/en/"
    assert hreflangs(html) == {"fr": f"{ORIGIN}/", "en": f"{ORIGIN}/en/", "x-default": f"{ORIGIN}/"}


def test_signed_in_people_keep_their_member_home(client: Client, login_as: Any) -> None:
    client.force_login(login_as("member"))
    response = client.get("/")
    html = html_of(response)
    assert "Bonjour" in html
    assert "X-Essaim-Cache" not in response


def _circle(visibility: str = Visibility.PUBLIC) -> Circle:
    number = Circle.objects.count() + 1
    return Circle.objects.create(
        name=f"Cercle {number}", slug=f"cercle-{number}", visibility=visibility
    )


def _action(**fields: Any) -> Action:
    """An action written straight to the database (public and announced by default)."""
    start = fields.pop("start", timezone.now() + dt.timedelta(days=3))
    number = Action.objects.count() + 1
    defaults: dict[str, Any] = {
        "kind": "event",
        "title": f"Action {number}",
        "slug": f"action-{number}",
        "visibility": ActionVisibility.PUBLIC,
        "status": ActionStatus.PREPARING,
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3),
    }
    values = {**defaults, **fields}
    if "circle" not in values:
        values["circle"] = _circle()
    return Action.objects.create(**values)


def test_home_lists_upcoming_public_actions_soonest_first(client: Client) -> None:
    now = timezone.now()
    later = _action(title="Collecte de printemps", start=now + dt.timedelta(days=20))
    soon = _action(title="Maraude du mardi", start=now + dt.timedelta(days=2), city="Lille")
    running = _action(
        title="Festival en cours",
        status=ActionStatus.RUNNING,
        start=now - dt.timedelta(hours=1),
    )
    _action(title="Action passée", start=now - dt.timedelta(days=5))
    _action(title="Brouillon public", status=ActionStatus.DRAFT)
    _action(title="Réunion du cercle", visibility=ActionVisibility.CIRCLE)
    _action(title="Réservée aux membres", visibility=ActionVisibility.MEMBERS)
    _action(title="Action annulée", status=ActionStatus.CANCELLED)
    _action(title="Cercle secret", circle=_circle(Visibility.SECRET))
    for number in range(3):
        _action(title=f"Plus tard {number}", start=now + dt.timedelta(days=40 + number))
    html = html_of(client.get("/"))
    shown = [running.title, soon.title, later.title, "Plus tard 0"]
    positions = [html.index(title) for title in shown]
    assert positions == sorted(positions)
    for hidden in (
        "Action passée",
        "Brouillon public",
        "Réunion du cercle",
        "Réservée aux membres",
        "Action annulée",
        "Cercle secret",
        "Plus tard 1",
    ):
        assert hidden not in html, hidden
    assert reverse("public_actions:detail", kwargs={"slug": soon.slug}) in html
    assert "Lille" in html


def test_home_is_cached_no_longer_than_its_soonest_action_lasts(client: Client) -> None:
    ending = _action(
        title="Se termine bientôt",
        status=ActionStatus.RUNNING,
        start=timezone.now() - dt.timedelta(hours=1),
    )
    ending.ends_at = timezone.now() + dt.timedelta(seconds=1)
    ending.save()
    first = client.get("/")
    assert "Se termine bientôt" in html_of(first)
    # Kept one second at most: after that the page is built again, without the action.
    import time

    time.sleep(1.2)
    second = client.get("/")
    assert second["X-Essaim-Cache"] == "miss"
    assert "Se termine bientôt" not in html_of(second)


def test_home_query_count_does_not_grow_with_content(
    client: Client, django_assert_num_queries: Any
) -> None:
    category = CategoryFactory()
    published(1, category=category, cover=BlogImageFactory())
    _action()
    StoryConsentFactory(story=StoryFactory(cover=BlogImageFactory()))
    with django_assert_num_queries(HOME_QUERIES):
        html_of(client.get("/"))
    for number in range(10):
        published(number + 2, category=category, cover=BlogImageFactory())
        _action(start=timezone.now() + dt.timedelta(days=number + 4))
        StoryConsentFactory(story=StoryFactory(cover=BlogImageFactory()))
    bump("articles", "actions")  # a miss, the organisation still cached
    with django_assert_num_queries(HOME_QUERIES):
        html_of(client.get("/"))


# versions, articles, stories, actions, the default giving page (the organisation is cached)
HOME_QUERIES = 5


# --- Lists ---------------------------------------------------------------------------------


def test_index_paginates_twelve_a_page(client: Client) -> None:
    for number in range(14):
        published(number + 1, title=f"Billet {number:02d}")
    first = html_of(client.get("/blog/"))
    assert first.count('class="article-card"') == 12
    assert "Billet 00" in first and "Billet 11" in first and "Billet 12" not in first
    assert canonical(first) == f"{ORIGIN}/blog/"
    assert 'href="/blog/?page=2" rel="next"' in first
    second = html_of(client.get("/blog/?page=2"))
    assert second.count('class="article-card"') == 2
    assert "Billet 12" in second and "Billet 13" in second
    assert canonical(second) == f"{ORIGIN}/blog/?page=2"
    assert hreflangs(second)["en"] == f"{ORIGIN}/en/blog/?page=2"
    assert 'href="/blog/" rel="prev"' in second
    assert "noindex" not in second
    # Page 1 named explicitly is the same page, canonical without ?page.
    assert canonical(html_of(client.get("/blog/?page=1"))) == f"{ORIGIN}/blog/"
    for bad in ("3", "0", "-1", "deux", ""):
        assert client.get(f"/blog/?page={bad}").status_code == 404, bad


def test_index_of_an_empty_blog_says_so(client: Client) -> None:
    html = html_of(client.get("/blog/"))
    assert "Aucun article publié pour l&#x27;instant." in html


def test_index_query_count_does_not_grow_with_articles(
    client: Client, django_assert_num_queries: Any
) -> None:
    def make(count: int, start: int) -> None:
        for number in range(count):
            category = CategoryFactory(slug=f"rubrique-{(start + number) % 4}")
            tag = TagFactory(slug=f"mot-{(start + number) % 5}")
            published(start + number + 1, category=category, tags=[tag], cover=BlogImageFactory())

    make(2, 0)
    with django_assert_num_queries(LIST_QUERIES + SIDEBAR_QUERIES):
        html_of(client.get("/blog/"))
    make(30, 40)
    bump("articles")
    with django_assert_num_queries(LIST_QUERIES + SIDEBAR_QUERIES):
        html_of(client.get("/blog/"))
    # The side navigation is computed once per version of the articles, for every list.
    with django_assert_num_queries(LIST_QUERIES):
        html_of(client.get("/blog/?page=2"))
    category_url = reverse("blog:category", kwargs={"slug": "rubrique-1"})
    tag_url = reverse("blog:tag", kwargs={"slug": "mot-1"})
    with django_assert_num_queries(LIST_QUERIES + 1):  # + the category itself
        html_of(client.get(category_url))
    with django_assert_num_queries(LIST_QUERIES + 1):  # + the tag itself
        html_of(client.get(tag_url))
    moment = timezone.localtime(timezone.now() - dt.timedelta(days=50))
    with django_assert_num_queries(LIST_QUERIES):
        html_of(client.get(f"/blog/archives/{moment.year}/{moment.month}/"))


# versions, count, page
LIST_QUERIES = 3
# categories, tags, archive months (once per version of "articles")
SIDEBAR_QUERIES = 3


def test_side_navigation_follows_the_articles(client: Client, admin_user: Any) -> None:
    from essaim.blog.services import article_unpublish

    news = CategoryFactory(slug="actualites", name="Actualités")
    tag = TagFactory(slug="jardin", name="jardin")
    article = published(1, category=news, tags=[tag])
    html = html_of(client.get("/blog/"))
    assert 'href="/blog/categorie/actualites/"' in html and 'href="/blog/etiquette/jardin/"' in html
    article_unpublish(actor=admin_user, article=article, reason="Doublon")
    html = html_of(client.get("/blog/?page=1"))
    assert "actualites" not in html and "jardin" not in html
    assert "/blog/archives/" not in html


def test_category_page_lists_its_articles_and_advertises_its_feeds(client: Client) -> None:
    news = CategoryFactory(slug="actualites", name="Actualités", description="Ce qui bouge.")
    other = CategoryFactory(slug="portraits", name="Portraits")
    published(1, title="Dans la rubrique", category=news)
    published(2, title="Ailleurs", category=other)
    published(3, title="In English", category=news, language="en")
    html = html_of(client.get("/blog/categorie/actualites/"))
    assert "Dans la rubrique" in html and "Ailleurs" not in html and "In English" not in html
    assert "<h1>Actualités" in html and "Ce qui bouge." in html
    assert canonical(html) == f"{ORIGIN}/blog/categorie/actualites/"
    feeds = head_links(html, "alternate")
    assert any("/blog/categorie/actualites/flux.rss" in link for link in feeds)
    assert any("/blog/flux.atom" in link for link in feeds)
    crumbs = ld_of_type(html, "BreadcrumbList")["itemListElement"]
    assert [item["name"] for item in crumbs] == ["Accueil", "Blog", "Actualités"]
    assert crumbs[-1]["item"] == f"{ORIGIN}/blog/categorie/actualites/"
    # The side list counts published articles of the language only.
    assert re.search(r"Actualités</a> <span class=\"muted\">\(1\)</span>", html)


def test_tag_page_lists_articles_with_the_tag(client: Client) -> None:
    tag = TagFactory(slug="jardin", name="jardin")
    published(1, title="Au jardin partagé", tags=[tag])
    published(2, title="Sans étiquette")
    html = html_of(client.get("/blog/etiquette/jardin/"))
    assert "Au jardin partagé" in html and "Sans étiquette" not in html
    assert "Étiquette : jardin" in html


def test_archive_counts_months_in_paris_time(client: Client) -> None:
    paris = timezone.get_default_timezone()
    # 31 October 23:30 UTC is already 1 November in Paris.
    ArticleFactory(published_at=dt.datetime(2025, 10, 31, 23, 30, tzinfo=dt.UTC), title="Minuit")
    ArticleFactory(published_at=dt.datetime(2025, 11, 15, 12, tzinfo=paris), title="Mi-novembre")
    ArticleFactory(published_at=dt.datetime(2025, 10, 10, 12, tzinfo=paris), title="Octobre")
    ArticleFactory(
        published_at=dt.datetime(2025, 10, 11, 12, tzinfo=paris),
        title="Retiré",
        status=PublicationStatus.UNPUBLISHED,
    )
    html = html_of(client.get("/blog/"))
    assert re.search(r'href="/blog/archives/2025/11/">Novembre 2025</a> <span[^>]*>\(2\)', html)
    assert re.search(r'href="/blog/archives/2025/10/">Octobre 2025</a> <span[^>]*>\(1\)', html)
    november = html_of(client.get("/blog/archives/2025/11/"))
    assert "<h1>Novembre 2025" in november
    assert "Minuit" in november and "Mi-novembre" in november and "Octobre<" not in november
    october = html_of(client.get("/blog/archives/2025/10/"))
    assert "Octobre" in october and "Minuit" not in october and "Retiré" not in october
    empty = html_of(client.get("/blog/archives/2024/2/"))
    assert "Aucun article publié ce mois-là." in empty


# --- Article -------------------------------------------------------------------------------


def test_article_page_shows_the_article(client: Client) -> None:
    category = CategoryFactory(slug="actualites", name="Actualités")
    tag = TagFactory(slug="solidarite", name="solidarité")
    cover = BlogImageFactory(alt_text="Trois bénévoles devant le local")
    article = ArticleFactory(
        title="La maraude a un an",
        slug="la-maraude-a-un-an",
        summary="Un an de rencontres.",
        body="Premier paragraphe.\n\n## Ce qui a changé\n\nBeaucoup de choses.",
        body_html="<p>Premier paragraphe.</p><h2>Ce qui a changé</h2><p>Beaucoup.</p>",
        author_name="Claire Martin",
        category=category,
        tags=[tag],
        cover=cover,
    )
    html = html_of(client.get("/blog/la-maraude-a-un-an/"))
    assert html.count("<h1") == 1 and "La maraude a un an</h1>" in html
    assert "Par Claire Martin" in html
    moment = timezone.localtime(article.published_at).strftime("%Y-%m-%dT%H:%M:%S%z")
    assert f'<time datetime="{moment}">' in html  # no microseconds: valid HTML
    assert "<h2>Ce qui a changé</h2>" in html
    assert 'alt="Trois bénévoles devant le local"' in html
    assert 'loading="eager"' in html and 'fetchpriority="high"' in html
    assert 'href="/blog/etiquette/solidarite/"' in html
    assert re.search(r'<nav class="breadcrumbs" aria-label="[^"]+">', html)
    assert "facebook.com/sharer/sharer.php?u=http%3A%2F%2F127.0.0.1%3A8000%2Fblog%2F" in html
    # Share links are plain links: no third-party script.
    assert not re.search(r'<script[^>]+src="https?://', html)
    assert 'name="csrfmiddlewaretoken"' not in html


def test_article_head_and_json_ld(client: Client) -> None:
    category = CategoryFactory(slug="actualites", name="Actualités")
    cover = BlogImageFactory(alt_text="Le local associatif")
    article = ArticleFactory(
        title="Bilan de l'hiver",
        slug="bilan-de-l-hiver",
        summary="Tout ce que nous avons fait. " * 12,
        author_name="Claire Martin",
        category=category,
        cover=cover,
        tags=[TagFactory(name="hiver"), TagFactory(name="bilan")],
    )
    url = f"{ORIGIN}/blog/bilan-de-l-hiver/"
    html = html_of(client.get("/blog/bilan-de-l-hiver/"))
    org = organisation_get()
    assert f"<title>Bilan de l&#x27;hiver · {org.display_name}</title>" in html
    description = truncate_description(article.summary)
    assert len(description) <= 160 and description.endswith("…")
    assert f'<meta name="description" content="{description}">' in html
    assert canonical(html) == url
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:image" content="{ORIGIN}/' in html
    assert '<meta property="og:image:alt" content="Le local associatif">' in html
    assert 'property="article:published_time"' in html
    assert hreflangs(html) == {}  # no translation
    posting = ld_of_type(html, "BlogPosting")
    assert posting["headline"] == "Bilan de l'hiver"
    assert posting["description"] == description
    assert posting["url"] == url
    assert posting["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert posting["inLanguage"] == "fr"
    assert posting["author"] == {"@type": "Person", "name": "Claire Martin"}
    assert posting["publisher"]["@type"] == "Organization"
    assert posting["publisher"]["name"] == org.name
    assert posting["image"][0].startswith(f"{ORIGIN}/media/blog/")
    assert dt.datetime.fromisoformat(posting["datePublished"]) == article.published_at
    assert dt.datetime.fromisoformat(posting["dateModified"]) == article.content_updated_at
    assert posting["articleSection"] == "Actualités"
    assert posting["keywords"] == "bilan, hiver"
    crumbs = ld_of_type(html, "BreadcrumbList")["itemListElement"]
    assert [(item["position"], item["name"]) for item in crumbs] == [
        (1, "Accueil"),
        (2, "Blog"),
        (3, "Actualités"),
        (4, "Bilan de l'hiver"),
    ]
    assert crumbs[-1]["item"] == url


def test_article_seo_fields_win_over_defaults(client: Client) -> None:
    social = BlogImageFactory(alt_text="Affiche de la fête")
    ArticleFactory(
        slug="fete",
        title="Fête de quartier",
        seo_title="La fête du quartier Saint-Michel 2026",
        meta_description="Rendez-vous le 21 juin place Saint-Michel.",
        canonical_url="https://journal.example/fete",
        noindex=True,
        social_image=social,
        cover=BlogImageFactory(alt_text="Couverture"),
    )
    html = html_of(client.get("/blog/fete/"))
    assert "<title>La fête du quartier Saint-Michel 2026</title>" in html
    assert 'content="Rendez-vous le 21 juin place Saint-Michel."' in html
    assert canonical(html) == "https://journal.example/fete"
    assert '<meta name="robots" content="noindex">' in html
    assert '<meta property="og:image:alt" content="Affiche de la fête">' in html
    assert social.file.name.rsplit("/", 1)[-1] in ld_of_type(html, "BlogPosting")["image"][0]


def test_article_without_author_name_is_by_the_organisation(client: Client) -> None:
    ArticleFactory(slug="sans-signature", author_name="")
    html = html_of(client.get("/blog/sans-signature/"))
    author = ld_of_type(html, "BlogPosting")["author"]
    assert author["@type"] == "Organization"
    assert author["name"] == organisation_get().name


def test_hreflang_lists_published_translations_in_both_directions(client: Client) -> None:
    french = ArticleFactory(slug="rentree", language="fr")
    english = ArticleFactory(slug="back-to-school", language="en", translation_of=french)
    ArticleFactory(
        slug="brouillon-en", language="en", translation_of=french, status=PublicationStatus.DRAFT
    )
    expected = {
        "fr": f"{ORIGIN}/blog/rentree/",
        "en": f"{ORIGIN}/en/blog/back-to-school/",
        "x-default": f"{ORIGIN}/blog/rentree/",
    }
    assert hreflangs(html_of(client.get("/blog/rentree/"))) == expected
    english_html = html_of(client.get("/en/blog/back-to-school/"))
    assert hreflangs(english_html) == expected
    # The header offers the other language's version.
    assert 'href="http://127.0.0.1:8000/blog/rentree/" hreflang="fr" lang="fr"' in english_html
    english.status = PublicationStatus.UNPUBLISHED
    english.save()
    cache.clear()
    assert hreflangs(html_of(client.get("/blog/rentree/"))) == {}


def test_old_slug_redirects_permanently(client: Client) -> None:
    article = ArticleFactory(slug="nouvelle-adresse")
    ArticleSlugRedirect.objects.create(slug="ancienne-adresse", article=article)
    response = client.get("/blog/ancienne-adresse/")
    assert response.status_code == 301
    assert response["Location"] == "/blog/nouvelle-adresse/"
    english = ArticleFactory(slug="new-address", language="en")
    ArticleSlugRedirect.objects.create(slug="old-address", article=english)
    response = client.get("/blog/old-address/")
    assert response.status_code == 301
    assert response["Location"] == "/en/blog/new-address/"


def test_old_slug_of_an_unpublished_article_is_404(client: Client) -> None:
    article = ArticleFactory(slug="retire", status=PublicationStatus.UNPUBLISHED)
    ArticleSlugRedirect.objects.create(slug="retire-avant", article=article)
    assert client.get("/blog/retire-avant/").status_code == 404


def test_article_in_the_other_language_redirects_to_its_address(client: Client) -> None:
    ArticleFactory(slug="in-english", language="en")
    ArticleFactory(slug="en-francais", language="fr")
    response = client.get("/blog/in-english/")
    assert response.status_code == 301 and response["Location"] == "/en/blog/in-english/"
    response = client.get("/en/blog/en-francais/")
    assert response.status_code == 301 and response["Location"] == "/blog/en-francais/"


def test_related_and_neighbour_articles(client: Client) -> None:
    category = CategoryFactory(slug="portraits", name="Portraits")
    older = published(5, title="Le plus ancien", category=category)
    current = published(4, title="Celui du milieu", slug="milieu", category=category)
    newer = published(3, title="Le plus récent", category=category)
    for number in range(3):
        published(10 + number, title=f"Autre portrait {number}", category=category)
    published(1, title="Autre rubrique")
    published(2, title="English one", language="en", category=category)
    html = html_of(client.get("/blog/milieu/"))
    related = html.split('id="related-title"', 1)[1].split("</section>", 1)[0]
    assert related.count('class="article-card"') == 3
    assert "Autre rubrique" not in related and "English one" not in related
    assert "Celui du milieu" not in related
    nav = html.split('class="post-nav"', 1)[1]
    assert f'href="/blog/{older.slug}/" rel="prev"' in nav
    assert f'href="/blog/{newer.slug}/" rel="next"' in nav
    assert current.slug == "milieu"


def test_article_query_count_is_fixed(client: Client, django_assert_num_queries: Any) -> None:
    category = CategoryFactory()
    tags = [TagFactory() for _ in range(4)]
    article = published(2, category=category, tags=tags, cover=BlogImageFactory())
    for number in range(6):
        published(3 + number, category=category, cover=BlogImageFactory())
    url = f"/blog/{article.slug}/"
    # versions, article, tags, translations, related, older, newer
    with django_assert_num_queries(7):
        html_of(client.get(url))
    with django_assert_num_queries(1):
        assert client.get(url)["X-Essaim-Cache"] == "hit"


# --- Public actions: Event JSON-LD ---------------------------------------------------------


def test_public_action_page_carries_event_json_ld(client: Client) -> None:
    action = _action(
        title="Grande collecte",
        summary="Collecte de denrées au marché.",
        place_name="Marché couvert",
        address="1 place du Marché",
        postal_code="59000",
        city="Lille",
    )
    html = html_of(client.get(reverse("public_actions:detail", kwargs={"slug": action.slug})))
    event = ld_of_type(html, "Event")
    assert event["name"] == "Grande collecte"
    assert event["description"] == "Collecte de denrées au marché."
    assert dt.datetime.fromisoformat(event["startDate"]) == action.starts_at
    assert dt.datetime.fromisoformat(event["endDate"]) == action.ends_at
    assert event["eventStatus"] == "https://schema.org/EventScheduled"
    assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert event["location"]["@type"] == "Place"
    assert event["location"]["name"] == "Marché couvert"
    assert event["location"]["address"]["addressLocality"] == "Lille"
    assert event["organizer"]["name"] == organisation_get().name
    assert event["url"].endswith(f"/agir/{action.slug}/")


def test_online_and_cancelled_actions_say_so_in_json_ld(client: Client) -> None:
    online = _action(title="Webinaire", online_url="https://visio.example/salle")
    html = html_of(client.get(reverse("public_actions:detail", kwargs={"slug": online.slug})))
    event = ld_of_type(html, "Event")
    assert event["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert event["location"] == {"@type": "VirtualLocation", "url": "https://visio.example/salle"}
    mixed = _action(title="Mixte", city="Paris", online_url="https://visio.example/b")
    html = html_of(client.get(reverse("public_actions:detail", kwargs={"slug": mixed.slug})))
    event = ld_of_type(html, "Event")
    assert event["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert [place["@type"] for place in event["location"]] == ["Place", "VirtualLocation"]
    cancelled = _action(title="Annulée", status=ActionStatus.CANCELLED, city="Paris")
    html = html_of(client.get(reverse("public_actions:detail", kwargs={"slug": cancelled.slug})))
    assert ld_of_type(html, "Event")["eventStatus"] == "https://schema.org/EventCancelled"


def test_the_public_home_language_comes_from_the_address_only(client: Client) -> None:
    # A visitor who chose English elsewhere (language switch on the login page) still gets
    # the French home at / (one page per address), with the English one linked.
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = html_of(client.get("/"))
    assert '<html lang="fr">' in html
    assert 'href="http://127.0.0.1:8000/en/" hreflang="en" lang="en">English</a>' in html
    assert '<html lang="en">' in html_of(client.get("/en/"))


def test_only_the_first_card_picture_loads_at_once(client: Client) -> None:
    for number in range(3):
        published(number + 1, cover=BlogImageFactory())
    for url in ("/", "/blog/"):
        html = html_of(client.get(url))
        cards = html.split('class="article-card"')[1:]
        assert len(cards) == 3
        assert 'loading="eager"' in cards[0].split("</article>")[0]
        assert all('loading="lazy"' in card.split("</article>")[0] for card in cards[1:])


def test_signed_in_navigation_links_the_public_site(client: Client, login_as: Any) -> None:
    client.force_login(login_as("member"))
    html = html_of(client.get(reverse("practices:list")))
    assert '<a href="/blog/">Site public</a>' in html
