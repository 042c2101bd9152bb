"""The periodic jobs of Essaim and when they run (Europe/Paris wall-clock time).

`manage.py scheduler` runs them in a long-lived loop; `manage.py run_periodic <job>`
runs one now, for cron or a systemd timer. A job only enqueues a task: the work itself
happens in the task worker. Enqueuing a digest twice sends nothing twice (the digest
claims its items), so a restart around 07:00 is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Job:
    name: str
    at: time
    # Monday = 0 … Sunday = 6; None means every day.
    weekday: int | None
    run: Callable[[], object]
    # Hourly jobs run every hour at `at.minute` (their hour and weekday are ignored).
    hourly: bool = False
    # Jobs run every `every_minutes` minutes (a divisor of 60), from `at.minute` past the hour.
    every_minutes: int = 0

    def next_run(self, after: datetime) -> datetime:
        """Return the first run time strictly after `after` (an aware datetime)."""
        local = after.astimezone(PARIS)
        if self.every_minutes:
            step = timedelta(minutes=self.every_minutes)
            utc = after.astimezone(UTC)
            start = utc.replace(minute=self.at.minute % self.every_minutes, second=0, microsecond=0)
            if start > utc:
                return start
            return start + ((utc - start) // step + 1) * step
        if self.hourly:
            # Counted in UTC: an hour is an hour, whatever daylight saving does to the wall clock.
            utc = after.astimezone(UTC).replace(minute=self.at.minute, second=0, microsecond=0)
            return utc if utc > after else utc + timedelta(hours=1)
        day = local.date()
        for offset in range(8):
            candidate_day = day + timedelta(days=offset)
            if self.weekday is not None and candidate_day.weekday() != self.weekday:
                continue
            # Building from the wall-clock time keeps 07:00 across daylight-saving changes.
            candidate = datetime.combine(candidate_day, self.at, tzinfo=PARIS)
            if candidate > local:
                return candidate
        raise AssertionError("unreachable: a week always holds the weekday")


def _enqueue_digest(period: str) -> Callable[[], object]:
    def run() -> object:
        from .tasks import digest_send

        return digest_send.enqueue(period)

    return run


def _enqueue_mission_reminders() -> object:
    from essaim.actions.tasks import mission_reminders

    return mission_reminders.enqueue()


def _enqueue_feedback_surveys() -> object:
    from essaim.actions.tasks_evaluation import feedback_surveys_send

    return feedback_surveys_send.enqueue()


def _enqueue_thread_fan_out_catch_up() -> object:
    from essaim.circles.discussion_tasks import thread_fan_out_catch_up

    return thread_fan_out_catch_up.enqueue()


def _enqueue_email_retries() -> object:
    from .tasks import notifications_email_retry

    return notifications_email_retry.enqueue()


def _enqueue_articles_publish_due() -> object:
    from essaim.blog.services import articles_are_due
    from essaim.blog.tasks import articles_publish_due_task

    # Every minute: enqueue only when an article is due (one indexed query), so the task
    # table does not gain 1,440 empty runs a day.
    if not articles_are_due():
        return None
    return articles_publish_due_task.enqueue()


def _enqueue_story_consents_check() -> object:
    from essaim.blog.story_tasks import story_consents_check

    return story_consents_check.enqueue()


def _enqueue_invitations_retry() -> object:
    from essaim.referrals.invitations import invitations_due_for_retry
    from essaim.referrals.tasks import invitations_retry

    # Every 15 minutes, but a task only when an invitation is due (one indexed query).
    if not invitations_due_for_retry():
        return None
    return invitations_retry.enqueue()


def _enqueue_invitations_expire() -> object:
    from essaim.referrals.tasks import invitations_expire

    return invitations_expire.enqueue()


def _enqueue_network_tally_check() -> object:
    from essaim.referrals.tasks import network_tally_check

    return network_tally_check.enqueue()


def _enqueue_giving_recurring_charge() -> object:
    from essaim.giving.tasks import giving_recurring_charge

    return giving_recurring_charge.enqueue()


def _enqueue_giving_abandoned_checkouts() -> object:
    from essaim.giving.tasks import giving_abandoned_checkouts

    return giving_abandoned_checkouts.enqueue()


JOBS: dict[str, Job] = {
    "daily": Job("daily", time(7, 0), None, _enqueue_digest("daily")),
    "weekly": Job("weekly", time(7, 0), 0, _enqueue_digest("weekly")),
    # Immediate emails that failed (mail server down): one batched task every 5 minutes,
    # at :02, :07… so that it never lands on the digests' 07:00.
    "email_retries": Job(
        "email_retries", time(0, 2), None, _enqueue_email_retries, every_minutes=5
    ),
    # Feedback survey after an action is done: one batched task per hour (issue #4, evaluate).
    "feedback_surveys": Job("feedback_surveys", time(0, 20), None, _enqueue_feedback_surveys, True),
    # Day-before emails of volunteer missions (starting in 24 to 36 hours), hourly (issue #4).
    "mission_reminders": Job(
        "mission_reminders", time(0, 40), None, _enqueue_mission_reminders, hourly=True
    ),
    # New threads whose notification task was lost (queue down when posted), hourly.
    "thread_fan_out_catch_up": Job(
        "thread_fan_out_catch_up", time(0, 50), None, _enqueue_thread_fan_out_catch_up, hourly=True
    ),
    # Stories whose consent ended are unpublished (public pages already hide them at
    # midnight by date); consents ending within 14 days are announced once. Hourly, at :05.
    "story_consents_check": Job(
        "story_consents_check", time(0, 5), None, _enqueue_story_consents_check, hourly=True
    ),
    # Scheduled blog articles whose time has come go online within the minute (issue #6).
    "articles_publish_due": Job(
        "articles_publish_due", time(0, 0), None, _enqueue_articles_publish_due, every_minutes=1
    ),
    # Unanswered invitations lose their address after the retention period (issue #5), daily.
    "invitations_expire": Job("invitations_expire", time(3, 30), None, _enqueue_invitations_expire),
    # The network figures' running totals recounted from the tables (a safety net: the
    # services keep them exact), nightly (issue #5).
    "network_tally_check": Job(
        "network_tally_check", time(3, 50), None, _enqueue_network_tally_check
    ),
    # Monthly gifts Essaim charges itself (the demo provider's): the due month, daily (#7).
    "giving_recurring_charge": Job(
        "giving_recurring_charge", time(6, 10), None, _enqueue_giving_recurring_charge
    ),
    # Checkouts left pending for 24 hours become failed gifts (provider asked first), hourly.
    "giving_abandoned_checkouts": Job(
        "giving_abandoned_checkouts", time(0, 35), None, _enqueue_giving_abandoned_checkouts, True
    ),
    # Invitations whose sending failed (10 min, 1 h, 6 h later) or whose batch was lost.
    "invitations_retry": Job(
        "invitations_retry", time(0, 11), None, _enqueue_invitations_retry, every_minutes=15
    ),
}


def due_jobs(previous: datetime, now: datetime) -> list[Job]:
    """Return the jobs whose run time falls in (previous, now]."""
    return [job for job in JOBS.values() if job.next_run(previous) <= now]
