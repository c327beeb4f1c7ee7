//! API tokens for scripted imports. Only the token's hash is stored.

use chrono::Utc;
use serde::Serialize;
use sqlx::Row;

use super::{Store, unix};
use crate::error::Result;

/// A stored API token (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub api_token_id: i64,
    pub name: String,
}

impl Store {
    /// Stores a token hash under a human name and returns the token's id.
    pub async fn create_api_token(&self, name: &str, token_hash: &str) -> Result<i64> {
        let row = sqlx::query(
            "insert into api_token (name, token_hash, created_at) values ($1, $2, $3) \
             returning api_token_id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(unix(Utc::now()))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("api_token_id")?)
    }

    /// The token with this hash, if any; records that it was used just now.
    pub async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(
            "update api_token set last_used_at = $2 where token_hash = $1 \
             returning api_token_id, name",
        )
        .bind(token_hash)
        .bind(unix(Utc::now()))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ApiToken {
                api_token_id: r.try_get("api_token_id")?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }
}
