"""Django's database sessions (settings.SESSION_ENGINE), read in plain SQL.

Every signed-in page reads its session: the ORM's get() cost twice the query itself
(0.45 against 0.22 ms on PostgreSQL), as the user's did (branches.signin). Writing,
expiring and deleting are Django's own. `db` is for a per-process cache, `cached_db` for
a shared one (the session read from the cache, the database on a miss), as in settings.
"""

from django.db import connections
from django.utils import timezone

from branches.stamps import as_aware


class SessionReadInSql:
    """_get_session_from_db of Django's db.SessionStore, in one plain query."""

    def _get_session_from_db(self):
        model = self.model
        connection = connections[model.objects.db]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')}, {quote('expire_date')}"
                f" FROM {quote(model._meta.db_table)}"
                f" WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's: an unknown or expired key is dropped, and a new one is made
            # when the session is saved.
            self._session_key = None
            return None
        return model(
            session_key=self.session_key, session_data=row[0], expire_date=as_aware(row[1])
        )
