"""What is known about the real AWS Deadline Cloud API that botocore's model does not say.

A tiny, dependency-free package (no Django, no boto3, no import of ``deadline_emulator`` or
``tasks_app``) so that the emulator and the dashboard's AWS boundary read one source of truth:
the emulator to decide what it accepts in each search mode, the dashboard to decide what it
may send and what to fall back on. See ``search_names`` for the Search* field and sort names.
"""
