//! `reimburse import` and the audit trail of master-data changes, driven through the binary as a
//! user would: the demo's next month, repeated imports, a generated company imported from CSV
//! against the same company loaded directly, every kind of bad input (message, exit code 1 and
//! the database byte for byte as it was), and changes made by scripts.

use crate::common::{Company, root};
use serde_json::Value;

fn next_month(name: &str) -> String {
    root()
        .join("examples/contoso/next-month")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn demo_files() -> Vec<String> {
    vec![
        "--customers".into(),
        next_month("customers.csv"),
        "--vendors".into(),
        next_month("vendors.csv"),
        "--transactions".into(),
        next_month("transactions.csv"),
    ]
}

fn import_json(c: &Company, files: &[String]) -> Value {
    let mut args = vec!["import", "--json"];
    args.extend(files.iter().map(String::as_str));
    c.json(&args)
}

fn counts(report: &Value, kind: &str) -> (u64, u64, u64) {
    let k = &report[kind];
    (
        k["new"].as_u64().unwrap(),
        k["changed"].as_u64().unwrap(),
        k["unchanged"].as_u64().unwrap(),
    )
}

#[test]
fn the_demo_month_imports_once_and_a_second_time_changes_nothing() {
    let c = Company::contoso();
    let report = import_json(&c, &demo_files());
    assert_eq!(counts(&report, "customers"), (2, 2, 0));
    assert_eq!(counts(&report, "vendors"), (0, 1, 0));
    assert_eq!(counts(&report, "transactions"), (5, 0, 0));
    assert_eq!(report["settlements"], 1);
    assert_eq!(report["run"], 1);
    // C-021's invoice of 400.00 is settled by its payment of 460.00: 60.00 of credit is left.
    assert_eq!(c.customer_balance("C-021", "USD"), "-60.00");
    assert_eq!(c.customer_balance("C-022", "EUR"), "-310.50");
    assert_eq!(
        c.query("SELECT open_minor FROM customer_transactions WHERE document = 'INV-1021'"),
        [["0"]]
    );
    assert_eq!(
        c.query("SELECT payment_hold, iban, bic FROM customers WHERE account = 'C-017' OR account = 'C-022' ORDER BY account"),
        [
            ["1", "NULL", "NULL"],
            ["0", "DE44500105175407324931", "INGDDEFFXXX"]
        ]
    );
    // One voucher a transaction, numbered on from the fixture's 31 without a gap.
    assert_eq!(
        c.query("SELECT min(number), max(number), count(*) FROM vouchers WHERE run_id = 1"),
        [["OPN-000032", "OPN-000036", "5"]]
    );
    assert_eq!(
        c.query("SELECT next FROM number_sequences WHERE name = 'opening'"),
        [["37"]]
    );
    let tb = c.json(&["trial-balance", "--json"]);
    assert_eq!(tb["totals"]["USD"], "0.00", "{tb}");
    assert_eq!(tb["totals"]["EUR"], "0.00", "{tb}");

    let before = c.snapshot();
    let again = import_json(&c, &demo_files());
    assert_eq!(counts(&again, "customers"), (0, 0, 4));
    assert_eq!(counts(&again, "vendors"), (0, 0, 1));
    assert_eq!(counts(&again, "transactions"), (0, 0, 5));
    assert_eq!(again["run"], Value::Null);
    c.assert_unchanged(&before, "a second import of the same files");
    let text = c.ok(&["import", "--customers", &next_month("customers.csv")]);
    assert!(
        text.contains("nothing changed: the database is as it was"),
        "{text}"
    );
}

#[test]
fn the_trail_says_who_changed_which_field_from_where() {
    let c = Company::contoso();
    import_json(&c, &demo_files());
    let doc = c.json(&["changes", "--customer", "C-002", "--json"]);
    let changes = doc["changes"].as_array().unwrap();
    let address = changes
        .iter()
        .find(|ch| ch["field"] == "address")
        .expect("the address change");
    assert_eq!(address["old_value"], "22 Summit Way, Denver");
    assert_eq!(address["new_value"], "40 Powder Lane, Aspen");
    assert_eq!(address["line"], 2);
    assert_eq!(address["run"], 1);
    assert!(
        address["source"]
            .as_str()
            .unwrap()
            .ends_with("next-month/customers.csv"),
        "{address}"
    );
    assert!(!address["user"].as_str().unwrap().is_empty());
    let runs = c.json(&["runs", "--json"]);
    assert_eq!(runs["runs"][0]["kind"], "import", "{runs}");
}

#[test]
fn a_one_time_vendor_takes_its_customers_bank_details() {
    let c = Company::contoso();
    import_json(&c, &demo_files());
    let run = c.run_json(&[]);
    let rows = run["reimbursements"].as_array().unwrap();
    let c022 = rows
        .iter()
        .find(|r| r["customer"] == "C-022")
        .expect("C-022 reimbursed");
    assert_eq!(c022["amount"], "310.50");
    assert_eq!(
        c.query("SELECT iban, bic FROM vendors WHERE created_for = 'C-022'"),
        [["DE44500105175407324931", "INGDDEFFXXX"]]
    );
    let c021 = rows
        .iter()
        .find(|r| r["customer"] == "C-021")
        .expect("C-021 reimbursed");
    assert_eq!(c021["amount"], "60.00");
    let balances = c.json(&["balances", "--json", "--customers"]);
    let row = balances["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account"] == "C-022")
        .expect("C-022's balance");
    assert_eq!(row["iban"], "DE44500105175407324931");
    let show = c.write("show.rhai", "print(customer(\"C-022\").iban);");
    assert_eq!(
        c.ok(&["script", show.to_str().unwrap()]),
        "DE44500105175407324931\n"
    );
}

#[test]
fn semicolons_a_byte_order_mark_and_a_dry_run() {
    let c = Company::contoso();
    let file = c.path("new.csv");
    std::fs::write(
        &file,
        b"\xEF\xBB\xBFaccount;name;currency;payment_hold\r\nC-100;\"Dupont; Fils\";EUR;oui\r\n",
    )
    .unwrap();
    let err = c.fails(1, &["import", "--customers", file.to_str().unwrap()]);
    assert!(
        err.contains("new.csv:2: payment_hold: 'oui' is not true/false, yes/no or 1/0"),
        "{err}"
    );
    std::fs::write(
        &file,
        b"\xEF\xBB\xBFaccount;name;currency;payment_hold\r\nC-100;\"Dupont; Fils\";EUR;yes\r\n",
    )
    .unwrap();
    let before = c.snapshot();
    let dry = c.json(&[
        "import",
        "--dry-run",
        "--json",
        "--customers",
        file.to_str().unwrap(),
    ]);
    assert_eq!(counts(&dry, "customers"), (1, 0, 0));
    assert_eq!(dry["dry_run"], true);
    c.assert_unchanged(&before, "a dry run");
    c.ok(&["import", "--customers", file.to_str().unwrap()]);
    assert_eq!(
        c.query("SELECT name, currency, payment_hold FROM customers WHERE account = 'C-100'"),
        [["Dupont; Fils", "EUR", "1"]]
    );
}

#[test]
fn a_column_left_out_keeps_the_stored_value_an_empty_cell_clears_it() {
    let c = Company::contoso();
    let file = c.write(
        "c.csv",
        "account,name,currency,address\nC-001,Northwind Traders,USD,\n",
    );
    c.ok(&["import", "--customers", file.to_str().unwrap()]);
    // The address is cleared; the vendor account and group, not in the file, stay.
    assert_eq!(
        c.query(
            "SELECT address, vendor_account, customer_group FROM customers WHERE account = 'C-001'"
        ),
        [["NULL", "V-100", "RETAIL"]]
    );
}

#[test]
fn a_fixture_yaml_file_imports_its_sections() {
    let c = Company::contoso();
    let file = c.write(
        "more.yaml",
        "customers:\n  - { account: C-200, name: Yaml Ltd, currency: USD, iban: 'FR14 2004 1010 0505 0001 3M02 606' }\n\
         transactions:\n  - { customer: C-200, date: 2026-11-01, type: payment, document: P-200, amount: -75.10 }\n",
    );
    let path = file.to_str().unwrap();
    let report = c.json(&[
        "import",
        "--json",
        "--customers",
        path,
        "--transactions",
        path,
    ]);
    assert_eq!(counts(&report, "customers"), (1, 0, 0));
    assert_eq!(counts(&report, "transactions"), (1, 0, 0));
    assert_eq!(c.customer_balance("C-200", "USD"), "-75.10");
    // A whole fixture ledger gives its customers and vendors; its settlements would be lost
    // beside its transactions, so those are refused.
    let ledger = crate::common::contoso_ledger();
    let ledger = ledger.to_str().unwrap();
    let same = c.json(&[
        "import",
        "--json",
        "--customers",
        ledger,
        "--vendors",
        ledger,
    ]);
    assert_eq!(counts(&same, "customers"), (0, 0, 20));
    assert_eq!(counts(&same, "vendors"), (0, 0, 6));
    let err = refused(&c, &["--transactions", ledger]);
    assert!(err.contains("settle with `applies_to`"), "{err}");
}

/// Imports files that must be refused: exit code 1, every problem on standard error, nothing
/// written. Returns standard error.
fn refused(c: &Company, args: &[&str]) -> String {
    let before = c.snapshot();
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let err = c.fails(1, &all);
    c.assert_unchanged(&before, &format!("a refused import {args:?}"));
    assert!(err.contains("nothing was written"), "{err}");
    err
}

fn transactions(c: &Company, rows: &str) -> String {
    let file = c.write(
        "t.csv",
        &format!("customer,date,type,document,amount,currency,applies_to\n{rows}"),
    );
    refused(c, &["--transactions", file.to_str().unwrap()])
}

#[test]
fn bad_transactions_are_each_named_and_nothing_is_written() {
    let c = Company::contoso();
    let cases = [
        (
            "C-001,2026-11-01,invoice,,10.00,,\n",
            "t.csv:2: document: required, but empty",
        ),
        (
            "C-001,2026-11-01,invoice,X1,10.001,,\n",
            "t.csv:2: amount: 10.001 has more decimals than USD allows (2)",
        ),
        (
            "C-001,2026-11-01,invoice,X1,ten,,\n",
            "t.csv:2: amount: 'ten' is not an amount",
        ),
        (
            "C-001,2026-11-01,invoice,X1,\"1,50\",,\n",
            "t.csv:2: amount: '1,50' is not an amount (write the decimal point as `.`",
        ),
        (
            "C-001,2026-11-01,invoice,X1,0.00,,\n",
            "t.csv:2: amount: must not be zero",
        ),
        (
            "C-001,2026-11-01,invoice,X1,10.00,JPY,\n",
            "t.csv:2: currency: unknown currency 'JPY' (the company's: EUR, USD)",
        ),
        (
            "C-001,2026-02-30,invoice,X1,10.00,,\n",
            "t.csv:2: date: 2026-02-30 is not a date that exists",
        ),
        (
            "C-404,2026-11-01,invoice,X1,10.00,,\n",
            "t.csv:2: customer: customer 'C-404' is neither in the database nor in this import",
        ),
        (
            "C-001,2026-11-01,invoice,X1,10.00,,\nC-001,2026-11-01,invoice,X1,12.00,,\n",
            "t.csv:3: document: the same document X1 of customer C-001 is earlier in this import with amount 10.00 (this row: 12.00)",
        ),
        (
            "C-001,2026-11-01,payment,X1,-10.00,,INV-1001\n",
            "t.csv:2: applies_to: 'INV-1001' has nothing open to settle",
        ),
        (
            "C-008,2026-11-01,payment,X1,-10.00,EUR,INV-1008\n",
            "t.csv:2: applies_to: 'INV-1008' is in USD, this transaction in EUR",
        ),
        (
            "C-008,2026-11-01,payment,X1,-10.00,,X1\n",
            "t.csv:2: applies_to: a transaction cannot settle itself",
        ),
        (
            "C-008,2026-11-01,payment,X1,-10.00,,NOPE\n",
            "t.csv:2: applies_to: customer C-008 has no transaction with document 'NOPE'",
        ),
        (
            "C-001,2026-11-01,invoice,INV-1001,120.00,,\n",
            "t.csv:2: document: customer C-001 already has document INV-1001 (voucher OPN-000001) with amount 100.00 (this row: 120.00), date 2026-10-01 (this row: 2026-11-01); a posted transaction is never changed",
        ),
        (
            "C-001,2026-11-01,invoice,X1,-10.00,,\n",
            "t.csv:2: amount: invoice X1 must be positive (debit +, credit −), not -10.00",
        ),
    ];
    for (rows, expected) in cases {
        let err = transactions(&c, rows);
        assert!(
            err.contains(expected),
            "{rows}: expected {expected:?} in:\n{err}"
        );
    }
}

#[test]
fn every_bad_row_is_listed_at_once() {
    let c = Company::contoso();
    let err = transactions(
        &c,
        "C-001,2026-02-30,invoice,X1,10.00,,\nC-404,2026-11-01,invoice,X2,1,,\nC-001,2026-11-01,invoice,X3,zero,,\n",
    );
    assert!(err.contains("t.csv:2: date"), "{err}");
    assert!(err.contains("t.csv:3: customer"), "{err}");
    assert!(err.contains("t.csv:4: amount"), "{err}");
    assert!(
        err.contains("import refused: 3 problem(s) found; nothing was written"),
        "{err}"
    );
}

#[test]
fn bad_customer_and_vendor_files_are_refused() {
    let c = Company::contoso();
    let customers = |text: &str| {
        let file = c.write("c.csv", text);
        refused(&c, &["--customers", file.to_str().unwrap()])
    };
    let err = customers("account,name,currency,colour\nC-9,Nine,USD,blue\n");
    assert!(
        err.contains("c.csv:1: colour: unknown column for customers"),
        "{err}"
    );
    let err = customers("account,name,currency\nC-9,,USD\n");
    assert!(err.contains("c.csv:2: name: required, but empty"), "{err}");
    let err = customers("account,name,currency,iban\nC-9,Nine,USD,DE44500105175407324932\n");
    assert!(
        err.contains("c.csv:2: iban: 'DE44500105175407324932' is not a valid IBAN"),
        "{err}"
    );
    let err = customers("account,name,currency,bic\nC-9,Nine,USD,DEUT-DEFF\n");
    assert!(
        err.contains("c.csv:2: bic: 'DEUT-DEFF' is not a valid BIC"),
        "{err}"
    );
    let err = customers("account,name,currency\nC-9,\"Nine,USD\nC-10,Ten,USD\n");
    assert!(
        err.contains("c.csv:2: 2 fields where the header has 3"),
        "{err}"
    );
    let file = c.path("c.csv");
    std::fs::write(&file, b"account,name,currency\nC-9,Caf\xE9,USD\n").unwrap();
    let err = refused(&c, &["--customers", file.to_str().unwrap()]);
    assert!(
        err.contains("c.csv:2: name: bytes that are not UTF-8"),
        "{err}"
    );
    let err = customers("account,name,currency\nC-9,Nine,USD\nC-9,Nine Ltd,USD\n");
    assert!(
        err.contains(
            "c.csv:3: account: the same customer C-9 is earlier in this import (line 2) with other values"
        ),
        "{err}"
    );
    let vendors = c.write(
        "v.csv",
        "account,name,currency,blocked\nV-9,Nine,USD,maybe\n",
    );
    let err = refused(&c, &["--vendors", vendors.to_str().unwrap()]);
    assert!(
        err.contains("v.csv:2: blocked: 'maybe' is not true/false"),
        "{err}"
    );
}

#[test]
fn a_vendor_account_naming_no_vendor_is_a_warning() {
    let c = Company::contoso();
    let file = c.write(
        "c.csv",
        "account,name,currency,vendor_account\nC-9,Nine,USD,V-999\n",
    );
    let out = c.ok(&["import", "--customers", file.to_str().unwrap()]);
    assert!(
        out.contains("warning: ")
            && out.contains("c.csv:2: vendor_account: vendor 'V-999' does not exist (yet)"),
        "{out}"
    );
    assert_eq!(
        c.query("SELECT vendor_account FROM customers WHERE account = 'C-9'"),
        [["V-999"]]
    );
}

#[test]
fn a_generated_company_imported_from_csv_runs_as_the_same_company_loaded_directly() {
    let direct = Company::uninitialised();
    let out = direct.path("synthetic");
    direct.ok(&[
        "generate",
        "--customers",
        "400",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--csv",
    ]);
    let generated = Company {
        dir: tempfile::tempdir().unwrap(),
        yaml: out.join("company.yaml"),
        db: out.join("company.db"),
    };
    // The same parameters, an empty database, and the generated company's CSV files.
    let imported =
        Company::with_parameters(&std::fs::read_to_string(out.join("company.yaml")).unwrap());
    std::fs::create_dir_all(imported.path("rules")).unwrap();
    std::fs::copy(
        out.join("rules/reimburse.rhai"),
        imported.path("rules/reimburse.rhai"),
    )
    .unwrap();
    imported.ok(&["init"]);
    let csv = |name: &str| out.join(name).to_string_lossy().into_owned();
    let report = import_json(
        &imported,
        &[
            "--customers".into(),
            csv("customers.csv"),
            "--vendors".into(),
            csv("vendors.csv"),
            "--transactions".into(),
            csv("transactions.csv"),
        ],
    );
    assert_eq!(counts(&report, "customers"), (400, 0, 0));
    let balances = |c: &Company| c.json(&["balances", "--json"]);
    assert_eq!(balances(&generated), balances(&imported));
    let made = |c: &Company| -> Vec<(String, String, String, String)> {
        let run = c.run_json(&[]);
        run["reimbursements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let field = |k: &str| r[k].as_str().unwrap_or_default().to_string();
                (
                    field("customer"),
                    field("vendor"),
                    field("currency"),
                    field("amount"),
                )
            })
            .collect()
    };
    let (a, b) = (made(&generated), made(&imported));
    assert!(a.len() > 100, "{}", a.len());
    assert_eq!(a, b);
}

#[test]
fn scripts_change_master_data_through_the_same_checks_and_trail() {
    let c = Company::contoso();
    let script = c.write(
        "fix.rhai",
        r#"
        create_customer(#{ account: "C-300", name: "Scripted", currency: "EUR", iban: "DE89 3704 0044 0532 0130 00" });
        update_customer("C-001", #{ address: "2 Harbour Rd, Seattle", payment_hold: true });
        update_vendor("V-200", #{ blocked: false });
        link_vendor("C-002", "V-100");
        "#,
    );
    c.ok(&["script", script.to_str().unwrap()]);
    assert_eq!(
        c.query("SELECT iban FROM customers WHERE account = 'C-300'"),
        [["DE89370400440532013000"]]
    );
    let doc = c.json(&["changes", "--json"]);
    let rows: Vec<(String, String, String)> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"].as_str().unwrap().starts_with("script "))
        .map(|r| {
            (
                r["account"].as_str().unwrap().to_string(),
                r["field"].as_str().unwrap_or("(created)").to_string(),
                r["new_value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("C-300".into(), "(created)".into(), "".into()),
            ("C-001".into(), "payment_hold".into(), "true".into()),
            (
                "C-001".into(),
                "address".into(),
                "2 Harbour Rd, Seattle".into()
            ),
            ("V-200".into(), "blocked".into(), "false".into()),
            ("C-002".into(), "vendor_account".into(), "V-100".into()),
        ]
    );
    // The script posted nothing, yet it is in the audit trail of runs, and its changes name it.
    let runs = c.json(&["runs", "--json"]);
    assert_eq!(runs["runs"][0]["kind"], "script", "{runs}");
    let run = &runs["runs"][0]["id"];
    let changes = doc["changes"].as_array().unwrap();
    assert!(changes.iter().any(|r| r["run"] == *run), "{doc}");
    let bad = c.write(
        "bad.rhai",
        r#"update_customer("C-001", #{ iban: "DE00 1234" });"#,
    );
    let before = c.snapshot();
    let err = c.fails(1, &["script", bad.to_str().unwrap()]);
    assert!(err.contains("is not a valid IBAN"), "{err}");
    c.assert_unchanged(&before, "a script refused");
}

#[test]
fn a_hook_may_not_change_master_data() {
    let c = Company::contoso();
    let rules = c.rules(
        "r.rhai",
        "fn post_reimbursement(customer, credit, vendor) {",
        "fn post_reimbursement(customer, credit, vendor) {\n    update_customer(customer.account, #{ tax_id: \"X\" });",
    );
    let err = c.broken_run(&rules);
    assert!(
        err.contains("must not create or change customers or vendors"),
        "{err}"
    );
}

#[test]
fn a_transaction_of_a_refused_customer_says_why_its_customer_is_missing() {
    let c = Company::contoso();
    let customers = c.write("c.csv", "account,name,currency\nC-9,Nine,XYZ\n");
    let transactions = c.write(
        "t.csv",
        "customer,date,type,document,amount\nC-9,2026-11-01,payment,P-9,-10.00\n",
    );
    let err = refused(
        &c,
        &[
            "--customers",
            customers.to_str().unwrap(),
            "--transactions",
            transactions.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains("c.csv:2: currency: unknown currency 'XYZ'"),
        "{err}"
    );
    assert!(
        err.contains("t.csv:2: customer: customer 'C-9' is not imported: its row (line or entry 2) has problems"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_regular_file_is_refused_without_waiting() {
    let c = Company::contoso();
    let fifo = c.path("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let err = refused(&c, &["--customers", fifo.to_str().unwrap()]);
    assert!(err.contains("pipe.csv: not a regular file"), "{err}");
    let missing = c.path("missing.csv");
    let err = refused(&c, &["--transactions", missing.to_str().unwrap()]);
    assert!(err.contains("missing.csv: cannot read"), "{err}");
}

#[test]
fn the_readme_month_imported_again_after_runs_changes_nothing() {
    // The README's order: the quick start's run, the import, a run, the same files again.
    let c = Company::contoso();
    c.run_json(&[]);
    import_json(&c, &demo_files());
    c.run_json(&[]);
    let before = c.snapshot();
    let again = import_json(&c, &demo_files());
    assert_eq!(counts(&again, "customers"), (0, 0, 4));
    c.assert_unchanged(&before, "the month's files again after two runs");
    // The links the runs made to one-time vendors are kept.
    assert_eq!(
        c.query("SELECT vendor_account LIKE 'OTV-%' FROM customers WHERE account IN ('C-002', 'C-021', 'C-022') ORDER BY account"),
        [["1"], ["1"], ["1"]]
    );
}

#[test]
fn dates_and_amounts_say_which_rule_they_break() {
    let c = Company::contoso();
    let err = transactions(
        &c,
        "C-001,2026-2-3,invoice,X1,10.00,,\nC-001,2026-11-01,invoice,X2,99999999999999999999.00,,\n",
    );
    assert!(
        err.contains("t.csv:2: date: '2026-2-3' is not a date written YYYY-MM-DD"),
        "{err}"
    );
    assert!(
        err.contains("t.csv:3: amount: 99999999999999999999.00 USD is too large"),
        "{err}"
    );
    let file = c.write(
        "c.csv",
        "account,name,currency,iban\nC-9,Nine,USD,DE44500105175407324932\n",
    );
    let err = refused(&c, &["--customers", file.to_str().unwrap()]);
    assert!(err.contains("its check digits do not match"), "{err}");
}

#[test]
fn a_refused_import_with_json_lists_its_problems_as_json() {
    let c = Company::contoso();
    let file = c.write(
        "c.csv",
        "account,name,currency\nC-9,,USD\nC-001,Northwind Traders,EUR\n",
    );
    let out = c.run(&["import", "--json", "--customers", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    assert_eq!(doc["refused"], true);
    let problem = &doc["problems"]["listed"][0];
    assert_eq!(problem["column"], "name");
    assert_eq!(problem["place"]["line"], 2);
    assert_eq!(problem["message"], "required, but empty");
    // Alone, the currency change is imported, with a warning.
    let file = c.write(
        "c.csv",
        "account,name,currency\nC-001,Northwind Traders,EUR\n",
    );
    let report = c.json(&["import", "--json", "--customers", file.to_str().unwrap()]);
    let warning = report["warnings"][0]["message"].as_str().unwrap();
    assert!(
        warning.starts_with("the customer's currency changes from USD to EUR"),
        "{warning}"
    );
}
