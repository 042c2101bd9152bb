"""Background task of the evaluation: the feedback survey after an action is done."""

from __future__ import annotations

from django_tasks import task


@task()
def feedback_surveys_send() -> int:
    """Email the feedback survey of every done action not yet surveyed (one batched run)."""
    from .evaluation import feedback_surveys_dispatch

    return feedback_surveys_dispatch()
