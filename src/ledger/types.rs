//! The ledger's entities as callers see them: [`Side`], [`Customer`], [`Vendor`], [`NewVendor`],
//! [`Transaction`], [`Balance`], [`AccountBalance`] and [`TrialBalanceRow`].
//!
//! Plain data (serialised as the command line prints it): no SQL, no [`super::Ledger`]; the
//! files that read and write them depend on this one, never the other way round.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::TransactionRef;
use crate::bank::{Bic, Iban};

/// Which sub-ledger: accounts receivable (customers) or accounts payable (vendors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Customers (accounts receivable).
    Customer,
    /// Vendors (accounts payable).
    Vendor,
}

impl Side {
    pub(super) fn transactions(self) -> &'static str {
        match self {
            Side::Customer => "customer_transactions",
            Side::Vendor => "vendor_transactions",
        }
    }
    /// `customer` or `vendor`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Vendor => "vendor",
        }
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Account number, e.g. `C-001`.
    pub account: String,
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// The customer's currency.
    pub currency: String,
    /// Customer group, e.g. `RETAIL`.
    pub group: String,
    /// The vendor account that receives the customer's credit, if any.
    pub vendor_account: Option<String>,
    /// True when the account is on hold for payments.
    pub payment_hold: bool,
    /// Tax id.
    pub tax_id: Option<String>,
    /// The customer's bank account (where a refund can be paid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The bank's BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<Bic>,
}

/// A vendor account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vendor {
    /// Account number, e.g. `V-100`.
    pub account: String,
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Vendor group.
    pub group: String,
    /// The vendor's currency.
    pub currency: String,
    /// True for a one-time vendor created automatically.
    pub one_time: bool,
    /// The customer the vendor was created for, if any.
    pub created_for: Option<String>,
    /// True when the vendor is blocked for postings.
    pub blocked: bool,
    /// Payment terms.
    pub payment_terms: Option<String>,
    /// Method of payment.
    pub method_of_payment: Option<String>,
    /// Tax id.
    pub tax_id: Option<String>,
    /// The vendor's bank account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The bank's BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<Bic>,
}

/// A vendor to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewVendor {
    /// Account number; `None` takes the next number of the one-time vendor sequence.
    pub account: Option<String>,
    /// Name (required).
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Vendor group; default: the one-time group for one-time vendors, else `DEFAULT`.
    pub group: Option<String>,
    /// Currency (required, one of the company's).
    pub currency: String,
    /// True for a one-time vendor.
    pub one_time: bool,
    /// The customer it is created for.
    pub created_for: Option<String>,
    /// Payment terms (default from the one-time vendor parameters).
    pub payment_terms: Option<String>,
    /// Method of payment (default from the one-time vendor parameters).
    pub method_of_payment: Option<String>,
    /// Tax id.
    pub tax_id: Option<String>,
    /// Bank account (a one-time vendor takes its customer's).
    pub iban: Option<Iban>,
    /// The bank's BIC.
    pub bic: Option<Bic>,
}

/// A customer or vendor transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    /// Row id in its side's table (used to settle it; see [`Transaction::reference`]).
    pub id: i64,
    /// Customer or vendor sub-ledger.
    pub side: Side,
    /// The customer or vendor account.
    pub account: String,
    /// Voucher number.
    pub voucher: String,
    /// Date.
    pub date: NaiveDate,
    /// Document number (invoice, payment reference, …).
    pub document: String,
    /// Type: invoice, payment, credit_note, reimbursement, …
    pub kind: String,
    /// Currency.
    pub currency: String,
    /// Signed amount: debit positive, credit negative.
    pub amount: Decimal,
    /// The part not yet settled, same sign as `amount`.
    pub open: Decimal,
}

impl Transaction {
    /// Its id with its side (`id` stays the bare row id, as it is serialised).
    pub fn reference(&self) -> TransactionRef {
        TransactionRef::new(self.side, self.id)
    }
}

/// An account's balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The customer or vendor account.
    pub account: String,
    /// Currency.
    pub currency: String,
    /// Sum of all transactions (negative: credit balance).
    pub balance: Decimal,
    /// Sum of the open remainders of debit transactions (≥ 0).
    pub open_debit: Decimal,
    /// Sum of the open remainders of credit transactions (≤ 0).
    pub open_credit: Decimal,
    /// The date of the latest open transaction, if any is open. A run never reimburses a credit
    /// with open transactions dated after its posting date.
    #[serde(skip)]
    pub latest_open: Option<NaiveDate>,
}

/// A balance with the account it belongs to (for listings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountBalance {
    /// Account name.
    pub name: String,
    /// The account's bank account, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iban: Option<Iban>,
    /// The balance.
    #[serde(flatten)]
    pub balance: Balance,
}

/// A row of the trial balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrialBalanceRow {
    /// General-ledger account.
    pub account: String,
    /// Its name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Balance (debit positive).
    pub balance: Decimal,
}
