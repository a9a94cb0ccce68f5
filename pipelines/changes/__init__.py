"""Changes between versions: :mod:`measure` (what changed between two texts, pure),
:mod:`history` (a site's changes and their brackets, from the corpus), :mod:`diffs` (a terminal
diff of two versions)."""
