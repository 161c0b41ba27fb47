"""Views, one module per page family: ``home`` (navigation form, go-to box), ``browse``
(farms, queues, jobs, steps), ``task`` (the live task page), ``triage`` (its attempts and log
sections), ``health`` (load-balancer probes); ``errors`` holds the error pages and
``error_response``, ``common`` what the families share, ``middleware`` the allow-list 404 and
the stale banner. A view translates HTTP to a selector or service call and back.
"""
