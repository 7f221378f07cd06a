//! [`Import`] on PostgreSQL: a restore as one transaction that locks the
//! four tables against writers (`EXCLUSIVE` mode still lets others read)
//! before it checks that they are empty, so no other server can slip a
//! write in between, and a restore that fails or is abandoned leaves the
//! store as empty as it was.

use async_trait::async_trait;
use sqlx::{PgPool, Postgres, Transaction};

use super::Sql;
use crate::backup::{Import, not_empty};
use crate::batch::RestoredPositions;
use crate::sql::duplicate_or_backend;
use crate::{Account, Hash, StoreError};

#[derive(Debug)]
pub(crate) struct PostgresImport {
    tx: Transaction<'static, Postgres>,
    positions: RestoredPositions,
}

impl PostgresImport {
    pub(crate) async fn begin(pool: &PgPool) -> Result<Box<dyn Import>, StoreError> {
        let mut tx = pool.begin().await.map_err(duplicate_or_backend)?;
        // Blocks every writer (appends, sign-ups, tokens) until the commit;
        // readers go on seeing the empty store.
        sqlx::query("LOCK TABLE negotiations, events, accounts, tokens IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(duplicate_or_backend)?;
        let (negotiations,) = Sql::count_negotiations().fetch_one(&mut *tx).await.map_err(duplicate_or_backend)?;
        let (accounts,) = Sql::count_accounts().fetch_one(&mut *tx).await.map_err(duplicate_or_backend)?;
        if negotiations > 0 || accounts > 0 {
            return Err(not_empty(negotiations.unsigned_abs(), accounts.unsigned_abs()));
        }
        Ok(Box::new(PostgresImport { tx, positions: RestoredPositions::default() }))
    }
}
#[async_trait]
impl Import for PostgresImport {
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
