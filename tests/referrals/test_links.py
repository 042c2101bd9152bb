"""Personal links: codes, visits counted per day and channel without any visitor data, the
attribution cookie (first touch wins, window), QR codes, share texts, the links page."""

from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from django.core import signing
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from essaim.actions.models import Mission
from essaim.core.models import AuditLog
from essaim.people.models import Person
from essaim.referrals.links import (
    COOKIE_NAME,
    COOKIE_SALT,
    attribution_from_request,
    link_get_or_create,
    link_target,
    visit_record,
)
from essaim.referrals.models import (
    Channel,
    LinkGoal,
    LinkVisitDay,
    ReferralLink,
    ShareChannel,
    ShareText,
)
from essaim.referrals.qr import BLACK, qr_colour
from essaim.referrals.selectors import share_options, share_texts_for
from tests.actions.conftest import ActionWorld
from tests.conftest import make_user_for_role
from tests.referrals.factories import ReferralLinkFactory, ShareTextFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"


def visit(client: Client, code: str, query: str = "", **headers: str) -> object:
    url = reverse("capillarity:link", kwargs={"code": code}) + (f"?{query}" if query else "")
    return client.get(
        url,
        HTTP_USER_AGENT=headers.get("ua", BROWSER),
        REMOTE_ADDR=headers.get("ip", "203.0.113.7"),
    )


def cookie_of(client: Client) -> dict[str, object] | None:
    morsel = client.cookies.get(COOKIE_NAME)
    if morsel is None or not morsel.value:
        return None
    return signing.loads(morsel.value, salt=COOKIE_SALT)


# --- Codes and links ---------------------------------------------------------------------


def test_link_is_created_once_per_goal_with_an_unguessable_code(referrer: Person) -> None:
    first = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    again = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    news = link_get_or_create(owner=referrer, goal=LinkGoal.NEWS)
    assert first.pk == again.pk != news.pk
    assert re.fullmatch(r"[A-Za-z0-9]{12}", first.code)
    assert first.code != news.code


def test_giving_links_lead_to_the_giving_page(referrer: Person) -> None:
    from essaim.blog.public import public_reverse
    from essaim.referrals.links import link_target

    link = link_get_or_create(owner=referrer, goal=LinkGoal.GIVE)
    assert link_target(link) == public_reverse("give") == "/don/"
    assert link_get_or_create(owner=referrer, goal=LinkGoal.GIVE).pk == link.pk


def test_link_targets(referrer: Person, action_world: ActionWorld) -> None:
    public = action_world.actions["public"]
    members = action_world.actions["members"]
    mission = Mission.objects.create(
        action=members,
        role="Accueil",
        starts_at=members.starts_at,
        ends_at=members.starts_at + timedelta(hours=2),
        capacity=3,
    )
    assert link_target(link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)) == reverse(
        "account_signup"
    )
    assert link_target(
        link_get_or_create(owner=referrer, goal=LinkGoal.VOLUNTEER, action=public)
    ) == reverse("public_actions:detail", kwargs={"slug": public.slug})
    assert link_target(
        link_get_or_create(owner=referrer, goal=LinkGoal.VOLUNTEER, mission=mission)
    ) == reverse("actions:detail", kwargs={"slug": members.slug})
    assert link_target(link_get_or_create(owner=referrer, goal=LinkGoal.VOLUNTEER)) == reverse(
        "blog:home"
    )


# --- Visits ------------------------------------------------------------------------------


def test_visit_counts_sets_the_cookie_and_redirects(client: Client, join_link: ReferralLink):
    response = visit(client, join_link.code)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")
    row = LinkVisitDay.objects.get()
    assert (row.link_id, row.day, row.channel, row.count) == (
        join_link.pk,
        timezone.localdate(),
        Channel.LINK,
        1,
    )
    morsel = response.cookies[COOKIE_NAME]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert int(morsel["max-age"]) == 30 * 24 * 3600
    value = cookie_of(client)
    assert value is not None and value["c"] == join_link.code
    # A second visit the same day is not counted again and leaves the first touch in place.
    response = visit(client, join_link.code)
    assert COOKIE_NAME not in response.cookies
    assert LinkVisitDay.objects.get().count == 1


def test_visits_are_counted_per_channel(client: Client, join_link: ReferralLink) -> None:
    visit(client, join_link.code, "c=qr")
    visit(Client(), join_link.code, "c=qr")
    visit(Client(), join_link.code, "c=sms")
    visit(Client(), join_link.code, "c=nonsense")
    counts = dict(LinkVisitDay.objects.values_list("channel", "count"))
    assert counts == {Channel.QR: 2, Channel.SMS: 1, Channel.LINK: 1}


def test_no_ip_address_or_user_agent_is_stored(client: Client, join_link: ReferralLink) -> None:
    visit(client, join_link.code, "c=email")
    field_names = {field.name for field in LinkVisitDay._meta.get_fields()}
    assert field_names == {"id", "link", "day", "channel", "count"}
    stored = " ".join(str(value) for value in LinkVisitDay.objects.values().get().values())
    assert "203.0.113" not in stored
    assert "Mozilla" not in stored


def test_visit_record_adds_to_the_existing_row(join_link: ReferralLink) -> None:
    for _ in range(3):
        visit_record(link=join_link, channel=Channel.SOCIAL)
    assert LinkVisitDay.objects.get().count == 3


@pytest.mark.parametrize("code", ["abc", "x" * 40, "bad-code!!", "AAAAAAAAAAAA"])
def test_forged_or_unknown_codes_are_404_and_count_nothing(
    client: Client, join_link: ReferralLink, code: str
) -> None:
    response = visit(client, code)
    assert response.status_code == 404
    assert "Ce lien ne fonctionne pas" in response.content.decode()
    assert COOKIE_NAME not in response.cookies
    assert not LinkVisitDay.objects.exists()


def test_inactive_link_is_404(client: Client, join_link: ReferralLink) -> None:
    ReferralLink.objects.filter(pk=join_link.pk).update(is_active=False)
    response = visit(client, join_link.code)
    assert response.status_code == 404
    assert not LinkVisitDay.objects.exists()
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    "agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 Facebot",
        "SomeCrawler/1.0",
        "Baiduspider",
        "WhatsApp link preview",
    ],
)
def test_bots_are_redirected_but_not_counted(client: Client, join_link: ReferralLink, agent):
    response = visit(client, join_link.code, ua=agent)
    assert response.status_code == 302
    assert not LinkVisitDay.objects.exists()
    assert COOKIE_NAME not in response.cookies


# --- The attribution cookie --------------------------------------------------------------


def _request_with(client: Client) -> object:
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    return request


def test_first_touch_wins(client: Client, join_link: ReferralLink) -> None:
    other = ReferralLinkFactory(goal=LinkGoal.JOIN)
    visit(client, join_link.code)
    response = visit(client, other.code)
    assert COOKIE_NAME not in response.cookies
    attribution = attribution_from_request(_request_with(client))
    assert attribution is not None
    assert attribution.referrer.pk == join_link.owner_id
    assert attribution.link == join_link
    # The other link's visit is still counted.
    assert LinkVisitDay.objects.get(link=other).count == 1


def test_window_expiry(client: Client, join_link: ReferralLink) -> None:
    other = ReferralLinkFactory(goal=LinkGoal.JOIN)
    start = timezone.now()
    with freeze_time(start - timedelta(days=31)):
        visit(client, join_link.code)
    with freeze_time(start - timedelta(days=29)):
        assert attribution_from_request(_request_with(client)) is not None
    assert attribution_from_request(_request_with(client)) is None
    # An expired first touch no longer blocks a new one.
    response = visit(client, other.code)
    assert COOKIE_NAME in response.cookies
    attribution = attribution_from_request(_request_with(client))
    assert attribution is not None and attribution.link == other


def test_shorter_window_set_by_staff_applies_to_old_cookies(
    client: Client, join_link: ReferralLink
) -> None:
    start = timezone.now()
    with freeze_time(start - timedelta(days=10)):
        visit(client, join_link.code)
    from essaim.core.models import Organisation
    from essaim.core.selectors import organisation_get

    Organisation.objects.filter(pk=organisation_get().pk).update(referral_window_days=7)
    from django.core.cache import cache

    cache.clear()
    assert attribution_from_request(_request_with(client)) is None


def test_forged_cookie_is_ignored(join_link: ReferralLink) -> None:
    request = RequestFactory().get("/")
    request.COOKIES = {COOKIE_NAME: "eyJrIjoibCJ9:forged:signature"}
    assert attribution_from_request(request) is None
    other_salt = signing.dumps({"k": "l", "c": join_link.code, "h": "link", "t": 0}, salt="x")
    request.COOKIES = {COOKIE_NAME: other_salt}
    assert attribution_from_request(request) is None


def test_cookie_of_a_link_deactivated_since_attributes_nothing(
    client: Client, join_link: ReferralLink
) -> None:
    visit(client, join_link.code)
    ReferralLink.objects.filter(pk=join_link.pk).update(is_active=False)
    assert attribution_from_request(_request_with(client)) is None


# --- QR codes ----------------------------------------------------------------------------


def test_qr_downloads_for_the_owner_only(client: Client, referrer: Person) -> None:
    link = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    client.force_login(referrer.user)
    png = client.get(reverse("referrals:qr", kwargs={"code": link.code, "fmt": "png"}))
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert "attachment" in png["Content-Disposition"]
    svg = client.get(reverse("referrals:qr", kwargs={"code": link.code, "fmt": "svg"}))
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content and b"<title>" in svg.content
    bad = client.get(reverse("referrals:qr", kwargs={"code": link.code, "fmt": "gif"}))
    assert bad.status_code == 404
    stranger = make_user_for_role("member")
    client.force_login(stranger)
    other = client.get(reverse("referrals:qr", kwargs={"code": link.code, "fmt": "png"}))
    assert other.status_code == 404


def test_qr_colour_falls_back_to_black_when_too_pale() -> None:
    from django.core.cache import cache

    from essaim.core.models import Organisation
    from essaim.core.selectors import organisation_get

    assert qr_colour() == organisation_get().primary_color
    Organisation.objects.filter(pk=organisation_get().pk).update(primary_color="#ffee99")
    cache.clear()
    assert qr_colour() == BLACK


# --- Share texts -------------------------------------------------------------------------


def test_share_options_use_staff_wording_with_link_and_first_name(referrer: Person) -> None:
    link = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    ShareTextFactory(
        goal=LinkGoal.JOIN,
        channel=ShareChannel.SMS,
        text="Salut ! {prenom} te propose {lien} {autre}",
    )
    texts = share_texts_for([LinkGoal.JOIN])
    options = {o.kind: o.url for o in share_options(link=link, texts=texts, first_name="Camille")}
    assert options["sms"].startswith("sms:?body=Salut")
    assert "Camille" in options["sms"] and f"{link.code}%2F%3Fc%3Dsms" in options["sms"]
    assert "%7Bautre%7D" in options["sms"]  # other braces stay as typed
    assert options["email"].startswith("mailto:?subject=")
    assert f"{link.code}%2F%3Fc%3Demail" in options["email"]
    assert options["whatsapp"].startswith("https://wa.me/?text=")
    assert options["telegram"].startswith("https://t.me/share/url?url=")
    assert options["facebook"].startswith("https://www.facebook.com/sharer/sharer.php?u=")
    assert options["linkedin"].startswith("https://www.linkedin.com/sharing/share-offsite/")
    assert options["x"].startswith("https://x.com/intent/post?text=")


def test_default_share_texts_exist_for_every_goal_and_channel() -> None:
    texts = share_texts_for(list(LinkGoal.values))
    for (_goal, channel), (subject, text) in texts.items():
        assert "{lien}" in text
        assert bool(subject) == (channel == ShareChannel.EMAIL)


def _share_form_data(client: Client) -> dict[str, str]:
    page = client.get(reverse("referrals:share_texts"))
    form = page.context["form"]
    return {name: str(form[name].value()) for name in form.fields}


def test_staff_edit_share_texts(client: Client) -> None:
    admin = make_user_for_role("communication")
    client.force_login(admin)
    data = _share_form_data(client)
    data["join__sms__text"] = "Viens ! {lien}"
    response = client.post(reverse("referrals:share_texts"), data)
    assert response.status_code == 302
    saved = ShareText.objects.get()
    assert (saved.goal, saved.channel, saved.text) == ("join", "sms", "Viens ! {lien}")
    assert AuditLog.objects.filter(action="share_text.update").count() == 1


def test_share_text_without_link_is_refused(client: Client) -> None:
    client.force_login(make_user_for_role("admin"))
    data = _share_form_data(client)
    data["news__email__text"] = "Pas de lien ici"
    response = client.post(reverse("referrals:share_texts"), data)
    assert response.status_code == 400
    assert "Le texte doit contenir {lien}." in response.content.decode()
    assert not ShareText.objects.exists()


# --- The links page ----------------------------------------------------------------------


def test_links_page_shows_copyable_links_qr_and_share_links(client: Client, referrer: Person):
    client.force_login(referrer.user)
    response = client.get(reverse("referrals:links"))
    assert response.status_code == 200
    html = response.content.decode()
    links = list(ReferralLink.objects.filter(owner=referrer))
    assert {link.goal for link in links} == {"join", "volunteer", "give", "news"}
    for link in links:
        assert f'value="http://127.0.0.1:8000/r/{link.code}/" readonly' in html
    assert html.count("<svg") >= 3
    assert "mailto:?subject=" in html and "sms:?body=" in html and "https://wa.me/" in html
    assert "<script src=" not in html.split("</header>", 1)[1]  # no third-party script


def test_links_page_for_an_action_with_its_missions(
    client: Client, action_world: ActionWorld
) -> None:
    user = action_world.users["member_a"]
    action = action_world.actions["members"]
    client.force_login(user)
    for n in range(3):
        Mission.objects.create(
            action=action,
            role=f"Rôle {n}",
            starts_at=action.starts_at,
            ends_at=action.starts_at + timedelta(hours=2),
            capacity=2,
        )
    response = client.get(reverse("referrals:links"), {"action": action.slug})
    assert response.status_code == 200
    assert "Bénévolat : Rôle 2" in response.content.decode()
    assert ReferralLink.objects.filter(owner__user=user, mission__isnull=False).count() == 3
    secret = action_world.actions["secret"]
    hidden = client.get(reverse("referrals:links"), {"action": secret.slug})
    assert hidden.status_code == 404


def test_links_page_query_count_is_constant(
    client: Client,
    action_world: ActionWorld,
    django_assert_num_queries,
    django_assert_max_num_queries,
) -> None:
    user = action_world.users["member_a"]
    action = action_world.actions["members"]
    client.force_login(user)
    url = reverse("referrals:links") + f"?action={action.slug}"

    def add_mission(n: int) -> None:
        Mission.objects.create(
            action=action,
            role=f"Rôle {n}",
            starts_at=action.starts_at,
            ends_at=action.starts_at + timedelta(hours=2),
            capacity=2,
        )

    add_mission(0)
    client.get(url)  # creates the links
    with django_assert_max_num_queries(40) as one:
        assert client.get(url).status_code == 200
    queries = len(one)
    for n in range(1, 6):
        add_mission(n)
    client.get(url)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_links_page_with_cookie_parsed_by_simplecookie(client: Client, join_link) -> None:
    # The cookie value survives the Set-Cookie round trip (quoted characters and all).
    response = visit(client, join_link.code)
    parsed = SimpleCookie()
    parsed.load(response.cookies.output(header="").strip())
    assert parsed[COOKIE_NAME].value == response.cookies[COOKIE_NAME].value


# --- Organisation settings ---------------------------------------------------------------


def _org_post(client: Client, **overrides: str):
    from tests.core.test_organisation import valid_data

    client.force_login(make_user_for_role("admin"))
    return client.post(reverse("core:organisation"), valid_data(**overrides))


def test_capillarity_settings_are_editable_and_checked(client: Client) -> None:
    from django.core.cache import cache

    from essaim.core.models import Organisation

    response = _org_post(
        client,
        referral_window_days="14",
        invitations_per_day="10",
        invitation_retention_days="30",
        referral_names="full",
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert (
        organisation.referral_window_days,
        organisation.invitations_per_day,
        organisation.invitation_retention_days,
        organisation.referral_names,
    ) == (14, 10, 30, "full")
    cache.clear()
    response = _org_post(client, referral_window_days="0", invitation_retention_days="99999")
    assert response.status_code in (200, 400)
    assert "Indiquez un nombre de jours entre 1 et 3650." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.referral_window_days == 14
    # A form posted without these fields keeps them.
    cache.clear()
    assert _org_post(client).status_code == 302
    organisation.refresh_from_db()
    assert (organisation.referral_window_days, organisation.referral_names) == (14, "full")


def test_qr_svg_escapes_its_title_and_is_drawn_once() -> None:
    from unittest import mock

    from essaim.referrals import qr

    hostile = "</title><script>alert(1)</script>"
    with mock.patch.object(qr, "_draw_svg", wraps=qr._draw_svg) as draw:
        first = qr.qr_svg("https://exemple.fr/r/abc/", title=hostile)
        again = qr.qr_svg("https://exemple.fr/r/abc/", title=hostile)
    assert first == again and draw.call_count == 1
    assert "<script>" not in first
    assert "&lt;script&gt;" in first


def test_htmx_chooser_gets_only_the_cards(client: Client, action_world: ActionWorld) -> None:
    client.force_login(action_world.users["member_a"])
    action = action_world.actions["public"]
    response = client.get(
        reverse("referrals:links"), {"action": action.slug}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" not in html and 'class="card link-card"' in html
    assert "Bénévolat : Action publique" in html
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("referrals:links"), {"action": action.slug}).content.decode()
    assert '<div id="link-cards"' in full and "<h1" in full


def test_cards_count_visits_and_people_brought(client: Client, referrer: Person) -> None:
    from tests.referrals.factories import ReferralEventFactory

    link = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    for channel in (Channel.QR, Channel.QR, Channel.SMS):
        visit_record(link=link, channel=channel)
    newcomer = ReferralEventFactory(link=link, referrer=referrer).person
    ReferralEventFactory(person=newcomer, link=link, referrer=referrer, kind="subscribed")
    client.force_login(referrer.user)
    cards = client.get(reverse("referrals:links")).context["cards"]
    join = next(card for card in cards if card.link == link)
    assert (join.visits, join.arrivals) == (3, 1)


def test_owner_renews_a_link_and_the_old_address_stops(client: Client, referrer: Person) -> None:
    link = link_get_or_create(owner=referrer, goal=LinkGoal.JOIN)
    visit_record(link=link)
    old_code = link.code
    client.force_login(referrer.user)
    response = client.post(
        reverse("referrals:link_renew", kwargs={"code": old_code}), {"retour": "campagne=x"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:links") + "?campagne=x"
    link.refresh_from_db()
    assert link.code != old_code and re.fullmatch(r"[A-Za-z0-9]{12}", link.code)
    assert LinkVisitDay.objects.get(link=link).count == 1  # history kept
    assert visit(Client(), old_code).status_code == 404
    assert visit(Client(), link.code).status_code == 302
    assert (
        client.get(reverse("referrals:link_renew", kwargs={"code": link.code})).status_code == 405
    )


def test_privacy_page_explains_the_attribution_cookie(client: Client) -> None:
    page = client.get(reverse("blog:privacy")).content.decode()
    assert "essaim_ref" in page
    assert "pendant 30 jours au plus" in page
    assert "sans adresse IP" in page


def test_a_browser_visiting_a_link_again_the_same_day_counts_once(
    client: Client, join_link: ReferralLink, referrer: Person
) -> None:
    other = link_get_or_create(owner=referrer, goal=LinkGoal.NEWS)
    for _ in range(3):
        visit(client, join_link.code)
    visit(client, other.code)
    visit(client, other.code)
    counts = dict(LinkVisitDay.objects.values_list("link", "count"))
    assert counts == {join_link.pk: 1, other.pk: 1}
    # Another browser is another visit; the next day, the same browser counts again.
    visit(Client(), join_link.code)
    assert LinkVisitDay.objects.get(link=join_link).count == 2
    with freeze_time(timezone.now() + timedelta(days=1)):
        visit(client, join_link.code)
    assert LinkVisitDay.objects.filter(link=join_link).count() == 2  # a row for the new day


def test_a_flood_from_one_address_stops_counting(join_link: ReferralLink) -> None:
    from essaim.referrals.public_views import VISITS_PER_MINUTE

    with freeze_time("2026-11-24 10:00:05"):
        for _ in range(VISITS_PER_MINUTE + 10):
            response = visit(Client(), join_link.code)  # a script without cookies
            assert response.status_code == 302  # still sent on, only not counted
        assert LinkVisitDay.objects.get().count == VISITS_PER_MINUTE
        visit(Client(), join_link.code, ip="198.51.100.7")  # another address
        assert LinkVisitDay.objects.get().count == VISITS_PER_MINUTE + 1
    with freeze_time("2026-11-24 10:01:05"):
        visit(Client(), join_link.code)  # a new minute
        assert LinkVisitDay.objects.get().count == VISITS_PER_MINUTE + 2
