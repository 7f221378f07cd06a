//! Scratch PostgreSQL databases for tests: each test gets a database of its
//! own on the cluster `DATABASE_URL` names (as `scripts/with-postgres` sets
//! it), dropped again when the test is done, so tests run in parallel
//! without seeing each other's rows.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, PgConnection};

use crate::{Backend, StoreError};

/// Printed by every test that needs PostgreSQL when there is none.
pub const SKIP_NOTICE: &str = "skipped: DATABASE_URL not set (run through scripts/with-postgres)";

/// `DATABASE_URL` when it names a PostgreSQL server. Otherwise `None`, after
/// printing [`SKIP_NOTICE`] straight to the terminal: written past the test
/// harness's capture, so a skipped test is visible in a passing run.
pub fn postgres_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if matches!(Backend::of(&url), Ok(Backend::Postgres)) => Some(url),
        Ok(other) => {
            notice(&format!("skipped: DATABASE_URL ({}) is not a postgres:// URL", crate::redact(&other)));
            None
        }
        Err(_) => {
            notice(SKIP_NOTICE);
            None
        }
    }
}

fn notice(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A database created for one test on the cluster of an admin URL, dropped
/// (with any connections still open to it) when this value is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates an empty database with a fresh name; `admin_url` is any URL
    /// of the cluster whose user may create databases.
    pub async fn create(admin_url: &str) -> Result<ScratchDatabase, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("accord_test_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut admin = PgConnection::connect(admin_url)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot reach {}: {e}", crate::redact(admin_url))))?;
        // `name` is made of [a-z0-9_] above, so quoting it is enough.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot create the database {name}: {e}")))?;
        let _ = admin.close().await;
        let url = with_database(admin_url, &name);
        Ok(ScratchDatabase { admin_url: admin_url.to_string(), name, url })
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on;
        // a thread with a runtime of its own can. FORCE ends the store's
        // pooled connections, which would otherwise keep the database alive.
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.map_err(|e| e.to_string())?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok(())
            })
        })
        .join();
        // A database left behind costs only disk space on a throwaway cluster;
        // failing a test for it (or panicking in drop) would hide the real result.
        if let Ok(Err(error)) = dropped {
            notice(&format!("warning: scratch database {} was not dropped: {error}", self.name));
        }
    }
}

/// `url` with its database (the path) replaced by `database`, query kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced_and_the_rest_kept() {
        for (url, expected) in [
            ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/t1"),
            ("postgres://u:p@h:1/db?sslmode=disable", "postgres://u:p@h:1/t1?sslmode=disable"),
            ("postgres://h:1", "postgres://h:1/t1"),
            ("postgresql://h?options[search_path]=x", "postgresql://h/t1?options[search_path]=x"),
        ] {
            assert_eq!(with_database(url, "t1"), expected);
        }
    }
}
