"""Former addresses of articles: which article an old slug now points to."""

from __future__ import annotations

from .models import Article, ArticleSlugRedirect


def article_for_old_slug(slug: str) -> Article | None:
    """Return the article that once lived at this address (any status), if any."""
    redirect = (
        ArticleSlugRedirect.objects.filter(slug=slug)
        .select_related("article", "article__category")
        .first()
    )
    return redirect.article if redirect is not None else None
