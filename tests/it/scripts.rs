//! `reimburse script`, the finance scripts shipped in `scripts/`, and `reimburse api` (every
//! registered function documented, docs/api.md up to date), against a temporary copy of the demo
//! company.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::common::{DOWN_TO_SCHEMA_4, root};
use reimburse::scripting::{Echo, Session};

/// A temporary copy of the Contoso demo company: its parameters with the database in the
/// temporary folder and the shipped rule file, initialised from the demo ledger.
struct Demo {
    company: crate::common::Company,
}

impl Demo {
    fn new() -> Demo {
        Demo {
            company: crate::common::Company::contoso(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.company.run(args)
    }

    /// Runs a command that must succeed; returns (stdout, stderr).
    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(
            out.status.success(),
            "reimburse {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        (stdout, stderr)
    }

    /// Writes a script into the temporary folder.
    fn script(&self, name: &str, code: &str) -> PathBuf {
        self.company.write(name, code)
    }

    /// The value of a Rhai expression, evaluated by `reimburse script` (read-only).
    fn eval(&self, expr: &str) -> String {
        let file = self.script("eval.rhai", expr);
        let (stdout, _) = self.ok(&["script", file.to_str().unwrap(), "--dry-run"]);
        stdout.trim().to_string()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn shipped_scripts() -> Vec<PathBuf> {
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(root().join("scripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    scripts.sort();
    scripts
}

#[test]
fn every_shipped_script_has_a_header_and_runs_against_the_demo_company() {
    let scripts = shipped_scripts();
    assert!(scripts.len() >= 5, "{scripts:?}");
    let demo = Demo::new();
    // Before any run, then after a run and a payment (so that every report has rows).
    for stage in ["fresh", "after a run"] {
        if stage == "after a run" {
            demo.ok(&["run"]);
            demo.ok(&["pay", "--customer", "C-002"]);
        }
        for script in &scripts {
            let code = std::fs::read_to_string(script).unwrap();
            assert!(
                code.starts_with("// ") && code.contains("Usage:"),
                "{}: needs a header comment saying what it does and how to run it",
                script.display()
            );
            let (stdout, stderr) = demo.ok(&["script", script.to_str().unwrap(), "--dry-run"]);
            assert!(!stdout.trim().is_empty(), "{}: no output", script.display());
            assert!(
                !stderr.contains("error") && !stderr.contains("warning"),
                "{} ({stage}): {stderr}",
                script.display()
            );
        }
    }
}

fn shipped(name: &str) -> String {
    root().join("scripts").join(name).display().to_string()
}

#[test]
fn credit_balances_report_says_who_is_reimbursed_and_why_not() {
    let demo = Demo::new();
    let (stdout, _) = demo.ok(&["script", &shipped("credit_balances.rhai")]);
    for expected in [
        "C-001",
        "V-100",
        "(new one-time vendor)",
        "below minimum",
        "payment hold",
        "vendor V-200 is blocked",
        "vendor account V-404 does not exist",
        "13 to reimburse (203.50 EUR, 1510.50 USD), 6 skipped, 0 failing, 20 customers considered",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?}:\n{stdout}");
    }
    // It is a dry run whatever the options: nothing was written.
    assert_eq!(demo.eval("runs().len() + vendors().len()"), "6");
    let (stdout, _) = demo.ok(&[
        "script",
        &shipped("credit_balances.rhai"),
        "--arg",
        "customer=C-003",
    ]);
    assert!(stdout.contains("0 to reimburse, 1 skipped"), "{stdout}");
}

#[test]
fn credits_by_age_buckets_open_credits() {
    let demo = Demo::new();
    let (stdout, _) = demo.ok(&[
        "script",
        &shipped("credits_by_age.rhai"),
        "--arg",
        "as_of=2026-11-24",
    ]);
    assert!(stdout.contains("Total USD: 2045.49"), "{stdout}");
    assert!(stdout.contains("Total EUR: 203.50"), "{stdout}");
    // C-007's open credits: 50.00 of PAY-1007B (2026-09-20, 65 days) and CN-1007's 30.00
    // (2026-09-25, 60 days).
    let c007 = stdout.lines().find(|l| l.contains("C-007")).unwrap();
    let cells: Vec<&str> = c007.split('┆').map(str::trim).collect();
    assert_eq!(
        cells[3..8],
        ["0.00", "30.00", "50.00", "0.00", "80.00"],
        "{c007}"
    );
}

#[test]
fn one_time_vendors_not_yet_paid_are_listed() {
    let demo = Demo::new();
    let (stdout, _) = demo.ok(&["script", &shipped("one_time_vendors_unpaid.rhai")]);
    assert!(stdout.contains("No unpaid"), "{stdout}");
    demo.ok(&["run"]);
    demo.ok(&["pay", "--customer", "C-002"]);
    let (stdout, _) = demo.ok(&["script", &shipped("one_time_vendors_unpaid.rhai")]);
    // C-002's one-time vendor was paid; C-006's was not (two currencies), C-001's is no one-time.
    assert!(!stdout.contains("C-002"), "{stdout}");
    assert!(!stdout.contains("C-001"), "{stdout}");
    assert!(stdout.contains("C-006"), "{stdout}");
    assert!(stdout.contains("Total to pay in EUR: 83.50"), "{stdout}");
    assert!(stdout.contains("Total to pay in USD: 255.50"), "{stdout}");
}

#[test]
fn link_vendors_links_by_tax_id_or_name_and_previews_with_dry_run() {
    let demo = Demo::new();
    let setup = demo.script(
        "setup.rhai",
        r#"create_vendor(#{account: "V-900", name: "alpine ski house", currency: "USD"});
           create_vendor(#{account: "V-901", name: "Someone Else", currency: "USD", tax_id: "TX-3"});
           create_vendor(#{account: "V-902", name: "Proseware, Inc.", currency: "USD"});
           create_vendor(#{account: "V-903", name: "Proseware Inc", currency: "USD"});"#,
    );
    demo.ok(&["script", setup.to_str().unwrap()]);
    // No API to set a customer's tax id: give C-003 one the way an import would.
    let conn = demo.company.conn();
    conn.execute(
        "UPDATE customers SET tax_id = 'TX-3' WHERE account = 'C-003'",
        [],
    )
    .unwrap();
    drop(conn);

    let (stdout, stderr) = demo.ok(&["script", &shipped("link_vendors.rhai"), "--dry-run"]);
    assert!(stdout.contains("2 customer(s) linked"), "{stdout}");
    assert!(
        stderr.contains("dry run: 2 row changes rolled back"),
        "{stderr}"
    );
    assert_eq!(
        demo.eval("customer(\"C-002\").vendor_account == ()"),
        "true"
    );

    let (stdout, stderr) = demo.ok(&["script", &shipped("link_vendors.rhai")]);
    assert!(stderr.contains("committed 2 row changes"), "{stderr}");
    let row = |account: &str| {
        stdout
            .lines()
            .find(|l| l.contains(account))
            .unwrap_or_else(|| panic!("no row for {account}: {stdout}"))
            .to_string()
    };
    assert!(row("C-002").contains("V-900") && row("C-002").contains("name"));
    assert!(row("C-003").contains("V-901") && row("C-003").contains("tax id"));
    assert!(row("C-008").contains("ambiguous"), "{stdout}");
    assert_eq!(demo.eval("customer(\"C-002\").vendor_account"), "\"V-900\"");
    assert_eq!(demo.eval("customer(\"C-003\").vendor_account"), "\"V-901\"");
    assert_eq!(
        demo.eval("customer(\"C-008\").vendor_account == ()"),
        "true"
    );
}

#[test]
fn a_dry_run_in_a_script_sees_what_the_script_posted_before() {
    // The script's work is uncommitted: a run inside it must read customers and balances through
    // the script's own connection (a run of its own reads them ahead on a second one).
    let demo = Demo::new();
    let file = demo.script(
        "extra.rhai",
        r#"post_voucher(#{ sequence: "opening", description: "one more payment", lines: [
               #{ customer: "C-001", currency: "USD", amount: -25.00, type: "payment" },
               #{ account: "3999", currency: "USD", amount: 25.00 } ] });
           for r in dry_run().reimbursements {
               if r.customer == "C-001" { print(`C-001 ${r.currency} ${r.amount}`); }
           }"#,
    );
    let (stdout, _) = demo.ok(&["script", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(stdout.trim(), "C-001 USD 75.00", "{stdout}");
}

#[test]
fn a_dry_run_in_a_script_runs_the_hooks_the_script_redefines() {
    // C-003's 10.00 is below the minimum; the script's own `eligible` takes every credit, and
    // its `vendor_for` fails for C-002: the error names the script, not the rule file.
    let demo = Demo::new();
    let file = demo.script(
        "try_rule.rhai",
        r#"fn eligible(customer, credit) { true }
fn vendor_for(customer, credit) {
    if customer.account == "C-002" { throw "no vendor"; }
    ()
}
let r = dry_run(["C-002", "C-003"]);
print(`${r.reimbursements[0].customer} ${r.reimbursements[0].amount}`);
print(r.failed[0].error);
"#,
    );
    let (stdout, _) = demo.ok(&["script", file.to_str().unwrap()]);
    assert_eq!(
        stdout,
        format!(
            "C-003 10.00\n{}:3:38: hook vendor_for, customer C-002 (USD): no vendor\n",
            file.display()
        )
    );
}

#[test]
fn a_reimbursement_paid_by_a_script_is_paid_on_the_page_too() {
    // Accounts payable pays C-001's invoice (VINV-000001, 50.00 USD to V-100) by hand, not with
    // `reimburse pay`: the page follows the vendor ledger, and `pay` finds nothing more for it.
    let demo = Demo::new();
    demo.ok(&["run", "--date", "2026-11-30"]);
    let file = demo.script(
        "pay_by_hand.rhai",
        r#"let invoice = vendor_open_transactions("V-100")[0];
let paid = post_voucher(#{ sequence: "payment", description: "paid by hand", lines: [
    #{ vendor: "V-100", currency: "USD", amount: 50.00, document: "VINV-000001", type: "payment" },
    #{ account: "1010", currency: "USD", amount: -50.00 } ] });
settle_vendor(paid.vendor_transactions[0], invoice.id);
"#,
    );
    demo.ok(&["script", file.to_str().unwrap(), "--date", "2026-12-03"]);
    let (page, _) = demo.ok(&["reimbursements", "--json", "--customer", "C-001"]);
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    let row = &page["reimbursements"][0];
    assert_eq!(row["status"], "paid", "{page}");
    assert_eq!(row["paid_date"], "2026-12-03");
    assert_eq!(row["payment_voucher"], "PAY-000001");
    let (paid, _) = demo.ok(&[
        "pay",
        "--json",
        "--customer",
        "C-001",
        "--date",
        "2026-12-04",
    ]);
    let paid: serde_json::Value = serde_json::from_str(&paid).unwrap();
    assert_eq!(paid["payments"], serde_json::json!([]));

    // A database of schema 1 (before the trigger and schema 3's bank details and trail) that was
    // paid that way is brought up to date when it is opened.
    demo.company
        .conn()
        .execute_batch(&format!(
            "{DOWN_TO_SCHEMA_4}
             DROP TRIGGER reimbursement_paid;
             DROP TRIGGER account_totals_follow_lines;
             DROP TABLE account_totals;
             DROP TABLE control_accounts;
             UPDATE reimbursements SET status = 'open', payment_voucher_id = NULL, paid_date = NULL;
             DROP TABLE master_data_changes;
             DROP INDEX customer_transactions_document;
             ALTER TABLE customers DROP COLUMN iban;
             ALTER TABLE customers DROP COLUMN bic;
             ALTER TABLE vendors DROP COLUMN iban;
             ALTER TABLE vendors DROP COLUMN bic;
             PRAGMA user_version = 1;",
        ))
        .unwrap();
    let (page_again, _) = demo.ok(&["reimbursements", "--json", "--customer", "C-001"]);
    let page_again: serde_json::Value = serde_json::from_str(&page_again).unwrap();
    assert_eq!(page_again, page);
}

#[test]
fn reimbursement_summary_by_run() {
    let demo = Demo::new();
    let (stdout, _) = demo.ok(&["script", &shipped("reimbursement_summary.rhai")]);
    assert!(stdout.contains("No reimbursement runs yet"), "{stdout}");
    demo.ok(&["run"]);
    demo.ok(&["pay", "--customer", "C-002"]);
    demo.ok(&["run"]);
    let (stdout, _) = demo.ok(&["script", &shipped("reimbursement_summary.rhai")]);
    let usd = stdout
        .lines()
        .find(|l| l.contains("USD"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let cells: Vec<&str> = usd.split('┆').map(|c| c.trim_matches(['│', ' '])).collect();
    // run, …, currency, count, amount, paid, open, one-time vendors
    assert_eq!(cells[0], "1", "{usd}");
    assert_eq!(
        cells[6..12],
        ["USD", "10", "1510.50", "80.00", "1430.50", "6"],
        "{usd}"
    );
    // The second run reimbursed nothing and is listed too.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("│ 3 ") || l.starts_with("│   3")),
        "{stdout}"
    );
}

#[test]
fn a_script_commits_at_the_end_unless_dry_run() {
    let demo = Demo::new();
    let file = demo.script(
        "link.rhai",
        "link_vendor(\"C-002\", \"V-100\");\nlog(`linked on ${posting_date()}`);\nprint(\"done\");\ncustomer(\"C-002\").vendor_account\n",
    );
    let (stdout, stderr) = demo.ok(&[
        "script",
        file.to_str().unwrap(),
        "--dry-run",
        "--date",
        "2026-12-01",
    ]);
    assert_eq!(stdout, "linked on 2026-12-01\ndone\n\"V-100\"\n");
    assert_eq!(
        stderr,
        "dry run: 1 row change rolled back, nothing written\n"
    );
    assert_eq!(
        demo.eval("customer(\"C-002\").vendor_account == ()"),
        "true"
    );

    let (_, stderr) = demo.ok(&["script", file.to_str().unwrap()]);
    assert_eq!(stderr, "committed 1 row change\n");
    assert_eq!(demo.eval("customer(\"C-002\").vendor_account"), "\"V-100\"");
}

#[test]
fn a_failing_script_writes_nothing_and_says_where() {
    let demo = Demo::new();
    let file = demo.script(
        "fails.rhai",
        "link_vendor(\"C-002\", \"V-100\");\nfn check(c) {\n  c.nope\n}\ncheck(customer(\"C-002\"))\n",
    );
    let out = demo.run(&["script", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:5: in `check`", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        demo.eval("customer(\"C-002\").vendor_account == ()"),
        "true"
    );

    let broken = demo.script("broken.rhai", "let x = (1 + ;\n");
    let out = demo.run(&["script", broken.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!("{}:1:14: syntax error", broken.display())),
        "{}",
        text(&out.stderr)
    );
    let out = demo.run(&["script", "no-such-script.rhai"]);
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn arguments_are_visible_to_the_script() {
    let demo = Demo::new();
    let file = demo.script(
        "args.rhai",
        "let a = args();\n`${customer(a.who).name} ${a.note}`\n",
    );
    let (stdout, _) = demo.ok(&[
        "script",
        file.to_str().unwrap(),
        "--arg",
        "who=C-003",
        "--arg",
        "note=a=b",
    ]);
    assert_eq!(stdout.trim(), "\"Blue Yonder Airlines a=b\"");
    let out = demo.run(&["script", file.to_str().unwrap(), "--arg", "novalue"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("KEY=VALUE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn scripts_see_the_reimbursement_page_and_the_runs() {
    let demo = Demo::new();
    demo.ok(&["run"]);
    assert_eq!(demo.eval("reimbursements().len()"), "13");
    assert_eq!(
        demo.eval("reimbursements(#{customer: \"C-006\", status: \"open\"}).map(|r| r.currency)"),
        "[\"EUR\", \"USD\"]"
    );
    assert_eq!(demo.eval("runs()[0].kind"), "\"reimbursement\"");
    assert_eq!(
        demo.eval("days_between(\"2026-10-01\", \"2026-11-01\")"),
        "31"
    );
    let file = demo.script("bad_filter.rhai", "reimbursements(#{state: \"open\"})");
    let out = demo.run(&["script", file.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("unknown field 'state'"),
        "{}",
        text(&out.stderr)
    );
}

// ----- reimburse api -----

fn api_session() -> std::rc::Rc<Session> {
    let params = reimburse::sample_company().unwrap().params;
    let ledger =
        reimburse::ledger::Ledger::new(reimburse::store::Store::in_memory().unwrap(), params)
            .unwrap();
    Session::new(
        ledger,
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        Echo::Collect,
    )
}

#[test]
fn every_registered_function_is_documented() {
    let undocumented = api_session().undocumented();
    assert!(
        undocumented.is_empty(),
        "registered without documentation (use Api::add with a doc string): {undocumented:#?}"
    );
    for d in api_session().api() {
        assert!(!d.doc.trim().is_empty(), "{} has no doc", d.signature);
    }
}

#[test]
fn reimburse_api_lists_every_function_and_type() {
    let out = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("api")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let listing = text(&out.stdout);
    for d in api_session().api() {
        let shown = match d.name.split_once('.') {
            Some((_, prop)) => format!(".{prop} -> "),
            None if d.signature.starts_with("type ") => format!("\n{}\n", d.name),
            None => d.signature.clone(),
        };
        assert!(
            listing.contains(&shown),
            "`reimburse api` lacks {}",
            d.signature
        );
        assert!(
            listing.contains(&d.doc),
            "`reimburse api` lacks the doc of {}",
            d.signature
        );
    }
}

#[test]
fn docs_api_md_is_up_to_date() {
    let out = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .args(["api", "--markdown"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = text(&out.stdout);
    let stored = std::fs::read_to_string(root().join("docs/api.md")).unwrap_or_default();
    assert!(
        stored == generated,
        "docs/api.md is stale: regenerate it with `cargo run -- api --markdown > docs/api.md`"
    );
    for d in api_session().api() {
        assert!(
            generated.contains(&d.doc) || generated.contains(&d.doc.replace('|', "\\|")),
            "{}",
            d.signature
        );
    }
}

#[test]
fn a_committed_scripts_postings_are_recorded_as_a_run_of_their_own() {
    // Every posting is traceable: the script's vouchers and settlements get a run of kind
    // `script` with the file, the SHA-256 of its text, the parameters' hash and the user.
    let demo = Demo::new();
    let c = &demo.company;
    let code = r#"let v = post_voucher(#{ sequence: "opening", description: "refund fee", lines: [
               #{ customer: "C-001", currency: "USD", amount: 5.00, type: "fee" },
               #{ account: "3999", currency: "USD", amount: -5.00 } ] });
           settle_against_open(v.customer_transactions[0]);"#;
    let file = demo.script("fee.rhai", code);
    let runs = c.count("SELECT COUNT(*) FROM runs");
    demo.ok(&["script", file.to_str().unwrap(), "--arg", "why=fee"]);
    let run = c.query(
        "SELECT id, kind, rules_path, rules_hash, selection, parameters_hash <> '', user_name <> ''
         FROM runs ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(c.count("SELECT COUNT(*) FROM runs"), runs + 1);
    let id = &run[0][0];
    assert_eq!(
        run[0][1..],
        [
            "script".to_string(),
            file.display().to_string(),
            reimburse::process::sha256(code),
            "why=fee".to_string(),
            "1".to_string(),
            "1".to_string()
        ]
    );
    assert_eq!(
        c.query(&format!(
            "SELECT (SELECT COUNT(*) FROM vouchers WHERE run_id = {id}),
                    (SELECT COUNT(*) FROM customer_settlements WHERE run_id = {id}),
                    (SELECT COUNT(*) FROM vouchers WHERE run_id IS NULL AND description = 'refund fee')"
        )),
        [["1", "1", "0"]]
    );
    // A script that posts nothing, or a dry run, records no run.
    let report = demo.script("report.rhai", "customer(\"C-001\").name");
    demo.ok(&["script", report.to_str().unwrap()]);
    demo.ok(&["script", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(c.count("SELECT COUNT(*) FROM runs"), runs + 1);
}

/// The README's quick start commands (`cargo run -q -- <args>` joined by `&&`), each as its
/// arguments after `--company FILE`.
fn quick_start_commands() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("## Quick start")
        .expect("a Quick start section");
    let block = &readme[start..];
    let line = block
        .lines()
        .find(|l| l.starts_with("cargo run -q --"))
        .expect("the quick start command");
    line.split("&&")
        .map(|command| {
            let words: Vec<&str> = command.split_whitespace().collect();
            assert_eq!(
                words[..5],
                ["cargo", "run", "-q", "--", "--company"],
                "{command}"
            );
            words[6..].iter().map(|w| w.to_string()).collect()
        })
        .collect()
}

/// Runs the README's quick start on a temporary copy of the demo, with the run's `--date`
/// replaced by `date` when given; then every shipped script must list the open rows.
fn shipped_scripts_after_the_quick_start(date: Option<&str>) {
    let demo = crate::common::Company::uninitialised();
    for mut args in quick_start_commands() {
        for (i, word) in args.clone().iter().enumerate() {
            if word.starts_with("examples/") {
                args[i] = root().join(word).display().to_string();
            } else if let (Some(date), "--date") = (date, word.as_str()) {
                args[i + 1] = date.to_string();
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        demo.ok(&args);
    }
    let script = |name: &str| demo.ok(&["script", &shipped(name), "--dry-run"]);
    let unpaid = script("one_time_vendors_unpaid.rhai");
    // Eight reimbursements to one-time vendors are open.
    assert!(unpaid.contains("Unpaid reimbursements"), "{unpaid}");
    assert_eq!(unpaid.matches("OTV-").count(), 8, "{unpaid}");
    assert!(unpaid.contains("Total to pay in USD"), "{unpaid}");
    let by_age = script("credits_by_age.rhai");
    assert!(by_age.contains("Total USD"), "{by_age}");
    let summary = script("reimbursement_summary.rhai");
    assert!(
        summary.contains("1510.50") && summary.contains("203.50"),
        "{summary}"
    );
    let credits = script("credit_balances.rhai");
    assert!(credits.contains("skip"), "{credits}");
}

#[test]
fn shipped_scripts_list_the_open_rows_after_the_readme_quick_start() {
    shipped_scripts_after_the_quick_start(None);
}

#[test]
fn shipped_scripts_list_the_open_rows_of_a_run_dated_after_today() {
    let later = chrono::Local::now().date_naive() + chrono::Days::new(40);
    shipped_scripts_after_the_quick_start(Some(&later.to_string()));
}

/// The rule file's header names every property of a `Customer` and of a `Balance` (the
/// `credit`), and its example of a date rule, pasted into `eligible`, runs.
#[test]
fn the_rule_file_header_names_every_field_and_its_date_example_runs() {
    let rules = crate::common::default_rules_text();
    let header: String = rules
        .lines()
        .take_while(|l| l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for d in api_session().api() {
        let Some((ty, property)) = d.name.split_once('.') else {
            continue;
        };
        if ty == "Customer" || (ty == "Balance" && property != "account") {
            assert!(
                header.contains(property),
                "the header of rules/reimburse.rhai does not mention {ty}.{property}"
            );
        }
    }
    for function in ["open_transactions(", "days_between("] {
        assert!(header.contains(function), "the header lacks {function}");
    }
    let example = header
        .lines()
        .find(|l| l.contains("if days_between("))
        .expect("a one-line example using days_between")
        .trim_start_matches("//")
        .trim();
    let demo = Demo::new();
    let file = demo.company.rules(
        "dated.rhai",
        "    if customer.payment_hold {",
        &format!("    {example}\n    if customer.payment_hold {{"),
    );
    // On 2026-10-20, C-008's credit (its latest open transaction dated 2026-10-11) is too recent.
    let out = demo.company.json(&[
        "run",
        "--dry-run",
        "--json",
        "--date",
        "2026-10-20",
        "--rules",
        file.to_str().unwrap(),
    ]);
    let skipped = crate::common::rows(&out["skipped"]);
    let c008 = skipped.iter().find(|s| s["customer"] == "C-008");
    assert_eq!(
        c008.map(|s| &s["reason"]),
        Some(&"too recent".into()),
        "{out}"
    );
}
