"""The AWS boundary: the only code that talks to Deadline Cloud and CloudWatch Logs.

``client`` builds the boto3 clients (AWS or the in-process emulator); ``calls`` is the one
call path with its error mapping into ``errors``; ``resilience`` and ``cache`` make reads
cheap and survivable (``cache.cached_read`` is the one public read helper); ``logs`` is
CloudWatch Logs; ``allow_list`` guards the clients; ``ids`` and ``types``/``session_types``
are what answers become. Nothing here imports a selector, service or view.
"""
