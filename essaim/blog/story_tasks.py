"""Background task of stories: take down stories whose consent ended, warn before it ends."""

from __future__ import annotations

from django_tasks import task


@task()
def story_consents_check() -> dict[str, int]:
    """Unpublish stories with an expired consent; warn the staff 14 days before an end date."""
    from .stories import story_consents_check as check

    result = check()
    return {"unpublished": len(result.unpublished), "warned": len(result.warned)}
