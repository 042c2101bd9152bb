"""Forms of the giving pages management: the page itself and its suggested amounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from essaim.actions.models import Action, ActionStatus
from essaim.blog.models import ConsentUse
from essaim.blog.story_selectors import stories_usable_for
from essaim.core.forms import EurosField
from essaim.referrals.models import Campaign

from .models import Frequency, GivingPage, SuggestedAmount
from .pages import PAGE_FIELDS, AmountRow

# Empty rows offered under the existing amounts (add amounts without JavaScript).
EXTRA_AMOUNT_ROWS = 3
MAX_AMOUNT_ROWS = 24


class GivingPageForm(forms.ModelForm[GivingPage]):
    minimum_cents = EurosField(
        label=_("montant minimum (€)"),
        help_text=_("Le plus petit don accepté sur cette page, par exemple 5."),
    )
    goal_cents = EurosField(
        label=_("objectif de collecte (€)"),
        required=False,
        help_text=_("Laissez vide pour ne pas afficher d'objectif."),
    )

    class Meta:
        model = GivingPage
        fields = list(PAGE_FIELDS)
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 5}),
            "thank_you_text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-starts_on")  # type: ignore[attr-defined]
        # Actions still to come or running (a select of every past action would be endless).
        since = timezone.now() - timedelta(days=60)
        actions = Action.objects.filter(starts_at__gte=since).exclude(status=ActionStatus.CANCELLED)
        if self.instance.action_id:
            actions = actions | Action.objects.filter(pk=self.instance.action_id)
        self.fields["action"].queryset = actions.order_by("starts_at")[:200]  # type: ignore[attr-defined]
        stories = stories_usable_for(ConsentUse.GIVING)
        self.fields["story"].help_text = _(
            "Seuls les récits publiés dont les personnes ont accepté l'usage sur les pages de "
            "don sont proposés."
        )
        self.fields["story"].queryset = stories  # type: ignore[attr-defined]
        self.fields["goal_cents"].required = False

    def clean_goal_cents(self) -> int:
        return self.cleaned_data.get("goal_cents") or 0


class AmountForm(forms.Form):
    frequency = forms.ChoiceField(label=_("fréquence"), choices=[("", "—"), *Frequency.choices])
    amount = EurosField(label=_("montant (€)"))
    impact = forms.CharField(
        label=_("ce que ce don permet"),
        max_length=200,
        required=False,
        help_text=_("Par exemple : « un mois de fournitures scolaires pour un enfant »."),
    )

    def row(self) -> AmountRow:
        """Return the typed amount."""
        return AmountRow(
            frequency=self.cleaned_data["frequency"],
            amount_cents=self.cleaned_data["amount"],
            impact=self.cleaned_data.get("impact") or "",
        )


class BaseAmountFormSet(forms.BaseFormSet[AmountForm]):
    def rows(self) -> list[AmountRow]:
        """Return the kept amounts: not removed, and not an untouched empty row."""
        kept = []
        deleted = {id(form) for form in self.deleted_forms}
        for index, form in enumerate(self.forms):
            if id(form) in deleted:
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            kept.append(form.row())
        return kept


AmountFormSet = forms.formset_factory(
    AmountForm,
    formset=BaseAmountFormSet,
    extra=EXTRA_AMOUNT_ROWS,
    can_delete=True,
    max_num=MAX_AMOUNT_ROWS,
    validate_max=True,
)


def amount_initial(amounts: list[SuggestedAmount]) -> list[dict[str, Any]]:
    """Return the formset's initial rows from a page's amounts."""
    return [
        {"frequency": a.frequency, "amount": a.amount_cents, "impact": a.impact} for a in amounts
    ]


def amount_formset(data: Any, amounts: list[SuggestedAmount]) -> BaseAmountFormSet:
    """Return the amounts formset of a page (its amounts, then empty rows)."""
    formset = AmountFormSet(data, initial=amount_initial(amounts), prefix="amounts")
    for form in formset.forms:
        form.fields["DELETE"].label = _("retirer")
    return formset  # type: ignore[return-value]
