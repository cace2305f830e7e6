//! The files around the database: why SQLite found it read-only, the `-wal` and `-shm` files
//! beside it, its folder and whether a file can be created there.

use std::path::{Path, PathBuf};

/// Why SQLite found the database at `path` read-only: the file itself, a `-wal` or `-shm` file
/// beside it (a reader of a read-only database leaves them read-only), or the folder (in WAL mode
/// SQLite must create those files there). Probes with write opens that change nothing.
pub(super) fn read_only_reason(path: &Path) -> String {
    let writable = |p: &Path| std::fs::OpenOptions::new().write(true).open(p).is_ok();
    if !writable(path) {
        return "the file is not writable".into();
    }
    for suffix in ["-wal", "-shm"] {
        let side = side_file(path, suffix);
        if side.exists() && !writable(&side) {
            return format!(
                "{} is not writable (make it writable, or remove it while no one uses the database)",
                side.display()
            );
        }
    }
    let dir = folder_of(path);
    if folder_writable(dir) {
        "SQLite opened it read-only".into()
    } else {
        format!(
            "its folder {} is not writable (SQLite keeps the -wal and -shm files beside the database)",
            dir.display()
        )
    }
}

/// The file SQLite keeps beside the database (`-wal`, `-shm`).
pub(super) fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut side = path.as_os_str().to_owned();
    side.push(suffix);
    PathBuf::from(side)
}

/// The folder the database is in (`.` for a bare file name).
pub(super) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether a file can be created in `dir` (by creating and removing a probe file).
pub(super) fn folder_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".reimburse-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}
