"""SESSION_ENGINE for a shared cache: sessions read from the cache and kept in the
database (branches.sessions)."""

from django.contrib.sessions.backends import cached_db

from branches.sessions import SessionReadInSql


class SessionStore(SessionReadInSql, cached_db.SessionStore):
    pass
