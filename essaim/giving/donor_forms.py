"""Forms of the donor space: ask for a signed link, update one's postal address."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from essaim.people.models import Person


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail utilisée pour vos dons"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AddressForm(forms.ModelForm[Person]):
    """The donor's postal address, as their next receipts will print it."""

    class Meta:
        model = Person
        fields = ["address_line1", "address_line2", "postal_code", "city"]
        widgets = {
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in ("address_line1", "postal_code", "city"):
            self.fields[name].required = True
