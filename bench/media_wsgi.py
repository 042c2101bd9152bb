"""Essaim's WSGI application plus /media/ files, as nginx serves them in production.

For bench/lighthouse.py only: production settings do not serve uploads (nginx does),
and a page whose pictures answer 404 would lose Lighthouse points it does not deserve.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise import WhiteNoise

from config.wsgi import application as essaim

application = WhiteNoise(
    essaim, root=str(settings.MEDIA_ROOT), prefix=settings.MEDIA_URL, max_age=3600
)
