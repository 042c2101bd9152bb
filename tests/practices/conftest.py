"""The action world (circles, roles, actions) plus practice sheets in every visibility and state."""

from __future__ import annotations

from tests.actions.conftest import action_world  # noqa: F401  (fixture re-exported)
