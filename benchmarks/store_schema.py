"""The store's schema: its tables, one migration per step, and the queries reports read by.

Kept apart from :mod:`dgpbench.benchmarks.store` (which opens, checks and writes a store) so
that a schema change is one edit here, with its migration step beside it.
"""

from __future__ import annotations

from typing import Any

APPLICATION_ID = 0x44475042  # "DGPB"
SCHEMA_VERSION = 3

MIGRATIONS = {
    1: """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, suite_name TEXT NOT NULL, suite_hash TEXT NOT NULL,
        suite_json TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
        status TEXT NOT NULL, git_commit TEXT, versions TEXT, machine TEXT, n_cells INTEGER);
    CREATE TABLE cells (
        run_id TEXT NOT NULL, cell_key TEXT NOT NULL, generator TEXT NOT NULL, model TEXT NOT NULL,
        generator_name TEXT NOT NULL, model_name TEXT NOT NULL, seed INTEGER NOT NULL,
        status TEXT NOT NULL, error TEXT, fit_s REAL, score_s REAL, total_s REAL, peak_mem_mb REAL,
        timings TEXT, spec TEXT NOT NULL, finished_at REAL NOT NULL,
        PRIMARY KEY (run_id, cell_key));
    CREATE TABLE metrics (
        run_id TEXT NOT NULL, cell_key TEXT NOT NULL, face TEXT NOT NULL, metric TEXT NOT NULL,
        value REAL, oracle REAL, naive REAL, score REAL, note TEXT,
        PRIMARY KEY (run_id, cell_key, metric));
    CREATE TABLE estimates (
        run_id TEXT NOT NULL, cell_key TEXT NOT NULL, name TEXT NOT NULL, truth REAL,
        truth_kind TEXT, estimate REAL, lower REAL, upper REAL,
        PRIMARY KEY (run_id, cell_key, name));
    CREATE TABLE curves (
        run_id TEXT NOT NULL, cell_key TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (run_id, cell_key, name));
    CREATE INDEX cells_by_run ON cells (run_id, status);
    """,
    # the face first called "variance" holds CRPS, PIT and energy distance: "distribution"
    2: """
    UPDATE metrics SET face = 'distribution' WHERE face = 'variance';
    CREATE TABLE run_metrics (
        run_id TEXT NOT NULL, metric TEXT NOT NULL, face TEXT NOT NULL, direction TEXT NOT NULL,
        naive TEXT NOT NULL, normalise INTEGER NOT NULL, description TEXT, citation TEXT,
        primary_rank INTEGER NOT NULL DEFAULT 0, target REAL, proper INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, metric));
    """,
    # what a cell printed (stdout and stderr of its cell process), capped like its error
    3: """
    ALTER TABLE cells ADD COLUMN log TEXT;
    """,
}
# Steps that only add what readers can do without: a store one of these short of the schema is
# read as it is where it cannot be upgraded (read-only media), the missing columns read as absent.
READABLE_BEFORE = {3}
# What a report needs to know of a metric, stored with each run so that reports read only the
# store (never the live registry): a plugin metric unregistered since, or one redefined in a
# later version, still reads as it was scored. ``primary_rank`` is which metric decides its
# face (0: a diagnostic), ``target`` a nominal metric's target, ``proper`` a proper score.
METRIC_INFO = (
    "metric",
    "face",
    "direction",
    "naive",
    "normalise",
    "description",
    "citation",
    "primary_rank",
    "target",
    "proper",
)
# The statement that stores one run's metric rows (``run_id`` first, then METRIC_INFO).
INSERT_METRIC_INFO = (
    f"INSERT OR REPLACE INTO run_metrics (run_id, {', '.join(METRIC_INFO)})"
    f" VALUES ({', '.join('?' * (len(METRIC_INFO) + 1))})"
)

# What reports read of one run, with the labels its cells are shown under.
CELL_ROWS = "SELECT * FROM cells WHERE run_id = ? ORDER BY generator, model, seed"
METRIC_ROWS = (
    "SELECT c.run_id, c.generator, c.model, c.seed, m.face, m.metric, m.value, m.oracle, m.naive, m.score, c.status,"
    " m.note FROM metrics m JOIN cells c USING (run_id, cell_key)"
    " WHERE c.run_id = ? ORDER BY c.generator, c.model, m.metric, c.seed"
)
ESTIMATE_ROWS = (
    "SELECT c.run_id, c.generator, c.model, c.seed, e.name, e.truth, e.truth_kind, e.estimate, e.lower, e.upper"
    " FROM estimates e JOIN cells c USING (run_id, cell_key)"
    " WHERE c.run_id = ? ORDER BY c.generator, c.model, e.name, c.seed"
)
CURVE_ROWS = (
    "SELECT c.generator, c.model, c.seed, k.name, k.data FROM curves k JOIN cells c USING (run_id, cell_key)"
    " WHERE c.run_id = ? ORDER BY c.generator, c.model, c.seed"
)


def metric_row(m: Any) -> tuple:
    """A :class:`~dgpbench.benchmarks.metrics.Metric` as its METRIC_INFO columns (a plugin
    metric written before ``primary``, ``target`` and ``proper`` existed reads as a diagnostic)."""
    return (
        m.name,
        m.face,
        m.direction,
        m.naive,
        int(m.normalise),
        m.description,
        m.citation,
        int(getattr(m, "primary", 0)),
        getattr(m, "target", None),
        int(getattr(m, "proper", False)),
    )
