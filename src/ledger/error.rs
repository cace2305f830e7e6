//! The one error type of the ledger primitives ([`LedgerError`]) and its `Result` alias.
//!
//! A leaf of the `ledger` folder: it depends on nothing of the ledger but the control-account
//! names it reports ([`ControlRole`], [`TotalSide`]), and on nothing above the ledger.

use rust_decimal::Decimal;

use super::{ControlRole, TotalSide};
use crate::money::MoneyError;
use crate::store::StoreError;

/// An error of a ledger primitive. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A customer, vendor, transaction, account or sequence does not exist.
    #[error("{what} '{key}' does not exist")]
    NotFound {
        /// What was looked for (`customer`, `vendor`, …).
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// The currency is not one of the company's.
    #[error("unknown currency '{0}'")]
    UnknownCurrency(String),
    /// An amount does not fit its currency.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A voucher's lines do not sum to zero in a currency.
    #[error("voucher does not balance in {currency}: the lines sum to {difference}")]
    Unbalanced {
        /// The currency that does not balance.
        currency: String,
        /// The sum of its lines.
        difference: Decimal,
    },
    /// The vendor is blocked for postings.
    #[error("vendor '{0}' is blocked")]
    VendorBlocked(String),
    /// A settlement that the books do not allow.
    #[error("settlement refused: {0}")]
    Settlement(String),
    /// A plain general-ledger line on a control account (receivables or payables summary).
    #[error(
        "account {account} is the {role} control account: it takes lines only through {} lines \
         (post to a {} instead), so that it always equals the sum of the {}s",
        role.party(), role.party(), role.party()
    )]
    ControlAccount {
        /// The account.
        account: String,
        /// Its role.
        role: ControlRole,
    },
    /// The parameters name another control account than the database keeps.
    #[error(
        "accounts.{role} is {given} in the parameters, but this database keeps its {}s' balances \
         on {stored}: set accounts.{role} back to {stored}. A control account cannot change under \
         existing books; to move to {given}, create a new company database with `reimburse init` \
         and bring the {}s and their open transactions over with `reimburse import`",
        role.party(), role.party()
    )]
    ControlAccountChanged {
        /// Receivables or payables.
        role: ControlRole,
        /// The account the database keeps.
        stored: String,
        /// The account the parameters name.
        given: String,
    },
    /// A posting would take an account's debits or credits in a currency past its bound
    /// ([`MAX_ACCOUNT_TOTAL`](super::MAX_ACCOUNT_TOTAL), [`MAX_PROCESS_TOTAL`](super::MAX_PROCESS_TOTAL)
    /// in a run or a payment).
    #[error(
        "account {account} would hold more than {max} {currency} of {side} (it has {had}): an \
         account holds at most {minor} minor units of debits and of credits per currency, so \
         that every balance and report stays exact; nothing was posted (carry the balances into \
         a new company database to go on)"
    )]
    TotalTooLarge {
        /// The general-ledger account.
        account: String,
        /// Currency.
        currency: String,
        /// Debits or credits.
        side: TotalSide,
        /// The bound, in the currency.
        max: Decimal,
        /// The bound, in minor units.
        minor: i64,
        /// What the account holds already.
        had: Decimal,
    },
    /// Any other refused request.
    #[error("{0}")]
    Invalid(String),
    /// A database error.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A date outside the years of the books ([`crate::dates`]).
    #[error(transparent)]
    Date(#[from] crate::dates::DateError),
    /// A text too long or holding a control character ([`crate::text`]).
    #[error(transparent)]
    Text(#[from] crate::text::TextError),
}

pub(super) type Res<T> = Result<T, LedgerError>;
