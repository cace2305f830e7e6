//! Shared helpers of the integration tests that drive the real `reimburse` binary against real
//! SQLite files in temporary folders.
//!
//! A [`Company`] is a temporary folder with a company YAML (the Contoso demo parameters, with the
//! database in the folder and the rules pointing at the shipped `rules/reimburse.rhai`), usually
//! initialised from a fixture ledger. Every command it runs is checked for panics.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The crate's folder.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped rule file.
pub fn default_rules() -> PathBuf {
    root().join("rules/reimburse.rhai")
}

/// The shipped rules' text.
pub fn default_rules_text() -> String {
    std::fs::read_to_string(default_rules()).expect("rules/reimburse.rhai")
}

/// The Contoso demo ledger.
pub fn contoso_ledger() -> PathBuf {
    root().join("examples/contoso/ledger.yaml")
}

/// The company YAML of the tests: Contoso's parameters with the database `company.db` beside the
/// YAML file and the shipped rules (absolute path).
pub fn company_yaml() -> String {
    let yaml = std::fs::read_to_string(root().join("examples/contoso/company.yaml"))
        .expect("examples/contoso/company.yaml");
    yaml.lines()
        .map(|l| {
            if l.starts_with("database:") {
                "database: company.db".to_string()
            } else if l.starts_with("rules:") {
                format!("rules: {}", default_rules().display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `text` with `from` replaced by `to`; `from` must occur (so edits cannot silently go stale).
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the text no longer contains {from:?}:\n{text}"
    );
    text.replacen(from, to, 1)
}

/// The 1-based line of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not found"))
        + 1
}

/// The arguments of a committing run with `rules` (JSON report, posting date 2026-11-30).
pub fn run_with(rules: &Path) -> [&str; 6] {
    [
        "run",
        "--json",
        "--date",
        "2026-11-30",
        "--rules",
        rules.to_str().unwrap(),
    ]
}

/// `line:column` (1-based) of the first occurrence of `needle` in `text`.
pub fn line_column(text: &str, needle: &str) -> String {
    let line = line_of(text, needle);
    let column = text.lines().nth(line - 1).unwrap().find(needle).unwrap() + 1;
    format!("{line}:{column}")
}

/// `line:column` of the opening brace of `fn <hook>(` in a rule file's text: where errors that
/// carry no position of their own (limits, refusals by the engine) point.
pub fn hook_at(text: &str, hook: &str) -> String {
    let line = line_of(text, &format!("fn {hook}("));
    let column = text.lines().nth(line - 1).unwrap().find('{').unwrap() + 1;
    format!("{line}:{column}")
}

/// Checks that a command did not panic, and returns its standard error.
pub fn no_panic(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked:\n{stderr}"
    );
    // 101 is Rust's exit code for a panic.
    assert_ne!(out.status.code(), Some(101), "exit code 101:\n{stderr}");
    stderr
}

/// A company in a temporary folder.
pub struct Company {
    /// The temporary folder (removed on drop).
    pub dir: tempfile::TempDir,
    /// The company YAML.
    pub yaml: PathBuf,
    /// The database file.
    pub db: PathBuf,
}

impl Company {
    /// A company with the test parameters ([`company_yaml`]) and no database yet.
    pub fn uninitialised() -> Company {
        Company::with_parameters(&company_yaml())
    }

    /// A company with these parameters (YAML text; the database must be `company.db`) and no
    /// database yet.
    pub fn with_parameters(yaml: &str) -> Company {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("company.yaml");
        std::fs::write(&path, yaml).unwrap();
        let db = dir.path().join("company.db");
        Company {
            dir,
            yaml: path,
            db,
        }
    }

    /// A company initialised from a fixture ledger given as YAML text.
    pub fn new(fixture: &str) -> Company {
        Company::with(&company_yaml(), fixture)
    }

    /// A company with these parameters, initialised from a fixture ledger given as YAML text.
    pub fn with(parameters: &str, fixture: &str) -> Company {
        let c = Company::with_parameters(parameters);
        let file = c.write("ledger.yaml", fixture);
        c.ok(&["init", "--fixture", file.to_str().unwrap()]);
        c
    }

    /// A company whose `open_debits` parameter is `policy`, initialised from a fixture.
    pub fn with_open_debits(policy: &str, fixture: &str) -> Company {
        let yaml = edit(
            &company_yaml(),
            "open_debits: net",
            &format!("open_debits: {policy}"),
        );
        Company::with(&yaml, fixture)
    }

    /// The Contoso demo company (examples/contoso/ledger.yaml).
    pub fn contoso() -> Company {
        let c = Company::uninitialised();
        c.ok(&["init", "--fixture", contoso_ledger().to_str().unwrap()]);
        c
    }

    /// A path in the company's folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file into the company's folder; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes a copy of the shipped rules with `from` replaced by `to`; returns its path.
    pub fn rules(&self, name: &str, from: &str, to: &str) -> PathBuf {
        self.write(name, &edit(&default_rules_text(), from, to))
    }

    /// Runs `reimburse --company <yaml> <args>` (never panicking).
    pub fn run(&self, args: &[&str]) -> Output {
        self.output(Command::new(env!("CARGO_BIN_EXE_reimburse")), args)
    }

    /// Like [`Company::run`], with the address space of the process capped at `max_mb` MiB
    /// (`ulimit -v`): a command that allocates past it dies by a signal instead of finishing.
    pub fn run_capped(&self, max_mb: u64, args: &[&str]) -> Output {
        let mut shell = Command::new("sh");
        shell
            .arg("-c")
            .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", max_mb * 1024))
            .arg(env!("CARGO_BIN_EXE_reimburse"));
        self.output(shell, args)
    }

    /// Runs `command --company <yaml> <args>` in the company's folder; checks it did not panic.
    fn output(&self, mut command: Command, args: &[&str]) -> Output {
        let out = command
            .arg("--company")
            .arg(&self.yaml)
            .args(args)
            .env_remove("REIMBURSE_COMPANY")
            .current_dir(self.dir.path())
            .output()
            .expect("run the reimburse binary");
        no_panic(&out);
        out
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "reimburse {args:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs a command that must fail with exit code `code`; returns its standard error.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "reimburse {args:?} should exit with {code}; stdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// Runs the company with `rules`; the run must fail with exit code 1, one line on standard
    /// error, no reimbursement and no run recorded, and the database byte-for-byte unchanged.
    /// Returns the error line (with its newline).
    pub fn broken_run(&self, rules: &Path) -> String {
        let before = self.snapshot();
        let err = self.fails(1, &run_with(rules));
        self.assert_unchanged(&before, &format!("a failed run with {}", rules.display()));
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(self.reimbursement_count(), 0);
        assert_eq!(self.count("SELECT count(*) FROM runs"), 0);
        err
    }

    /// Runs a command that must succeed and print JSON; returns the document.
    pub fn json(&self, args: &[&str]) -> Value {
        let stdout = self.ok(args);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("reimburse {args:?} did not print JSON ({e}):\n{stdout}"))
    }

    /// `run --json --date 2026-11-30 --keep-going <args>` where the rules fail for `failed`
    /// customers: the run exits with code 3 and says so on standard error; returns the document.
    pub fn keep_going_json(&self, failed: u64, args: &[&str]) -> Value {
        let mut all = vec!["run", "--json", "--date", "2026-11-30", "--keep-going"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "reimburse {all:?}:\n{stderr}");
        assert_eq!(
            stderr,
            format!(
                "error: the rules failed for {failed} customer(s); the others were processed\n"
            )
        );
        let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("reimburse {all:?} did not print JSON ({e}):\n{stdout}"))
    }

    /// `run --json --date 2026-11-30 <args>`.
    pub fn run_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["run", "--json", "--date", "2026-11-30"];
        all.extend_from_slice(args);
        self.json(&all)
    }

    /// Opens the database (read and write: a read-only connection could leave WAL files behind).
    pub fn conn(&self) -> rusqlite::Connection {
        assert!(self.db.exists(), "no database at {}", self.db.display());
        rusqlite::Connection::open(&self.db).expect("open the database")
    }

    /// The rows of a query, each value as text (`NULL` for null).
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).expect(sql);
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            Ok((0..n)
                .map(|i| match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(b) => format!("{b:?}"),
                })
                .collect())
        })
        .and_then(|rows| rows.collect())
        .expect(sql)
    }

    /// A single integer.
    pub fn count(&self, sql: &str) -> i64 {
        self.conn().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// A canonical text dump of the whole database: schema version, application id, and every
    /// table's schema and rows (in a fixed order).
    pub fn dump(&self) -> String {
        self.dump_except(&[])
    }

    /// Like [`Company::dump`], leaving out some tables.
    pub fn dump_except(&self, skip: &[&str]) -> String {
        let conn = self.conn();
        let mut out = String::new();
        for pragma in ["user_version", "application_id"] {
            let v: i64 = conn
                .query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
                .unwrap();
            out.push_str(&format!("{pragma} = {v}\n"));
        }
        let tables: Vec<(String, String)> = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (table, sql) in tables {
            if skip.contains(&table.as_str()) {
                continue;
            }
            out.push_str(&format!("== {table}\n{sql}\n"));
            let n = conn
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .unwrap()
                .column_count();
            let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
            for row in self.query(&format!(
                "SELECT * FROM \"{table}\" ORDER BY {}",
                order.join(", ")
            )) {
                out.push_str(&row.join("|"));
                out.push('\n');
            }
        }
        out
    }

    /// The raw bytes of the database file; there must be no WAL file with content beside it
    /// (the binary checkpoints and removes it when it exits).
    pub fn db_bytes(&self) -> Vec<u8> {
        let wal = self.path("company.db-wal");
        if let Ok(meta) = std::fs::metadata(&wal) {
            assert_eq!(meta.len(), 0, "a WAL file with content remains");
        }
        std::fs::read(&self.db).expect("read the database file")
    }

    /// A snapshot of the database: its dump and its raw bytes.
    pub fn snapshot(&self) -> (String, Vec<u8>) {
        let bytes = self.db_bytes();
        (self.dump(), bytes)
    }

    /// Checks that the database is exactly as in `before` (a [`Company::snapshot`]).
    pub fn assert_unchanged(&self, before: &(String, Vec<u8>), what: &str) {
        let bytes = self.db_bytes();
        let dump = self.dump();
        assert_eq!(dump, before.0, "{what}: the database changed");
        assert!(
            bytes == before.1,
            "{what}: the database file's bytes changed"
        );
    }

    /// `balances --json`: the balance of `account` in `currency` on `side` (`customers` or
    /// `vendors`), or `None` when the account has no transactions in it.
    pub fn balance_row(&self, side: &str, account: &str, currency: &str) -> Option<Value> {
        let doc = self.json(&["balances", "--json"]);
        doc[side]
            .as_array()
            .unwrap_or_else(|| panic!("no {side} in {doc}"))
            .iter()
            .find(|r| r["account"] == account && r["currency"] == currency)
            .cloned()
    }

    /// The balance of a customer in a currency (text).
    pub fn customer_balance(&self, account: &str, currency: &str) -> String {
        let row = self
            .balance_row("customers", account, currency)
            .unwrap_or_else(|| panic!("no {currency} balance for customer {account}"));
        row["balance"].as_str().unwrap().to_string()
    }

    /// The balance of a vendor in a currency (text).
    pub fn vendor_balance(&self, account: &str, currency: &str) -> String {
        let row = self
            .balance_row("vendors", account, currency)
            .unwrap_or_else(|| panic!("no {currency} balance for vendor {account}"));
        row["balance"].as_str().unwrap().to_string()
    }

    /// Checks that the trial balance totals are zero in every currency of `currencies` (and
    /// that there are no others); returns the document.
    pub fn assert_trial_balance_zero(&self, currencies: &[&str]) -> Value {
        let tb = self.json(&["trial-balance", "--json"]);
        let totals = tb["totals"].as_object().expect("totals");
        let mut expected = serde_json::Map::new();
        for c in currencies {
            expected.insert(c.to_string(), Value::from("0.00"));
        }
        assert_eq!(totals, &expected, "trial balance: {tb:#}");
        tb
    }

    /// The trial balance of a general-ledger account in a currency (text), if it has lines.
    pub fn gl_balance(&self, account: &str, currency: &str) -> Option<String> {
        let tb = self.json(&["trial-balance", "--json"]);
        tb["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["account"] == account && r["currency"] == currency)
            .map(|r| r["balance"].as_str().unwrap().to_string())
    }

    /// The general-ledger lines of a voucher: (account, currency, amount in minor units,
    /// customer, vendor), in line order.
    pub fn voucher_lines(&self, number: &str) -> Vec<Vec<String>> {
        self.query(&format!(
            "SELECT l.account, l.currency, l.amount_minor, l.customer, l.vendor
             FROM gl_lines l JOIN vouchers v ON v.id = l.voucher_id
             WHERE v.number = '{number}' ORDER BY l.line"
        ))
    }

    /// Number of reimbursements recorded.
    pub fn reimbursement_count(&self) -> i64 {
        self.count("SELECT count(*) FROM reimbursements")
    }

    /// Open amounts (minor units) of a customer's transactions, by document, in id order.
    pub fn open_amounts(&self, customer: &str) -> Vec<(String, String, i64)> {
        self.query(&format!(
            "SELECT document, type, open_minor FROM customer_transactions
             WHERE account = '{customer}' ORDER BY id"
        ))
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].parse().unwrap()))
        .collect()
    }
}

/// Rows of a JSON array (panics when it is not one).
pub fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

/// The `customer` fields of a list of rows.
pub fn customers_of(v: &Value) -> Vec<String> {
    rows(v)
        .iter()
        .map(|r| r["customer"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `reimburse --company <yaml> <args>` in the company's folder with `stdin` as its standard
/// input (never panicking).
pub fn run_with_stdin(c: &Company, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_reimburse"))
        .arg("--company")
        .arg(&c.yaml)
        .args(args)
        .env_remove("REIMBURSE_COMPANY")
        .current_dir(c.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the reimburse binary");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child
        .wait_with_output()
        .expect("wait for the reimburse binary");
    no_panic(&out);
    out
}

impl Company {
    /// `reimburse --company <yaml> <args>` in the company's folder, not yet run: for a test that
    /// sets the environment or redirects standard output (check the output with [`no_panic`]).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_reimburse"));
        command
            .arg("--company")
            .arg(&self.yaml)
            .args(args)
            .env_remove("REIMBURSE_COMPANY")
            .current_dir(self.dir.path());
        command
    }
}

impl Company {
    /// The control accounts (the test parameters' 1200 receivables, 2000 payables) whose
    /// general-ledger balance in a currency is not the sum of their sub-ledger, as
    /// `account currency general-ledger sub-ledger` (none for sound books). Raw SQL, so that it
    /// checks the books whatever the ledger says.
    pub fn control_disagreements(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (account, table) in [
            ("1200", "customer_transactions"),
            ("2000", "vendor_transactions"),
        ] {
            for row in self.query(&format!(
                "SELECT currency, SUM(gl), SUM(sub) FROM (
                     SELECT currency, amount_minor AS gl, 0 AS sub FROM gl_lines
                     WHERE account = '{account}'
                     UNION ALL SELECT currency, 0, amount_minor FROM {table}
                 ) GROUP BY currency HAVING SUM(gl) <> SUM(sub) ORDER BY currency"
            )) {
                found.push(format!("{account} {} {} {}", row[0], row[1], row[2]));
            }
        }
        found
    }
}

/// What schema version 7 changed, undone: the general ledger's lines all in `voucher_lines` again
/// (the customer and vendor lines written back from their transactions, in line order, without
/// touching the account totals), no `line` columns, no view, the triggers of schema 4 and the
/// indexes schema 7 dropped: a database of schema 6 as that version wrote it (the tests of
/// migrations; `examples/schema_floor` and `examples/bench` use it for the old write floor).
pub const DOWN_TO_SCHEMA_6: &str = include_str!("../schema/down_to_6.sql");

/// What schema versions 7, 6 and 5 add, dropped (and schema 2's trigger back): a database of
/// schema 4, the first step of taking one back to an older version (the tests of migrations).
pub const DOWN_TO_SCHEMA_4: &str = concat!(
    include_str!("../schema/down_to_6.sql"),
    "
DROP TRIGGER reimbursement_paid_unless_reversed;
DROP TABLE run_outcomes;
DROP TABLE decisions;
DROP TABLE write_offs;
ALTER TABLE reimbursements DROP COLUMN approval;
ALTER TABLE reimbursements DROP COLUMN reversal_voucher_id;
ALTER TABLE reimbursements DROP COLUMN reversed_date;
CREATE TRIGGER reimbursement_paid AFTER INSERT ON vendor_settlements
WHEN (SELECT open_minor FROM vendor_transactions WHERE id = NEW.credit_id) = 0
BEGIN
    UPDATE reimbursements
    SET status = 'paid',
        payment_voucher_id = (SELECT voucher_id FROM vendor_transactions WHERE id = NEW.debit_id),
        paid_date = NEW.date
    WHERE vendor_txn_id = NEW.credit_id AND status = 'open';
END;
DROP TABLE bank_transfers;
DROP TABLE bank_files;
ALTER TABLE reimbursements DROP COLUMN hold_reason;
ALTER TABLE reimbursements DROP COLUMN held_by_run;
"
);

/// A company made by `reimburse generate` in a temporary folder; the binary runs with `TMPDIR`
/// set to a folder of its own, so the tests can check that it leaves nothing there.
pub struct Generated {
    /// The temporary folder (removed on drop); the company is in its `co` folder.
    pub dir: tempfile::TempDir,
    /// The company YAML.
    pub yaml: PathBuf,
    /// The binary's `TMPDIR`.
    pub tmp: PathBuf,
}

impl Generated {
    /// A generated company of 3,000 customers (seed 0).
    pub fn new() -> Generated {
        Generated::with_customers(3000)
    }

    /// A generated company of `customers` customers (seed 0).
    pub fn with_customers(customers: u64) -> Generated {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let g = Generated {
            yaml: dir.path().join("co/company.yaml"),
            tmp,
            dir,
        };
        let n = customers.to_string();
        let out = g.command(&[], &["generate", "--customers", &n, "--out", "co"]);
        assert!(out.status.success(), "{out:?}");
        g
    }

    /// Runs `reimburse --company <yaml> <args>` with the environment `env`.
    pub fn command(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_reimburse"))
            .arg("--company")
            .arg(&self.yaml)
            .args(args)
            .env_remove("REIMBURSE_COMPANY")
            .env_remove("REIMBURSE_TABLE_BUFFER_ROWS")
            .env("TMPDIR", &self.tmp)
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .output()
            .expect("run the reimburse binary");
        no_panic(&out);
        out
    }

    /// A command's table output, checked to be the one comfy-table draws when it holds every
    /// row (the streamed table must not differ from it).
    pub fn table(&self, args: &[&str]) -> String {
        let streamed = self.ok(&[], args);
        let comfy = self.ok(&[("REIMBURSE_TABLE_BUFFER_ROWS", "1000000")], args);
        assert_eq!(streamed, comfy, "{args:?}");
        streamed
    }

    /// Standard output of a command that must succeed.
    pub fn ok(&self, env: &[(&str, &str)], args: &[&str]) -> String {
        let out = self.command(env, args);
        assert!(
            out.status.success(),
            "reimburse {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.assert_no_temporary_files();
        String::from_utf8(out.stdout).unwrap()
    }

    /// Checks that the binary left nothing in its `TMPDIR`.
    pub fn assert_no_temporary_files(&self) {
        let left: Vec<_> = std::fs::read_dir(&self.tmp)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "temporary files left behind: {left:?}");
    }

    /// The library's view of the company (the rules are the company's).
    pub fn ledger(&self) -> reimburse::ledger::Ledger {
        reimburse::ledger::Ledger::open(&self.company()).unwrap()
    }

    /// The company's parameters and paths.
    pub fn company(&self) -> reimburse::parameters::Company {
        reimburse::parameters::Company::load(&self.yaml).unwrap()
    }
}
