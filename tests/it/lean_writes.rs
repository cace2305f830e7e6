//! Schema 7's leaner writes: the general-ledger line of a customer or vendor posting stored once,
//! as its transaction; a database of schema 6 moves over with the same books, or is refused.

use crate::common::{Company, DOWN_TO_SCHEMA_6, company_yaml, contoso_ledger};

/// Contoso with a write-off section, after a run, a reversal, a payment and a write-off.
fn books_with_a_lifecycle() -> Company {
    let c = Company::with_parameters(&format!(
        "{}write_off:\n  below: 50.00\n  after_days: 1\n  account: \"7990\"\n",
        company_yaml()
    ));
    c.ok(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
    c.ok(&["run", "--date", "2026-11-30"]);
    c.ok(&[
        "reverse",
        "--reimbursement",
        "1",
        "--reason",
        "dup",
        "--date",
        "2026-12-01",
    ]);
    c.ok(&["pay", "--date", "2026-12-01"]);
    c.ok(&["write-off", "--date", "2026-12-01"]);
    assert_eq!(
        c.query(
            "SELECT status, reversal_voucher_id IS NOT NULL, count(*) FROM reimbursements
             GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        [["open", "1", "1"], ["paid", "0", "12"]]
    );
    assert_eq!(c.count("SELECT count(*) FROM write_offs"), 2);
    c
}

/// What an auditor reads: the trial balance, the export, the reimbursement page, the write-offs
/// and the balances.
fn what_is_read(c: &Company) -> Vec<String> {
    [
        vec!["trial-balance", "--json"],
        vec!["export"],
        vec!["export", "--format", "beancount"],
        vec!["reimbursements", "--json"],
        vec!["write-offs", "--json"],
        vec!["balances", "--json"],
    ]
    .iter()
    .map(|args| c.ok(args))
    .collect()
}

#[test]
fn sub_ledger_lines_are_stored_once_and_read_in_voucher_order() {
    let c = books_with_a_lifecycle();
    // No plain line names a customer or vendor: those lines are the transactions.
    assert_eq!(
        c.count(
            "SELECT count(*) FROM voucher_lines WHERE customer IS NOT NULL OR vendor IS NOT NULL"
        ),
        0
    );
    let lines = c.count("SELECT count(*) FROM gl_lines");
    let parts = c.count(
        "SELECT (SELECT count(*) FROM voucher_lines) + (SELECT count(*) FROM customer_transactions)
             + (SELECT count(*) FROM vendor_transactions)",
    );
    assert_eq!(lines, parts);
    // Every voucher's lines have the places 0, 1, … once each, and balance per currency.
    assert_eq!(
        c.count(
            "SELECT count(*) FROM (SELECT voucher_id FROM gl_lines GROUP BY voucher_id
             HAVING count(DISTINCT line) <> count(*) OR min(line) <> 0 OR max(line) <> count(*) - 1)"
        ),
        0
    );
    assert_eq!(
        c.count(
            "SELECT count(*) FROM (SELECT voucher_id FROM gl_lines GROUP BY voucher_id, currency
             HAVING sum(amount_minor) <> 0)"
        ),
        0
    );
    // The first reimbursement: the customer debited, then the vendor credited, as posted.
    let first = c.voucher_lines("RMB-000001");
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(
        (first[0][0].as_str(), first[1][0].as_str()),
        ("1200", "2000")
    );
    assert_ne!(first[0][3], "NULL", "{first:?}");
    assert_ne!(first[1][4], "NULL", "{first:?}");
    assert_eq!(
        first[0][2].parse::<i64>().unwrap(),
        -first[1][2].parse::<i64>().unwrap()
    );
    // The totals the ledger bounds postings by still follow every line.
    assert_eq!(
        c.query(
            "SELECT account, currency, debit_minor - credit_minor FROM account_totals
             ORDER BY account, currency"
        ),
        c.query(
            "SELECT account, currency, sum(amount_minor) FROM gl_lines
             GROUP BY account, currency ORDER BY account, currency"
        )
    );
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
    // Numbers are reserved a block at a time in a transaction, and given back: no gap.
    assert_eq!(
        c.query(
            "SELECT count(*), min(number), max(number), (SELECT next FROM number_sequences
                 WHERE name = 'reimbursement')
             FROM vouchers WHERE number LIKE 'RMB-%'"
        ),
        [["16", "RMB-000001", "RMB-000016", "17"]]
    );
}

#[test]
fn a_schema_6_database_moves_to_7_with_the_same_books() {
    let c = books_with_a_lifecycle();
    let before = what_is_read(&c);
    let lines = c.count("SELECT count(*) FROM gl_lines");
    let totals = c.query("SELECT * FROM account_totals ORDER BY account, currency");
    c.conn().execute_batch(DOWN_TO_SCHEMA_6).unwrap();
    assert_eq!(c.count("PRAGMA user_version"), 6);
    assert_eq!(c.count("SELECT count(*) FROM voucher_lines"), lines);
    let after = what_is_read(&c);
    assert_eq!(
        c.count("PRAGMA user_version"),
        reimburse::store::SCHEMA_VERSION
    );
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after);
    }
    assert!(before[1].contains("RMB-000001"), "{}", before[1]);
    assert_eq!(c.count("SELECT count(*) FROM gl_lines"), lines);
    assert_eq!(
        c.count(
            "SELECT count(*) FROM voucher_lines WHERE customer IS NOT NULL OR vendor IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        c.query("SELECT * FROM account_totals ORDER BY account, currency"),
        totals
    );
    // The indexes no query needs are gone.
    assert_eq!(
        c.count(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('vouchers_date',
             'reimbursements_status', 'master_data_changes_account', 'write_offs_customer')"
        ),
        0
    );
    // And it goes on as before: the next run and payment post onto the migrated books.
    c.ok(&["run", "--date", "2026-12-02"]);
    c.ok(&["pay", "--date", "2026-12-03"]);
    c.assert_trial_balance_zero(&["EUR", "USD"]);
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
}

#[test]
fn a_schema_6_database_whose_lines_do_not_match_their_transactions_is_not_moved() {
    for broken in [
        // A customer line whose amount is not its transaction's.
        "UPDATE voucher_lines SET amount_minor = amount_minor + 1
         WHERE id = (SELECT min(id) FROM voucher_lines WHERE customer IS NOT NULL)",
        // A vendor line without its transaction.
        "DELETE FROM vendor_transactions WHERE id = (SELECT max(id) FROM vendor_transactions)",
        // A transaction without its line.
        "DELETE FROM voucher_lines WHERE id = (SELECT max(id) FROM voucher_lines WHERE customer IS NOT NULL)",
        // A customer line on another account than the control account.
        "UPDATE voucher_lines SET account = '1000'
         WHERE id = (SELECT min(id) FROM voucher_lines WHERE customer IS NOT NULL)",
    ] {
        let c = Company::contoso();
        c.ok(&["run", "--date", "2026-11-30"]);
        let conn = c.conn();
        conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {DOWN_TO_SCHEMA_6}"))
            .unwrap();
        conn.execute_batch(broken).unwrap();
        drop(conn);
        let dump = c.dump();
        let err = c.fails(1, &["trial-balance"]);
        assert!(
            err.contains("cannot move the books to schema 7"),
            "{broken}: {err}"
        );
        assert_eq!(c.count("PRAGMA user_version"), 6, "{broken}");
        assert_eq!(c.dump(), dump, "{broken}: the database is left as it was");
    }
}
