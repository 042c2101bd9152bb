"""Stories: the visibility rule, publishing only with valid consents, withdrawal, the cache."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from essaim.blog import stories
from essaim.blog.models import ConsentUse, ImageRights, PublicationChange, PublicationStatus, Story
from essaim.blog.story_selectors import (
    public_stories,
    stories_usable_for,
    story_is_public,
    today,
)
from essaim.core.models import AuditLog
from essaim.core.pagecache import versions
from essaim.core.selectors import organisation_get
from essaim.feed.models import Notification, NotificationKind
from tests.blog.factories import BlogImageFactory, StoryConsentFactory, StoryFactory
from tests.conftest import make_user_for_role

pytestmark = pytest.mark.django_db


def _public_slugs(language: str = "fr") -> set[str]:
    return set(public_stories(language).values_list("slug", flat=True))


# --- The visibility rule ----------------------------------------------------------------


def test_visibility_rule_case_by_case() -> None:
    day = today()
    shown = StoryConsentFactory().story
    until_today = StoryConsentFactory(valid_until=day).story
    no_consent = StoryFactory()
    missing_use = StoryConsentFactory(uses=[ConsentUse.GIVING, ConsentUse.SOCIAL]).story
    expired = StoryConsentFactory(valid_until=day - dt.timedelta(days=1)).story
    withdrawn = StoryConsentFactory(withdrawn_at=timezone.now()).story
    draft = StoryConsentFactory(story__status=PublicationStatus.DRAFT).story
    # Two people: one valid consent is not enough when the other's expired.
    half = StoryConsentFactory().story
    StoryConsentFactory(story=half, featured_name="Paul", valid_until=day - dt.timedelta(days=1))

    assert _public_slugs() == {shown.slug, until_today.slug}
    for story in (shown, until_today):
        assert story_is_public(story)
    for story in (no_consent, missing_use, expired, withdrawn, draft, half):
        assert not story_is_public(story), story.slug
    # Giving pages: the same rule for their own use.
    giving = stories_usable_for(ConsentUse.GIVING).values_list("slug", flat=True)
    assert missing_use.slug in set(giving)


def test_a_consent_valid_until_today_expires_at_midnight_paris_time() -> None:
    day = today()
    story = StoryConsentFactory(valid_until=day).story
    assert story.slug in _public_slugs()
    tomorrow = day + dt.timedelta(days=1)
    hidden = stories_usable_for(ConsentUse.BLOG, on=tomorrow).values_list("slug", flat=True)
    assert story.slug not in set(hidden)


def test_public_stories_are_in_their_language_newest_first() -> None:
    old = StoryConsentFactory(story__published_at=timezone.now() - dt.timedelta(days=3)).story
    new = StoryConsentFactory(story__published_at=timezone.now() - dt.timedelta(days=1)).story
    english = StoryConsentFactory(story__language="en").story
    assert [s.slug for s in public_stories("fr")] == [new.slug, old.slug]
    assert [s.slug for s in public_stories("en")] == [english.slug]
    assert [s.slug for s in public_stories("fr", limit=1)] == [new.slug]


def test_cover_is_hidden_when_a_featured_person_refused_photos(client: Client) -> None:
    cover = BlogImageFactory(alt_text="Amina devant le local")
    allowed = StoryConsentFactory(image_rights=ImageRights.PHOTO, story__cover=cover).story
    refused = StoryConsentFactory(image_rights=ImageRights.PHOTO, story__cover=cover).story
    StoryConsentFactory(story=refused, featured_name="Lina", image_rights=ImageRights.NONE)
    flags = {s.slug: s.show_cover for s in public_stories("fr")}
    assert flags == {allowed.slug: True, refused.slug: False}
    page = client.get(reverse("blog:story", kwargs={"slug": refused.slug})).content.decode()
    assert "Amina devant le local" not in page
    page = client.get(reverse("blog:story", kwargs={"slug": allowed.slug})).content.decode()
    assert "Amina devant le local" in page
    listing = client.get(reverse("blog:stories")).content.decode()
    assert listing.count("Amina devant le local") == 1


# --- Query counts -----------------------------------------------------------------------


def _count_public_index(client: Client, django_assert_num_queries: Any, n: int) -> None:
    for _ in range(n):
        StoryConsentFactory(story__cover=BlogImageFactory(), image_rights=ImageRights.PHOTO)
    organisation_get()  # cached for 5 minutes in production: not part of the page's cost
    # Anonymous visit: versions of the page's keys, the count, the page of stories.
    with django_assert_num_queries(3):
        response = client.get(reverse("blog:stories"))
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 12])
def test_public_index_queries_do_not_grow(
    client: Client, django_assert_num_queries: Any, n: int
) -> None:
    _count_public_index(client, django_assert_num_queries, n)


@pytest.mark.parametrize("n", [1, 25])
def test_staff_list_queries_do_not_grow(
    client: Client, django_assert_num_queries: Any, n: int
) -> None:
    user = make_user_for_role("communication")
    client.force_login(user)
    for _ in range(n):
        StoryConsentFactory(story__cover=BlogImageFactory())
    client.get(reverse("site_admin:story_list"))  # warm the organisation cache
    # Session, user, roles, navigation; then the count, the page and the tab counts.
    with django_assert_num_queries(7):
        response = client.get(reverse("site_admin:story_list"))
    assert response.status_code == 200
    assert response.content.decode().count('class="badge publication-published"') == n


# --- Services ----------------------------------------------------------------------------


def test_create_renders_parts_and_records_history() -> None:
    writer = make_user_for_role("communication")
    story = stories.story_create(
        actor=writer,
        title="Élise et le jardin partagé",
        subject="Élise, 70 ans",
        situation="Seule depuis **deux ans**.",
        what_happened="<script>alert(1)</script>Elle a planté des tomates.",
        what_changed="[lien](javascript:alert(1)) Elle voit du monde.",
    )
    assert story.slug == "elise-et-le-jardin-partage"
    assert story.status == PublicationStatus.DRAFT
    assert "<strong>deux ans</strong>" in story.situation_html
    assert "<script" not in story.what_happened_html
    assert 'href="javascript' not in story.what_changed_html
    assert story.content_updated_at is not None
    assert PublicationChange.objects.filter(story=story, to_status="draft").count() == 1
    again = stories.story_create(actor=writer, title="Élise et le jardin partagé", subject="x")
    assert again.slug == "elise-et-le-jardin-partage-2"


def test_update_rerenders_only_changed_parts_and_refuses_a_taken_slug() -> None:
    writer = make_user_for_role("communication")
    story = StoryConsentFactory().story
    other = StoryFactory(slug="deja-pris")
    before = story.content_updated_at
    updated = stories.story_update(
        actor=writer, story=story, data={"what_changed": "Elle **coordonne** tout."}
    )
    assert "<strong>coordonne</strong>" in updated.what_changed_html
    assert updated.content_updated_at and before and updated.content_updated_at > before
    with pytest.raises(ValidationError) as error:
        stories.story_update(actor=writer, story=story, data={"slug": other.slug})
    assert "déjà celle d'un autre récit" in str(error.value)
    story.refresh_from_db()
    assert story.slug != other.slug


@pytest.mark.parametrize(
    ("consent", "message"),
    [
        (None, "aucun consentement"),
        ({"uses": [ConsentUse.GIVING]}, "n'autorise pas l'usage « Site et blog »"),
        ({"valid_until": dt.date(2020, 1, 1)}, "a expiré le 01/01/2020"),
        ({"withdrawn_at": timezone.now()}, "a été retiré"),
    ],
)
def test_publish_is_refused_without_valid_consents(consent: Any, message: str) -> None:
    writer = make_user_for_role("communication")
    story = StoryFactory(status=PublicationStatus.DRAFT, published_at=None)
    if consent is not None:
        StoryConsentFactory(story=story, given_on=dt.date(2019, 12, 1), **consent)
    with pytest.raises(ValidationError) as error:
        stories.story_publish(actor=writer, story=story)
    assert message in " ".join(error.value.messages)
    story.refresh_from_db()
    assert story.status == PublicationStatus.DRAFT
    assert not PublicationChange.objects.filter(story=story).exists()


def test_publish_view_shows_the_refusal(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    story = StoryFactory(status=PublicationStatus.DRAFT, published_at=None)
    url = reverse("site_admin:story_publish", kwargs={"story_id": story.pk})
    response = client.post(url, follow=True)
    assert "Ce récit n&#x27;a aucun consentement enregistré." in response.content.decode()
    story.refresh_from_db()
    assert story.status == PublicationStatus.DRAFT


def test_publish_then_unpublish_moves_the_story_and_the_cache() -> None:
    writer = make_user_for_role("communication")
    story = StoryConsentFactory(
        story__status=PublicationStatus.DRAFT, story__published_at=None
    ).story
    start = versions(["stories", f"story:{story.pk}"])
    published = stories.story_publish(actor=writer, story=story)
    assert published.status == PublicationStatus.PUBLISHED and published.published_at
    assert story.slug in _public_slugs()
    after = versions(["stories", f"story:{story.pk}"])
    assert all(after[key] > start[key] for key in start)
    with pytest.raises(ValidationError):
        stories.story_unpublish(actor=writer, story=story, reason="  ")
    stories.story_unpublish(actor=writer, story=story, reason="Photo à changer")
    story.refresh_from_db()
    assert story.status == PublicationStatus.UNPUBLISHED
    assert story.unpublished_reason == "Photo à changer"
    assert [c.to_status for c in story.status_changes.order_by("id")] == [
        "published",
        "unpublished",
    ]
    assert AuditLog.objects.filter(action="story.unpublish", target_id=str(story.pk)).exists()


def test_an_unpublished_story_is_404_at_once_even_after_a_cached_view(client: Client) -> None:
    writer = make_user_for_role("communication")
    story = StoryConsentFactory().story
    url = reverse("blog:story", kwargs={"slug": story.slug})
    assert client.get(url).status_code == 200
    assert client.get(url)["X-Essaim-Cache"] == "hit"
    stories.story_unpublish(actor=writer, story=story, reason="Erreur")
    assert client.get(url).status_code == 404
    assert story.title not in client.get(reverse("blog:stories")).content.decode()


def test_withdraw_unpublishes_and_alerts_the_communication_staff(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    writer = make_user_for_role("communication")
    admin = make_user_for_role("admin")
    member = make_user_for_role("member")
    treasurer = make_user_for_role("treasurer")
    consent = StoryConsentFactory(featured_name="Amina")
    story = consent.story
    url = reverse("blog:story", kwargs={"slug": story.slug})
    assert client.get(url).status_code == 200
    mail.outbox.clear()

    with pytest.raises(ValidationError):
        stories.consent_withdraw(actor=writer, consent=consent, note="")
    with django_capture_on_commit_callbacks(execute=True):
        stories.consent_withdraw(actor=writer, consent=consent, note="Appel du 3 mars")

    story.refresh_from_db()
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_note == "Appel du 3 mars"
    assert story.status == PublicationStatus.UNPUBLISHED
    assert story.unpublished_reason == "Consentement retiré par Amina"
    assert client.get(url).status_code == 404
    audit = AuditLog.objects.get(action="story_consent.withdraw")
    assert audit.details["note"] == "Appel du 3 mars" and audit.target_id == str(story.pk)
    alerted = set(
        Notification.objects.filter(kind=NotificationKind.STORY_CONSENT).values_list(
            "recipient__user", flat=True
        )
    )
    assert alerted == {writer.pk, admin.pk}
    assert member.pk not in alerted and treasurer.pk not in alerted
    note = Notification.objects.filter(kind=NotificationKind.STORY_CONSENT).first()
    assert note is not None and "dépublié" in note.summary and "Amina" in note.summary
    assert note.url == reverse("site_admin:story_detail", kwargs={"story_id": story.pk})
    # Immediate e-mail by default.
    recipients = {address for message in mail.outbox for address in message.to}
    assert {writer.email, admin.email} <= recipients
    with pytest.raises(ValidationError):
        stories.consent_withdraw(actor=writer, consent=consent, note="encore")


def test_withdraw_view_asks_for_a_note_and_changes_nothing_without(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    consent = StoryConsentFactory()
    url = reverse("site_admin:consent_withdraw", kwargs={"consent_id": consent.pk})
    page = client.get(url).content.decode()
    assert "dépublié partout" in page
    response = client.post(url, {"note": ""})
    assert response.status_code == 200
    assert "Notez comment et quand" in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert Story.objects.get(pk=consent.story_id).status == PublicationStatus.PUBLISHED


def test_consent_record_checks_its_input() -> None:
    writer = make_user_for_role("communication")
    story = StoryFactory(status=PublicationStatus.DRAFT, published_at=None)
    day = today()
    with pytest.raises(ValidationError) as error:
        stories.consent_record(
            actor=writer,
            story=story,
            featured_name=" ",
            given_by="Amina",
            given_on=day + dt.timedelta(days=1),
            uses=[],
            valid_until=day - dt.timedelta(days=3),
        )
    fields = set(error.value.error_dict)
    assert {"featured_name", "given_on", "valid_until"} <= fields
    with pytest.raises(ValidationError) as error:
        stories.consent_record(
            actor=writer, story=story, featured_name="A", given_by="A", given_on=day, uses=[]
        )
    assert "au moins un usage" in str(error.value)
    assert not story.consents.exists()
    consent = stories.consent_record(
        actor=writer,
        story=story,
        featured_name="Amina",
        given_by="Sa mère",
        given_on=day,
        uses=[ConsentUse.SOCIAL, ConsentUse.BLOG],
        image_rights=ImageRights.PHOTO,
    )
    assert consent.uses == ["blog", "social"]
    stories.story_publish(actor=writer, story=story)
    assert story.slug in _public_slugs()


def test_renewing_an_expired_consent_lets_the_story_be_published_again() -> None:
    writer = make_user_for_role("communication")
    day = today()
    consent = StoryConsentFactory(
        valid_until=day - dt.timedelta(days=2),
        given_on=day - dt.timedelta(days=400),
        story__status=PublicationStatus.UNPUBLISHED,
        expiry_warned_on=day - dt.timedelta(days=16),
    )
    with pytest.raises(ValidationError):
        stories.story_publish(actor=writer, story=consent.story)
    with pytest.raises(ValidationError):
        stories.consent_renew(
            actor=writer, consent=consent, given_on=day, valid_until=day - dt.timedelta(days=1)
        )
    stories.consent_renew(
        actor=writer, consent=consent, given_on=day, valid_until=day + dt.timedelta(days=365)
    )
    consent.refresh_from_db()
    assert consent.expiry_warned_on is None
    stories.story_publish(actor=writer, story=consent.story)
    assert consent.story.slug in _public_slugs()


def test_a_withdrawn_consent_cannot_be_renewed() -> None:
    writer = make_user_for_role("communication")
    consent = StoryConsentFactory(withdrawn_at=timezone.now())
    with pytest.raises(ValidationError):
        stories.consent_renew(actor=writer, consent=consent, given_on=today(), valid_until=None)


def test_staff_pages_show_consent_states_and_the_hidden_cover(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    day = today()
    story = StoryFactory(cover=BlogImageFactory())
    StoryConsentFactory(story=story, featured_name="Amina", image_rights=ImageRights.NONE)
    StoryConsentFactory(story=story, featured_name="Bruno", valid_until=day + dt.timedelta(days=5))
    StoryConsentFactory(story=story, featured_name="Chloé", valid_until=day - dt.timedelta(days=1))
    StoryConsentFactory(story=story, featured_name="Driss", withdrawn_at=timezone.now())
    page = client.get(reverse("site_admin:story_detail", kwargs={"story_id": story.pk}))
    text = page.content.decode()
    assert "consent-active" in text and "consent-expiring" in text
    assert "consent-expired" in text and "consent-withdrawn" in text
    assert "Publié mais invisible sur le site" in text
    assert "n'a pas accepté les photos" in text
    preview = client.get(reverse("site_admin:story_preview", kwargs={"story_id": story.pk}))
    assert preview["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex">' in preview.content.decode()
    assert "Aperçu" in preview.content.decode()


def test_story_form_creates_a_story_through_the_page(client: Client) -> None:
    client.force_login(make_user_for_role("communication"))
    response = client.post(
        reverse("site_admin:story_create"),
        {
            "subject": "Les bénévoles du samedi",
            "title": "Une équipe qui tient bon",
            "situation": "![](https://tracker.example/pixel.gif)",
            "what_happened": "Des distributions chaque semaine.",
            "what_changed": "Cent familles aidées.",
            "call_to_action": "volunteer",
            "language": "fr",
        },
    )
    # An image without its text alternative is refused with a clear message.
    assert response.status_code == 200
    assert "texte alternatif" in response.content.decode()
    assert not Story.objects.exists()


def test_only_writers_are_offered_the_consent_alert_preference(client: Client) -> None:
    member = make_user_for_role("member")
    client.force_login(member)
    assert 'name="story_consent"' not in client.get(reverse("feed:preferences")).content.decode()
    writer = make_user_for_role("communication")
    client.force_login(writer)
    page = client.get(reverse("feed:preferences")).content.decode()
    assert 'name="story_consent"' in page
    assert "Consentement d&#x27;un récit retiré, expiré ou bientôt expiré" in page
