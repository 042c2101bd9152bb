"""Feed template filters."""

from __future__ import annotations

from django.utils import translation

from essaim.feed.templatetags.feed_tags import verb_label


def test_verb_label_in_the_active_language_and_unknown_verbs_as_they_are() -> None:
    assert verb_label("thread_created") == "Nouvelle discussion"
    with translation.override("en"):
        assert verb_label("thread_created") != "Nouvelle discussion"
    assert verb_label("retired_verb") == "retired_verb"
