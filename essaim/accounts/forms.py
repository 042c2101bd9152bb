"""Account forms: sign-up asks for a name and the newsletter consent."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from essaim.people.models import Person
from essaim.people.services import person_ensure_for_user

from .models import User


class SignupForm(AllauthSignupForm):
    """allauth's sign-up (email, password twice) plus the name and the newsletter consent.

    ``ACCOUNT_FORMS["signup"]`` replaces allauth's whole form, so this one extends it rather
    than being a bare form of extra fields.
    """

    given_name = forms.CharField(label=_("Prénom"), max_length=100)
    family_name = forms.CharField(label=_("Nom"), max_length=100)
    newsletter_consent = forms.BooleanField(
        label=_("Je souhaite recevoir la lettre d'information de l'association"), required=False
    )

    field_order = [
        "given_name",
        "family_name",
        "email",
        "password1",
        "password2",
        "newsletter_consent",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].label = _("Adresse e-mail")
        self.fields["password1"].label = _("Mot de passe")
        self.fields["password2"].label = _("Mot de passe (encore une fois)")
        # Labels are shown: placeholders repeating them only add noise for screen readers.
        for name in ("email", "password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)

    def clean_given_name(self) -> str:
        return _clean_name(self.cleaned_data["given_name"])

    def clean_family_name(self) -> str:
        return _clean_name(self.cleaned_data["family_name"])

    def signup(self, request: HttpRequest, user: User) -> None:
        person = person_ensure_for_user(
            user=user,
            given_name=self.cleaned_data["given_name"],
            family_name=self.cleaned_data["family_name"],
            newsletter_consent=self.cleaned_data["newsletter_consent"],
            consent_proof=str(_("Case cochée au formulaire d'inscription")),
        )
        # Arrived through a personal link or an invitation: credit the person who shared it.
        from essaim.referrals.invitations import invitations_accept_by_address
        from essaim.referrals.links import attribution_apply, attribution_from_request
        from essaim.referrals.models import ReferralEventKind

        referral = attribution_from_request(request)
        if referral is not None:
            attribution_apply(attribution=referral, person=person, kind=ReferralEventKind.SIGNED_UP)
            if self.cleaned_data["newsletter_consent"]:
                attribution_apply(
                    attribution=referral, person=person, kind=ReferralEventKind.SUBSCRIBED
                )
        # Invited people who came by another way have accepted all the same.
        invitations_accept_by_address(person=person, email=user.email)


def _clean_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise forms.ValidationError(_("Ce champ est obligatoire."))
    return value


class ProfileForm(forms.ModelForm[Person]):
    newsletter_consent = forms.BooleanField(
        label=_("Je souhaite recevoir la lettre d'information de l'association"), required=False
    )

    class Meta:
        model = Person
        fields = [
            "given_name",
            "family_name",
            "phone",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_name"].required = True
        self.fields["family_name"].required = True
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["given_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["family_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["address_line1"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["address_line2"].widget.attrs["autocomplete"] = "address-line2"
        self.fields["postal_code"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["newsletter_consent"].initial = self.instance.newsletter_consent
