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

fn d(s: &str) -> Decimal {
    crate::money::parse_decimal(s).unwrap()
}

fn day() -> NaiveDate {
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

fn ledger() -> Ledger {
    let l = Ledger::new(Store::in_memory().unwrap(), sample_company().params).unwrap();
    l.create_customer(&customer("C-1", "One")).unwrap();
    l
}

fn opening(l: &Ledger, customer: &str, amount: &str, doc: &str) -> i64 {
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

fn dump(l: &Ledger) -> String {
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

#[test]
fn dates_are_written_as_chrono_writes_them() {
    for (y, m, dd) in [
        (2026, 11, 30),
        (1, 1, 1),
        (0, 2, 29),
        (9999, 12, 31),
        (10000, 1, 1),
        (-5, 3, 4),
    ] {
        let date = NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
    }
    assert_eq!(date_text(day()), "2026-11-01");
}

#[test]
fn posting_balances_and_trial_balance_is_zero() {
    let l = ledger();
    opening(&l, "C-1", "100.00", "INV-1");
    opening(&l, "C-1", "-150.00", "PAY-1");
    let b = l.balances(Side::Customer, "C-1").unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].balance.to_string(), "-50.00");
    assert_eq!(b[0].open_debit.to_string(), "100.00");
    assert_eq!(b[0].open_credit.to_string(), "-150.00");
    let totals = l.trial_balance_totals().unwrap();
    assert_eq!(totals["USD"], Decimal::ZERO);
    let tb = l.trial_balance().unwrap();
    assert_eq!(tb[0].account, "1200");
    assert_eq!(tb[0].balance.to_string(), "-50.00");
    assert_eq!(l.next_number("opening").unwrap(), "OPN-000003");
}

#[test]
fn unbalanced_voucher_is_refused_and_writes_nothing() {
    let l = ledger();
    opening(&l, "C-1", "100.00", "INV-1");
    let before = dump(&l);
    let err = l
        .post_voucher(&VoucherDraft {
            sequence: "reimbursement".into(),
            date: day(),
            description: "bad".into(),
            lines: vec![
                LineDraft {
                    target: Target::Customer("C-1".into()),
                    currency: "USD".into(),
                    amount: d("10.00"),
                    document: None,
                    kind: None,
                },
                LineDraft {
                    target: Target::Account("1000".into()),
                    currency: "USD".into(),
                    amount: d("-9.99"),
                    document: None,
                    kind: None,
                },
            ],
        })
        .unwrap_err();
    assert!(
        matches!(&err, LedgerError::Unbalanced { currency, difference } if currency == "USD" && difference.to_string() == "0.01"),
        "{err}"
    );
    assert_eq!(dump(&l), before);
}

#[test]
fn voucher_checks_accounts_and_precision() {
    let l = ledger();
    let line = |target: Target, amount: &str| LineDraft {
        target,
        currency: "USD".into(),
        amount: d(amount),
        document: None,
        kind: None,
    };
    let post = |lines| {
        l.post_voucher(&VoucherDraft {
            sequence: "opening".into(),
            date: day(),
            description: "x".into(),
            lines,
        })
    };
    let e = post(vec![
        line(Target::Account("9999".into()), "1"),
        line(Target::Account("1000".into()), "-1"),
    ])
    .unwrap_err();
    assert!(
        e.to_string().contains("general-ledger account '9999'"),
        "{e}"
    );
    let e = post(vec![
        line(Target::Customer("C-404".into()), "1"),
        line(Target::Account("1000".into()), "-1"),
    ])
    .unwrap_err();
    assert!(
        e.to_string().contains("customer 'C-404' does not exist"),
        "{e}"
    );
    let e = post(vec![
        line(Target::Account("1000".into()), "1.001"),
        line(Target::Account("3999".into()), "-1.001"),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("more decimals"), "{e}");
    assert!(dump(&l).lines().all(|r| !r.contains("OPN-")));
}

#[test]
fn over_settlement_is_refused_and_writes_nothing() {
    let l = ledger();
    let inv = opening(&l, "C-1", "100.00", "INV-1");
    let pay = opening(&l, "C-1", "-30.00", "PAY-1");
    let before = dump(&l);
    let e = l
        .settle(Side::Customer, inv, pay, Some(d("30.01")), day())
        .unwrap_err();
    assert!(e.to_string().contains("more than is open"), "{e}");
    assert_eq!(dump(&l), before);
    let e = l.settle(Side::Customer, inv, inv, None, day()).unwrap_err();
    assert!(
        e.to_string()
            .contains("not an open debit and an open credit")
    );
    assert_eq!(
        l.settle(Side::Customer, inv, pay, None, day())
            .unwrap()
            .to_string(),
        "30.00"
    );
    let open = l.open_transactions(Side::Customer, "C-1", None).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].open.to_string(), "70.00");
    let b = l.balances(Side::Customer, "C-1").unwrap();
    assert_eq!(b[0].balance.to_string(), "70.00");
    // A fully settled credit cannot be settled again.
    assert!(l.settle(Side::Customer, inv, pay, None, day()).is_err());
}

#[test]
fn settle_open_debits_nets_oldest_first() {
    let l = ledger();
    opening(&l, "C-1", "-40.00", "PAY-1");
    opening(&l, "C-1", "25.00", "INV-1");
    opening(&l, "C-1", "-20.00", "CN-1");
    let settled = l
        .settle_open_debits(Side::Customer, "C-1", "USD", day())
        .unwrap();
    assert_eq!(settled.to_string(), "25.00");
    let b = &l.balances(Side::Customer, "C-1").unwrap()[0];
    assert_eq!(b.open_debit, Decimal::ZERO);
    assert_eq!(b.open_credit.to_string(), "-35.00");
    assert_eq!(b.balance.to_string(), "-35.00");
}

/// An account's open transactions as the database has them: (id, open), oldest first.
fn open_in_db(l: &Ledger, account: &str) -> Vec<(i64, i64)> {
    l.store()
        .conn()
        .prepare(
            "SELECT id, open_minor FROM customer_transactions
             WHERE account = ?1 AND currency = 'USD' AND open_minor <> 0 ORDER BY date, id",
        )
        .unwrap()
        .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn open_transactions_kept_in_a_transaction_follow_postings_settlements_and_rollbacks() {
    let l = ledger();
    let store = l.store();
    let same = |l: &Ledger| {
        assert_eq!(
            l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
            open_in_db(l, "C-1")
        )
    };
    store.begin().unwrap();
    opening(&l, "C-1", "100.00", "INV-1");
    let cr1 = opening(&l, "C-1", "-30.00", "CR-1");
    let cr2 = opening(&l, "C-1", "-120.00", "CR-2");
    same(&l);
    // INV-1 is netted against CR-1 and 70.00 of CR-2.
    let settled = l
        .settle_open_debits(Side::Customer, "C-1", "USD", day())
        .unwrap();
    assert_eq!(settled, d("100.00"));
    assert_eq!(
        l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
        vec![(cr2, -5000)]
    );
    same(&l);
    // A transaction posted after the list was read joins it.
    let debit = opening(&l, "C-1", "40.00", "RMB-1");
    same(&l);
    store.savepoint("x").unwrap();
    let settled = l.settle_against_open(Side::Customer, debit, day()).unwrap();
    assert_eq!(settled, d("40.00"));
    assert_eq!(l.open_minor(Side::Customer, debit).unwrap(), 0);
    same(&l);
    // The rollback undoes the settlement, and the ledger must not remember it.
    store.rollback_to("x").unwrap();
    assert_eq!(l.open_minor(Side::Customer, debit).unwrap(), 4000);
    assert_eq!(l.open_minor(Side::Customer, cr1).unwrap(), 0);
    same(&l);
    let settled = l.settle_against_open(Side::Customer, debit, day()).unwrap();
    assert_eq!(settled, d("40.00"));
    assert_eq!(
        l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
        vec![(cr2, -1000)]
    );
    same(&l);
    store.commit().unwrap();
    same(&l);
}

#[test]
fn a_settlement_cannot_be_dated_before_what_it_settles() {
    let l = ledger();
    l.store().begin().unwrap();
    let invoice = opening(&l, "C-1", "100.00", "INV-1");
    let credit = opening(&l, "C-1", "-30.00", "CR-1");
    let before = day().pred_opt().unwrap();
    let refused = "is dated 2026-11-01, after the settlement date 2026-10-31";
    for err in [
        l.settle(Side::Customer, invoice, credit, None, before),
        l.settle_against_open(Side::Customer, invoice, before),
        l.settle_open_debits(Side::Customer, "C-1", "USD", before),
    ] {
        let err = err.unwrap_err().to_string();
        assert!(err.contains(refused), "{err}");
    }
    assert_eq!(l.open_minor(Side::Customer, credit).unwrap(), -3000);
    // On the day itself it settles.
    let settled = l
        .settle_against_open(Side::Customer, invoice, day())
        .unwrap();
    assert_eq!(settled, d("30.00"));
}

#[test]
fn customers_and_vendors_known_in_a_transaction_are_forgotten_on_rollback() {
    let l = ledger();
    let store = l.store();
    store.begin().unwrap();
    store.savepoint("x").unwrap();
    let vendor = l
        .create_vendor(&NewVendor {
            name: "Once".into(),
            currency: "USD".into(),
            one_time: true,
            ..Default::default()
        })
        .unwrap();
    l.create_customer(&customer("C-2", "Two")).unwrap();
    l.link_vendor("C-2", Some(&vendor.account)).unwrap();
    store.rollback_to("x").unwrap();
    let err = l.link_vendor("C-1", Some(&vendor.account)).unwrap_err();
    assert!(
        matches!(err, LedgerError::NotFound { what: "vendor", .. }),
        "{err}"
    );
    let err = l.link_vendor("C-2", None).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::NotFound {
                what: "customer",
                ..
            }
        ),
        "{err}"
    );
    store.rollback();
}

#[test]
fn customers_read_ahead_are_the_pages_read_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::new(
        Store::create(&dir.path().join("c.db")).unwrap(),
        sample_company().params,
    )
    .unwrap();
    for i in 1..=5 {
        let account = format!("C-{i}");
        l.create_customer(&Customer {
            group: if i % 2 == 0 { "EVEN" } else { "ODD" }.into(),
            ..customer(&account, &format!("Customer {i}"))
        })
        .unwrap();
        if i != 3 {
            opening(&l, &account, &format!("-{i}0.00"), &format!("PAY-{i}"));
            opening(&l, &account, "7.50", &format!("INV-{i}"));
        }
    }
    // Only in a write transaction, and only over a file.
    assert!(l.read_ahead_customers(None, 2).is_none());
    assert!(ledger().read_ahead_customers(None, 2).is_none());

    l.store().begin().unwrap();
    let pages: Vec<CustomerPage> = l
        .read_ahead_customers(None, 2)
        .unwrap()
        .map(|p| p.unwrap().0)
        .collect();
    let accounts = |p: &CustomerPage| -> Vec<String> {
        p.customers.iter().map(|c| c.account.clone()).collect()
    };
    assert_eq!(
        pages.iter().map(accounts).collect::<Vec<_>>(),
        [vec!["C-1", "C-2"], vec!["C-3", "C-4"], vec!["C-5"]]
    );
    let mut after: Option<String> = None;
    for page in &pages {
        let in_place = l.customers_page(after.as_deref(), 2, None).unwrap();
        assert_eq!(page.customers, in_place);
        let (first, last) = (&in_place[0].account, &in_place[in_place.len() - 1].account);
        assert_eq!(
            page.balances,
            l.customer_balances_between(first, last).unwrap()
        );
        after = Some(last.clone());
    }
    assert_eq!(pages[1].balances["C-4"][0].balance, d("-32.50"));
    assert!(!pages[1].balances.contains_key("C-3"));

    let groups = Some(vec!["EVEN".to_string()]);
    let even: Vec<Vec<String>> = l
        .read_ahead_customers(groups, 2)
        .unwrap()
        .map(|p| accounts(&p.unwrap().0))
        .collect();
    assert_eq!(even, [vec!["C-2", "C-4"], vec![]]);
    // A page of none is a page of one: five of them, and the empty one that ends the list.
    assert_eq!(l.read_ahead_customers(None, 0).unwrap().count(), 6);
    // Stopping early stops the thread (this would hang otherwise).
    let mut pages = l.read_ahead_customers(None, 1).unwrap();
    assert!(pages.next().is_some());
    drop(pages);

    // The work done on each page comes with it; a thread that fails is an error, not the
    // end of the customers.
    let counted: Vec<usize> = l
        .read_ahead_customers_with(None, 2, |_| |page: &CustomerPage| page.customers.len())
        .unwrap()
        .map(|p| p.unwrap().1)
        .collect();
    assert_eq!(counted, [2, 2, 1]);
    let mut pages = l
        .read_ahead_customers_with(None, 2, |_| {
            let mut seen = 0;
            move |_: &CustomerPage| {
                seen += 1;
                assert!(seen < 2, "the work fails on the second page");
            }
        })
        .unwrap();
    assert!(pages.next().unwrap().is_ok());
    assert!(matches!(pages.next(), Some(Err(LedgerError::Invalid(_)))));
    assert!(pages.next().is_none());
    l.store().rollback();
}

#[test]
fn numbers_kept_in_a_transaction_follow_rollbacks_and_other_writers() {
    let l = ledger();
    let store = l.store();
    let take = || l.next_number("vendor_invoice").unwrap();
    store.begin().unwrap();
    let first = take();
    let second = take();
    assert_ne!(first, second);
    store.savepoint("s").unwrap();
    let undone = take();
    store.rollback_to("s").unwrap();
    assert_eq!(take(), undone, "a rolled-back number is taken again");
    store.begin().unwrap(); // nested: a savepoint
    let nested = take();
    store.rollback();
    assert_eq!(
        take(),
        nested,
        "a number rolled back with a nested begin is taken again"
    );
    store.rollback();
    assert_eq!(take(), first, "a rolled-back transaction took no number");
    // Between transactions another writer may move a sequence: the next transaction sees it.
    store
        .conn()
        .execute(
            "UPDATE number_sequences SET next = 500 WHERE name = 'vendor_invoice'",
            [],
        )
        .unwrap();
    store.begin().unwrap();
    assert!(take().ends_with("000500"));
    assert!(take().ends_with("000501"));
    store.commit().unwrap();
    let next: i64 = store
        .conn()
        .query_row(
            "SELECT next FROM number_sequences WHERE name = 'vendor_invoice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(next, 502, "every number taken is written");
    // Transactions begun and ended past the store (as a rusqlite transaction is): SQLite's
    // commit and rollback hooks drop what was read.
    let raw = |sql: &str| store.conn().execute_batch(sql).unwrap();
    raw("UPDATE number_sequences SET next = 600 WHERE name = 'vendor_invoice'");
    raw("BEGIN IMMEDIATE");
    assert!(take().ends_with("000600"), "what another writer committed");
    raw("ROLLBACK");
    raw("BEGIN IMMEDIATE");
    assert!(take().ends_with("000600"), "the rolled-back number again");
    raw("COMMIT");
}

#[test]
fn one_time_vendors_take_numbers_and_defaults() {
    let l = ledger();
    let v = l
        .create_vendor(&NewVendor {
            name: "One".into(),
            currency: "USD".into(),
            one_time: true,
            created_for: Some("C-1".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(v.account, "OTV-000001");
    assert_eq!(v.group, "ONETIME");
    l.link_vendor("C-1", Some(&v.account)).unwrap();
    assert_eq!(
        l.customer("C-1")
            .unwrap()
            .unwrap()
            .vendor_account
            .as_deref(),
        Some("OTV-000001")
    );
    assert!(
        l.create_vendor(&NewVendor {
            account: Some("OTV-000001".into()),
            name: "dup".into(),
            currency: "USD".into(),
            ..Default::default()
        })
        .is_err()
    );
    assert_eq!(
        l.take_journal().vendors_created,
        vec!["OTV-000001".to_string()]
    );
}
