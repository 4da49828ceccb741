"""The PostgreSQL store on a Citus cluster: which tables are distributed, and how.

Every table of the store is shared by all collections of a database. On a database
with the ``citus`` extension, the tables that grow with the collection are
hash-distributed by **image id** — ``imgsearch_images`` by ``id``, its regions (objects,
grid patches, video frames), BM25 terms, region stamps and read text by ``image_id``, all
co-located — so an image and everything hanging off it live on one shard, every join
between them stays inside a shard, and a move (new path, same id) never re-homes a row.
The small tables (collections, runs, failures, the schema's record) stay on the
coordinator.

Citus needs every unique constraint of a distributed table to contain its distribution
column, so ``UNIQUE (collection_id, path)`` cannot hold on distributed images: the writer
keeps paths unique itself (an advisory lock per path, then a lookup, then update or
insert: :func:`imgsearch.store.postgres.write.write_images`) — on plain PostgreSQL too,
where the constraint stays as a safety net.

A new database on Citus is distributed when the store first connects; one holding data
is converted by :func:`distribute` (``imgsearch db distribute``), which copies the rows
into the shards.

**How many shards.** Every search walks the HNSW graph of every shard, and a walk costs
about the same whatever the graph's size (it grows with its logarithm): the work of a
query grows with the number of shards, and more shards only pay while they keep idle
cores busy. Measured on this project's 2-core machine with 200k vectors (bench/citus.py):
32 shards (Citus's default) answered in 50–64 ms, 4 in 13 ms, 2 in 9–11 ms. So the store
asks for :func:`default_shards` — two per worker, enough for a rebalance onto one more
worker — unless the database sets ``citus.shard_count`` itself (``ALTER DATABASE … SET
citus.shard_count = N``: best about the number of cores across the workers) or
``imgsearch db distribute --shards N`` says otherwise.
"""

from __future__ import annotations

from typing import Any

from imgsearch.errors import StoreError

DISTRIBUTED: tuple[tuple[str, str], ...] = (
    ("imgsearch_images", "id"),
    ("imgsearch_regions", "image_id"),
    ("imgsearch_terms", "image_id"),
    ("imgsearch_region_stamps", "image_id"),
    ("imgsearch_image_text", "image_id"),
)
"""Each distributed table and its distribution column; the first is the co-location
group's anchor."""
PATH_UNIQUE = "imgsearch_images_collection_id_path_key"
CONNECT_TIMEOUT_MS = 4000
"""How long the coordinator waits for a worker's connection (Citus's default is 30 s):
a worker that is down fails a search in seconds, not half a minute."""


def has_citus(connection: Any) -> bool:
    """Whether the database has the Citus extension (the store is on a coordinator)."""
    row = connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'").fetchone()
    return row is not None


def is_distributed(connection: Any, table: str = "imgsearch_images") -> bool:
    """Whether the store's tables (``table``) are already Citus distributed tables."""
    row = connection.execute(
        "SELECT 1 FROM pg_dist_partition WHERE logicalrelid = %s::regclass", (table,)
    ).fetchone()
    return row is not None


def shard_count(connection: Any, table: str) -> int:
    """How many shards ``table`` is split into (1: not distributed)."""
    if not has_citus(connection):
        return 1
    row = connection.execute(
        "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = %s::regclass", (table,)
    ).fetchone()
    return max(1, int(row[0]))


def configure(connection: Any) -> None:
    """Session settings for a connection to a coordinator: ``SET LOCAL`` (the search's
    beam width, its plan switches) reaches the shards' queries, and a worker that is down
    fails fast."""
    connection.execute("SET citus.propagate_set_commands = 'local'")
    connection.execute(f"SET citus.node_connection_timeout = {CONNECT_TIMEOUT_MS}")


def default_shards(connection: Any) -> int:
    """Shards per distributed table for a new distribution: the database's own
    ``citus.shard_count`` where someone set it, else two per active worker."""
    source, value = connection.execute(
        "SELECT source, setting FROM pg_settings WHERE name = 'citus.shard_count'"
    ).fetchone()
    if source != "default":
        return int(value)
    (workers,) = connection.execute(
        "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND isactive AND groupid <> 0"
    ).fetchone()
    return max(2, 2 * int(workers))


def distribute_new(connection: Any) -> bool:
    """Distribute the store's tables if this is a Citus database whose tables are still
    local and hold no image yet (a new database); whether they are distributed now."""
    if not has_citus(connection):
        return False
    if is_distributed(connection):
        if not all(is_distributed(connection, table) for table, _ in DISTRIBUTED):
            _distribute(connection)  # a table a later migration added joins the others
        return True
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(7300)")
        if is_distributed(connection):
            return True
        if connection.execute("SELECT 1 FROM imgsearch_images LIMIT 1").fetchone():
            return False  # an existing collection: converted only when asked (distribute)
    _distribute(connection)
    return True


def distribute(connection: Any, shards: int | None = None) -> int:
    """Convert the store's tables of a Citus database into distributed tables of
    ``shards`` shards each (``None``: :func:`default_shards`), copying their rows into
    the shards; the number of images they hold. Idempotent: tables already distributed
    keep their shards."""
    if not has_citus(connection):
        raise StoreError(
            "this database has no Citus extension: there is nothing to distribute over",
            hint="connect to a Citus coordinator (docs/scaling.md)",
        )
    if not is_distributed(connection):
        _distribute(connection, shards)
    elif shards is not None and shards != (present := shard_count(connection, DISTRIBUTED[0][0])):
        raise StoreError(
            f"the tables are already distributed in {present} shards each",
            hint="--shards applies when a database is first distributed; "
            "run `imgsearch db distribute --shards N` before indexing into a new database",
        )
    row = connection.execute("SELECT count(*) FROM imgsearch_images").fetchone()
    return int(row[0])


def _distribute(connection: Any, shards: int | None = None) -> None:
    # create_distributed_table cannot run inside a transaction block that has already
    # written (it copies with its own connections), so each table is converted on its
    # own, under the migration lock held on a session level.
    connection.execute("SELECT pg_advisory_lock(7300)")
    try:
        connection.execute(f"ALTER TABLE imgsearch_images DROP CONSTRAINT IF EXISTS {PATH_UNIQUE}")
        count = shards if shards is not None else default_shards(connection)
        anchor = DISTRIBUTED[0][0]
        for table, column in DISTRIBUTED:
            if is_distributed(connection, table):
                continue
            if table == anchor:  # a new co-location group, of ``count`` shards
                connection.execute(
                    "SELECT create_distributed_table(%s, %s, colocate_with => 'none', "
                    "shard_count => %s)",
                    (table, column, count),
                )
            else:
                connection.execute(
                    "SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                    (table, column, anchor),
                )
            # the rows now live in the shards; the coordinator's copy is dead weight
            connection.execute("SELECT truncate_local_data_after_distributing_table(%s)", (table,))
    finally:
        connection.execute("SELECT pg_advisory_unlock(7300)")


def total_size(connection: Any, on_citus: bool) -> int:
    """Bytes the store's tables take (on a coordinator: on every node, shards and their
    indexes included)."""
    size = "pg_total_relation_size(c.oid)"
    join = ""
    if on_citus:
        size = f"CASE WHEN p.logicalrelid IS NULL THEN {size} ELSE citus_total_relation_size(c.oid) END"
        join = "LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid "
    row = connection.execute(
        f"SELECT coalesce(sum({size}), 0) FROM pg_class c {join}"
        "WHERE c.relname LIKE 'imgsearch\\_%' AND c.relkind = 'r' "
        "AND c.relnamespace = current_schema()::regnamespace"
    ).fetchone()
    return int(row[0])


def rebalance(connection: Any) -> int:
    """Spread the shards evenly over the workers (after adding one), moving them by
    logical replication so searches and writes go on meanwhile; waits until done. The
    number of shard moves it made."""
    if not has_citus(connection):
        raise StoreError("this database has no Citus extension: there is nothing to rebalance")
    before = _placements(connection)
    connection.execute("SELECT citus_rebalance_start()")
    connection.execute("SELECT citus_rebalance_wait()")
    after = _placements(connection)
    return len(after - before)


def _placements(connection: Any) -> set[tuple[int, int]]:
    rows = connection.execute("SELECT shardid, groupid FROM pg_dist_placement").fetchall()
    return {(int(shard), int(group)) for shard, group in rows}


def shard_spread(connection: Any) -> dict[str, int]:
    """Each node (``host:port``) and how many shards of the store's tables it holds."""
    rows = connection.execute(
        "SELECT nodename || ':' || nodeport, count(*) FROM citus_shards "
        "WHERE table_name::text LIKE 'imgsearch\\_%' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {str(node): int(count) for node, count in rows}
