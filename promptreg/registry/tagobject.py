"""A raw annotated tag object, as git stores it: header fields, message, signature.

The read model (deployments.py) reads tag objects through `cat-file --batch` and judges them
from these fields alone: what the object says, not what a listing of refs claims.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from promptreg._lazyre import HEX
from promptreg._record import record


def is_object_id(text: str) -> bool:
    """A full object id: 40 (sha1) or 64 (sha256) lower-case hex digits."""
    return len(text) in (40, 64) and not text.strip(HEX)


_SIGNATURE_STARTS = (
    "-----BEGIN PGP SIGNATURE-----",
    "-----BEGIN PGP MESSAGE-----",
    "-----BEGIN SSH SIGNATURE-----",
    "-----BEGIN SIGNED MESSAGE-----",
)


@record(frozen=True)
class TagObject:
    """An annotated tag object as git stores it, the signature split from the message."""

    object: str
    target: str
    target_type: str
    tag: str
    tagger: str
    date: str
    message: str
    signature: str


def parse_tag_object(obj: str, data: bytes) -> TagObject | None:
    """The fields of a raw tag object (`cat-file` output), or None when it is not one."""
    text = data.decode("utf-8", "replace")
    header, sep, body = text.partition("\n\n")
    if not sep:
        header, body = text.rstrip("\n"), ""
    fields: dict[str, str] = {}
    for line in header.split("\n"):
        key, space, value = line.partition(" ")
        if not space or key in fields:
            return None
        fields[key] = value
    target = fields.get("object", "")
    if not is_object_id(target) or "type" not in fields or "tag" not in fields:
        return None
    message, signature = _split_signature(body)
    tagger, date = _ident(fields.get("tagger", ""))
    return TagObject(obj, target, fields["type"], fields["tag"], tagger, date, message, signature)


def _split_signature(body: str) -> tuple[str, str]:
    """Message and signature: git appends the signature block to a signed tag's message."""
    offset = 0
    for line in body.splitlines(keepends=True):
        if line.startswith(_SIGNATURE_STARTS):
            return body[:offset], body[offset:]
        offset += len(line)
    return body, ""


def _ident(ident: str) -> tuple[str, str]:
    """(`Name <email>`, ISO 8601 date) from a tagger line, as `%(taggerdate:iso-strict)`."""
    if not ident:
        return "", ""
    who, _, when = ident.rpartition("> ")
    seconds, _, zone = when.partition(" ")
    try:
        if not (seconds.isascii() and seconds.isdigit()):
            raise ValueError(seconds)
        sign = -1 if zone.startswith("-") else 1
        if not (len(zone) == 5 and zone[0] in "+-" and zone[1:].isascii() and zone[1:].isdigit()):
            raise ValueError(zone)
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        # Past year 9999 Python has no date (git shows one): no date, never a truncated one.
        date = datetime.fromtimestamp(int(seconds), timezone(sign * offset)).isoformat()
    except (ValueError, OverflowError, OSError):  # int() past 4300 digits: ValueError
        date = ""
    return (who + ">") if who else ident, date
