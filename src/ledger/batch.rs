//! Identities seen in one batch of writes (an import): which customer, vendor or transaction a
//! batch has met already, at which line and with which values. Kept in a temporary table of the
//! connection (SQLite's temporary store, on disk beyond its page cache), so memory stays flat
//! however many rows a batch has; it is emptied when a batch begins.

use rusqlite::{OptionalExtension, params};

use super::{Ledger, Res};

/// What a batch knew of an identity before it was noted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeenIdentity {
    /// The line (or entry number) where the batch first met it.
    pub line: u64,
    /// True when it came with the same values (the same fingerprint).
    pub same: bool,
}

impl Ledger {
    /// Begins a batch: forgets the identities of any earlier one.
    pub fn begin_identity_batch(&self) -> Res<()> {
        self.store
            .conn()
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS batch_identities (
                     kind         TEXT NOT NULL,
                     key          TEXT NOT NULL,
                     line         INTEGER NOT NULL,
                     fingerprint  INTEGER NOT NULL,
                     PRIMARY KEY (kind, key)
                 ) WITHOUT ROWID;
                 DELETE FROM temp.batch_identities;",
            )
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
        let seen: Option<(i64, i64)> = conn
            .prepare_cached(
                "SELECT line, fingerprint FROM temp.batch_identities WHERE kind = ?1 AND key = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![kind, key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(sql)?;
        if let Some((first, known)) = seen {
            return Ok(Some(SeenIdentity {
                line: u64::try_from(first).unwrap_or_default(),
                same: known == fingerprint,
            }));
        }
        conn.prepare_cached(
            "INSERT INTO temp.batch_identities(kind, key, line, fingerprint)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| s.execute(params![kind, key, line_value, fingerprint]))
        .map_err(sql)?;
        Ok(None)
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
        l.begin_identity_batch().unwrap();
        assert_eq!(l.note_identity("customer", "C-1", 2, 7).unwrap(), None);
        let again = l.note_identity("customer", "C-1", 5, 7).unwrap().unwrap();
        assert_eq!((again.line, again.same), (2, true));
        let other = l.note_identity("customer", "C-1", 6, 8).unwrap().unwrap();
        assert_eq!((other.line, other.same), (2, false));
        // Another kind is another identity; a new batch forgets.
        assert_eq!(l.note_identity("vendor", "C-1", 9, 1).unwrap(), None);
        l.begin_identity_batch().unwrap();
        assert_eq!(l.note_identity("customer", "C-1", 3, 8).unwrap(), None);
    }
}
