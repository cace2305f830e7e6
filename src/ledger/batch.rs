//! Identities seen in one batch of writes (an import): which customer or vendor a batch has met
//! already, at which line and with which values. Kept in a scratch database on disk (a temporary
//! file attached to the connection while the batch lasts, with a small page cache of its own), so
//! memory stays flat however many rows a batch has: the connection's own temporary store is in
//! memory.

use rusqlite::{OptionalExtension, params};

use super::{CustomerTransactionId, Ledger, LedgerError, Res, RunId, Transaction};

/// A batch's scratch database: detached (and its file removed) when dropped.
pub struct IdentityBatch<'l> {
    ledger: &'l Ledger,
    _file: tempfile::NamedTempFile,
}

impl Drop for IdentityBatch<'_> {
    fn drop(&mut self) {
        // Outside a transaction (the batch's has ended); a failure leaves only the scratch file,
        // which the guard removes anyway.
        let _ = self
            .ledger
            .store
            .conn()
            .execute_batch("DETACH DATABASE batch");
    }
}

/// What a batch knew of an identity before it was noted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenIdentity {
    /// The line (or entry number) where the batch first met it.
    pub line: u64,
    /// True when it came with the same values (the same fingerprint).
    pub same: bool,
}

/// A customer's transaction found by its document, with the run that posted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedDocument {
    /// The transaction.
    pub transaction: Transaction,
    /// The run whose voucher posted it.
    pub run: Option<RunId>,
}

impl Ledger {
    /// The first of a customer's transactions with this document, and the run that posted it
    /// (one lean read when there is none: an import's check that a document is new).
    pub fn posted_document(&self, account: &str, document: &str) -> Res<Option<PostedDocument>> {
        let found: Option<CustomerTransactionId> = self
            .store
            .conn()
            .prepare_cached(
                "SELECT id FROM customer_transactions WHERE account = ?1 AND document = ?2
                 ORDER BY id LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![account, document], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.sql_err(e))?;
        let Some(id) = found else {
            return Ok(None);
        };
        let transaction = self.transaction(id)?;
        let run = self
            .store
            .conn()
            .prepare_cached(
                "SELECT v.run_id FROM customer_transactions t JOIN vouchers v ON v.id = t.voucher_id
                 WHERE t.id = ?1",
            )
            .and_then(|mut s| s.query_row([id], |r| r.get(0)))
            .map_err(|e| self.sql_err(e))?;
        Ok(Some(PostedDocument { transaction, run }))
    }

    /// Begins a batch, outside a transaction (SQLite attaches a database only there): its
    /// scratch database lasts until the returned guard is dropped, after the batch's transaction
    /// ended.
    pub fn begin_identity_batch(&self) -> Res<IdentityBatch<'_>> {
        debug_assert!(
            !self.store.in_transaction(),
            "attached inside a transaction"
        );
        let file = tempfile::Builder::new()
            .prefix("reimburse-batch-")
            .tempfile()
            .map_err(|e| LedgerError::Invalid(format!("cannot create a scratch file: {e}")))?;
        let conn = self.store.conn();
        conn.execute(
            "ATTACH DATABASE ?1 AS batch",
            [file.path().to_string_lossy()],
        )
        .map_err(|e| self.sql_err(e))?;
        let batch = IdentityBatch {
            ledger: self,
            _file: file,
        };
        conn.execute_batch(
            "PRAGMA batch.journal_mode = OFF; PRAGMA batch.synchronous = OFF;
             PRAGMA batch.cache_size = -2048;
             CREATE TABLE batch.identities (
                 kind         TEXT NOT NULL,
                 key          TEXT NOT NULL,
                 line         INTEGER NOT NULL,
                 fingerprint  INTEGER NOT NULL,
                 PRIMARY KEY (kind, key)
             ) WITHOUT ROWID;",
        )
        .map_err(|e| self.sql_err(e))?;
        Ok(batch)
    }

    /// The line where the batch met `key` of `kind`, if it did.
    pub fn identity_line(&self, kind: &str, key: &str) -> Res<Option<u64>> {
        self.store
            .conn()
            .prepare_cached("SELECT line FROM batch.identities WHERE kind = ?1 AND key = ?2")
            .and_then(|mut s| {
                s.query_row(params![kind, key], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map(|line| line.map(|l| u64::try_from(l).unwrap_or_default()))
            .map_err(|e| self.sql_err(e))
    }

    /// Notes that the batch meets `key` of `kind` at `line` with values whose hash is
    /// `fingerprint`. Returns what it knew before (`None`: first time).
    pub fn note_identity(
        &self,
        kind: &str,
        key: &str,
        line: u64,
        fingerprint: u64,
    ) -> Res<Option<SeenIdentity>> {
        let conn = self.store.conn();
        let sql = |e| self.sql_err(e);
        // The fingerprint's bits, stored as SQLite's signed integer.
        let fingerprint = fingerprint as i64;
        let line_value = i64::try_from(line).unwrap_or(i64::MAX);
        // One statement for an identity met the first time (the common case).
        let inserted = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO batch.identities(kind, key, line, fingerprint)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![kind, key, line_value, fingerprint]))
            .map_err(sql)?;
        if inserted == 1 {
            return Ok(None);
        }
        let (first, known): (i64, i64) = conn
            .prepare_cached(
                "SELECT line, fingerprint FROM batch.identities WHERE kind = ?1 AND key = ?2",
            )
            .and_then(|mut s| s.query_row(params![kind, key], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(sql)?;
        Ok(Some(SeenIdentity {
            line: u64::try_from(first).unwrap_or_default(),
            same: known == fingerprint,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::Ledger;
    use crate::store::Store;

    #[test]
    fn a_batch_remembers_lines_and_values() {
        let l = Ledger::new(
            Store::in_memory().unwrap(),
            crate::sample_company().unwrap().params,
        )
        .unwrap();
        let batch = l.begin_identity_batch().unwrap();
        assert_eq!(l.note_identity("customer", "C-1", 2, 7).unwrap(), None);
        let again = l.note_identity("customer", "C-1", 5, 7).unwrap().unwrap();
        assert_eq!((again.line, again.same), (2, true));
        let other = l.note_identity("customer", "C-1", 6, 8).unwrap().unwrap();
        assert_eq!((other.line, other.same), (2, false));
        // Another kind is another identity; a new batch forgets.
        assert_eq!(l.note_identity("vendor", "C-1", 9, 1).unwrap(), None);
        drop(batch);
        let _batch = l.begin_identity_batch().unwrap();
        assert_eq!(l.note_identity("customer", "C-1", 3, 8).unwrap(), None);
    }
}
