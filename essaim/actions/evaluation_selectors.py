"""Reads for evaluating actions: debrief figures, survey results, volunteer hours."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from .evaluation import format_euros, format_objective_value, signup_minutes
from .models import (
    Action,
    Debrief,
    DebriefFile,
    Feedback,
    MissionSignup,
    Objective,
    SignupStatus,
)

# --- debrief -------------------------------------------------------------------------


@dataclass
class ObjectiveResult:
    objective: Objective
    target: str
    achieved: str
    percent: int | None

    @property
    def reached(self) -> bool:
        return self.percent is not None and self.percent >= 100

    @property
    def bar(self) -> int:
        return min(self.percent or 0, 100)


def debrief_get(action: Action) -> Debrief | None:
    """Return the action's debrief (with its author), or None before it is written."""
    return Debrief.objects.select_related("updated_by").filter(action=action).first()


def objective_results(action: Action) -> list[ObjectiveResult]:
    """Return each objective of the action with target, achieved and percentage, in order."""
    results = []
    for objective in Objective.objects.filter(action=action).order_by("position", "id"):
        percent = None
        if objective.achieved is not None and objective.target:
            percent = round(objective.achieved * 100 / objective.target)
        results.append(
            ObjectiveResult(
                objective=objective,
                target=format_objective_value(objective, objective.target),
                achieved=format_objective_value(objective, objective.achieved),
                percent=percent,
            )
        )
    return results


def debrief_files(action: Action) -> QuerySet[DebriefFile]:
    return DebriefFile.objects.filter(action=action).select_related("uploaded_by")


def debrief_file_get(action: Action, file_id: int) -> DebriefFile:
    """Return one file of this action's debrief, or raise DebriefFile.DoesNotExist."""
    return DebriefFile.objects.select_related("action").get(action=action, pk=file_id)


@dataclass
class FeedbackSummary:
    count: int = 0
    average: float | None = None
    # (rating, count, percent of answers), from 5 down to 1.
    distribution: list[tuple[int, int, int]] = field(default_factory=list)
    comments: list[Feedback] = field(default_factory=list)

    @property
    def average_text(self) -> str:
        return f"{self.average:.1f}".replace(".", ",") if self.average is not None else ""


def feedback_summary(action: Action, *, comments: int = 50) -> FeedbackSummary:
    """Return the survey results of an action: count, average, distribution, latest comments."""
    answers = Feedback.objects.filter(action=action)
    stats = answers.aggregate(count=Count("id"), average=Avg("rating"))
    by_rating = dict(
        answers.order_by().values_list("rating").annotate(n=Count("id")).values_list("rating", "n")
    )
    total = stats["count"] or 0
    summary = FeedbackSummary(count=total, average=stats["average"])
    summary.distribution = [
        (
            rating,
            by_rating.get(rating, 0),
            round(by_rating.get(rating, 0) * 100 / total) if total else 0,
        )
        for rating in range(5, 0, -1)
    ]
    if total:
        summary.comments = list(
            answers.exclude(comment="").order_by("-created_at", "-id")[:comments]
        )
    return summary


# --- volunteer hours -----------------------------------------------------------------

# Counted: confirmed volunteers marked present, or with a time entered by a coordinator.
COUNTED = Q(status=SignupStatus.CONFIRMED) & (
    Q(attended=True) | Q(attended__isnull=True, minutes__isnull=False)
)


def _minutes_annotations(prefix: str = "") -> dict[str, Any]:
    # Recorded minutes where there are some, else the mission's slot (two sums, one query).
    return {
        "recorded": Sum(f"{prefix}minutes", filter=Q(**{f"{prefix}minutes__isnull": False})),
        "slots": Sum(
            F(f"{prefix}mission__ends_at") - F(f"{prefix}mission__starts_at"),
            output_field=DurationField(),
            filter=Q(**{f"{prefix}minutes__isnull": True}),
        ),
    }


def _total_minutes(recorded: int | None, slots: Any) -> int:
    if isinstance(slots, int):  # some backends hand durations back as microseconds
        slots = timedelta(microseconds=slots)
    return (recorded or 0) + (int(slots.total_seconds() // 60) if slots else 0)


def hours_text(minutes: int) -> str:
    """Format minutes as "3 h 05" (French style)."""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours}\u00a0h\u00a0{rest:02d}"


def value_cents(minutes: int, hourly_rate_cents: int) -> int:
    return round(minutes * hourly_rate_cents / 60)


@dataclass
class SignupHours:
    signup: MissionSignup
    minutes: int
    counted: bool

    @property
    def text(self) -> str:
        return hours_text(self.minutes)


def action_signups_hours(action: Action) -> list[SignupHours]:
    """Return the confirmed volunteers of the action's missions with the time each gave."""
    signups = (
        MissionSignup.objects.filter(mission__action=action, status=SignupStatus.CONFIRMED)
        .select_related("mission", "person", "minutes_edited_by")
        .order_by("mission__starts_at", "mission_id", "person__family_name", "person__given_name")
    )
    rows = []
    for signup in signups:
        counted = bool(signup.attended) or (signup.attended is None and signup.minutes is not None)
        rows.append(
            SignupHours(
                signup=signup, minutes=signup_minutes(signup) if counted else 0, counted=counted
            )
        )
    return rows


@dataclass
class HoursRow:
    key: Any
    label: str
    minutes: int
    value_cents: int
    signups: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def hours_decimal(self) -> str:
        return f"{self.minutes / 60:.2f}".replace(".", ",")

    @property
    def value(self) -> str:
        return format_euros(self.value_cents)


GROUPS = ("person", "circle", "action")
GROUP_FIELDS = {
    "person": ("person_id", "person__given_name", "person__family_name", "person__email"),
    "circle": ("mission__action__circle_id", "mission__action__circle__name"),
    "action": (
        "mission__action_id",
        "mission__action__title",
        "mission__action__slug",
        "mission__action__starts_at",
        "mission__action__circle__name",
    ),
}
GROUP_ORDER = {
    "person": ("person__family_name", "person__given_name", "person_id"),
    "circle": ("mission__action__circle__name", "mission__action__circle_id"),
    "action": ("mission__action__starts_at", "mission__action_id"),
}


def hours_signups(*, year: int, circle_ids: Iterable[int] | None) -> QuerySet[MissionSignup]:
    """Counted sign-ups of missions held in this year, in these circles (None: all circles)."""
    signups = (
        MissionSignup.objects.filter(COUNTED)
        .annotate(year=ExtractYear("mission__starts_at"))
        .filter(year=year)
    )
    if circle_ids is not None:
        signups = signups.filter(mission__action__circle_id__in=list(circle_ids))
    return signups


def hours_grouped(signups: QuerySet[MissionSignup], group: str) -> QuerySet[Any]:
    """Aggregate sign-ups per person, circle or action: one row of sums each, in one query."""
    fields = GROUP_FIELDS[group]
    return (
        signups.order_by()
        .values(*fields)
        .annotate(count=Count("id"), **_minutes_annotations())
        .order_by(*GROUP_ORDER[group])
    )


def hours_row(values: dict[str, Any], group: str, hourly_rate_cents: int) -> HoursRow:
    minutes = _total_minutes(values["recorded"], values["slots"])
    if group == "person":
        label = (
            " ".join(
                part
                for part in (values["person__given_name"], values["person__family_name"])
                if part
            )
            or values["person__email"]
            or f"#{values['person_id']}"
        )
        key, extra = values["person_id"], {"email": values["person__email"]}
    elif group == "circle":
        label = values["mission__action__circle__name"]
        key, extra = values["mission__action__circle_id"], {}
    else:
        label = values["mission__action__title"]
        key = values["mission__action_id"]
        extra = {
            "slug": values["mission__action__slug"],
            "starts_at": values["mission__action__starts_at"],
            "circle": values["mission__action__circle__name"],
        }
    return HoursRow(
        key=key,
        label=label,
        minutes=minutes,
        value_cents=value_cents(minutes, hourly_rate_cents),
        signups=values["count"],
        extra=extra,
    )


def hours_total(signups: QuerySet[MissionSignup], hourly_rate_cents: int) -> HoursRow:
    """The grand total of these sign-ups (one query)."""
    values = signups.order_by().aggregate(count=Count("id"), **_minutes_annotations())
    minutes = _total_minutes(values["recorded"], values["slots"])
    return HoursRow(
        key=None,
        label="",
        minutes=minutes,
        value_cents=value_cents(minutes, hourly_rate_cents),
        signups=values["count"] or 0,
    )


def action_hours_total(action: Action, hourly_rate_cents: int) -> HoursRow:
    signups = MissionSignup.objects.filter(COUNTED, mission__action=action)
    return hours_total(signups, hourly_rate_cents)
