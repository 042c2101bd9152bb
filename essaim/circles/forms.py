"""Forms of the circle pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Circle, MembershipRole
from .selectors import PARENT_AMBIGUOUS_SHOWN, parent_resolve
from .services import RESERVED_SLUGS


class CircleSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un cercle"), required=False, max_length=100)

    def query(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher un membre"), required=False, max_length=100)

    def query(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


class ParentSearchInput(forms.TextInput):
    """A text input for the parent circle, with live suggestions when htmx is present.

    Without JavaScript it is a plain text field resolved on submit; with htmx, typing
    asks the suggestions endpoint for at most 20 matches, shown as buttons below it.
    """

    template_name = "circles/widgets/parent_search.html"

    def __init__(self, *, circle_slug: str = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.circle_slug = circle_slug

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["suggestions_url"] = reverse("circles:parent_suggestions")
        context["circle_slug"] = self.circle_slug
        return context

    def _render(self, template_name: str, context: dict[str, Any], renderer: Any = None) -> Any:
        # The project's template engine: the form renderer only sees the apps' templates.
        return mark_safe(render_to_string(template_name, context))


def describe_circle(circle: Circle) -> str:
    return f"{circle.name} ({circle.slug})"


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
    # A text field rather than a list: a <select> of 5,000 circles is unusable.
    parent = forms.CharField(
        label=_("Cercle parent"),
        required=False,
        max_length=140,
        help_text=_(
            "Le cercle dont celui-ci fait partie (une antenne dans sa région…) : "
            "tapez son nom ou son adresse."
        ),
    )

    class Meta:
        model = Circle
        fields = ("name", "slug", "kind", "parent", "description", "visibility", "join_policy")
        labels = {
            "name": _("Nom du cercle"),
            "kind": _("Type"),
            "description": _("Présentation"),
            "visibility": _("Visibilité"),
            "join_policy": _("Adhésion"),
        }
        help_texts = {
            "description": _("Quelques lignes pour dire à quoi sert ce cercle et qui il réunit."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "visibility": forms.RadioSelect,
            "join_policy": forms.RadioSelect,
        }

    def __init__(
        self,
        *args: Any,
        parents: QuerySet[Circle],
        parent_required: bool = False,
        is_admin: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.parents = parents
        self.is_admin = is_admin
        parent_field = self.fields["parent"]
        parent_field.required = parent_required
        parent_field.widget = ParentSearchInput(circle_slug=self.instance.slug or "")
        parent_field.error_messages["required"] = _(
            "Indiquez le cercle parent : vous pouvez créer un cercle sous ceux que vous coordonnez."
        )
        if not parent_required:
            parent_field.help_text = format_lazy(
                "{} {}",
                parent_field.help_text,
                _("Laissez vide pour un cercle de premier niveau."),
            )
        if self.instance.pk:
            self.fields["slug"].required = True
            if not self.is_bound and self.instance.parent_id:
                # The address: it always designates one circle, a name may not.
                self.initial["parent"] = self.instance.parent.slug  # type: ignore[union-attr]
        elif isinstance(self.initial.get("parent"), Circle):
            self.initial["parent"] = self.initial["parent"].slug

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data.get("slug") or "")
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("Cette adresse est réservée : choisissez-en une autre."))
        if slug and Circle.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("Cette adresse est déjà prise : choisissez-en une autre.")
            )
        return slug

    def clean_parent(self) -> Circle | None:
        text = " ".join(str(self.cleaned_data.get("parent") or "").split())
        if not text:
            if self.fields["parent"].required:
                raise forms.ValidationError(self.fields["parent"].error_messages["required"])
            return None
        circle, alike = parent_resolve(self.parents, text)
        if circle is not None:
            return circle
        if not alike:
            if self.is_admin:
                raise forms.ValidationError(
                    _(
                        "Aucun cercle actif ne s'appelle « %(text)s » ni n'a cette adresse : "
                        "vérifiez l'orthographe."
                    ),
                    params={"text": text},
                )
            raise forms.ValidationError(
                _(
                    "Aucun des cercles que vous coordonnez ne s'appelle « %(text)s » "
                    "ni n'a cette adresse : vérifiez l'orthographe."
                ),
                params={"text": text},
            )
        shown = ", ".join(describe_circle(c) for c in alike[:PARENT_AMBIGUOUS_SHOWN])
        if len(alike) > PARENT_AMBIGUOUS_SHOWN:
            shown += ", …"
        if all(c.name.lower() == text.lower() for c in alike):
            message = _(
                "Plusieurs cercles portent ce nom : précisez en tapant l'adresse de celui "
                "que vous voulez (entre parenthèses) : %(circles)s."
            )
        else:
            message = _(
                "Plusieurs cercles correspondent à « %(text)s » : précisez le nom, ou tapez "
                "l'adresse de celui que vous voulez (entre parenthèses) : %(circles)s."
            )
        raise forms.ValidationError(message, params={"text": text, "circles": shown})

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
