//! Transactions: `BEGIN IMMEDIATE`, nested [`Store::begin`] calls as savepoints, commit and
//! rollback; every boundary first runs (or, for a rollback, drops) the writes held until it
//! ([`Store::defer_write`]).

use std::sync::atomic::Ordering;

use super::{Store, StoreError};

impl Store {
    /// Starts a write transaction (`BEGIN IMMEDIATE`): waits up to the busy timeout for another
    /// writer, then fails with [`StoreError::Busy`].
    ///
    /// Inside an open transaction (a `reimburse repl` session or a `reimburse script` holds one)
    /// it nests: it sets a savepoint, which the matching [`Store::commit`] releases into the outer
    /// transaction and [`Store::rollback`] undoes. Only the outermost commit writes.
    pub fn begin(&self) -> Result<(), StoreError> {
        if self.in_transaction() {
            let depth = self.nested.get() + 1;
            self.savepoint(&format!("nested_{depth}"))?;
            self.nested.set(depth);
            return Ok(());
        }
        self.nested.set(0);
        self.drop_deferred();
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Commits the open transaction (for a nested [`Store::begin`]: keeps its work in the outer
    /// transaction).
    pub fn commit(&self) -> Result<(), StoreError> {
        let depth = self.nested.get();
        if depth > 0 && self.in_transaction() {
            self.nested.set(depth - 1);
            return self.release(&format!("nested_{depth}"));
        }
        self.flush_deferred()?;
        self.nested.set(0);
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Rolls back the open transaction (does nothing when none is open; for a nested
    /// [`Store::begin`]: undoes only the work since it).
    pub fn rollback(&self) {
        let depth = self.nested.get();
        if depth > 0 && self.in_transaction() {
            self.nested.set(depth - 1);
            let _ = self.rollback_to(&format!("nested_{depth}"));
            return;
        }
        self.nested.set(0);
        self.drop_deferred();
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// True while a transaction is open.
    pub fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Sets a savepoint inside the open transaction.
    pub fn savepoint(&self, name: &str) -> Result<(), StoreError> {
        self.flush_deferred()?;
        self.cached(&format!("SAVEPOINT {name}"))
    }

    fn cached(&self, sql: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Releases (keeps) the work since the savepoint.
    pub fn release(&self, name: &str) -> Result<(), StoreError> {
        self.flush_deferred()?;
        self.cached(&format!("RELEASE {name}"))
    }

    /// Undoes the work since the savepoint, and releases it.
    pub fn rollback_to(&self, name: &str) -> Result<(), StoreError> {
        // SQLite's rollback hook does not see a rollback to a savepoint: the epoch moves here.
        self.epoch.fetch_add(1, Ordering::Relaxed);
        self.drop_deferred();
        self.cached(&format!("ROLLBACK TO {name}"))?;
        self.cached(&format!("RELEASE {name}"))
    }
}
