"""Sheet page, writing form, votes, comments and history through the browser's eyes (no JS)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from essaim.practices.models import PracticeComment, PracticeSheet, PracticeStatus
from essaim.practices.services import practice_comment_add, practice_update
from tests.practices.conftest import make_sheet


def url(name: str, sheet: PracticeSheet, **kwargs) -> str:
    return reverse(f"practices:{name}", kwargs={"slug": sheet.slug, **kwargs})


def test_sheet_page_shows_sanitised_body_tags_and_visible_actions(client, practice_world):
    w = practice_world
    sheet = w.sheets["network"]
    sheet = practice_update(
        actor=w.users["admin"],
        sheet=sheet,
        data={
            "body": "Texte **gras** <script>alert(1)</script> [x](javascript:alert(1))",
            "actions": [w.actions["circle"]],
        },
    )
    client.force_login(w.users["member_a"])
    page = client.get(url("detail", sheet)).content.decode()
    assert "<strong>gras</strong>" in page
    assert "<script>alert" not in page
    assert 'href="javascript' not in page
    assert "Accueil" in page and "Bénévolat" in page
    assert w.actions["circle"].title in page  # member_a sees circle A's action
    client.force_login(w.users["member_b"])
    page = client.get(url("detail", sheet)).content.decode()
    assert w.actions["circle"].title not in page  # an outsider does not
    assert w.person("member_a").email not in page


def test_create_form_makes_a_draft_and_redirects(client, action_world):
    client.force_login(action_world.users["member_a"])
    response = client.post(
        reverse("practices:create"),
        {
            "title": "Tenir un stand",
            "summary": "Au marché",
            "body": "Des flyers",
            "tags": "stand, marché",
            "circle": action_world.circles["a"].slug,
            "visibility": "circle",
            "actions": [action_world.actions["circle"].pk],
        },
    )
    sheet = PracticeSheet.objects.get(title="Tenir un stand")
    assert response.status_code == 302 and response["Location"] == url("detail", sheet)
    assert sheet.status == PracticeStatus.DRAFT
    assert list(sheet.actions.all()) == [action_world.actions["circle"]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Donnez un titre à la fiche."),
        ({"circle": "", "visibility": "circle"}, "Choisissez le cercle dont les membres"),
        ({"circle": "", "actions": "circle"}, "n&#x27;appartiennent pas au cercle choisi"),
        ({"circle": "antenne-b"}, "Sélectionnez un choix valide"),
        ({"tags": ",".join(f"t{i}" for i in range(13))}, "Au plus 12 thèmes"),
    ],
)
def test_create_form_bad_input_is_explained_and_creates_nothing(
    client, action_world, changes, message
):
    client.force_login(action_world.users["member_a"])
    data = {
        "title": "Fiche",
        "body": "",
        "tags": "",
        "circle": action_world.circles["a"].slug,
        "visibility": "network",
    }
    if changes.pop("actions", None):
        data["actions"] = [action_world.actions["circle"].pk]
    data.update(changes)
    response = client.post(reverse("practices:create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PracticeSheet.objects.count() == 0


def test_edit_form_is_prefilled_and_bad_input_changes_nothing(client, practice_world):
    w = practice_world
    sheet = w.sheets["network"]
    client.force_login(w.users["coordinator_a"])
    page = client.get(url("edit", sheet)).content.decode()
    assert 'value="Accueillir les nouveaux bénévoles"' in page
    assert "Accueil, Bénévolat" in page
    response = client.post(url("edit", sheet), {"title": "", "visibility": "network"})
    assert response.status_code == 400
    sheet.refresh_from_db()
    assert (sheet.title, sheet.revision_count) == ("Accueillir les nouveaux bénévoles", 1)


def test_vote_without_js_redirects_and_with_htmx_returns_the_button(client, practice_world):
    w = practice_world
    sheet = w.sheets["network"]
    client.force_login(w.users["member"])
    response = client.post(url("vote", sheet))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.useful_count == 1
    response = client.post(url("vote", sheet), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'aria-pressed="false"' in body and "<html" not in body
    sheet.refresh_from_db()
    assert sheet.useful_count == 0
    page = client.get(url("detail", sheet)).content.decode()
    assert "Utile pour moi" in page


def test_comment_posted_then_empty_comment_refused(client, practice_world):
    w = practice_world
    sheet = w.sheets["network"]
    client.force_login(w.users["member_b"])
    response = client.post(url("comment", sheet), {"body": "Merci pour le *binôme*"})
    comment = PracticeComment.objects.get()
    assert response["Location"].endswith(f"#commentaire-{comment.pk}")
    assert "<em>binôme</em>" in client.get(url("detail", sheet)).content.decode()
    response = client.post(url("comment", sheet), {"body": "  "})
    assert response.status_code == 400
    assert "Écrivez votre commentaire" in response.content.decode()
    assert PracticeComment.objects.count() == 1


@pytest.mark.parametrize("comments", [2, 20])
def test_sheet_page_queries_constant_in_comments(
    client, practice_world, django_assert_num_queries, comments
):
    w = practice_world
    sheet = w.sheets["network"]
    people = ["member", "member_b", "admin", "coordinator_a"]
    for number in range(comments):
        practice_comment_add(actor=w.users[people[number % 4]], sheet=sheet, body=f"n°{number}")
    client.force_login(w.users["member_a"])
    client.get(url("detail", sheet))
    with django_assert_num_queries(10):
        response = client.get(url("detail", sheet))
    assert len(response.context["comments"]) == comments


def test_history_compares_two_versions_and_restores(client, practice_world):
    w = practice_world
    sheet = w.sheets["network"]
    practice_update(
        actor=w.users["member_a"],
        sheet=sheet,
        data={"body": "## Le jour J\n\n- Un thé\n- Un binôme"},
    )
    client.force_login(w.users["member_a"])
    page = client.get(url("history", sheet), {"de": 1, "a": 2}).content.decode()
    assert "Retiré :</span> <del>- Un café" in page
    assert "Ajouté :</span> <ins>- Un thé" in page
    missing = client.get(url("history", sheet), {"de": 1, "a": 9}).content.decode()
    assert "Ces versions n&#x27;existent pas" in missing
    response = client.post(url("restore", sheet, number=1))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert "Un café" in sheet.body and sheet.revision_count == 3
    assert client.post(url("restore", sheet, number=42)).status_code == 404


@pytest.mark.parametrize("revisions", [2, 20])
def test_history_queries_constant(client, practice_world, django_assert_num_queries, revisions):
    w = practice_world
    sheet = w.sheets["network"]
    for number in range(revisions - 1):
        sheet = practice_update(actor=w.users["admin"], sheet=sheet, data={"body": f"v{number}"})
    client.force_login(w.users["admin"])
    client.get(url("history", sheet))
    with django_assert_num_queries(7):
        response = client.get(url("history", sheet))
    assert len(response.context["page"].object_list) == revisions


def test_publish_and_unpublish_from_the_page(client, practice_world):
    w = practice_world
    draft = w.sheets["draft"]
    client.force_login(w.users["coordinator_a"])
    client.post(url("publish", draft))
    draft.refresh_from_db()
    assert draft.status == PracticeStatus.PUBLISHED
    client.post(url("publish", draft), {"value": "0"})
    draft.refresh_from_db()
    assert draft.status == PracticeStatus.DRAFT


def test_preview_renders_markdown(client, action_world):
    client.force_login(action_world.users["sympathiser"])
    response = client.post(reverse("practices:preview"), {"body": "**fort** <script>x</script>"})
    assert "<strong>fort</strong>" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_hidden_comment_disappears(client, practice_world):
    w = practice_world
    sheet = w.sheets["network"]
    comment = practice_comment_add(actor=w.users["member"], sheet=sheet, body="Publicité")
    client.force_login(w.users["coordinator_a"])
    client.post(url("comment_hide", sheet, comment_id=comment.pk))
    assert "Publicité" not in client.get(url("detail", sheet)).content.decode()


def test_slug_never_shadows_the_library_pages(action_world):
    sheet = make_sheet(action_world, title="Nouvelle")
    assert sheet.slug == "nouvelle-fiche"


def test_audit_log_names_practice_moderation(client, practice_world):
    w = practice_world
    client.force_login(w.users["admin"])
    client.post(url("publish", w.sheets["draft"]))
    page = client.get(reverse("core:audit")).content.decode()
    assert "Fiche pratique publiée" in page


def test_linked_actions_offered_are_only_those_the_writer_may_see(client, action_world):
    draft = action_world.actions["draft"]  # circle A, a draft: its coordinators only
    client.force_login(action_world.users["member_a"])
    form = client.get(reverse("practices:create")).context["form"]
    offered = set(form.fields["actions"].queryset)
    assert action_world.actions["circle"] in offered
    assert draft not in offered
    # Posting a hidden action by its id is refused like any unknown choice.
    response = client.post(
        reverse("practices:create"),
        {
            "title": "Fiche",
            "circle": action_world.circles["a"].slug,
            "visibility": "circle",
            "actions": [draft.pk],
        },
    )
    assert response.status_code == 400 and not PracticeSheet.objects.exists()
    assert (
        "choix valide" in response.content.decode() or "valid choice" in response.content.decode()
    )
    client.force_login(action_world.users["coordinator_a"])
    form = client.get(reverse("practices:create")).context["form"]
    assert draft in set(form.fields["actions"].queryset)
