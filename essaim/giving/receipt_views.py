"""Tax receipt screens: register, detail, corrections, annual batch, yearly figures, PDF."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from essaim.accounts.policies import can

from .receipt_selectors import receipt_by_code
from .receipts import receipt_pdf_read


@require_GET
def receipt_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Send a receipt's PDF to whoever holds its unguessable code (sent to the donor by e-mail)."""
    receipt = receipt_by_code(code)
    if receipt is None:
        raise Http404
    response = HttpResponse(receipt_pdf_read(receipt), content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="recu-fiscal-{receipt.number}.pdf"'
    # A personal document: never kept by a shared cache, never indexed.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    if can(request.user, "receipts.manage"):
        response["Vary"] = "Cookie"
    return response
