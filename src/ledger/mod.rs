//! Ledger primitives: customers, vendors, balances, open transactions, postings, settlement,
//! number sequences and the trial balance.
//!
//! These are the only functions that change the books, and the rules engine hands exactly these to
//! scripts. Each checks what it is asked before it writes:
//! - [`Ledger::post_voucher`] is the one write path for amounts: a voucher is refused unless its
//!   lines balance per currency, every account, customer, vendor and currency exists, and every
//!   amount fits its currency's decimals. A line on a customer or vendor posts to the receivables or
//!   payables summary account *and* creates the sub-ledger transaction, so sub-ledgers and the
//!   general ledger cannot drift apart.
//! - [`Ledger::settle`] settles two transactions of one account against each other, never beyond
//!   their open amounts and never across currencies.
//!
//! Amounts follow the sign convention of the process document: debit positive, credit negative.
//! The ledger does not open transactions itself; callers wrap work in
//! [`Store::begin`]/[`Store::commit`] (a failed primitive writes nothing, so a caller may go on).
//!
//! The parts, one concept a file, from the bottom up (a part uses only those on its left or in
//! its own group; `Ledger`'s fields are shared by all):
//! - plain data, no SQL: `error` ([`LedgerError`]), `types` (customers, vendors, transactions,
//!   balances), `ids` (typed row ids: [`TransactionId`], [`TransactionRef`], [`RunId`],
//!   [`VoucherId`]), `voucher` (drafts, posted vouchers, the [`Journal`]);
//! - `rows` (column lists and row readers, stored dates, one-row reads), then `cache` (the
//!   transaction cache, which holds the sequence states of `numbers` as plain data);
//! - `open` (opening a ledger, the database checked against the parameters), `numbers`,
//!   `control`, `limits`;
//! - `parties` (customers and vendors) with `master_data` (their changes and audit trail),
//!   which use each other;
//! - the primitives on amounts, which never use each other: `posting` ([`Ledger::post_voucher`]),
//!   `settle`; and the reads: `reports` (balances, transactions, trial balance), `read_ahead`
//!   (pages of customers, in place or ahead on a second connection), `batch`, `journal_reader`
//!   (the books of a period in journal order, for the export);
//! - `bulk`: the bulk load of a new company (for `generate`), the one write past the cache, in a
//!   transaction that reads nothing through it;
//! - the repositories of the process's tables, which read through the parts above and write only
//!   their own tables: `runs` (the audit trail of runs, posting marks), `run_outcomes` (what a
//!   run decided for the credits it did not reimburse), `reimbursements` (recording them, the
//!   reimbursement page) and `reversal` (marking a reimbursement reversed).
//!
//! The ledger knows nothing of scripts, of how a run works, or of the command line (see
//! `ARCHITECTURE.md`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use rust_decimal::Decimal;

/// The columns a [`Customer`] is read from (`Ledger::customer_from_row` takes them in this order).
macro_rules! customer_columns {
    () => {
        "account, name, address, currency, customer_group, vendor_account, payment_hold, tax_id, \
         iban, bic"
    };
}

/// The columns a [`Vendor`] is read from (`Ledger::vendor_from_row` takes them in this order).
macro_rules! vendor_columns {
    () => {
        "account, name, address, vendor_group, currency, one_time, created_for, blocked, \
         payment_terms, method_of_payment, tax_id, iban, bic"
    };
}

mod ahead;
mod bank_files;
mod batch;
mod bulk;
mod cache;
mod control;
mod decisions;
mod error;
mod holds;
mod ids;
mod journal_reader;
mod limits;
mod master_data;
mod numbers;
mod open;
mod parties;
mod posting;
mod read_ahead;
mod reimbursements;
mod reports;
mod reversal;
mod rows;
mod run_outcomes;
mod runs;
mod settle;
mod settle_plan;
#[cfg(test)]
pub(crate) mod tests;
mod types;
mod voucher;
mod write_offs;

pub use ahead::{
    AheadBooks, AheadCustomer, AheadState, CallResult, Counters, CountersUsed, LedgerCall,
    LedgerCalls, RecordedCall, Recording, SequenceDef, Sequences,
};
pub use bank_files::{BankFileRecord, BankTransferRecord};
pub use batch::{IdentityBatch, PostedDocument, SeenIdentity};
pub use bulk::{BulkCustomer, BulkInsert, BulkTransaction};
pub use control::{
    ControlRole, Disagreement, MAX_ACCOUNT_TOTAL, MAX_PROCESS_TOTAL, PostingBound, ProcessPostings,
    TotalSide,
};
pub use decisions::{Decision, DecisionKind, DecisionSubject, NewDecision};
pub use error::LedgerError;
pub use ids::{
    CustomerTransactionId, RunId, TransactionId, TransactionRef, VendorTransactionId, VoucherId,
};
pub use journal_reader::{
    AccountUse, GlAccountUse, JournalLine, JournalPeriod, JournalReader, JournalVoucher, Party,
};
pub use master_data::{
    CUSTOMER_FIELDS, ChangeFilter, ChangeKind, ChangeOrigin, FieldChange, MasterDataChange,
    VENDOR_FIELDS, current_user, customer_changes, vendor_changes,
};
pub use numbers::DEFAULT_NUMBER_BLOCK;
pub(crate) use read_ahead::READ_AHEAD_STACK;
pub use read_ahead::{CustomerPage, CustomerPages, OpenItems, ReadAheadLedger};
pub(crate) use reimbursements::{NewReimbursementRow, WithInvoice};
pub use reimbursements::{Reimbursement, ReimbursementFilter, ReimbursementStatus};
pub(crate) use run_outcomes::NewRunOutcome;
pub use run_outcomes::{RunOutcome, RunOutcomeKind};
pub(crate) use runs::{NewRun, RunCounts};
pub use runs::{PostingMark, RunKind, RunRecord};
pub use types::{
    AccountBalance, Balance, Customer, NewVendor, Side, Transaction, TrialBalanceRow, Vendor,
};
pub use voucher::{
    Journal, LineDraft, PostedVoucher, SettlementRecord, SubLedgerLine, Target, VoucherDraft,
};
pub(crate) use write_offs::NewWriteOffRow;
pub use write_offs::{WriteOff, WriteOffStatus};

use cache::{OpenList, TransactionCache};
use error::Res;
use rows::{currency_in, date_text, sql_error};

use crate::money::Currency;
use crate::parameters::Parameters;
use crate::store::Store;

/// The ledger of one company: its database and parameters.
pub struct Ledger {
    store: Store,
    params: Parameters,
    currencies: HashMap<String, Currency>,
    run_id: Cell<Option<RunId>>,
    journal: RefCell<Journal>,
    /// Who makes master-data changes, for their audit trail.
    origin: RefCell<ChangeOrigin>,
    /// What this transaction has read or written already (see [`TransactionCache`]).
    cache: RefCell<TransactionCache>,
    /// The bound on account totals that postings are held to.
    bound: Cell<PostingBound>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("store", &self.store.path())
            .field("company", &self.params.company.id)
            .finish()
    }
}

impl Ledger {
    fn sql_err(&self, e: rusqlite::Error) -> LedgerError {
        sql_error(self.store.path(), e)
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The company parameters.
    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// The currency with this code.
    pub fn currency(&self, code: &str) -> Res<&Currency> {
        currency_in(&self.currencies, code)
    }

    /// Sets the run that new vouchers and settlements are traced to.
    pub fn set_run(&self, run_id: Option<RunId>) {
        self.run_id.set(run_id);
    }

    /// The run new postings are traced to.
    pub fn run_id(&self) -> Option<RunId> {
        self.run_id.get()
    }

    /// Takes what the primitives wrote since the last call.
    pub fn take_journal(&self) -> Journal {
        std::mem::take(&mut *self.journal.borrow_mut())
    }

    fn amount(&self, currency: &str, minor: i64) -> Res<Decimal> {
        Ok(self.currency(currency)?.from_minor(minor))
    }
}
