"""branches.kept: a value computed once per key; text also kept in the worker's memory."""

from django.core.cache import cache

from branches import kept as kept_module
from branches.kept import forget_kept_in_worker, kept


def test_a_key_is_computed_once():
    calls = []
    for _ in range(3):
        assert kept("k:1", lambda: calls.append(1) or "drawn") == "drawn"
    assert calls == [1]


def test_text_stays_in_the_worker_without_the_shared_cache():
    kept("k:2", lambda: "drawn")
    cache.clear()
    assert kept("k:2", lambda: "drawn again") == "drawn"
    forget_kept_in_worker()
    assert kept("k:2", lambda: "drawn again") == "drawn again"


def test_objects_are_given_afresh_to_each_request():
    first = kept("k:3", lambda: {"rows": [1, 2]})
    first["rows"].append(3)  # a page decorating what it was given
    assert kept("k:3", lambda: {"rows": []}) == {"rows": [1, 2]}


def test_the_worker_keeps_a_bounded_number(monkeypatch):
    monkeypatch.setattr(kept_module, "KEPT_IN_WORKER", 2)
    for n in range(4):
        kept(f"k:bounded:{n}", lambda n=n: f"drawn {n}")
    assert len(kept_module._in_worker) == 2
