"""Git sources: a repository's history (``lekk git``) and its index (``lekk staged``).

Everything goes through git plumbing run by ``cmd.Git`` (a scrubbed environment and config
overrides, so an untrusted repository cannot make git run its programs), started by GitPython's
command layer for ``lekk git`` and by plain ``subprocess`` for ``lekk staged`` (start-up time):

- ``history``: rev-list / cat-file / log --raw parsing, refs and the default branch.
- ``blobs``: the ``cat-file --batch`` stream turned into Fragments, with a byte-level prefilter.
- ``scan``: the history scan (each blob once, then attribution to introducing commits).
- ``attribute``: one finding per leaked value, with commit, other locations, refs and tip state.
- ``staged``: the staged entries (index against HEAD).
"""
