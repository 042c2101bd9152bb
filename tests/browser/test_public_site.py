"""The public site in Chromium: no axe-core violation on any page (French and English),
no sideways scrolling on a phone, and a skip link that works from the keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.blog.test_html_validity import _public_pages
from tests.browser.conftest import AXE_JS, AXE_TAGS, assert_no_horizontal_scroll, format_violations

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return list(result["violations"])


def test_every_public_page_has_no_axe_violation(new_context: Any) -> None:
    pages = _public_pages()
    browser_page = new_context().new_page()
    found: list[str] = []
    for label, path in pages.items():
        response = browser_page.goto(path)
        assert response is not None and response.status == 200, f"{label}: {path}"
        violations = _violations(browser_page)
        if violations:
            found.append(f"{label} ({path}):\n{format_violations(violations)}")
    if found:
        pytest.fail("axe-core violations:\n" + "\n".join(found), pytrace=False)


def test_public_pages_fit_a_phone(new_context: Any) -> None:
    pages = _public_pages()
    browser_page = new_context(**PHONE).new_page()
    found: list[str] = []
    for label in ("home (fr)", "index (fr)", "article (fr)", "story (fr)", "public action"):
        browser_page.goto(pages[label])
        assert_no_horizontal_scroll(browser_page, 360)
        violations = _violations(browser_page)
        if violations:
            found.append(f"{label}:\n{format_violations(violations)}")
    if found:
        pytest.fail("axe-core violations on a phone:\n" + "\n".join(found), pytrace=False)


def test_skip_link_is_the_first_stop_and_reaches_the_content(new_context: Any) -> None:
    pages = _public_pages()
    page = new_context().new_page()
    page.goto(pages["article (fr)"])
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["skip-link", "#contenu"], focused
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#contenu")
    # The next Tab goes into the content, past the header's links.
    page.keyboard.press("Tab")
    inside = page.evaluate("() => !!document.activeElement.closest('#contenu')")
    assert inside, page.evaluate("() => document.activeElement.outerHTML")
