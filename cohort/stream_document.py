"""Reads a stream document (the plain-text shape of ``seeds/*.txt``) into dataclasses, with warnings for staff.

The shape (as the documents in ``seeds/`` show): the stream title on the first line, a description, a line ``Mentors``, then per
mentor a name line, a ``Title, Organisation`` line, a one-paragraph summary and ``•`` bullet blocks nested by
indentation. Pure Python: no Django import; the importer writes what this returns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import combinations
from pathlib import Path

from cohort.cadence import Cadence, parse_cadence
from cohort.slugs import slugify_ascii

BULLET = "•"
MENTORS_HEADING = "mentors"
# A paragraph shorter than this is too generic ("Good paper-reading habits.") to call copied text.
DUPLICATE_MIN_CHARS = 80
_QUOTED_WORD = r"[“\"‘']([^\W\d_][\w'’-]*)[”\"’']"


class StreamDocumentError(ValueError):
    """A document this parser cannot read; nothing of it should be written."""

    def __init__(self, filename: str, line: int, reason: str) -> None:
        super().__init__(f"{filename}:{line}: {reason}")
        self.filename = filename
        self.line = line
        self.reason = reason


class WarningCode(StrEnum):
    CADENCE_UNSPECIFIED = "cadence_unspecified"
    CADENCE_NEEDS_REVIEW = "cadence_needs_review"
    NAMES_OTHER_MENTOR = "names_other_mentor"
    DUPLICATED_TEXT = "duplicated_text"
    MISSING_ORGANISATION = "missing_organisation"
    # Found by the importer, which compares the document with what is stored.
    MENTOR_REMOVED = "mentor_removed"
    CADENCE_KEPT = "cadence_kept"


@dataclass(frozen=True)
class DocumentWarning:
    """Something staff should look at. The message names no line, so it identifies the same finding across edits."""

    code: WarningCode
    message: str
    line: int | None
    mentor_slug: str | None


@dataclass(frozen=True)
class Section:
    """A bullet, or a plain paragraph inside a bullet block, with what is nested under it."""

    text: str
    line: int
    children: tuple[Section, ...] = ()

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict:
        """Without line numbers, so moving a section within the file does not count as a change to it."""
        return {"text": self.text, "children": [child.to_dict() for child in self.children]}


@dataclass(frozen=True)
class MentorEntry:
    name: str
    slug: str
    title: str
    organisation: str
    summary: str
    biography: str
    sections: tuple[Section, ...]
    cadence: Cadence
    line: int
    warnings: tuple[DocumentWarning, ...] = ()


@dataclass(frozen=True)
class StreamDocument:
    """``warnings`` holds every warning of the document in line order; each mentor's holds its own share."""

    title: str
    slug: str
    description: str
    mentors: tuple[MentorEntry, ...]
    warnings: tuple[DocumentWarning, ...] = ()


def read_stream_document(path: Path) -> StreamDocument:
    """Read, decode and parse one file; errors name the file as given."""
    filename = str(path)
    return parse_stream_document(
        decode_stream_document(path.read_bytes(), filename=filename), filename=filename
    )


def decode_stream_document(data: bytes, *, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", "replace")) + 1
        raise StreamDocumentError(
            filename,
            line,
            f"not valid UTF-8 (byte 0x{data[error.start]:02X} at column {column}); save the file as UTF-8",
        ) from None


def parse_stream_document(text: str, *, filename: str) -> StreamDocument:
    """Parse a stream document, raising StreamDocumentError (file, line, reason) when its shape is unreadable."""
    lines = _scan(text, filename)
    if not lines:
        raise StreamDocumentError(filename, 1, "the document is empty")
    title_line = lines[0]
    mentors_at = next(
        (i for i, line in enumerate(lines) if i > 0 and line.text.rstrip(":").casefold() == MENTORS_HEADING),
        None,
    )
    if mentors_at is None:
        raise StreamDocumentError(
            filename, lines[-1].number, "no 'Mentors' line: the mentors must follow a line reading 'Mentors'"
        )
    body = lines[mentors_at + 1 :]
    if not body:
        raise StreamDocumentError(filename, lines[mentors_at].number, "no mentors after the 'Mentors' line")

    drafts = _parse_mentors(body, filename)
    warnings = _other_mentor_mentions(drafts) + _duplicated_paragraphs(drafts)
    for draft in drafts:
        warnings.extend(draft.own_warnings())
    warnings.sort(key=lambda warning: (warning.line, warning.code))
    mentors = tuple(
        draft.entry(tuple(w for w in warnings if w.mentor_slug == draft.slug)) for draft in drafts
    )
    return StreamDocument(
        title=title_line.text,
        slug=slugify_ascii(title_line.text),
        description=_join_paragraphs(lines[1:mentors_at]),
        mentors=mentors,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class _Line:
    number: int
    indent: int
    text: str
    after_blank: bool

    @property
    def is_bullet(self) -> bool:
        return self.text.startswith(BULLET)

    @property
    def is_plain_unindented(self) -> bool:
        return self.indent == 0 and not self.is_bullet


def _scan(text: str, filename: str) -> list[_Line]:
    """The non-blank lines with their indentation; each knows whether a blank line (a block break) precedes it."""
    lines = []
    after_blank = True
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped:
            after_blank = True
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if raw[indent].isspace():
            what = "a tab" if raw[indent] == "\t" else f"the character U+{ord(raw[indent]):04X}"
            raise StreamDocumentError(
                filename, number, f"{what} in the indentation; indent bullets with spaces only"
            )
        lines.append(_Line(number, indent, stripped, after_blank))
        after_blank = False
    return lines


def _join_paragraphs(lines: list[_Line]) -> str:
    paragraphs: list[list[str]] = []
    for line in lines:
        if line.after_blank or not paragraphs:
            paragraphs.append([])
        paragraphs[-1].append(line.text)
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)


@dataclass
class _Node:
    """A section while it is being built: text grows with continuation lines, children with nesting."""

    text: str
    line: int
    indent: int
    is_bullet: bool
    children: list[_Node] = field(default_factory=list)
    child_bullet_indent: int | None = None

    def freeze(self) -> Section:
        return Section(self.text, self.line, tuple(child.freeze() for child in self.children))


@dataclass
class _MentorDraft:
    name: str
    slug: str
    line: int
    title: str
    organisation: str
    title_line: int
    summary: str
    summary_line: int
    sections: tuple[Section, ...]
    biography: str
    cadence: Cadence = field(init=False)

    def __post_init__(self) -> None:
        self.cadence = parse_cadence("\n".join(text for text, _ in self.paragraphs()))

    def paragraphs(self) -> Iterator[tuple[str, int]]:
        """The summary, then every bullet and paragraph in document order, with its line."""
        if self.summary:
            yield self.summary, self.summary_line
        for section in self.sections:
            for node in section.walk():
                yield node.text, node.line

    def own_warnings(self) -> list[DocumentWarning]:
        warnings = []
        if not self.organisation:
            warnings.append(
                DocumentWarning(
                    WarningCode.MISSING_ORGANISATION,
                    f"{self.name}'s title line “{self.title}” names no organisation "
                    "(expected 'Title, Organisation').",
                    self.title_line,
                    self.slug,
                )
            )
        if self.cadence.needs_review:
            warnings.append(
                DocumentWarning(
                    WarningCode.CADENCE_UNSPECIFIED,
                    f"No meeting cadence could be read from {self.name}'s section; "
                    "the cohort's default applies until staff set one.",
                    self.line,
                    self.slug,
                )
            )
        return warnings

    def entry(self, warnings: tuple[DocumentWarning, ...]) -> MentorEntry:
        return MentorEntry(
            name=self.name,
            slug=self.slug,
            title=self.title,
            organisation=self.organisation,
            summary=self.summary,
            biography=self.biography,
            sections=self.sections,
            cadence=self.cadence,
            line=self.line,
            warnings=warnings,
        )


def _looks_like_name(line: _Line) -> bool:
    return (
        len(line.text) <= 60 and len(line.text.split()) <= 6 and not line.text.endswith((".", ":", "?", "!"))
    )


def _looks_like_title(line: _Line) -> bool:
    return len(line.text) <= 160 and len(line.text.split()) <= 20


def _parse_mentors(body: list[_Line], filename: str) -> list[_MentorDraft]:
    drafts: list[_MentorDraft] = []
    seen: dict[str, _MentorDraft] = {}
    at = 0
    while at < len(body):
        name_line = body[at]
        _require_mentor_start(body, at, filename)
        title_line = body[at + 1]
        slug = slugify_ascii(name_line.text)
        if slug in seen:
            first = seen[slug]
            raise StreamDocumentError(
                filename,
                name_line.number,
                f"mentor '{name_line.text}' appears twice (also '{first.name}' at line {first.line}); "
                "list each mentor once",
            )
        at += 2
        summary_lines: list[_Line] = []
        if at < len(body) and body[at].is_plain_unindented:
            summary_lines.append(body[at])
            at += 1
            while at < len(body) and not body[at].after_blank and not body[at].is_bullet:
                summary_lines.append(body[at])
                at += 1
        sections, at = _parse_sections(body, at, filename)
        title, comma, organisation = title_line.text.rpartition(",")
        draft = _MentorDraft(
            name=name_line.text,
            slug=slug,
            line=name_line.number,
            title=title.strip() if comma else title_line.text,
            organisation=organisation.strip() if comma else "",
            title_line=title_line.number,
            summary=" ".join(line.text for line in summary_lines),
            summary_line=summary_lines[0].number if summary_lines else name_line.number,
            sections=tuple(node.freeze() for node in sections),
            biography=next((node.text for node in sections if node.is_bullet), ""),
        )
        seen[slug] = draft
        drafts.append(draft)
    return drafts


def _require_mentor_start(body: list[_Line], at: int, filename: str) -> None:
    """A mentor starts with a short unindented name line directly followed by its 'Title, Organisation' line."""
    line = body[at]
    if not line.is_plain_unindented or not _looks_like_name(line):
        raise StreamDocumentError(
            filename,
            line.number,
            "text outside any bullet: indent it under a '•' bullet, or start a mentor with their name "
            "on its own line followed by a 'Title, Organisation' line",
        )
    following = body[at + 1] if at + 1 < len(body) else None
    if (
        following is None
        or following.after_blank
        or not following.is_plain_unindented
        or not _looks_like_title(following)
    ):
        raise StreamDocumentError(
            filename,
            line.number,
            f"mentor '{line.text}' has no title line: the line right after the name must read "
            "'Title, Organisation'",
        )


def _parse_sections(body: list[_Line], at: int, filename: str) -> tuple[list[_Node], int]:
    """Build the bullet tree up to the next mentor (an unindented plain line after a blank line).

    A bullet nests under the nearest open bullet indented less than it; a plain paragraph belongs to the nearest
    open bullet indented less than it; a line with no blank line before it continues the previous bullet or
    paragraph.
    """
    top: list[_Node] = []
    open_bullets: list[_Node] = []
    previous: _Node | None = None
    while at < len(body):
        line = body[at]
        if line.is_plain_unindented:
            if line.after_blank:
                break
            raise StreamDocumentError(
                filename,
                line.number,
                "unindented text right under a bullet: indent it to continue the bullet, "
                "or leave a blank line before a mentor's name",
            )
        if previous is not None and not line.after_blank and not line.is_bullet:
            previous.text = f"{previous.text} {line.text}"
            at += 1
            continue
        while open_bullets and open_bullets[-1].indent >= line.indent:
            open_bullets.pop()
        parent = open_bullets[-1] if open_bullets else None
        siblings = parent.children if parent else top
        if line.is_bullet:
            node = _Node(line.text.removeprefix(BULLET).strip(), line.number, line.indent, is_bullet=True)
            if parent is not None:
                if parent.child_bullet_indent not in (None, line.indent):
                    raise StreamDocumentError(
                        filename,
                        line.number,
                        f"bullet indented {line.indent} spaces lines up neither with the bullets beside it "
                        f"({parent.child_bullet_indent} spaces) nor with its parent at line {parent.line} "
                        f"({parent.indent} spaces)",
                    )
                parent.child_bullet_indent = line.indent
            open_bullets.append(node)
        else:
            node = _Node(line.text, line.number, line.indent, is_bullet=False)
        siblings.append(node)
        previous = node
        at += 1
    return top, at


def _handles(draft: _MentorDraft) -> set[str]:
    """What a section may call this mentor: capitalised parts of the name, and nicknames it gives in quotes.

    A nickname counts only right after one of the mentor's own names (``Stephen (“Cas”) Casper``), so quoted
    words elsewhere in the section are not mistaken for one.
    """
    names = {part.strip(",.") for part in draft.name.split()}
    names = {part for part in names if len(part) >= 2 and part[0].isupper()}
    if not names:
        return names
    own = "|".join(re.escape(part) for part in sorted(names))
    nickname = re.compile(rf"\b(?:{own})\s*(?:\(\s*{_QUOTED_WORD}\s*\)|\s{_QUOTED_WORD}(?=[\s,]))")
    text = "\n".join([draft.name, *(paragraph for paragraph, _ in draft.paragraphs())])
    nicknames = {found for match in nickname.finditer(text) for found in match.groups() if found}
    return names | nicknames


def _other_mentor_mentions(drafts: list[_MentorDraft]) -> list[DocumentWarning]:
    handles = {draft.slug: _handles(draft) for draft in drafts}
    warnings = []
    for draft in drafts:
        for other in drafts:
            # A name both mentors share (two Alexes) may well mean this mentor.
            candidates = handles[other.slug] - handles[draft.slug]
            if other is draft or not candidates:
                continue
            pattern = re.compile(r"\b(" + "|".join(re.escape(h) for h in sorted(candidates)) + r")\b")
            hits = [
                (line, match.group(1))
                for text, line in draft.paragraphs()
                for match in pattern.finditer(text)
            ]
            if not hits:
                continue
            found = ", ".join(f"“{name}”" for name in sorted({name for _, name in hits}))
            warnings.append(
                DocumentWarning(
                    WarningCode.NAMES_OTHER_MENTOR,
                    f"{draft.name}'s section names {found}, as {other.name} is called in this document; "
                    f"check it was not copied from {other.name}'s section.",
                    hits[0][0],
                    draft.slug,
                )
            )
    return warnings


def _duplicated_paragraphs(drafts: list[_MentorDraft]) -> list[DocumentWarning]:
    """One warning per mentor per other mentor whose section shares long paragraphs word for word with theirs."""
    first_line: dict[str, dict[str, int]] = defaultdict(dict)  # paragraph text → mentor slug → first line
    for draft in drafts:
        for text, line in draft.paragraphs():
            normalised = " ".join(text.split())
            if len(normalised) >= DUPLICATE_MIN_CHARS:
                first_line[normalised].setdefault(draft.slug, line)
    by_slug = {draft.slug: draft for draft in drafts}
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for text, lines_by_slug in first_line.items():
        for one, other in combinations(sorted(lines_by_slug), 2):
            shared[one, other].append(text)
    warnings = []
    for (one, other), texts in shared.items():
        count = f"{len(texts)} paragraphs" if len(texts) > 1 else "1 paragraph"
        verb = "appear" if len(texts) > 1 else "appears"
        for this, that in ((one, other), (other, one)):
            warnings.append(
                DocumentWarning(
                    WarningCode.DUPLICATED_TEXT,
                    f"{count} of {by_slug[this].name}'s section also {verb} word for word in "
                    f"{by_slug[that].name}'s section.",
                    min(first_line[text][this] for text in texts),
                    this,
                )
            )
    return warnings
