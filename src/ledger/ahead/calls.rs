//! The ledger calls a posting hook makes ([`LedgerCalls`]), as one trait that the ledger and the
//! books worked out ahead ([`super::AheadBooks`]) both answer, so a script's functions call either
//! the same way; a call with what it returned ([`RecordedCall`]); and replaying a recorded call on
//! the ledger, which tells whether it returned the same ([`Ledger::replay`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::super::{
    Balance, CustomerTransactionId, Ledger, NewVendor, PostedVoucher, Res, Side, Vendor,
    VoucherDraft,
};

/// The ledger calls a posting hook (`create_one_time_vendor`, `post_reimbursement`) can make:
/// answered by the ledger itself, or by the books worked out ahead of a run.
pub trait LedgerCalls {
    /// Takes the next number of a sequence ([`Ledger::next_number`]).
    fn next_number(&self, sequence: &str) -> Res<String>;
    /// Posts a voucher ([`Ledger::post_voucher`]).
    fn post_voucher(&self, draft: &VoucherDraft) -> Res<PostedVoucher>;
    /// Settles a customer transaction against the open ones ([`Ledger::settle_against_open`]).
    fn settle_against_open(&self, id: CustomerTransactionId, date: NaiveDate) -> Res<Decimal>;
    /// Settles a customer's open debits against its open credits in one currency
    /// ([`Ledger::settle_open_debits`]).
    fn settle_open_debits(&self, customer: &str, currency: &str, date: NaiveDate) -> Res<Decimal>;
    /// Creates a vendor ([`Ledger::create_vendor`]).
    fn create_vendor(&self, vendor: &NewVendor) -> Res<Vendor>;
    /// Sets or clears a customer's vendor account ([`Ledger::link_vendor`]).
    fn link_vendor(&self, customer: &str, vendor: Option<&str>) -> Res<()>;
    /// A customer's balance in each currency ([`Ledger::balances`]): a read.
    fn balances(&self, customer: &str) -> Res<Vec<Balance>>;
}

impl LedgerCalls for Ledger {
    fn next_number(&self, sequence: &str) -> Res<String> {
        Ledger::next_number(self, sequence)
    }
    fn post_voucher(&self, draft: &VoucherDraft) -> Res<PostedVoucher> {
        Ledger::post_voucher(self, draft)
    }
    fn settle_against_open(&self, id: CustomerTransactionId, date: NaiveDate) -> Res<Decimal> {
        Ledger::settle_against_open(self, id, date)
    }
    fn settle_open_debits(&self, customer: &str, currency: &str, date: NaiveDate) -> Res<Decimal> {
        Ledger::settle_open_debits(self, Side::Customer, customer, currency, date)
    }
    fn create_vendor(&self, vendor: &NewVendor) -> Res<Vendor> {
        Ledger::create_vendor(self, vendor)
    }
    fn link_vendor(&self, customer: &str, vendor: Option<&str>) -> Res<()> {
        Ledger::link_vendor(self, customer, vendor)
    }
    fn balances(&self, customer: &str) -> Res<Vec<Balance>> {
        Ledger::balances(self, Side::Customer, customer)
    }
}

/// One call of [`LedgerCalls`] with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerCall {
    /// [`LedgerCalls::next_number`].
    NextNumber {
        /// The sequence.
        sequence: String,
    },
    /// [`LedgerCalls::post_voucher`].
    PostVoucher {
        /// The voucher.
        draft: VoucherDraft,
    },
    /// [`LedgerCalls::settle_against_open`].
    SettleAgainstOpen {
        /// The transaction settled.
        id: CustomerTransactionId,
        /// The settlement date.
        date: NaiveDate,
    },
    /// [`LedgerCalls::settle_open_debits`].
    SettleOpenDebits {
        /// The customer.
        customer: String,
        /// The currency.
        currency: String,
        /// The settlement date.
        date: NaiveDate,
    },
    /// [`LedgerCalls::create_vendor`].
    CreateVendor {
        /// The vendor to create.
        vendor: Box<NewVendor>,
    },
    /// [`LedgerCalls::link_vendor`].
    LinkVendor {
        /// The customer.
        customer: String,
        /// The vendor linked, or none.
        vendor: Option<String>,
    },
    /// [`LedgerCalls::balances`].
    Balances {
        /// The customer.
        customer: String,
    },
}

impl LedgerCall {
    /// Whether the call only reads (the books worked out ahead answer it outside a posting hook
    /// too: `eligible` and `vendor_for` read their own customer's balances).
    pub fn reads_only(&self) -> bool {
        matches!(self, LedgerCall::Balances { .. })
    }
}

/// What a [`LedgerCall`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult {
    /// A number.
    Number(String),
    /// A posted voucher.
    Voucher(Box<PostedVoucher>),
    /// An amount settled (compared with its scale: a script sees `1.50` and `1.5` apart).
    Settled(Decimal),
    /// A vendor.
    Vendor(Box<Vendor>),
    /// Nothing (a link).
    Done,
    /// A customer's balances.
    Balances(Vec<Balance>),
}

impl CallResult {
    /// Whether two results are the same to a script: equal, and amounts with the same scale.
    fn same_as(&self, other: &CallResult) -> bool {
        match (self, other) {
            (CallResult::Settled(a), CallResult::Settled(b)) => a == b && a.scale() == b.scale(),
            (CallResult::Balances(a), CallResult::Balances(b)) => {
                let scales = |b: &Balance| {
                    (
                        b.balance.scale(),
                        b.open_debit.scale(),
                        b.open_credit.scale(),
                    )
                };
                a == b && a.iter().map(scales).eq(b.iter().map(scales))
            }
            _ => self == other,
        }
    }
}

/// A call made while a hook was worked out ahead, with what it returned there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCall {
    /// The call.
    pub call: LedgerCall,
    /// What it returned.
    pub result: CallResult,
}

impl LedgerCall {
    /// Makes the call on `calls`.
    pub fn make(&self, calls: &dyn LedgerCalls) -> Res<CallResult> {
        Ok(match self {
            LedgerCall::NextNumber { sequence } => CallResult::Number(calls.next_number(sequence)?),
            LedgerCall::PostVoucher { draft } => {
                CallResult::Voucher(Box::new(calls.post_voucher(draft)?))
            }
            LedgerCall::SettleAgainstOpen { id, date } => {
                CallResult::Settled(calls.settle_against_open(*id, *date)?)
            }
            LedgerCall::SettleOpenDebits {
                customer,
                currency,
                date,
            } => CallResult::Settled(calls.settle_open_debits(customer, currency, *date)?),
            LedgerCall::CreateVendor { vendor } => {
                CallResult::Vendor(Box::new(calls.create_vendor(vendor)?))
            }
            LedgerCall::LinkVendor { customer, vendor } => {
                calls.link_vendor(customer, vendor.as_deref())?;
                CallResult::Done
            }
            LedgerCall::Balances { customer } => CallResult::Balances(calls.balances(customer)?),
        })
    }
}

impl Ledger {
    /// Makes a recorded call on the ledger; whether it returned what was recorded (an error
    /// counts as returning something else).
    pub fn replay(&self, recorded: &RecordedCall) -> bool {
        recorded
            .call
            .make(self)
            .is_ok_and(|result| result.same_as(&recorded.result))
    }
}
