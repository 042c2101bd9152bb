"""Payment providers: which ones are configured, and each one by name.

``available(frequency)`` lists the providers a giving form may offer (the demo one when no
real provider is configured or ESSAIM_GIVING_DEMO is set); ``get(name)`` returns one.
Keys are read from the settings at call time, never at import time.
"""

from __future__ import annotations

from django.conf import settings

from .base import Checkout, PaymentProvider, PaymentStatus, ProviderUnavailable
from .demo import DemoProvider
from .helloasso import HelloAssoProvider
from .stripe import StripeProvider

__all__ = [
    "Checkout",
    "DemoProvider",
    "HelloAssoProvider",
    "PaymentProvider",
    "PaymentStatus",
    "ProviderUnavailable",
    "StripeProvider",
    "available",
    "get",
]

REAL: tuple[type[PaymentProvider], ...] = (StripeProvider, HelloAssoProvider)


def _all() -> dict[str, PaymentProvider]:
    providers: dict[str, PaymentProvider] = {cls.name: cls() for cls in REAL}
    providers["demo"] = DemoProvider()
    return providers


def available(frequency: str | None = None) -> list[PaymentProvider]:
    """Return the configured providers (those supporting the frequency, when one is given)."""
    providers = [p for p in _all().values() if p.name != "demo" and p.is_configured()]
    if not providers or settings.ESSAIM_GIVING_DEMO:
        providers.append(DemoProvider())
    if frequency is not None:
        providers = [p for p in providers if p.supports(frequency)]
    return providers


def get(name: str) -> PaymentProvider | None:
    """Return the provider of this name, or None when unknown."""
    return _all().get(name)
