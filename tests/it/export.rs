//! `reimburse export` on the demo company (Contoso) after a reimbursement run and a payment run:
//! the structure of both formats, their balances against the trial balance, the period filter and
//! errors. When `hledger` and `bean-check` are installed (CI installs them, see
//! `scripts/check-export.sh`), the real tools must accept the exports too.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use reimburse::export::{AccountNames, Format, write_journal};
use reimburse::ledger::Ledger;
use reimburse::parameters::Company;
use rust_decimal::Decimal;

/// Contoso in a temporary folder, after `run --date 2026-11-30` and `pay --date 2026-12-01`.
fn demo() -> crate::common::Company {
    let demo = crate::common::Company::contoso();
    demo.ok(&["run", "--date", "2026-11-30"]);
    demo.ok(&["pay", "--date", "2026-12-01"]);
    demo
}

/// The demo company's ledger, opened through the library.
fn ledger(demo: &crate::common::Company) -> Ledger {
    Ledger::open(&Company::load(&demo.yaml).unwrap()).unwrap()
}

/// A transaction of an export: date, header line, metadata lines, postings.
#[derive(Debug)]
struct Txn {
    date: String,
    header: String,
    meta: Vec<String>,
    postings: Vec<(String, Decimal, String)>,
}

/// Reads the transactions of an export in either format (postings are indented lines that start
/// with an account; metadata are indented `key: value` or `; key: value` lines).
fn transactions(text: &str, format: Format) -> Vec<Txn> {
    let mut out: Vec<Txn> = Vec::new();
    let mut in_txn = false;
    for line in text.lines() {
        if line.is_empty() {
            in_txn = false;
            continue;
        }
        let is_header = match format {
            Format::Ledger => line.as_bytes()[0].is_ascii_digit(),
            Format::Beancount => line.len() > 11 && &line[10..13] == " * ",
        };
        if is_header {
            out.push(Txn {
                date: line[..10].to_string(),
                header: line[11..].to_string(),
                meta: Vec::new(),
                postings: Vec::new(),
            });
            in_txn = true;
            continue;
        }
        if !in_txn || !line.starts_with(' ') {
            continue;
        }
        let txn = out.last_mut().unwrap();
        let body = line.trim();
        if let Some(meta) = body.strip_prefix("; ") {
            txn.meta.push(meta.to_string());
        } else if body.starts_with(|c: char| c.is_ascii_lowercase()) {
            txn.meta.push(body.to_string());
        } else {
            let (account, rest) = body.split_once("  ").expect("two spaces before the amount");
            let mut amount = rest.split_whitespace();
            let number: Decimal = amount.next().unwrap().parse().unwrap();
            let currency = amount.next().unwrap().to_string();
            assert!(amount.next().is_none(), "{line}");
            txn.postings.push((account.to_string(), number, currency));
        }
    }
    out
}

fn valid_beancount_account(name: &str) -> bool {
    let mut parts = name.split(':');
    let root_ok = matches!(
        parts.next(),
        Some("Assets" | "Liabilities" | "Equity" | "Income" | "Expenses")
    );
    let mut count = 0;
    let rest_ok = parts.all(|c| {
        count += 1;
        c.starts_with(|ch: char| ch.is_ascii_uppercase() || ch.is_ascii_digit())
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
    });
    root_ok && count >= 1 && rest_ok
}

/// Balances per (summary account name, currency) from the postings: sub-accounts summed into
/// their first two components.
fn summary_balances(txns: &[Txn]) -> BTreeMap<(String, String), Decimal> {
    let mut sums = BTreeMap::new();
    for t in txns {
        for (account, amount, currency) in &t.postings {
            let summary = account.splitn(3, ':').take(2).collect::<Vec<_>>().join(":");
            *sums
                .entry((summary, currency.clone()))
                .or_insert(Decimal::ZERO) += *amount;
        }
    }
    sums.retain(|_, v| !v.is_zero());
    sums
}

fn check_structure(demo: &crate::common::Company, text: &str, format: Format) {
    let ledger = ledger(demo);
    let txns = transactions(text, format);
    let vouchers = demo.count("SELECT count(*) FROM vouchers");
    assert_eq!(txns.len() as i64, vouchers, "every voucher, once");
    check_order_and_balance(&txns);
    check_against_trial_balance(&ledger, &txns);
    check_traceability(&txns, format);
    check_declarations(text, &txns, format);
}

/// Date order; every transaction balances per currency, in valid accounts, with 2 decimals.
fn check_order_and_balance(txns: &[Txn]) {
    for pair in txns.windows(2) {
        assert!(
            pair[0].date <= pair[1].date,
            "{:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    for t in txns {
        let mut sums: BTreeMap<&str, Decimal> = BTreeMap::new();
        for (_, amount, currency) in &t.postings {
            *sums.entry(currency).or_default() += *amount;
        }
        assert!(sums.values().all(|s| s.is_zero()), "unbalanced: {t:?}");
        assert!(t.postings.len() >= 2, "{t:?}");
        for (account, amount, _) in &t.postings {
            assert!(valid_beancount_account(account), "{account}");
            assert_eq!(
                amount.scale(),
                2,
                "USD and EUR amounts have 2 decimals: {t:?}"
            );
        }
    }
}

/// The balances agree with the trial balance, per summary account and currency.
fn check_against_trial_balance(ledger: &Ledger, txns: &[Txn]) {
    let names = AccountNames::new(&ledger.params().accounts);
    let mut expected = BTreeMap::new();
    for row in ledger.trial_balance().unwrap() {
        if !row.balance.is_zero() {
            expected.insert((names.gl(&row.account), row.currency), row.balance);
        }
    }
    assert_eq!(summary_balances(txns), expected);
}

/// Traceability: reimbursement vouchers carry the run and the reimbursement; payments too.
fn check_traceability(txns: &[Txn], format: Format) {
    // Metadata is `; key: value` (ledger) or `key: value` (beancount): the same text once read.
    let (run_meta, reimbursement_meta) = ("run: ", "reimbursement: ");
    let code_of = |t: &Txn| match format {
        Format::Ledger => t.header[1..].split_once(')').unwrap().0.to_string(),
        Format::Beancount => t
            .meta
            .iter()
            .find_map(|m| m.strip_prefix("voucher: "))
            .unwrap()
            .trim_matches('"')
            .to_string(),
    };
    let first = txns.iter().find(|t| code_of(t) == "RMB-000001").unwrap();
    assert!(first.header.contains("Reimbursement of C-001"), "{first:?}");
    assert!(first.meta.contains(&format!("{run_meta}1")), "{first:?}");
    assert!(
        first.meta.contains(&format!("{reimbursement_meta}1")),
        "{first:?}"
    );
    assert_eq!(
        first.postings,
        vec![
            (
                "Assets:Receivables:C-001".to_string(),
                "50.00".parse().unwrap(),
                "USD".to_string()
            ),
            (
                "Liabilities:Payables:V-100".to_string(),
                "-50.00".parse().unwrap(),
                "USD".to_string()
            ),
        ]
    );
    let payment = txns.iter().find(|t| code_of(t) == "PAY-000001").unwrap();
    assert!(
        payment.meta.contains(&format!("{run_meta}2")),
        "{payment:?}"
    );
    assert!(
        payment.meta.contains(&format!("{reimbursement_meta}1")),
        "{payment:?}"
    );
    assert_eq!(payment.postings[1].0, "Assets:Bank");
    let opening = txns.iter().find(|t| code_of(t) == "OPN-000001").unwrap();
    assert!(
        !opening.meta.iter().any(|m| m.starts_with(run_meta)),
        "{opening:?}"
    );
}

/// Every posted account is declared (ledger) or opened on or before its first use (beancount).
fn check_declarations(text: &str, txns: &[Txn], format: Format) {
    for t in txns {
        for (account, _, _) in &t.postings {
            match format {
                Format::Ledger => {
                    assert!(
                        text.contains(&format!("\naccount {account}\n")),
                        "{account}"
                    )
                }
                Format::Beancount => {
                    let open = text
                        .lines()
                        .find(|l| l.ends_with(&format!(" open {account}")))
                        .unwrap_or_else(|| panic!("no open for {account}"));
                    assert!(open[..10] <= *t.date, "{open} after {}", t.date);
                }
            }
        }
    }
}

/// Runs a real tool when it is installed; returns false (after a note) when it is not.
fn run_tool(program: &str, args: &[&Path], extra: &[&str]) -> bool {
    let output = match Command::new(program).args(extra).args(args).output() {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "note: {program} is not installed: skipped (scripts/check-export.sh installs it)"
            );
            return false;
        }
        Err(e) => panic!("{program}: {e}"),
    };
    assert!(
        output.status.success(),
        "{program} rejected the export:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

#[test]
fn demo_company_exports_in_both_formats() {
    let demo = demo();
    let journal = demo.path("contoso.journal");
    let beancount = demo.path("contoso.beancount");
    let said = demo.ok(&[
        "export",
        "--format",
        "ledger",
        "-o",
        journal.to_str().unwrap(),
    ]);
    assert!(
        said.starts_with("exported 57 vouchers (114 lines, 36 accounts, 2026-09-01 to 2026-12-01)"),
        "{said}"
    );
    demo.ok(&[
        "export",
        "--format",
        "beancount",
        "--output",
        beancount.to_str().unwrap(),
    ]);
    let ledger_text = std::fs::read_to_string(&journal).unwrap();
    let bean_text = std::fs::read_to_string(&beancount).unwrap();
    // Standard output and the file are the same export; `hledger` is an alias of `ledger`.
    assert_eq!(demo.ok(&["export"]), ledger_text);
    assert_eq!(demo.ok(&["export", "--format", "hledger"]), ledger_text);
    assert_eq!(demo.ok(&["export", "--format", "beancount"]), bean_text);

    check_structure(&demo, &ledger_text, Format::Ledger);
    check_structure(&demo, &bean_text, Format::Beancount);
    assert!(ledger_text.contains("commodity EUR\n    format 1000.00 EUR\n"));
    assert!(bean_text.contains("option \"operating_currency\" \"USD\"\n"));
    assert!(bean_text.contains(
        "open Liabilities:Payables:OTV-000001\n  gl-account: \"2000\"\n  vendor: \"OTV-000001\"\n"
    ));

    // The library call writes the same text.
    let mut out = Vec::new();
    let summary = write_journal(&ledger(&demo), Format::Beancount, None, None, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), bean_text);
    assert_eq!((summary.vouchers, summary.lines), (57, 114));

    let hledger = run_tool(
        "hledger",
        &[&journal],
        &["check", "--strict", "ordereddates", "-f"],
    );
    let bean = run_tool("bean-check", &[&beancount], &[]);
    if hledger && bean {
        println!("hledger and bean-check accept the exports");
    }
}

#[test]
fn period_filter_and_errors() {
    let demo = demo();
    // Only the payment run's vouchers are dated 2026-12-01.
    for format in ["ledger", "beancount"] {
        let text = demo.ok(&["export", "--format", format, "--from", "2026-12-01"]);
        let f = format.parse().unwrap();
        let txns = transactions(&text, f);
        assert_eq!(txns.len(), 13, "{text}");
        assert!(txns.iter().all(|t| t.date == "2026-12-01"));
        assert!(
            !text.contains("Assets:Receivables"),
            "no receivables posted in the period: {text}"
        );
        let upto = demo.ok(&["export", "--format", format, "--to", "2026-11-29"]);
        let txns = transactions(&upto, f);
        assert!(txns.iter().all(|t| t.date.as_str() <= "2026-11-29"));
        assert!(
            !upto.contains("RMB-") && !upto.contains("Assets:Bank"),
            "{upto}"
        );
        let one_day = demo.ok(&[
            "export",
            "--format",
            format,
            "--from",
            "2026-11-30",
            "--to",
            "2026-11-30",
        ]);
        assert_eq!(transactions(&one_day, f).len(), 13);
    }
    let out = demo.run(&["export", "--from", "2026-12-02", "--to", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--from 2026-12-02 is after --to 2026-12-01"),
        "{out:?}"
    );
    let out = demo.run(&["export", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // An output file that cannot be written: a clear error, and no partial file left behind.
    let missing = demo.path("no/such/folder/books.journal");
    let out = demo.run(&["export", "-o", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/folder/books.journal"), "{err}");
    // An existing file is replaced only by a complete export (and, when it is not a previous
    // export, only with --force: files_written).
    let target = demo.path("books.journal");
    std::fs::write(&target, "old").unwrap();
    demo.fails(1, &["export", "-o", target.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
    demo.ok(&["export", "-o", target.to_str().unwrap(), "--force"]);
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("(PAY-000013)")
    );
    let leftovers: Vec<_> = std::fs::read_dir(demo.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
