//! The company database: SQLite file, schema, migrations and transactions.
//!
//! Money is stored as INTEGER minor units of its currency (the currency's decimals are recorded in
//! the `currencies` table), so SQL sums are exact. The file carries an application id and a schema
//! version (`PRAGMA user_version`); a file that is not a company database, or comes from a newer
//! schema, is refused. Write transactions are always `BEGIN IMMEDIATE`, so two writers never
//! deadlock half-way: the second waits up to the busy timeout, then gets [`StoreError::Busy`].
//!
//! A file per part: `open` (opening, and the checks of the file: application id, version,
//! foreign or newer files refused, read-only opening), `connection` (the connection's settings,
//! what the store tells of itself), `transaction` (transactions and savepoints), `epoch`,
//! `schema` (the migrations, `.sql` files under `schema/`), `migrate`, `mismatch` (a schema that
//! is not what its version says), `read_only` (the files around the database), `in_use` (whether another process writes to
//! a file), `error`.
//!
//! It depends on nothing of the crate: SQL is written here (the schema) and in the ledger's
//! repository code, which builds on the store.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use rusqlite::Connection;

mod connection;
mod deferred;
mod epoch;
mod error;
mod in_use;
mod migrate;
mod mismatch;
mod open;
mod read_only;
mod schema;
mod transaction;

#[cfg(test)]
mod tests;

pub use error::StoreError;
pub use in_use::refuse_if_in_use;
pub use schema::SCHEMA_VERSION;

/// `PRAGMA application_id` of company databases ("RMBS").
pub const APPLICATION_ID: i32 = 0x524d_4253;

/// How long a writer waits for another one before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open company database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// How many [`Store::begin`] calls are open inside the outer transaction (savepoints).
    nested: Cell<u32>,
    /// Moves on whenever what this connection reads may differ from what it read before without
    /// its own writes: at every commit and rollback (SQLite's hooks, which also see those made
    /// past the store, such as an error rolling a transaction back), and at every rollback to a
    /// savepoint, which SQLite's hooks do not report (see [`Store::epoch`]).
    epoch: Arc<AtomicU64>,
    /// Writes held until the transaction's next boundary ([`Store::defer_write`]).
    deferred: std::cell::RefCell<deferred::Deferred>,
}
