//! The shipped fixture ledgers (tests/fixtures) run through the same code path as
//! `reimburse test`, against the default rules and against deliberately wrong copies of them.

use std::path::{Path, PathBuf};
use std::process::Command;

use reimburse::rule_tests::{FixtureResult, find_fixtures, run_fixtures};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> Vec<PathBuf> {
    find_fixtures(&[root().join("tests/fixtures")]).expect("fixtures folder")
}

fn run_with(rules: &Path) -> Vec<FixtureResult> {
    let company = reimburse::sample_company().expect("built-in parameters");
    run_fixtures(&company, rules, &fixtures())
}

fn failed(results: &[FixtureResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.file.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// A copy of the default rules with `from` replaced by `to` (which must occur).
fn wrong_rules(dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("rules/reimburse.rhai")).unwrap();
    assert!(
        text.contains(from),
        "the default rules no longer contain {from:?}"
    );
    let path = dir.join("wrong.rhai");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

#[test]
fn shipped_fixtures_pass_with_the_default_rules() {
    let results = run_with(&root().join("rules/reimburse.rhai"));
    assert!(results.len() >= 20, "only {} fixtures", results.len());
    let report: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.to_string())
        .collect();
    assert!(
        report.is_empty(),
        "failing fixtures:\n{}",
        report.join("\n")
    );
}

#[test]
fn ignoring_the_minimum_fails_the_minimum_fixtures_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let rules = wrong_rules(dir.path(), "< p.minimum_reimbursement", "< 0");
    let results = run_with(&rules);
    let failed = failed(&results);
    for name in [
        "below_minimum",
        "exactly_minimum",
        "foreign_currency_minimum_converted",
        "zero_decimal_currency",
    ] {
        assert!(
            failed.contains(&name.to_string()),
            "{name} should fail, failed: {failed:?}"
        );
    }
    let below = results
        .iter()
        .find(|r| r.file.ends_with("below_minimum.yaml"))
        .unwrap();
    assert!(
        below
            .failures
            .iter()
            .any(|f| f == "unexpected reimbursement: C-003 USD 10.00 to vendor V-1"),
        "{below}"
    );
    assert!(
        below
            .failures
            .iter()
            .any(|f| f == "expected C-003 to be skipped (below minimum), but it was not"),
        "{below}"
    );
    assert!(
        below
            .failures
            .iter()
            .any(|f| f.starts_with("customer C-003 balance in USD: expected -10.00, got 0.00")),
        "{below}"
    );
}

#[test]
fn never_creating_one_time_vendors_fails_the_one_time_vendor_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let rules = wrong_rules(
        dir.path(),
        "if account == () {\n        return ();\n    }",
        "if account == () {\n        skip(\"no vendor account\");\n    }",
    );
    let failed = failed(&run_with(&rules));
    for name in [
        "one_time_vendor_created",
        "two_currencies_one_vendor",
        "several_overpayments_one_time_vendor",
        "minimum_zero",
        "run_pay_run",
    ] {
        assert!(
            failed.contains(&name.to_string()),
            "{name} should fail, failed: {failed:?}"
        );
    }
    for name in [
        "reimburse_to_vendor_account",
        "below_minimum",
        "vendor_blocked",
    ] {
        assert!(
            !failed.contains(&name.to_string()),
            "{name} does not depend on one-time vendors"
        );
    }
}

#[test]
fn the_cli_runs_the_same_suite_and_exits_non_zero_on_failure() {
    let bin = env!("CARGO_BIN_EXE_reimburse");
    let ok = Command::new(bin)
        .current_dir(root())
        .env_remove("REIMBURSE_COMPANY")
        .arg("test")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", fixtures().len())),
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let rules = wrong_rules(dir.path(), "< p.minimum_reimbursement", "< 0");
    let bad = Command::new(bin)
        .current_dir(root())
        .env_remove("REIMBURSE_COMPANY")
        .args(["test", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL tests/fixtures/below_minimum.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    unexpected reimbursement: C-003 USD 10.00 to vendor V-1"),
        "{stdout}"
    );
}

#[test]
fn an_unreadable_fixture_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "customers:\n  - { account: C-1, name: X, currency: GBP }\n",
    )
    .unwrap();
    let good = root().join("tests/fixtures/below_minimum.yaml");
    let company = reimburse::sample_company().unwrap();
    let results = run_fixtures(
        &company,
        &root().join("rules/reimburse.rhai"),
        &[broken.clone(), good],
    );
    assert!(!results[0].passed);
    assert_eq!(
        results[0].failures,
        vec![format!(
            "{}: customers[0] (C-1): unknown currency 'GBP'",
            broken.display()
        )]
    );
    assert!(results[1].passed, "{}", results[1]);
}

#[test]
fn a_fixture_that_expects_nothing_fails() {
    // Without a `run:` and `expect:` (the demo ledger), or with an empty `expect:`, a fixture
    // could not fail short of an error: it is reported, not passed.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty_expect.yaml");
    std::fs::write(
        &empty,
        "customers:\n  - { account: C-1, name: One }\nrun: { date: 2026-11-30 }\nexpect: {}\n",
    )
    .unwrap();
    let none = dir.path().join("none_expected.yaml");
    std::fs::write(
        &none,
        "customers:\n  - { account: C-1, name: One }\nrun: { date: 2026-11-30 }\nexpect: { reimbursements: [] }\n",
    )
    .unwrap();
    let company = reimburse::sample_company().expect("built-in parameters");
    let rules = root().join("rules/reimburse.rhai");
    let results = run_fixtures(
        &company,
        &rules,
        &[empty, none, root().join("examples/contoso/ledger.yaml")],
    );
    let outcome: Vec<(bool, Vec<String>)> = results
        .iter()
        .map(|r| (r.passed, r.failures.clone()))
        .collect();
    let nothing = "`expect:` says nothing to check: list the `reimbursements` (`[]` for none), `skipped`, `payments`, `not_paid`, `statuses`, `refused`, `write_offs`, balances, `vendors_created` or an `error`".to_string();
    assert_eq!(
        outcome,
        [
            (false, vec![nothing.clone()]),
            (true, vec![]),
            (false, vec![nothing]),
        ]
    );
}

/// `reimburse` with these arguments in folder `dir`; returns (exit code, stdout, stderr).
fn reimburse_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .current_dir(dir)
        .env_remove("REIMBURSE_COMPANY")
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn without_a_path_the_fixtures_beside_the_company_file_run() {
    // A company folder of its own: company.yaml with a `fixtures` folder beside it.
    let company = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(root().join("examples/contoso/company.yaml")).unwrap();
    let rules = root().join("rules/reimburse.rhai");
    let yaml: String = yaml
        .lines()
        .map(|l| match l.starts_with("rules:") {
            true => format!("rules: {}\n", rules.display()),
            false => format!("{l}\n"),
        })
        .collect();
    std::fs::write(company.path().join("company.yaml"), yaml).unwrap();
    std::fs::create_dir(company.path().join("fixtures")).unwrap();
    for name in ["below_minimum.yaml", "payment_hold.yaml"] {
        let fixture = root().join("tests/fixtures").join(name);
        std::fs::copy(fixture, company.path().join("fixtures").join(name)).unwrap();
    }
    // Run in the company's folder, and from elsewhere with --company.
    let elsewhere = tempfile::tempdir().unwrap();
    let file = company.path().join("company.yaml");
    for (dir, args) in [
        (company.path(), vec!["test"]),
        (
            elsewhere.path(),
            vec!["--company", file.to_str().unwrap(), "test"],
        ),
    ] {
        let (code, stdout, stderr) = reimburse_in(dir, &args);
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert!(stdout.contains("2 passed, 0 failed"), "{stdout}");
        assert!(stdout.contains("fixtures/payment_hold.yaml"), "{stdout}");
    }
    // Neither beside the company file nor here: the message says where it looked.
    std::fs::remove_dir_all(company.path().join("fixtures")).unwrap();
    let (code, _, stderr) = reimburse_in(company.path(), &["test"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: no fixtures to run: neither ./fixtures (beside the company file) nor tests/fixtures (here) is a folder"),
        "{stderr}"
    );
}

#[test]
fn a_fixture_path_that_does_not_exist_fails_alone() {
    let (code, stdout, stderr) = reimburse_in(
        root(),
        &["test", "nowhere.yaml", "tests/fixtures/below_minimum.yaml"],
    );
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("FAIL nowhere.yaml (0.0 ms)\n    no such file or folder\nPASS tests/fixtures/below_minimum.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n1 passed, 1 failed (2 fixtures in"),
        "{stdout}"
    );
}

/// The README's example of a rule change ("Change a rule and test it"), run as the README says
/// against the shipped fixtures: what `reimburse test` prints is what the README shows (but
/// for timings and the rule file's path).
#[test]
fn the_readmes_rule_change_fails_the_fixtures_the_readme_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Change a rule and test it").unwrap()..];
    let block = |fence: &str| {
        let start = section.find(fence).unwrap() + fence.len();
        section[start..][..section[start..].find("```").unwrap()].to_string()
    };
    let example = block("```rhai\n");
    let added: String = example
        .lines()
        .skip_while(|l| !l.starts_with("fn eligible("))
        .skip(1)
        .take_while(|l| l.trim() != "...")
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let head = "fn eligible(customer, credit) {\n";
    let rules = wrong_rules(dir.path(), head, &format!("{head}{added}"));
    let (code, stdout, _) = reimburse_in(root(), &["test", "--rules", rules.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}");
    let untimed = |l: &str| match l.rfind(" (") {
        Some(i) if l.starts_with("FAIL ") || l.contains(" passed, ") => l[..i].to_string(),
        _ => l.to_string(),
    };
    let printed: Vec<String> = stdout.lines().map(untimed).collect();
    let shown = block("```text\n");
    for line in shown.lines().filter(|l| !l.is_empty() && *l != "...") {
        assert!(
            printed.contains(&untimed(line)),
            "the README shows {line:?}, `reimburse test` printed:\n{stdout}"
        );
    }
    let fails = |text: &str| text.lines().filter(|l| l.starts_with("FAIL ")).count();
    assert_eq!(fails(&shown), fails(&stdout), "{stdout}");
}

#[test]
fn a_lifecycle_expectation_that_does_not_hold_fails_naming_the_step_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let shipped =
        std::fs::read_to_string(root().join("tests/fixtures/hold_respected_by_pay.yaml")).unwrap();
    let changed = shipped
        .replace(
            "{ customer: C-2, status: paid }",
            "{ customer: C-2, status: held }",
        )
        .replace(
            "reason: \"held: the customer's new address is being checked\"",
            "reason: pending approval",
        )
        .replace(
            "- release: { customers: [C-1]",
            "- release: { customers: [C-2]",
        );
    assert_ne!(changed, shipped);
    let file = dir.path().join("wrong_hold.yaml");
    std::fs::write(&file, changed).unwrap();
    let company = reimburse::sample_company().unwrap();
    let results = run_fixtures(&company, &root().join("rules/reimburse.rhai"), &[file]);
    assert!(!results[0].passed);
    assert_eq!(
        results[0].failures,
        [
            "step 3 (pay): not_paid: C-1 USD left unpaid for \"held: the customer's new address \
             is being checked\", expected \"pending approval\"",
            "step 3 (pay): statuses: reimbursement 2 of C-2 USD is paid, expected held",
            "step 4 (release): unexpected error: release refused, nothing changed:\n  \
             reimbursement 2: paid (its payment cannot be held back)",
            "step 5 (pay): missing payment for C-1",
            "step 5 (pay): not_paid: unexpected: C-1 USD 120.00 (held: the customer's new \
             address is being checked)",
            "step 5 (pay): vendor V-1 balance in USD: expected 0.00, got -120.00 (difference \
             -120.00)",
        ]
    );
}
