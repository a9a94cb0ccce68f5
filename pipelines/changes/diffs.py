"""Word-level, section-aware diffs of two policy versions, for the terminal (the HTML report's
side-by-side diffs are :mod:`pipelines.publish.mdrender`'s, rendered as the reader sees the policy).

Sections are aligned by heading (see :func:`pipelines.changes.align_sections`); inside a section
the words are diffed with difflib; paragraphs that only changed place are shown as moves.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pipelines.changes.measure import align_sections, moved_paragraphs, sections

ANSI = {"delete": "\033[31;9m", "insert": "\033[32;1m", "move": "\033[36m", "heading": "\033[1;4m",
        "reset": "\033[0m"}


@dataclass
class SectionDiff:
    heading: str
    status: str  # 'same' | 'changed' | 'added' | 'removed'
    ops: list[tuple[str, str]]  # (op, text) with op in equal/insert/delete/move


PARAGRAPH = "\n"


def _tokens(pars: list[str]) -> list[str]:
    """Words of the paragraphs, with a paragraph-break token between paragraphs."""
    out: list[str] = []
    for p in pars:
        if out:
            out.append(PARAGRAPH)
        out += p.split(" ")
    return out


def _join(tokens: list[str]) -> str:
    return " ".join(tokens).replace(f" {PARAGRAPH} ", PARAGRAPH).replace(PARAGRAPH + " ", PARAGRAPH)


def section_diffs(old_md: str, new_md: str) -> list[SectionDiff]:
    moved = moved_paragraphs(old_md, new_md)
    out: list[SectionDiff] = []
    for os_, ns in align_sections(sections(old_md), sections(new_md)):
        heading = (ns or os_).heading
        old_pars = [p for p in (os_.paragraphs if os_ else []) if p not in moved]
        new_pars = ns.paragraphs if ns else []
        ops: list[tuple[str, str]] = []
        old_w = _tokens(old_pars)
        new_w = _tokens([p for p in new_pars if p not in moved])
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_w, new_w, autojunk=False).get_opcodes():
            if tag == "equal":
                ops.append(("equal", _join(old_w[i1:i2])))
            if tag in ("delete", "replace"):
                ops.append(("delete", _join(old_w[i1:i2])))
            if tag in ("insert", "replace"):
                ops.append(("insert", _join(new_w[j1:j2])))
        ops += [("move", p) for p in new_pars if p in moved]
        if os_ is None:
            status = "added"
        elif ns is None:
            status = "removed"
        else:
            status = "changed" if any(op != "equal" for op, _ in ops) or \
                (os_.heading != ns.heading) else "same"
        out.append(SectionDiff(heading, status, ops))
    return out


def render_terminal(diffs: list[SectionDiff], color: bool = True, context: bool = False) -> str:
    c = ANSI if color else {k: "" for k in ANSI}
    lines: list[str] = []
    for d in diffs:
        if d.status == "same" and not context:
            continue
        lines.append(f"{c['heading']}§ {d.heading or '(top)'}{c['reset']}  [{d.status}]")
        parts = []
        for op, text in d.ops:
            if op == "equal":
                parts.append(text if len(text) < 300 or context else f"{text[:120]} … {text[-120:]}")
            elif op == "delete":
                parts.append(f"{c['delete']}[-{text}-]{c['reset']}")
            elif op == "insert":
                parts.append(f"{c['insert']}{{+{text}+}}{c['reset']}")
        if parts:
            lines.append(" ".join(parts))
        for op, text in d.ops:
            if op == "move":
                lines.append(f"{c['move']}↷ moved here: {text}{c['reset']}")
        lines.append("")
    return "\n".join(lines) if lines else "(no differences in text)\n"
