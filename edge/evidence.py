"""Evidence files: a department uploads a file as the evidence for a condition; it is checked
(size, type by name and by content), stored once under its SHA-256 with owner-only
permissions, and named in the act's ``file_ref`` as ``<name> (sha256:<hex>)``. The case
record is the only list of a case's evidence: a file is served only when the case names its
hash, and only while its bytes still hash to it.

Files live at ``<data_dir>/evidence/<case id>/<sha256><suffix>`` (folders 0700, files 0600,
sealed with the keyring under ``encrypt_documents``: persistence/files.py); the original name
is kept only in the encrypted case record.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from edge.audit import file_keyring
from edge.documents import verified_bytes
from models.case.record import CaseSnapshot
from models.errors import FileNotFound, UploadRefused
from persistence.files import private_folder, write_private
from settings import Settings

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 120


@dataclass(frozen=True)
class FileKind:
    label: str
    media_type: str
    magic: tuple[bytes, ...]  # the file must start with one of these; () = UTF-8 text


_ZIP = (b"PK\x03\x04",)
KINDS: dict[str, FileKind] = {
    ".pdf": FileKind("PDF", "application/pdf", (b"%PDF-",)),
    ".png": FileKind("PNG", "image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": FileKind("JPEG", "image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": FileKind("JPEG", "image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": FileKind(
        "Word",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    ".xlsx": FileKind(
        "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP
    ),
    ".txt": FileKind("テキスト", "text/plain; charset=utf-8", ()),
    ".csv": FileKind("CSV", "text/csv; charset=utf-8", ()),
}
ALLOWED_LABELS = "、".join(dict.fromkeys(k.label for k in KINDS.values()))
_REF = re.compile(r"^(?P<name>.+) \(sha256:(?P<sha>[0-9a-f]{64})\)$")
_HASH_MARK = re.compile(r" \(sha256:[0-9a-f]{64}\)")


@dataclass(frozen=True)
class EvidenceFile:
    name: str  # the uploaded file's own name, cleaned
    sha256: str
    size: int

    @property
    def file_ref(self) -> str:
        return f"{self.name} (sha256:{self.sha256})"

    @property
    def kind(self) -> FileKind:
        return KINDS[Path(self.name).suffix.lower()]


def clean_name(raw: str) -> str:
    """The last component of an uploaded name, without control or bidi characters."""
    base = PureWindowsPath(PurePosixPath(raw).name).name
    kept = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if len(kept) > MAX_NAME:
        suffix = Path(kept).suffix[:10]
        kept = kept[: MAX_NAME - len(suffix)] + suffix
    return kept


def check_upload(raw_name: str, content: bytes) -> EvidenceFile:
    """The evidence a file makes; UploadRefused naming the field ``file`` and why."""
    name = clean_name(raw_name)
    if not name or not content:
        raise UploadRefused("file: no file was chosen, or it is empty", problem="empty")
    if len(content) > MAX_BYTES:
        raise UploadRefused(
            f"file: {len(content)} bytes is over the limit of {MAX_BYTES}", problem="too_large"
        )
    kind = KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise UploadRefused(f"file: {Path(name).suffix or 'no extension'} is not allowed")
    if kind.magic and not content.startswith(kind.magic):
        raise UploadRefused(f"file: the content is not {kind.label}", problem="content")
    if not kind.magic:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRefused(
                f"file: {kind.label} must be UTF-8 text", problem="content"
            ) from None
    return EvidenceFile(name=name, sha256=hashlib.sha256(content).hexdigest(), size=len(content))


class EvidenceStore:
    """The evidence files of every case, under the settings' data folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.evidence_path

    def _path(self, case_id: str, sha256: str, suffix: str) -> Path:
        return self.root / case_id / f"{sha256}{suffix.lower()}"

    def store(self, case_id: str, evidence: EvidenceFile, content: bytes) -> bool:
        """Write the file once (idempotent: the same bytes are the same file). Returns whether
        this call created it, so a refused act can take back only what it added."""
        path = self._path(case_id, evidence.sha256, Path(evidence.name).suffix)
        private_folder(path.parent, self.root)
        if path.exists():
            return False
        write_private(path, content, root=self.root, keyring=file_keyring(self.settings))
        return True

    def discard(self, case_id: str, evidence: EvidenceFile) -> None:
        self._path(case_id, evidence.sha256, Path(evidence.name).suffix).unlink(missing_ok=True)

    def read(self, snap: CaseSnapshot, sha256: str) -> tuple[EvidenceFile, bytes]:
        """An evidence file the case names, when its bytes still match; FileNotFound when the
        case names no file with this hash, FileTampered when the file changed."""
        evidence = next((e for e in evidence_files(snap) if e.sha256 == sha256), None)
        if evidence is None:
            raise FileNotFound(f"evidence {sha256[:12]}: not evidence of case {snap.case_id}")
        path = self._path(snap.case_id, sha256, Path(evidence.name).suffix)
        return evidence, verified_bytes(path, sha256, self.root, self.settings)


def parse_ref(file_ref: str) -> EvidenceFile | None:
    """The uploaded file a ``file_ref`` names, or None for a reference typed by hand."""
    found = _REF.match(file_ref)
    if found is None or Path(found["name"]).suffix.lower() not in KINDS:
        return None
    return EvidenceFile(name=found["name"], sha256=found["sha"], size=0)


def without_hashes(text: str) -> str:
    """A text that names uploaded files (a transition's reason), for people: names only."""
    return _HASH_MARK.sub("", text)


def evidence_files(snap: CaseSnapshot) -> Iterator[EvidenceFile]:
    """Every uploaded file the case's conditions and obligations name."""
    refs = [e.file_ref for c in snap.conditions for e in c.evidence]
    refs += [d.evidence.file_ref for o in snap.obligations for d in o.done]
    for ref in refs:
        if (parsed := parse_ref(ref)) is not None:
            yield parsed
