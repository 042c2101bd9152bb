"""People directory pages."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from essaim.accounts.policies import require

from .selectors import person_directory


@require("people.view")
def directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    people = person_directory(query=query)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(
        request, "people/directory.html", {"page": page, "query": query, "active_nav": "people"}
    )
