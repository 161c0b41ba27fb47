"""Reads, one module per subject: ``resources`` (one farm/queue/job/step/task each),
``browse`` (lists and the browse pages' queries), ``task_page`` and ``triage`` (attempts and
logs). Selectors return the frozen types of ``deadline.types``; they read through
``deadline.cache.cached_read`` and never import a view.
"""
