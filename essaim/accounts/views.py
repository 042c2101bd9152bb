"""Account pages that allauth does not provide: the profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from essaim.people.services import person_ensure_for_user, person_update
from essaim.referrals.tree import referral_subscription_credit

from .forms import ProfileForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    person = person_ensure_for_user(user=request.user)  # type: ignore[arg-type]
    form = ProfileForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
        subscribes = form.cleaned_data["newsletter_consent"] and not person.newsletter_consent
        person_update(
            actor=request.user,  # type: ignore[arg-type]
            person=person,
            data=data,
            newsletter_consent=form.cleaned_data["newsletter_consent"],
            consent_proof=_("Modifié par la personne dans son profil"),
        )
        if subscribes:
            # Asking for the news later is still a step credited to whoever brought them.
            referral_subscription_credit(person=person)
        messages.success(request, _("Votre profil est enregistré."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "person": person})
