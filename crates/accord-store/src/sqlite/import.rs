//! [`Import`] on SQLite: a restore as one transaction that holds SQLite's
//! one write lock (`BEGIN IMMEDIATE`) from the emptiness check to the
//! commit, so no other writer can slip in between, and a restore that fails
//! or is abandoned leaves the store as empty as it was.

use async_trait::async_trait;
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::Sql;
use crate::backup::{Import, not_empty};
use crate::batch::RestoredPositions;
use crate::sql::duplicate_or_backend;
use crate::{Account, Hash, StoreError};

#[derive(Debug)]
pub(crate) struct SqliteImport {
    tx: Transaction<'static, Sqlite>,
    positions: RestoredPositions,
}

impl SqliteImport {
    pub(crate) async fn begin(pool: &SqlitePool) -> Result<Box<dyn Import>, StoreError> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(duplicate_or_backend)?;
        let (negotiations,) = Sql::count_negotiations().fetch_one(&mut *tx).await.map_err(duplicate_or_backend)?;
        let (accounts,) = Sql::count_accounts().fetch_one(&mut *tx).await.map_err(duplicate_or_backend)?;
        if negotiations > 0 || accounts > 0 {
            return Err(not_empty(negotiations.unsigned_abs(), accounts.unsigned_abs()));
        }
        Ok(Box::new(SqliteImport { tx, positions: RestoredPositions::default() }))
    }
}

#[async_trait]
impl Import for SqliteImport {
    async fn account(&mut self, account: &Account) -> Result<(), StoreError> {
        Sql::insert_account(account).execute(&mut *self.tx).await.map_err(duplicate_or_backend)?;
        Ok(())
    }

    async fn event(
        &mut self,
        negotiation: &str,
        position: u64,
        bytes: &[u8],
        leaf_hash: Hash,
    ) -> Result<(), StoreError> {
        let event = self.positions.next_event(negotiation, position, bytes, leaf_hash)?;
        if position == 0 {
            Sql::insert_negotiation(negotiation, &event).execute(&mut *self.tx).await.map_err(duplicate_or_backend)?;
        }
        Sql::insert_event(negotiation, &event).execute(&mut *self.tx).await.map_err(duplicate_or_backend)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(duplicate_or_backend)
    }
}
