"""The production environment documented in the README passes Django's deployment checks,
and the security settings come from the environment.

The environment is read from the README's "## Production" shell block, the one place it is
written down, so the documentation and what is checked cannot drift apart."""

import ast
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_environment() -> dict[str, str]:
    """The variables of the `export` lines in the README's "## Production" shell block."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    environment = {}
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] != ["export"]:
            continue
        for word in words[1:]:
            name, _, value = word.partition("=")
            environment[name] = value
    return environment


def _run(code_or_args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what the documented environment sets, and what Python needs to start: nothing
    # leaks in from the test run (DEBUG=1, a test DATABASE_URL, REDIS_URL).
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(environment)
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def deploy_check(environment: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    """`manage.py check --deploy --fail-level WARNING` with a generated key and an SQLite
    database standing in for the secret and the server."""
    environment = {
        **environment,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    return _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment)


def test_readme_production_environment_is_complete():
    environment = production_environment()
    assert environment["DEBUG"] == "0"
    assert len(environment["SECRET_KEY"]) >= 50
    for name in (
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CACHE_URL",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
    ):
        assert environment[name], name


def test_readme_production_environment_passes_the_deployment_checks(tmp_path):
    result = deploy_check(production_environment(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("dropped", "warning"),
    [
        ("SECURE_HSTS_SECONDS", "security.W004"),
        ("SECURE_SSL_REDIRECT", "security.W008"),
    ],
)
def test_deployment_checks_fail_without_each_https_setting(tmp_path, dropped, warning):
    environment = production_environment()
    del environment[dropped]
    result = deploy_check(environment, tmp_path)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


SHOW_SECURITY = (
    "import config.settings as s; print(repr((s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REDIRECT_EXEMPT)))"
)


def _security_settings(**environment) -> tuple:
    result = _run(["-c", SHOW_SECURITY], environment)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout)


def test_security_settings_in_development_serve_plain_http():
    assert _security_settings(DEBUG="1") == (
        False,
        0,
        False,
        False,
        ("HTTP_X_FORWARDED_PROTO", "https"),
        False,
        False,
        [r"^healthz$"],
    )


def test_security_settings_of_the_readme_production_environment():
    environment = {**production_environment(), "SECRET_KEY": secrets.token_urlsafe(50)}
    assert _security_settings(**environment) == (
        True,
        31536000,
        True,
        True,
        ("HTTP_X_FORWARDED_PROTO", "https"),
        True,
        True,
        [r"^healthz$"],
    )


@pytest.mark.parametrize(
    ("value", "header"),
    [
        ("HTTP_X_SCHEME,https", ("HTTP_X_SCHEME", "https")),
        ("", None),
    ],
)
def test_proxy_ssl_header_comes_from_the_environment(value, header):
    assert _security_settings(DEBUG="1", SECURE_PROXY_SSL_HEADER=value)[4] == header


def test_proxy_ssl_header_without_a_value_fails_clearly():
    result = _run(["-c", SHOW_SECURITY], {"DEBUG": "1", "SECURE_PROXY_SSL_HEADER": "HTTP_X"})
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be a header and its value" in result.stderr
