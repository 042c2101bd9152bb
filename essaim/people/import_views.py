"""Contact import pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from essaim.accounts.policies import require


@require("people.import")
def import_start(request: HttpRequest) -> HttpResponse:
    return render(request, "people/import_start.html", {"active_nav": "people"})
