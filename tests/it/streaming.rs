//! Issue 6 (memory flat in N) for the commands people run: `run`, `pay` and `reimbursements` spool
//! their rows to a temporary file instead of holding them, and must print exactly what the
//! library's reports serialize to, over a generated company of a few thousand customers (more rows
//! than the CLI's tables buffer, so the streaming table renderer is used). A run that fails late
//! prints nothing but the error, and no temporary file is left behind.

use std::process::Command;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::ahead_in_place::dry::{
    ahead_and_in_place, ahead_and_in_place_of, both_ways, rules_with,
};
use crate::common::{Generated, no_panic};
use reimburse::process::{self, ReimbursementFilter, RunOptions, Selection};
use reimburse::scripting::{Echo, Session};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// What `write_json` printed before the rows were streamed: the whole report as a `Value`.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(&serde_json::to_value(value).unwrap()).unwrap() + "\n"
}

fn library_run(g: &Generated, dry_run: bool) -> process::RunReport {
    let company = g.company();
    let session = Session::new(g.ledger(), date(), Echo::Collect);
    process::run(
        &session,
        &RunOptions {
            selection: Selection::All,
            date: date(),
            rules: company.rules_path.clone(),
            dry_run,
            keep_going: false,
            user: "test".into(),
        },
    )
    .unwrap()
}

/// A table's data lines (between the header separator and the bottom border).
fn table_rows(text: &str) -> usize {
    let start = text.find('╞').expect("a table");
    let end = text.find('└').expect("a table");
    text[start..end].lines().count() - 1
}

#[test]
fn a_large_run_pay_and_page_print_the_librarys_reports_exactly() {
    let g = Generated::new();
    let run = ["run", "--date", "2026-11-30"];

    // The dry run: the same JSON text as the library's report.
    let expected = library_run(&g, true);
    assert!(
        expected.reimbursements.len() > 1000,
        "enough rows to stream the table: {}",
        expected.reimbursements.len()
    );
    assert!(expected.skipped.len() > 50);
    let cli = g.ok(&[], &[&run[..], &["--dry-run", "--json"]].concat());
    assert_eq!(cli, pretty(&expected), "run --dry-run --json");

    // The table: the streamed one is the one comfy-table draws when it holds every row.
    let streamed = g.table(&[&run[..], &["--dry-run"]].concat());
    assert_eq!(table_rows(&streamed), expected.reimbursements.len());
    assert!(streamed.contains("Skipped, by reason (--json lists each credit):"));
    assert!(streamed.ends_with(&format!("{} skipped\n", expected.skipped_count)));

    // The real run: the dry run's rows, numbered and open.
    let made: Value = serde_json::from_str(&g.ok(&[], &[&run[..], &["--json"]].concat())).unwrap();
    let mut proposed = serde_json::to_value(&expected).unwrap();
    proposed["dry_run"] = json!(false);
    for (i, r) in proposed["reimbursements"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        r["id"] = json!(i + 1);
        r["status"] = json!("open");
    }
    assert_eq!(made, proposed);

    // The reimbursement page, as JSON, CSV and a table.
    let rows = process::reimbursements(&g.ledger(), &ReimbursementFilter::default()).unwrap();
    assert_eq!(rows.len(), expected.reimbursements.len());
    let page = g.ok(&[], &["reimbursements", "--json"]);
    assert_eq!(page, pretty(&json!({ "reimbursements": rows })));
    let csv = g.ok(&[], &["reimbursements", "--csv"]);
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert!(csv.starts_with("id,run,date,customer,vendor,one_time_vendor,currency,amount,"));
    let table = g.table(&["reimbursements"]);
    assert!(table.ends_with(&format!("\n{} reimbursements\n", rows.len())));
    let some = g.ok(&[], &["reimbursements", "--json", "--customer", "C0000004"]);
    let expected_some: Vec<_> = rows.iter().filter(|r| r.customer == "C0000004").collect();
    assert_eq!(some, pretty(&json!({ "reimbursements": expected_some })));

    // Payment: a dry run as JSON and as a table, then the real one.
    let pay = ["pay", "--date", "2026-12-01"];
    let mut options = process::PayOptions::new(
        ReimbursementFilter::default(),
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        "test",
    );
    options.dry_run = true;
    let dry_pay = process::pay(&g.ledger(), &options).unwrap();
    assert_eq!(dry_pay.payments.len(), rows.len());
    let cli = g.ok(&[], &[&pay[..], &["--dry-run", "--json"]].concat());
    assert_eq!(cli, pretty(&dry_pay), "pay --dry-run --json");
    let table = g.table(&[&pay[..], &["--dry-run"]].concat());
    assert_eq!(table_rows(&table), rows.len());
    let paid: Value = serde_json::from_str(&g.ok(&[], &[&pay[..], &["--json"]].concat())).unwrap();
    let mut expected_paid = serde_json::to_value(&dry_pay).unwrap();
    expected_paid["dry_run"] = json!(false);
    assert_eq!(paid, expected_paid);
    let open = g.ok(&[], &["reimbursements", "--json", "--status", "open"]);
    assert_eq!(open, pretty(&json!({ "reimbursements": [] })));
}

#[test]
fn a_run_that_fails_late_prints_only_the_error_and_leaves_no_temporary_file() {
    let g = Generated::new();
    let last = library_run(&g, true)
        .reimbursements
        .last()
        .unwrap()
        .customer
        .clone();
    let rules = g.dir.path().join("co/rules/reimburse.rhai");
    let text = std::fs::read_to_string(&rules).unwrap();
    let broken = crate::common::edit(
        &text,
        "fn eligible(customer, credit) {\n",
        &format!(
            "fn eligible(customer, credit) {{\n    if customer.account == \"{last}\" {{ no_such_function(); }}\n"
        ),
    );
    let broken_file = g.dir.path().join("broken.rhai");
    std::fs::write(&broken_file, broken).unwrap();
    for json in [true, false] {
        let mut args = vec![
            "run",
            "--date",
            "2026-11-30",
            "--rules",
            broken_file.to_str().unwrap(),
        ];
        if json {
            args.push("--json");
        }
        let out = g.command(&[], &args);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "json {json}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(&last),
            "{stderr}"
        );
        g.assert_no_temporary_files();
    }
    assert_eq!(
        process::reimbursements(&g.ledger(), &ReimbursementFilter::default())
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn each_reimbursement_pages_like_the_whole_list() {
    let g = Generated::new();
    library_run(&g, false);
    let ledger = g.ledger();
    for filter in [
        ReimbursementFilter::default(),
        ReimbursementFilter {
            after_id: Some(10),
            limit: Some(1500),
            ..Default::default()
        },
        ReimbursementFilter {
            limit: Some(0),
            ..Default::default()
        },
        ReimbursementFilter {
            customer: Some("C0000004".into()),
            ..Default::default()
        },
    ] {
        let all = process::reimbursements(&ledger, &filter).unwrap();
        let mut seen = Vec::new();
        let n =
            process::each_reimbursement(&ledger, &filter, &mut |r| seen.push(r.clone())).unwrap();
        assert_eq!(n as usize, seen.len());
        assert_eq!(seen, all, "{filter:?}");
    }
}

/// Runs the binary on a `crate::common::Company` with `REIMBURSE_TABLE_BUFFER_ROWS` set to `rows`.
fn with_buffer_rows(c: &crate::common::Company, rows: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&c.yaml)
        .args(args)
        .env_remove("REIMBURSE_COMPANY")
        .env("REIMBURSE_TABLE_BUFFER_ROWS", rows)
        .current_dir(c.dir.path())
        .output()
        .unwrap();
    no_panic(&out);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_streamed_tables_of_contoso_are_comfy_tables_tables() {
    let c = crate::common::Company::contoso();
    // Every table streamed (0 rows buffered) against every table drawn by comfy-table.
    let compare = |args: &[&str]| {
        let streamed = with_buffer_rows(&c, "0", args);
        assert_eq!(streamed, with_buffer_rows(&c, "1000000", args), "{args:?}");
        assert!(streamed.contains("VINV-000001"), "{streamed}");
        streamed
    };
    let run = compare(&["run", "--dry-run", "--date", "2026-11-30"]);
    // Contoso's few skipped credits are listed one by one.
    assert!(run.contains("Skipped:\n"), "{run}");
    c.ok(&["run", "--date", "2026-11-30"]);
    compare(&["reimbursements"]);
    compare(&["pay", "--dry-run", "--date", "2026-12-01"]);
}

// ----- `eligible` worked out ahead -----

#[test]
fn eligible_worked_out_ahead_sees_a_vendor_linked_for_the_customers_first_currency() {
    // C-006 has no vendor and credits in EUR and USD: a one-time vendor is created and linked
    // for EUR, and `eligible` for USD sees the link (the page read ahead does not have it).
    let c = crate::common::Company::contoso();
    let report = ahead_and_in_place(
        &c.yaml,
        "    if credit.currency == \"USD\" && customer.vendor_account != () {\n        \
         return `linked: ${customer.vendor_account}`;\n    }\n",
    );
    let c006: Vec<(&str, &str)> = report
        .reimbursements
        .iter()
        .filter(|r| r.customer == "C-006")
        .map(|r| (r.currency.as_str(), r.vendor.as_str()))
        .chain(
            report
                .skipped
                .iter()
                .filter(|k| k.customer == "C-006")
                .map(|k| (k.currency.as_str(), k.reason.as_str())),
        )
        .collect();
    let vendor = c006[0].1;
    assert_eq!(
        c006,
        [("EUR", vendor), ("USD", &*format!("linked: {vendor}"))]
    );
}

#[test]
fn eligible_that_prints_is_called_by_the_run_itself() {
    // Worked out ahead, its lines would be lost: the run calls it, and they come out in order.
    let g = Generated::new();
    let report = ahead_and_in_place(
        &g.yaml,
        "    print(`eligible? ${customer.account} ${credit.currency}`);\n",
    );
    assert_eq!(
        report.output.len() as u64,
        report.reimbursed_count + report.skipped_count
    );
    assert!(
        report.output[0].starts_with("eligible? C"),
        "{:?}",
        report.output
    );
}

#[test]
fn eligible_that_catches_a_failing_ledger_call_is_called_by_the_run_itself() {
    // Away from the session `find_vendor` only fails: a rule that catches the failure must not
    // decide on it.
    let g = Generated::new();
    let report = ahead_and_in_place(
        &g.yaml,
        "    let found = \"unset\";\n    try { found = find_vendor(\"NO-SUCH-VENDOR\") == (); } \
         catch { found = \"caught\"; }\n    if found != true { return `lookup ${found}`; }\n",
    );
    assert!(
        report
            .skipped
            .iter()
            .all(|k| !k.reason.starts_with("lookup"))
    );
    assert!(
        report.reimbursed_count > 1000,
        "{}",
        report.reimbursed_count
    );
}

#[test]
fn selections_read_and_worked_out_ahead_select_as_the_run_would() {
    let g = Generated::new();
    let selection = |expr: &str| Selection::Where(expr.to_string());
    let report = ahead_and_in_place_of(
        &g.yaml,
        "",
        selection("customer.account.ends_with(\"7\") || customer.currency == \"EUR\""),
    );
    assert!(
        report.considered > 300 && report.considered < 3000,
        "{}",
        report.considered
    );
    assert!(report.reimbursed_count > 0);
    // One that prints is evaluated by the run: its lines come out, once per customer.
    let report = ahead_and_in_place_of(
        &g.yaml,
        "",
        selection("print(customer.account) == () && customer.account.ends_with(\"7\")"),
    );
    assert_eq!(report.output.len(), 3000);
    assert_eq!(report.considered, 300);
    // Customer groups are read ahead by a query of their own, verdicts included.
    let report = ahead_and_in_place_of(
        &g.yaml,
        "    if customer.group != \"WHOLESALE\" { return \"not wholesale\"; }\n",
        Selection::Groups(vec!["WHOLESALE".into()]),
    );
    assert!(
        report.considered > 600 && report.considered < 1200,
        "{}",
        report.considered
    );
    assert!(report.skipped.iter().all(|k| k.reason != "not wholesale"));
}

#[test]
fn pure_eligible_rules_decide_the_same_ahead_and_in_place() {
    // Rules that use only the customer, the credit, the parameters and the date: worked out
    // ahead, every verdict must be the one the run itself would give (reason texts included).
    let g = Generated::new();
    for insert in [
        "    if customer.payment_hold { return false; }\n",
        "    if credit.currency == \"EUR\" { skip(`euro ${customer.account}`); }\n",
        "    if -credit.balance < params().minimum_reimbursement * 3 { return \"small\"; }\n",
        "    if to_accounting(-credit.balance, credit.currency) * exchange_rate(\"EUR\") > 90.00 {\n        \
         return `big in ${params().accounting_currency}`;\n    }\n",
        "    if days_between(\"2026-01-01\", posting_date()) > 300 && customer.group == \"WHOLESALE\" {\n        \
         return customer.name.to_upper() + \" \" + table([customer]).len();\n    }\n",
        "    if customer.account.sub_string(5, 3).parse_int() % 3 == 0 { return \"third\"; }\n",
    ] {
        let report = ahead_and_in_place(&g.yaml, insert);
        assert!(report.considered == 3000, "{insert}");
    }
    // A verdict the run refuses is refused the same way (it is not taken from ahead).
    let options = RunOptions {
        selection: Selection::All,
        date: date(),
        rules: rules_with(
            &g.yaml,
            "refused.rhai",
            "    if customer.account.ends_with(\"77\") { return 42; }\n",
        ),
        dry_run: false,
        keep_going: false,
        user: "test".into(),
    };
    let (ahead, in_place) = both_ways(&g.yaml, &options);
    let (ahead, in_place) = (ahead.unwrap_err(), in_place.unwrap_err());
    assert_eq!(ahead.to_string(), in_place.to_string());
    assert!(
        ahead.to_string().contains("customer C0000077")
            && ahead.to_string().contains("not 42 (int)"),
        "{ahead}"
    );
}

#[test]
fn vendor_for_worked_out_ahead_finds_only_the_vendors_the_run_began_with() {
    // Every customer without a vendor is reimbursed to one vendor, SHARED, which the first of
    // them creates. Ahead, `find_vendor("SHARED")` finds nothing (the run has not created it
    // yet): that must not be taken for "no vendor", or the next customer would create SHARED
    // again.
    let c = crate::common::Company::contoso();
    let text = crate::common::edit(
        &crate::common::edit(
            &crate::common::default_rules_text(),
            "fn vendor_for(customer, credit) {\n",
            "fn vendor_for(customer, credit) {\n    let common = find_vendor(\"SHARED\");\n    \
             if customer.vendor_account == () && common != () { return common; }\n",
        ),
        "    let vendor = create_vendor(#{\n",
        "    let vendor = create_vendor(#{\n        account: \"SHARED\",\n",
    );
    let rules = c.write("shared.rhai", &text);
    let options = RunOptions {
        selection: Selection::All,
        date: date(),
        rules,
        dry_run: true,
        keep_going: false,
        user: "test".into(),
    };
    let (ahead, in_place) = both_ways(&c.yaml, &options);
    let (ahead, in_place) = (ahead.unwrap(), in_place.unwrap());
    assert_eq!(pretty(&ahead), pretty(&in_place));
    let shared: Vec<&str> = ahead
        .reimbursements
        .iter()
        .filter(|r| r.vendor == "SHARED")
        .map(|r| r.customer.as_str())
        .collect();
    assert_eq!(
        shared,
        [
            "C-002", "C-006", "C-006", "C-008", "C-012", "C-015", "C-019", "C-020"
        ]
    );
}

#[test]
fn the_default_rules_posting_hooks_are_worked_out_ahead_and_replayed() {
    // Every posting hook of the default rules reads and writes only its own customer: each is
    // worked out on the read-ahead thread and replayed, none in place; in place, none is.
    let g = Generated::new();
    let report = library_run(&g, true);
    let one_time = report
        .reimbursements
        .iter()
        .filter(|r| r.one_time_vendor)
        .map(|r| &r.customer)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    assert!(
        report.reimbursed_count > 1000,
        "{}",
        report.reimbursed_count
    );
    assert_eq!(
        report.hooks_ahead,
        process::HooksAhead {
            replayed: report.reimbursed_count + one_time,
            in_place: 0
        }
    );
}
