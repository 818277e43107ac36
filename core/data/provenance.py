"""Where a table came from: a bundled set, an upload or a server folder, and
the repairs applied since.

The app keys its caches and its "is this new data?" checks on a fingerprint
string: ``bundled:<name>``, ``upload:<name>:<bytes>:<sha256 prefix>`` or
``folder:<path>:<source fingerprint>``, followed by ``|<repair>`` for each
repair. :class:`Provenance` holds those parts typed; its
:attr:`~Provenance.fingerprint` writes exactly that string and
:meth:`Provenance.parse` reads it back, so sessions and caches keep matching.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from enum import StrEnum

#: Joins a data set's fingerprint and each repair applied to it.
REPAIR_SEPARATOR = "|"
#: Hex digits of the SHA-256 of an upload's bytes kept in its fingerprint.
UPLOAD_HASH_LENGTH = 16
# The name may hold ":" and "|": it ends at the first size and hash that are
# followed by the end or a repair.
_UPLOAD = re.compile(
    r"upload:(?P<name>.*?):(?P<size>0|[1-9][0-9]*):(?P<hash>[0-9a-f]{16})(?=\||\Z)",
    re.DOTALL,
)
_FOLDER = re.compile(r"folder:(?P<name>.*):(?P<hash>[0-9a-f]*)", re.DOTALL)


class SourceKind(StrEnum):
    """The origin of a table."""

    BUNDLED = "bundled"
    UPLOAD = "upload"
    FOLDER = "folder"
    #: A fingerprint written by something else (a test, an older session): kept
    #: verbatim as the name.
    OTHER = "other"


@dataclass(frozen=True)
class Provenance:
    """A table's origin and the repairs applied to it, in order.

    Parameters
    ----------
    kind : SourceKind
        Bundled set, upload, server folder, or another fingerprint.
    name : str
        Registry name, file name or folder path (for ``OTHER``: the whole
        fingerprint before the repairs).
    content_hash : str or None
        Uploads: the first 16 hex digits of the bytes' SHA-256. Folders: the
        shards' fingerprint.
    size : int or None
        Uploads: the number of bytes.
    repairs : tuple of str
        Each repair, such as ``timestamp(year,month)``.

    Examples
    --------
    >>> Provenance.bundled("sample").with_repair("numbers(a)").fingerprint
    'bundled:sample|numbers(a)'
    >>> Provenance.parse("bundled:sample|numbers(a)").repairs
    ('numbers(a)',)
    """

    kind: SourceKind
    name: str
    content_hash: str | None = None
    size: int | None = None
    repairs: tuple[str, ...] = ()

    @classmethod
    def bundled(cls, name: str) -> Provenance:
        """One of the bundled data sets, unchanged."""
        return cls(SourceKind.BUNDLED, name)

    @classmethod
    def upload(cls, name: str, content: bytes) -> Provenance:
        """An uploaded file: its name, size and content hash."""
        digest = hashlib.sha256(content).hexdigest()[:UPLOAD_HASH_LENGTH]
        return cls(SourceKind.UPLOAD, name, digest, len(content))

    @classmethod
    def folder(cls, path: str, source_fingerprint: str) -> Provenance:
        """A server folder of Parquet shards, by path and shard fingerprint."""
        return cls(SourceKind.FOLDER, path, source_fingerprint)

    def with_repair(self, repair: str) -> Provenance:
        """The same origin with one more repair applied."""
        return replace(self, repairs=(*self.repairs, repair))

    @property
    def bundled_name(self) -> str | None:
        """The registry name when this is a bundled set with no repair applied."""
        unchanged = self.kind is SourceKind.BUNDLED and not self.repairs
        return self.name if unchanged else None

    @property
    def fingerprint(self) -> str:
        """The string the app keys its caches and data checks on."""
        if self.kind is SourceKind.BUNDLED:
            source = f"bundled:{self.name}"
        elif self.kind is SourceKind.UPLOAD:
            source = f"upload:{self.name}:{self.size}:{self.content_hash}"
        elif self.kind is SourceKind.FOLDER:
            source = f"folder:{self.name}:{self.content_hash}"
        else:
            source = self.name
        return REPAIR_SEPARATOR.join((source, *self.repairs))

    @classmethod
    def parse(cls, fingerprint: str) -> Provenance:
        """The provenance a fingerprint string describes.

        Strings in none of the known forms come back as ``OTHER``; every string
        comes back with the same :attr:`fingerprint`.
        """
        upload = _UPLOAD.match(fingerprint)
        if upload:
            tail = fingerprint[upload.end() :]
            repairs = tuple(tail.split(REPAIR_SEPARATOR)[1:]) if tail else ()
            size = int(upload["size"])
            return cls(SourceKind.UPLOAD, upload["name"], upload["hash"], size, repairs)
        source, separator, rest = fingerprint.partition(REPAIR_SEPARATOR)
        repairs = tuple(rest.split(REPAIR_SEPARATOR)) if separator else ()
        if source.startswith("bundled:"):
            return cls(SourceKind.BUNDLED, source[len("bundled:") :], repairs=repairs)
        folder = _FOLDER.fullmatch(source)
        if folder:
            kind = SourceKind.FOLDER
            return cls(kind, folder["name"], folder["hash"], repairs=repairs)
        return cls(SourceKind.OTHER, source, repairs=repairs)
