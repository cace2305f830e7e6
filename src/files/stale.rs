//! The temporary files of `init`: it writes the database to `NAME.init-PID.tmp` beside the
//! target (with SQLite's `-wal` and `-shm` files) and renames it into place when complete. A
//! killed `init` leaves them behind; the next `init` of the same database removes those whose
//! process is gone.

use std::path::{Path, PathBuf};

use super::{DATABASE_SIDE_FILES, folder_of};

/// The temporary database `init` writes for `target` in process `pid`: `target` with its
/// extension replaced by `init-PID.tmp` (`company.db` → `company.init-4242.tmp`).
pub fn init_temp_path(target: &Path, pid: u32) -> PathBuf {
    target.with_extension(format!("init-{pid}.tmp"))
}

/// Removes the temporary files that a killed `init` of `target` left beside it: the files named
/// exactly as [`init_temp_path`] names them (and their `-wal`, `-shm`, `-journal`), whose process
/// no longer runs (no `/proc/PID`). Never the files of this process, of a live `init`, or any
/// other file; nothing at all where `/proc` cannot tell (another system). Returns the files
/// removed.
pub fn remove_stale_init_files(target: &Path) -> Vec<PathBuf> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return Vec::new();
    }
    let Some(prefix) = init_temp_path(target, 0)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix("0.tmp"))
        .map(str::to_string)
    else {
        return Vec::new();
    };
    let dir = folder_of(target);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| temp_pid(n, &prefix)) else {
            continue;
        };
        let live = pid == std::process::id() || proc.join(pid.to_string()).exists();
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if !live && regular {
            let path = dir.join(&name);
            if std::fs::remove_file(&path).is_ok() {
                removed.push(path);
            }
        }
    }
    removed.sort();
    removed
}

/// The process id in the name of one of `init`'s temporary files (`PREFIX` `PID` `.tmp`,
/// optionally followed by a SQLite side-file suffix); `None` for any other name.
fn temp_pid(name: &str, prefix: &str) -> Option<u32> {
    let base = DATABASE_SIDE_FILES
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    let digits = base.strip_prefix(prefix)?.strip_suffix(".tmp")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_names_of_init_are_temporary_files() {
        let p = "company.init-";
        assert_eq!(temp_pid("company.init-4242.tmp", p), Some(4242));
        assert_eq!(temp_pid("company.init-4242.tmp-wal", p), Some(4242));
        assert_eq!(temp_pid("company.init-4242.tmp-shm", p), Some(4242));
        for other in [
            "company.db",
            "company.init-.tmp",
            "company.init-42x.tmp",
            "company.init-42.tmp.bak",
            "other.init-42.tmp",
            "xcompany.init-42.tmp",
        ] {
            assert_eq!(temp_pid(other, p), None, "{other}");
        }
        assert_eq!(
            init_temp_path(Path::new("d/company.db"), 7),
            Path::new("d/company.init-7.tmp")
        );
    }
}
