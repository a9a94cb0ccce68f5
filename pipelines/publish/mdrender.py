"""Policy markdown as a reader sees it, in HTML: rendered by markdown-it-py (CommonMark, raw HTML
off, so every character of the policy is escaped and ``javascript:`` links are refused), and
side-by-side diffs whose marks survive the rendering.

A diff is computed block by block (paragraphs, list items, headings) on the original markdown;
changed words are wrapped in private-use placeholder characters *before* rendering, and the
placeholders become ``<del>``/``<ins>`` after it, so lists stay lists, bold stays bold and the
marks sit on the words that changed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.seedformat import normalize_text

# Obscure Unicode punctuation (never seen in a policy, and removed from the text first): as
# punctuation they leave CommonMark's emphasis rules intact around '**word.**'.
DEL_ON, DEL_OFF, INS_ON, INS_OFF = "\u2e19", "\u2e1a", "\u2e1b", "\u2e1e"
_MARKS = {DEL_ON: "<del>", DEL_OFF: "</del>", INS_ON: "<ins>", INS_OFF: "</ins>"}
_PRIVATE = re.compile("[\u2e19\u2e1a\u2e1b\u2e1e\ue000-\uf8ff]")
_LINE_PREFIX = re.compile(r"^(\s*(?:[*+-]|\d+[.)]|#{1,6}|>)\s+)?(.*)$", re.S)


@lru_cache(maxsize=1)
def _md():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render(markdown: str) -> str:
    """Safe HTML of policy markdown (any private-use characters of the text itself are dropped,
    so they can never pose as diff marks)."""
    return _md().render(_PRIVATE.sub("", markdown))


def _render_marked(markdown: str) -> str:
    out = _md().render(markdown)
    for mark, tag in _MARKS.items():
        out = out.replace(mark, tag)
    return out


def blocks(markdown: str) -> list[str]:
    """Paragraphs, headings and list items: the units a reader compares."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", _PRIVATE.sub("", markdown.strip("\n"))):
        lines = para.split("\n")
        current: list[str] = []
        for line in lines:
            if re.match(r"^\s*([*+-]|\d+[.)])\s+", line) and current:
                out.append("\n".join(current))
                current = []
            current.append(line)
        if current and "\n".join(current).strip():
            out.append("\n".join(current))
    return out


def _wrap_line(line: str, on: str, off: str) -> str:
    """Marks around a line's words; a list, heading or quote marker stays outside them."""
    if not line.strip():
        return line
    prefix, rest = _LINE_PREFIX.match(line).groups()
    return f"{prefix or ''}{on}{rest}{off}"


def _mark_words(old: str, new: str) -> tuple[str, str]:
    """The two blocks with their changed words wrapped in placeholders (per line, so a mark never
    spans a line break)."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    aw, bw = a[0::2], b[0::2]
    left, right = [], []

    def wrap(tokens: list[str], on: str, off: str) -> str:
        text = " ".join(t for t in tokens if t)
        return "\n".join(_wrap_line(line, on, off) for line in text.split("\n"))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, aw, bw, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(" ".join(aw[i1:i2]))
            right.append(" ".join(bw[j1:j2]))
            continue
        if i2 > i1:
            left.append(wrap(aw[i1:i2], DEL_ON, DEL_OFF))
        if j2 > j1:
            right.append(wrap(bw[j1:j2], INS_ON, INS_OFF))
    # keep the block's own line structure (list items, line breaks)
    return _restore_lines(old, " ".join(left)), _restore_lines(new, " ".join(right))


def _restore_lines(original: str, joined: str) -> str:
    if "\n" not in original:
        return joined
    prefix = re.match(r"^\s*", original).group(0)
    return prefix + joined.strip(" ")


def _wrap_block(block: str, on: str, off: str) -> str:
    return "\n".join(_wrap_line(line, on, off) for line in block.split("\n"))


@dataclass
class Row:
    old_html: str
    new_html: str
    kind: str  # 'equal' | 'changed' | 'removed' | 'added' | 'skipped'


def diff_rows(old_md: str, new_md: str, context: int = 1) -> list[Row]:
    """Side-by-side rows of two versions: changed blocks with their marked words, ``context``
    unchanged blocks around each change, and one 'skipped' row for each run left out."""
    a, b = blocks(old_md), blocks(new_md)
    na, nb = [normalize_text(x) for x in a], [normalize_text(x) for x in b]
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, na, nb, autojunk=False).get_opcodes():
        if tag == "equal":
            run = list(range(i1, i2))
            if len(run) > 2 * context + 1:
                keep_head = run[:context] if rows else []
                keep_tail = run[-context:] if i2 < len(a) or j2 < len(b) else []
                for i in keep_head:
                    rows.append(Row(render(a[i]), render(a[i]), "equal"))
                skipped = len(run) - len(keep_head) - len(keep_tail)
                rows.append(Row(f"<p class='skip'>… {skipped} unchanged "
                                f"paragraph{'s' if skipped != 1 else ''} …</p>", "", "skipped"))
                for i in keep_tail:
                    rows.append(Row(render(a[i]), render(a[i]), "equal"))
            else:
                rows += [Row(render(a[i]), render(a[i]), "equal") for i in run]
            continue
        j = j1
        for i in range(i1, i2):
            # the most similar new block ahead (in order) is this block's new form
            best, best_ratio = None, 0.45
            for k in range(j, j2):
                m = difflib.SequenceMatcher(None, na[i].split(), nb[k].split(), autojunk=False)
                if m.quick_ratio() > best_ratio and m.ratio() > best_ratio:
                    best, best_ratio = k, m.ratio()
            if best is None:
                rows.append(Row(_render_marked(_wrap_block(a[i], DEL_ON, DEL_OFF)), "", "removed"))
                continue
            for k in range(j, best):
                rows.append(Row("", _render_marked(_wrap_block(b[k], INS_ON, INS_OFF)), "added"))
            left, right = _mark_words(a[i], b[best])
            rows.append(Row(_render_marked(left), _render_marked(right), "changed"))
            j = best + 1
        for k in range(j, j2):
            rows.append(Row("", _render_marked(_wrap_block(b[k], INS_ON, INS_OFF)), "added"))
    if rows and rows[0].kind == "skipped" and all(r.kind in ("skipped", "equal") for r in rows):
        return []
    return rows


def diff_table(old_md: str, new_md: str) -> str:
    rows = diff_rows(old_md, new_md)
    if not rows:
        return "<p>(no differences in the text)</p>"
    body = "".join(f"<tr class='skipped'><td colspan='2'>{r.old_html}</td></tr>" if r.kind == "skipped"
                   else f"<tr class='{r.kind}'><td class='old'>{r.old_html}</td>"
                        f"<td class='new'>{r.new_html}</td></tr>" for r in rows)
    return ("<table class='diff'><thead><tr><th>before</th><th>after</th></tr></thead>"
            f"<tbody>{body}</tbody></table>")
