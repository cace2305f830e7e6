//! The reimbursement process: the run (rule hooks driven per customer and currency, checked by the
//! engine), the reimbursement page, and payment.
//!
//! # The run, in order
//! Customers are taken in account order (all, a list, groups, or those a `--where` expression
//! selects). For each customer, each currency in which it has open credits is a *candidate*, in
//! currency-code order. For each candidate the engine calls the rule hooks:
//! 1. `eligible(customer, credit)` → `true`, or `false` / a reason text to skip;
//! 2. `vendor_for(customer, credit)` → a vendor account, or `()` for a one-time vendor;
//! 3. `create_one_time_vendor(customer, credit)` → the new vendor; called at most once per customer
//!    and run (a second currency reuses the vendor);
//! 4. `post_reimbursement(customer, credit, vendor)` → posts the vendor invoice and settles the
//!    customer's reimbursement transaction against its open credits.
//!
//! Any hook may call `skip(reason)`. After the hooks the engine checks their work (a refusal is a
//! [`HookError`] with `refused` set): exactly one vendor invoice, to the chosen vendor, in the
//! credit's currency, for a positive amount, whose customer transaction is fully settled against
//! open credits (so it can never exceed the credit there is, and the same credit can never be
//! reimbursed twice); and hooks change only their own customer, so a page of customers can be read
//! before the hooks of the customers before it have run. The whole run is one `BEGIN IMMEDIATE`
//! transaction: any error rolls it all back; a dry run takes the same path and rolls back at the
//! end. With `keep_going`, a failing customer's work is undone (savepoint) and the run goes on.
//!
//! A run that began its transaction reads the pages of customers ahead, on a thread of its own,
//! where a second script engine also works out `--where`, `eligible` and `vendor_for` as far as
//! they read only the customer, the credit, the parameters, the date and the vendors the run
//! began with (`ReadAhead`); the run decides the rest itself.
//!
//! # Where things are
//! - `options`: what a run is asked to do ([`Selection`], [`RunOptions`]).
//! - `report`: what a run gives back ([`RunReport`], its rows, [`RunObserver`]).
//! - `error`: why a run stopped ([`RunError`], [`HookError`]).
//! - `hooks`: the rule file's hooks ([`Rules`]: loading, calling a hook, reading its verdict;
//!   evaluating `--where`).
//! - `run`: the run from start to commit ([`run()`], [`run_observed`]).
//! - `pager`: the selected customers, a page at a time.
//! - `ahead`: what the read-ahead thread works out for a page (`ReadAhead`).
//! - `block`: blocks of customers under savepoints, and one customer's credits.
//! - `credit`: one credit through the hooks, and the reimbursement it records.
//! - `check`: the engine's check of the hooks' postings (`check_posting`).
//! - `outcomes`: what a run decided for each credit it did not reimburse, kept with the run
//!   (recorded by `block`) and read back ([`run_outcomes`], [`each_run_outcome`]).
//! - `page`: the reimbursement page ([`ReimbursementFilter`], [`reimbursements`]).
//! - `pay`: the payment of reimbursements ([`pay()`], [`pay_observed`]).
//! - `lifecycle`: what happens after a run: [`reverse()`] and [`reject()`] (a reversing voucher
//!   per reimbursement, recorded as a run of kind `reversal` with a decision each).
//! - `audit`: the audit trail of runs (recording a run, [`record_postings`], [`runs`]), hashes;
//!   the rows of the runs and reimbursements tables are the ledger's (`ledger::runs`,
//!   `ledger::reimbursements`), which alone writes their SQL.
//! - `lifecycle`: after the run: approval ([`approve`]), a user's holds ([`hold`], [`release`]),
//!   a reimbursement's [`history`], and these for scripts ([`offer_lifecycle_functions`]).
//! - `script_functions`: the process's own script functions (`dry_run`), which it registers into
//!   the engines of the sessions that offer them ([`offer_script_functions`]).
//! - `write_off`: small credits written off by the rules' fifth hook, `write_off(customer,
//!   credit)`, and their reversal ([`write_off()`], [`reverse_write_offs`]); uses `hooks`,
//!   `check`, `pager` and `audit`.
//!
//! Dependencies inside the folder run one way: `audit`, `options`, `report`, `error` and `check`
//! depend on no other file of it; `hooks` on those; `ahead` on `hooks`; `credit` on `hooks`,
//! `check` and `ahead`; `outcomes` on `report`; `block` on `credit` and `outcomes`; `pager` on
//! `ahead`; `run` on `pager` and `block`;
//! `page` on nothing of it; `pay` on `report` and `audit`; `script_functions` on `run`, which offers
//! them in the engine of the rules: a dry run from the rules runs the process again (refused by
//! the session while one goes on), the one loop of the folder.
//! The folder depends on `ledger`, `scripting`, `store`, `parameters` and `money`, never on the
//! features or the command line; scripting does not depend on it.

mod audit;
mod block;
mod check;
mod credit;
mod error;
mod hooks;
mod lifecycle;
mod options;
mod outcomes;
mod page;
mod pager;
mod pay;
mod read_ahead;
mod replay;
mod report;
mod run;
mod script_functions;
pub mod write_off;

pub use audit::{PostingSource, RunStart, begin_run, record_postings, runs, sha256};
pub use error::{HookError, RunError};
pub use hooks::{HOOKS, Rules, WRITE_OFF_HOOK};
pub use lifecycle::{
    ApprovalRefusal, ApprovalSelection, ApproveOptions, ApproveReport, Approved, HistoryEvent,
    HoldRefusal, HoldRefused, LeftOut, LifecycleError, RefusalRule, Reversal, ReversalError,
    ReversalRefusal, ReversalReport, ReversalSelection, ReverseOptions, approve, history, hold,
    offer_lifecycle_functions, reject, release, reverse,
};
pub use options::{RunOptions, Selection};
pub use outcomes::{each_run_outcome, run_outcomes};
pub use page::{each_reimbursement, reimbursements};
pub use pay::{
    BankFileWritten, NotInBankFile, NotPaid, NotPaidReason, PayEvent, PayOptions, PayReport,
    Payment, pay, pay_observed, write_bank_file,
};
pub use report::{Failed, HooksAhead, Reimbursement, RunObserver, RunReport, Skipped, as_text};
pub use run::{run, run_observed, run_with_progress};
pub use script_functions::offer as offer_script_functions;
pub use write_off::{
    ReversedWriteOff, WriteOffError, WriteOffOptions, WriteOffReport, WriteOffReversal,
    reverse_write_offs, reverse_write_offs_by_id, write_off, write_offs,
};

/// The rows of the runs, run outcomes and reimbursements tables, kept by the ledger's
/// repositories.
pub use crate::ledger::{PostingMark, ReimbursementFilter, RunOutcome, RunOutcomeKind, RunRecord};

/// Who runs this process, for the audit trails (see [`crate::ledger::current_user`]).
pub use crate::ledger::current_user;
