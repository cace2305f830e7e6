//! Where the ledger functions a posting hook calls go ([`HookLedger`]): the session's ledger, or
//! the books worked out ahead on the read-ahead thread (`ReadAheadEngine`). The functions that
//! take one (`next_number`, `post_voucher`, `post_vendor_invoice`, `settle_against_open`,
//! `settle_open_debits`, `create_vendor`, `link_vendor`) are registered once, over either.

use chrono::NaiveDate;
use rhai::EvalAltResult;

use crate::ledger::{LedgerCalls, LedgerError};
use crate::scripting::errors::ledger_error;
use crate::scripting::session::Session;

/// The ledger calls of a posting hook, the posting date, and how a failed call reaches the script.
pub(crate) trait HookLedger {
    /// The ledger calls.
    fn calls(&self) -> &dyn LedgerCalls;
    /// The posting date of postings and settlements.
    fn date(&self) -> chrono::NaiveDate;
    /// The script error of a failed call.
    fn failed(&self, e: LedgerError) -> Box<EvalAltResult>;
}

impl HookLedger for Session {
    fn calls(&self) -> &dyn LedgerCalls {
        self.ledger()
    }
    fn date(&self) -> NaiveDate {
        Session::date(self)
    }
    fn failed(&self, e: LedgerError) -> Box<EvalAltResult> {
        ledger_error(e)
    }
}
