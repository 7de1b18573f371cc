"""Errors of the UI's JSON API; the server turns each into a JSON error response."""

from __future__ import annotations

from aloft.errors import AloftError

__all__ = ["BadRequest", "NotFound", "UIError", "UIServerError"]


class UIError(AloftError):
    """A request the API answers with an error (``status`` is its HTTP status).

    Example:
        >>> UIError("boom").to_json()
        {'error': 'error', 'message': 'boom', 'suggestion': None}
    """

    status = 500
    code = "error"

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def to_json(self) -> dict[str, str | None]:
        """The body of the error response."""
        return {"error": self.code, "message": self.message, "suggestion": self.suggestion}


class NotFound(UIError):
    """No such path, asset, run or backfill; ``suggestion`` holds a close match when there is one.

    Example:
        >>> NotFound("no asset 'revnue'", suggestion="revenue").status
        404
    """

    status = 404
    code = "not_found"


class BadRequest(UIError):
    """A malformed query parameter (a limit that is not a number, an unknown status...).

    Example:
        >>> BadRequest("limit must be a number").to_json()["error"]
        'bad_request'
    """

    status = 400
    code = "bad_request"


class UIServerError(AloftError):
    """The UI server could not start (the port is taken, the host cannot be bound...).

    Example:
        >>> str(UIServerError("port 3000 is in use"))
        'port 3000 is in use'
    """
