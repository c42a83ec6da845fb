"""Reads a stream document (the plain-text shape of ``seeds/*.txt``) into dataclasses, with warnings for staff.

The shape (as the documents in ``seeds/`` show): the stream title on the first line, a description, a line ``Mentors``, then per
mentor a name line, a ``Title, Organisation`` line, a one-paragraph summary and ``•`` bullet blocks nested by
indentation. Pure Python: no Django import; the importer writes what this returns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from pathlib import Path

from cohort.cadence import Cadence, Doubt, parse_cadence
from cohort.slugs import slugify_ascii
from cohort.suggestions import Suggestion, read_suggestions

BULLET = "•"
MENTORS_HEADING = "mentors"
# A paragraph shorter than this is too generic ("Good paper-reading habits.") to call copied text.
DUPLICATE_MIN_CHARS = 80
_QUOTED_WORD = r"[“\"‘']([^\W\d_][\w'’-]*)[”\"’']"
# A word followed by a quoted word, in brackets or not: ``Stephen (“Cas”) Casper``, ``Tomás “Tomi” Ó Briain``.
_NICKNAME = re.compile(
    rf"(?<![\w'’-])([^\W\d_][\w'’-]*)\s*(?:\(\s*{_QUOTED_WORD}\s*\)|\s{_QUOTED_WORD}(?=[\s,]))"
)
# A word as a name is written: "Smith-Jones" and "O'Neil" are one word each, so they never mention a "Jones" or a
# "Neil"; a possessive "’s" is not part of it.
_WORD = re.compile(r"[^\W\d_]\w*(?:['’-]\w+)*")
_POSSESSIVE = ("'s", "’s")
# What a document may not hold: control characters other than the tab and the line breaks (PostgreSQL refuses
# NUL outright, and none of them is text a person meant), and lone surrogates, which no storage encodes.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# How much of a copied passage a warning quotes, and how many names a list spells out before counting the rest.
QUOTE_CHARS = 80
NAMES_SPELLED_OUT = 5


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
    """Something staff should look at. The message names no line, so it identifies the same finding across edits.

    ``mentor_slug`` is the mentor it is filed under; ``shared_with`` the other mentors it is about as well (a
    passage their sections share), who see it among their own warnings too.
    """

    code: WarningCode
    message: str
    line: int | None
    mentor_slug: str | None
    shared_with: tuple[str, ...] = ()

    def is_about(self, slug: str) -> bool:
        return self.mentor_slug == slug or slug in self.shared_with


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
    title_line: int
    warnings: tuple[DocumentWarning, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True)
class StreamDocument:
    """``warnings`` holds every warning of the document once, in line order; each mentor's holds those about it
    (a passage several sections share is in each of theirs)."""

    title: str
    slug: str
    description: str
    mentors: tuple[MentorEntry, ...]
    warnings: tuple[DocumentWarning, ...] = ()
    line: int = 1


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
    warnings = _other_mentor_mentions(drafts) + _copied_passages(drafts)
    for draft in drafts:
        warnings.extend(draft.own_warnings())
    warnings.sort(key=lambda warning: (warning.line, warning.code))
    about: dict[str, list[DocumentWarning]] = defaultdict(list)
    for warning in warnings:
        for slug in (warning.mentor_slug, *warning.shared_with):
            about[slug].append(warning)
    return StreamDocument(
        title=title_line.text,
        slug=slugify_ascii(title_line.text),
        description=_join_paragraphs(lines[1:mentors_at]),
        mentors=tuple(draft.entry(tuple(about[draft.slug])) for draft in drafts),
        warnings=tuple(warnings),
        line=title_line.number,
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


def _reject_non_text(text: str, filename: str) -> None:
    """Raise at the first character no document should hold, naming its line and column."""
    found = _NOT_TEXT.search(text)
    if found is None:
        return
    line_start = text.rfind("\n", 0, found.start()) + 1
    line, column, code = (
        text.count("\n", 0, found.start()) + 1,
        found.start() - line_start + 1,
        ord(found.group()),
    )
    if 0xD800 <= code <= 0xDFFF:
        what = f"a lone surrogate (U+{code:04X}) at column {column}, which is not text"
    else:
        what = f"the control character U+{code:04X}{' (NUL)' if code == 0 else ''} at column {column}"
    raise StreamDocumentError(filename, line, f"{what}; a document holds text, tabs and line breaks only")


def _scan(text: str, filename: str) -> list[_Line]:
    """The non-blank lines with their indentation; each knows whether a blank line (a block break) precedes it."""
    _reject_non_text(text, filename)
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


@dataclass(eq=False)  # compared by identity: two drafts are never the same mentor
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
    copied_paragraphs: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.cadence = parse_cadence(self.text())

    def text(self) -> str:
        return "\n".join(text for text, _ in self.paragraphs())

    def own_text(self) -> str:
        """The text without passages copied from a mentor before this one: "Cas is usually at MIT" in another
        section says where Cas is, not this mentor."""
        return "\n".join(text for text, _ in self.paragraphs() if text not in self.copied_paragraphs)

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
        doubts = "; ".join(doubt.describe() for doubt in self.cadence.doubts)
        if not self.cadence.is_specified:
            warnings.append(
                DocumentWarning(
                    WarningCode.CADENCE_UNSPECIFIED,
                    f"No meeting cadence could be read from {self.name}'s section; "
                    "the cohort's default applies until staff set one."
                    + (f" The reader's doubts: {doubts}." if doubts else ""),
                    self.line,
                    self.slug,
                )
            )
        elif doubts:
            warnings.append(
                DocumentWarning(
                    WarningCode.CADENCE_NEEDS_REVIEW,
                    f"{self.name}'s cadence ({'; '.join(d.describe() for d in self.cadence.demands)}) "
                    f"needs review: {doubts}.",
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
            title_line=self.title_line,
            warnings=warnings,
            suggestions=read_suggestions(self.own_text(), cadence_sources=self.cadence.sources),
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
        try:
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
        except Exception as error:
            # A fault in the cadence reader refuses the document at this mentor, never as a server error.
            raise StreamDocumentError(
                filename,
                name_line.number,
                f"{name_line.text}'s cadence could not be read ({error}); reword it or report the sentence",
            ) from error
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
    text = "\n".join([draft.name, *(paragraph for paragraph, _ in draft.paragraphs())])
    nicknames = {
        match.group(2) or match.group(3) for match in _NICKNAME.finditer(text) if match.group(1) in names
    }
    return names | nicknames


def _spelled_out(mentors: Sequence[_MentorDraft], *, leaving_out: _MentorDraft | None = None) -> str:
    """ "Ann A", "Ann A and Bob B", up to NAMES_SPELLED_OUT names; beyond, the first two and a count. Reads only
    the names it spells out, so naming thousands of mentors costs no more than naming six."""
    count = len(mentors) - (leaving_out is not None)
    names = [m.name for m in islice((m for m in mentors if m is not leaving_out), NAMES_SPELLED_OUT)]
    if count > NAMES_SPELLED_OUT:
        return f"{names[0]}, {names[1]} and {count - 2} others"
    return " and ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def _quoted(text: str) -> str:
    return f"“{text}”" if len(text) <= QUOTE_CHARS else f"“{text[: QUOTE_CHARS - 1].rstrip()}…”"


def _other_mentor_mentions(drafts: list[_MentorDraft]) -> list[DocumentWarning]:
    """A section that uses a name or nickname another mentor goes by in this document (and this one does not).

    Each handle is indexed once and each paragraph's words are read once, so the check is linear in the
    document. The names one section uses for the same mentors make one warning.
    """
    handles = {draft.slug: _handles(draft) for draft in drafts}
    owners: dict[str, list[_MentorDraft]] = defaultdict(list)
    for draft in drafts:
        for handle in sorted(handles[draft.slug]):
            owners[handle].append(draft)
    warnings = []
    for draft in drafts:
        first_line: dict[str, int] = {}
        for text, line in draft.paragraphs():
            for match in _WORD.finditer(text):
                word = match.group()
                word = word[:-2] if word.endswith(_POSSESSIVE) else word
                # A name both mentors share (two Alexes) may well mean this mentor.
                if word in owners and word not in handles[draft.slug]:
                    first_line.setdefault(word, line)
        by_others: dict[tuple[_MentorDraft, ...], list[str]] = defaultdict(list)
        for word in first_line:
            by_others[tuple(owners[word])].append(word)
        for others, words in by_others.items():
            found = ", ".join(f"“{word}”" for word in sorted(words))
            called = f"{others[0].name} is" if len(others) == 1 else f"{_spelled_out(others)} are"
            sections = f"{others[0].name}'s section" if len(others) == 1 else "theirs"
            warnings.append(
                DocumentWarning(
                    WarningCode.NAMES_OTHER_MENTOR,
                    f"{draft.name}'s section names {found}, as {called} called in this document; "
                    f"check it was not copied from {sections}.",
                    min(first_line[word] for word in words),
                    draft.slug,
                )
            )
    return warnings


def _copied_passages(drafts: list[_MentorDraft]) -> list[DocumentWarning]:
    """One warning per passage several sections share word for word, filed under the first of those mentors and
    naming them all; a cadence read from such a passage is doubted in each of them.

    A passage is a run of consecutive paragraphs shared by the same mentors, holding at least one long paragraph
    (a short one alone, "Good paper-reading habits.", is too generic to call copied). Paragraphs are grouped by
    their text, and each group of mentors is built once, so this is linear in the document however many mentors
    share a passage.
    """
    sharers: dict[str, dict[str, _MentorDraft]] = defaultdict(dict)  # paragraph text → slug → mentor
    for draft in drafts:
        for text, _ in draft.paragraphs():
            sharers[_words_only(text)].setdefault(draft.slug, draft)
    groups: dict[tuple[_MentorDraft, ...], tuple[_MentorDraft, ...]] = {}
    shared = {
        text: groups.setdefault(group, group)
        for text, by_slug in sharers.items()
        if len(group := tuple(by_slug.values())) > 1
    }
    warnings = []
    for draft in drafts:
        for passage, line, mentors in _shared_runs(draft, shared):
            quoted = next((text for text in passage if len(text) >= DUPLICATE_MIN_CHARS), None)
            if quoted is None:
                continue
            if mentors[0] is draft:
                warnings.append(_copied_passage_warning(len(passage), quoted, line, mentors))
            else:
                draft.copied_paragraphs.update(passage)
            _doubt_copied_cadence(draft, passage, mentors)
    return warnings


def _words_only(text: str) -> str:
    """The text with its spacing made uniform, so a re-wrapped copy is still the same text."""
    return " ".join(text.split())


def _shared_runs(
    draft: _MentorDraft, shared: dict[str, tuple[_MentorDraft, ...]]
) -> Iterator[tuple[list[str], int, tuple[_MentorDraft, ...]]]:
    """The draft's runs of consecutive paragraphs shared by the same mentors: (texts, first line, mentors)."""
    passage: list[str] = []
    passage_line = 0
    mentors: tuple[_MentorDraft, ...] = ()
    for text, line in draft.paragraphs():
        group = shared.get(_words_only(text), ())
        if group and group is mentors:
            passage.append(text)
            continue
        if mentors:
            yield passage, passage_line, mentors
        passage, passage_line, mentors = [text], line, group
    if mentors:
        yield passage, passage_line, mentors


def _copied_passage_warning(
    paragraphs: int, quoted: str, line: int, mentors: tuple[_MentorDraft, ...]
) -> DocumentWarning:
    what = "This paragraph appears" if paragraphs == 1 else f"These {paragraphs} paragraphs appear"
    return DocumentWarning(
        WarningCode.DUPLICATED_TEXT,
        f"{what} word for word in the sections of {_spelled_out(mentors)}: {_quoted(quoted)}",
        line,
        mentors[0].slug,
        shared_with=tuple(m.slug for m in mentors[1:]),
    )


def _doubt_copied_cadence(draft: _MentorDraft, passage: list[str], mentors: tuple[_MentorDraft, ...]) -> None:
    """A rhythm read from text other mentors' sections hold word for word may be theirs, not this mentor's."""
    doubted = {doubt.source for doubt in draft.cadence.doubts}
    for source in dict.fromkeys(demand.source for demand in draft.cadence.demands):
        if source and source not in doubted and any(source in text for text in passage):
            whose = (
                f"{next(m for m in mentors if m is not draft).name}'s section"
                if len(mentors) == 2
                else f"the sections of {_spelled_out(mentors, leaving_out=draft)}"
            )
            draft.cadence = draft.cadence.with_doubt(
                Doubt(
                    phrase=_quoted(source)[1:-1],
                    reason=f"copied word for word from {whose}; check it is this mentor's own rhythm",
                    source=source,
                )
            )
