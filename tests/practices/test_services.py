"""Services of the practice library: revisions, lifecycle, tags, comments, votes, bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from essaim.feed.models import Activity, Notification, NotificationKind, Verb
from essaim.practices.models import (
    PracticeComment,
    PracticeRevision,
    PracticeSheet,
    PracticeStatus,
    PracticeTag,
    PracticeVisibility,
    PracticeVote,
)
from essaim.practices.services import (
    parse_tag_names,
    practice_comment_add,
    practice_comment_hide,
    practice_create,
    practice_publish,
    practice_restore_revision,
    practice_unpublish,
    practice_update,
    practice_vote_toggle,
)
from tests.practices.conftest import make_sheet


def test_create_is_a_draft_with_revision_tags_and_folded_search_text(action_world):
    sheet = practice_create(
        actor=action_world.users["member_a"],
        title="Réussir une collecte",
        summary="Écouter avant de demander",
        body="# Titre\n\nTexte <script>alert(1)</script>",
        tags="Collecte, Épicerie ; collecte",
        circle=action_world.circles["a"],
    )
    assert sheet.status == PracticeStatus.DRAFT
    assert sheet.slug == "reussir-une-collecte"
    assert sheet.revision_count == 1
    assert sorted(sheet.tags.values_list("name", flat=True)) == ["Collecte", "Épicerie"]
    assert sheet.search_text == "reussir une collecte ecouter avant de demander collecte epicerie"
    assert "<script>" not in sheet.body_html
    assert "<h2>" in sheet.body_html  # the top heading sits right below the page's h1


def test_tags_are_reused_whatever_their_case(action_world):
    first = make_sheet(action_world, tags="Accueil")
    second = make_sheet(action_world, title="Autre", tags="accueil, ACCUEIL")
    assert PracticeTag.objects.count() == 1
    assert list(first.tags.all()) == list(second.tags.all())


def test_too_many_tags_refused(action_world):
    with pytest.raises(ValidationError) as error:
        parse_tag_names(",".join(f"t{i}" for i in range(13)))
    assert "Au plus 12 thèmes" in error.value.messages[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "Donnez un titre"),
        ({"circle": None, "visibility": PracticeVisibility.CIRCLE}, "rattachée à un cercle"),
        ({"circle_key": "b", "action_key": "circle"}, "appartenir au cercle"),
    ],
)
def test_bad_input_creates_nothing(action_world, fields, message):
    circle = action_world.circles[fields.pop("circle_key", "a")]
    actions = [action_world.actions[fields.pop("action_key")]] if "action_key" in fields else []
    kwargs = {"title": "Fiche", "circle": circle, "actions": actions, **fields}
    with pytest.raises(ValidationError) as error:
        practice_create(actor=action_world.users["member_a"], **kwargs)
    assert message in " ".join(error.value.messages)
    assert PracticeSheet.objects.count() == 0
    assert PracticeRevision.objects.count() == 0


def test_update_adds_a_revision_only_when_the_text_changes(action_world):
    sheet = make_sheet(action_world, body="v1")
    user = action_world.users["coordinator_a"]
    sheet = practice_update(actor=user, sheet=sheet, data={"body": "v2"})
    assert sheet.revision_count == 2
    assert "v2" in sheet.body_html
    latest = sheet.revisions.first()
    assert (latest.number, latest.body, latest.author) == (
        2,
        "v2",
        action_world.person("coordinator_a"),
    )
    sheet = practice_update(actor=user, sheet=sheet, data={"tags": "Nouveau thème"})
    assert sheet.revision_count == 2
    assert "nouveau theme" in sheet.search_text


def test_update_bad_input_changes_nothing(action_world):
    sheet = make_sheet(action_world, title="Titre d'origine")
    with pytest.raises(ValidationError):
        practice_update(
            actor=action_world.users["member_a"],
            sheet=sheet,
            data={"title": "Nouveau", "circle": None, "visibility": PracticeVisibility.CIRCLE},
        )
    sheet.refresh_from_db()
    assert (sheet.title, sheet.revision_count) == ("Titre d'origine", 1)


def test_changing_circle_drops_actions_of_the_old_circle(action_world):
    sheet = make_sheet(action_world, actions=[action_world.actions["circle"]])
    sheet = practice_update(
        actor=action_world.users["admin"], sheet=sheet, data={"circle": action_world.circles["b"]}
    )
    assert list(sheet.actions.all()) == []


def test_restore_brings_back_old_text_as_a_new_revision(action_world):
    sheet = make_sheet(action_world, title="Première", body="ancien")
    user = action_world.users["member_a"]
    sheet = practice_update(actor=user, sheet=sheet, data={"title": "Seconde", "body": "neuf"})
    first = sheet.revisions.get(number=1)
    sheet = practice_restore_revision(actor=user, sheet=sheet, revision=first)
    assert (sheet.title, sheet.body, sheet.revision_count) == ("Première", "ancien", 3)
    assert list(sheet.revisions.values_list("number", flat=True)) == [3, 2, 1]


def test_restore_refuses_another_sheets_revision(action_world):
    one = make_sheet(action_world)
    other = make_sheet(action_world, title="Autre")
    with pytest.raises(ValidationError):
        practice_restore_revision(
            actor=action_world.users["admin"], sheet=one, revision=other.revisions.get()
        )


def test_publish_records_activity_in_the_circle_then_unpublish(action_world):
    sheet = make_sheet(action_world, publish=False)
    sheet = practice_publish(actor=action_world.users["coordinator_a"], sheet=sheet)
    assert sheet.status == PracticeStatus.PUBLISHED and sheet.published_at is not None
    activity = Activity.objects.get(verb=Verb.PRACTICE_PUBLISHED)
    assert activity.circle == action_world.circles["a"]
    assert activity.url == f"/pratiques/{sheet.slug}/"
    with pytest.raises(ValidationError):
        practice_publish(actor=action_world.users["admin"], sheet=sheet)
    sheet = practice_unpublish(actor=action_world.users["admin"], sheet=sheet)
    assert sheet.status == PracticeStatus.DRAFT
    with pytest.raises(ValidationError):
        practice_unpublish(actor=action_world.users["admin"], sheet=sheet)


def test_publish_without_circle_records_no_activity(action_world):
    make_sheet(action_world, circle=None)
    assert not Activity.objects.filter(verb=Verb.PRACTICE_PUBLISHED).exists()


def test_comment_notifies_author_and_earlier_commenters_not_the_writer(action_world):
    sheet = make_sheet(action_world)
    practice_comment_add(actor=action_world.users["member_b"], sheet=sheet, body="Bravo")
    practice_comment_add(actor=action_world.users["admin"], sheet=sheet, body="Merci")
    notified = Notification.objects.filter(kind=NotificationKind.PRACTICE)
    recipients = sorted(n.recipient_id for n in notified)
    author, member_b = action_world.person("member_a"), action_world.person("member_b")
    # First comment: the author. Second: the author and member_b.
    assert recipients == sorted([author.pk, author.pk, member_b.pk])
    assert not notified.filter(recipient=action_world.person("admin")).exists()
    sheet.refresh_from_db()
    assert sheet.comment_count == 2


def test_comment_on_a_circle_sheet_notifies_only_who_still_reads_it(action_world):
    sheet = make_sheet(action_world, visibility=PracticeVisibility.CIRCLE)
    # member_b is not in circle A (say they wrote before leaving it).
    PracticeComment.objects.create(
        sheet=sheet, author=action_world.person("member_b"), body="x", body_html="x"
    )
    practice_comment_add(actor=action_world.users["coordinator_a"], sheet=sheet, body="Oui")
    recipients = set(
        Notification.objects.filter(kind=NotificationKind.PRACTICE).values_list(
            "recipient_id", flat=True
        )
    )
    assert recipients == {action_world.person("member_a").pk}


def test_empty_comment_refused_nothing_created(action_world):
    sheet = make_sheet(action_world)
    before = Notification.objects.count()
    with pytest.raises(ValidationError) as error:
        practice_comment_add(actor=action_world.users["member"], sheet=sheet, body="   ")
    assert "Écrivez votre commentaire" in error.value.messages[0]
    assert PracticeComment.objects.count() == 0
    assert Notification.objects.count() == before


def test_hide_comment_updates_counter_once(action_world):
    sheet = make_sheet(action_world)
    comment = practice_comment_add(actor=action_world.users["member"], sheet=sheet, body="Spam")
    practice_comment_hide(actor=action_world.users["admin"], comment=comment)
    practice_comment_hide(actor=action_world.users["admin"], comment=comment)
    sheet.refresh_from_db()
    assert sheet.comment_count == 0


def test_vote_toggles_and_counts(action_world):
    sheet = make_sheet(action_world)
    assert practice_vote_toggle(actor=action_world.users["member"], sheet=sheet) == (True, 1)
    assert practice_vote_toggle(actor=action_world.users["member_b"], sheet=sheet) == (True, 2)
    assert practice_vote_toggle(actor=action_world.users["member"], sheet=sheet) == (False, 1)
    assert PracticeVote.objects.filter(sheet=sheet).count() == 1


def test_sheets_for_action_respects_reading_rights(practice_world):
    from essaim.practices.selectors import sheets_for_action
    from essaim.practices.services import practice_draft_from_lesson

    w = practice_world
    action = w.actions["circle"]
    draft = practice_draft_from_lesson(
        actor=w.users["coordinator_a"], action=action, title="Leçon", lesson="Texte"
    )
    assert set(sheets_for_action(w.users["coordinator_a"], action)) == {w.sheets["network"], draft}
    assert sheets_for_action(w.users["member_b"], action) == [w.sheets["network"]]
    assert sheets_for_action(w.users["anonymous"], action) == []
