//! Issue "Foundation", end to end through the real binary: `init` (and its refusals), exact
//! balances and trial balance, company-parameter errors, foreign and newer databases, and usage
//! errors. No command may panic (every invocation is checked by the helpers).

use std::path::Path;

use crate::common::{Company, company_yaml, contoso_ledger, edit, line_of};
use serde_json::{Value, json};

/// The names in a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn init_creates_the_database_and_refuses_to_overwrite_it_without_force() {
    let c = Company::uninitialised();
    assert!(!c.db.exists());
    let out = c.ok(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
    assert!(c.db.exists());
    assert_eq!(
        out.lines().nth(1),
        Some("loaded 20 customers, 6 vendors, 31 transactions, 4 settlements"),
        "{out}"
    );
    assert_eq!(c.count("SELECT count(*) FROM customers"), 20);
    assert_eq!(c.count("SELECT count(*) FROM vendors"), 6);
    assert_eq!(c.count("SELECT count(*) FROM customer_transactions"), 31);
    assert_eq!(c.count("SELECT count(*) FROM customer_settlements"), 4);
    assert_eq!(c.count("SELECT count(*) FROM reimbursements"), 0);

    // A second init, with or without a fixture, is refused and changes nothing.
    let before = c.snapshot();
    for args in [
        vec!["init"],
        vec!["init", "--fixture", contoso_ledger().to_str().unwrap()],
    ] {
        let err = c.fails(1, &args);
        assert!(err.contains("--force"), "{err}");
        assert!(err.contains("a database already exists"), "{err}");
        assert!(err.contains("company.db"), "{err}");
        c.assert_unchanged(&before, "init without --force");
    }

    // --force replaces it: an empty database now.
    let out = c.ok(&["init", "--force"]);
    assert!(out.starts_with("created "), "{out}");
    assert_eq!(c.count("SELECT count(*) FROM customers"), 0);
    assert_eq!(c.count("SELECT count(*) FROM vouchers"), 0);
    assert_eq!(
        c.json(&["balances", "--json"]),
        json!({"customers": [], "vendors": []})
    );
    assert_eq!(listing(c.dir.path()), ["company.db", "company.yaml"]);
}

const GOOD_FIXTURE: &str = "\
customers:
  - { account: C-001, name: Northwind Traders }
transactions:
  - { customer: C-001, date: 2026-10-01, type: payment, document: PAY-1, amount: -10.00 }
";

#[test]
fn init_with_a_bad_fixture_names_file_entry_and_reason_and_leaves_no_database() {
    let cases = [
        (
            edit(
                GOOD_FIXTURE,
                "customer: C-001, date",
                "customer: C-009, date",
            ),
            "transactions[0] (customer C-009): unknown customer 'C-009'",
        ),
        (
            edit(GOOD_FIXTURE, "amount: -10.00", "amount: -10.005"),
            "transactions[0] (customer C-001): -10.005 has more decimals than USD allows (2)",
        ),
        (
            edit(
                GOOD_FIXTURE,
                "amount: -10.00",
                "amount: -10.00, currency: GBP",
            ),
            "transactions[0] (customer C-001): unknown currency 'GBP'",
        ),
        (
            edit(
                GOOD_FIXTURE,
                "name: Northwind Traders",
                "name: N, currency: CHF",
            ),
            "customers[0] (C-001): unknown currency 'CHF'",
        ),
    ];
    for (fixture, reason) in cases {
        let c = Company::uninitialised();
        let file = c.write("bad.yaml", &fixture);
        let err = c.fails(1, &["init", "--fixture", file.to_str().unwrap()]);
        assert_eq!(err, format!("error: {}: {reason}\n", file.display()));
        assert!(!c.db.exists(), "a database was left behind: {reason}");
        // No temporary, WAL or shared-memory file either.
        assert_eq!(
            listing(c.dir.path()),
            ["bad.yaml", "company.yaml"],
            "{reason}"
        );
    }
}

#[test]
fn init_force_with_a_bad_fixture_keeps_the_old_database() {
    let c = Company::new(GOOD_FIXTURE);
    let before = c.snapshot();
    let bad = c.write(
        "bad.yaml",
        &edit(
            GOOD_FIXTURE,
            "customer: C-001, date",
            "customer: C-009, date",
        ),
    );
    let err = c.fails(1, &["init", "--force", "--fixture", bad.to_str().unwrap()]);
    assert!(err.contains("unknown customer 'C-009'"), "{err}");
    c.assert_unchanged(&before, "a failed init --force");
    assert_eq!(
        listing(c.dir.path()),
        ["bad.yaml", "company.db", "company.yaml", "ledger.yaml"]
    );
}

#[test]
fn init_says_that_fixture_parameter_overrides_are_not_stored() {
    let c = Company::uninitialised();
    let file = c.write(
        "ledger.yaml",
        &format!("parameters:\n  open_debits: skip\n{GOOD_FIXTURE}"),
    );
    let out = c.ok(&["init", "--fixture", file.to_str().unwrap()]);
    assert!(
        out.contains("note: the fixture's `parameters:` overrides were not stored"),
        "{out}"
    );
}

#[test]
fn balances_are_exact_decimal_strings() {
    let c = Company::contoso();
    let doc = c.json(&["balances", "--json"]);
    let customers = doc["customers"].as_array().unwrap();
    let row = |account: &str, currency: &str| -> &Value {
        customers
            .iter()
            .find(|r| r["account"] == account && r["currency"] == currency)
            .unwrap_or_else(|| panic!("{account} {currency}"))
    };
    assert_eq!(
        row("C-001", "USD"),
        &json!({"account": "C-001", "name": "Northwind Traders", "currency": "USD",
                "balance": "-50.00", "open_debit": "0.00", "open_credit": "-50.00"})
    );
    // An unpaid invoice beside a larger payment.
    assert_eq!(
        row("C-008", "USD"),
        &json!({"account": "C-008", "name": "Proseware Inc", "currency": "USD",
                "balance": "-40.00", "open_debit": "60.00", "open_credit": "-100.00"})
    );
    // Partly settled credits: 80.00 left.
    assert_eq!(row("C-007", "USD")["balance"], "-80.00");
    assert_eq!(row("C-007", "USD")["open_credit"], "-80.00");
    assert_eq!(row("C-013", "USD")["balance"], "-24.99");
    assert_eq!(row("C-019", "USD")["balance"], "-75.50");
    // Two currencies.
    assert_eq!(row("C-006", "USD")["balance"], "-40.00");
    assert_eq!(row("C-006", "EUR")["balance"], "-60.00");
    assert_eq!(row("C-015", "EUR")["balance"], "-23.50");
    // Fully settled: a zero balance, still exact.
    assert_eq!(row("C-014", "USD")["balance"], "0.00");
    assert_eq!(row("C-009", "USD")["balance"], "150.00");
    for r in customers {
        for key in ["balance", "open_debit", "open_credit"] {
            assert!(r[key].is_string(), "{key} is not a string: {r}");
        }
    }
    // No vendor has transactions yet.
    assert_eq!(doc["vendors"], json!([]));

    // --customers only shows customers.
    let only = c.json(&["balances", "--customers", "--json"]);
    assert_eq!(
        only.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["customers"]
    );
}

#[test]
fn trial_balance_totals_are_zero_per_currency() {
    let c = Company::contoso();
    let tb = c.json(&["trial-balance", "--json"]);
    assert_eq!(
        tb,
        json!({
            "accounts": [
                {"account": "1200", "name": "Receivables summary", "currency": "EUR", "balance": "-203.50"},
                {"account": "1200", "name": "Receivables summary", "currency": "USD", "balance": "-1255.49"},
                {"account": "3999", "name": "Opening balances", "currency": "EUR", "balance": "203.50"},
                {"account": "3999", "name": "Opening balances", "currency": "USD", "balance": "1255.49"},
            ],
            "totals": {"EUR": "0.00", "USD": "0.00"}
        })
    );
    // The text form shows the totals too.
    let text = c.ok(&["trial-balance"]);
    assert!(text.contains("Total"), "{text}");
}

#[test]
fn company_file_errors_name_the_file_line_and_key_path() {
    let yaml = company_yaml();

    // An unknown key.
    let bad = edit(
        &yaml,
        "  bank: \"1010\"",
        "  bank: \"1010\"\n  bnak: \"1011\"",
    );
    let c = Company::with_parameters(&bad);
    let line = line_of(&bad, "bnak:");
    let err = c.fails(1, &["balances"]);
    let prefix = format!("error: {}:{line}:3: accounts.bnak: ", c.yaml.display());
    assert!(err.starts_with(&prefix), "{err}\nexpected {prefix}");
    assert!(err.contains("unknown field `bnak`"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A negative minimum.
    let bad = edit(
        &yaml,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: -1.00",
    );
    let c = Company::with_parameters(&bad);
    let line = line_of(&bad, "minimum_reimbursement:");
    let err = c.fails(1, &["init"]);
    assert_eq!(
        err,
        format!(
            "error: {}:{line}:1: minimum_reimbursement: -1.00 must not be negative\n",
            c.yaml.display()
        )
    );
    assert!(
        !c.db.exists(),
        "init with bad parameters created a database"
    );

    // An unknown key at the top level, and a mistyped value.
    let bad = format!("{yaml}colour: blue\n");
    let c = Company::with_parameters(&bad);
    let err = c.fails(1, &["balances"]);
    assert!(
        err.starts_with(&format!(
            "error: {}:{}:",
            c.yaml.display(),
            line_of(&bad, "colour:")
        )),
        "{err}"
    );
    assert!(err.contains("unknown field `colour`"), "{err}");
    let bad = edit(
        &yaml,
        "minimum_reimbursement: 25.00",
        "minimum_reimbursement: lots",
    );
    let c = Company::with_parameters(&bad);
    let err = c.fails(1, &["balances"]);
    assert!(
        err.starts_with(&format!(
            "error: {}:{}:",
            c.yaml.display(),
            line_of(&bad, "minimum_reimbursement:")
        )),
        "{err}"
    );
    assert!(err.contains("minimum_reimbursement"), "{err}");
}

#[test]
fn a_missing_company_file_is_an_error() {
    let c = Company::uninitialised();
    let missing = c.path("nowhere.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&missing)
        .arg("balances")
        .output()
        .unwrap();
    let err = crate::common::no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "error: {}: cannot read the company parameters",
            missing.display()
        )),
        "{err}"
    );
}

#[test]
fn a_missing_database_says_to_run_init() {
    let c = Company::uninitialised();
    for args in [
        vec!["balances"],
        vec!["trial-balance", "--json"],
        vec!["run", "--json", "--date", "2026-11-30"],
        vec!["reimbursements"],
        vec!["pay", "--json"],
        vec!["runs"],
    ] {
        let err = c.fails(1, &args);
        assert!(err.contains("no company database here"), "{args:?}: {err}");
        assert!(err.contains("reimburse init"), "{args:?}: {err}");
        assert!(!c.db.exists(), "{args:?} created a database");
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let c = Company::uninitialised();
    let garbage = "this is not a database, just some text\n".repeat(200);
    std::fs::write(&c.db, &garbage).unwrap();
    for args in [
        vec!["balances", "--json"],
        vec!["trial-balance"],
        vec!["run", "--date", "2026-11-30"],
    ] {
        let err = c.fails(1, &args);
        assert!(
            err.contains("not a reimburse company database"),
            "{args:?}: {err}"
        );
        assert!(err.contains("company.db"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(&c.db).unwrap(), garbage);
    assert_eq!(listing(c.dir.path()), ["company.db", "company.yaml"]);
}

#[test]
fn an_sqlite_file_of_another_application_is_refused() {
    let c = Company::uninitialised();
    let conn = rusqlite::Connection::open(&c.db).unwrap();
    conn.execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES (1);")
        .unwrap();
    drop(conn);
    let err = c.fails(1, &["balances"]);
    assert!(err.contains("not a reimburse company database"), "{err}");
    assert!(err.contains("another application"), "{err}");
    assert_eq!(c.count("SELECT count(*) FROM notes"), 1);
}

#[test]
fn a_database_from_a_newer_schema_is_refused() {
    let c = Company::contoso();
    let version = c.count("PRAGMA user_version");
    assert!(version >= 1);
    c.conn()
        .execute_batch(&format!("PRAGMA user_version = {}", version + 1))
        .unwrap();
    let before = c.snapshot();
    for args in [
        vec!["balances", "--json"],
        vec!["run", "--json", "--date", "2026-11-30"],
    ] {
        let err = c.fails(1, &args);
        assert_eq!(
            err,
            format!(
                "error: {}: the database has schema version {}, newer than this build knows ({version}); upgrade reimburse\n",
                c.db.display(),
                version + 1
            ),
            "{args:?}"
        );
    }
    c.assert_unchanged(&before, "opening a newer database");
}

#[test]
fn conflicting_selections_are_usage_errors() {
    let c = Company::contoso();
    let before = c.snapshot();
    for args in [
        vec!["run", "--customers", "C-001", "--where", "true"],
        vec!["run", "--customers", "C-001", "--groups", "RETAIL"],
        vec!["run", "--groups", "RETAIL", "--where", "true"],
    ] {
        let err = c.fails(2, &args);
        assert!(err.contains("cannot be used with"), "{args:?}: {err}");
    }
    let err = c.fails(2, &["reimbursements", "--json", "--csv"]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = c.fails(2, &["reimbursements", "--status", "unpaid"]);
    assert!(err.contains("unpaid"), "{err}");
    let err = c.fails(2, &["run", "--date", "30/11/2026"]);
    assert!(err.contains("--date"), "{err}");
    c.assert_unchanged(&before, "usage errors");
}
