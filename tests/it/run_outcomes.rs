//! Issue 21, item 6 ("why, for every past run"): a committed run keeps what it decided for each
//! credit it did not reimburse — each skip with the credit's amount and the reason, each failure
//! under `--keep-going` with the error line — and `runs --run N --skipped` (the library's
//! `process::run_outcomes`, the scripts' `run_outcomes`) answers from the database. A dry run and
//! a failed run keep nothing; a block run again keeps each row once.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::common::{Company, no_panic, rows};
use reimburse::ledger::{Ledger, RunId};
use reimburse::parameters::Company as Parameters;
use reimburse::process::{self, RunOutcomeKind};

/// The demo's skipped credits on 2026-11-30: customer, amount (USD), reason.
const DEMO_SKIPS: [(&str, &str, &str); 6] = [
    ("C-003", "10.00", "below minimum"),
    ("C-004", "200.00", "payment hold"),
    ("C-009", "50.00", "no credit balance"),
    ("C-010", "90.00", "vendor account V-404 does not exist"),
    ("C-011", "70.00", "vendor V-200 is blocked"),
    ("C-013", "24.99", "below minimum"),
];

/// The expected outcome rows of the demo's skips.
fn demo_skips() -> Vec<Value> {
    DEMO_SKIPS
        .iter()
        .map(|(customer, amount, reason)| skip(customer, "USD", amount, reason))
        .collect()
}

fn skip(customer: &str, currency: &str, amount: &str, reason: &str) -> Value {
    json!({
        "customer": customer,
        "currency": currency,
        "amount": amount,
        "outcome": "skipped",
        "reason": reason,
    })
}

/// `runs --run N --skipped --json [args]`: the run's id and its outcome rows.
fn outcomes(c: &Company, run: &str, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["runs", "--run", run, "--skipped", "--json"];
    all.extend_from_slice(args);
    let doc = c.json(&all);
    assert_eq!(doc["run"], json!(run.parse::<i64>().unwrap()), "{doc:#}");
    rows(&doc["outcomes"]).clone()
}

/// The (customer, currency, reason) of each `skipped` row of a run's report.
fn reported_skips(report: &Value) -> Vec<(String, String, String)> {
    rows(&report["skipped"])
        .iter()
        .map(|k| {
            let text = |key: &str| k[key].as_str().unwrap().to_string();
            (text("customer"), text("currency"), text("reason"))
        })
        .collect()
}

/// The same of the `skipped` outcome rows.
fn kept_skips(outcomes: &[Value]) -> Vec<(String, String, String)> {
    outcomes
        .iter()
        .filter(|o| o["outcome"] == "skipped")
        .map(|o| {
            let text = |key: &str| o[key].as_str().unwrap().to_string();
            (text("customer"), text("currency"), text("reason"))
        })
        .collect()
}

#[test]
fn the_demo_run_answers_why_c003_was_not_reimbursed() {
    let c = Company::contoso();
    let report = c.run_json(&[]);
    assert_eq!(report["run"], 1);
    let kept = outcomes(&c, "1", &[]);
    assert_eq!(kept, demo_skips());
    // Exactly the skips the run printed, with the same reasons, in the same order.
    assert_eq!(kept_skips(&kept), reported_skips(&report));
    assert_eq!(c.query("SELECT skipped FROM runs WHERE id = 1"), [["6"]]);

    // Why was C-003 not reimbursed? Below the minimum, with its 10.00 USD.
    assert_eq!(
        outcomes(&c, "1", &["--customer", "C-003"]),
        [skip("C-003", "USD", "10.00", "below minimum")]
    );
    // A customer the run reimbursed has no outcome.
    assert_eq!(
        outcomes(&c, "1", &["--customer", "C-001"]),
        Vec::<Value>::new()
    );
    assert_eq!(
        c.query("SELECT amount_minor FROM run_outcomes WHERE customer = 'C-003'"),
        [["1000"]]
    );

    // The table says the same.
    let table = c.ok(&["runs", "--run", "1", "--skipped"]);
    assert!(
        table.starts_with("Run 1: the credits it did not reimburse\n"),
        "{table}"
    );
    assert!(table.contains("C-010"), "{table}");
    assert!(
        table.contains("vendor account V-404 does not exist"),
        "{table}"
    );
    assert!(table.ends_with("6 credits\n"), "{table}");

    // The library and the scripts give the same rows.
    let company = Parameters::load(&c.yaml).unwrap();
    let ledger = Ledger::open_for_reading(&company).unwrap();
    let lib = process::run_outcomes(&ledger, RunId(1), Some("C-013")).unwrap();
    assert_eq!(lib.len(), 1);
    assert_eq!(lib[0].outcome, RunOutcomeKind::Skipped);
    assert_eq!(lib[0].amount.unwrap().to_string(), "24.99");
    assert_eq!(lib[0].currency.as_deref(), Some("USD"));
    assert_eq!(lib[0].reason, "below minimum");
    assert_eq!(
        process::run_outcomes(&ledger, RunId(1), None)
            .unwrap()
            .len(),
        6
    );
    drop(ledger);
    let script = c.write(
        "why.rhai",
        "let o = run_outcomes(1);\nprint(o.len());\nprint(`${o[0].customer} ${o[0].amount} ${o[0].currency} ${o[0].outcome}: ${o[0].reason}`);\nlet total = 0.00;\nfor x in o { total += x.amount; }\nprint(total);\n",
    );
    let out = c.ok(&["script", script.to_str().unwrap()]);
    assert_eq!(out, "6\nC-003 10.00 USD skipped: below minimum\n444.99\n");
}

#[test]
fn refusals_of_runs_skipped() {
    let c = Company::contoso();
    c.run_json(&[]);
    let err = c.fails(1, &["runs", "--run", "2", "--skipped"]);
    assert_eq!(err, "error: run '2' does not exist\n");
    let err = c.fails(
        1,
        &["runs", "--run", "1", "--skipped", "--customer", "C-999"],
    );
    assert_eq!(err, "error: customer 'C-999' does not exist\n");
    let err = c.fails(2, &["runs", "--skipped"]);
    assert!(err.contains("--run"), "{err}");
    let err = c.fails(2, &["runs", "--run", "1", "--customer", "C-003"]);
    assert!(err.contains("--skipped"), "{err}");
    // Plain `runs` is as it was; `--run N` alone lists that run.
    let runs = c.json(&["runs", "--json"]);
    assert_eq!(rows(&runs["runs"]).len(), 1);
    let one = c.json(&["runs", "--run", "1", "--json"]);
    assert_eq!(one, runs);
    let err = c.fails(1, &["runs", "--run", "7"]);
    assert_eq!(err, "error: run '7' does not exist\n");
}

#[test]
fn a_second_run_keeps_its_own_skips_under_its_own_id() {
    let c = Company::contoso();
    c.run_json(&[]);
    let second = c.run_json(&[]);
    assert_eq!(second["run"], 2);
    assert_eq!(second["reimbursed_count"], 0);
    assert_eq!(outcomes(&c, "2", &[]), demo_skips());
    assert_eq!(outcomes(&c, "1", &[]), demo_skips());
    assert_eq!(c.count("SELECT count(*) FROM run_outcomes"), 12);
    assert_eq!(
        c.count("SELECT count(*) FROM run_outcomes WHERE run_id = 2"),
        6
    );
}

#[test]
fn a_dry_run_and_a_failed_run_keep_nothing() {
    let c = Company::contoso();
    let dry = c.run_json(&["--dry-run"]);
    assert_eq!(rows(&dry["skipped"]).len(), 6);
    assert_eq!(c.count("SELECT count(*) FROM run_outcomes"), 0);
    // A run that fails (without --keep-going) keeps nothing either (nor its run).
    let rules = c.rules(
        "one_fails.rhai",
        "        amount: amount,",
        "        amount: if customer.account == \"C-002\" { amount + 1.00 } else { amount },",
    );
    c.broken_run(&rules);
    assert_eq!(c.count("SELECT count(*) FROM run_outcomes"), 0);
}

#[test]
fn keep_going_keeps_the_failure_with_its_error_line() {
    let c = Company::contoso();
    let rules = c.rules(
        "one_fails.rhai",
        "        amount: amount,",
        "        amount: if customer.account == \"C-002\" { amount + 1.00 } else { amount },",
    );
    // The failure makes the block run again carefully: each row is kept once.
    let report = c.keep_going_json(1, &["--rules", rules.to_str().unwrap()]);
    let error = rows(&report["failed"])[0]["error"].as_str().unwrap();
    let kept = outcomes(&c, "1", &[]);
    assert_eq!(kept.len(), 7, "{kept:#?}");
    assert_eq!(
        kept[0],
        json!({
            "customer": "C-002",
            "currency": null,
            "amount": null,
            "outcome": "failed",
            "reason": error,
        })
    );
    assert!(
        error.contains("hook post_reimbursement, customer C-002 (USD)"),
        "{error}"
    );
    assert_eq!(kept[1..], demo_skips()[..]);
    assert_eq!(kept_skips(&kept), reported_skips(&report));
    assert_eq!(
        outcomes(&c, "1", &["--customer", "C-002"]),
        [kept[0].clone()]
    );
    let table = c.ok(&["runs", "--run", "1", "--skipped", "--customer", "C-002"]);
    assert!(table.contains("failed"), "{table}");
    assert!(table.ends_with("1 credit\n"), "{table}");
}

#[test]
fn a_skip_after_posting_is_kept_once() {
    let c = Company::contoso();
    // C-005's hooks post and then skip: the block is rolled back and run again carefully.
    let rules = c.rules(
        "skip_after_post.rhai",
        "fn post_reimbursement(customer, credit, vendor) {\n",
        "fn post_reimbursement(customer, credit, vendor) {\n    if customer.account == \"C-005\" {\n        post_vendor_invoice(#{ customer: customer.account, vendor: vendor.account, currency: credit.currency, amount: 1.00 });\n        skip(\"changed my mind\");\n    }\n",
    );
    let report = c.run_json(&["--rules", rules.to_str().unwrap()]);
    let kept = outcomes(&c, "1", &[]);
    assert_eq!(kept.len(), 7, "{kept:#?}");
    assert_eq!(kept_skips(&kept), reported_skips(&report));
    let c005: Vec<_> = kept.iter().filter(|o| o["customer"] == "C-005").collect();
    assert_eq!(c005.len(), 1);
    assert_eq!(c005[0]["reason"], "changed my mind");
    assert_eq!(c005[0]["outcome"], "skipped");
    assert_eq!(
        c.count("SELECT count(*) FROM run_outcomes WHERE customer = 'C-005'"),
        1
    );
}

/// Runs the binary with `--company yaml` in `dir`; it must succeed.
fn reimburse(dir: &Path, yaml: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(yaml)
        .args(args)
        .env_remove("REIMBURSE_COMPANY")
        .current_dir(dir)
        .output()
        .expect("run the reimburse binary");
    no_panic(&out);
    assert!(
        out.status.success(),
        "reimburse {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_run_over_many_customers_keeps_one_row_per_skipped_credit() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("co/company.yaml");
    let generate = ["generate", "--customers", "2000", "--out", "co"];
    reimburse(dir.path(), &yaml, &generate);
    let run = ["run", "--json", "--date", "2026-11-30"];
    let report: Value = serde_json::from_str(&reimburse(dir.path(), &yaml, &run)).unwrap();
    let skipped = rows(&report["skipped"]).len();
    let failed = rows(&report["failed"]).len();
    assert!(skipped > 128, "more skips than a block: {skipped}");
    assert_eq!(failed, 0);
    let args = ["runs", "--run", "1", "--skipped", "--json"];
    let doc: Value = serde_json::from_str(&reimburse(dir.path(), &yaml, &args)).unwrap();
    let kept = rows(&doc["outcomes"]);
    assert_eq!(kept.len(), skipped);
    assert_eq!(kept_skips(kept), reported_skips(&report));
    // The amounts are the credits' open amounts, each once.
    for (row, k) in kept.iter().zip(rows(&report["skipped"])) {
        let amount: rust_decimal::Decimal = row["amount"].as_str().unwrap().parse().unwrap();
        assert!(amount >= rust_decimal::Decimal::ZERO, "{row}");
        assert_eq!(row["currency"], k["currency"]);
    }
    let database = Parameters::load(&yaml).unwrap().database_path;
    let conn = rusqlite::Connection::open(database).unwrap();
    let duplicates: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT 1 FROM run_outcomes
             GROUP BY run_id, customer, currency HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(duplicates, 0);
    let total: i64 = conn
        .query_row("SELECT count(*) FROM run_outcomes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total, skipped as i64);
}

#[test]
fn a_run_of_another_kind_has_no_skips_to_show() {
    let c = Company::contoso();
    c.ok(&["run", "--date", "2026-11-30"]);
    c.ok(&["pay", "--date", "2026-12-01"]);
    let err = c.fails(1, &["runs", "--run", "2", "--skipped"]);
    assert!(
        err.contains("run 2 is a payment run: only a reimbursement run looks at credits"),
        "{err}"
    );
}
