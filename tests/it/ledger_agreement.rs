//! Issue 17, "the general ledger and the sub-ledgers agree": whatever a rule, a script or a
//! fixture posts, the receivables and payables (control) accounts equal the sums of the customers
//! and vendors, `pay` never pays a vendor twice, the control accounts cannot change under existing
//! books, a one-time-vendor hook links only the vendor it made, and no accepted posting can make a
//! later command fail by overflowing a sum.

use crate::common::{Company, DOWN_TO_SCHEMA_4, edit, rows};

/// A customer with a 100.00 USD credit (an overpaid invoice) and a vendor account V-100.
const CREDIT_100: &str = "\
customers:
  - { account: C-001, name: Northwind Traders, currency: USD, vendor_account: V-100 }
  - { account: C-002, name: Contoso Retail, currency: USD }
vendors:
  - { account: V-100, name: Northwind Traders, currency: USD }
transactions:
  - { customer: C-001, date: 2026-10-01, type: invoice, document: INV-1, amount: 100.00 }
  - { customer: C-001, date: 2026-10-05, type: payment, document: PAY-1, amount: -200.00 }
  - { customer: C-002, date: 2026-10-05, type: payment, document: PAY-2, amount: -60.00 }
settlements:
  - { customer: C-001, debit: INV-1, credit: PAY-1 }
";

const POST: &str = "fn post_reimbursement(customer, credit, vendor) {\n";

/// Writes a script and runs it with `reimburse script`; returns the output.
fn script(c: &Company, name: &str, code: &str) -> std::process::Output {
    let file = c.write(name, code);
    c.run(&["script", file.to_str().unwrap()])
}

/// The exit code and standard error of a script that must fail, the database unchanged.
fn failing_script(c: &Company, name: &str, code: &str) -> String {
    let before = c.snapshot();
    let out = script(c, name, code);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    c.assert_unchanged(&before, name);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn voucher_line(target: &str, amount: &str) -> String {
    format!("#{{ {target}, currency: \"USD\", amount: {amount} }}")
}

fn post_voucher(lines: &[String]) -> String {
    format!(
        "post_voucher(#{{ sequence: \"opening\", date: \"2026-11-01\", lines: [{}] }});\n",
        lines.join(", ")
    )
}

// ----- item 4: control accounts take lines only through customers and vendors -----

#[test]
fn a_script_cannot_post_a_general_ledger_line_on_a_control_account() {
    let c = Company::new(CREDIT_100);
    let receivables = post_voucher(&[
        voucher_line("account: \"1200\"", "-40.00"),
        voucher_line("account: \"1010\"", "40.00"),
    ]);
    let err = failing_script(&c, "receivables.rhai", &receivables);
    assert!(
        err.ends_with(
            ": account 1200 is the receivables control account: it takes lines only through \
             customer lines (post to a customer instead), so that it always equals the sum of the \
             customers (nothing was written)\n"
        ),
        "{err}"
    );
    let payables = post_voucher(&[
        voucher_line("account: \"1010\"", "-5.00"),
        voucher_line("account: \"2000\"", "5.00"),
    ]);
    let err = failing_script(&c, "payables.rhai", &payables);
    assert!(
        err.contains(
            "account 2000 is the payables control account: it takes lines only through vendor \
             lines (post to a vendor instead), so that it always equals the sum of the vendors"
        ),
        "{err}"
    );
    // The same money through a customer line is accepted, and the books agree.
    let through_customer = post_voucher(&[
        voucher_line("customer: \"C-002\"", "-40.00"),
        voucher_line("account: \"1010\"", "40.00"),
    ]);
    let out = script(&c, "customer.rhai", &through_customer);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(c.customer_balance("C-002", "USD"), "-100.00");
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
    c.assert_trial_balance_zero(&["USD"]);
}

#[test]
fn a_repl_session_cannot_move_the_receivables_account_alone() {
    let c = Company::new(CREDIT_100);
    let before = c.snapshot();
    let entry = post_voucher(&[
        voucher_line("account: \"1200\"", "-40.00"),
        voucher_line("account: \"1010\"", "40.00"),
    ]);
    let input = format!("{entry}:commit\n");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&c.yaml)
        .arg("repl")
        .env("REIMBURSE_HISTORY", "")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("account 1200 is the receivables control account"),
        "{stderr}"
    );
    assert_eq!(
        c.count("SELECT count(*) FROM voucher_lines WHERE account = '1200' AND customer IS NULL"),
        0
    );
    c.assert_unchanged(&before, "a refused REPL entry and :commit");
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
}

#[test]
fn a_posting_hook_cannot_move_the_receivables_account_alone() {
    let c = Company::new(CREDIT_100);
    // After the reimbursement, a voucher of the receivables summary against the bank.
    let extra = post_voucher(&[
        voucher_line("account: \"1200\"", "-100.00"),
        voucher_line("account: \"1010\"", "100.00"),
    ]);
    let rules = c.rules(
        "gl.rhai",
        "    settle_against_open(voucher.customer_transactions[0]);\n",
        &format!("    settle_against_open(voucher.customer_transactions[0]);\n    {extra}"),
    );
    let err = c.broken_run(&rules);
    assert!(
        err.ends_with(
            ": hook post_reimbursement, customer C-001 (USD): account 1200 is the receivables \
             control account: it takes lines only through customer lines (post to a customer \
             instead), so that it always equals the sum of the customers\n"
        ),
        "{err}"
    );
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
}

#[test]
fn a_posting_hook_cannot_post_an_unrelated_bank_voucher() {
    let c = Company::new(CREDIT_100);
    // A voucher of the bank against the opening-balance account: balanced, on no control
    // account, but not a refund.
    let extra = post_voucher(&[
        voucher_line("account: \"3999\"", "-1000.00"),
        voucher_line("account: \"1010\"", "1000.00"),
    ]);
    let rules = c.rules("bank.rhai", POST, &format!("{POST}    {extra}"));
    let err = c.broken_run(&rules);
    assert!(
        err.ends_with(
            ": hook post_reimbursement, customer C-001 (USD): refused by the engine: voucher \
             OPN-000004 is not the reimbursement's vendor invoice: a run posts the reimbursement \
             and nothing else (post other vouchers with `reimburse script`, which records them as \
             a run of their own)\n"
        ),
        "{err}"
    );
    // The shipped rules still reimburse, and the books agree afterwards.
    let report = c.run_json(&[]);
    assert_eq!(rows(&report["reimbursements"]).len(), 2);
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
}

#[test]
fn fixtures_loading_opening_balances_keep_the_control_accounts_agreeing() {
    let c = Company::contoso();
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
    c.ok(&["run", "--date", "2026-11-30"]);
    c.ok(&["pay", "--date", "2026-12-01"]);
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
    // (Parameters that name a control account for the bank, the opening balances or the
    // imports are refused already: "account '1200' is used twice".)
}

// ----- item 5: pay settles the vendor's open debits first -----

#[test]
fn pay_settles_the_vendors_open_debit_first_and_pays_the_rest() {
    let c = Company::new(CREDIT_100);
    c.ok(&["run", "--date", "2026-11-30", "--customers", "C-001"]);
    assert_eq!(c.vendor_balance("V-100", "USD"), "-100.00");
    // A manual payment of 30.00 to the vendor, recorded but not settled.
    let manual = "post_voucher(#{ sequence: \"payment\", date: \"2026-12-01\", lines: [\
        #{ vendor: \"V-100\", currency: \"USD\", amount: 30.00, type: \"payment\" }, \
        #{ account: \"1010\", currency: \"USD\", amount: -30.00 }] });\n";
    let out = script(&c, "manual.rhai", manual);
    assert!(out.status.success(), "{out:?}");
    let report = c.json(&["pay", "--date", "2026-12-02", "--json"]);
    let payments = rows(&report["payments"]);
    assert_eq!(payments.len(), 1, "{report}");
    assert_eq!(payments[0]["amount"], "70.00");
    assert_eq!(payments[0]["settled_by_debit"], "30.00");
    assert_eq!(report["totals"]["USD"], "70.00");
    assert_eq!(report["settled_by_debit"]["USD"], "30.00");
    // Paid once: the vendor owes and is owed nothing, both debits and the invoice are closed.
    assert_eq!(c.vendor_balance("V-100", "USD"), "0.00");
    assert_eq!(
        c.count(
            "SELECT count(*) FROM vendor_transactions WHERE account = 'V-100' AND open_minor <> 0"
        ),
        0
    );
    assert_eq!(c.gl_balance("1010", "USD").as_deref(), Some("-100.00"));
    assert_eq!(
        c.query("SELECT status FROM reimbursements"),
        vec![vec!["paid".to_string()]]
    );
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
}

#[test]
fn pay_pays_nothing_when_the_vendors_open_debit_covers_the_invoice() {
    let c = Company::new(CREDIT_100);
    c.ok(&["run", "--date", "2026-11-30", "--customers", "C-001"]);
    let manual = "post_voucher(#{ sequence: \"payment\", date: \"2026-12-01\", lines: [\
        #{ vendor: \"V-100\", currency: \"USD\", amount: 120.00, type: \"payment\" }, \
        #{ account: \"1010\", currency: \"USD\", amount: -120.00 }] });\n";
    assert!(script(&c, "manual.rhai", manual).status.success());
    let text = c.ok(&["pay", "--date", "2026-12-02"]);
    assert!(
        text.contains("settled first by the vendors' open debits (payments recorded but not settled) (100.00 USD)"),
        "{text}"
    );
    // Nothing more left the bank; 20.00 of the manual payment is still open (owed back).
    assert_eq!(c.gl_balance("1010", "USD").as_deref(), Some("-120.00"));
    assert_eq!(c.vendor_balance("V-100", "USD"), "20.00");
    assert_eq!(
        c.count("SELECT count(*) FROM vouchers WHERE number LIKE 'PAY-%'"),
        1
    );
    assert_eq!(
        c.query("SELECT status FROM reimbursements"),
        vec![vec!["paid".to_string()]]
    );
}

// ----- item 6: the control accounts cannot change under existing books -----

#[test]
fn a_changed_receivables_or_payables_account_is_refused_at_open() {
    let c = Company::new(CREDIT_100);
    let yaml = std::fs::read_to_string(&c.yaml).unwrap();
    std::fs::write(
        &c.yaml,
        edit(&yaml, "receivables: \"1200\"", "receivables: \"1300\""),
    )
    .unwrap();
    let before = c.snapshot();
    let err = c.fails(1, &["run", "--date", "2026-11-30"]);
    assert_eq!(
        err,
        "error: accounts.receivables is 1300 in the parameters, but this database keeps its \
         customers' balances on 1200: set accounts.receivables back to 1200. A control account \
         cannot change under existing books; to move to 1300, create a new company database with \
         `reimburse init` and bring the customers and their open transactions over with \
         `reimburse import`\n"
    );
    c.fails(1, &["balances"]);
    c.assert_unchanged(&before, "a run with another receivables account");
    std::fs::write(
        &c.yaml,
        edit(&yaml, "payables: \"2000\"", "payables: \"2100\""),
    )
    .unwrap();
    let err = c.fails(1, &["trial-balance"]);
    assert!(
        err.starts_with("error: accounts.payables is 2100 in the parameters, but this database keeps its vendors' balances on 2000"),
        "{err}"
    );
    std::fs::write(&c.yaml, &yaml).unwrap();
    c.ok(&["run", "--date", "2026-11-30"]);
}

#[test]
fn a_database_from_before_the_control_accounts_were_kept_records_them_at_open() {
    let c = Company::new(CREDIT_100);
    // Back to schema 3: no control accounts, no account totals.
    c.conn()
        .execute_batch(&format!(
            "{DOWN_TO_SCHEMA_4} DROP TRIGGER account_totals_follow_lines; DROP TABLE account_totals; \
             DROP TABLE control_accounts; PRAGMA user_version = 3;",
        ))
        .unwrap();
    c.ok(&["balances"]);
    assert_eq!(
        c.query("SELECT role, account FROM control_accounts ORDER BY role"),
        vec![
            vec!["payables".to_string(), "2000".to_string()],
            vec!["receivables".to_string(), "1200".to_string()]
        ]
    );
    // The totals were rebuilt from the lines already posted.
    assert_eq!(
        c.query("SELECT debit_minor, credit_minor FROM account_totals WHERE account = '1200'"),
        vec![vec!["10000".to_string(), "26000".to_string()]]
    );
    let yaml = std::fs::read_to_string(&c.yaml).unwrap();
    std::fs::write(
        &c.yaml,
        edit(&yaml, "receivables: \"1200\"", "receivables: \"1300\""),
    )
    .unwrap();
    c.fails(1, &["balances"]);
}

#[test]
fn a_database_whose_sums_overflowed_before_the_bound_still_opens() {
    let c = Company::new(CREDIT_100);
    // Schema 3 books that hold 2 x 5 * 10^18 minor units of bank debits, written behind the
    // ledger's back (as a fixture or script could before the bound).
    c.conn()
        .execute_batch(&format!(
            "{DOWN_TO_SCHEMA_4} DROP TRIGGER account_totals_follow_lines; DROP TABLE account_totals; \
             DROP TABLE control_accounts; PRAGMA user_version = 3; \
             INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor) VALUES \
             (1, '1010', 'USD', 5000000000000000000), (1, '1010', 'USD', 5000000000000000000), \
             (1, '3999', 'USD', -5000000000000000000), (1, '3999', 'USD', -5000000000000000000);",
        ))
        .unwrap();
    c.ok(&["runs"]);
    c.ok(&["balances", "--customers"]);
    // Nothing more goes onto the bank.
    let more = post_voucher(&[
        voucher_line("customer: \"C-002\"", "-1.00"),
        voucher_line("account: \"1010\"", "1.00"),
    ]);
    let err = failing_script(&c, "more.rhai", &more);
    assert!(err.contains("account 1010 would hold more than"), "{err}");
}

// ----- item 7: a one-time-vendor hook links only the vendor it created -----

#[test]
fn a_one_time_vendor_hook_may_link_only_the_vendor_it_created() {
    let c = Company::new(CREDIT_100);
    let rules = c.rules(
        "redirect.rhai",
        "        link_vendor(customer.account, vendor.account);\n",
        "        link_vendor(customer.account, \"V-100\");\n",
    );
    let err = c.broken_run(&rules);
    assert!(
        err.ends_with(
            ": hook create_one_time_vendor, customer C-002 (USD): refused by the engine: may link \
             its customer only to the vendor it created (OTV-000001), not to V-100\n"
        ),
        "{err}"
    );
    assert_eq!(
        c.query("SELECT vendor_account FROM customers WHERE account = 'C-002'"),
        vec![vec!["NULL".to_string()]]
    );
}

// ----- item 8: no sum can overflow -----

/// A script posting `count` payments of 10,000,000,000,000.00 USD (10^15 minor units, the
/// largest amount) from customer C-002 to the bank.
fn big_payments(count: u32) -> String {
    format!(
        "for i in 0..{count} {{\n    post_voucher(#{{ sequence: \"opening\", date: \"2026-11-01\", lines: [\
         #{{ customer: \"C-002\", currency: \"USD\", amount: 10000000000000.00 }}, \
         #{{ account: \"1010\", currency: \"USD\", amount: -10000000000000.00 }}] }});\n}}\n"
    )
}

/// The report commands that sum: each must still work.
fn every_report_works(c: &Company) {
    c.ok(&["trial-balance"]);
    c.ok(&["trial-balance", "--json"]);
    c.ok(&["balances"]);
    c.ok(&["balances", "--customers", "--vendors", "--json"]);
    c.ok(&["run", "--date", "2026-11-30", "--dry-run"]);
    c.ok(&["export", "--format", "ledger"]);
}

#[test]
fn an_accounts_debits_are_bounded_at_the_edge_and_every_report_still_works() {
    let c = Company::new(CREDIT_100);
    // The fixture's invoice put 100.00 (10^4 minor units) of debits on 1200; 999 of the largest
    // amounts and one of 10^15 - 10^4 bring them to exactly 10^18: accepted.
    let fill = format!(
        "{}post_voucher(#{{ sequence: \"opening\", date: \"2026-11-01\", lines: [\
         #{{ customer: \"C-002\", currency: \"USD\", amount: 9999999999900.00 }}, \
         #{{ account: \"1010\", currency: \"USD\", amount: -9999999999900.00 }}] }});\n",
        big_payments(999)
    );
    let out = script(&c, "fill.rhai", &fill);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One cent more is refused, naming the account, the side and the bound.
    let cent = post_voucher(&[
        voucher_line("customer: \"C-002\"", "0.01"),
        voucher_line("account: \"1010\"", "-0.01"),
    ]);
    let err = failing_script(&c, "cent.rhai", &cent);
    assert!(
        err.ends_with(
            ": account 1200 would hold more than 10000000000000000.00 USD of debits (it has \
             10000000000000000.00): an account holds at most 1000000000000000000 minor units of \
             debits and of credits per currency, so that every balance and report stays exact; \
             nothing was posted (carry the balances into a new company database to go on) \
             (nothing was written)\n"
        ),
        "{err}"
    );
    assert_eq!(
        c.query(
            "SELECT debit_minor FROM account_totals WHERE account = '1200' AND currency = 'USD'"
        ),
        vec![vec!["1000000000000000000".to_string()]]
    );
    // The 9,300 postings of the issue are refused from the 1,001st on, so every report works.
    assert!(
        !script(&c, "more.rhai", &big_payments(9300))
            .status
            .success()
    );
    every_report_works(&c);
    c.ok(&["run", "--date", "2026-11-30"]);
    assert_eq!(c.control_disagreements(), Vec::<String>::new());
    c.assert_trial_balance_zero(&["USD"]);
}

#[test]
fn a_fixture_past_the_bound_is_refused_and_creates_nothing() {
    let mut fixture = String::from(
        "customers:\n  - { account: C-001, name: Big, currency: USD }\ntransactions:\n",
    );
    for i in 0..1001 {
        fixture.push_str(&format!(
            "  - {{ customer: C-001, date: 2026-10-01, type: payment, document: P-{i}, amount: -10000000000000.00 }}\n"
        ));
    }
    let c = Company::uninitialised();
    let file = c.write("ledger.yaml", &fixture);
    let err = c.fails(1, &["init", "--fixture", file.to_str().unwrap()]);
    assert!(
        err.contains(
            "account 1200 would hold more than 10000000000000000.00 USD of credits (it has \
             10000000000000000.00)"
        ),
        "{err}"
    );
    assert!(!c.db.exists());
}

#[test]
fn a_credit_larger_than_one_voucher_line_is_skipped_not_a_failed_run() {
    let c = Company::new(CREDIT_100);
    let credit = "for i in 0..2 {\n    post_voucher(#{ sequence: \"opening\", date: \"2026-11-01\", lines: [\
        #{ customer: \"C-002\", currency: \"USD\", amount: -10000000000000.00 }, \
        #{ account: \"1010\", currency: \"USD\", amount: 10000000000000.00 }] });\n}\n";
    assert!(script(&c, "credit.rhai", credit).status.success());
    let report = c.run_json(&[]);
    assert_eq!(rows(&report["reimbursements"]).len(), 1, "{report}");
    let skipped: Vec<_> = rows(&report["skipped"])
        .iter()
        .filter(|s| s["customer"] == "C-002")
        .collect();
    assert_eq!(
        skipped[0]["reason"],
        "the open credit of 20000000000060.00 is more than one voucher line can hold \
         (10000000000000.00): reimburse it by hand, in parts",
        "{report}"
    );
    every_report_works(&c);
}

// ----- smaller items -----

#[test]
fn a_conversion_that_overflows_says_so_not_no_exchange_rate() {
    let c = Company::new(CREDIT_100);
    let err = failing_script(
        &c,
        "overflow.rhai",
        "let big = 75000000000000.0 * 1000000000000000.0;\nto_accounting(big, \"EUR\")\n",
    );
    assert!(
        err.contains(
            "75000000000000000000000000000 EUR at the rate 1.0850 is too large to convert to USD"
        ),
        "{err}"
    );
    assert!(!err.contains("no exchange rate"), "{err}");
    let err = failing_script(&c, "rate.rhai", "to_accounting(1.0, \"CHF\")\n");
    assert!(err.contains("no exchange rate for 'CHF'"), "{err}");
}

#[test]
fn settling_the_open_debits_of_an_unknown_customer_is_an_error() {
    let c = Company::new(CREDIT_100);
    let err = failing_script(
        &c,
        "unknown.rhai",
        "settle_open_debits(\"NOPE\", \"USD\")\n",
    );
    assert!(err.contains("customer 'NOPE' does not exist"), "{err}");
    // A known customer with nothing to settle is still 0.00.
    let out = script(&c, "known.rhai", "settle_open_debits(\"C-002\", \"USD\")\n");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0.00");
}
