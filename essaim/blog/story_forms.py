"""Forms of the staff pages for stories, their consents and the fixed pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from essaim.people.models import Person

from .models import BlogImage, ConsentUse, ImageRights, Story
from .story_selectors import today


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ImageChoiceField(forms.ModelChoiceField[BlogImage]):
    def label_from_instance(self, obj: BlogImage) -> str:
        return f"{obj.alt_text} ({obj.width}×{obj.height})" if obj.width else obj.alt_text


def _check_markdown(text: str) -> str:
    from .markdown import check_article_markdown

    check_article_markdown(text or "")
    return text


class StoryForm(forms.ModelForm[Story]):
    """The guided story: who, the situation, what happened, what changed, the call."""

    cover = ImageChoiceField(
        label=_("Image de couverture"),
        queryset=BlogImage.objects.order_by("-created_at", "-id"),
        required=False,
        empty_label=_("— aucune —"),
        help_text=_(
            "Choisie dans la bibliothèque d'images. Elle n'est montrée que si chaque personne "
            "du récit a accepté les photos."
        ),
    )
    social_image = ImageChoiceField(
        label=_("Image pour les réseaux sociaux"),
        queryset=BlogImage.objects.order_by("-created_at", "-id"),
        required=False,
        empty_label=_("— l'image de couverture —"),
    )
    canonical_url = forms.URLField(
        label=_("Adresse canonique"),
        required=False,
        assume_scheme="https",
        help_text=_("Seulement si ce texte a d'abord paru ailleurs ; sinon laissez vide."),
    )
    slug = forms.SlugField(
        label=_("Adresse"),
        max_length=200,
        required=False,
        help_text=_("La fin de l'adresse du récit. Laissée vide : faite à partir du titre."),
    )

    class Meta:
        model = Story
        fields = (
            "subject",
            "title",
            "slug",
            "summary",
            "situation",
            "what_happened",
            "what_changed",
            "call_to_action",
            "call_to_action_text",
            "cover",
            "language",
            "seo_title",
            "meta_description",
            "canonical_url",
            "noindex",
            "social_image",
        )
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "situation": forms.Textarea(attrs={"rows": 6}),
            "what_happened": forms.Textarea(attrs={"rows": 8}),
            "what_changed": forms.Textarea(attrs={"rows": 6}),
            "call_to_action": forms.RadioSelect,
        }
        help_texts = {
            "situation": _("D'où part-on ? Le contexte, la difficulté. Markdown accepté."),
            "what_happened": _("Ce que la personne et l'association ont fait ensemble."),
            "what_changed": _("Ce qui est différent aujourd'hui, pour elle et autour d'elle."),
            "call_to_action_text": _(
                "Une phrase qui invite le lecteur (ex. : « Rejoignez les bénévoles du samedi »)."
            ),
        }

    def clean_situation(self) -> str:
        return _check_markdown(self.cleaned_data["situation"])

    def clean_what_happened(self) -> str:
        return _check_markdown(self.cleaned_data["what_happened"])

    def clean_what_changed(self) -> str:
        return _check_markdown(self.cleaned_data["what_changed"])

    def story_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data.get("slug"):
            data.pop("slug", None)
        return data


class ConsentForm(forms.Form):
    featured_name = forms.CharField(
        label=_("Personne présente dans le récit"),
        max_length=150,
        help_text=_("Son nom tel que vous le connaissez (il n'est pas publié)."),
    )
    person_email = forms.EmailField(
        label=_("Adresse e-mail de sa fiche contact (facultatif)"),
        required=False,
        help_text=_("Pour relier ce consentement à sa fiche dans l'annuaire."),
    )
    given_by = forms.CharField(
        label=_("Consentement donné par"),
        max_length=150,
        help_text=_("La personne elle-même, ou son représentant légal pour un mineur."),
    )
    given_on = forms.DateField(label=_("Date du consentement"), widget=DateInput())
    uses = forms.MultipleChoiceField(
        label=_("Usages autorisés"),
        choices=ConsentUse.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ConsentUse.BLOG],
        error_messages={"required": _("Cochez au moins un usage autorisé.")},
    )
    valid_until = forms.DateField(
        label=_("Valable jusqu'au (facultatif)"),
        required=False,
        widget=DateInput(),
        help_text=_("Le récit sera dépublié automatiquement après cette date."),
    )
    image_rights = forms.ChoiceField(
        label=_("Droit à l'image"),
        choices=ImageRights.choices,
        initial=ImageRights.NONE,
        widget=forms.RadioSelect,
    )
    document = forms.FileField(
        label=_("Formulaire signé (facultatif)"),
        required=False,
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus. Gardé à l'abri, jamais publié."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    notes = forms.CharField(
        label=_("Remarques"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = today()
        self.person: Person | None = None

    def clean_given_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["given_on"]
        if value > today():
            raise ValidationError(_("La date du consentement ne peut pas être dans le futur."))
        return value

    def clean_person_email(self) -> str:
        email: str = self.cleaned_data.get("person_email") or ""
        if email:
            person = Person.objects.filter(email__iexact=email, erased_at__isnull=True).first()
            if person is None:
                raise ValidationError(
                    _("Aucune fiche contact n'a cette adresse : laissez vide ou corrigez-la.")
                )
            self.person = person
        return email

    def clean_document(self) -> Any:
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        from .stories import consent_document_prepare

        return consent_document_prepare(upload)


class ConsentRenewForm(forms.Form):
    given_on = forms.DateField(label=_("Date du renouvellement"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Nouvelle fin de validité (facultatif)"), required=False, widget=DateInput()
    )
    document = forms.FileField(
        label=_("Nouveau formulaire signé (facultatif)"),
        required=False,
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = today()

    def clean_document(self) -> Any:
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        from .stories import consent_document_prepare

        return consent_document_prepare(upload)


class ConsentWithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Comment et quand la personne l'a retiré"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Notez comment et quand la personne a retiré son consentement.")
        },
    )


class UnpublishForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi retirer ce récit ?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Dites en quelques mots pourquoi ce récit est retiré.")},
    )


class SitePageForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(
        label=_("Texte"),
        widget=forms.Textarea(attrs={"rows": 20}),
        help_text=_(
            "En Markdown : ## pour un intertitre, **gras**, [texte du lien](https://…), "
            "- pour une liste."
        ),
    )
    seo_title = forms.CharField(
        label=_("Titre pour les moteurs de recherche"), max_length=70, required=False
    )
    meta_description = forms.CharField(
        label=_("Description pour les moteurs de recherche"), max_length=160, required=False
    )
    noindex = forms.BooleanField(label=_("Ne pas référencer cette page"), required=False)

    def clean_body(self) -> str:
        return _check_markdown(self.cleaned_data["body"])
