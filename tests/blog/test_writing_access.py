"""Role matrix of the writing pages (/redaction/): communication and administrators only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from essaim.blog.models import PublicationStatus
from tests.access import ROLES, Route, assert_access
from tests.blog.factories import ArticleFactory, CategoryFactory, jpeg_bytes

pytestmark = pytest.mark.django_db

WRITERS = frozenset({"communication", "admin"})


def _article() -> dict[str, Any]:
    return {"pk": ArticleFactory(status=PublicationStatus.DRAFT).pk}


def _scheduled() -> dict[str, Any]:
    return {"pk": ArticleFactory(status=PublicationStatus.SCHEDULED).pk}


def _published() -> dict[str, Any]:
    return {"pk": ArticleFactory().pk}


def _revision() -> dict[str, Any]:
    from essaim.blog.services import article_create

    article = article_create(actor=None, data={"title": "Une version", "body": "Texte"})
    return {"pk": article.pk, "revision_id": article.revisions.get().pk}


def _image() -> dict[str, Any]:
    from tests.blog.factories import BlogImageFactory

    return {"pk": BlogImageFactory().pk}


def _category() -> dict[str, Any]:
    return {"pk": CategoryFactory().pk}


def _article_data() -> dict[str, Any]:
    return {"title": "Nouvel article", "body": "Du texte.", "language": "fr"}


def _schedule_data() -> dict[str, Any]:
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2))
    return {"publish_at": when.strftime("%Y-%m-%dT%H:%M")}


def _image_data() -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("photo.jpg", jpeg_bytes(), content_type="image/jpeg"),
        "alt_text": "Une photo",
    }


ROUTES = [
    Route("writing:dashboard", allowed=WRITERS),
    Route("writing:dashboard", allowed=WRITERS, query="etat=draft&q=article"),
    Route("writing:article_create", allowed=WRITERS),
    Route("writing:article_create", allowed=WRITERS, method="post", data=_article_data, ok=(302,)),
    Route("writing:preview", allowed=WRITERS, method="post", data=lambda: {"body": "**Gras**"}),
    Route("writing:article_edit", allowed=WRITERS, kwargs=_article),
    Route(
        "writing:article_edit",
        allowed=WRITERS,
        kwargs=_article,
        method="post",
        data=_article_data,
        ok=(302,),
    ),
    Route("writing:article_preview", allowed=WRITERS, kwargs=_article),
    Route("writing:article_publish", allowed=WRITERS, kwargs=_article, method="post", ok=(302,)),
    Route(
        "writing:article_schedule",
        allowed=WRITERS,
        kwargs=_article,
        method="post",
        data=_schedule_data,
        ok=(302,),
    ),
    Route("writing:article_unpublish", allowed=WRITERS, kwargs=_published),
    Route(
        "writing:article_unpublish",
        allowed=WRITERS,
        kwargs=_published,
        method="post",
        data=lambda: {"reason": "Chiffres à revoir"},
        ok=(302,),
    ),
    Route("writing:article_draft", allowed=WRITERS, kwargs=_scheduled, method="post", ok=(302,)),
    Route("writing:article_revisions", allowed=WRITERS, kwargs=_article),
    Route("writing:revision_detail", allowed=WRITERS, kwargs=_revision),
    Route("writing:revision_restore", allowed=WRITERS, kwargs=_revision, method="post", ok=(302,)),
    Route("writing:image_library", allowed=WRITERS),
    Route("writing:image_library", allowed=WRITERS, method="post", data=_image_data, ok=(302,)),
    Route("writing:image_edit", allowed=WRITERS, kwargs=_image),
    Route(
        "writing:image_edit",
        allowed=WRITERS,
        kwargs=_image,
        method="post",
        data=lambda: {"alt_text": "Une autre description"},
        ok=(302,),
    ),
    Route("writing:image_delete", allowed=WRITERS, kwargs=_image),
    Route("writing:image_delete", allowed=WRITERS, kwargs=_image, method="post", ok=(302,)),
    Route("writing:category_list", allowed=WRITERS),
    Route(
        "writing:category_list",
        allowed=WRITERS,
        method="post",
        data=lambda: {"name": "Nouvelle catégorie"},
        ok=(302,),
    ),
    Route("writing:category_edit", allowed=WRITERS, kwargs=_category),
    Route(
        "writing:category_edit",
        allowed=WRITERS,
        kwargs=_category,
        method="post",
        data=lambda: {"name": "Renommée"},
        ok=(302,),
    ),
    Route("writing:category_delete", allowed=WRITERS, kwargs=_category),
    Route("writing:category_delete", allowed=WRITERS, kwargs=_category, method="post", ok=(302,)),
]


@pytest.mark.parametrize("route", ROUTES, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_writing_access(client, login_as, route, role):
    assert_access(client, route, role, login_as)
