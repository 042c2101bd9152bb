"""Forms of the circle pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Circle, MembershipRole
from .services import RESERVED_SLUGS


class CircleSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un cercle"), required=False, max_length=100)

    def query(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un membre"), required=False, max_length=100)

    def query(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class CircleForm(forms.ModelForm[Circle]):
    slug = forms.SlugField(
        label=_("Adresse"),
        required=False,
        max_length=140,
        help_text=_(
            "La fin de l'adresse de la page du cercle (lettres, chiffres et tirets). "
            "Laissez vide pour la tirer du nom."
        ),
    )

    class Meta:
        model = Circle
        fields = ("name", "slug", "kind", "parent", "description", "visibility", "join_policy")
        labels = {
            "name": _("Nom du cercle"),
            "kind": _("Type"),
            "parent": _("Cercle parent"),
            "description": _("Présentation"),
            "visibility": _("Visibilité"),
            "join_policy": _("Adhésion"),
        }
        help_texts = {
            "parent": _("Le cercle dont celui-ci fait partie (une antenne dans sa région…)."),
            "description": _("Quelques lignes pour dire à quoi sert ce cercle et qui il réunit."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "visibility": forms.RadioSelect,
            "join_policy": forms.RadioSelect,
        }

    def __init__(
        self, *args: Any, parents: Any, parent_required: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        parent_field = self.fields["parent"]
        parent_field.queryset = parents  # type: ignore[attr-defined]
        parent_field.required = parent_required
        parent_field.empty_label = _("Aucun (cercle de premier niveau)")  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["slug"].required = True

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data.get("slug") or "")
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("Cette adresse est réservée : choisissez-en une autre."))
        if slug and Circle.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("Cette adresse est déjà prise : choisissez-en une autre.")
            )
        return slug

    def circle_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message aux coordinateurs (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Dites en quelques mots pourquoi vous souhaitez rejoindre ce cercle."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=(("approve", _("Accepter")), ("refuse", _("Refuser"))),
    )
    response = forms.CharField(
        label=_("Message à la personne (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail de la personne à inviter"),
        max_length=254,
        help_text=_(
            "Elle recevra un lien pour accepter. Sans compte, elle devra d'abord en créer un "
            "avec cette adresse."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=MembershipRole.choices)


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du retrait"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Obligatoire. Il est conservé dans le journal d'audit."),
    )
