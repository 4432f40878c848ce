"""Every failure of the customer web becomes an HTML page here, and only here.

NotFound → 404, InvalidInput → 400, CityNetworkUnavailable → 503, another domain conflict →
409, a PageError → its status, anything unexpected → 500 without details (logged).
"""

from __future__ import annotations

import logging

from chalice.app import Request, Response

from ..domain.errors import CityNetworkUnavailable, Conflict, DomainError, InvalidInput, NotFound

logger = logging.getLogger(__name__)


class PageError(Exception):
    """A request the web itself refuses (bad body, CSRF, ...). The message is for the log
    and never shown."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def status_for(error: Exception) -> int:
    match error:
        case PageError():
            return error.status
        case NotFound():
            return 404
        case InvalidInput():
            return 400
        case CityNetworkUnavailable():
            return 503
        case Conflict():
            return 409
        case DomainError():
            return 500
    return 500


def error_response(error: Exception, request: Request) -> Response:
    from .i18n import choose_language
    from .pages import PageContext, error_page
    from .visit import HTML, SECURITY_HEADERS, header, query

    status = status_for(error)
    if status >= 500 and not isinstance(error, CityNetworkUnavailable):
        logger.exception("customer web request failed", exc_info=error)
    else:
        # Domain messages name ids, never personal data or secrets.
        logger.info("customer web refused a request: %s (%s)", type(error).__name__, status)
    try:
        params = query(request)
        language = choose_language(params.get("lang"), None, header(request, "accept-language"))
        path = str((request.context or {}).get("path") or "/")
    except Exception:
        params, language, path = {}, "sv", "/"
    body = error_page(PageContext(language=language, path=path, query=params), status)
    headers: dict[str, str | list[str]] = {**SECURITY_HEADERS, "Content-Type": HTML}
    return Response(body=body, status_code=status, headers=headers)
