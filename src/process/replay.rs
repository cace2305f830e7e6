//! The run's side of the posting hooks worked out ahead: a hook's recorded ledger calls replayed
//! through the ledger ([`replay`]), each checked to return what the hook saw ahead; and the tally
//! of hooks replayed and worked out in place ([`HookTally`]), which also tells when the read-ahead
//! thread's counters need a correction.
//!
//! Depends on the ledger's replay and the read-ahead's types; knows nothing of blocks.

use std::cell::Cell;

use super::read_ahead::{PostingsAhead, Worked, WorkedOutcome};
use crate::ledger::{Ledger, LedgerError};

/// How a replay went.
pub(super) enum Replay<T> {
    /// Every call returned what the hook saw ahead: what the hook gave.
    Replayed(WorkedOutcome<T>),
    /// The numbers or row ids stand elsewhere than the read-ahead thread predicted: nothing was
    /// written; the run works the hook out in place.
    Elsewhere,
    /// A call returned something else (it, or the calls before it, may have written): the run
    /// must undo the credit's work and work it out in place.
    Differed,
}

/// Replays a hook worked out ahead through the ledger.
pub(super) fn replay<T: Clone>(
    ledger: &Ledger,
    postings: &PostingsAhead,
    worked: &Worked<T>,
) -> Result<Replay<T>, LedgerError> {
    if !ledger.counters_agree(&postings.sequences, &worked.recording.used)? {
        return Ok(Replay::Elsewhere);
    }
    for call in &worked.recording.calls {
        if !ledger.replay(call) {
            return Ok(Replay::Differed);
        }
    }
    Ok(Replay::Replayed(worked.outcome.clone()))
}

/// How the run's posting hooks went: replayed, or worked out in place.
#[derive(Debug, Default)]
pub(super) struct HookTally {
    /// Posting hooks whose recorded calls were replayed.
    pub(super) replayed: Cell<u64>,
    /// Posting hooks worked out in place.
    pub(super) in_place: Cell<u64>,
    /// Set when the current customer's work was not all as the read-ahead thread worked it out:
    /// where the counters stand after it must be told back.
    pub(super) diverged: Cell<bool>,
}

impl HookTally {
    /// Counts a hook replayed.
    pub(super) fn replayed(&self) {
        self.replayed.set(self.replayed.get() + 1);
    }

    /// Counts a hook worked out in place.
    pub(super) fn in_place(&self) {
        self.in_place.set(self.in_place.get() + 1);
        self.diverged.set(true);
    }
}
