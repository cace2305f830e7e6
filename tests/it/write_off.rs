//! Small credits written off (`reimburse write-off`, issue 21 item 5): the rules' fifth hook
//! `write_off(customer, credit)` decides (by default: below `write_off.below`, dormant for
//! `write_off.after_days` days, nothing without the section); each write-off debits the customer,
//! credits the write-off account and settles the credit; it is listed (`write-offs`, `runs`) and
//! reversible (the credit open again, the general ledger back to before, account by account).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{Company, company_yaml, default_rules_text};

/// The test parameters with a `write_off` section writing off credits below `below` (USD)
/// untouched for 180 days to account 7990.
fn parameters(below: &str) -> String {
    format!(
        "{}write_off:\n  below: {below}\n  after_days: 180\n  account: \"7990\"\n",
        company_yaml()
    )
}

/// Credits at 2026-11-30: C-001 3.00 USD (old), C-002 4.00 EUR (old, 4.34 USD), C-003 2.00 USD
/// (young), C-004 500.00 USD (old, large), C-005 3.50 USD (old, but owes 100.00), C-006 4.50 USD
/// from two old payments.
const LEDGER: &str = r#"
customers:
  - { account: C-001, name: Old Small, currency: USD }
  - { account: C-002, name: Old Small Euro, currency: EUR }
  - { account: C-003, name: Young Small, currency: USD }
  - { account: C-004, name: Old Large, currency: USD }
  - { account: C-005, name: Owes Too, currency: USD }
  - { account: C-006, name: Two Payments, currency: USD }
transactions:
  - { customer: C-001, date: 2026-01-10, type: payment, document: P-1, amount: -3.00 }
  - { customer: C-002, date: 2026-02-01, type: payment, document: P-2, amount: -4.00, currency: EUR }
  - { customer: C-003, date: 2026-11-01, type: payment, document: P-3, amount: -2.00 }
  - { customer: C-004, date: 2026-01-10, type: payment, document: P-4, amount: -500.00 }
  - { customer: C-005, date: 2026-01-10, type: payment, document: P-5, amount: -3.50 }
  - { customer: C-005, date: 2026-01-12, type: invoice, document: I-5, amount: 100.00 }
  - { customer: C-006, date: 2026-01-05, type: payment, document: P-6a, amount: -2.00 }
  - { customer: C-006, date: 2026-02-05, type: payment, document: P-6b, amount: -2.50 }
"#;

fn write_off_json(c: &Company, extra: &[&str]) -> Value {
    let mut args = vec!["write-off", "--json", "--date", "2026-11-30"];
    args.extend_from_slice(extra);
    let out = c
        .command(&args)
        .env("USER", "alice")
        .output()
        .expect("run reimburse");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// (customer, currency, amount) of each write-off of a report or list.
fn rows(list: &Value) -> Vec<(String, String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["customer"].as_str().unwrap().to_string(),
                w["currency"].as_str().unwrap().to_string(),
                w["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row(customer: &str, currency: &str, amount: &str) -> (String, String, String) {
    (customer.into(), currency.into(), amount.into())
}

/// The general ledger's non-zero balances: (account, currency) → balance.
fn general_ledger(c: &Company) -> BTreeMap<(String, String), String> {
    let doc = c.json(&["trial-balance", "--json"]);
    doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["balance"].as_str().unwrap().trim_start_matches('-') != "0.00")
        .map(|a| {
            (
                (
                    a["account"].as_str().unwrap().to_string(),
                    a["currency"].as_str().unwrap().to_string(),
                ),
                a["balance"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn gl(c: &Company, account: &str, currency: &str) -> String {
    general_ledger(c)
        .get(&(account.to_string(), currency.to_string()))
        .cloned()
        .unwrap_or_else(|| "0.00".into())
}

#[test]
fn small_old_credits_are_written_off_and_the_others_left() {
    let c = Company::with(&parameters("5.00"), LEDGER);
    let report = write_off_json(&c, &[]);
    assert_eq!(
        rows(&report["write_offs"]),
        [
            row("C-001", "USD", "3.00"),
            row("C-002", "EUR", "4.00"),
            row("C-006", "USD", "4.50"),
        ]
    );
    assert_eq!(report["totals"]["USD"], "7.50");
    assert_eq!(report["totals"]["EUR"], "4.00");
    assert_eq!(report["skipped"], 3);
    assert_eq!(report["skipped_by_reason"]["not written off"], 3);
    assert_eq!(report["dry_run"], false);
    // The write-off account is credited, receivables debited by as much.
    assert_eq!(gl(&c, "7990", "USD"), "-7.50");
    assert_eq!(gl(&c, "7990", "EUR"), "-4.00");
    assert_eq!(gl(&c, "1200", "USD"), "-405.50"); // -513.00 + 7.50 (C-005 owes 100.00)
    assert_eq!(gl(&c, "1200", "EUR"), "0.00");
    c.assert_trial_balance_zero(&["EUR", "USD"]);
    for (customer, currency) in [("C-001", "USD"), ("C-002", "EUR"), ("C-006", "USD")] {
        assert_eq!(c.customer_balance(customer, currency), "0.00");
        let open = c.balance_row("customers", customer, currency).unwrap();
        assert_eq!(open["open_credit"], "0.00", "{customer}");
        assert_eq!(open["open_debit"], "0.00", "{customer}");
    }
    assert_eq!(c.customer_balance("C-003", "USD"), "-2.00");
    assert_eq!(c.customer_balance("C-004", "USD"), "-500.00");
    assert_eq!(c.customer_balance("C-005", "USD"), "96.50");
    // Recorded: a run of kind write-off, the rows, a decision each by the user.
    let runs = c.json(&["runs", "--json"]);
    assert_eq!(runs["runs"][0]["kind"], "write-off");
    assert_eq!(runs["runs"][0]["reimbursed"], 3);
    assert_eq!(runs["runs"][0]["user"], "alice");
    let list = c.json(&["write-offs", "--json"]);
    assert_eq!(rows(&list["write_offs"]), rows(&report["write_offs"]));
    assert!(
        list["write_offs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["status"] == "written-off" && w["run"] == 1)
    );
    assert_eq!(
        c.query("SELECT decision, user, run_id FROM decisions ORDER BY id"),
        vec![vec!["write-off", "alice", "1"]; 3]
    );
    // A second write-off finds nothing more to write off.
    let again = write_off_json(&c, &[]);
    assert_eq!(again["write_offs"].as_array().unwrap().len(), 0);
    assert_eq!(again["skipped"], 3);
}

#[test]
fn the_table_and_the_page() {
    let c = Company::with(&parameters("5.00"), LEDGER);
    let out = c.ok(&["write-off", "--date", "2026-11-30"]);
    assert!(
        out.contains("wrote off 3 credits (4.00 EUR, 7.50 USD); 3 left (run 1)"),
        "{out}"
    );
    let page = c.ok(&["write-offs"]);
    assert_eq!(page.matches("written-off").count(), 3, "{page}");
}

#[test]
fn without_the_section_nothing_is_written_off() {
    let c = Company::with(&company_yaml(), LEDGER);
    let before = general_ledger(&c);
    let report = write_off_json(&c, &[]);
    assert_eq!(report["write_offs"].as_array().unwrap().len(), 0);
    assert_eq!(report["skipped"], 6);
    assert_eq!(general_ledger(&c), before);
    assert_eq!(c.count("SELECT count(*) FROM write_offs"), 0);
}

#[test]
fn a_dry_run_changes_nothing() {
    let c = Company::with(&parameters("5.00"), LEDGER);
    let before = c.snapshot();
    let report = write_off_json(&c, &["--dry-run"]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["write_offs"].as_array().unwrap().len(), 3);
    assert_eq!(report["write_offs"][0]["id"], 0);
    c.assert_unchanged(&before, "write-off --dry-run");
}

#[test]
fn a_custom_hook_decides() {
    let c = Company::with(&parameters("5.00"), LEDGER);
    // Only the young C-003, whatever its age; the others are unclaimed property.
    let rules = c.rules(
        "custom.rhai",
        "fn write_off(customer, credit) {\n",
        "fn write_off(customer, credit) {\n    if customer.account != \"C-003\" { skip(\"unclaimed property\"); }\n    return true;\n",
    );
    let report = write_off_json(&c, &["--rules", rules.to_str().unwrap()]);
    assert_eq!(rows(&report["write_offs"]), [row("C-003", "USD", "2.00")]);
    assert_eq!(report["skipped_by_reason"]["unclaimed property"], 5);
    assert_eq!(gl(&c, "7990", "USD"), "-2.00");
}

#[test]
fn a_hook_that_answers_wrongly_or_is_missing_is_refused() {
    let c = Company::with(&parameters("5.00"), LEDGER);
    let before = c.snapshot();
    let rules = c.rules(
        "bad.rhai",
        "fn write_off(customer, credit) {\n",
        "fn write_off(customer, credit) {\n    return 1;\n",
    );
    let err = c.fails(
        1,
        &[
            "write-off",
            "--date",
            "2026-11-30",
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert!(err.contains("hook write_off"), "{err}");
    assert!(err.contains("must return true or false"), "{err}");
    c.assert_unchanged(&before, "a refused write-off");
    // A rule file without the hook: `write-off` names it; `run` does not need it.
    let text = default_rules_text();
    let cut = text.find("// 5. WRITE-OFF").unwrap();
    let old = c.write("old.rhai", &text[..cut]);
    let err = c.fails(
        1,
        &[
            "write-off",
            "--date",
            "2026-11-30",
            "--rules",
            old.to_str().unwrap(),
        ],
    );
    assert!(err.contains("`fn write_off` with 2 parameters"), "{err}");
    c.assert_unchanged(&before, "write-off without the hook");
    let run = c.json(&[
        "run",
        "--json",
        "--date",
        "2026-11-30",
        "--rules",
        old.to_str().unwrap(),
    ]);
    assert_eq!(run["reimbursements"].as_array().unwrap().len(), 1);
}

#[test]
fn a_write_off_reversed_opens_the_credit_again_and_the_next_run_reimburses_it() {
    // Below 30.00: C-001's 26.00, over the minimum of 25.00, is written off, then reversed.
    let ledger = r#"
customers:
  - { account: C-001, name: Old, currency: USD }
  - { account: C-002, name: Old Too, currency: USD }
transactions:
  - { customer: C-001, date: 2026-01-10, type: payment, document: P-1, amount: -26.00 }
  - { customer: C-002, date: 2026-01-10, type: payment, document: P-2, amount: -3.00 }
"#;
    let c = Company::with(&parameters("30.00"), ledger);
    let gl_before = general_ledger(&c);
    let report = write_off_json(&c, &[]);
    assert_eq!(
        rows(&report["write_offs"]),
        [row("C-001", "USD", "26.00"), row("C-002", "USD", "3.00")]
    );
    assert_eq!(c.customer_balance("C-001", "USD"), "0.00");
    // Refused as a whole: a date before the write-off, a run that is not a write-off run.
    let before = c.snapshot();
    let err = c.fails(
        1,
        &[
            "write-off",
            "--reverse-run",
            "1",
            "--reason",
            "x",
            "--date",
            "2026-11-29",
        ],
    );
    assert!(err.contains("before write-off 1 of 2026-11-30"), "{err}");
    let err = c.fails(
        1,
        &[
            "write-off",
            "--reverse-run",
            "7",
            "--reason",
            "x",
            "--date",
            "2026-12-01",
        ],
    );
    assert!(err.contains("run 7 is not a write-off run"), "{err}");
    let err = c.fails(
        2,
        &["write-off", "--reverse-run", "1", "--date", "2026-12-01"],
    );
    assert!(err.contains("--reason"), "{err}");
    // A dry run of the reversal changes nothing.
    c.ok(&[
        "write-off",
        "--reverse-run",
        "1",
        "--reason",
        "x",
        "--date",
        "2026-12-01",
        "--dry-run",
    ]);
    c.assert_unchanged(&before, "refused or dry-run reversals");

    let out = c
        .command(&[
            "write-off",
            "--json",
            "--reverse-run",
            "1",
            "--reason",
            "customer asked",
            "--date",
            "2026-12-01",
        ])
        .env("USER", "bob")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reversal: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reversal["run"], 2);
    assert_eq!(reversal["totals"]["USD"], "29.00");
    assert_eq!(reversal["reversed"].as_array().unwrap().len(), 2);
    // The credits are open again for their amounts; the general ledger is as before, account by
    // account.
    assert_eq!(c.customer_balance("C-001", "USD"), "-26.00");
    assert_eq!(c.customer_balance("C-002", "USD"), "-3.00");
    assert_eq!(general_ledger(&c), gl_before);
    c.assert_trial_balance_zero(&["USD"]);
    let list = c.json(&["write-offs", "--json"]);
    for w in list["write_offs"].as_array().unwrap() {
        assert_eq!(w["status"], "reversed");
        assert_eq!(w["reversed_date"], "2026-12-01");
    }
    assert_eq!(
        c.query("SELECT decision, user, run_id, reason FROM decisions WHERE decision = 'reverse' ORDER BY id"),
        vec![vec!["reverse", "bob", "2", "customer asked"]; 2]
    );
    let runs = c.json(&["runs", "--json"]);
    assert_eq!(runs["runs"][0]["kind"], "reversal");
    // Reversed once only.
    let err = c.fails(
        1,
        &[
            "write-off",
            "--reverse-run",
            "1",
            "--reason",
            "again",
            "--date",
            "2026-12-02",
        ],
    );
    assert!(err.contains("already reversed"), "{err}");
    // The next run reimburses the credit over the minimum, and leaves the small one.
    let run = c.json(&["run", "--json", "--date", "2026-12-02"]);
    let made = run["reimbursements"].as_array().unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["customer"], "C-001");
    assert_eq!(made[0]["amount"], "26.00");
    assert_eq!(c.customer_balance("C-001", "USD"), "0.00");
}

#[test]
fn write_offs_are_reversed_by_id() {
    let c = Company::with(&parameters("5.00"), LEDGER);
    write_off_json(&c, &[]);
    let ids = c.query("SELECT id FROM write_offs WHERE customer = 'C-006'");
    let id = ids[0][0].as_str();
    let out = c.ok(&[
        "write-off",
        "--reverse",
        id,
        "--reason",
        "paid back by cheque",
        "--date",
        "2026-12-01",
    ]);
    assert!(out.contains("reversed 1 write-off (4.50 USD)"), "{out}");
    assert_eq!(c.customer_balance("C-006", "USD"), "-4.50");
    assert_eq!(gl(&c, "7990", "USD"), "-3.00");
    let err = c.fails(
        1,
        &[
            "write-off",
            "--reverse",
            "99",
            "--reason",
            "x",
            "--date",
            "2026-12-01",
        ],
    );
    assert!(err.contains("write-off 99 does not exist"), "{err}");
}
