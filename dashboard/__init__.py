"""The Django project package of the Deadline Task Dashboard."""
