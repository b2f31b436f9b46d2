"""What every authentication class of the project shares."""

from rest_framework import authentication


def bearer_token(request, *, keywords=("Bearer",)) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    header = authentication.get_authorization_header(request).decode("latin-1").split()
    if len(header) != 2 or header[0] not in keywords:
        return None
    return header[1]
