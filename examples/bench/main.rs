//! The performance benchmark:
//! `cargo build --release && cargo run --release --features bench-internals --example bench -- [--sizes 10000,100000,1000000] [--rounds 3]`
//! (the binary first: the startup figure times `target/release/reimburse`).
//!
//! For each size N it generates a synthetic company (`reimburse generate`, same seed each time),
//! runs the command `reimburse run --dry-run --json` on it in a process of its own (when the
//! release binary is built), for a peak RSS that is the run's alone, then times in this one
//! process:
//! - the reimbursement run with the default rules: a dry run, then the real (committed) run;
//! - a hand-written baseline on a copy of the same database: plain Rust over the same ledger
//!   primitives, with the default rules' eligibility and vendor logic hard-coded (no scripting),
//!   doing the same reads and writes;
//!
//!   the committed run and the baseline are timed `--rounds` times (default 3), each on a fresh
//!   copy of the generated database and in alternating order, and their medians are compared;
//! - `pay` over all the invoices the last run made;
//! - the write floor: the baseline's rows written again into a copy of the database as it was
//!   before, by plain prepared statements with nothing read, checked or decided (what no engine
//!   can beat in this schema; the time above it is reads, checks and rules).
//! - the import: the generated company's CSV files (`generate --csv`) imported into an empty
//!   database with the same parameters (`reimburse import`), checked to give the same balances;
//!   its cost per database row written is compared with the write floor's (target: at most 1.3x).
//!
//! It prints customers per second, microseconds per customer (to see that cost grows linearly),
//! the engine/baseline ratio and the peak resident memory of each phase (Linux: VmHWM, reset
//! between phases through /proc/self/clear_refs). It also checks that engine and baseline made the
//! same reimbursements and skips (counts and totals per currency). It ends with the targets of
//! issue 22, each with its figures and whether it is met: engine/baseline <= 1.15x at each size,
//! write floor new/old <= 0.6 (at 1,000,000), committed run/floor <= 1.4x, import/floor per row
//! <= 1.3x, command peak RSS <= 150 MB, cost linear in N, CLI start <= 30 ms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use rusqlite::params;
use rusqlite::types::Value;
use rust_decimal::Decimal;
use std::time::Duration;

use reimburse::generate::{GenerateOptions, generate};
use reimburse::ledger::{
    CustomerPage, Ledger, LineDraft, NewVendor, RunId, Side, Target, Vendor, VoucherDraft,
};
use reimburse::parameters::{Company, OpenDebits};
use reimburse::process::{self, ReimbursementFilter, RunObserver, RunOptions, Selection};
use reimburse::scripting::{Echo, Session};

mod baseline;
mod floor;
mod import;
mod targets;

use baseline::baseline_run;
use floor::*;
use import::*;
use targets::targets;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The allocator the `reimburse` binary installs (it holds scripts to `limits.max_memory_mb`), so
/// that the figures include its cost.
#[global_allocator]
static MEMORY: reimburse::scripting::ScriptMemory = reimburse::scripting::ScriptMemory;

fn main() -> Res<()> {
    let mut sizes = vec![10_000u64, 100_000, 1_000_000];
    let mut dir = std::env::temp_dir().join("reimburse-bench");
    let mut seed = 1u64;
    let mut rounds = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sizes" => {
                sizes = args
                    .next()
                    .ok_or("--sizes needs a list")?
                    .split(',')
                    .map(|s| s.trim().replace('_', "").parse())
                    .collect::<Result<_, _>>()?
            }
            "--dir" => dir = PathBuf::from(args.next().ok_or("--dir needs a folder")?),
            "--seed" => seed = args.next().ok_or("--seed needs a number")?.parse()?,
            "--rounds" => {
                rounds = args.next().ok_or("--rounds needs a number")?.parse()?;
                if rounds == 0 {
                    return Err("--rounds must be at least 1".into());
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other}; use --sizes, --dir, --seed, --rounds"
                )
                .into());
            }
        }
    }
    println!(
        "reimburse benchmark ({} cores, {}), seed {seed}, {rounds} rounds of run and baseline",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) {
            "DEBUG build: use --release"
        } else {
            "release build"
        }
    );
    let date = NaiveDate::from_ymd_opt(2026, 11, 30).ok_or("date")?;
    let start_ms = startup(&dir, date)?;
    let mut rows = Vec::new();
    for n in sizes {
        rows.push(bench_size(n, seed, &dir, date, rounds)?);
    }
    let targets = targets(&rows, start_ms);
    println!("\nsummary");
    println!(
        "{:>10} {:>9} {:>12} {:>9} {:>13} {:>13} {:>12} {:>7} {:>12} {:>10} {:>8} {:>8} {:>10} {:>20}",
        "customers",
        "run (s)",
        "baseline (s)",
        "floor (s)",
        "old floor (s)",
        "floor new/old",
        "µs/customer",
        "ratio",
        "command RSS",
        "run RSS",
        "pay (s)",
        "pay RSS",
        "import (s)",
        "import/floor per row"
    );
    for r in rows {
        println!(
            "{:>10} {:>9.2} {:>12.2} {:>9.2} {:>13.2} {:>13.2} {:>12.2} {:>6.2}x {:>9} MB {:>7} MB {:>8.2} {:>5} MB {:>10.2} {:>19.2}x",
            r.n,
            r.run,
            r.baseline,
            r.floor,
            r.old_floor,
            r.floor / r.old_floor,
            r.run * 1e6 / r.n as f64,
            r.run / r.baseline,
            r.command_rss_mb
                .map_or_else(|| "-".to_string(), |m| m.to_string()),
            r.run_rss_mb,
            r.pay,
            r.pay_rss_mb,
            r.import,
            r.import_ratio
        );
    }
    println!("\ntargets (issue 22: ratios measured in this sitting)");
    for line in targets {
        println!("  {line}");
    }
    Ok(())
}

/// Starting on the demo company: loading the parameters, opening the database, compiling the rules
/// and a dry run of its 20 customers, in this process (median of 20); and, when the release binary
/// has been built beside this example, the whole command `reimburse run --dry-run` (median of 20),
/// which it returns (in ms).
fn startup(base: &Path, date: NaiveDate) -> Res<Option<f64>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = base.join("contoso");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let yaml = std::fs::read_to_string(root.join("examples/contoso/company.yaml"))?;
    let yaml: String = yaml
        .lines()
        .map(|l| {
            if l.starts_with("database:") {
                "database: contoso.db".to_string()
            } else if l.starts_with("rules:") {
                format!("rules: {}", root.join("rules/reimburse.rhai").display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let company_file = dir.join("company.yaml");
    std::fs::write(&company_file, yaml + "\n")?;
    let company = Company::load(&company_file)?;
    let ledger_file = root.join("examples/contoso/ledger.yaml");
    let fixture = reimburse::fixtures::read_fixture(&ledger_file)?;
    reimburse::fixtures::init_company(&company, Some((&ledger_file, &fixture)), true)?;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut in_process = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let company = Company::load(&company_file)?;
        let session = Session::new(Ledger::open(&company)?, date, Echo::Collect);
        let report = process::run(
            &session,
            &RunOptions {
                selection: Selection::All,
                date,
                rules: company.rules_path.clone(),
                dry_run: true,
                keep_going: false,
                user: "bench".into(),
            },
        )?;
        in_process.push(start.elapsed().as_secs_f64() * 1e3);
        if report.reimbursed_count == 0 {
            return Err("the demo company's dry run reimbursed nothing".into());
        }
    }
    println!(
        "\nstartup on the demo company: parameters + database + rules compiled + dry run {:.1} ms (in process)",
        median(in_process)
    );
    Ok(match cli_binary() {
        Some(binary) => {
            let mut times = Vec::new();
            for _ in 0..20 {
                let start = Instant::now();
                let out = std::process::Command::new(&binary)
                    .arg("--company")
                    .arg(&company_file)
                    .args(["run", "--dry-run", "--date", &date.to_string()])
                    .output()?;
                times.push(start.elapsed().as_secs_f64() * 1e3);
                if !out.status.success() {
                    return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
                }
            }
            let ms = median(times);
            println!(
                "  the command `reimburse run --dry-run`: {ms:.1} ms ({})",
                binary.display()
            );
            Some(ms)
        }
        None => {
            println!(
                "  (build the binary too, `cargo build --release`, to time the whole command)"
            );
            None
        }
    })
}

/// The `reimburse` binary beside this example (target/release/reimburse), when it has been built.
fn cli_binary() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(|release| release.join("reimburse"))
        .filter(|b| b.exists())
}

/// Runs the `reimburse` binary with `args` (output discarded, errors kept in `errors`) and
/// returns its wall time and peak RSS in MB: its VmHWM, read from /proc every 10 ms while it runs
/// (the last reading before it exits).
fn command_peak(binary: &Path, args: &[&std::ffi::OsStr], errors: &Path) -> Res<(f64, u64)> {
    let start = Instant::now();
    let mut child = std::process::Command::new(binary)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(errors)?)
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "{} failed: {}",
            binary.display(),
            std::fs::read_to_string(errors).unwrap_or_default()
        )
        .into());
    }
    Ok((secs, peak_kb / 1024))
}

struct SizeResult {
    n: u64,
    run: f64,
    baseline: f64,
    run_rss_mb: u64,
    pay: f64,
    pay_rss_mb: u64,
    command_rss_mb: Option<u64>,
    floor: f64,
    /// The write floor of schema 6 (the old schema), for the ratio new/old.
    old_floor: f64,
    import: f64,
    import_ratio: f64,
}

/// Peak resident memory since the last reset, in MB (0 where /proc is not available).
fn peak_rss_mb() -> u64 {
    proc_status_mb("VmHWM:")
}

/// Resident memory now, in MB.
fn rss_mb() -> u64 {
    proc_status_mb("VmRSS:")
}

fn proc_status_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb / 1024)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Counts rows and sums totals without keeping them (flat memory).
#[derive(Default)]
struct Count {
    reimbursed: u64,
    skipped: u64,
    totals: BTreeMap<String, Decimal>,
}

impl RunObserver for Count {
    fn reimbursement(&mut self, row: &process::Reimbursement) {
        self.reimbursed += 1;
        *self.totals.entry(row.currency.clone()).or_default() += row.amount;
    }
    fn skipped(&mut self, _row: &process::Skipped) {
        self.skipped += 1;
    }
}

/// Times one phase. Its peak RSS is the whole process's, so it includes what earlier phases left
/// resident (their open databases' page caches, memory the allocator keeps): the RSS the phase
/// started from is printed beside it.
fn phase<T>(name: &str, n: u64, f: impl FnOnce() -> Res<T>) -> Res<(T, f64, u64)> {
    reset_peak_rss();
    let before = rss_mb();
    let start = Instant::now();
    let value = f()?;
    let secs = start.elapsed().as_secs_f64();
    let rss = peak_rss_mb();
    println!(
        "  {name:<22} {secs:>8.2} s {:>12.0} customers/s {:>8.2} µs/customer   peak RSS {rss} MB (from {before} MB)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
    Ok((value, secs, rss))
}

/// Replaces a database (closed) with a copy of `from`, without its WAL files.
fn fresh_copy(from: &Path, to: &Path) -> Res<()> {
    for suffix in ["-wal", "-shm"] {
        let mut side = to.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::copy(from, to)?;
    Ok(())
}

/// The median of some timings (the mean of the middle two for an even count).
fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

fn bench_size(n: u64, seed: u64, base: &Path, date: NaiveDate, rounds: usize) -> Res<SizeResult> {
    println!("\n{n} customers");
    let engine_dir = base.join(format!("{n}-engine"));
    let baseline_dir = base.join(format!("{n}-baseline"));
    let start = Instant::now();
    let report = generate(&GenerateOptions {
        customers: n,
        seed,
        dir: engine_dir.clone(),
        force: true,
        csv: true,
    })?;
    println!(
        "  generated {} customers, {} vendors, {} transactions in {:.1} s",
        report.customers,
        report.vendors,
        report.transactions,
        start.elapsed().as_secs_f64()
    );
    // The baseline works on a copy of the same database, and so does the write floor.
    let _ = std::fs::remove_dir_all(&baseline_dir);
    std::fs::create_dir_all(baseline_dir.join("rules"))?;
    for file in ["company.yaml", "company.db", "rules/reimburse.rhai"] {
        std::fs::copy(engine_dir.join(file), baseline_dir.join(file))?;
    }
    let floor_db = base.join(format!("{n}-floor.db"));
    std::fs::copy(engine_dir.join("company.db"), &floor_db)?;
    let pristine = base.join(format!("{n}-pristine.db"));
    std::fs::copy(engine_dir.join("company.db"), &pristine)?;
    // The same company in schema 6, for the old write floor.
    let pristine_old = base.join(format!("{n}-pristine-schema6.db"));
    std::fs::copy(engine_dir.join("company.db"), &pristine_old)?;
    rusqlite::Connection::open(&pristine_old)?.execute_batch(DOWN_TO_SCHEMA_6)?;
    let company = Company::load(&engine_dir.join("company.yaml"))?;
    let options = |dry_run| RunOptions {
        selection: Selection::All,
        date,
        rules: company.rules_path.clone(),
        dry_run,
        keep_going: false,
        user: "bench".into(),
    };

    // The command a user runs, in a process of its own: its peak RSS is the run's alone (the
    // phases below share this process with everything before them).
    let command_rss_mb = match cli_binary() {
        Some(binary) => {
            let company_file = engine_dir.join("company.yaml");
            let date_text = date.to_string();
            let args: Vec<&std::ffi::OsStr> = vec![
                "--company".as_ref(),
                company_file.as_os_str(),
                "run".as_ref(),
                "--dry-run".as_ref(),
                "--json".as_ref(),
                "--date".as_ref(),
                date_text.as_ref(),
            ];
            let (secs, rss) = command_peak(&binary, &args, &base.join("command-errors.txt"))?;
            println!(
                "  command run --dry-run --json {secs:>6.2} s {:>12.0} customers/s {:>8.2} µs/customer   peak RSS {rss} MB (its own process)",
                n as f64 / secs,
                secs * 1e6 / n as f64
            );
            Some(rss)
        }
        None => None,
    };
    let engine_db = engine_dir.join("company.db");
    let baseline_db = baseline_dir.join("company.db");
    let (dry, _, _) = phase("engine dry run", n, || {
        let session = Session::new(Ledger::open(&company)?, date, Echo::Collect);
        let mut count = Count::default();
        process::run_observed(&session, &options(true), &mut count)?;
        Ok(count)
    })?;

    // Rounds of the committed run and the baseline, each on a fresh copy of the generated
    // database, in alternating order (engine first in odd rounds): the medians are reported.
    let baseline_company = Company::load(&baseline_dir.join("company.yaml"))?;
    let (mut run_times, mut base_times, mut run_rss) = (Vec::new(), Vec::new(), 0);
    for round in 1..=rounds {
        let of = if rounds > 1 {
            format!(" {round}/{rounds}")
        } else {
            String::new()
        };
        for engine_turn in [round % 2 == 1, round % 2 == 0] {
            if engine_turn {
                fresh_copy(&pristine, &engine_db)?;
                let session = Session::new(Ledger::open(&company)?, date, Echo::Collect);
                let (real, secs, rss) = phase(&format!("engine run{of}"), n, || {
                    let mut count = Count::default();
                    process::run_observed(&session, &options(false), &mut count)?;
                    Ok(count)
                })?;
                if dry.reimbursed != real.reimbursed || dry.totals != real.totals {
                    return Err("the dry run and the run differ".into());
                }
                run_times.push(secs);
                run_rss = run_rss.max(rss);
            } else {
                fresh_copy(&pristine, &baseline_db)?;
                let baseline_ledger = Ledger::open(&baseline_company)?;
                let (base, secs, _) = phase(&format!("baseline{of}"), n, || {
                    baseline_run(&baseline_ledger, date)
                })?;
                if base.reimbursed != dry.reimbursed
                    || base.totals != dry.totals
                    || base.skipped != dry.skipped
                {
                    return Err(format!(
                        "engine and baseline differ: {} vs {} reimbursements, {} vs {} skips, {:?} vs {:?}",
                        dry.reimbursed,
                        base.reimbursed,
                        dry.skipped,
                        base.skipped,
                        dry.totals,
                        base.totals
                    )
                    .into());
                }
                base_times.push(secs);
            }
        }
    }
    let (run_secs, base_secs) = (median(&run_times), median(&base_times));
    let ratios: Vec<String> = run_times
        .iter()
        .zip(&base_times)
        .map(|(r, b)| format!("{:.2}x", r / b))
        .collect();
    println!(
        "  engine/baseline        {:>8.2}x  (medians {run_secs:.2} s and {base_secs:.2} s; by round {}; {} reimbursements, totals {})",
        run_secs / base_secs,
        ratios.join(" "),
        dry.reimbursed,
        dry.totals
            .iter()
            .map(|(c, t)| format!("{t} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Pay works on the database of the last engine run.
    let session = Session::new(Ledger::open(&company)?, date, Echo::Collect);
    let ledger = session.ledger();
    let (paid, pay_secs, pay_rss) = phase("pay (all invoices)", n, || {
        let mut paid = 0u64;
        let options = process::PayOptions::new(ReimbursementFilter::default(), date, "bench");
        process::pay_observed(ledger, &options, &mut |_| paid += 1)?;
        Ok(paid)
    })?;
    println!("  paid {paid} invoices");
    // The write floor and the import, `rounds` times in turns (each floor on a fresh copy of the
    // generated database, each import into a new empty one): their medians are compared.
    let (mut floor_times, mut import_times, mut import) = (Vec::new(), Vec::new(), None);
    let (mut own_floor_times, mut old_floor_times) = (Vec::new(), Vec::new());
    let mut floor_rows = 0;
    for round in 0..rounds {
        // The new and the old floor in alternating order.
        for old in [round % 2 == 1, round % 2 == 0] {
            let (from, schema) = if old {
                (&pristine_old, Schema::Old)
            } else {
                (&pristine, Schema::New)
            };
            fresh_copy(from, &floor_db)?;
            let after = baseline_dir.join("company.db");
            let (secs, rows) = write_floor(&floor_db, &after, schema, Numbers::RunBlocks(n))?;
            if old {
                old_floor_times.push(secs);
            } else {
                floor_times.push(secs);
                floor_rows = rows;
            }
        }
        let imported = import_phase(
            n,
            (&company, &pristine),
            &engine_dir,
            &base.join(format!("{n}-import.db")),
            date,
        )?;
        import_times.push(imported.secs);
        own_floor_times.push(imported.own_floor);
        import = Some(imported);
    }
    let import = import.ok_or("no round")?;
    let (floor_secs, import_secs) = (median(&floor_times), median(&import_times));
    let old_floor_secs = median(&old_floor_times);
    println!(
        "  write floor            {floor_secs:>8.2} s  (median; the baseline's {floor_rows} rows written again, nothing read or decided; run/floor {:.2}x, baseline/floor {:.2}x; {:.2} µs/row)",
        run_secs / floor_secs,
        base_secs / floor_secs,
        floor_secs * 1e6 / floor_rows as f64
    );
    println!(
        "  old write floor        {old_floor_secs:>8.2} s  (median; the same reimbursements written into schema 6 as its ledger wrote them; write floor new/old {:.2}, target at 1,000,000 customers: at most 0.6)",
        floor_secs / old_floor_secs
    );
    let per_row_ratio = (import_secs / import.db_rows as f64) / (floor_secs / floor_rows as f64);
    println!(
        "  import from CSV        {import_secs:>8.2} s  (median; {} CSV rows, {} database rows written: {:.2} µs/row; per row {per_row_ratio:.2}x the write floor's; peak RSS {} MB)",
        import.csv_rows,
        import.db_rows,
        import_secs * 1e6 / import.db_rows as f64,
        import.rss_mb
    );
    let own_floor = median(&own_floor_times);
    println!(
        "  import's own floor     {own_floor:>8.2} s  (median; the import's rows written again into an empty database: import/own floor {:.2}x)",
        import_secs / own_floor
    );
    let _ = std::fs::remove_file(&floor_db);
    let _ = std::fs::remove_file(&pristine);
    let _ = std::fs::remove_file(&pristine_old);
    Ok(SizeResult {
        n,
        run: run_secs,
        baseline: base_secs,
        run_rss_mb: run_rss,
        pay: pay_secs,
        pay_rss_mb: pay_rss,
        command_rss_mb,
        floor: floor_secs,
        old_floor: old_floor_secs,
        import: import_secs,
        import_ratio: per_row_ratio,
    })
}
