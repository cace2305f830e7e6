//! `reimburse generate`: a synthetic company for benchmarks and load tests.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::Path;

use super::plural;
use crate::Error;

/// `generate`: writes a company of `customers` customers made from `seed` into `dir`.
pub(super) fn generate(
    customers: u64,
    seed: u64,
    dir: &Path,
    force: bool,
    csv: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let report = crate::generate::generate(&crate::generate::GenerateOptions {
        customers,
        seed,
        dir: dir.to_path_buf(),
        force,
        csv,
    })?;
    writeln!(
        out,
        "generated {} with {}, {}, {}",
        report.company_file.display(),
        plural(report.customers as usize, "customer"),
        plural(report.vendors as usize, "vendor"),
        plural(report.transactions as usize, "transaction")
    )?;
    Ok(())
}
