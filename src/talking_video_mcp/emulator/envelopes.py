"""Response bodies in each provider's own shape: Segmind `{"error"}`, Unifically `{"code","data"}`, HeyGen
`{"error": {code, message, param, doc_url}}`,
and the HTML a load balancer sends on 502/504."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse, Response

RESET_HEADER = "x-rate-limit-reset-at-utc"

_GATEWAY_PAGES = {
    502: "502 Bad Gateway",
    504: "504 Gateway Time-out",
}


def segmind_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def unifically_body(code: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "data": data}


def unifically_error(
    status: int, message: str, headers: Mapping[str, str] | None = None, *, code: int | None = None
) -> JSONResponse:
    body = unifically_body(status if code is None else code, {"message": message, "error": {}})
    return JSONResponse(body, status_code=status, headers=headers)


# HeyGen v3's error codes by HTTP status (heygen-cli internal/errors); 500's code is inferred.
HEYGEN_CODES = {
    400: "validation_error", 401: "unauthorized", 402: "insufficient_credit", 403: "forbidden", 404: "not_found",
    409: "conflict", 413: "payload_too_large", 429: "rate_limit_exceeded", 500: "internal_error",
}


def heygen_error(
    status: int, code: str, message: str, *, param: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """HeyGen v3's `{"error": {code, message, param, doc_url}}`."""
    doc = f"https://docs.heygen.com/reference/errors#{code}"
    return JSONResponse({"error": {"code": code, "message": message, "param": param, "doc_url": doc}},
                        status_code=status, headers=headers)


def provider_error(provider: str, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """An error in the shape `provider` uses; gateway errors are HTML like a real proxy's."""
    if status in _GATEWAY_PAGES:
        title = _GATEWAY_PAGES[status]
        page = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        return HTMLResponse(page + "</body>\r\n</html>\r\n", status_code=status, headers=headers)
    if provider == "unifically":
        return unifically_error(status, message, headers)
    if provider == "heygen":
        return heygen_error(status, HEYGEN_CODES.get(status, "internal_error"), message, headers=headers)
    if provider == "fal":
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return segmind_error(status, message, headers)
