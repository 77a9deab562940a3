"""TLS with a client certificate, from the config file's context keys and from the URL's query."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import redis
from rq import Queue

from queuetui.embedded import EmbeddedRedis
from tests import jobs
from tests.cli import queuetui
from tests.tls import make_certificates, tls_front

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command for certificates"
)


def test_tls_with_a_client_certificate(own_server: EmbeddedRedis, tmp_path: Path) -> None:
    Queue("default", connection=redis.Redis.from_url(own_server.url)).enqueue(jobs.add, 1, 2)
    certs = make_certificates(tmp_path)
    with tls_front(certs, own_server.port) as port:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[contexts.secure]
redis_url = "rediss://127.0.0.1:{port}/0"
tls_ca_file = "{certs.ca}"
tls_cert_file = "{certs.client_cert}"
tls_key_file = "{certs.client_key}"
tls_verify = "required"
[contexts.no-client-cert]
redis_url = "rediss://127.0.0.1:{port}/0"
tls_ca_file = "{certs.ca}"
""",
            encoding="utf-8",
        )
        result = queuetui("--config", str(config), "-c", "secure", "stats", "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["queues"][0]["waiting"] == 1

        query = f"ssl_ca_certs={certs.ca}&ssl_certfile={certs.client_cert}&ssl_keyfile={certs.client_key}"
        by_url = queuetui("stats", "--json", "-u", f"rediss://127.0.0.1:{port}/0?{query}")
        assert by_url.returncode == 0, by_url.stderr

        refused = queuetui("--config", str(config), "-c", "no-client-cert", "stats")
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr.startswith("queuetui: error: ")
        untrusted = queuetui("stats", "-u", f"rediss://127.0.0.1:{port}/0")  # the system CAs do not know ours
        assert untrusted.returncode == 1 and "certificate" in untrusted.stderr.lower(), untrusted.stderr
