//! `reimburse repl` driven through piped standard input (no terminal: lines are read without
//! rustyline, with the same command handling), against a temporary copy of the demo company.

use std::io::Write;
use std::process::{Command, Output, Stdio};

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

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reimburse"))
            .arg("--company")
            .arg(&self.company.yaml)
            .args(args)
            .current_dir(self.company.dir.path())
            .env("REIMBURSE_HISTORY", "")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// Runs a REPL session on these lines; returns (stdout, stderr) and checks it exited well.
    fn repl(&self, lines: &str) -> (String, String) {
        let out = self.run(&["repl"], Some(lines));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(
            out.status.success(),
            "repl failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        (stdout, stderr)
    }

    /// Runs a REPL session on these lines in which `failed` entries fail: it goes on to the end,
    /// then exits with code 1 and says how many failed; returns (stdout, stderr).
    fn repl_failing(&self, lines: &str, failed: usize) -> (String, String) {
        let out = self.run(&["repl"], Some(lines));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(
            out.status.code(),
            Some(1),
            "stdout:\n{stdout}\nstderr:\n{stderr}"
        );
        let entries = if failed == 1 { "entry" } else { "entries" };
        assert!(
            stderr.ends_with(&format!(
                "error: {failed} {entries} of the session failed (see above)\n"
            )),
            "{stderr}"
        );
        (stdout, stderr)
    }

    /// C-002's vendor account as a fresh session sees it (`none` when it has none).
    fn vendor_of(&self, customer: &str) -> String {
        let (stdout, stderr) = self.repl(&format!(
            "let v = customer(\"{customer}\").vendor_account;\nif v == () {{ \"none\" }} else {{ v }}\n"
        ));
        assert!(stderr.is_empty(), "{stderr}");
        stdout.trim().trim_matches('"').to_string()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn expressions_are_evaluated_and_the_session_keeps_its_state() {
    let demo = Demo::new();
    let (stdout, stderr) = demo.repl(
        "1 + 2\n\
         let x = 20;\n\
         x + 1\n\
         fn twice(a) {\n\
         \x20 a * 2\n\
         }\n\
         twice(x)\n\
         12.30 + 0.70\n\
         customers().len()\n\
         \"text\"\n",
    );
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, ["3", "21", "40", "13.00", "20", "\"text\""]);
}

#[test]
fn values_are_shown_as_tables() {
    let demo = Demo::new();
    let (stdout, _) = demo.repl("customers()\ncredit_balances(\"C-003\")\n");
    // One row per customer, with the fields as columns.
    for header in ["account", "name", "currency", "group", "vendor_account"] {
        assert!(stdout.contains(header), "{stdout}");
    }
    assert!(stdout.contains("│ C-020"), "{stdout}");
    assert!(stdout.contains("20 rows"), "{stdout}");
    assert!(stdout.contains("open_credit"), "{stdout}");
    assert!(stdout.contains("-10.00"), "{stdout}");
}

#[test]
fn an_error_does_not_end_the_session() {
    let demo = Demo::new();
    let (stdout, stderr) = demo.repl_failing(
        "let a = 1;\n\
         a + nope\n\
         customer(\"C-404\")\n\
         1 +* 2\n\
         if true {\n\
         \x20 let q = 1;\n\
         \x20 q.missing()\n\
         }\n\
         :no-such-command\n\
         a + 1\n",
        5,
    );
    // Position with a caret under it, the session goes on.
    assert!(
        stderr.contains("error: Variable not found: nope\n  1 | a + nope\n    |     ^"),
        "{stderr}"
    );
    assert!(
        stderr.contains("customer 'C-404' does not exist"),
        "{stderr}"
    );
    assert!(stderr.contains("syntax error"), "{stderr}");
    // A multi-line entry: the line and column inside it.
    assert!(stderr.contains("(line 3, column"), "{stderr}");
    assert!(
        stderr.contains("unknown command :no-such-command"),
        "{stderr}"
    );
    assert_eq!(stdout.trim(), "2");
}

#[test]
fn an_error_in_a_rule_hook_names_the_rule_file() {
    let demo = Demo::new();
    let (_, stderr) = demo.repl_failing("eligible(customer(\"C-003\"), 5)\n", 1);
    assert!(stderr.contains("reimburse.rhai:"), "{stderr}");
    assert!(stderr.contains("in `eligible`"), "{stderr}");
}

#[test]
fn rollback_and_quit_leave_the_database_unchanged() {
    let demo = Demo::new();
    let (stdout, _) = demo.repl(
        "link_vendor(\"C-002\", \"V-100\");\n\
         let v = customer(\"C-002\").vendor_account;\n\
         v\n\
         :rollback\n\
         customer(\"C-002\").vendor_account == ()\n\
         link_vendor(\"C-002\", \"V-100\");\n\
         :quit\n\
         link_vendor(\"C-003\", \"V-100\");\n",
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0], "\"V-100\"",
        "the session sees its own change: {stdout}"
    );
    assert_eq!(lines[1], "rolled back 1 row change");
    assert_eq!(lines[2], "true", "after :rollback the change is gone");
    assert!(
        lines[3].starts_with("rolled back 1 row change (not committed"),
        "quitting says so: {stdout}"
    );
    assert_eq!(lines.len(), 4, "nothing runs after :quit: {stdout}");
    assert_eq!(demo.vendor_of("C-002"), "none");
    assert_eq!(demo.vendor_of("C-003"), "none");

    // End of input without :quit rolls back too.
    let (stdout, _) = demo.repl("link_vendor(\"C-002\", \"V-100\");\n");
    assert!(stdout.contains("not committed"), "{stdout}");
    assert_eq!(demo.vendor_of("C-002"), "none");
}

#[test]
fn commit_keeps_a_change() {
    let demo = Demo::new();
    let (stdout, _) = demo.repl(
        "link_vendor(\"C-002\", \"V-100\");\n\
         :commit\n\
         link_vendor(\"C-003\", \"V-100\");\n",
    );
    assert!(stdout.contains("committed 1 row change"), "{stdout}");
    assert_eq!(demo.vendor_of("C-002"), "V-100");
    assert_eq!(
        demo.vendor_of("C-003"),
        "none",
        "after the commit, not committed"
    );
    let (stdout, _) = demo.repl(":commit\n");
    assert_eq!(stdout.trim(), "nothing to commit");
}

#[test]
fn a_failed_entry_leaves_nothing_behind() {
    let demo = Demo::new();
    let (stdout, stderr) = demo.repl_failing(
        "link_vendor(\"C-002\", \"V-100\"); customer(\"C-404\")\n\
         customer(\"C-002\").vendor_account == ()\n",
        1,
    );
    assert!(
        stderr.contains("the entry's changes were undone"),
        "{stderr}"
    );
    assert_eq!(stdout.trim(), "true");
}

#[test]
fn hooks_and_a_dry_run_can_be_called_by_hand() {
    let demo = Demo::new();
    let (stdout, stderr) = demo.repl(
        "eligible(customer(\"C-003\"), credit_balances(\"C-003\")[0])\n\
         eligible(customer(\"C-001\"), credit_balances(customer(\"C-001\"))[0])\n\
         vendor_for(customer(\"C-001\"), credit_balances(\"C-001\")[0])\n\
         :dry-run C-001 C-003\n\
         let r = dry_run(\"C-002\");\n\
         r.reimbursements[0].amount\n\
         runs().len()\n",
    );
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "\"below minimum\"");
    assert_eq!(lines[1], "true");
    // vendor_for gives the Vendor, shown as a one-row table.
    assert!(lines[2].starts_with('┌'), "{stdout}");
    assert!(lines[5].starts_with("│ V-100"), "{stdout}");
    assert!(stdout.contains("reimbursements:"), "{stdout}");
    assert!(stdout.contains("│ C-001"), "{stdout}");
    assert!(stdout.contains("┆ V-100"), "{stdout}");
    assert!(stdout.contains("below minimum"), "{stdout}");
    assert!(stdout.contains("totals: #{USD: 50.00}"), "{stdout}");
    assert_eq!(lines[lines.len() - 2], "80.00");
    // The dry runs wrote nothing, and leaving does not claim there were changes.
    assert_eq!(lines[lines.len() - 1], "0");
    assert!(!stdout.contains("rolled back"), "{stdout}");
}

#[test]
fn a_redefined_hook_is_tried_without_touching_the_rule_file() {
    let demo = Demo::new();
    let before = demo.company.snapshot();
    let (stdout, stderr) = demo.repl(
        "dry_run(\"C-003\").reimbursements.len()\n\
         fn eligible(customer, credit) { true }\n\
         dry_run(\"C-003\").reimbursements[0].amount\n\
         :rules\n\
         dry_run(\"C-003\").reimbursements.len()\n\
         fn eligible(customer, credit) {\n  let x = 1 / 0;\n  true\n}\n\
         dry_run(\"C-003\").failed[0].error\n",
    );
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    // C-003's 10.00 is below the minimum: the rule file skips it, the session's eligible takes
    // it, in the dry run too, and still after :rules reloads the file.
    assert_eq!(lines[0], "0");
    assert_eq!(lines[1], "10.00");
    assert!(lines[2].starts_with("loaded "), "{stdout}");
    assert_eq!(
        lines[3],
        "note: your own definitions still override the rule file's: eligible (:unset NAME or :reset drops them)"
    );
    assert_eq!(lines[4], "1");
    // An error in the session's hook points at the session's text, not at the rule file.
    assert_eq!(
        lines[5],
        "\"<repl>:2:13: hook eligible, customer C-003 (USD): Division by zero: 1 / 0\""
    );
    demo.company
        .assert_unchanged(&before, "a session that only made dry runs");
}

#[test]
fn commands_help_api_vars_load_and_rules() {
    let demo = Demo::new();
    let file = demo.company.path("helpers.rhai");
    std::fs::write(
        &file,
        "let loaded_total = 0.00;\nfor b in credit_balances(\"C-001\") { loaded_total += b.balance; }\nfn double(x) { x * 2 }\n",
    )
    .unwrap();
    let (stdout, stderr) = demo.repl(&format!(
        ":help\n:api dry_run\n:load {}\ndouble(loaded_total)\n:vars\n:rules\n:api zzz-nothing\n",
        file.display()
    ));
    assert!(stderr.is_empty(), "{stderr}");
    for command in [
        ":commit",
        ":rollback",
        ":load FILE",
        ":rules",
        ":quit",
        ":api",
    ] {
        assert!(stdout.contains(command), "help lists {command}: {stdout}");
    }
    assert!(
        stdout.contains("dry_run(customer: String) -> Map"),
        "{stdout}"
    );
    assert!(stdout.contains("-100.00"), "{stdout}");
    assert!(stdout.contains("loaded_total"), ":vars: {stdout}");
    assert!(
        stdout.contains(
            "create_one_time_vendor, eligible, post_reimbursement, reimbursable_amount, vendor_for"
        ),
        ":rules: {stdout}"
    );
    assert!(stdout.contains("nothing in the API matches"), "{stdout}");
}

#[test]
fn a_load_error_names_the_file_and_line() {
    let demo = Demo::new();
    let file = demo.company.path("broken.rhai");
    std::fs::write(&file, "let a = 1;\nlet b = a + missing;\n").unwrap();
    let (_, stderr) = demo.repl_failing(&format!(":load {}\n", file.display()), 1);
    assert!(
        stderr.contains(&format!(
            "{}:2:13: Variable not found: missing",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn an_unfinished_entry_at_the_end_of_input_is_reported() {
    let demo = Demo::new();
    let (_, stderr) = demo.repl_failing("fn f() {\n  1\n", 1);
    assert!(stderr.contains("syntax error"), "{stderr}");
}

#[test]
fn what_a_session_commits_is_recorded_as_a_run_with_what_was_entered() {
    let demo = Demo::new();
    let c = &demo.company;
    let post = "post_voucher(#{ sequence: \"opening\", description: \"typed\", lines: [#{ customer: \"C-001\", currency: \"USD\", amount: 5.00, type: \"fee\" }, #{ account: \"3999\", currency: \"USD\", amount: -5.00 }] }).number";
    let runs = c.count("SELECT COUNT(*) FROM runs");
    // The first transaction posts and commits; the second commits nothing; the third rolls back.
    demo.repl(&format!(
        ":commit\n{post}\n:commit\n:commit\n{post}\n:rollback\n"
    ));
    let run = c.query(
        "SELECT id, kind, rules_path IS NULL, rules_hash FROM runs ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(c.count("SELECT COUNT(*) FROM runs"), runs + 1);
    assert_eq!(
        run[0][1..],
        [
            "repl".to_string(),
            "1".to_string(),
            reimburse::process::sha256(&format!("{post}\n"))
        ]
    );
    assert_eq!(
        c.query(&format!(
            "SELECT COUNT(*) FROM vouchers WHERE description = 'typed' AND run_id = {}",
            run[0][0]
        )),
        [["1"]]
    );
    assert_eq!(
        c.count("SELECT COUNT(*) FROM vouchers WHERE description = 'typed'"),
        1
    );
}

#[test]
fn a_piped_session_in_which_an_entry_failed_exits_non_zero() {
    let demo = Demo::new();
    // The example: `printf 'let x = ;\n' | reimburse repl; echo $?` printed 0.
    let (_, stderr) = demo.repl_failing("let x = ;\n", 1);
    assert!(stderr.starts_with("error: "), "{stderr}");
    // The entries after a failed one still run; a clean session still exits 0.
    let (stdout, _) = demo.repl_failing("nope\n:nope\n1 + 1\n:quit\n", 2);
    assert_eq!(stdout.trim(), "2");
    demo.repl("1 + 1\n");
}

#[test]
fn unset_and_reset_drop_the_sessions_own_hooks_and_vars_lists_functions() {
    let demo = Demo::new();
    let (stdout, stderr) = demo.repl(
        "fn eligible(customer, credit) { true }\n\
         dry_run(\"C-003\").reimbursements.len()\n\
         :unset eligible\n\
         dry_run(\"C-003\").reimbursements.len()\n\
         fn eligible(customer, credit) { true }\n\
         fn helper(a) { a }\n\
         let x = 5;\n\
         :vars\n\
         :reset\n\
         dry_run(\"C-003\").reimbursements.len()\n\
         :unset x nothing\n\
         :vars\n",
    );
    assert!(stderr.is_empty(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    // C-003's 10.00 is below the minimum: reimbursed only while the session's eligible applies.
    assert_eq!(lines[0], "1");
    assert_eq!(
        lines[1],
        "dropped fn eligible (the rule file's applies again)"
    );
    assert_eq!(lines[2], "0");
    // :vars lists the variable and the session's functions, saying which override the rules.
    let eligible = lines
        .iter()
        .find(|l| l.contains("eligible(customer, credit)"));
    assert!(eligible.is_some_and(|l| l.contains("yes")), "{stdout}");
    assert!(stdout.contains("helper(a)"), "{stdout}");
    assert!(lines.iter().any(|l| l.starts_with("│ x ")), "{stdout}");
    assert!(
        stdout.contains(
            "dropped the session's functions: eligible, helper (the rule file's apply again)\n0\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("dropped variable x\n"), "{stdout}");
    assert!(
        stdout.contains("the session has no variable or function nothing\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "no variables yet (let x = …;)\nno functions defined in the session (fn f(…) { … })\n"
        ),
        "{stdout}"
    );
}

#[test]
fn a_dry_run_works_while_a_session_holds_the_write_lock() {
    use std::io::{BufRead, BufReader};
    let demo = Demo::new();
    let mut session = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&demo.company.yaml)
        .arg("repl")
        .current_dir(demo.company.dir.path())
        .env("REIMBURSE_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = session.stdin.take().unwrap();
    let mut output = BufReader::new(session.stdout.take().unwrap());
    // Once the session answers, it holds the write lock; it links C-002 without committing.
    input
        .write_all(b"link_vendor(\"C-002\", \"V-100\");\n1 + 1\n")
        .unwrap();
    input.flush().unwrap();
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert_eq!(line, "2\n");

    // A committing run waits, then reports "database busy"; a dry run reads what was committed.
    let err = demo.company.fails(1, &["run", "--date", "2026-11-30"]);
    assert!(err.contains("database busy"), "{err}");
    let out = demo
        .company
        .run(&["run", "--dry-run", "--json", "--date", "2026-11-30"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.starts_with("note: "), "{stderr}");
    assert!(
        stderr.contains("is being written by another session"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c002 = report["reimbursements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["customer"] == "C-002")
        .cloned()
        .unwrap();
    // The session's uncommitted link is not seen: C-002 still gets a one-time vendor.
    assert_eq!(c002["one_time_vendor"], true, "{c002}");

    drop(input);
    assert!(session.wait().unwrap().success());
    assert_eq!(demo.company.count("SELECT count(*) FROM runs"), 0);
}
