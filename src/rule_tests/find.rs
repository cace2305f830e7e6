//! Finding fixture files under the paths given to `reimburse test`.

use std::path::{Path, PathBuf};

/// Finds fixture files: each path is a file or a folder searched recursively for `*.yaml`/`*.yml`,
/// in name order.
pub fn find_fixtures(paths: &[PathBuf]) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut found)?;
        } else if path.exists() {
            found.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{}: no such file or folder", path.display()),
            ));
        }
    }
    Ok(found)
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), std::io::Error> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, found)?;
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(p);
        }
    }
    Ok(())
}
