"""Refuse, before any view runs, a request carrying text the product could never store.

PostgreSQL text cannot hold NUL (U+0000), and text that is not valid UTF-8 has no
meaning to the product. Either one reaching a query used to end as a database error and
a 500; here it is a 400 that says which part of the request is wrong, and nothing runs.
The path, the query string, cookies, headers, form fields and non-file bodies are
checked; JSON bodies are also checked after parsing (``scrm.core.parsers``), because a
JSON escape (``\\u0000``, a lone ``\\ud800``) only becomes such a character once parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

# A multipart body holds files, which may hold any byte: only its fields are checked.
_MULTIPART = "multipart/form-data"
_FORM = "application/x-www-form-urlencoded"


class RequestInputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = request_input_problem(request)
        if problem is not None:
            return _bad_request(request, problem)
        return self.get_response(request)


def request_input_problem(request: HttpRequest) -> str | None:
    """Why the request's text cannot be accepted, or None when it can."""
    environ = request.META
    # Django has already decoded the path (bytes that are not UTF-8 become %XX escapes,
    # which merely name no page), so only a NUL can still reach a query from it.
    if "\x00" in request.path_info:
        return _("The address %(problem)s.") % {"problem": _("contains a NUL character")}
    query = _environ_bytes(environ, "QUERY_STRING")
    if (problem := _form_encoded_problem(query)) is not None:
        return _("The query string %(problem)s.") % {"problem": problem}
    headers = (value for key, value in environ.items() if key.startswith("HTTP_") and isinstance(value, str))
    if any("\x00" in value for value in headers):
        return _("A request header contains a NUL character.")
    if (problem := _body_problem(request)) is not None:
        return _("The request body %(problem)s.") % {"problem": problem}
    return None


def _environ_bytes(environ: dict[str, object], key: str) -> bytes:
    """The raw bytes of a WSGI string (PEP 3333 carries them as latin-1 code points)."""
    value = str(environ.get(key, ""))
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        # Only an in-process caller hands over decoded text; judge it as the UTF-8 it is.
        return value.encode("utf-8", "surrogatepass")


def _text_problem(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _("is not valid UTF-8")
    if "\x00" in text:
        return _("contains a NUL character")
    return None


def _form_encoded_problem(raw: bytes) -> str | None:
    """Each ``&``-separated name and value, percent-decoded, must be NUL-free UTF-8."""
    for pair in raw.split(b"&"):
        for part in pair.split(b"=", 1):
            problem = _text_problem(unquote_to_bytes(part.replace(b"+", b" ")))
            if problem is not None:
                return problem
    return None


def _body_problem(request: HttpRequest) -> str | None:
    if request.method in {"GET", "HEAD", "OPTIONS"} or not request.META.get("CONTENT_LENGTH"):
        return None
    content_type = request.content_type or ""
    if content_type == _MULTIPART:
        # Django decodes field values leniently; a NUL survives that.
        return _("contains a NUL character") if _any_nul(request.POST.lists()) else None
    if content_type == _FORM:
        return _form_encoded_problem(request.body)
    return _text_problem(request.body)


def _any_nul(fields: Iterable[tuple[str, list[str]]]) -> bool:
    return any("\x00" in name or any("\x00" in value for value in values) for name, values in fields)


def _bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"message": reason, "extra": {}}, status=400)
    return HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8")
