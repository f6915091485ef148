"""``lekk audit``: the history of many repositories, one Dask task each.

- ``repos``: the input list (paths, clone URLs), names in the results folder, and the bare
  mirror in the clone cache (cloned or updated with transports limited and nothing run).
- ``task``: one repository's unit of work, run on a Dask worker: is it unchanged since the last
  run; clone or update; then ``scanner.audit.scan`` in a child process under a time and memory
  limit, which runs the same pipeline as ``lekk git`` and writes its JSON and SARIF reports.
- ``results``: the results folder (a report per repository, an index written as each finishes),
  so an interrupted audit resumes and a re-run skips repositories whose refs have not changed.
- ``run``: the embedded ``LocalCluster`` or a ``--scheduler``, the progress line, the summary.

Dask (``pip install 'lekk[audit]'``) is imported only here: the core install and the pre-commit
hook do not need it.
"""
