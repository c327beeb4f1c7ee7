//! API tokens for scripts and CI. Only the token's hash is stored; a token
//! may be limited to one event and one role, may expire, and may be revoked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, unix};
use crate::domain::access::{Principal, Role};
use crate::error::{AppError, Result};

/// A stored API token (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub api_token_id: i64,
    pub name: String,
    /// The event it is limited to (slug), if any.
    pub event: Option<String>,
    /// The role it is limited to, if any.
    #[serde(serialize_with = "role_name")]
    pub role: Option<Role>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn role_name<S: serde::Serializer>(r: &Option<Role>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_some(&r.map(Role::as_str))
}

impl ApiToken {
    /// What this token may do (see [`Principal::token`]).
    pub fn principal(&self) -> Principal {
        Principal::token(self.event.clone(), self.role)
    }

    /// Whether it still opens the API at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// What `marquee token create` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewApiToken {
    pub name: String,
    pub token_hash: String,
    /// Limit to this event (slug; it must exist).
    pub event: Option<String>,
    pub role: Option<Role>,
    pub expires_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "t.api_token_id, t.name, e.slug, t.role, t.created_at, t.last_used_at, \
                       t.expires_at, t.revoked_at";

fn instant(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
}

fn token_row(r: &AnyRow) -> Result<ApiToken> {
    let role: Option<String> = r.try_get("role")?;
    Ok(ApiToken {
        api_token_id: r.try_get("api_token_id")?,
        name: r.try_get("name")?,
        event: r.try_get("slug")?,
        role: role
            .map(|s| {
                Role::parse(&s).ok_or_else(|| AppError::Internal(format!("unknown role {s:?}")))
            })
            .transpose()?,
        created_at: instant(r.try_get("created_at")?).unwrap_or_default(),
        last_used_at: instant(r.try_get("last_used_at")?),
        expires_at: instant(r.try_get("expires_at")?),
        revoked_at: instant(r.try_get("revoked_at")?),
    })
}

impl Store {
    /// Stores an unlimited token (an admin's) under a human name.
    pub async fn create_api_token(&self, name: &str, token_hash: &str) -> Result<i64> {
        self.create_limited_api_token(&NewApiToken {
            name: name.to_owned(),
            token_hash: token_hash.to_owned(),
            ..NewApiToken::default()
        })
        .await
    }

    /// Stores a token, limited as asked, and returns its id; an unknown
    /// event is refused, naming `event`.
    pub async fn create_limited_api_token(&self, t: &NewApiToken) -> Result<i64> {
        let event_id = match &t.event {
            Some(slug) => Some(
                sqlx::query("select event_id from event where slug = $1")
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| AppError::invalid("event", format!("no event {slug:?}")))?
                    .try_get::<i64, _>("event_id")?,
            ),
            None => None,
        };
        let row = sqlx::query(
            "insert into api_token (name, token_hash, created_at, event_id, role, expires_at) \
             values ($1, $2, $3, $4, $5, $6) returning api_token_id",
        )
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(unix(Utc::now()))
        .bind(event_id)
        .bind(t.role.map(Role::as_str))
        .bind(t.expires_at.map(unix))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("api_token_id")?)
    }

    /// The live token with this hash (not revoked, not expired at `now`),
    /// if any; records that it was used.
    pub async fn find_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiToken>> {
        let row = sqlx::query(&format!(
            "select {COLUMNS} from api_token t left join event e on e.event_id = t.event_id \
             where t.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(token) = row.as_ref().map(token_row).transpose()? else {
            return Ok(None);
        };
        if !token.is_live(now) {
            return Ok(None);
        }
        sqlx::query("update api_token set last_used_at = $2 where api_token_id = $1")
            .bind(token.api_token_id)
            .bind(unix(now))
            .execute(&self.pool)
            .await?;
        Ok(Some(token))
    }

    /// Every token, revoked and expired ones included, oldest first.
    pub async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from api_token t left join event e on e.event_id = t.event_id \
             order by t.api_token_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_row).collect()
    }

    /// Revokes the token with this id or, failing that, this name. A name
    /// that several live tokens share is refused (say the id); revoking a
    /// revoked token changes nothing. Returns the token as it now is.
    pub async fn revoke_api_token(&self, id_or_name: &str, now: DateTime<Utc>) -> Result<ApiToken> {
        let all = self.list_api_tokens().await?;
        let by_id = id_or_name
            .parse::<i64>()
            .ok()
            .and_then(|id| all.iter().find(|t| t.api_token_id == id));
        let token = match by_id {
            Some(t) => t.clone(),
            None => {
                let named: Vec<&ApiToken> = all
                    .iter()
                    .filter(|t| t.name == id_or_name && t.revoked_at.is_none())
                    .collect();
                match named.as_slice() {
                    [one] => (*one).clone(),
                    [] => return Err(AppError::not_found(format!("live token {id_or_name:?}"))),
                    many => {
                        let ids: Vec<String> =
                            many.iter().map(|t| t.api_token_id.to_string()).collect();
                        return Err(AppError::Conflict(format!(
                            "several tokens are named {id_or_name:?} (ids {}); revoke one by id",
                            ids.join(", ")
                        )));
                    }
                }
            }
        };
        sqlx::query(
            "update api_token set revoked_at = $2 where api_token_id = $1 and revoked_at is null",
        )
        .bind(token.api_token_id)
        .bind(unix(now))
        .execute(&self.pool)
        .await?;
        Ok(ApiToken {
            revoked_at: token.revoked_at.or(Some(now)),
            ..token
        })
    }
}
