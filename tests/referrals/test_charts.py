"""Server-side charts: valid SVG, named and described for screen readers, text escaped,
and a data table beside each chart on the overview page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from essaim.referrals import charts
from essaim.referrals.tree import referral_attribute
from tests.conftest import make_user_for_role
from tests.people.factories import PersonFactory

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def test_bar_chart_is_valid_svg_with_one_bar_per_value() -> None:
    root = parse(
        charts.bar_chart(
            title="Arrivées",
            desc="Par mois",
            labels=["01/2026", "02/2026", "03/2026"],
            values=[3, 0, 9],
        )
    )
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 3
    heights = [float(bar.get("height", "0")) for bar in bars]
    assert (
        heights[1] == 0
        and heights[2] == max(heights)
        and heights[0] == pytest.approx(heights[2] / 3, abs=0.1)
    )
    # Each bar says its value on hover/focus for sighted mouse users too.
    assert bars[2].find(f"{SVG}title").text == "03/2026 : 9"  # type: ignore[union-attr]


def test_line_chart_and_funnel_are_valid_svg() -> None:
    root = parse(
        charts.line_chart(title="Croissance", desc="Total", labels=["a", "b"], values=[1, 5])
    )
    assert root.find(f"{SVG}polyline") is not None
    funnel = parse(
        charts.funnel_chart(
            title="Entonnoir", desc="Étapes", steps=[("Visites", 200), ("Inscriptions", 50)]
        )
    )
    texts = [t.text or "" for t in funnel.iter(f"{SVG}text")]
    assert any("25" in text and "%" in text for text in texts)


def test_empty_data_draws_without_dividing_by_zero() -> None:
    parse(charts.bar_chart(title="Vide", desc="Rien", labels=[], values=[]))
    parse(charts.line_chart(title="Vide", desc="Rien", labels=[], values=[]))
    parse(
        charts.funnel_chart(title="Vide", desc="Rien", steps=[("Visites", 0), ("Inscriptions", 0)])
    )


def test_text_is_escaped() -> None:
    markup = charts.bar_chart(
        title="<script>alert(1)</script>", desc="a & b", labels=["<b>x</b>"], values=[1]
    )
    assert "<script>" not in markup and "<b>" not in markup
    root = parse(markup)
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script>"  # type: ignore[union-attr]


def test_two_charts_on_one_page_have_distinct_ids() -> None:
    first = parse(charts.bar_chart(title="A", desc="a", labels=["x"], values=[1]))
    second = parse(charts.bar_chart(title="B", desc="b", labels=["x"], values=[1]))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


@pytest.mark.django_db
def test_overview_page_has_each_chart_with_a_data_table(client: Any) -> None:
    user = make_user_for_role("communication")
    assert user is not None
    client.force_login(user)
    root = PersonFactory()
    referral_attribute(person=PersonFactory(), referrer=root, at=timezone.now())
    page = client.get(reverse("network:overview")).content.decode()
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        parse(svg)
    assert page.count('<table class="chart-table">') == 3
    assert "K d&#x27;un mois" in page or "K d'un mois" in page
    # No script, no third-party resource.
    assert "cdn" not in page.lower()
