"""app/limits.py: the one Flask-Limiter set-up, its 429 page in plain words, and its Redis storage."""
from __future__ import annotations

import itertools

import pytest

_apps = itertools.count()
REDIS_TEST_DB = 11  # this suite's own Redis database number (others use their own)


def _app_with_limited_routes(tmp_path, **overrides):
    from app import create_app
    from app.limits import configured, limiter

    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
                              "WTF_CSRF_ENABLED": False, "TEST_LIMIT": "2 per minute", **overrides})

    # Flask-Limiter files a decorated limit under the view's qualified name: each app built here gets views of
    # their own names, so limits do not pile up on one name across tests.
    suffix = next(_apps)

    def limited():
        return "ok"

    def api_limited():
        return {"ok": True}

    for view, rule, limit in ((limited, "/t/limited", "2 per minute"),
                              (api_limited, "/api/t/limited", configured("TEST_LIMIT"))):
        view.__qualname__ = f"{view.__name__}_{suffix}"
        view.is_public = True
        app.add_url_rule(rule, endpoint=view.__name__, view_func=limiter.limit(limit)(view))

    return app


@pytest.fixture
def restore_limiter():
    """create_app re-initialises the shared limiter's storage; put the suite's back afterwards."""
    from app.limits import limiter

    saved = limiter._storage, limiter._limiter
    yield
    limiter._storage, limiter._limiter = saved


def test_third_request_gets_a_429_page_in_plain_words(tmp_path, restore_limiter):
    from app.limits import reset

    app = _app_with_limited_routes(tmp_path)
    reset()
    client = app.test_client()
    assert [client.get("/t/limited").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/t/limited")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Too many attempts" in page and "Wait a minute and then try again" in page
    assert "per minute" not in page  # the limiter's own jargon is not shown
    assert int(refused.headers["Retry-After"]) > 0


def test_api_429_is_json_and_reads_its_limit_from_config(tmp_path, restore_limiter):
    from app.limits import reset

    app = _app_with_limited_routes(tmp_path, TEST_LIMIT="1 per minute")
    reset()
    client = app.test_client()
    assert client.get("/api/t/limited").status_code == 200
    refused = client.get("/api/t/limited")
    assert refused.status_code == 429 and refused.is_json
    assert refused.get_json()["status"] == 429 and "try again" in refused.get_json()["detail"]


def test_counts_are_kept_in_redis_when_redis_url_is_set(tmp_path, restore_limiter):
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_TEST_DB}"
    store = redis.Redis.from_url(url)
    try:
        store.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running at 127.0.0.1:6379 (make test starts it; see README)")
    store.flushdb()
    app = _app_with_limited_routes(tmp_path, RATELIMIT_STORAGE_URI=url)
    client = app.test_client()
    assert [client.get("/t/limited").status_code for _ in range(3)] == [200, 200, 429]
    keys = [k.decode() for k in store.keys("*")]
    assert any("limited" in k for k in keys), keys
    store.flushdb()


def test_without_redis_the_store_is_this_process_memory(tmp_path, restore_limiter):
    from limits.storage import MemoryStorage

    from app.limits import limiter

    _app_with_limited_routes(tmp_path)
    assert isinstance(limiter.storage, MemoryStorage)
