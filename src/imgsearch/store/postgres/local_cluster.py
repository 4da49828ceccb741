"""A local Citus cluster for development and tests: a coordinator and ``workers`` workers,
each its own PostgreSQL instance with Citus and pgvector loaded.

Built on the machine's PostgreSQL (Debian's ``postgresql-15``) with the extensions that
``../shared/postgres/install-extensions.sh`` compiles into it. Every node has its own
data folder under the cluster's folder, listens on 127.0.0.1 at a port of its own (the
nodes connect to each other over TCP, as real clusters do) and keeps its Unix socket in
its data folder. PostgreSQL refuses to run as root: started by root, the nodes run as
the unprivileged system user ``pgserver`` (created if missing, as the ``postgres``
extra's pgserver does), and the folders above the cluster's get search permission for
others so that user can reach it. Authentication is ``trust`` on 127.0.0.1 only — a development
cluster, never a production one (docs/scaling.md says how to run Citus for real).

``cluster.json`` in the folder records the ports, so a second ``start`` finds the
running cluster and ``stop`` stops it.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgsearch.errors import StoreError

RUN_AS = "pgserver"
DATABASE = "postgres"
HOST = "127.0.0.1"
STATE = "cluster.json"


@dataclass(frozen=True)
class CitusCluster:
    """A running cluster: its folder, the coordinator's port and the workers'."""

    folder: Path
    coordinator: int
    workers: tuple[int, ...]

    @property
    def url(self) -> str:
        """Where imgsearch (and psql) connect: the coordinator."""
        return f"postgresql://postgres@{HOST}:{self.coordinator}/{DATABASE}"

    @property
    def ports(self) -> tuple[int, ...]:
        """Every node's port, the coordinator's first (node folders are numbered so)."""
        return (self.coordinator, *self.workers)

    def node_url(self, port: int) -> str:
        return f"postgresql://postgres@{HOST}:{port}/{DATABASE}"

    def stop(self) -> None:
        stop_cluster(self.folder)


def postgres_bin() -> Path:
    """The bin folder of the newest installed PostgreSQL (Debian's layout) that has Citus
    and pgvector."""
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        lib = version / "lib"
        if (lib / "citus.so").exists() and (lib / "vector.so").exists():
            return version / "bin"
    raise StoreError(
        "no PostgreSQL with Citus and pgvector is installed here",
        hint="as root: bash ../shared/postgres/install-extensions.sh",
    )


def start_cluster(folder: Path, workers: int = 2) -> CitusCluster:
    """Start the cluster kept in ``folder`` (made on first use with ``workers`` workers),
    or find it running; its nodes keep running until :func:`stop_cluster`."""
    folder = folder.expanduser().resolve()
    running = _running(folder)
    if running is not None:
        return running
    if workers < 1:
        raise StoreError("a Citus cluster needs at least one worker")
    binaries = postgres_bin()
    owner = _owner()
    folder.mkdir(parents=True, exist_ok=True)
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        _traversable(folder)
    ports = _state(folder) or [_free_port() for _ in range(workers + 1)]
    (folder / STATE).write_text(json.dumps(ports))
    try:
        for number, port in enumerate(ports):
            _start_node(binaries, folder / f"node{number}", port, owner)
        cluster = CitusCluster(folder, ports[0], tuple(ports[1:]))
        _connect_nodes(cluster)
    except BaseException:
        stop_cluster(folder)  # no node left running behind a failed start
        raise
    return cluster


def add_worker(folder: Path) -> CitusCluster:
    """Start one more worker for the running cluster in ``folder`` and register it; its
    shards come only with a rebalance (``imgsearch db rebalance``)."""
    folder = folder.expanduser().resolve()
    cluster = _running(folder)
    if cluster is None:
        raise StoreError(f"no Citus cluster is running in {folder}")
    ports = [*_state(folder), _free_port()]
    (folder / STATE).write_text(json.dumps(ports))
    _start_node(postgres_bin(), folder / f"node{len(ports) - 1}", ports[-1], _owner())
    cluster = CitusCluster(folder, ports[0], tuple(ports[1:]))
    _connect_nodes(cluster)
    return cluster


def stop_node(cluster: CitusCluster, port: int) -> None:
    """Stop one node (as a crash or maintenance would): its data stays."""
    data = cluster.folder / f"node{cluster.ports.index(port)}"
    _run([str(postgres_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], _owner())


def start_node(cluster: CitusCluster, port: int) -> None:
    """Start a node stopped by :func:`stop_node` again."""
    data = cluster.folder / f"node{cluster.ports.index(port)}"
    _start_node(postgres_bin(), data, port, _owner())


def stop_cluster(folder: Path) -> bool:
    """Stop every node of the cluster in ``folder``; False when none was running."""
    folder = folder.expanduser().resolve()
    ports = _state(folder)
    if not ports:
        return False
    binaries = postgres_bin()
    owner = _owner()
    stopped = False
    for number in range(len(ports)):
        data = folder / f"node{number}"
        if (data / "postmaster.pid").exists():
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], owner)
            stopped = True
    return stopped


def _running(folder: Path) -> CitusCluster | None:
    ports = _state(folder)
    if not ports or not all(
        (folder / f"node{n}" / "postmaster.pid").exists() for n in range(len(ports))
    ):
        return None
    cluster = CitusCluster(folder, ports[0], tuple(ports[1:]))
    try:
        _sql(cluster.url, "SELECT 1")
    except StoreError:
        return None
    return cluster


def _state(folder: Path) -> list[int]:
    try:
        ports = json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        return []
    return [int(p) for p in ports] if isinstance(ports, list) else []


def _start_node(binaries: Path, data: Path, port: int, owner: pwd.struct_passwd | None) -> None:
    if not (data / "PG_VERSION").exists():
        if data.exists():
            shutil.rmtree(data)  # a half-made node from an interrupted start
        _run(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            owner,
        )  # fmt: skip
        settings = {
            "shared_preload_libraries": "'citus'",
            "listen_addresses": f"'{HOST}'",
            "port": str(port),
            "unix_socket_directories": f"'{data}'",
            "max_connections": "200",
            "fsync": "off",  # a development cluster: speed over durability
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_prepared_transactions": "200",  # Citus' two-phase commit
            # shards move between workers by logical replication, writes going on
            "wal_level": "logical",
            "max_replication_slots": "20",
            "max_wal_senders": "20",
            "citus.node_conninfo": "'sslmode=disable'",  # nodes on 127.0.0.1 only
        }
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n# imgsearch development Citus node\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    log = data / "server.log"
    _run(
        [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"],
        owner,
    )
    url = f"postgresql://postgres@{HOST}:{port}/{DATABASE}"
    # only what is missing: a worker that already joined refuses DDL, even IF NOT EXISTS
    present = {row[0] for row in _sql(url, "SELECT extname FROM pg_extension")}
    for extension in ("citus", "vector"):
        if extension not in present:
            _sql(url, f"CREATE EXTENSION {extension}")


def _connect_nodes(cluster: CitusCluster) -> None:
    """Register the coordinator's own address and every worker (idempotent)."""
    known = {
        int(row[1]) for row in _sql(cluster.url, "SELECT nodename, nodeport FROM pg_dist_node")
    }
    if cluster.coordinator not in known:
        _sql(cluster.url, f"SELECT citus_set_coordinator_host('{HOST}', {cluster.coordinator})")
    for port in cluster.workers:
        if port not in known:
            _sql(cluster.url, f"SELECT citus_add_node('{HOST}', {port})")


def _sql(url: str, statement: str) -> list[Sequence[Any]]:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
                cursor = connection.execute(statement)
                return list(cursor.fetchall()) if cursor.description else []
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise StoreError(f"cannot reach the Citus node at {url}: {exc}") from None
            time.sleep(0.2)
        except psycopg.Error as exc:
            raise StoreError(f"the Citus node at {url} refused {statement!r}: {exc}") from None


def _owner() -> pwd.struct_passwd | None:
    """Who runs the nodes: this user, or (as root) the unprivileged ``pgserver``."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(RUN_AS)


def _traversable(folder: Path) -> None:
    """Let the nodes' user pass through the folders above theirs (search permission for
    others, as pgserver does; nothing becomes readable)."""
    for parent in folder.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _run(command: list[str], owner: pwd.struct_passwd | None) -> None:
    as_owner: dict[str, Any] = {}
    if owner is not None:  # with a home of its own: libpq looks there for client certificates
        home = owner.pw_dir if Path(owner.pw_dir).is_dir() else "/tmp"
        clean = {"HOME": home, "PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        as_owner = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": [], "env": clean}
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/", **as_owner)
    if done.returncode != 0:
        raise StoreError(
            f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
