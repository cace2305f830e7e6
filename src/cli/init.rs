//! `reimburse init`: create the company database, empty or loaded from a fixture ledger, and
//! say what was created.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::Path;

use super::committed::{self, Committed};
use super::plural;
use crate::Error;
use crate::fixtures::{self, Fixture};
use crate::parameters::Company;

pub(super) fn init(
    company: &Company,
    fixture: Option<&Path>,
    force: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let data: Option<Fixture> = match fixture {
        Some(f) => Some(fixtures::read_fixture(f)?),
        None => None,
    };
    let report = fixtures::init_company(company, fixture.zip(data.as_ref()), force)?;
    if !report.stale.is_empty() {
        let names: Vec<String> = report
            .stale
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "note: removed what an init that was killed left behind: {}",
            names.join(", ")
        );
    }
    let committed = Some(Committed::Init(report.database.clone()));
    let printed = print_init(company, fixture.is_some(), &report, out);
    committed::reported(committed, out, printed)
}

/// What `init` created and loaded.
fn print_init(
    company: &Company,
    fixture: bool,
    report: &fixtures::InitReport,
    out: &mut dyn Write,
) -> Result<(), Error> {
    writeln!(out, "created {}", report.database.display())?;
    if fixture {
        let l = &report.loaded;
        writeln!(
            out,
            "loaded {}, {}, {}, {}",
            plural(l.customers, "customer"),
            plural(l.vendors, "vendor"),
            plural(l.transactions, "transaction"),
            plural(l.settlements, "settlement")
        )?;
    }
    if report.ignored_overrides {
        writeln!(
            out,
            "note: the fixture's `parameters:` overrides were not stored; {} is the company's parameters (overrides apply when the fixture runs as a test)",
            company.file.display()
        )?;
    }
    Ok(())
}
