//! `reimburse test`: the rules run against fixture ledgers (see [`crate::rule_tests`]), each
//! reported as it finishes, then the count; a missing path fails on its own.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::args::Cli;
use super::{plural, write_json};
use crate::Error;
use crate::parameters::Company;
use crate::rule_tests;
use crate::text::printable_lines;

/// `test`: on the company's parameters, or the built-in sample's when there is no company file.
pub(super) fn test_command(
    cli: &Cli,
    company_file: &Path,
    paths: &[PathBuf],
    rules: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // Without a company file, fixtures run on the built-in sample parameters.
    let company = if cli.company.is_none() && !company_file.exists() {
        crate::sample_company()?
    } else {
        Company::load(company_file)?
    };
    test(&company, paths, rules, json, out)
}

fn test(
    company: &Company,
    paths: &[PathBuf],
    rules: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let paths = if paths.is_empty() {
        vec![default_fixtures(company)?]
    } else {
        paths.to_vec()
    };
    let files = fixture_files(&paths)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "no fixtures (*.yaml) found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let rules = rules
        .map(Path::to_path_buf)
        .unwrap_or_else(|| company.rules_path.clone());
    let start = std::time::Instant::now();
    let mut failed = 0;
    let mut results = Vec::new();
    for file in &files {
        let result = match file {
            Ok(file) => rule_tests::run_fixture(company, &rules, file),
            Err(missing) => rule_tests::missing_fixture(missing),
        };
        if !result.passed {
            failed += 1;
        }
        if !json {
            writeln!(out, "{}", printable_lines(&result.to_string()))?;
        }
        results.push(result);
    }
    let passed = results.len() - failed;
    if json {
        write_json(
            out,
            &json!({"rules": rules, "passed": passed, "failed": failed, "fixtures": results}),
        )?;
    } else {
        writeln!(
            out,
            "\n{passed} passed, {failed} failed ({} in {:.0} ms, rules {})",
            plural(results.len(), "fixture"),
            start.elapsed().as_secs_f64() * 1000.0,
            rules.display()
        )?;
    }
    if failed > 0 {
        return Err(Error::TestsFailed(failed));
    }
    Ok(())
}

/// The fixture files under `paths`, in order: `Ok(file)` to run, `Err(path)` for a path that
/// does not exist (it fails on its own, reported with the results; the others still run).
fn fixture_files(paths: &[PathBuf]) -> Result<Vec<Result<PathBuf, PathBuf>>, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.exists() {
            let found = rule_tests::find_fixtures(std::slice::from_ref(path))
                .map_err(|e| Error::Usage(e.to_string()))?;
            files.extend(found.into_iter().map(Ok));
        } else {
            files.push(Err(path.clone()));
        }
    }
    Ok(files)
}

/// The fixtures `reimburse test` runs when given no path: the `fixtures` folder beside the
/// company file, else `tests/fixtures` under the current folder (a clone of this repository).
fn default_fixtures(company: &Company) -> Result<PathBuf, Error> {
    let beside = company
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("fixtures");
    let here = PathBuf::from("tests/fixtures");
    for candidate in [&beside, &here] {
        if candidate.is_dir() {
            return Ok(candidate.clone());
        }
    }
    Err(Error::Usage(format!(
        "no fixtures to run: neither {} (beside the company file) nor {} (here) is a folder; \
         give fixture files or folders: reimburse test PATH...",
        beside.display(),
        here.display()
    )))
}
