"""The web edge's library: the cached service `app.py` calls and the JSON it answers."""
