//! After a run: approval with limits and four eyes (`approve`), a user's holds (`hold`,
//! `release`), what `pay` does with them, a reimbursement's `history`, the page's status and last
//! decision, and the same operations from a script.

use std::process::Output;

use serde_json::{Value, json};

use crate::common::{Company, company_yaml, no_panic, rows};

/// C-1 EUR 2000.00 (2170.00 USD: pending), C-2 USD 6000.00 (pending, above alice's limit), C-3
/// USD 500.00 and C-4 USD 1000.00 (at the threshold: no approval needed).
const LEDGER: &str = r#"
customers:
  - { account: C-1, name: Euro Kunde, currency: EUR }
  - { account: C-2, name: Big Refund Inc, currency: USD }
  - { account: C-3, name: Small Refund Inc, currency: USD }
  - { account: C-4, name: Threshold Inc, currency: USD }
transactions:
  - { customer: C-1, date: 2026-10-01, type: payment, document: P-1, amount: -2000.00, currency: EUR }
  - { customer: C-2, date: 2026-10-02, type: payment, document: P-2, amount: -6000.00 }
  - { customer: C-3, date: 2026-10-03, type: payment, document: P-3, amount: -500.00 }
  - { customer: C-4, date: 2026-10-04, type: payment, document: P-4, amount: -1000.00 }
"#;

const APPROVAL: &str =
    "approval:\n  required_above: 1000.00\n  approvers: { alice: 5000.00, bob: 100000.00 }\n";

/// The test company with the approval section, loaded with [`LEDGER`].
fn company() -> Company {
    Company::with(&format!("{}\n{APPROVAL}", company_yaml()), LEDGER)
}

/// Runs `reimburse <args>` as `user` (the USER the runs and decisions record).
fn as_user(c: &Company, user: &str, args: &[&str]) -> Output {
    let out = c
        .command(args)
        .env("USER", user)
        .output()
        .expect("run reimburse");
    no_panic(&out);
    out
}

/// `as_user` that must succeed and print JSON.
fn json_as(c: &Company, user: &str, args: &[&str]) -> Value {
    let out = as_user(c, user, args);
    assert!(
        out.status.success(),
        "{args:?} as {user}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// `as_user` that must fail with exit code 1; returns (stdout, stderr).
fn refused_as(c: &Company, user: &str, args: &[&str]) -> (String, String) {
    let out = as_user(c, user, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The run of 2026-11-30 as `user`; returns its JSON report.
fn run_as(c: &Company, user: &str) -> Value {
    json_as(c, user, &["run", "--json", "--date", "2026-11-30"])
}

/// The statuses of the reimbursement page, by id.
fn statuses(c: &Company) -> Vec<Row> {
    let page = c.json(&["reimbursements", "--json"]);
    rows(&page["reimbursements"])
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A reimbursement's id and a text about it.
type Row = (i64, String);

/// `(id, amount)` of each payment, and `(id, reason)` of each invoice not paid.
fn paid_and_not(report: &Value) -> (Vec<Row>, Vec<Row>) {
    let paid = rows(&report["payments"])
        .iter()
        .map(|p| {
            (
                p["reimbursement"].as_i64().unwrap(),
                p["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    let not_paid = rows(&report["not_paid"])
        .iter()
        .map(|p| {
            (
                p["reimbursement"].as_i64().unwrap(),
                p["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    (paid, not_paid)
}

/// `(id, "pending approval")` for each id.
fn pending(ids: &[i64]) -> Vec<Row> {
    ids.iter()
        .map(|&id| (id, "pending approval".to_string()))
        .collect()
}

#[test]
fn approval_needed_and_given_then_pay_pays_it() {
    let c = company();
    let run = run_as(&c, "carol");
    let made: Vec<(String, String, String)> = rows(&run["reimbursements"])
        .iter()
        .map(|r| {
            (
                r["customer"].as_str().unwrap().into(),
                r["amount"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("C-1", "2000.00", "pending approval"),
        ("C-2", "6000.00", "pending approval"),
        ("C-3", "500.00", "open"),
        ("C-4", "1000.00", "open"),
    ];
    assert_eq!(
        made,
        expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    // The table shows the status too, with an approval section.
    let table = c.ok(&["reimbursements", "--status", "pending"]);
    assert_eq!(table.lines().last(), Some("2 reimbursements"), "{table}");
    // pay pays the two that need no approval and lists the others as pending.
    let pay = json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-01"]);
    let (paid, not_paid) = paid_and_not(&pay);
    assert_eq!(paid, [(3, "500.00".into()), (4, "1000.00".into())]);
    assert_eq!(not_paid, pending(&[1, 2]));
    // alice approves the EUR one: 2170.00 USD is within her 5000.00.
    let approved = json_as(
        &c,
        "alice",
        &[
            "approve",
            "--reimbursement",
            "1",
            "--note",
            "checked the bank statement",
            "--json",
        ],
    );
    assert_eq!(
        approved,
        json!({
            "approved": [{
                "id": 1, "run": 1, "customer": "C-1", "currency": "EUR", "amount": "2000.00",
                "accounting_amount": "2170.00", "status": "open"
            }],
            "refused": []
        })
    );
    assert_eq!(
        c.query("SELECT reimbursement_id, decision, user, run_id, reason FROM decisions"),
        [[
            "1",
            "approve",
            "alice",
            "NULL",
            "checked the bank statement"
        ]]
    );
    let pay = json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-02"]);
    let (paid, not_paid) = paid_and_not(&pay);
    assert_eq!(paid, [(1, "2000.00".into())]);
    assert_eq!(not_paid, pending(&[2]));
    assert_eq!(
        statuses(&c),
        [
            (1, "paid".into()),
            (2, "pending approval".into()),
            (3, "paid".into()),
            (4, "paid".into())
        ]
    );
    c.assert_trial_balance_zero(&["EUR", "USD"]);
}

#[test]
fn the_runs_table_shows_the_status_with_an_approval_section() {
    let c = company();
    let out = as_user(&c, "carol", &["run", "--date", "2026-11-30"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{table}");
    let header = table.lines().nth(1).unwrap_or_default();
    assert!(
        header.contains("vendor invoice") && header.contains("status"),
        "{table}"
    );
    let c1 = table
        .lines()
        .find(|l| l.contains("C-1"))
        .unwrap_or_default();
    assert!(
        c1.contains("2000.00") && c1.contains("pending approval"),
        "{table}"
    );
    let c3 = table
        .lines()
        .find(|l| l.contains("C-3"))
        .unwrap_or_default();
    assert!(c3.contains("500.00") && c3.contains("open"), "{table}");
    // Without the section the table is as it always was.
    let plain = Company::with(&company_yaml(), LEDGER);
    let table = plain.ok(&["run", "--date", "2026-11-30"]);
    assert!(!table.contains("status"), "{table}");
}

#[test]
fn over_the_approvers_limit_is_refused_and_a_higher_limit_approves() {
    let c = company();
    run_as(&c, "carol");
    let before = c.snapshot();
    let (stdout, stderr) = refused_as(&c, "alice", &["approve", "--reimbursement", "2"]);
    assert_eq!(
        stdout,
        "refused: reimbursement 2: over the limit: 6000.00 USD is more than the approver's \
         limit of 5000.00 USD\n0 reimbursements approved, 1 refused\n"
    );
    assert_eq!(
        stderr,
        "error: none of the 1 selected reimbursement(s) was approved: each was refused (see the \
         refusals)\n"
    );
    c.assert_unchanged(&before, "a refused approval");
    let approved = json_as(&c, "bob", &["approve", "--reimbursement", "2", "--json"]);
    assert_eq!(approved["approved"][0]["accounting_amount"], "6000.00");
    assert_eq!(statuses(&c)[1], (2, "open".into()));
}

#[test]
fn the_runner_cannot_approve_their_own_run() {
    let c = company();
    run_as(&c, "alice");
    let (stdout, _) = refused_as(&c, "alice", &["approve", "--run", "1", "--json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report,
        json!({
            "approved": [],
            "refused": [
                {"id": 1, "reason": "own run (four eyes): alice made run 1, which posted it; another approver must approve it"},
                {"id": 2, "reason": "own run (four eyes): alice made run 1, which posted it; another approver must approve it"}
            ]
        })
    );
    assert_eq!(c.count("SELECT count(*) FROM decisions"), 0);
    // bob approves the whole run: the two pending ones.
    let approved = json_as(&c, "bob", &["approve", "--run", "1", "--json"]);
    let ids: Vec<i64> = rows(&approved["approved"])
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(
        c.query("SELECT reimbursement_id, user FROM decisions ORDER BY id"),
        [["1", "bob"], ["2", "bob"]]
    );
}

#[test]
fn refusals_name_their_rule_and_the_others_are_approved() {
    let c = company();
    run_as(&c, "carol");
    let (stdout, _) = refused_as(&c, "dave", &["approve", "--reimbursement", "1"]);
    assert_eq!(
        stdout.lines().next(),
        Some("refused: reimbursement 1: not an approver: dave is not listed in approval.approvers")
    );
    // A mixed selection approves what it may (exit code 0) and says why not the others.
    let report = json_as(
        &c,
        "alice",
        &[
            "approve",
            "--reimbursement",
            "1,3",
            "--reimbursement",
            "99",
            "--json",
        ],
    );
    assert_eq!(report["approved"][0]["id"], 1);
    assert_eq!(
        report["refused"],
        json!([
            {"id": 3, "reason": "not pending approval (it is open)"},
            {"id": 99, "reason": "not found"}
        ])
    );
}

#[test]
fn without_an_approval_section_nothing_is_pending_and_approve_is_an_error() {
    let c = Company::with(&company_yaml(), LEDGER);
    let run = run_as(&c, "carol");
    assert!(
        rows(&run["reimbursements"])
            .iter()
            .all(|r| r["status"] == "open")
    );
    let before = c.snapshot();
    let (_, stderr) = refused_as(&c, "bob", &["approve", "--reimbursement", "1"]);
    assert_eq!(
        stderr,
        "error: this company has no approval: nothing needs approving (add an `approval:` \
         section with required_above and approvers to the company parameters to require it)\n"
    );
    c.assert_unchanged(&before, "approve without an approval section");
    let pay = json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-01"]);
    assert_eq!(paid_and_not(&pay).0.len(), 4);
}

#[test]
fn a_hold_that_pay_respects_then_release_then_pay() {
    let c = company();
    run_as(&c, "carol");
    let held = json_as(
        &c,
        "dave",
        &[
            "hold",
            "--reimbursement",
            "3",
            "--reason",
            "customer disputes the refund",
            "--json",
        ],
    );
    assert_eq!(held["held"][0]["status"], "held");
    assert_eq!(
        held["held"][0]["hold_reason"],
        "customer disputes the refund"
    );
    let pay = json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-01"]);
    let (paid, not_paid) = paid_and_not(&pay);
    assert_eq!(paid, [(4, "1000.00".into())]);
    assert_eq!(
        not_paid,
        [
            (1, "pending approval".into()),
            (2, "pending approval".into()),
            (3, "held".into())
        ]
    );
    let released = json_as(
        &c,
        "dave",
        &[
            "release",
            "--reimbursement",
            "3",
            "--note",
            "resolved",
            "--json",
        ],
    );
    assert_eq!(released["released"][0]["status"], "open");
    let pay = json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-02"]);
    assert_eq!(paid_and_not(&pay).0, [(3, "500.00".into())]);
    assert_eq!(
        c.query("SELECT reimbursement_id, decision, user, reason FROM decisions ORDER BY id"),
        [
            ["3", "hold", "dave", "customer disputes the refund"],
            ["3", "release", "dave", "resolved"]
        ]
    );
}

#[test]
fn hold_and_release_refusals_leave_the_database_unchanged() {
    let c = company();
    run_as(&c, "carol");
    json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-01"]);
    c.ok(&["hold", "--reimbursement", "1", "--reason", "first"]);
    let before = c.snapshot();
    // 4 is paid, 99 unknown: nothing is held, not even 2.
    let (_, stderr) = refused_as(
        &c,
        "dave",
        &["hold", "--reimbursement", "2,4,99", "--reason", "audit"],
    );
    assert_eq!(
        stderr,
        "error: hold refused, nothing changed:\n  reimbursement 4: paid (its payment cannot be held \
         back)\n  reimbursement 99: not found\n"
    );
    c.assert_unchanged(&before, "a refused hold");
    let (stdout, stderr) = refused_as(
        &c,
        "dave",
        &[
            "hold",
            "--reimbursement",
            "1",
            "--reason",
            "again",
            "--json",
        ],
    );
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap(),
        json!({"held": [], "refused": [{"id": 1, "reason": "held already: first"}]})
    );
    assert!(
        stderr.contains("reimbursement 1: held already: first"),
        "{stderr}"
    );
    let (_, stderr) = refused_as(&c, "dave", &["release", "--reimbursement", "2"]);
    assert_eq!(
        stderr,
        "error: release refused, nothing changed:\n  reimbursement 2: not held\n"
    );
    let (_, stderr) = refused_as(
        &c,
        "dave",
        &["hold", "--reimbursement", "2", "--reason", " "],
    );
    assert_eq!(stderr, "error: a hold needs a reason (--reason TEXT)\n");
    c.assert_unchanged(&before, "refused holds and releases");
}

#[test]
fn history_lists_what_happened_in_order() {
    let c = company();
    run_as(&c, "carol");
    as_user(
        &c,
        "dave",
        &["hold", "--reimbursement", "1", "--reason", "check the IBAN"],
    );
    as_user(&c, "dave", &["release", "--reimbursement", "1"]);
    as_user(
        &c,
        "alice",
        &["approve", "--reimbursement", "1", "--note", "fine"],
    );
    json_as(&c, "carol", &["pay", "--json", "--date", "2026-12-01"]);
    let history = c.json(&["history", "--reimbursement", "1", "--json"]);
    let events = rows(&history["events"]);
    let summary: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (
                text("event"),
                format!("{}{}", text("decision"), text("voucher")),
                text("user"),
            )
        })
        .collect();
    let expected = [
        ("posted", "RMB-000001", "carol"),
        ("decision", "hold", "dave"),
        ("decision", "release", "dave"),
        ("decision", "approve", "alice"),
        ("paid", "PAY-000001", "carol"), // the payment run's user
    ];
    assert_eq!(
        summary,
        expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert_eq!(events[0]["amount"], "2000.00");
    assert_eq!(events[0]["currency"], "EUR");
    assert_eq!(events[0]["run"], 1);
    assert_eq!(events[1]["reason"], "check the IBAN");
    assert_eq!(events[3]["reason"], "fine");
    assert_eq!(events[4]["date"], "2026-12-01");
    let table = c.ok(&["history", "--reimbursement", "1"]);
    assert!(table.contains("check the IBAN"), "{table}");
    let err = c.fails(1, &["history", "--reimbursement", "7"]);
    assert_eq!(err, "error: reimbursement 7 does not exist\n");
}

#[test]
fn the_page_shows_the_status_and_the_last_decision() {
    let c = company();
    run_as(&c, "carol");
    as_user(
        &c,
        "dave",
        &["hold", "--reimbursement", "3", "--reason", "dispute"],
    );
    let page = c.json(&["reimbursements", "--json", "--status", "pending approval"]);
    let ids: Vec<i64> = rows(&page["reimbursements"])
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    let held = c.json(&["reimbursements", "--json", "--status", "held"]);
    let held = &rows(&held["reimbursements"])[0];
    assert_eq!(held["id"], 3);
    assert_eq!(held["last_decision"]["decision"], "hold");
    assert_eq!(held["last_decision"]["user"], "dave");
    assert_eq!(held["last_decision"]["reason"], "dispute");
    let at = held["last_decision"]["at"].as_str().unwrap().to_string();
    let csv = c.ok(&["reimbursements", "--csv", "--customer", "C-3"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "id,run,date,customer,vendor,one_time_vendor,currency,amount,voucher,vendor_invoice,status,payment_voucher,paid_date,hold_reason,last_decision,decided_by,decided_at",
            &format!(
                "3,1,2026-11-30,C-3,OTV-000003,true,USD,500.00,RMB-000003,VINV-000003,held,,,dispute,hold,dave,{at}"
            ),
        ]
    );
    let open = c.json(&["reimbursements", "--json", "--status", "open"]);
    assert_eq!(rows(&open["reimbursements"]).len(), 1);
    assert!(open["reimbursements"][0].get("last_decision").is_none());
}

#[test]
fn a_script_approves_holds_and_reads_the_history() {
    let c = company();
    run_as(&c, "carol");
    let script = c.write(
        "approve.rhai",
        r#"
        let r = approve(1, "by script");
        print(r.status);
        print(r.last_decision.user);
        let h = hold(2, "waiting");
        print(h.hold_reason);
        let events = history(1);
        print(events.len());
        print(events[1].decision);
        let failed = "";
        try { approve(2); } catch (e) { failed = e; }
        print(failed);
        "#,
    );
    let out = as_user(&c, "alice", &["script", script.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        &lines[..6],
        [
            "open",
            "alice",
            "waiting",
            "2",
            "approve",
            "approve: reimbursement 2: over the limit: 6000.00 USD is more than the approver's limit of 5000.00 USD"
        ]
    );
    assert_eq!(
        c.query("SELECT reimbursement_id, decision, user, reason FROM decisions ORDER BY id"),
        [
            ["1", "approve", "alice", "by script"],
            ["2", "hold", "alice", "waiting"]
        ]
    );
    assert_eq!(statuses(&c)[0], (1, "open".into()));
}

/// What a new user's test found: a name given twice among the approvers, no approver at all,
/// `approve --run` of a run that posts no reimbursements, the hold's reason in `pay`'s table, and
/// who paid in the history.
#[test]
fn a_new_users_findings_are_answered() {
    let yaml = company_yaml();
    for (section, expected) in [
        (
            "approval:\n  required_above: 10.00\n  approvers:\n    bob: 100.00\n    bob: 5.00\n",
            "duplicate entry with key \"bob\"",
        ),
        (
            "approval:\n  required_above: 10.00\n  approvers: {}\n",
            "at least one approver is needed",
        ),
    ] {
        let c = Company::with_parameters(&format!("{yaml}\n{section}"));
        let err = c.fails(1, &["init"]);
        assert!(err.contains(expected), "{err}");
        assert!(err.contains("approval.approvers"), "{err}");
        assert!(err.contains("company.yaml:"), "{err}");
    }

    let c = company();
    run_as(&c, "carol");
    json_as(
        &c,
        "carol",
        &[
            "reverse",
            "--reimbursement",
            "3",
            "--reason",
            "typo",
            "--date",
            "2026-11-30",
            "--json",
        ],
    );
    let (_, err) = refused_as(&c, "bob", &["approve", "--run", "2"]);
    assert!(
        err.contains("run 2 is a reversal run, not a reimbursement run"),
        "{err}"
    );
    let (_, err) = refused_as(&c, "bob", &["approve", "--run", "9"]);
    assert!(err.contains("there is no run 9"), "{err}");

    json_as(
        &c,
        "bob",
        &[
            "hold",
            "--reimbursement",
            "4",
            "--reason",
            "customer disputes the refund",
            "--json",
        ],
    );
    let out = as_user(&c, "dave", &["pay", "--date", "2026-12-01"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("held: customer disputes the refund"),
        "{table}"
    );
    json_as(&c, "bob", &["release", "--reimbursement", "4", "--json"]);
    json_as(&c, "dave", &["pay", "--date", "2026-12-02", "--json"]);
    let history = json_as(&c, "erin", &["history", "--reimbursement", "4", "--json"]);
    let events = history
        .as_array()
        .or_else(|| history["events"].as_array())
        .expect("events");
    let paid = events.last().unwrap();
    assert_eq!(paid["user"], "dave", "{paid}");
    assert_eq!(paid["run"], 4, "{paid}"); // runs: 1 run, 2 reversal, 3 and 4 payment
    // Once paid, the hold's reason no longer shows on the page (the decisions keep it).
    let page = c.json(&["reimbursements", "--json", "--customer", "C-4"]);
    assert!(
        page["reimbursements"][0].get("hold_reason").is_none(),
        "{page}"
    );
}
