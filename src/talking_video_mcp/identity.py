"""Who a request comes from: the OAuth user the SDK authenticated (its AccessToken is in a contextvar for the
request), or nobody, which is the one implicit user of stdio and static-token mode."""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import get_access_token

from talking_video_mcp.domain.records import Owner


def current_owner() -> Owner | None:
    token = get_access_token()
    if token is None:
        return None
    return Owner.of_token(token.subject, token.client_id)
