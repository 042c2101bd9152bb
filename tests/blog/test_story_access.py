"""Role matrix of stories and fixed pages: public pages (/ and /en/) and staff pages.

Public: every role gets 200 for a public story and the fixed pages; a story that is not
public (draft, unpublished, without consent…) is 404 for every role. Staff pages under
/redaction/: only blog.write (communication and admin); anonymous visitors go to login.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from essaim.blog.models import PublicationStatus
from tests.access import EVERYONE, ROLES, Route, assert_access
from tests.blog.factories import StoryConsentFactory, StoryFactory

pytestmark = pytest.mark.django_db

WRITERS = frozenset({"communication", "admin"})
LANGUAGE_OF = {"blog": "fr", "blog_en": "en"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _public_story(namespace: str) -> Any:
    def kwargs() -> dict[str, Any]:
        consent = StoryConsentFactory(story__language=LANGUAGE_OF[namespace])
        return {"slug": consent.story.slug}

    return kwargs


def _story() -> dict[str, Any]:
    return {"story_id": StoryConsentFactory(story__status=PublicationStatus.DRAFT).story_id}


def _published_story() -> dict[str, Any]:
    return {"story_id": StoryConsentFactory().story_id}


def _consent() -> dict[str, Any]:
    return {"consent_id": StoryConsentFactory().pk}


def _consent_with_document() -> dict[str, Any]:
    consent = StoryConsentFactory()
    consent.document.save("signe.pdf", ContentFile(PDF))
    return {"consent_id": consent.pk}


def _new_story() -> dict[str, Any]:
    return {
        "subject": "Karim, 52 ans",
        "title": "Karim retrouve du travail",
        "situation": "Au chômage depuis deux ans.",
        "what_happened": "Des ateliers CV chaque mardi.",
        "what_changed": "Un contrat signé en mars.",
        "call_to_action": "volunteer",
        "language": "fr",
    }


def _consent_data() -> dict[str, Any]:
    return {
        "featured_name": "Karim",
        "given_by": "Karim",
        "given_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "uses": ["blog"],
        "image_rights": "photo",
    }


PUBLIC_ROUTES = [
    route
    for namespace in ("blog", "blog_en")
    for route in (
        Route(f"{namespace}:stories", EVERYONE),
        Route(f"{namespace}:stories", EVERYONE, query="page=1"),
        Route(f"{namespace}:story", EVERYONE, kwargs=_public_story(namespace)),
        Route(f"{namespace}:about", EVERYONE),
        Route(f"{namespace}:legal", EVERYONE),
        Route(f"{namespace}:privacy", EVERYONE),
    )
]

STAFF_ROUTES = [
    Route("site_admin:story_list", WRITERS),
    Route("site_admin:story_list", WRITERS, query="etat=published&page=1"),
    Route("site_admin:story_create", WRITERS),
    Route("site_admin:story_create", WRITERS, method="post", data=_new_story, ok=(302,)),
    Route("site_admin:story_detail", WRITERS, kwargs=_story),
    Route("site_admin:story_edit", WRITERS, kwargs=_story),
    Route("site_admin:story_preview", WRITERS, kwargs=_story),
    Route("site_admin:story_publish", WRITERS, kwargs=_story, method="post", ok=(302,)),
    Route("site_admin:story_unpublish", WRITERS, kwargs=_published_story),
    Route(
        "site_admin:story_unpublish",
        WRITERS,
        kwargs=_published_story,
        method="post",
        data=lambda: {"reason": "Texte à revoir"},
        ok=(302,),
    ),
    Route("site_admin:consent_add", WRITERS, kwargs=_story),
    Route(
        "site_admin:consent_add",
        WRITERS,
        kwargs=_story,
        method="post",
        data=_consent_data,
        ok=(302,),
    ),
    Route("site_admin:consent_renew", WRITERS, kwargs=_consent),
    Route("site_admin:consent_withdraw", WRITERS, kwargs=_consent),
    Route(
        "site_admin:consent_withdraw",
        WRITERS,
        kwargs=_consent,
        method="post",
        data=lambda: {"note": "Appel du 3 mars"},
        ok=(302,),
    ),
    Route("site_admin:consent_document", WRITERS, kwargs=_consent_with_document),
    Route("site_admin:page_list", WRITERS),
    Route("site_admin:page_edit", WRITERS, kwargs=lambda: {"kind": "legal", "language": "fr"}),
    Route(
        "site_admin:page_edit",
        WRITERS,
        kwargs=lambda: {"kind": "about", "language": "en"},
        method="post",
        data=lambda: {"title": "About us", "body": "We help."},
        ok=(302,),
    ),
    Route(
        "site_admin:page_reset",
        WRITERS,
        kwargs=lambda: {"kind": "about", "language": "fr"},
        method="post",
        ok=(302,),
    ),
]

ROUTES = PUBLIC_ROUTES + STAFF_ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_access(client: Client, login_as: Any, route: Route, role: str) -> None:
    assert_access(client, route, role, login_as)


def _hidden_stories(language: str) -> dict[str, Any]:
    today = dt.date.today()
    hidden = {
        "draft": StoryConsentFactory(story__status=PublicationStatus.DRAFT).story,
        "unpublished": StoryConsentFactory(story__status=PublicationStatus.UNPUBLISHED).story,
        "no consent": StoryFactory(),
        "blog not allowed": StoryConsentFactory(uses=["giving", "social"]).story,
        "expired": StoryConsentFactory(valid_until=today - dt.timedelta(days=1)).story,
    }
    withdrawn = StoryConsentFactory()
    withdrawn.withdrawn_at = withdrawn.created_at
    withdrawn.save()
    hidden["withdrawn"] = withdrawn.story
    for story in hidden.values():
        story.language = language
        story.title = f"Caché : {story.slug}"
        story.save()
    return hidden


@pytest.mark.parametrize("namespace", ["blog", "blog_en"])
@pytest.mark.parametrize("role", ROLES)
def test_stories_not_public_are_404_for_everyone(
    client: Client, login_as: Any, namespace: str, role: str
) -> None:
    hidden = _hidden_stories(LANGUAGE_OF[namespace])
    user = login_as(role)
    if user is not None:
        client.force_login(user)
    for why, story in hidden.items():
        response = client.get(reverse(f"{namespace}:story", kwargs={"slug": story.slug}))
        assert response.status_code == 404, why
    listing = client.get(reverse(f"{namespace}:stories")).content.decode()
    assert "Caché" not in listing


def test_a_story_is_only_public_in_its_own_language(client: Client) -> None:
    story = StoryConsentFactory(story__language="fr").story
    assert client.get(reverse("blog:story", kwargs={"slug": story.slug})).status_code == 200
    assert client.get(reverse("blog_en:story", kwargs={"slug": story.slug})).status_code == 404


def test_document_of_a_consent_without_one_is_404(client: Client, login_as: Any) -> None:
    client.force_login(login_as("communication"))
    consent = StoryConsentFactory()
    url = reverse("site_admin:consent_document", kwargs={"consent_id": consent.pk})
    assert client.get(url).status_code == 404


def test_unknown_page_kind_or_language_is_404(client: Client, login_as: Any) -> None:
    client.force_login(login_as("admin"))
    for kind, language in (("cgv", "fr"), ("legal", "de")):
        url = reverse("site_admin:page_edit", kwargs={"kind": kind, "language": language})
        assert client.get(url).status_code == 404
