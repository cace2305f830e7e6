//! The store over its SQLite connection: the busy timeout and the pragmas it is configured with,
//! and what it tells of itself (path, schema version, integrity, a backup).

use std::cell::Cell;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::epoch::epoch_hooks;
use super::{BUSY_TIMEOUT, Store, StoreError};

impl Store {
    /// The store over a connection: the busy timeout set before anything is read, and the hooks
    /// that move its epoch on every commit and rollback.
    pub(super) fn wrap(mut conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| StoreError::sqlite(&path, e))?;
        let epoch = epoch_hooks(&mut conn).map_err(|e| StoreError::sqlite(&path, e))?;
        Ok(Store {
            conn,
            path,
            nested: Cell::new(0),
            epoch,
            deferred: Default::default(),
        })
    }

    pub(super) fn configure(&self) -> Result<(), StoreError> {
        let err = |e| StoreError::sqlite(&self.path, e);
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768;",
            )
            .map_err(err)?;
        if self.path != Path::new(":memory:") {
            // Reading the journal mode is the first real read: a non-SQLite file fails here.
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(err)?;
            if mode != "wal" && mode != "memory" {
                // A read-only file cannot switch to WAL; the next write will say read-only.
            }
        }
        // Query-planner stability: without it, SQLite (built with STAT4) re-prepares a cached
        // statement whenever a bound value could change the plan, i.e. on every call.
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )
            .map_err(err)?;
        self.conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    pub(super) fn pragma_i64(&self, name: &str) -> Result<i64, StoreError> {
        self.conn
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// The SQLite connection, for the ledger's repository code: no other module writes SQL.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The SQLite connection, for the benchmark's write floor and hand-written baseline only
    /// (`examples/bench/`, feature `bench-internals`): the library writes SQL in its ledger alone.
    #[cfg(feature = "bench-internals")]
    #[doc(hidden)]
    pub fn conn_for_benchmarks(&self) -> &Connection {
        &self.conn
    }

    /// The database file (`:memory:` for an in-memory database).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.pragma_i64("user_version")
    }

    /// Runs SQLite's integrity check; returns its messages (`["ok"]` when sound).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| StoreError::sqlite(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| StoreError::sqlite(&self.path, e))?;
        Ok(rows)
    }

    /// Writes a consistent copy of the database to `target` (`VACUUM INTO`).
    pub fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        self.conn
            .execute(
                "VACUUM INTO ?1",
                [target.to_string_lossy().as_ref() as &str],
            )
            .map(|_| ())
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// How many rows this connection has inserted, updated or deleted since it was opened
    /// (SQLite's `total_changes`, rolled-back work included): compare two readings to see
    /// whether something was written between them.
    pub fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }
}
