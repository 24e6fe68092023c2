"""SESSION_ENGINE for a per-process cache: sessions in the database (branches.sessions)."""

from django.contrib.sessions.backends import db

from branches.sessions import SessionReadInSql


class SessionStore(SessionReadInSql, db.SessionStore):
    pass
