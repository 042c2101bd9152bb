"""The English catalogue is complete, compiled, and the interface switches to it.

The msgids are French (French is the source language), so a missing English
translation shows up as French text on an English page.
"""

from __future__ import annotations

import ast
import gettext
import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation.template import templatize

BASE_DIR = Path(settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# The folders `make messages` reads (it ignores .venv, node_modules, bench, tests and var).
SOURCE_DIRS = ("essaim", "config", "templates")
TEMPLATE_SUFFIXES = (".html", ".txt")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural:
            return [self.msgstr_plural.get(i, "") for i in (0, 1)]
        return [self.msgstr]


def _unquote(literal: str) -> str:
    # A PO string is a C string; these escapes are the ones msgfmt accepts in practice.
    value = ast.literal_eval(literal)
    assert isinstance(value, str)
    return value


def parse_po(path: Path) -> list[Entry]:
    """Read a PO file into entries (the header is the entry with an empty msgid)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int | None] | None = None
    started = False

    def flush() -> None:
        nonlocal current, started, target
        if started:
            entries.append(current)
        current, started, target = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            current.obsolete = True
            line = line[2:].strip()
            if not line or line.startswith("|"):
                continue
        elif line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        elif line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"continuation line without a keyword: {raw!r}"
            name, index = target
            value = _unquote(line)
        else:
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            name, index = ("msgstr_plural", int(match.group(1))) if match else (keyword, None)
            assert name in {"msgid", "msgid_plural", "msgctxt", "msgstr", "msgstr_plural"}, raw
            value = _unquote(rest)
            started = True
            target = (name, index)
            if name == "msgctxt":
                current.msgctxt = ""
        if name == "msgstr_plural":
            assert index is not None
            current.msgstr_plural[index] = current.msgstr_plural.get(index, "") + value
        elif name == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + value
        else:
            setattr(current, name, getattr(current, name) + value)
    flush()
    return entries


def catalogue() -> list[Entry]:
    return [e for e in parse_po(PO_PATH) if not e.obsolete and e.msgid]


# --- what makemessages would extract -------------------------------------------------------

GETTEXT_NAMES = {
    # name: (index of msgctxt or None, index of msgid, index of msgid_plural or None)
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _string_arg(call: ast.Call, index: int | None) -> str | None:
    if index is None or index >= len(call.args):
        return None
    arg = call.args[index]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _calls_in_python(source: str) -> list[tuple[str | None, str, str | None]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute):
            name = func.attr
        else:
            continue
        if name not in GETTEXT_NAMES:
            continue
        ctx_i, id_i, plural_i = GETTEXT_NAMES[name]
        msgid = _string_arg(node, id_i)
        if msgid:
            found.append((_string_arg(node, ctx_i), msgid, _string_arg(node, plural_i)))
    return found


_TEMPLATE_CALL = re.compile(
    r"\b(?:_|(?:n|p|np)?gettext)\((?:[^()'\"]|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")*\)"
)


def _calls_in_template(source: str) -> list[tuple[str | None, str, str | None]]:
    # Django turns a template into gettext calls for xgettext; parse those calls as Python.
    found = []
    for match in _TEMPLATE_CALL.finditer(templatize(source)):
        found.extend(_calls_in_python(match.group(0)))
    return found


def extracted_messages() -> dict[str, list[str]]:
    """Map each translatable message (key as in the catalogue) to the files using it."""
    messages: dict[str, list[str]] = {}
    for directory in SOURCE_DIRS:
        for path in sorted((BASE_DIR / directory).rglob("*")):
            if not path.is_file() or "migrations" in path.parts:
                continue
            if path.suffix == ".py":
                calls = _calls_in_python(path.read_text(encoding="utf-8"))
            elif path.suffix in TEMPLATE_SUFFIXES:
                calls = _calls_in_template(path.read_text(encoding="utf-8"))
            else:
                continue
            for context, msgid, _plural in calls:
                key = msgid if context is None else f"{context}\x04{msgid}"
                messages.setdefault(key, []).append(str(path.relative_to(BASE_DIR)))
    return messages


# --- the catalogue itself ------------------------------------------------------------------


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = catalogue()
    assert len(entries) > 500
    untranslated = [e.msgid for e in entries if not all(t.strip() for t in e.translations)]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], "untranslated: " + "\n".join(untranslated)
    assert fuzzy == [], "fuzzy: " + "\n".join(fuzzy)


def test_header_is_not_fuzzy_and_declares_english_plurals():
    header = next(e for e in parse_po(PO_PATH) if not e.msgid)
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr


def test_placeholders_and_markup_are_kept():
    placeholder = re.compile(r"%\(\w+\)[sdr]|%%|\{\w*\}|</?[a-z]+\b")
    broken = []
    for entry in catalogue():
        expected = sorted(placeholder.findall(entry.msgid_plural or entry.msgid))
        for text in entry.translations:
            got = sorted(placeholder.findall(text))
            # An English singular may spell out "one" where the plural has the counter.
            if got != expected and not (entry.msgid_plural and set(got) <= set(expected)):
                broken.append(f"{entry.msgid!r}: {expected} -> {got}")
            if text.startswith("\n") != entry.msgid.startswith("\n") or text.endswith(
                "\n"
            ) != entry.msgid.endswith("\n"):
                broken.append(f"{entry.msgid!r}: leading/trailing newline differs")
    assert broken == [], "\n".join(broken)


def test_every_translatable_string_in_the_code_is_in_the_catalogue():
    known = {e.key for e in catalogue()}
    extracted = extracted_messages()
    # The scan must find the bulk of the catalogue, or it is not looking in the right place.
    assert len(extracted) > 0.9 * len(known)
    missing = sorted(
        f"{key!r} ({', '.join(sorted(set(files)))})"
        for key, files in extracted.items()
        if key not in known
    )
    assert missing == [], "run `make messages` and translate:\n" + "\n".join(missing)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_msgfmt_accepts_the_catalogue(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_compiled_catalogue_matches_the_po_file():
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue():
        if entry.msgid_plural:
            got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
        elif entry.msgctxt is not None:
            got = [compiled.pgettext(entry.msgctxt, entry.msgid)]
        else:
            got = [compiled.gettext(entry.msgid)]
        if got != entry.translations:
            stale.append(entry.msgid)
    assert stale == [], "django.mo is stale, run `make messages`:\n" + "\n".join(stale)


# --- pages ---------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db

# For each page: who opens it, English words it shows, French words of the French version.
PAGES = {
    # Signed in: the member home. Visitors get the public home, whose language comes from
    # its address (/ or /en/), not from the language switch (tests/blog/test_public_pages.py).
    "core:home": ("member", ["Log out", "Skip to content"], ["Se déconnecter"]),
    "account_login": (None, ["Log in", "Password"], ["Se connecter", "Mot de passe"]),
    "account_signup": (
        None,
        ["Create my account", "Email"],
        ["Créer mon compte", "Adresse e-mail"],
    ),
    "people:directory": (
        "admin",
        ["Search", "Add a person", "Log out"],
        ["Rechercher", "Ajouter une personne"],
    ),
    "people:import_start": (
        "admin",
        ["Send the file", "Contacts file"],
        ["Envoyer le fichier", "Fichier de contacts"],
    ),
    "core:organisation": ("admin", ["Legal identity", "Save"], ["Identité légale", "Enregistrer"]),
    "accounts:profile": (
        "member",
        ["My contact details", "Save"],
        ["Mes coordonnées", "Enregistrer"],
    ),
}


def _visible_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def _open(client, login_as, name: str, role: str | None):
    if role:
        client.force_login(login_as(role))
    return client.get(reverse(name))


def _french_interface_sentences() -> list[str]:
    """Catalogue messages long enough not to occur by chance in data, whose English differs."""
    return [
        e.msgid
        for e in catalogue()
        if not e.msgid_plural
        and "%" not in e.msgid
        and len(e.msgid) >= 12
        and " " in e.msgid
        and e.msgstr != e.msgid
    ]


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_french_by_default(client, login_as, name):
    role, _english, french = PAGES[name]
    page = _visible_text(_open(client, login_as, name, role))
    assert '<html lang="fr">' in page
    for word in french:
        assert word in page


@pytest.mark.parametrize("name", PAGES)
def test_pages_switch_to_english(client, login_as, name):
    role, english, french = PAGES[name]
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302
    page = _visible_text(_open(client, login_as, name, role))
    assert '<html lang="en">' in page
    for word in english:
        assert word in page
    for word in french:
        assert word not in page
    # A sentence left in French means a string evaluated before the language was chosen
    # (gettext instead of gettext_lazy at import time) or a missing translation.
    leftovers = [sentence for sentence in _french_interface_sentences() if sentence in page]
    assert leftovers == []


def test_accept_language_header_selects_english(client):
    page = _visible_text(client.get(reverse("account_login"), headers={"accept-language": "en"}))
    assert '<html lang="en">' in page
    assert "Log in" in page


def test_public_home_language_comes_from_its_address(client):
    # The browser's language does not change the public home (search engines see one page
    # per address); the English home is at /en/, linked in the head and the header.
    page = _visible_text(client.get(reverse("core:home"), headers={"accept-language": "en"}))
    assert '<html lang="fr">' in page
    assert 'hreflang="en"' in page


def test_language_cookie_switches_back_to_french(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = _visible_text(client.get(reverse("core:home")))
    assert '<html lang="fr">' in page
    assert "Créer un compte" in page
