"""A local, wire-faithful emulator of the AWS Deadline Cloud API (pure Python, no Django).

Public surface (see README "The emulator"):

- ``Emulator(seed=0, clock=None)``: one demo world plus its wire layer.
- ``Emulator.handle(method, path, query, headers, body)``: answer one HTTP request.
- ``Emulator.wsgi_app``: the same as a WSGI application (used by ``server.py``).
- ``transport.attach(client, emulator)``: answer a boto3 client in-process, no socket.
- ``get_default_emulator(seed)``: the process-wide emulator the demo backend uses.
"""
