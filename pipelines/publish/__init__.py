"""What a corpus gives its readers: the end-of-run step (:mod:`finalize`), the change logs
(:mod:`changelogs`), Atom feeds (:mod:`feeds`), the HTML report (:mod:`report`, with
:mod:`mdrender`) and the git export (:mod:`gitexport`)."""
