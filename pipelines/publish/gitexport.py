"""Export the corpus as a git repository in the Princeton-Leuven layout.

``l/li/lin/linux.org.md``: one commit per version, author and committer dates = capture time,
subject ``<site> (archived on YYYY-MM-DD)``, metadata JSON in the body. Uses ``git fast-import``
(one process for the whole export). Re-exporting appends only versions not exported yet: they
are listed in the repository's ``.palimpsest-exported`` file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pipelines.captures import parse_timestamp, wayback_link
from pipelines.changes.history import Source
from pipelines.seedformat import render_document, safe_component

STATE = ".palimpsest-exported"
BRANCH = "refs/heads/main"


def shard_path(site: str) -> str:
    name = safe_component(site)
    key = name.lower()
    return f"{key[:1]}/{key[:2]}/{key[:3]}/{name}.md"


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def export_git(store, repo: str | Path) -> int:
    """Append the versions not yet exported to the git repository ``repo``; returns how many."""
    repo = Path(repo)
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    exported: set[str] = set()
    has_head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", BRANCH],
                              capture_output=True).returncode == 0
    if has_head:
        shown = subprocess.run(["git", "-C", str(repo), "show", f"{BRANCH}:{STATE}"],
                               capture_output=True, text=True)
        if shown.returncode == 0:
            exported = set(shown.stdout.split())
    todo = [v for v in store.versions.of() if f"{v.site}@{v.timestamp}" not in exported]
    if not todo:
        return 0
    stream = bytearray()
    first = True
    for mark, v in enumerate(todo, start=1):
        site, ts, url = v.site, v.timestamp, v.url
        exported.add(f"{site}@{ts}")
        when = int(parse_timestamp(ts).timestamp())
        live = store.live.capture(site, ts)
        snapshot_ts = live[1] if live else ts
        meta = {"site": site, "timestamp": ts, "url": url,
                "snapshot": (wayback_link(snapshot_ts, url) if live else v.snapshot_link)
                if snapshot_ts else None,
                "source": Source.LIVE if live else Source.ARCHIVE,
                "text_hash": v.text_hash, "words": v.words, "language": v.language,
                "extractor": v.extractor}
        how = "checked live" if live else "archived"
        message = (f"{site} ({how} on {ts[:4]}-{ts[4:6]}-{ts[6:8]})\n\n"
                   f"{json.dumps(meta, indent=2)}\n").encode()
        doc = render_document(site, ts, url, store.text(v.text_hash), live=live).encode()
        stream += f"commit {BRANCH}\nmark :{mark}\n".encode()
        stream += f"author Palimpsest <palimpsest@localhost> {when} +0000\n".encode()
        stream += f"committer Palimpsest <palimpsest@localhost> {when} +0000\n".encode()
        stream += _data(message)
        if first and has_head:
            stream += f"from {BRANCH}^0\n".encode()
        first = False
        stream += f"M 100644 inline {shard_path(site)}\n".encode() + _data(doc)
        if mark == len(todo):  # the list of exported versions, once, in the last commit
            state = ("\n".join(sorted(exported)) + "\n").encode()
            stream += f"M 100644 inline {STATE}\n".encode() + _data(state)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-f", "main"], check=True,
                   capture_output=True)
    return len(todo)
