//! `accord backup` and `accord restore`: a whole store to one portable file
//! and back (the format is in `docs/backup.md` and `accord_store::backup`).

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_store::backup::{self, BackupError, Summary};
use accord_store::{Store, redact};
use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Write every negotiation's log (events byte for byte, with their leaf
/// hashes and each log's Merkle root) and every account to one file.
///
/// The file is JSON Lines, readable by any later `accord restore`, into
/// SQLite or PostgreSQL alike. It holds the accounts' password hashes: it is
/// written readable by its owner only; keep it that way. Session and API
/// tokens are not saved, so after a restore everyone signs in again.
/// Servers may keep running: each log is saved up to its size when the
/// backup began.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord backup --database sqlite:/var/lib/accord/accord.db -o accord-2026-03-01.backup
  accord backup --database postgres://accord@db.internal/accord -o accord.backup --force")]
pub struct BackupArgs {
    /// The database to back up: `sqlite:PATH`, a file path, or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    #[arg(long, value_name = "URL")]
    pub database: String,
    /// The backup file to write (made under a temporary name, synced, then renamed into place).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Load a backup made by `accord backup` into an empty database.
///
/// Every line is checked (leaf hashes, positions without gaps, each log's
/// Merkle root against the backup's end line) while it is written in one
/// transaction: if anything is wrong, nothing is restored and the error names
/// the line. The target must hold no negotiation and no account. Tokens are
/// not in a backup: everyone signs in again with their password.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  accord restore --database sqlite:/var/lib/accord/restored.db accord-2026-03-01.backup
  createdb accord_restored && accord restore --database postgres://accord@db.internal/accord_restored accord.backup")]
pub struct RestoreArgs {
    /// The empty database to restore into (a SQLite file is created if missing; a PostgreSQL database must exist).
    #[arg(long, value_name = "URL")]
    pub database: String,
    /// The backup file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    if !args.force && args.output.exists() {
        bail!("{} already exists; choose another name or pass --force to replace it", args.output.display());
    }
    let shown = redact(&args.database);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let summary = runtime.block_on(async {
        let store = accord_store::open(&args.database).await.with_context(|| format!("opening {shown}"))?;
        let bar = progress_bar("backing up", "events");
        let (source, shown_bar): (&dyn Store, &ProgressBar) = (store.as_ref(), &bar);
        let written = write_atomically(&args.output, move |out| async move {
            let mut progress = |done: u64, total: u64| {
                shown_bar.set_length(total);
                shown_bar.set_position(done);
            };
            backup::write_backup(source, out, chrono::Utc::now(), &mut progress).await
        })
        .await;
        bar.finish_and_clear();
        written
    })?;
    println!("Backed up {} to {} ({} bytes) from {shown}", contents(&summary), args.output.display(), summary.bytes);
    Ok(ExitCode::SUCCESS)
}

pub fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let shown = redact(&args.database);
    let file = File::open(&args.file).with_context(|| format!("opening the backup {}", args.file.display()))?;
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let summary = runtime.block_on(async {
        let store = accord_store::open(&args.database).await.with_context(|| format!("opening {shown}"))?;
        let bar = progress_bar("restoring", "bytes");
        bar.set_length(length);
        let restored = backup::restore(store.as_ref(), BufReader::new(bar.wrap_read(file))).await;
        bar.finish_and_clear();
        restored.map_err(|e| explain(e, &args.file, &shown))
    })?;
    println!("Restored {} from {} ({} bytes) into {shown}", contents(&summary), args.file.display(), summary.bytes);
    println!("Tokens are not in a backup: everyone signs in again with their password.");
    Ok(ExitCode::SUCCESS)
}

fn contents(summary: &Summary) -> String {
    format!(
        "{} ({}) and {}",
        plural(summary.negotiations, "negotiation"),
        plural(summary.events, "event"),
        plural(summary.accounts, "account")
    )
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// What went wrong, and that nothing was restored.
fn explain(error: BackupError, file: &Path, database: &str) -> anyhow::Error {
    match error {
        BackupError::NotEmpty { .. } => anyhow!("{database}: {error}"),
        BackupError::Line { .. } | BackupError::Truncated { .. } => {
            anyhow!("{} {error}; nothing was restored", file.display())
        }
        other => anyhow!("{other}; nothing was restored"),
    }
}

/// Writes through `write` into a file next to `path` readable by its owner
/// only, syncs it, and renames it to `path`; on any failure the temporary
/// file is removed and `path` is left as it was.
async fn write_atomically<F, Fut>(path: &Path, write: F) -> anyhow::Result<Summary>
where
    F: FnOnce(BufWriter<File>) -> Fut,
    Fut: std::future::Future<Output = Result<Summary, BackupError>>,
{
    let name = path.file_name().ok_or_else(|| anyhow!("{} names no file", path.display()))?;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temporary = directory.join(format!(".{}.{}.partial", name.to_string_lossy(), std::process::id()));
    let file = create_private(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
    let outcome = async {
        let summary = write(BufWriter::new(file.try_clone()?)).await?;
        file.sync_all().context("syncing the backup to disk")?;
        std::fs::rename(&temporary, path).with_context(|| format!("renaming the backup to {}", path.display()))?;
        // The rename itself is durable only once the directory is synced.
        if let Ok(dir) = File::open(&directory) {
            let _ = dir.sync_all();
        }
        anyhow::Ok(summary)
    }
    .await;
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    outcome
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Drawn on stderr only when it is a terminal.
fn progress_bar(message: &'static str, unit: &str) -> ProgressBar {
    let target =
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    let template = if unit == "bytes" {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed})"
    } else {
        "{msg} [{bar:30}] {pos}/{len} events ({elapsed})"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_failed_write_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.backup");
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        let result = runtime.block_on(write_atomically(&path, |mut out| async move {
            let _ = out.write_all(b"half");
            Err(BackupError::Write(std::io::Error::other("disk full")))
        }));
        assert!(result.is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}")).collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_backup_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.backup");
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        let result = runtime.block_on(write_atomically(&path, |mut out| async move {
            out.write_all(b"secret\n").map_err(BackupError::Write)?;
            out.flush().map_err(BackupError::Write)?;
            Ok(Summary::default())
        }));
        assert!(result.is_ok(), "{result:?}");
        let mode = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{e}")).permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"secret\n");
    }
}
