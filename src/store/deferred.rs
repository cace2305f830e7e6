//! Writes held until the transaction's next boundary ([`Store::defer_write`]): the ledger keeps a
//! number sequence's `next` in memory between two savepoints and writes it once, here, before the
//! next `SAVEPOINT`, `RELEASE` or `COMMIT` (and drops it at a rollback, which undoes it anyway).
//!
//! Why that is exact: at every boundary the database holds what the writes made so far say, so a
//! rollback to a savepoint restores a value that was true when the savepoint began. The store
//! knows nothing of what the statements mean: a key, a statement with two parameters (the key
//! and a number), the last one per key.

use std::collections::BTreeMap;

use rusqlite::params;

use super::{Store, StoreError};

/// One held write: the statement (`?1` the key, `?2` the value), the value, and the epoch it was
/// held in (a write held before a commit or rollback made past the store belongs to nothing).
#[derive(Debug, Clone, Copy)]
pub(super) struct DeferredWrite {
    sql: &'static str,
    value: i64,
    epoch: u64,
}

/// The held writes, by key, and how many boundaries the transaction has passed.
#[derive(Debug, Default)]
pub(super) struct Deferred {
    writes: BTreeMap<String, DeferredWrite>,
    boundaries: u64,
}

impl Store {
    /// Holds the write `sql` (parameters: `?1` = `key`, `?2` = `value`) until the next
    /// savepoint, release or commit of the open transaction, where it runs once (the last one
    /// given for a key); a rollback drops it. Outside a transaction it runs at once.
    pub(crate) fn defer_write(
        &self,
        key: &str,
        sql: &'static str,
        value: i64,
    ) -> Result<(), StoreError> {
        let write = DeferredWrite {
            sql,
            value,
            epoch: self.epoch(),
        };
        if !self.in_transaction() {
            return self.run_write(key, write);
        }
        let mut deferred = self.deferred.borrow_mut();
        match deferred.writes.get_mut(key) {
            Some(held) => *held = write,
            None => {
                deferred.writes.insert(key.to_string(), write);
            }
        }
        Ok(())
    }

    /// How many boundaries (savepoints, releases, rollbacks, commits) have passed: a caller that
    /// held a write knows, when this moved, that it ran or was undone.
    pub(crate) fn boundaries(&self) -> u64 {
        self.deferred.borrow().boundaries
    }

    fn run_write(&self, key: &str, w: DeferredWrite) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(w.sql)
            .and_then(|mut s| s.execute(params![key, w.value]))
            .map(|_| ())
            .map_err(|e| StoreError::sqlite(&self.path, e))
    }

    /// Runs the held writes (inside the transaction, before a boundary); drops them outside one,
    /// and those held in an earlier epoch (the transaction they belonged to ended past the
    /// store).
    pub(super) fn flush_deferred(&self) -> Result<(), StoreError> {
        let writes = {
            let mut deferred = self.deferred.borrow_mut();
            deferred.boundaries += 1;
            std::mem::take(&mut deferred.writes)
        };
        if !self.in_transaction() {
            return Ok(());
        }
        let epoch = self.epoch();
        for (key, w) in writes.into_iter().filter(|(_, w)| w.epoch == epoch) {
            self.run_write(&key, w)?;
        }
        Ok(())
    }

    /// Drops the held writes (before a rollback, which would undo them).
    pub(super) fn drop_deferred(&self) {
        let mut deferred = self.deferred.borrow_mut();
        deferred.boundaries += 1;
        deferred.writes.clear();
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    const SET: &str = "UPDATE t SET v = ?2 WHERE k = ?1";

    fn value(store: &Store) -> i64 {
        store
            .conn()
            .query_row("SELECT v FROM t WHERE k = 'a'", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_held_write_runs_at_the_next_boundary_and_a_rollback_drops_it() {
        let store = Store::in_memory().unwrap();
        store
            .conn()
            .execute_batch(
                "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 0);",
            )
            .unwrap();
        // Outside a transaction: at once.
        store.defer_write("a", SET, 1).unwrap();
        assert_eq!(value(&store), 1);
        store.begin().unwrap();
        let before = store.boundaries();
        store.defer_write("a", SET, 2).unwrap();
        store.defer_write("a", SET, 3).unwrap();
        assert_eq!(value(&store), 1, "held");
        store.savepoint("s").unwrap();
        assert_eq!(value(&store), 3, "the last one, before the savepoint");
        assert!(store.boundaries() > before);
        store.defer_write("a", SET, 4).unwrap();
        store.rollback_to("s").unwrap();
        assert_eq!(value(&store), 3, "dropped with the rollback");
        store.defer_write("a", SET, 5).unwrap();
        store.commit().unwrap();
        assert_eq!(value(&store), 5, "written before the commit");
        store.begin().unwrap();
        store.defer_write("a", SET, 6).unwrap();
        store.rollback();
        store.begin().unwrap();
        store.commit().unwrap();
        assert_eq!(
            value(&store),
            5,
            "a rolled-back transaction's write never runs"
        );
    }
}
