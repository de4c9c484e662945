//! Online backup: `VACUUM INTO` on a connection of its own.
//!
//! `VACUUM INTO` reads the database in one read transaction, so the copy is the database at
//! one instant (every ledger entry with its balance, every settlement with its charge) while
//! the writer goes on committing beside it under WAL; and it writes a compact file with no
//! `-wal` to go with it. Its own connection keeps the reader thread free for requests during
//! a long copy.
//!
//! The copy is made next to the database (same filesystem, same private directory), in a file
//! created 0600 before SQLite writes to it, and unlinked as soon as it is open again: the
//! caller streams it from the handle, and nothing is left behind even if the stream is cut.

use std::fs::File;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::store::StoreError;

pub(super) fn snapshot(db: &Path) -> Result<(File, u64), StoreError> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        StoreError::Backend(format!("cannot {what} {}: {e}", p.display()))
    };
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| StoreError::Backend(e.to_string()))?;
    let target = dir.join(format!(".codexkey-backup-{}.db", hex::encode(random)));
    create_private(&target).map_err(|e| io("create", &target, e))?;
    let copied = copy(db, &target);
    let opened = copied.and_then(|()| File::open(&target).map_err(|e| io("open", &target, e)));
    // Unlinked whatever happened: an open handle keeps the copy readable; a failed copy goes.
    let _ = std::fs::remove_file(&target);
    let file = opened?;
    let len = file.metadata().map_err(|e| io("read", &target, e))?.len();
    Ok((file, len))
}

fn copy(db: &Path, target: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let target = target
        .to_str()
        .ok_or_else(|| StoreError::Backend("the data directory's path is not UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}

/// An empty file only this user can read: `VACUUM INTO` accepts an empty target and keeps
/// its mode, where a file it created would follow the umask.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn the_snapshot_is_a_whole_database_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("codexkey.db");
        drop(SqliteStore::open(&db).unwrap());
        let (mut file, len) = snapshot(&db).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
        assert_eq!(bytes.len() as u64, len);
        assert!(bytes.starts_with(b"SQLite format 3\0"));
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("backup"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
