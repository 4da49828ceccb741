"""The development Citus cluster: a coordinator and two workers, each its own PostgreSQL,
registered with each other; distributed tables really spread over the workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from tests.cli.test_cli import imgsearch


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]


@pytest.mark.slow
def test_a_coordinator_and_two_workers_know_each_other(citus_cluster: Any) -> None:
    nodes = rows(
        citus_cluster.url, "SELECT nodeport, groupid, noderole, isactive FROM pg_dist_node"
    )
    assert sorted(port for port, *_ in nodes) == sorted(
        [citus_cluster.coordinator, *citus_cluster.workers]
    )
    assert all(active and role == "primary" for _, _, role, active in nodes)
    workers = rows(citus_cluster.url, "SELECT node_port FROM citus_get_active_worker_nodes()")
    assert sorted(p for (p,) in workers) == sorted(citus_cluster.workers)
    for port in (citus_cluster.coordinator, *citus_cluster.workers):
        extensions = rows(citus_cluster.node_url(port), "SELECT extname FROM pg_extension")
        assert {"citus", "vector"} <= {name for (name,) in extensions}


@pytest.mark.slow
def test_a_distributed_table_spreads_over_both_workers(citus_cluster: Any) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((200, 8)).astype(np.float32)
    url = citus_cluster.url
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS spread")
        connection.execute("CREATE TABLE spread (id bigint PRIMARY KEY, v vector(8))")
        connection.execute("SELECT create_distributed_table('spread', 'id')")
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO spread VALUES (%s, %s::vector)",
                [(n, str(v.tolist())) for n, v in enumerate(vectors)],
            )
    placed = rows(
        url, "SELECT DISTINCT nodeport FROM citus_shards WHERE table_name = 'spread'::regclass"
    )
    assert sorted(p for (p,) in placed) == sorted(citus_cluster.workers)
    per_worker = rows(
        url,
        "SELECT nodeport, count(*) FROM citus_shards WHERE table_name = 'spread'::regclass "
        "GROUP BY nodeport",
    )
    assert all(count >= 2 for _, count in per_worker)
    query = vectors[17] + 0.01
    found = rows(url, f"SELECT id FROM spread ORDER BY v <-> '{query.tolist()}' LIMIT 5")
    expected = np.argsort(((vectors - query) ** 2).sum(axis=1))[:5]
    assert [i for (i,) in found] == expected.tolist()


@pytest.mark.slow
def test_db_start_and_stop_a_citus_cluster_from_the_cli(citus_cluster: Any, tmp_path: Path) -> None:
    folder = tmp_path / "dev-cluster"
    started = imgsearch("db", "start", "--citus", "--workers", "1", "--data", str(folder))
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    assert url.startswith("postgresql://")
    assert len(rows(url, "SELECT * FROM citus_get_active_worker_nodes()")) == 1
    again = imgsearch("db", "start", "--citus", "--data", str(folder))  # finds it running
    assert again.stdout.strip() == url
    stopped = imgsearch("db", "stop", "--citus", "--data", str(folder))
    assert stopped.stdout.strip() == "stopped"
    assert imgsearch("db", "stop", "--citus", "--data", str(folder)).stdout.strip() == "not running"
