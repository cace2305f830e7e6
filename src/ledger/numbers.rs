//! Number sequences: the next number of a sequence (`RMB-000001`), taken one at a time, or, where
//! a caller asked for it, from a block reserved with one write and given back unused at the end
//! (an import posts one voucher a row).
//!
//! Inside a write transaction a sequence is read once and then kept in step with the writes this
//! connection makes (the transaction cache); a rollback empties the cache and undoes the writes,
//! so a rolled-back number is taken again. The database's `next` is never below a number handed
//! out: at worst (a block not given back) numbers are skipped, never repeated.

use rusqlite::params;

use super::{Ledger, Res};

/// What a transaction knows of a number sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SequenceState {
    prefix: String,
    width: u32,
    /// The next number to hand out.
    next: i64,
    /// The `next` the database holds: numbers below it are this transaction's to hand out.
    written: i64,
    /// How many numbers one write reserves (1: one write a number).
    block: i64,
}

impl SequenceState {
    fn format(&self, n: i64) -> String {
        format!("{}{n:0width$}", self.prefix, width = self.width as usize)
    }
}

impl Ledger {
    /// The state of a sequence: the transaction cache's, or read from the database.
    fn sequence_state(&self, sequence: &str) -> Res<SequenceState> {
        if let Some(known) = self
            .cache()
            .and_then(|c| c.sequences.get(sequence).cloned())
        {
            return Ok(known);
        }
        let (prefix, width, next) = self.one_row(
            "SELECT prefix, width, next FROM number_sequences WHERE name = ?1",
            [sequence],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            "number sequence",
            || sequence.to_string(),
        )?;
        Ok(SequenceState {
            prefix,
            width,
            next,
            written: next,
            block: 1,
        })
    }

    /// Keeps a sequence's state in the transaction cache (nothing is kept outside one).
    fn keep_sequence(&self, sequence: &str, state: SequenceState) {
        if let Some(mut cache) = self.cache() {
            cache.sequences.insert(sequence.to_string(), state);
        }
    }

    fn write_next(&self, sequence: &str, next: i64) -> Res<()> {
        self.store
            .conn()
            .prepare_cached("UPDATE number_sequences SET next = ?2 WHERE name = ?1")
            .and_then(|mut s| s.execute(params![sequence, next]))
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// Takes the next number of a sequence (`RMB-000001`). Rolled back with the transaction, so
    /// a rolled-back run never consumes a number.
    pub fn next_number(&self, sequence: &str) -> Res<String> {
        let mut state = self.sequence_state(sequence)?;
        debug_assert!(
            state.next <= state.written,
            "a number beyond what was written"
        );
        if state.next == state.written {
            state.written = state.next + state.block;
            self.write_next(sequence, state.written)?;
        }
        let number = state.format(state.next);
        state.next += 1;
        self.keep_sequence(sequence, state);
        self.journal
            .borrow_mut()
            .numbers
            .push((sequence.to_string(), number.clone()));
        Ok(number)
    }

    /// The number `next_number` would take next from `sequence` (as a plain integer), taking none.
    pub(crate) fn peek_number(&self, sequence: &str) -> Res<i64> {
        let state = self.sequence_state(sequence)?;
        let next = state.next;
        self.keep_sequence(sequence, state);
        Ok(next)
    }

    /// For the rest of this write transaction, takes the numbers of `sequence` in blocks of
    /// `block` (one write a block instead of one a number); [`Ledger::release_numbers`] gives
    /// back the numbers not taken before the transaction commits. Outside a transaction it does
    /// nothing.
    pub fn set_number_block(&self, sequence: &str, block: u32) -> Res<()> {
        if !self.store.in_transaction() {
            return Ok(());
        }
        let mut state = self.sequence_state(sequence)?;
        state.block = i64::from(block.max(1));
        self.keep_sequence(sequence, state);
        Ok(())
    }

    /// Gives back the numbers of `sequence` reserved and not taken, so the numbers of a committed
    /// transaction have no gap; numbers are taken one at a time again.
    pub fn release_numbers(&self, sequence: &str) -> Res<()> {
        let Some(mut state) = self
            .cache()
            .and_then(|c| c.sequences.get(sequence).cloned())
        else {
            return Ok(());
        };
        if state.written > state.next {
            self.write_next(sequence, state.next)?;
            state.written = state.next;
        }
        state.block = 1;
        self.keep_sequence(sequence, state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::Ledger;
    use crate::ledger::tests::ledger;
    use crate::store::Store;

    fn stored_next(l: &Ledger) -> i64 {
        l.store()
            .conn()
            .query_row(
                "SELECT next FROM number_sequences WHERE name = 'opening'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn a_block_is_one_write_and_what_is_left_is_given_back() {
        let l = Ledger::new(
            Store::in_memory().unwrap(),
            crate::sample_company().unwrap().params,
        )
        .unwrap();
        l.store().begin().unwrap();
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000001");
        assert_eq!(stored_next(&l), 2);
        l.set_number_block("opening", 100).unwrap();
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000002");
        assert_eq!(stored_next(&l), 102, "one write reserves the block");
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000003");
        assert_eq!(stored_next(&l), 102);
        l.release_numbers("opening").unwrap();
        assert_eq!(stored_next(&l), 4, "the numbers not taken are given back");
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000004");
        assert_eq!(stored_next(&l), 5, "one number a write again");
        l.store().commit().unwrap();
        // A rolled-back block leaves the sequence as it was.
        l.store().begin().unwrap();
        l.set_number_block("opening", 10).unwrap();
        l.next_number("opening").unwrap();
        l.store().rollback();
        assert_eq!(stored_next(&l), 5);
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000005");
    }

    #[test]
    fn numbers_kept_in_a_transaction_follow_rollbacks_and_other_writers() {
        let l = ledger();
        let store = l.store();
        let take = || l.next_number("vendor_invoice").unwrap();
        store.begin().unwrap();
        let first = take();
        let second = take();
        assert_ne!(first, second);
        store.savepoint("s").unwrap();
        let undone = take();
        store.rollback_to("s").unwrap();
        assert_eq!(take(), undone, "a rolled-back number is taken again");
        store.begin().unwrap(); // nested: a savepoint
        let nested = take();
        store.rollback();
        assert_eq!(
            take(),
            nested,
            "a number rolled back with a nested begin is taken again"
        );
        store.rollback();
        assert_eq!(take(), first, "a rolled-back transaction took no number");
        // Between transactions another writer may move a sequence: the next transaction sees it.
        store
            .conn()
            .execute(
                "UPDATE number_sequences SET next = 500 WHERE name = 'vendor_invoice'",
                [],
            )
            .unwrap();
        store.begin().unwrap();
        assert!(take().ends_with("000500"));
        assert!(take().ends_with("000501"));
        store.commit().unwrap();
        let next: i64 = store
            .conn()
            .query_row(
                "SELECT next FROM number_sequences WHERE name = 'vendor_invoice'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(next, 502, "every number taken is written");
        // Transactions begun and ended past the store (as a rusqlite transaction is): SQLite's
        // commit and rollback hooks drop what was read.
        let raw = |sql: &str| store.conn().execute_batch(sql).unwrap();
        raw("UPDATE number_sequences SET next = 600 WHERE name = 'vendor_invoice'");
        raw("BEGIN IMMEDIATE");
        assert!(take().ends_with("000600"), "what another writer committed");
        raw("ROLLBACK");
        raw("BEGIN IMMEDIATE");
        assert!(take().ends_with("000600"), "the rolled-back number again");
        raw("COMMIT");
    }
}
