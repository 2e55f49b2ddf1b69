//! A rewrap job watched from the database, for the tests that kill instances under one.

use std::time::Duration;

use callvault::infra::entities::{job, recording};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

pub struct RewrapJob {
    db: DatabaseConnection,
    id: Uuid,
}

impl RewrapJob {
    /// The job that `started`, the answer to `POST …/rewrap`, names.
    pub async fn of(app: &TestApp, started: &Value) -> Self {
        Self {
            db: app.db().await,
            id: Uuid::parse_str(started["id"].as_str().expect("id")).expect("uuid"),
        }
    }

    pub async fn now(&self) -> job::Model {
        job::Entity::find_by_id(self.id)
            .one(&self.db)
            .await
            .expect("query")
            .expect("the job")
    }

    /// Waits until `done` recordings are done, or the job has ended.
    pub async fn reach(&self, done: i64) {
        let mut now = self.now().await;
        while now.done < done && now.state != callvault_shared::api::JobState::Done {
            tokio::time::sleep(Duration::from_millis(5)).await;
            now = self.now().await;
        }
    }

    /// Waits for the end, and checks that every recording was done and none failed.
    pub async fn finish(&self) {
        let mut now = self.now().await;
        for _ in 0..600 {
            if now.state == callvault_shared::api::JobState::Done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            now = self.now().await;
        }
        assert_eq!(now.state, callvault_shared::api::JobState::Done);
        assert_eq!((now.done, now.failed), (now.total, 0));
    }

    /// How many recordings are sealed with some other key than `key_id`.
    pub async fn left_off(&self, key_id: &str) -> usize {
        recording::Entity::find()
            .filter(recording::Column::KeyId.ne(Uuid::parse_str(key_id).expect("uuid")))
            .all(&self.db)
            .await
            .expect("rows")
            .len()
    }
}
