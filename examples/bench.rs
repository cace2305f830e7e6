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

/// The targets, each with the figures measured and whether they are met.
fn targets(rows: &[SizeResult], start_ms: Option<f64>) -> Vec<String> {
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let per_size = |f: &dyn Fn(&SizeResult) -> f64, limit: f64, unit: &str| -> String {
        rows.iter()
            .map(|r| {
                let v = f(r);
                format!("{}: {v:.2}{unit} {}", thousands(r.n), verdict(v <= limit))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut lines = vec![
        format!(
            "engine/baseline <= 1.15x       {}",
            per_size(&|r| r.run / r.baseline, 1.15, "x")
        ),
        format!(
            "write floor new/old <= 0.6     {} (the target is at 1,000,000)",
            per_size(&|r| r.floor / r.old_floor, 0.6, "")
        ),
        format!(
            "committed run/floor <= 1.4x    {}",
            per_size(&|r| r.run / r.floor, 1.4, "x")
        ),
        format!(
            "import/floor per row <= 1.3x   {}",
            per_size(&|r| r.import_ratio, 1.3, "x")
        ),
        format!(
            "command peak RSS <= 150 MB     {}",
            rows.iter()
                .map(|r| match r.command_rss_mb {
                    Some(mb) => format!("{}: {mb} MB {}", thousands(r.n), verdict(mb <= 150)),
                    None => format!("{}: - (build the release binary)", thousands(r.n)),
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
    ];
    if let (Some(small), Some(large)) = (rows.first(), rows.last())
        && large.n > small.n
    {
        let per = |r: &SizeResult| r.run / r.n as f64;
        let growth = per(large) / per(small);
        lines.push(format!(
            "cost linear in N               µs/customer at {} over at {}: {growth:.2}x {} (linear: at most 1.25x)",
            thousands(large.n),
            thousands(small.n),
            verdict(growth <= 1.25)
        ));
    }
    lines.push(match start_ms {
        Some(ms) => format!(
            "CLI start <= 30 ms             {ms:.1} ms {}",
            verdict(ms <= 30.0)
        ),
        None => "CLI start <= 30 ms             - (build the release binary)".into(),
    });
    lines
}

/// `n` with thousands separators.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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

/// The tables runs and imports add rows to, parents before children (as they write them): what
/// the write floors write again and the import's rows are counted in.
const WRITTEN_TABLES: [&str; 11] = [
    "runs",
    "customers",
    "vendors",
    "vouchers",
    "voucher_lines",
    "customer_transactions",
    "vendor_transactions",
    "customer_settlements",
    "vendor_settlements",
    "reimbursements",
    "master_data_changes",
];

/// What importing the generated company's CSV files into an empty database cost.
struct ImportResult {
    secs: f64,
    csv_rows: u64,
    db_rows: u64,
    rss_mb: u64,
    /// The import's own rows written again into an empty database, nothing read or decided.
    own_floor: f64,
}

/// Imports the generated company's CSV files (`generate --csv`) into a new, empty database with
/// the same parameters, timed; checks that the import's balances are the generated company's.
fn import_phase(
    n: u64,
    (company, generated_db): (&Company, &Path),
    dir: &Path,
    db: &Path,
    date: NaiveDate,
) -> Res<ImportResult> {
    use reimburse::import::{ImportFiles, ImportOptions};
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let ledger = Ledger::new(reimburse::store::Store::create(db)?, company.params.clone())?;
    let options = ImportOptions {
        files: ImportFiles {
            customers: Some(dir.join("customers.csv")),
            vendors: Some(dir.join("vendors.csv")),
            transactions: Some(dir.join("transactions.csv")),
        },
        dry_run: false,
        user: "bench".into(),
        date,
    };
    let (report, secs, rss_mb) = phase("import (CSV)", n, || {
        Ok(reimburse::import::import(&ledger, &options, &mut |_| {})?)
    })?;
    let csv_rows = [report.customers, report.vendors, report.transactions]
        .iter()
        .map(|c| c.new)
        .sum();
    let mut db_rows = 0u64;
    for table in WRITTEN_TABLES {
        let count: i64 = ledger.store().conn_for_benchmarks().query_row(
            &format!("SELECT count(*) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        db_rows += count as u64;
    }
    let generated = Ledger::new(
        reimburse::store::Store::open(generated_db)?,
        company.params.clone(),
    )?;
    if generated.all_balances(Side::Customer)? != ledger.all_balances(Side::Customer)? {
        return Err("the imported company's balances differ from the generated one's".into());
    }
    drop(ledger);
    // The import's own floor: its rows written again into a new empty database.
    let empty = db.with_extension("floor.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", empty.display()));
    }
    drop(Ledger::new(
        reimburse::store::Store::create(&empty)?,
        company.params.clone(),
    )?);
    let (own_floor, _) = write_floor(&empty, db, Schema::New, Numbers::Block(1024))?;
    for file in [db, empty.as_path()] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    Ok(ImportResult {
        secs,
        csv_rows,
        db_rows,
        rss_mb,
        own_floor,
    })
}

/// Which schema a write floor writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    /// Schema 7, as the ledger writes it now: the rows as the run left them.
    New,
    /// Schema 6, as its ledger wrote them: a voucher line for each customer and vendor
    /// transaction too (in line order), no `line` columns, into a copy with schema 6's indexes.
    Old,
}

/// How a write floor writes the numbers taken.
#[derive(Debug, Clone, Copy)]
enum Numbers {
    /// As a run takes them: schema 7 writes each sequence twice per block of 128 customers (a
    /// block reserved, the true next written back at the block's boundary) over these many
    /// customers; schema 6 wrote once a number.
    RunBlocks(u64),
    /// One write per block of this many numbers (the import).
    Block(i64),
}

/// Schema 7 taken back to schema 6, as the tests of migrations do.
const DOWN_TO_SCHEMA_6: &str = include_str!("../tests/schema/down_to_6.sql");

/// The write floor: the rows the committed run wrote (at `after`), written again into a copy of
/// the database as it was before the run (`before`, in `schema`), with the store's own settings
/// and in one transaction, as the ledger writes them: one prepared INSERT per new row (table by
/// table, new transactions fully open), two UPDATEs of open amounts before each settlement row,
/// one UPDATE per customer link and per number write (`numbers`). Nothing is read, checked or
/// decided while the clock runs (rows are read ahead in chunks, untimed), so no engine writes
/// these rows into this schema faster: the time above the floor is reads, checks and rules.
/// Returns the seconds spent writing, commit included, and the rows written.
fn write_floor(before: &Path, after: &Path, schema: Schema, numbers: Numbers) -> Res<(f64, u64)> {
    let store = reimburse::store::Store::open(before)?;
    let conn = store.conn_for_benchmarks();
    conn.execute("ATTACH ?1 AS run", [after.to_string_lossy()])?;
    // Rows that existed before the run and changed outside settlements, found before writing.
    let changed = |sql: &str| -> Res<Vec<(Value, Value)>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let links = changed(
        "SELECT r.account, r.vendor_account FROM run.customers r
         JOIN main.customers m ON m.account = r.account
         WHERE r.vendor_account IS NOT m.vendor_account",
    )?;
    let numbers_taken = changed(
        "SELECT r.name, r.next - m.next FROM run.number_sequences r
         JOIN main.number_sequences m ON m.name = r.name WHERE r.next <> m.next",
    )?;
    let first_new_voucher: i64 =
        conn.query_row("SELECT IFNULL(MAX(id), 0) FROM main.vouchers", [], |r| {
            r.get(0)
        })?;
    let mut floor = Floor {
        conn,
        spent: Duration::ZERO,
        written: links.len() as u64,
    };
    floor.timed(&mut |c| c.execute_batch("BEGIN IMMEDIATE"))?;
    for table in WRITTEN_TABLES {
        let read = if schema == Schema::Old && table == "voucher_lines" {
            // Schema 6 kept every line of the general ledger here, in line order.
            format!(
                "SELECT voucher_id, account, currency, amount_minor, customer, vendor
                 FROM run.gl_lines WHERE voucher_id > {first_new_voucher}
                 ORDER BY voucher_id, line"
            )
        } else {
            let columns = floor.common_columns(table)?.join(", ");
            format!(
                "SELECT {columns} FROM run.{table}
                 WHERE rowid > (SELECT IFNULL(MAX(rowid), 0) FROM main.{table}) ORDER BY rowid"
            )
        };
        floor.copy_rows(table, &read)?;
    }
    let writes: Vec<(Value, i64)> = numbers_taken
        .into_iter()
        .filter_map(|(name, taken)| match taken {
            Value::Integer(taken) => Some((name, number_writes(schema, numbers, taken))),
            _ => None,
        })
        .collect();
    floor.written += writes.iter().map(|(_, w)| *w as u64).sum::<u64>();
    floor.timed(&mut |c| {
        let mut link = c.prepare("UPDATE customers SET vendor_account = ?2 WHERE account = ?1")?;
        for (account, vendor) in &links {
            link.execute(params![account, vendor])?;
        }
        let mut take = c.prepare("UPDATE number_sequences SET next = next + 1 WHERE name = ?1")?;
        for (name, writes) in &writes {
            for _ in 0..*writes {
                take.execute([name])?;
            }
        }
        c.execute_batch("COMMIT")
    })?;
    Ok((floor.spent.as_secs_f64(), floor.written))
}

/// How many writes `taken` numbers of a sequence cost in `schema`.
fn number_writes(schema: Schema, numbers: Numbers, taken: i64) -> i64 {
    match (schema, numbers) {
        (Schema::Old, Numbers::RunBlocks(_)) => taken,
        (Schema::New, Numbers::RunBlocks(customers)) => {
            (2 * (customers as i64 + 127) / 128).min(2 * taken)
        }
        (_, Numbers::Block(block)) => (taken + block - 1) / block,
    }
}

/// A write floor in progress: the connection, the time spent writing, the rows written.
struct Floor<'c> {
    conn: &'c rusqlite::Connection,
    spent: Duration,
    written: u64,
}

impl Floor<'_> {
    /// Runs `f`, adding its time to the floor's.
    fn timed(
        &mut self,
        f: &mut dyn FnMut(&rusqlite::Connection) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let start = Instant::now();
        let result = f(self.conn);
        self.spent += start.elapsed();
        result
    }

    /// The columns of `table` in both databases (schema 6 lacks schema 7's `line`).
    fn common_columns(&self, table: &str) -> Res<Vec<String>> {
        let names = |schema: &str| -> Res<Vec<String>> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}', '{schema}')"
            ))?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let main = names("main")?;
        Ok(names("run")?
            .into_iter()
            .filter(|c| main.contains(c))
            .collect())
    }

    /// Writes the rows `read` finds (untimed, in chunks) into `table`, timed.
    fn copy_rows(&mut self, table: &str, read: &str) -> Res<()> {
        let mut read = self.conn.prepare(read)?;
        let names: Vec<String> = read.column_names().map(|c| c.to_string()).collect();
        let at = |name: &str| names.iter().position(|c| c == name);
        let insert = format!(
            "INSERT INTO main.{table}({}) VALUES ({})",
            names.join(", "),
            (1..=names.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        // A settlement moves both open amounts first (the ledger's `apply_settlement`).
        let settles = table.strip_suffix("_settlements").map(|side| {
            format!("UPDATE {side}_transactions SET open_minor = open_minor + ?2 WHERE id = ?1")
        });
        let mut rows = read.query([])?;
        loop {
            let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(4096);
            while chunk.len() < 4096 {
                let Some(r) = rows.next()? else { break };
                let mut row: Vec<Value> = (0..names.len())
                    .map(|i| r.get(i))
                    .collect::<Result<_, _>>()?;
                // New transactions are posted fully open; their settlements follow.
                if let (Some(open), Some(amount)) = (at("open_minor"), at("amount_minor")) {
                    row[open] = row[amount].clone();
                }
                chunk.push(row);
            }
            if chunk.is_empty() {
                return Ok(());
            }
            self.written += chunk.len() as u64;
            let settle = (
                settles.as_deref(),
                at("debit_id"),
                at("credit_id"),
                at("amount_minor"),
            );
            self.timed(&mut |c| {
                let mut stmt = c.prepare_cached(&insert)?;
                for row in &chunk {
                    if let (Some(update), Some(d), Some(cr), Some(a)) = settle
                        && let Value::Integer(minor) = row[a]
                    {
                        let mut update = c.prepare_cached(update)?;
                        update.execute(params![row[d], -minor])?;
                        update.execute(params![row[cr], minor])?;
                    }
                    stmt.execute(rusqlite::params_from_iter(row))?;
                }
                Ok(())
            })?;
        }
    }
}

/// The default rules, hard-coded in Rust over the same ledger primitives and the same SQL.
fn baseline_run(ledger: &Ledger, date: NaiveDate) -> Res<Count> {
    let params = ledger.params().clone();
    let store = ledger.store();
    let conn = store.conn_for_benchmarks();
    store.begin()?;
    let run_id: i64 = conn.query_row(
        "INSERT INTO runs(kind, started_at, user_name, posting_date, selection, parameters_hash)
         VALUES ('baseline', datetime('now'), 'bench', ?1, 'all customers', '') RETURNING id",
        [date.to_string()],
        |r| r.get(0),
    )?;
    ledger.set_run(Some(RunId(run_id)));
    let mut count = Count::default();
    // The same reads as the engine: pages of customers and their balances, read ahead on a
    // second connection.
    let pages = ledger
        .read_ahead_customers(None, 1000)
        .ok_or("no read-ahead connection")?;
    for page in pages {
        let (
            CustomerPage {
                customers: page,
                mut balances,
            },
            (),
        ) = page?;
        for customer in &page {
            let mut one_time: Option<Vendor> = None;
            let credits = balances.remove(&customer.account).unwrap_or_default();
            // Under `skip`, an open debit in any currency leaves the customer alone.
            let any_open_debit = credits.iter().any(|b| b.open_debit > Decimal::ZERO);
            for credit in credits {
                if credit.open_credit >= Decimal::ZERO {
                    continue;
                }
                // Each credit left alone is recorded with its reason, as the engine records it.
                let mut skip = |reason: &str| -> Res<()> {
                    let minor = ledger
                        .currency(&credit.currency)?
                        .to_minor(-credit.open_credit)?;
                    conn.prepare_cached(
                        "INSERT INTO run_outcomes(run_id, customer, currency, amount_minor, outcome, reason)
                         VALUES (?1, ?2, ?3, ?4, 'skipped', ?5)",
                    )?
                    .execute(params![run_id, customer.account, credit.currency, minor, reason])?;
                    count.skipped += 1;
                    Ok(())
                };
                if credit.latest_open.is_some_and(|d| d > date) {
                    skip("open transactions dated after the posting date")?;
                    continue;
                }
                if customer.payment_hold {
                    skip("payment hold")?;
                    continue;
                }
                if params.open_debits == OpenDebits::Skip && any_open_debit {
                    skip("open debits")?;
                    continue;
                }
                let amount = if params.open_debits == OpenDebits::Ignore {
                    -credit.open_credit
                } else {
                    -credit.balance
                };
                if amount <= Decimal::ZERO {
                    skip("no credit balance")?;
                    continue;
                }
                let converted = params
                    .to_accounting(amount, &credit.currency)
                    .map_err(|e| e.to_string())?;
                if converted < params.minimum_reimbursement {
                    skip("below minimum")?;
                    continue;
                }
                let (vendor, created) = match &customer.vendor_account {
                    Some(account) => match ledger.vendor(account)? {
                        Some(v) if !v.blocked => (v, false),
                        Some(_) => {
                            skip(&format!("vendor {account} is blocked"))?;
                            continue;
                        }
                        None => {
                            skip(&format!("vendor account {account} does not exist"))?;
                            continue;
                        }
                    },
                    None => match &one_time {
                        Some(v) => (v.clone(), true),
                        None => {
                            let v = ledger.create_vendor(&NewVendor {
                                name: customer.name.clone(),
                                address: customer.address.clone(),
                                currency: customer.currency.clone(),
                                one_time: true,
                                created_for: Some(customer.account.clone()),
                                tax_id: customer.tax_id.clone(),
                                ..Default::default()
                            })?;
                            if params.one_time_vendor.link_to_customer {
                                ledger.link_vendor(&customer.account, Some(&v.account))?;
                            }
                            one_time = Some(v.clone());
                            (v, true)
                        }
                    },
                };
                if params.open_debits == OpenDebits::Net && credit.open_debit > Decimal::ZERO {
                    ledger.settle_open_debits(
                        Side::Customer,
                        &customer.account,
                        &credit.currency,
                        date,
                    )?;
                }
                let invoice = ledger.next_number("vendor_invoice")?;
                let posted = ledger.post_voucher(&VoucherDraft {
                    sequence: "reimbursement".into(),
                    date,
                    description: format!("Reimbursement of {} {}", customer.account, customer.name),
                    lines: vec![
                        LineDraft {
                            target: Target::Customer(customer.account.clone()),
                            currency: credit.currency.clone(),
                            amount,
                            document: Some(invoice.clone()),
                            kind: Some("reimbursement".into()),
                        },
                        LineDraft {
                            target: Target::Vendor(vendor.account.clone()),
                            currency: credit.currency.clone(),
                            amount: -amount,
                            document: Some(invoice.clone()),
                            kind: Some("invoice".into()),
                        },
                    ],
                })?;
                let (customer_txn, vendor_txn) = (
                    posted.customer_transactions[0],
                    posted.vendor_transactions[0],
                );
                if ledger.settle_against_open(customer_txn, date)? != amount {
                    return Err("baseline over-reimbursed".into());
                }
                let minor = ledger.currency(&credit.currency)?.to_minor(amount)?;
                conn.prepare_cached(
                    "INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                         amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open')",
                )?
                .execute(params![run_id, customer.account, vendor.account, created, credit.currency, minor, date.to_string(), posted.id, invoice, customer_txn, vendor_txn])?;
                count.reimbursed += 1;
                *count.totals.entry(credit.currency.clone()).or_default() += amount;
            }
        }
        ledger.take_journal();
    }
    conn.execute(
        "UPDATE runs SET finished_at = datetime('now'), reimbursed = ?2 WHERE id = ?1",
        params![run_id, count.reimbursed as i64],
    )?;
    store.commit()?;
    ledger.set_run(None);
    Ok(count)
}
