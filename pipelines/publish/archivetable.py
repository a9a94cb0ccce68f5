"""The report's *Archives* section: per archive the captures it holds and the payloads it
served, and the half-year slots each site fills with the first archive alone and with every
archive (what the extra archives add). Only for corpora read from more than one archive."""

from __future__ import annotations

from html import escape as e

SHOWN_SITES = 50  # the sites the extra archives help most; the totals count every site


def archives_section(store) -> str:
    held = store.captures.per_archive()
    archives = [a for a in store.archives.rows() if a.archive in held]
    if len(archives) < 2:
        return ""
    served = store.fetches.per_archive()
    first = archives[0]
    rows = "".join(
        f"<tr><td>{e(a.label)}</td><td class=num>{held.get(a.archive, (0, 0))[0]}</td>"
        f"<td class=num>{held.get(a.archive, (0, 0))[1]}</td>"
        f"<td class=num>{served.get(a.archive, (0, 0))[0]}</td>"
        f"<td class=num>{served.get(a.archive, (0, 0))[1] or 0}</td></tr>" for a in archives)
    coverage = store.captures.coverage(first.archive)
    own = sum(a for a, _ in coverage.values())
    every = sum(b for _, b in coverage.values())
    gained = sorted(((b - a, site, a, b) for site, (a, b) in coverage.items() if b > a), reverse=True)
    site_rows = "".join(f"<tr><td>{e(site)}</td><td class=num>{a}</td><td class=num>{b}</td>"
                        f"<td class=num>+{d}</td></tr>" for d, site, a, b in gained[:SHOWN_SITES])
    return ("<h2>Archives</h2><table><thead><tr><th>archive</th><th class=num>captures</th>"
            "<th class=num>sites</th><th class=num>payloads served</th><th class=num>with text</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            f"<p>Half-year slots with a policy text: <strong>{every}</strong> with every archive, "
            f"{own} with {e(first.label)} alone ({len(gained)} of {len(coverage)} sites gain "
            "slots).</p>"
            + ("<table><thead><tr><th>site</th><th class=num>slots, " + e(first.label)
               + " alone</th><th class=num>slots, every archive</th><th class=num>added</th></tr>"
               f"</thead><tbody>{site_rows}</tbody></table>" if site_rows else ""))
