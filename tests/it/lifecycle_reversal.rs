//! Reversal and rejection (issue 21): `reimburse reverse` undoes reimbursements not paid with a
//! voucher each that mirrors the original, so that after reversing a whole run the general ledger
//! and every customer balance are as before it, and the next run reimburses the same again;
//! `reimburse reject` does the same for an approver's rejection. Every refusal writes nothing.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::Value;

use crate::common::{Company, company_yaml, edit, no_panic, rows};

/// The demo's run on 2026-11-30 (13 reimbursements: 1510.50 USD, 203.50 EUR).
const RUN: [&str; 4] = ["run", "--json", "--date", "2026-11-30"];

/// The demo, run once.
fn demo_run() -> Company {
    let c = Company::contoso();
    c.json(&RUN);
    c
}

/// Runs a command as `user` (`$USER`, which the audit trails record).
fn as_user(c: &Company, user: &str, args: &[&str]) -> Output {
    let out = c.command(args).env("USER", user).output().expect("run");
    no_panic(&out);
    out
}

/// Runs a command as `user` that must succeed with JSON on standard output.
fn json_as(c: &Company, user: &str, args: &[&str]) -> Value {
    let out = as_user(c, user, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Runs a command as `user` that must fail with exit code 1; returns its standard error.
fn fails_as(c: &Company, user: &str, args: &[&str]) -> String {
    let out = as_user(c, user, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    stderr
}

/// `trial-balance --json` as account and currency → balance.
fn trial_balance(c: &Company) -> BTreeMap<(String, String), String> {
    let tb = c.json(&["trial-balance", "--json"]);
    rows(&tb["accounts"])
        .iter()
        .map(|r| {
            let key = (text(r, "account"), text(r, "currency"));
            (key, text(r, "balance"))
        })
        .collect()
}

/// `balances --customers --json` as account and currency → balance.
fn customer_balances(c: &Company) -> BTreeMap<(String, String), String> {
    let doc = c.json(&["balances", "--customers", "--json"]);
    rows(&doc["customers"])
        .iter()
        .map(|r| {
            let key = (text(r, "account"), text(r, "currency"));
            (key, text(r, "balance"))
        })
        .collect()
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_string()
}

/// The reimbursements of a run's JSON report: (customer, vendor, currency, amount).
fn reimbursed(report: &Value) -> Vec<[String; 4]> {
    rows(&report["reimbursements"])
        .iter()
        .map(|r| ["customer", "vendor", "currency", "amount"].map(|k| text(r, k)))
        .collect()
}

fn one_time_vendors(c: &Company) -> i64 {
    c.count("SELECT count(*) FROM vendors WHERE one_time = 1")
}

#[test]
fn reversing_a_run_restores_the_books_and_the_next_run_reimburses_the_same_again() {
    let c = Company::contoso();
    let tb_before = trial_balance(&c);
    let balances_before = customer_balances(&c);
    let first = c.json(&RUN);
    assert_eq!(rows(&first["reimbursements"]).len(), 13);
    assert_eq!(one_time_vendors(&c), 7);

    let report = json_as(
        &c,
        "alice",
        &[
            "reverse",
            "--run",
            "1",
            "--reason",
            "wrong rules",
            "--date",
            "2026-11-30",
            "--json",
        ],
    );
    assert_eq!(report["run"], 2);
    assert_eq!(report["decision"], "reverse");
    assert_eq!(report["dry_run"], false);
    assert_eq!(rows(&report["reversed"]).len(), 13);
    assert_eq!(
        report["totals"],
        serde_json::json!({"EUR": "203.50", "USD": "1510.50"})
    );
    assert_eq!(rows(&report["left_out"]).len(), 0);

    // The general ledger nets to what it was before the run, account by account: the payables
    // account, which the run first posted to, is listed at zero.
    let tb_after = trial_balance(&c);
    for key in tb_before.keys().chain(tb_after.keys()) {
        let zero = "0.00".to_string();
        assert_eq!(
            tb_after.get(key).unwrap_or(&zero),
            tb_before.get(key).unwrap_or(&zero),
            "{key:?}"
        );
    }
    assert_eq!(
        tb_after
            .get(&("2000".into(), "USD".into()))
            .map(String::as_str),
        Some("0.00")
    );
    c.assert_trial_balance_zero(&["EUR", "USD"]);
    assert_eq!(customer_balances(&c), balances_before);

    // The page: each reversed, with its reversal voucher, date and decision.
    let page = c.json(&["reimbursements", "--json"]);
    for (i, r) in rows(&page["reimbursements"]).iter().enumerate() {
        assert_eq!(r["status"], "reversed", "{r}");
        assert_eq!(r["reversal_voucher"], format!("RMB-{:06}", 14 + i), "{r}");
        assert_eq!(r["reversed_date"], "2026-11-30");
        let d = &r["last_decision"];
        assert_eq!(
            [&d["decision"], &d["user"], &d["reason"], &d["run"]],
            [
                &Value::from("reverse"),
                &Value::from("alice"),
                &Value::from("wrong rules"),
                &Value::from(2)
            ]
        );
    }
    // The first reversal mirrors reimbursement 1 (C-001 to V-100, 50.00 USD).
    assert_eq!(
        c.voucher_lines("RMB-000014"),
        vec![
            vec!["2000", "USD", "5000", "NULL", "V-100"],
            vec!["1200", "USD", "-5000", "C-001", "NULL"],
        ]
    );
    assert_eq!(
        c.query("SELECT kind, considered, reimbursed, user_name, selection FROM runs WHERE id = 2"),
        vec![vec![
            "reversal",
            "13",
            "13",
            "alice",
            "reverse run 1: wrong rules"
        ]]
    );
    assert_eq!(
        c.count("SELECT count(*) FROM decisions WHERE decision = 'reverse' AND run_id = 2"),
        13
    );
    // Every vendor invoice settled by its reversal; no vendor owes or is owed anything.
    assert_eq!(
        c.count("SELECT count(*) FROM vendor_transactions WHERE open_minor <> 0"),
        0
    );

    // The next run reimburses the same customers the same amounts, to the same vendors: the
    // one-time vendors are reused, none is created.
    let second = c.json(&RUN);
    assert_eq!(reimbursed(&second), reimbursed(&first));
    assert_eq!(one_time_vendors(&c), 7);
    c.assert_trial_balance_zero(&["EUR", "USD"]);
}

#[test]
fn a_paid_reimbursement_is_not_reversed_and_nothing_is_written() {
    let c = demo_run();
    c.json(&["pay", "--date", "2026-12-01", "--json"]);
    let before = c.snapshot();
    let err = c.fails(
        1,
        &[
            "reverse",
            "--reimbursement",
            "3",
            "--reason",
            "oops",
            "--date",
            "2026-12-02",
        ],
    );
    assert_eq!(
        err,
        "error: nothing was reversed: reimbursement 3 is paid: reversing a payment is a bank matter\n"
    );
    let err = c.fails(
        1,
        &[
            "reverse",
            "--run",
            "1",
            "--reason",
            "oops",
            "--date",
            "2026-12-02",
        ],
    );
    assert!(
        err.starts_with("error: nothing was reversed (13 refusals):\n  reimbursement 1 is paid: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 14, "{err}");
    // A payment run is not a reimbursement run; an unknown run or id is named.
    let err = c.fails(1, &["reverse", "--run", "2", "--reason", "oops"]);
    assert_eq!(
        err,
        "error: nothing was reversed: run 2 is a payment run, not a reimbursement run\n"
    );
    let err = c.fails(1, &["reverse", "--run", "9", "--reason", "oops"]);
    assert_eq!(err, "error: nothing was reversed: there is no run 9\n");
    let err = c.fails(1, &["reverse", "--reimbursement", "99", "--reason", "oops"]);
    assert_eq!(
        err,
        "error: nothing was reversed: there is no reimbursement 99\n"
    );
    c.assert_unchanged(&before, "refused reversals");
}

#[test]
fn a_date_before_the_reimbursement_and_a_partly_settled_invoice_are_refused() {
    let c = demo_run();
    let before = c.snapshot();
    let err = c.fails(
        1,
        &[
            "reverse",
            "--reimbursement",
            "1",
            "--reason",
            "x",
            "--date",
            "2026-11-29",
        ],
    );
    assert_eq!(
        err,
        "error: nothing was reversed: reimbursement 1 is dated 2026-11-30: it cannot be reversed \
         on 2026-11-29, before it\n"
    );
    c.assert_unchanged(&before, "a reversal dated before the reimbursement");

    // A script pays 10.00 of VINV-000001 (reimbursement 1, V-100) by a debit settled against it.
    let invoice = c.count("SELECT vendor_txn_id FROM reimbursements WHERE id = 1");
    let script = c.write(
        "part.rhai",
        &format!(
            r#"let v = post_voucher(#{{ sequence: "payment", description: "part",
                lines: [#{{ vendor: "V-100", currency: "USD", amount: 10.00, type: "payment" }},
                        #{{ account: "1010", currency: "USD", amount: -10.00 }}] }});
               settle_vendor(v.vendor_transactions[0], {invoice});"#
        ),
    );
    c.ok(&["script", script.to_str().unwrap(), "--date", "2026-11-30"]);
    let before = c.snapshot();
    let err = c.fails(
        1,
        &[
            "reverse",
            "--reimbursement",
            "1,2",
            "--reason",
            "x",
            "--date",
            "2026-11-30",
        ],
    );
    assert_eq!(
        err,
        "error: nothing was reversed: reimbursement 1: its vendor invoice VINV-000001 is partly \
         settled (40.00 of 50.00 USD open); only an invoice open in full can be reversed\n"
    );
    c.assert_unchanged(&before, "a reversal of a partly settled invoice");
}

#[test]
fn a_dry_run_shows_the_reversal_and_writes_nothing() {
    let c = demo_run();
    let before = c.snapshot();
    let report = c.json(&[
        "reverse",
        "--run",
        "1",
        "--reason",
        "try",
        "--date",
        "2026-11-30",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(rows(&report["reversed"]).len(), 13);
    assert_eq!(report["reversed"][0]["reversal_voucher"], "RMB-000014");
    assert_eq!(
        report["totals"],
        serde_json::json!({"EUR": "203.50", "USD": "1510.50"})
    );
    c.assert_unchanged(&before, "a dry run of reverse");
    let table = c.ok(&[
        "reverse",
        "--run",
        "1",
        "--reason",
        "try",
        "--date",
        "2026-12-01",
        "--dry-run",
    ]);
    assert!(
        table.contains("13 reimbursements would reverse (dry run, nothing written)"),
        "{table}"
    );
    c.assert_unchanged(&before, "a dry run of reverse (table)");
}

#[test]
fn pay_after_a_reversal_pays_nothing_reversed() {
    let c = demo_run();
    c.ok(&[
        "reverse",
        "--reimbursement",
        "1",
        "--reimbursement",
        "2",
        "--reason",
        "dup",
        "--date",
        "2026-12-01",
    ]);
    let paid = c.json(&["pay", "--date", "2026-12-01", "--json"]);
    let ids: Vec<i64> = rows(&paid["payments"])
        .iter()
        .map(|p| p["reimbursement"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (3..=13).collect::<Vec<_>>());
    assert_eq!(rows(&paid["not_paid"]).len(), 0);
    assert_eq!(
        paid["totals"],
        serde_json::json!({"EUR": "203.50", "USD": "1380.50"})
    );
    // The reversed ones stay reversed, unpaid.
    assert_eq!(
        c.query("SELECT id, status, payment_voucher_id FROM reimbursements WHERE id <= 2"),
        vec![vec!["1", "open", "NULL"], vec!["2", "open", "NULL"]]
    );
    let page = c.json(&["reimbursements", "--json"]);
    assert_eq!(page["reimbursements"][0]["status"], "reversed");
    assert_eq!(page["reimbursements"][2]["status"], "paid");
}

#[test]
fn one_reimbursement_is_reversed_by_id_and_only_once() {
    let c = demo_run();
    // Reimbursement 7: C-008's 40.00 USD (its invoice netted first) to one-time vendor OTV-000003.
    let report = json_as(
        &c,
        "alice",
        &[
            "reverse",
            "--reimbursement",
            "7",
            "--reason",
            "asked",
            "--date",
            "2026-12-01",
            "--json",
        ],
    );
    assert_eq!(rows(&report["reversed"]).len(), 1);
    let r = &report["reversed"][0];
    assert_eq!(
        [
            "customer",
            "vendor",
            "currency",
            "amount",
            "voucher",
            "vendor_invoice",
            "reversal_voucher"
        ]
        .map(|k| text(r, k)),
        [
            "C-008",
            "OTV-000003",
            "USD",
            "40.00",
            "RMB-000007",
            "VINV-000007",
            "RMB-000014"
        ]
    );
    assert_eq!(
        c.voucher_lines("RMB-000014"),
        vec![
            vec!["2000", "USD", "4000", "NULL", "OTV-000003"],
            vec!["1200", "USD", "-4000", "C-008", "NULL"],
        ]
    );
    // C-008's credit is open again for 40.00 (the netted invoice stays settled: history is
    // added, never deleted).
    assert_eq!(c.customer_balance("C-008", "USD"), "-40.00");
    assert_eq!(
        c.open_amounts("C-008"),
        vec![
            ("INV-1008".into(), "invoice".into(), 0),
            ("PAY-1008".into(), "payment".into(), 0),
            ("VINV-000007".into(), "reimbursement".into(), 0),
            ("RMB-000007".into(), "reversal".into(), -4000),
        ]
    );
    // The one-time vendor stays, linked to its customer.
    assert_eq!(
        c.query("SELECT vendor_account FROM customers WHERE account = 'C-008'"),
        vec![vec!["OTV-000003"]]
    );
    assert_eq!(c.vendor_balance("OTV-000003", "USD"), "0.00");
    assert_eq!(
        c.query("SELECT id FROM reimbursements WHERE reversal_voucher_id IS NOT NULL"),
        vec![vec!["7"]]
    );
    let before = c.snapshot();
    let err = c.fails(1, &["reverse", "--reimbursement", "7", "--reason", "again"]);
    assert_eq!(
        err,
        "error: nothing was reversed: reimbursement 7 was reversed already (on 2026-12-01)\n"
    );
    // By run, the one reversed already is left out and listed.
    let report = c.json(&[
        "reverse",
        "--run",
        "1",
        "--reason",
        "all",
        "--date",
        "2026-12-01",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(rows(&report["reversed"]).len(), 12);
    assert_eq!(
        report["left_out"],
        serde_json::json!([{"reimbursement": 7, "status": "reversed"}])
    );
    c.assert_unchanged(&before, "a second reversal");
}

/// The demo with an approval section: above 500.00 USD needs bob's approval (alice is none).
fn with_approval() -> Company {
    let yaml = edit(
        &company_yaml(),
        "minimum_reimbursement:",
        "approval: { required_above: 500.00, approvers: { bob: 100000.00 } }\nminimum_reimbursement:",
    );
    let c = Company::with_parameters(&yaml);
    let ledger = crate::common::contoso_ledger();
    c.ok(&["init", "--fixture", ledger.to_str().unwrap()]);
    as_user(&c, "carol", &RUN);
    // Reimbursement 11 (C-018, 1000.00 USD) is above the threshold: pending approval. (Set here
    // as well, so that the test does not depend on how the run marks it.)
    c.conn()
        .execute(
            "UPDATE reimbursements SET approval = 'pending' WHERE amount_minor > 50000",
            [],
        )
        .unwrap();
    c
}

#[test]
fn an_approver_rejects_a_reimbursement_pending_approval() {
    let c = with_approval();
    let page = c.json(&["reimbursements", "--json"]);
    assert_eq!(page["reimbursements"][10]["status"], "pending approval");
    let report = json_as(
        &c,
        "bob",
        &[
            "reject",
            "--reimbursement",
            "11",
            "--reason",
            "no deposit refund",
            "--date",
            "2026-12-01",
            "--json",
        ],
    );
    assert_eq!(report["decision"], "reject");
    let r = &report["reversed"][0];
    assert_eq!(
        ["customer", "vendor", "amount", "reversal_voucher"].map(|k| text(r, k)),
        ["C-018", "V-400", "1000.00", "RMB-000014"]
    );
    assert_eq!(
        c.voucher_lines("RMB-000014"),
        vec![
            vec!["2000", "USD", "100000", "NULL", "V-400"],
            vec!["1200", "USD", "-100000", "C-018", "NULL"],
        ]
    );
    assert_eq!(c.customer_balance("C-018", "USD"), "-1000.00");
    assert_eq!(
        c.query("SELECT decision, user, reason, run_id FROM decisions WHERE reimbursement_id = 11"),
        vec![vec!["reject", "bob", "no deposit refund", "2"]]
    );
    assert_eq!(
        c.query("SELECT kind, user_name FROM runs WHERE id = 2"),
        vec![vec!["reversal", "bob"]]
    );
    let page = c.json(&["reimbursements", "--json"]);
    assert_eq!(page["reimbursements"][10]["status"], "reversed");
    assert_eq!(
        page["reimbursements"][10]["last_decision"]["decision"],
        "reject"
    );
}

#[test]
fn a_rejection_by_a_non_approver_or_of_one_not_pending_is_refused() {
    let c = with_approval();
    let before = c.snapshot();
    let err = fails_as(
        &c,
        "alice",
        &[
            "reject",
            "--reimbursement",
            "11",
            "--reason",
            "no",
            "--date",
            "2026-12-01",
        ],
    );
    assert_eq!(
        err,
        "error: nothing was rejected: alice is not an approver (see `approval.approvers` in the \
         company parameters)\n"
    );
    let err = fails_as(
        &c,
        "bob",
        &[
            "reject",
            "--reimbursement",
            "1",
            "--reason",
            "no",
            "--date",
            "2026-12-01",
        ],
    );
    assert_eq!(
        err,
        "error: nothing was rejected: reimbursement 1 is open, not pending approval: only one \
         pending approval can be rejected\n"
    );
    let err = fails_as(
        &c,
        "alice",
        &[
            "reject",
            "--reimbursement",
            "1,11",
            "--reason",
            "no",
            "--date",
            "2026-12-01",
        ],
    );
    assert_eq!(err.lines().count(), 3, "{err}");
    c.assert_unchanged(&before, "refused rejections");
    // Without the approval section there is nothing to reject.
    let plain = demo_run();
    let err = fails_as(
        &plain,
        "bob",
        &[
            "reject",
            "--reimbursement",
            "1",
            "--reason",
            "no",
            "--date",
            "2026-12-01",
        ],
    );
    assert!(
        err.starts_with("error: reject needs the `approval:` section"),
        "{err}"
    );
}
