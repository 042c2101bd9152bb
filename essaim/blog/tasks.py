"""Background tasks of the blog: image variants, scheduled publication."""

from __future__ import annotations

from django_tasks import task


@task()
def blog_image_variants(image_id: int) -> int:
    """Make the responsive variants of an uploaded image; return how many were written."""
    from .services import image_variants_make

    return image_variants_make(image_id=image_id)


@task()
def articles_publish_due_task() -> int:
    """Publish the scheduled articles whose time has come; return how many."""
    from .services import articles_publish_due

    return articles_publish_due()
