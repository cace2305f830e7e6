//! Helpers for the ledger's unit tests (a sample company, a customer, a ledger with one), also
//! used by the tests of other modules (`crate::ledger::tests::customer`, `sample_company`).

use super::*;
use crate::parameters::Company;
use crate::store::Store;
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub(crate) fn sample_company() -> Company {
    crate::sample_company().unwrap()
}

pub(super) fn d(s: &str) -> Decimal {
    crate::money::parse_decimal(s).unwrap()
}

pub(super) fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

/// A USD customer of group RETAIL, with nothing else set.
pub(crate) fn customer(account: &str, name: &str) -> Customer {
    Customer {
        account: account.into(),
        name: name.into(),
        address: None,
        currency: "USD".into(),
        group: "RETAIL".into(),
        vendor_account: None,
        payment_hold: false,
        tax_id: None,
        iban: None,
        bic: None,
    }
}

pub(super) fn ledger() -> Ledger {
    let l = Ledger::new(Store::in_memory().unwrap(), sample_company().params).unwrap();
    l.create_customer(&customer("C-1", "One")).unwrap();
    l
}

pub(super) fn opening(
    l: &Ledger,
    customer: &str,
    amount: &str,
    doc: &str,
) -> CustomerTransactionId {
    let posted = l
        .post_voucher(&VoucherDraft {
            sequence: "opening".into(),
            date: day(),
            description: "opening".into(),
            lines: vec![
                LineDraft {
                    target: Target::Customer(customer.into()),
                    currency: "USD".into(),
                    amount: d(amount),
                    document: Some(doc.into()),
                    kind: Some("invoice".into()),
                },
                LineDraft {
                    target: Target::Account("3999".into()),
                    currency: "USD".into(),
                    amount: -d(amount),
                    document: None,
                    kind: None,
                },
            ],
        })
        .unwrap();
    posted.customer_transactions[0]
}

pub(super) fn dump(l: &Ledger) -> String {
    let conn = l.store().conn();
    let mut out = String::new();
    for table in [
        "vouchers",
        "voucher_lines",
        "customer_transactions",
        "customer_settlements",
        "number_sequences",
    ] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&row.unwrap());
            out.push('\n');
        }
    }
    out
}
