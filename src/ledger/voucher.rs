//! Vouchers: what a caller asks to post ([`VoucherDraft`], [`LineDraft`], [`Target`]), what was
//! posted ([`PostedVoucher`], [`SubLedgerLine`]), and the [`Journal`] of what the primitives
//! wrote (with its [`SettlementRecord`]s).
//!
//! Plain data: no SQL, no [`super::Ledger`]; [`super::posting`] and [`super::settle`] fill them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{CustomerTransactionId, Side, TransactionRef, VendorTransactionId, VoucherId};

/// Where a voucher line posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A general-ledger account.
    Account(String),
    /// A customer: posts to the receivables summary account and the customer's sub-ledger.
    Customer(String),
    /// A vendor: posts to the payables summary account and the vendor's sub-ledger.
    Vendor(String),
}

/// One line of a voucher to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    /// Where it posts.
    pub target: Target,
    /// Currency.
    pub currency: String,
    /// Signed amount (debit positive, credit negative), never zero.
    pub amount: Decimal,
    /// Document number of the sub-ledger transaction (default: the voucher number).
    pub document: Option<String>,
    /// Type of the sub-ledger transaction (default `journal`).
    pub kind: Option<String>,
}

/// A voucher to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherDraft {
    /// The number sequence that numbers it (`reimbursement`, `payment`, `opening`, …).
    pub sequence: String,
    /// Posting date.
    pub date: NaiveDate,
    /// Description.
    pub description: String,
    /// The lines; at least two, summing to zero per currency.
    pub lines: Vec<LineDraft>,
}

/// A posted voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostedVoucher {
    /// Row id.
    pub id: VoucherId,
    /// Voucher number.
    pub number: String,
    /// Date.
    pub date: NaiveDate,
    /// Description.
    pub description: String,
    /// The general-ledger lines (account, currency, amount).
    pub lines: Vec<(String, String, Decimal)>,
    /// Ids of the customer transactions created, in line order.
    pub customer_transactions: Vec<CustomerTransactionId>,
    /// Ids of the vendor transactions created, in line order.
    pub vendor_transactions: Vec<VendorTransactionId>,
    /// The sub-ledger transactions created, in line order.
    #[serde(skip)]
    pub sub_ledger: Vec<SubLedgerLine>,
}

/// A customer or vendor transaction created by a voucher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubLedgerLine {
    /// The transaction, customer or vendor.
    pub transaction: TransactionRef,
    /// The customer or vendor account.
    pub account: String,
    /// Its amount.
    pub amount: Decimal,
    /// Its document number.
    pub document: String,
}

/// What the primitives wrote since the journal was last taken: lets the process check a hook's
/// work against the accounting rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// Vouchers posted.
    pub vouchers: Vec<PostedVoucher>,
    /// Vendors created.
    pub vendors_created: Vec<String>,
    /// Settlements made.
    pub settlements: Vec<SettlementRecord>,
    /// Customers whose vendor link changed.
    pub links: Vec<(String, String)>,
    /// Numbers taken from number sequences (sequence, number).
    pub numbers: Vec<(String, String)>,
    /// Customers and vendors created or changed (besides `vendors_created` and `links`).
    pub master_data: Vec<(Side, String)>,
}

/// A settlement as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRecord {
    /// Customer or vendor sub-ledger.
    pub side: Side,
    /// The account both transactions belong to.
    pub account: String,
    /// The debit transaction.
    pub debit: i64,
    /// The credit transaction.
    pub credit: i64,
    /// Amount settled, in minor units.
    pub minor: i64,
}

/// Whether amounts in minor units, each with its currency, sum to zero in every currency (summed
/// wide, in i128: no overflow to hide an imbalance). What `post_voucher` checks before it writes a
/// voucher, and the export asserts of one read back.
pub(super) fn balances_per_currency<'a>(lines: impl IntoIterator<Item = (&'a str, i64)>) -> bool {
    let mut sums: BTreeMap<&str, i128> = BTreeMap::new();
    for (currency, minor) in lines {
        *sums.entry(currency).or_default() += i128::from(minor);
    }
    sums.values().all(|sum| *sum == 0)
}
