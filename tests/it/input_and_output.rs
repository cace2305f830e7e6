//! Issue 17, "numbers, dates and text in range; output that cannot be turned against its
//! reader": dates between 1900 and 9999 in every input, decimals never rounded silently, text
//! limits at the ledger's door, formulas neutralised in CSV reports, control characters shown
//! escaped in every human-readable output, and a YAML null name refused.

use crate::common::{Company, run_with_stdin};

/// One customer with a 50.00 credit and a vendor to reimburse it to.
const LEDGER: &str = "\
customers:
  - { account: C-001, name: Northwind Traders, currency: USD, vendor_account: V-100 }
vendors:
  - { account: V-100, name: Northwind Traders, currency: USD }
transactions:
  - { customer: C-001, date: 2026-10-01, type: invoice, document: INV-1, amount: 100.00 }
  - { customer: C-001, date: 2026-10-05, type: payment, document: PAY-1, amount: -150.00 }
";

/// `init --fixture` of `fixture` must fail with exactly `message` (after `error: ` and the
/// fixture's path) and leave no database.
fn init_refused(fixture: &str, message: &str) {
    let c = Company::uninitialised();
    let file = c.write("ledger.yaml", fixture);
    let err = c.fails(1, &["init", "--fixture", file.to_str().unwrap()]);
    assert_eq!(err, format!("error: {}{message}\n", file.display()));
    assert!(!c.db.exists(), "a refused fixture left a database");
}

/// Runs `reimburse script` with `text`: it must fail with one line, `error: FILE:POSITION:
/// MESSAGE (nothing was written)`, and leave the database unchanged.
fn script_refused(c: &Company, text: &str, position: &str, message: &str) {
    script_fails(
        c,
        text,
        position,
        &format!("{message} (nothing was written)"),
    );
}

/// Runs `reimburse script` with `text`: it must fail with the one line `error: FILE:POSITION:
/// MESSAGE` and leave the database unchanged.
fn script_fails(c: &Company, text: &str, position: &str, message: &str) {
    let file = c.write("s.rhai", text);
    let before = c.snapshot();
    let err = c.fails(1, &["script", file.to_str().unwrap()]);
    c.assert_unchanged(&before, "a refused script");
    assert_eq!(
        err,
        format!("error: {}:{position}: {message}\n", file.display())
    );
}

// ----- item 9: dates in range, compared as dates -----

#[test]
fn a_fixture_date_outside_1900_to_9999_is_refused() {
    init_refused(
        &LEDGER.replace("date: 2026-10-05", "date: +10000-01-01"),
        ":7:30: transactions[1].date: '+10000-01-01' is not a date written YYYY-MM-DD",
    );
    init_refused(
        &LEDGER.replace("date: 2026-10-05", "date: 1899-12-31"),
        ":7:30: transactions[1].date: 1899-12-31 is outside the years 1900 to 9999",
    );
    init_refused(
        &LEDGER.replace("date: 2026-10-05", "date: 2026-1-5"),
        ":7:30: transactions[1].date: '2026-1-5' is not a date written YYYY-MM-DD",
    );
}

#[test]
fn a_script_date_outside_1900_to_9999_is_refused() {
    let c = Company::new(LEDGER);
    // Dated in the year 10000, the invoice sorted before 2026 as text: a settlement dated
    // 2026 passed as "not before" it.
    script_refused(
        &c,
        "post_vendor_invoice(#{customer: \"C-001\", vendor: \"V-100\", currency: \"USD\", \
         amount: 1.00, description: \"x\", date: \"+10000-01-01\"});\n",
        "1:1",
        "post_vendor_invoice: 'date': '+10000-01-01' is not a date written YYYY-MM-DD",
    );
    script_refused(
        &c,
        "post_voucher(#{sequence: \"payment\", description: \"x\", date: \"1899-12-31\", \
         lines: [#{customer: \"C-001\", currency: \"USD\", amount: 1.00}, \
         #{account: \"1000\", currency: \"USD\", amount: -1.00}]});\n",
        "1:1",
        "post_voucher: 'date': 1899-12-31 is outside the years 1900 to 9999",
    );
}

#[test]
fn a_command_line_date_outside_1900_to_9999_is_refused() {
    let c = Company::new(LEDGER);
    for (args, flag, value, reason) in [
        (
            vec!["run", "--date", "1899-12-31"],
            "--date <DATE>",
            "1899-12-31",
            "1899-12-31 is outside the years 1900 to 9999",
        ),
        (
            vec!["pay", "--date", "+10000-01-01"],
            "--date <DATE>",
            "+10000-01-01",
            "'+10000-01-01' is not a date written YYYY-MM-DD",
        ),
        (
            vec!["export", "--to", "10000-01-01"],
            "--to <TO>",
            "10000-01-01",
            "'10000-01-01' is not a date written YYYY-MM-DD",
        ),
    ] {
        let err = c.fails(2, &args);
        assert!(
            err.contains(&format!(
                "invalid value '{value}' for '{flag}': expected a date as YYYY-MM-DD, e.g. 2026-11-30 ({reason})"
            )),
            "{args:?}: {err}"
        );
    }
    assert_eq!(c.count("SELECT count(*) FROM runs"), 0);
}

// ----- item 10: no decimal rounded silently -----

#[test]
fn a_decimal_literal_with_more_digits_than_a_decimal_holds_is_an_error() {
    let c = Company::new(LEDGER);
    // A syntax error: the script never ran.
    script_fails(
        &c,
        "let credit = 10.0000000000000000000000000004;\nprint(credit);\n",
        "1:14",
        "syntax error: '10.0000000000000000000000000004' has more digits than a decimal number \
         can hold exactly (at most 28): it would be rounded",
    );
    script_refused(
        &c,
        "let x = 1;\nlet credit = parse_decimal(\"10.0000000000000000000000000004\");\n",
        "2:14",
        "'10.0000000000000000000000000004' has more digits than a decimal number can hold \
         exactly (at most 28)",
    );
    // What fits is read exactly, in both forms.
    let file = c.write(
        "ok.rhai",
        "print(10.000000000000000000000000004);\nprint(parse_decimal(\"1.5e-3\"));\n",
    );
    assert_eq!(
        c.ok(&["script", file.to_str().unwrap()]),
        "10.000000000000000000000000004\n0.0015\n"
    );
}

#[test]
fn a_parameter_with_more_digits_than_a_decimal_holds_is_refused_not_rounded() {
    // In scientific notation, the rate was rounded to 28 digits without a word.
    let yaml = crate::common::edit(
        &crate::common::company_yaml(),
        "EUR: 1.0850",
        "EUR: 1.08500000000000000000000000001e0",
    );
    let c = Company::with_parameters(&yaml);
    let err = c.fails(1, &["init"]);
    assert!(
        err.contains(
            "'1.08500000000000000000000000001e0' has more digits than a decimal number can \
             hold exactly (at most 28)"
        ),
        "{err}"
    );
}

// ----- item 14: CSV reports cannot be turned into formulas -----

#[test]
fn the_reimbursements_csv_neutralises_formulas_and_quotes_a_bare_carriage_return() {
    let ledger = LEDGER
        .replace("C-001", "'=HYPERLINK(\"http://x\")'")
        .replace("V-100", "'@SUM(A1)'");
    let ledger = ledger.replacen("name: Northwind Traders", "name: '+Northwind'", 1);
    let c = Company::new(&ledger);
    c.run_json(&[]);
    // A row whose vendor invoice holds a bare CR (written by hand into the database: the ledger
    // refuses control characters) must not split.
    c.conn()
        .execute(
            "UPDATE reimbursements SET vendor_invoice = 'VI-1' || char(13) || '=2+5'",
            [],
        )
        .unwrap();
    let csv = c.ok(&["reimbursements", "--csv"]);
    let lines: Vec<&str> = csv.split('\n').collect();
    assert_eq!(lines.len(), 3, "{csv:?}");
    assert_eq!(
        lines[0],
        "id,run,date,customer,vendor,one_time_vendor,currency,amount,voucher,vendor_invoice,status,payment_voucher,paid_date,hold_reason,last_decision,decided_by,decided_at"
    );
    let row = lines[1];
    assert!(
        row.starts_with(
            "1,1,2026-11-30,\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(A1),false,USD,50.00,RMB-"
        ),
        "{row}"
    );
    assert!(row.contains(",\"VI-1\r=2+5\",open,,"), "{row:?}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let record = reader.records().next().unwrap().unwrap();
    assert_eq!(&record[3], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&record[7], "50.00");
    assert_eq!(&record[9], "VI-1\r=2+5");
}

// ----- item 15: control characters shown escaped -----

/// The Contoso-like ledger with C-001's name holding an OSC title sequence, a bell, a carriage
/// return and a line break, written by hand into the database (the ledger refuses them).
fn hostile_name() -> Company {
    let c = Company::new(LEDGER);
    // Run first: the rules put the name into the voucher's description, which the ledger would
    // refuse.
    c.run_json(&[]);
    c.conn()
        .execute(
            "UPDATE customers SET name = 'North' || char(27) || ']0;pwned' || char(7) \
             || char(13) || 'C-999' || char(10) || 'wind' WHERE account = 'C-001'",
            [],
        )
        .unwrap();
    c
}

const SHOWN: &str = "North\\u{1b}]0;pwned\\u{7}\\rC-999\\nwind";

fn assert_no_control(what: &str, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{7}'),
        "{what} printed a control character: {text:?}"
    );
}

#[test]
fn tables_show_control_characters_escaped() {
    let c = hostile_name();
    let balances = c.ok(&["balances", "--customers"]);
    assert_no_control("balances", &balances);
    assert!(balances.contains(SHOWN), "{balances}");
    // JSON is escaped by serde_json already, and keeps the name as it is.
    let doc = c.json(&["balances", "--json"]);
    assert_eq!(
        doc["customers"][0]["name"],
        "North\u{1b}]0;pwned\u{7}\rC-999\nwind"
    );
    // The run's, the reimbursements' and the trial balance's tables, and an account name of the
    // general ledger.
    c.conn()
        .execute(
            "UPDATE reimbursements SET vendor_invoice = 'V' || char(27) || '[2J'",
            [],
        )
        .unwrap();
    let page = c.ok(&["reimbursements"]);
    assert_no_control("reimbursements", &page);
    assert!(page.contains("V\\u{1b}[2J"), "{page}");
    c.conn()
        .execute(
            "UPDATE gl_accounts SET name = 'Receivables' || char(27) || '[31m' WHERE account = '1200'",
            [],
        )
        .unwrap();
    let tb = c.ok(&["trial-balance"]);
    assert_no_control("trial-balance", &tb);
    assert!(tb.contains("Receivables\\u{1b}[31m"), "{tb}");
}

#[test]
fn an_error_quoting_user_text_shows_control_characters_escaped() {
    let c = Company::new(LEDGER);
    let err = c.fails(1, &["run", "--customers", "C-9\u{1b}]0;pwned\u{7}"]);
    assert_no_control("the error", &err);
    assert!(err.contains("C-9\\u{1b}]0;pwned\\u{7}"), "{err}");
}

#[test]
fn scripts_and_the_repl_show_control_characters_escaped() {
    let c = hostile_name();
    let file = c.write(
        "show.rhai",
        "print(customer(\"C-001\").name);\nprint(table(customers()));\ncustomers()\n",
    );
    let stdout = c.ok(&["script", file.to_str().unwrap()]);
    assert_no_control("a script's output", &stdout);
    // What a script prints keeps its line breaks; a table shows them escaped.
    assert!(
        stdout.starts_with("North\\u{1b}]0;pwned\\u{7}\\rC-999\nwind\n"),
        "{stdout}"
    );
    assert_eq!(stdout.matches(SHOWN).count(), 2, "{stdout}");
    let out = run_with_stdin(&c, &["repl"], "customers()\ncustomer(\"C-001\").name\n");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_no_control("the REPL", &stdout);
    assert!(stdout.contains(SHOWN), "{stdout}");
}

// ----- item 16: length limits at the door -----

#[test]
fn a_name_longer_than_the_limit_is_refused_by_every_path() {
    let long = "N".repeat(70_000);
    init_refused(
        &LEDGER.replacen("name: Northwind Traders", &format!("name: {long}"), 1),
        ": customers[0] (C-001): customer name is longer than 200 characters (70000)",
    );
    let c = Company::new(LEDGER);
    script_refused(
        &c,
        &format!(
            "create_customer(#{{account: \"C-002\", name: \"{}\", currency: \"USD\"}});\n",
            "x".repeat(201)
        ),
        "1:1",
        "customer name is longer than 200 characters (201)",
    );
    script_refused(
        &c,
        "update_customer(\"C-001\", #{address: \"a\\x1b]0;x\"});\n",
        "1:1",
        "customer address contains a control character (\\u{1b}); control \
         characters are not allowed",
    );
    script_refused(
        &c,
        &format!(
            "post_voucher(#{{sequence: \"payment\", description: \"{}\", \
             lines: [#{{customer: \"C-001\", currency: \"USD\", amount: 1.00, document: \"D\"}}, \
             #{{account: \"1000\", currency: \"USD\", amount: -1.00}}]}});\n",
            "d".repeat(501)
        ),
        "1:1",
        "voucher description is longer than 500 characters (501)",
    );
    // At the limits, everything passes.
    let file = c.write(
        "ok.rhai",
        &format!(
            "create_customer(#{{account: \"{}\", name: \"{}\", currency: \"USD\", address: \"{}\"}});\n",
            "K".repeat(64),
            "é".repeat(200),
            "a".repeat(500)
        ),
    );
    c.ok(&["script", file.to_str().unwrap()]);
}

// ----- item 17: a YAML null is not the text `~` -----

#[test]
fn a_null_name_in_a_fixture_is_refused() {
    init_refused(
        &LEDGER.replacen("name: Northwind Traders", "name: ~", 1),
        ":2:5: customers[0].name: required, but empty (null)",
    );
    init_refused(
        &LEDGER.replacen("document: INV-1", "document: null", 1),
        ":6:5: transactions[0].document: required, but empty (null)",
    );
}
