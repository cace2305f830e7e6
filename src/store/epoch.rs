//! The store's epoch ([`Store::epoch`]), which the ledger's transaction cache is checked against,
//! and the hooks that move it, unregistered when the store is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;

use super::Store;

/// A new epoch, moved on by hooks on every commit and rollback of `conn`.
pub(super) fn epoch_hooks(conn: &mut Connection) -> rusqlite::Result<Arc<AtomicU64>> {
    let epoch = Arc::new(AtomicU64::new(0));
    let (on_commit, on_rollback) = (Arc::clone(&epoch), Arc::clone(&epoch));
    conn.commit_hook(Some(move || {
        on_commit.fetch_add(1, Ordering::Relaxed);
        false
    }))
    .and_then(|()| {
        conn.rollback_hook(Some(move || {
            on_rollback.fetch_add(1, Ordering::Relaxed);
        }))
    })
    .map(|()| epoch)
}

impl Drop for Store {
    /// Unregisters the epoch hooks before the connection closes. rusqlite frees a hook's closure
    /// with the connection's client data, and SQLite rolls back an open transaction after that,
    /// calling the freed rollback hook: without this, dropping a store in a transaction (an
    /// error or a panic on the way out) reads freed memory.
    fn drop(&mut self) {
        let _ = self.conn.commit_hook(None::<fn() -> bool>);
        let _ = self.conn.rollback_hook(None::<fn()>);
    }
}

impl Store {
    /// A number that changes at every commit and rollback of the connection (whoever makes it)
    /// and every rollback to a savepoint (`rollback_to`, a nested `rollback`): a
    /// value read inside a transaction, and kept up to date with this connection's own writes,
    /// stays true while the epoch and the transaction last (no other connection can write while
    /// this one holds the `BEGIN IMMEDIATE` lock).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }
}
