//! Number sequences: the next number of a sequence (`RMB-000001`).
//!
//! Outside a transaction each number is one write. Inside a write transaction a sequence is read
//! once and then kept in step with this connection's writes (the transaction cache), and its
//! numbers come from a block reserved with one write ([`DEFAULT_NUMBER_BLOCK`] numbers, or what
//! [`Ledger::set_number_block`] asked for); the true `next` is held by the store
//! ([`crate::store::Store::defer_write`]) and written once before the transaction's next
//! savepoint, release or commit. So a run writes each sequence twice per block of customers, not
//! once per number, and its committed numbers have no gap: every boundary gives back what was
//! reserved and not taken, and a rollback (to a savepoint or of the whole) restores a `next` that
//! was true at its savepoint and empties the cache, so a rolled-back number is taken again. The
//! database's `next` is never below a number handed out: at worst (a commit made past the store)
//! numbers are skipped, never repeated.

use rusqlite::params;

use super::{Ledger, LedgerError, Res};

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
    /// The store's boundaries when `written` was last true of the database (see
    /// [`crate::store::Store::boundaries`]): once they moved, the held `next` was written.
    boundary: u64,
}

/// How many numbers of a sequence a write transaction reserves at a time (given back at its next
/// boundary): more than a block of the run takes.
pub const DEFAULT_NUMBER_BLOCK: u32 = 1024;

/// The held write of a sequence's true next number.
const WRITE_NEXT: &str = "UPDATE number_sequences SET next = ?2 WHERE name = ?1";

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
        let in_transaction = self.store.in_transaction();
        Ok(SequenceState {
            prefix,
            width,
            next,
            written: next,
            block: if in_transaction {
                i64::from(DEFAULT_NUMBER_BLOCK)
            } else {
                1
            },
            boundary: self.store.boundaries(),
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
            .prepare_cached(WRITE_NEXT)
            .and_then(|mut s| s.execute(params![sequence, next]))
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// Takes the next number of a sequence (`RMB-000001`). Rolled back with the transaction, so
    /// a rolled-back run never consumes a number.
    pub fn next_number(&self, sequence: &str) -> Res<String> {
        let mut state = self.sequence_state(sequence)?;
        let boundary = self.store.boundaries();
        if state.boundary != boundary {
            // A savepoint, release or commit wrote the true next, giving back the reservation.
            state.written = state.next;
            state.boundary = boundary;
        }
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
        if self.store.in_transaction() {
            // Written once, at the transaction's next boundary (always the latest: an earlier
            // one held in this interval would be below a number handed out).
            self.store
                .defer_write(sequence, WRITE_NEXT, state.next)
                .map_err(LedgerError::Store)?;
        }
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

    /// Gives back the numbers of `sequence` reserved and not taken now (every boundary of the
    /// transaction does it too); numbers are reserved [`DEFAULT_NUMBER_BLOCK`] at a time again.
    pub fn release_numbers(&self, sequence: &str) -> Res<()> {
        let Some(mut state) = self
            .cache()
            .and_then(|c| c.sequences.get(sequence).cloned())
        else {
            return Ok(());
        };
        if state.boundary != self.store.boundaries() {
            state.written = state.next;
            state.boundary = self.store.boundaries();
        }
        if state.written > state.next {
            self.write_next(sequence, state.next)?;
            state.written = state.next;
        }
        state.block = i64::from(DEFAULT_NUMBER_BLOCK);
        self.keep_sequence(sequence, state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::DEFAULT_NUMBER_BLOCK;
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
        let block = i64::from(DEFAULT_NUMBER_BLOCK);
        // Outside a transaction: one write a number.
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000001");
        assert_eq!(stored_next(&l), 2);
        l.store().begin().unwrap();
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000002");
        assert_eq!(stored_next(&l), 2 + block, "one write reserves a block");
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000003");
        assert_eq!(stored_next(&l), 2 + block);
        l.set_number_block("opening", 100).unwrap();
        l.release_numbers("opening").unwrap();
        assert_eq!(stored_next(&l), 4, "the numbers not taken are given back");
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000004");
        assert_eq!(stored_next(&l), 4 + block, "a block again");
        // Every savepoint and release writes the true next first.
        l.store().savepoint("s").unwrap();
        assert_eq!(stored_next(&l), 5);
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000005");
        assert_eq!(stored_next(&l), 5 + block);
        l.store().release("s").unwrap();
        assert_eq!(stored_next(&l), 6);
        l.set_number_block("opening", 2).unwrap();
        for n in 6..=10 {
            assert_eq!(l.next_number("opening").unwrap(), format!("OPN-{n:06}"));
        }
        l.store().commit().unwrap();
        assert_eq!(
            stored_next(&l),
            11,
            "a committed transaction's numbers have no gap"
        );
        // A rolled-back block leaves the sequence as it was.
        l.store().begin().unwrap();
        l.next_number("opening").unwrap();
        l.store().rollback();
        assert_eq!(stored_next(&l), 11);
        assert_eq!(l.next_number("opening").unwrap(), "OPN-000011");
    }

    #[test]
    fn numbers_rolled_back_to_a_savepoint_are_taken_again_and_the_commit_has_no_gap() {
        let l = ledger();
        let store = l.store();
        let take = || l.next_number("vendor_invoice").unwrap();
        store.begin().unwrap();
        let first = take();
        store.savepoint("block").unwrap();
        let kept = take();
        store.release("block").unwrap();
        store.savepoint("block").unwrap();
        let undone = take();
        take();
        store.rollback_to("block").unwrap();
        assert_eq!(
            take(),
            undone,
            "the numbers of a rolled-back savepoint are taken again"
        );
        store.savepoint("credit").unwrap();
        take();
        store.rollback_to("credit").unwrap();
        let last = take();
        assert_ne!(last, undone);
        store.commit().unwrap();
        assert!(
            first.ends_with("000001") && kept.ends_with("000002"),
            "{first} {kept}"
        );
        assert!(last.ends_with("000004"), "{last}");
        let next: i64 = store
            .conn()
            .query_row(
                "SELECT next FROM number_sequences WHERE name = 'vendor_invoice'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(next, 5);
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
