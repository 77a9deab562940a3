"""A Redis master, a replica and three Sentinels from the embedded redis-server binary, for failover tests."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from queuetui.embedded import EmbeddedRedis, die_with_parent, find_redis_server, free_port
from tests.conftest import wait_for

SERVICE = "mymaster"


@dataclass
class SentinelGroup:
    master: EmbeddedRedis
    replica: EmbeddedRedis
    sentinel_ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The redis+sentinel:// URL of the group's master, database 0."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def sentinel(self, index: int = 0) -> redis.Redis:
        return redis.Redis(port=self.sentinel_ports[index], socket_timeout=2)

    def master_port(self) -> int:
        """The master's port as the first Sentinel reports it."""
        _, port = self.sentinel().sentinel_get_master_addr_by_name(SERVICE)
        return int(port)


def _sentinel_conf(directory: Path, port: int, master_port: int) -> Path:
    path = directory / f"sentinel-{port}.conf"
    path.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {directory}\nlogfile {directory}/sentinel-{port}.log\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 2\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 3000\n"
        f"sentinel parallel-syncs {SERVICE} 1\n",
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def sentinel_group() -> Iterator[SentinelGroup]:
    """Start the master, its replica (in sync) and three Sentinels that know the replica and each other."""
    with EmbeddedRedis() as master, EmbeddedRedis() as replica, tempfile.TemporaryDirectory() as tmp:
        replica.client().replicaof("127.0.0.1", master.port)
        wait_for(
            lambda: replica.client().info("replication").get("master_link_status") == "up",
            message="the replica to sync",
        )
        group = SentinelGroup(master, replica, [free_port() for _ in range(3)])
        binary = find_redis_server()
        try:
            for port in group.sentinel_ports:
                conf = _sentinel_conf(Path(tmp), port, master.port)
                group.processes.append(
                    subprocess.Popen(
                        [binary, str(conf), "--sentinel"],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        preexec_fn=die_with_parent(),
                    )
                )

            def ready() -> bool:
                try:
                    return all(
                        len(group.sentinel(i).sentinel_slaves(SERVICE)) == 1
                        and len(group.sentinel(i).sentinel_sentinels(SERVICE)) == 2
                        for i in range(3)
                    )
                except redis.RedisError:
                    return False

            wait_for(ready, timeout=20, message="the Sentinels to find the replica and each other")
            yield group
        finally:
            for process in group.processes:
                process.kill()
                process.wait(5)
