"""Failure analyses (docs/failures.md): ``runner`` starts and tracks them on bounded pools,
``analysis`` lists a scope's failed tasks, ``attempts`` reads their failing attempts and logs,
``samples`` reads what failures are compared with. ``services.failure_runs`` puts them on the
task engine."""
