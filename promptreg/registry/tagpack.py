"""Annotated tag objects as bytes: the text `git mktag` takes, and a pack of many of them for
one `git unpack-objects` (one `git mktag` each would cost ~3 ms a tag)."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Sequence


def tag_body(name: str, commit: str, ident: str, message: str) -> str:
    """The unsigned text of annotated tag `name` on `commit` by `ident`, ending in a newline
    (a signature, if any, is appended to exactly this text)."""
    body = f"object {commit}\ntype commit\ntag {name}\ntagger {ident}\n\n{message}"
    return body if body.endswith("\n") else body + "\n"


def object_id(body: bytes, algorithm: str) -> str:
    """The id git gives the tag object `body` under `algorithm` (`sha1` or `sha256`)."""
    return hashlib.new(algorithm, b"tag %d\0" % len(body) + body).hexdigest()


def pack_tags(objects: Sequence[bytes], algorithm: str) -> bytes:
    """A version-2 pack of tag objects (no deltas), as `git unpack-objects` reads it."""
    parts = [b"PACK", struct.pack(">II", 2, len(objects))]
    for data in objects:
        size = len(data)
        byte = (4 << 4) | (size & 0x0F)  # object type 4: tag
        size >>= 4
        header = bytearray()
        while size:
            header.append(byte | 0x80)
            byte = size & 0x7F
            size >>= 7
        header.append(byte)
        parts += [bytes(header), zlib.compress(data, 1)]
    pack = b"".join(parts)
    return pack + hashlib.new(algorithm, pack).digest()
