"""What the edge and the OAuth front both stand on: raw ASGI answers, and where this resource is.

Below both: it imports neither, so the edge never reaches up into the front and the
front never reaches into the edge (the composition root, `app_factory.py`, joins them).
"""
