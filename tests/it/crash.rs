//! Crash, repeat and concurrency: the real binary is killed with SIGKILL in the middle of a run
//! over a generated company, and two runs (or a run and a session holding the database) compete.
//! Whatever happens, the database passes SQLite's integrity check, the trial balance is zero, the
//! books hold all or none of a run, and nothing is ever reimbursed twice.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reimburse::generate::{GenerateOptions, generate};
use reimburse::ledger::Ledger;
use reimburse::parameters::Company;
use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_reimburse");

/// A generated company in a temporary folder, with a pristine copy of its database.
struct Books {
    _dir: tempfile::TempDir,
    yaml: PathBuf,
    db: PathBuf,
    pristine: PathBuf,
}

fn books(customers: u64) -> Books {
    let dir = tempfile::tempdir().unwrap();
    generate(&GenerateOptions {
        customers,
        seed: 42,
        dir: dir.path().to_path_buf(),
        force: false,
        csv: false,
    })
    .unwrap();
    let db = dir.path().join("company.db");
    let pristine = dir.path().join("pristine.db");
    std::fs::copy(&db, &pristine).unwrap();
    Books {
        yaml: dir.path().join("company.yaml"),
        db,
        pristine,
        _dir: dir,
    }
}

impl Books {
    fn reset(&self) {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db.display()));
        }
        std::fs::copy(&self.pristine, &self.db).unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--company").arg(&self.yaml).args(args);
        c
    }

    fn run(&self) -> std::process::Output {
        self.command(&["run", "--date", "2026-11-30", "--json"])
            .output()
            .unwrap()
    }

    /// Integrity, trial balance and the reimbursements per run: (count, totals) of each run.
    fn check(&self) -> State {
        let conn = Connection::open(&self.db).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        drop(conn);
        let ledger = Ledger::open(&Company::load(&self.yaml).unwrap()).unwrap();
        for (currency, total) in ledger.trial_balance_totals().unwrap() {
            assert!(total.is_zero(), "trial balance {total} {currency}");
        }
        drop(ledger);
        let conn = Connection::open(&self.db).unwrap();
        // Every run in the books is complete: its recorded count equals its reimbursements.
        let mut stmt = conn
            .prepare(
                "SELECT r.id, r.reimbursed, r.finished_at IS NOT NULL,
                        (SELECT count(*) FROM reimbursements WHERE run_id = r.id)
                 FROM runs r WHERE kind = 'reimbursement'",
            )
            .unwrap();
        let runs: Vec<(i64, i64, bool, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, recorded, finished, actual) in &runs {
            assert!(finished, "run {id} is in the books but not finished");
            assert_eq!(
                recorded, actual,
                "run {id} recorded {recorded} reimbursements, holds {actual}"
            );
        }
        // Nothing reimbursed twice: one reimbursement per customer and currency at most.
        let twice: i64 = conn
            .query_row(
                "SELECT count(*) FROM (SELECT customer, currency FROM reimbursements
                 GROUP BY customer, currency HAVING count(*) > 1)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(twice, 0, "a customer was reimbursed twice in one currency");
        let mut totals = BTreeMap::new();
        let mut stmt = conn
            .prepare("SELECT currency, count(*), SUM(amount_minor) FROM reimbursements GROUP BY currency")
            .unwrap();
        for row in stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .unwrap()
        {
            let (c, n, sum) = row.unwrap();
            totals.insert(c, (n, sum));
        }
        State {
            runs: runs.len(),
            totals,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct State {
    runs: usize,
    totals: BTreeMap<String, (i64, i64)>,
}

#[test]
fn killed_runs_leave_all_or_nothing_and_a_rerun_completes_the_work() {
    let b = books(8000);
    // The uninterrupted run, for reference.
    let start = Instant::now();
    let out = b.run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut full = start.elapsed();
    let reference = b.check();
    assert_eq!(reference.runs, 1);
    // The machine may be loaded (CI, other builds): the kills are timed from the faster of two
    // uninterrupted runs, so that most of them land while a run is still going.
    b.reset();
    let start = Instant::now();
    assert!(b.run().status.success());
    full = full.min(start.elapsed());
    assert_eq!(b.check(), reference);
    assert!(reference.totals.values().map(|(n, _)| n).sum::<i64>() > 3000);

    let mut killed = 0;
    let mut completed_before_kill = 0;
    for tenth in 1..=9u32 {
        b.reset();
        let mut child = b
            .command(&["run", "--date", "2026-11-30"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * tenth / 10);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        } else {
            completed_before_kill += 1;
        }
        child.wait().unwrap();
        let after_kill = b.check();
        assert!(
            after_kill.runs == 0 || after_kill == reference,
            "after a kill at {tenth}/10 the books hold part of a run: {after_kill:?}"
        );
        // A new run completes exactly what was left to do.
        let out = b.run();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let after = b.check();
        assert_eq!(after.totals, reference.totals, "after a kill at {tenth}/10");
    }
    assert!(
        killed >= 3,
        "only {killed} runs were killed mid-way ({completed_before_kill} finished first)"
    );
}

#[test]
fn the_same_run_twice_reimburses_nothing_the_second_time() {
    let b = books(500);
    assert!(b.run().status.success());
    let first = b.check();
    let out = b.run();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["reimbursements"].as_array().unwrap().len(), 0);
    let second = b.check();
    assert_eq!(second.totals, first.totals);
    assert_eq!(second.runs, 2);
}

#[test]
fn two_runs_at_once_never_reimburse_twice() {
    let b = books(4000);
    let out = b.run();
    assert!(out.status.success());
    let reference = b.check();
    b.reset();
    let spawn = || {
        b.command(&["run", "--date", "2026-11-30", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let mut made = 0;
    for out in &outputs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if out.status.success() {
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            made += report["reimbursements"].as_array().unwrap().len() as i64;
        } else {
            assert!(
                stderr.contains("database busy"),
                "unexpected failure: {stderr}"
            );
        }
    }
    let state = b.check();
    assert_eq!(state.totals, reference.totals);
    assert_eq!(made, reference.totals.values().map(|(n, _)| n).sum::<i64>());
}

#[test]
fn a_run_beside_a_session_holding_the_database_stops_with_a_clear_message() {
    let b = books(50);
    // Another session (like a REPL with uncommitted work) holds the write lock.
    let holder = Connection::open(&b.db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let start = Instant::now();
    let out = b.run();
    let waited = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("database busy: another run or session is writing to it"),
        "{stderr}"
    );
    assert!(waited < Duration::from_secs(20), "waited {waited:?}");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(b.check().runs, 0);
    assert!(
        b.run().status.success(),
        "runs once the other session is gone"
    );
}
