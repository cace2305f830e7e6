//! The books safe from the tool's own file operations (issue 17, items 1 to 3 and 17, and the
//! schema-version-1 database): no command writes over the company's database, its `-wal`/`-shm`/
//! `-journal`, its parameters or its rules, whatever path leads there; nothing that is not a
//! regular file is ever written; `init --force` replaces only a company database; `generate`
//! does not overwrite a company without `--force`; a command that committed and then cannot
//! print its report says that it committed, and how to see what it did.

use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Stdio;

use crate::common::{
    Company, DOWN_TO_SCHEMA_4, company_yaml, contoso_ledger, default_rules, default_rules_text,
    edit, no_panic,
};

/// The Contoso company with its own copy of the rules (`rules.rhai` in its folder), so that a
/// command that wrongly writes over the rule file cannot damage the shipped one.
fn contoso_own_rules() -> Company {
    let c = Company::with_parameters(&own_rules_yaml(&company_yaml()));
    c.write("rules.rhai", &default_rules_text());
    c.ok(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
    c
}

/// Company parameters with the rules `rules.rhai` beside the YAML file.
fn own_rules_yaml(yaml: &str) -> String {
    edit(
        yaml,
        &format!("rules: {}", default_rules().display()),
        "rules: rules.rhai",
    )
}

/// Makes a FIFO (named pipe) at `path`.
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

// ----- 1. export -o -----

#[test]
fn export_never_writes_over_the_company_files_whatever_path_leads_there() {
    let c = contoso_own_rules();
    let dir = c.dir.path();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("company.db", dir.join("link.db")).unwrap();
    std::fs::hard_link(&c.db, dir.join("hard.db")).unwrap();
    // A link to a side file that does not exist yet.
    std::os::unix::fs::symlink("company.db-shm", dir.join("shm-link")).unwrap();
    let (db, yaml, rules) = (c.db.display(), c.yaml.display(), c.path("rules.rhai"));
    let books = format!("this is the company database {db}; writing there would replace the books");
    let side = |suffix: &str| {
        format!(
            "this is the {suffix} file SQLite keeps beside the company database {db}; writing there would corrupt the books"
        )
    };
    let cases = [
        ("company.db", books.clone()),
        ("sub/../company.db", books.clone()),
        ("./link.db", books.clone()),
        ("hard.db", books.clone()),
        ("company.db-wal", side("-wal")),
        ("company.db-journal", side("-journal")),
        ("shm-link", side("-shm")),
        (
            "company.yaml",
            format!("this is the company parameters file {yaml}"),
        ),
        (
            "rules.rhai",
            format!("this is the company's rule file {}", rules.display()),
        ),
    ];
    let before = c.snapshot();
    let yaml_text = std::fs::read_to_string(&c.yaml).unwrap();
    for (output, why) in &cases {
        // Refused with or without --force.
        for force in [false, true] {
            let mut args = vec!["export", "--format", "ledger", "-o", output];
            if force {
                args.push("--force");
            }
            let err = c.fails(1, &args);
            assert_eq!(
                err,
                format!("error: {output}: refused: {why}\n"),
                "{args:?}"
            );
            c.assert_unchanged(&before, &format!("export -o {output}"));
            assert_eq!(std::fs::read_to_string(&c.yaml).unwrap(), yaml_text);
            assert_eq!(
                std::fs::read_to_string(&rules).unwrap(),
                default_rules_text()
            );
            for suffix in ["-wal", "-shm", "-journal"] {
                let side = c.path(&format!("company.db{suffix}"));
                assert!(!side.exists(), "{} was left after {args:?}", side.display());
            }
        }
    }
    // The books still open and balance.
    c.assert_trial_balance_zero(&["EUR", "USD"]);
}

#[test]
fn export_replaces_only_a_previous_export_of_its_format_and_never_a_special_file() {
    let c = contoso_own_rules();
    let journal = c.path("books.journal");
    let first = c.ok(&["export", "--format", "ledger", "-o", "books.journal"]);
    assert!(first.starts_with("exported 31 vouchers"), "{first}");
    let text = std::fs::read_to_string(&journal).unwrap();
    // A previous export of the same format is replaced without --force.
    c.ok(&["export", "--format", "hledger", "-o", "books.journal"]);
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);
    // Another format is another kind of file.
    let err = c.fails(
        1,
        &["export", "--format", "beancount", "-o", "books.journal"],
    );
    assert_eq!(
        err,
        "error: books.journal: refused: the file exists and is not a previous beancount export \
         (`reimburse export --format beancount`); give another file, or --force to replace it\n"
    );
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), text);
    // Any other existing file: refused, and replaced with --force.
    let notes = c.write("notes.txt", "my notes, not a journal\n");
    let err = c.fails(1, &["export", "-o", "notes.txt"]);
    assert_eq!(
        err,
        "error: notes.txt: refused: the file exists and is not a previous ledger export \
         (`reimburse export --format ledger`); give another file, or --force to replace it\n"
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "my notes, not a journal\n"
    );
    c.ok(&["export", "-o", "notes.txt", "--force"]);
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), text);
    // Not a regular file: never, even with --force.
    let fifo = c.path("pipe");
    mkfifo(&fifo);
    std::fs::create_dir(c.path("folder")).unwrap();
    let socket = c.path("socket");
    let _listener = UnixListener::bind(&socket).unwrap();
    for (name, kind) in [
        ("pipe", "FIFO (named pipe)"),
        ("folder", "folder"),
        ("socket", "socket"),
    ] {
        let err = c.fails(1, &["export", "-o", name, "--force"]);
        assert_eq!(
            err,
            format!(
                "error: {name}: refused: it is a {kind}, not a regular file (never written, even with --force)\n"
            )
        );
    }
    assert!(is_fifo(&fifo) && is_socket(&socket) && c.path("folder").is_dir());
}

// ----- 2. init --force -----

/// Makes the file a case needs at a path.
type MakeFile = dyn Fn(&Path);

#[test]
fn init_force_replaces_only_a_company_database() {
    let fixture_text = std::fs::read_to_string(contoso_ledger()).unwrap();
    // (database:, what the file is, the reason it is refused)
    let cases: [(&str, &MakeFile, String); 6] = [
        (
            "notes.txt",
            &|p| std::fs::write(p, "some notes\n").unwrap(),
            "it is a file that is not a database (text, or another format); only a reimburse \
             company database is replaced (even with --force): move it away, or name another file"
                .into(),
        ),
        (
            "other.db",
            &|p| {
                let conn = rusqlite::Connection::open(p).unwrap();
                conn.execute_batch("CREATE TABLE mail(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO mail(body) VALUES ('hello');")
                    .unwrap();
            },
            "it is an SQLite database of another application; only a reimburse company database \
             is replaced (even with --force): move it away, or name another file"
                .into(),
        ),
        (
            "ledger.yaml",
            &|_| {},
            "this is ledger.yaml, which the command reads from".into(),
        ),
        ("company.yaml", &|_| {}, String::new()),
        ("rules.rhai", &|_| {}, String::new()),
        (
            "socket",
            &|p| std::mem::forget(UnixListener::bind(p).unwrap()),
            "it is a socket, not a regular file (never written, even with --force)".into(),
        ),
    ];
    for (database, make, why) in cases {
        let yaml = edit(
            &own_rules_yaml(&company_yaml()),
            "database: company.db",
            &format!("database: {database}"),
        );
        let c = Company::with_parameters(&yaml);
        c.write("rules.rhai", &default_rules_text());
        c.write("ledger.yaml", &fixture_text);
        let target = c.path(database);
        make(&target);
        let why = match database {
            "company.yaml" => format!("this is the company parameters file {}", c.yaml.display()),
            "rules.rhai" => format!("this is the company's rule file {}", target.display()),
            _ => why,
        };
        let bytes = std::fs::read(&target).ok();
        let err = c.fails(1, &["init", "--force", "--fixture", "ledger.yaml"]);
        assert_eq!(
            err,
            format!("error: {}: refused: {why}\n", target.display()),
            "database: {database}"
        );
        assert_eq!(std::fs::read(&target).ok(), bytes, "database: {database}");
        if database == "socket" {
            assert!(is_socket(&target));
        }
        let names: Vec<String> = std::fs::read_dir(c.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp") || n.ends_with("-wal") || n.ends_with("-shm"))
            .collect();
        assert!(names.is_empty(), "left behind: {names:?}");
    }
}

#[test]
fn init_force_still_replaces_a_company_database() {
    let c = Company::contoso();
    c.ok(&["run", "--date", "2026-11-30"]);
    assert_eq!(c.reimbursement_count(), 13);
    let out = c.ok(&["init", "--force"]);
    assert_eq!(out, format!("created {}\n", c.db.display()));
    assert_eq!(c.reimbursement_count(), 0);
}

#[test]
fn init_removes_the_temporary_files_a_killed_init_left() {
    let c = Company::uninitialised();
    // A process that has ended: its id names no live process (the test's own id does).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let live = std::process::id();
    // In the order the note lists them (sorted).
    let stale: Vec<String> = ["", "-shm", "-wal"]
        .iter()
        .map(|s| format!("company.init-{dead}.tmp{s}"))
        .collect();
    let kept = [
        format!("company.init-{live}.tmp"),
        "company.init-12x.tmp".to_string(),
        format!("other.init-{dead}.tmp"),
    ];
    for name in stale.iter().chain(&kept) {
        c.write(name, "left behind");
    }
    let out = c.run(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
    assert!(out.status.success(), "{}", no_panic(&out));
    let paths: Vec<String> = stale
        .iter()
        .map(|n| c.path(n).display().to_string())
        .collect();
    assert_eq!(
        no_panic(&out),
        format!(
            "note: removed what an init that was killed left behind: {}\n",
            paths.join(", ")
        )
    );
    for name in &stale {
        assert!(!c.path(name).exists(), "{name} is still there");
    }
    for name in &kept {
        assert!(c.path(name).exists(), "{name} was removed");
    }
}

// ----- 3. generate --out DIR -----

#[test]
fn generate_does_not_overwrite_a_company_without_force() {
    let c = Company::uninitialised();
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", "--customers", "5", "--out", "gen", "--csv"];
        args.extend(extra);
        c.command(&args).output().unwrap()
    };
    let out = generate(&[]);
    assert!(out.status.success(), "{}", no_panic(&out));
    let rules = c.path("gen/rules/reimburse.rhai");
    std::fs::write(&rules, "// the finance team's edited rules\n").unwrap();
    let edited = c.path("gen/company.yaml");
    let yaml = std::fs::read_to_string(&edited).unwrap() + "# edited\n";
    std::fs::write(&edited, &yaml).unwrap();
    let out = generate(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        no_panic(&out),
        "error: refused: gen/company.db, gen/company.yaml, gen/rules/reimburse.rhai, \
         gen/customers.csv, gen/vendors.csv, gen/transactions.csv already exist; use --force to \
         replace them\n"
    );
    assert_eq!(
        std::fs::read_to_string(&rules).unwrap(),
        "// the finance team's edited rules\n"
    );
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), yaml);
    // With --force: replaced.
    let out = generate(&["--force"]);
    assert!(out.status.success(), "{}", no_panic(&out));
    assert_eq!(
        std::fs::read_to_string(&rules).unwrap(),
        default_rules_text()
    );
    // Never through a file that is not a regular file, even with --force.
    let csv = c.path("gen/customers.csv");
    std::fs::remove_file(&csv).unwrap();
    let _listener = UnixListener::bind(&csv).unwrap();
    let out = generate(&["--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        no_panic(&out),
        "error: gen/customers.csv: refused: it is a socket, not a regular file (never written, \
         even with --force)\n"
    );
    assert!(is_socket(&csv));
}

// ----- 17. a committed command that cannot print its report -----

/// Runs `args` with standard output on `/dev/full` (every write fails: no space left).
fn to_full_disk(c: &Company, args: &[&str]) -> String {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = c.command(args).stdout(Stdio::from(full)).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    no_panic(&out)
}

/// Runs `args` with `TMPDIR` a path that is a file: no temporary file can be made there.
fn without_tmpdir(c: &Company, args: &[&str]) -> String {
    let file = c.write("not-a-folder", "");
    let out = c.command(args).env("TMPDIR", &file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}");
    no_panic(&out)
}

const FULL: &str = "cannot write output: No space left on device (os error 28)";

#[test]
fn a_run_that_committed_and_cannot_print_says_so() {
    let c = Company::contoso();
    let err = to_full_disk(&c, &["run", "--date", "2026-11-30"]);
    assert_eq!(
        err,
        format!(
            "error: run 1 was committed (the books changed), but its report cannot be printed: \
             {FULL}; see what it did with `reimburse reimbursements --run 1` (and `reimburse runs`)\n"
        )
    );
    assert_eq!(c.reimbursement_count(), 13);
    assert_eq!(
        c.count("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL"),
        1
    );
    // TMPDIR unusable: the run commits (its rows are in the books) and says so.
    let tmp = c.path("not-a-folder");
    let err = without_tmpdir(&c, &["run", "--json", "--date", "2026-11-30"]);
    assert_eq!(
        err,
        format!(
            "error: run 2 was committed (the books changed), but its report cannot be printed: \
             cannot write output: cannot spool the rows to a temporary file in {} (TMPDIR): Not \
             a directory (os error 20); see what it did with `reimburse reimbursements --run 2` \
             (and `reimburse runs`)\n",
            tmp.display()
        )
    );
    assert_eq!(c.count("SELECT count(*) FROM runs"), 2);
    // A dry run commits nothing and says nothing of the kind.
    let err = to_full_disk(&c, &["run", "--dry-run", "--date", "2026-11-30"]);
    assert_eq!(err, format!("error: {FULL}\n"));
    assert_eq!(c.count("SELECT count(*) FROM runs"), 2);
}

#[test]
fn pay_import_script_and_init_that_committed_and_cannot_print_say_so() {
    let c = Company::contoso();
    c.ok(&["run", "--date", "2026-11-30"]);
    let tmp = c.path("not-a-folder");
    let err = without_tmpdir(&c, &["pay", "--date", "2026-12-01"]);
    assert_eq!(
        err,
        format!(
            "error: payment run 2 was committed (the books changed), but its report cannot be \
             printed: cannot write output: cannot spool the rows to a temporary file in {} \
             (TMPDIR): Not a directory (os error 20); see what it paid with `reimburse \
             reimbursements --status paid` (run 2 in `reimburse runs`)\n",
            tmp.display()
        )
    );
    assert_eq!(
        c.count("SELECT count(*) FROM reimbursements WHERE status = 'paid'"),
        13
    );

    c.write(
        "customers.csv",
        "account,name,currency\nC-900,New customer,USD\n",
    );
    let err = to_full_disk(&c, &["import", "--customers", "customers.csv"]);
    assert_eq!(
        err,
        format!(
            "error: the import was committed as run 3 (the books changed), but its report \
             cannot be printed: {FULL}; see what it changed with `reimburse changes --run 3` \
             (and `reimburse runs`)\n"
        )
    );
    assert_eq!(
        c.count("SELECT count(*) FROM customers WHERE account = 'C-900'"),
        1
    );

    c.write(
        "rename.rhai",
        "update_customer(\"C-900\", #{name: \"Renamed\"});\n\"renamed\"\n",
    );
    let err = to_full_disk(&c, &["script", "rename.rhai"]);
    assert_eq!(
        err,
        format!(
            "committed 1 row change\nerror: the script was committed as run 4 (the books \
             changed), but its report cannot be printed: {FULL}; see what it changed with \
             `reimburse changes --run 4` (and `reimburse runs`)\n"
        )
    );
    assert_eq!(
        c.query("SELECT name FROM customers WHERE account = 'C-900'"),
        [["Renamed"]]
    );

    let err = to_full_disk(&c, &["init", "--force"]);
    assert_eq!(
        err,
        format!(
            "error: the database {} was created, but its report cannot be printed: {FULL}; see \
             it with `reimburse balances`\n",
            c.db.display()
        )
    );
    assert_eq!(c.reimbursement_count(), 0);
}

// ----- a database at schema version 1 -----

/// The objects schema versions 2 to 4 add, dropped (after [`DOWN_TO_SCHEMA_4`]): what a database of version 1 has.
const DOWN_TO_VERSION_1: &str = "
DROP TRIGGER account_totals_follow_lines;
DROP TABLE account_totals;
DROP TABLE control_accounts;
DROP TRIGGER reimbursement_paid;
DROP TABLE master_data_changes;
DROP INDEX customer_transactions_document;
ALTER TABLE customers DROP COLUMN iban;
ALTER TABLE customers DROP COLUMN bic;
ALTER TABLE vendors DROP COLUMN iban;
ALTER TABLE vendors DROP COLUMN bic;
PRAGMA user_version = 1;
";

#[test]
fn a_database_of_schema_version_1_is_migrated() {
    let c = Company::contoso();
    c.ok(&["run", "--date", "2026-11-30"]);
    c.conn()
        .execute_batch(&format!("{DOWN_TO_SCHEMA_4}{DOWN_TO_VERSION_1}"))
        .unwrap();
    assert_eq!(c.count("PRAGMA user_version"), 1);
    c.ok(&["pay", "--date", "2026-12-01"]);
    assert_eq!(
        c.count("PRAGMA user_version"),
        reimburse::store::SCHEMA_VERSION
    );
    assert_eq!(
        c.count("SELECT count(*) FROM reimbursements WHERE status = 'paid'"),
        13
    );
    c.assert_trial_balance_zero(&["EUR", "USD"]);
}

#[test]
fn a_database_whose_version_was_set_back_is_refused_with_what_to_do() {
    let c = Company::contoso();
    c.conn().execute_batch("PRAGMA user_version = 1").unwrap();
    let before = c.db_bytes();
    for args in [vec!["balances"], vec!["run", "--date", "2026-11-30"]] {
        let err = c.fails(1, &args);
        assert_eq!(
            err,
            format!(
                "error: {}: the database says schema version 1, but it already has column \
                 customers.iban (of schema version 3): its version number was changed \
                 outside reimburse, so it is not migrated (nothing was changed). Restore the \
                 database from a backup; or, if you know that only the number was changed, set \
                 it back (`PRAGMA user_version`) with sqlite3\n",
                c.db.display()
            )
        );
        assert_eq!(c.db_bytes(), before);
    }
}

// ----- the REPL's history file (REIMBURSE_HISTORY names it) -----

#[test]
fn the_repl_history_never_replaces_the_company_files() {
    let c = contoso_own_rules();
    let before = c.snapshot();
    let notes = c.write("notes.txt", "not a history\n");
    let db = c.db.display();
    for (history, why) in [
        (
            "company.db",
            format!("this is the company database {db}; writing there would replace the books"),
        ),
        (
            "company.db-wal",
            format!(
                "this is the -wal file SQLite keeps beside the company database {db}; writing there would corrupt the books"
            ),
        ),
        (
            "notes.txt",
            "the file exists and is not a previous REPL history; set REIMBURSE_HISTORY to another \
             file, or to nothing for no history"
                .into(),
        ),
    ] {
        let out = c
            .command(&["repl"])
            .env("REIMBURSE_HISTORY", history)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", no_panic(&out));
        assert_eq!(
            no_panic(&out),
            format!("warning: no history is kept: {history}: refused: {why}\n")
        );
        c.assert_unchanged(&before, &format!("REIMBURSE_HISTORY={history}"));
    }
    assert_eq!(std::fs::read_to_string(notes).unwrap(), "not a history\n");
    // A history file of its own is fine (no warning).
    c.write("history", "#V2\n1 + 1\n");
    let out = c
        .command(&["repl"])
        .env("REIMBURSE_HISTORY", "history")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(no_panic(&out), "");
}
