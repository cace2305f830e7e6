//! Typed row ids: [`CustomerTransactionId`] and [`VendorTransactionId`], so that a customer
//! transaction can never be passed where a vendor one is wanted, and [`TransactionRef`] for the
//! places where the side is only known at run time (a fixture's `side:`, a voucher's sub-ledger
//! lines), [`RunId`] for runs and [`VoucherId`] for vouchers.
//!
//! The settling and reading primitives are generic over the sealed [`TransactionId`] trait and take
//! both transactions of a settlement as the *same* type, so these do not compile:
//!
//! ```text
//! ledger.settle(customer_a, vendor_b, None, date)   // expected `CustomerTransactionId`
//! ledger.open_minor::<VendorTransactionId>(customer_a)
//! ```
//!
//! (`doctest = false` in Cargo.toml, so the proof is the generic signature itself; the unit test
//! below shows the types at work.) Each id serialises as the bare number (`#[serde(transparent)]`)
//! and is stored as the row's `INTEGER`, so JSON, exports and the database are unchanged.
//!
//! Plain data: it depends on [`Side`] only; no SQL beyond the row-id conversions.

use std::fmt;

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlResult, ToSqlOutput, ValueRef};
use serde::Serialize;

use super::Side;

/// Declares a transaction id newtype for one side.
macro_rules! transaction_id {
    ($(#[$doc:meta])* $name:ident, $side:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The row id in its table.
            pub const fn row(self) -> i64 {
                self.0
            }
        }

        impl sealed::Sealed for $name {}

        impl TransactionId for $name {
            const SIDE: Side = $side;
            fn row(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.0))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                i64::column_result(value).map($name)
            }
        }
    };
}

mod sealed {
    /// Only the ledger's id types are transaction ids.
    pub trait Sealed {}
}

/// The id of a customer or vendor transaction; its type says which sub-ledger (sealed: only
/// [`CustomerTransactionId`] and [`VendorTransactionId`]).
pub trait TransactionId: sealed::Sealed + Copy + fmt::Display {
    /// The sub-ledger the id belongs to.
    const SIDE: Side;
    /// The row id in the sub-ledger's table.
    fn row(self) -> i64;
}

transaction_id!(
    /// The id of a customer transaction (a row of `customer_transactions`).
    CustomerTransactionId,
    Side::Customer
);

transaction_id!(
    /// The id of a vendor transaction (a row of `vendor_transactions`).
    VendorTransactionId,
    Side::Vendor
);

/// The id of a run (a row of `runs`), which postings, settlements, reimbursements and
/// master-data changes are traced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl RunId {
    /// The row id in `runs`.
    pub const fn row(self) -> i64 {
        self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ToSql for RunId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

impl FromSql for RunId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(RunId)
    }
}

/// The id of a voucher (a row of `vouchers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct VoucherId(pub i64);

impl VoucherId {
    /// The row id in `vouchers`.
    pub const fn row(self) -> i64 {
        self.0
    }
}

impl fmt::Display for VoucherId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ToSql for VoucherId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0))
    }
}

/// A customer or vendor transaction, where the side is only known at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionRef {
    /// A customer transaction.
    Customer(CustomerTransactionId),
    /// A vendor transaction.
    Vendor(VendorTransactionId),
}

impl TransactionRef {
    /// The transaction `row` of `side`'s table.
    pub fn new(side: Side, row: i64) -> Self {
        match side {
            Side::Customer => TransactionRef::Customer(CustomerTransactionId(row)),
            Side::Vendor => TransactionRef::Vendor(VendorTransactionId(row)),
        }
    }

    /// Its sub-ledger.
    pub fn side(self) -> Side {
        match self {
            TransactionRef::Customer(_) => Side::Customer,
            TransactionRef::Vendor(_) => Side::Vendor,
        }
    }

    /// Its row id.
    pub fn row(self) -> i64 {
        match self {
            TransactionRef::Customer(id) => id.row(),
            TransactionRef::Vendor(id) => id.row(),
        }
    }
}

impl fmt::Display for TransactionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.row(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The side travels with the type: a function generic over [`TransactionId`] knows it without
    /// being told. (Passing a `CustomerTransactionId` where a `VendorTransactionId` is wanted is a
    /// type error, which a unit test cannot show but the compiler enforces.)
    #[test]
    fn ids_carry_their_side_and_print_as_the_number() {
        fn side_of<T: TransactionId>(_: T) -> Side {
            T::SIDE
        }
        let customer = CustomerTransactionId(7);
        let vendor = VendorTransactionId(7);
        assert_eq!(side_of(customer), Side::Customer);
        assert_eq!(side_of(vendor), Side::Vendor);
        assert_eq!(customer.to_string(), "7");
        assert_eq!(serde_json::to_string(&vec![customer]).unwrap(), "[7]");
        assert_eq!(
            TransactionRef::new(Side::Vendor, 7),
            TransactionRef::Vendor(vendor)
        );
        assert_eq!(TransactionRef::Customer(customer).side(), Side::Customer);
        assert_eq!(TransactionRef::Customer(customer).row(), 7);
    }
}
