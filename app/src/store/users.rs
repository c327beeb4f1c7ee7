//! Admin users and their login sessions. Passwords and session tokens
//! arrive already hashed; this module only stores and finds them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, unix};
use crate::error::{AppError, Result};

/// A stored admin user.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user_id: i64,
    pub email: String,
    pub password_hash: String,
}

/// The user behind a live login session.
#[derive(Debug, Clone, Serialize)]
pub struct LoginSession {
    pub user_id: i64,
    pub email: String,
    pub csrf_token: String,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    /// Adds a user and returns its id; an email already taken is a
    /// [`AppError::Conflict`].
    pub async fn add_user(&self, email: &str, password_hash: &str) -> Result<i64> {
        let row = sqlx::query(
            "insert into app_user (email, password_hash, created_at) values ($1, $2, $3) \
             returning app_user_id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(unix(Utc::now()))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match is_unique_violation(&e) {
            true => AppError::Conflict(format!("a user with email {email} already exists")),
            false => e.into(),
        })?;
        Ok(row.try_get("app_user_id")?)
    }

    /// The user with exactly this email, if any.
    pub async fn find_user(&self, email: &str) -> Result<Option<UserRecord>> {
        let row =
            sqlx::query("select app_user_id, email, password_hash from app_user where email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(UserRecord {
                user_id: r.try_get("app_user_id")?,
                email: r.try_get("email")?,
                password_hash: r.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    /// Stores a login session for `user_id`, valid until `expires_at`.
    pub async fn create_login_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "insert into login_session (token_hash, app_user_id, csrf_token, created_at, expires_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(unix(Utc::now()))
        .bind(unix(expires_at))
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                AppError::not_found(format!("user {user_id}"))
            }
            _ => e.into(),
        })?;
        Ok(())
    }

    /// The session with this token hash, unless it has expired by `now`.
    pub async fn find_login_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LoginSession>> {
        let row = sqlx::query(
            "select u.app_user_id, u.email, ls.csrf_token from login_session ls \
             join app_user u on u.app_user_id = ls.app_user_id \
             where ls.token_hash = $1 and ls.expires_at > $2",
        )
        .bind(token_hash)
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(LoginSession {
                user_id: r.try_get("app_user_id")?,
                email: r.try_get("email")?,
                csrf_token: r.try_get("csrf_token")?,
            })
        })
        .transpose()
    }

    /// Ends a login session (logout); unknown tokens are ignored.
    pub async fn delete_login_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("delete from login_session where token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The session with this token hash while it is neither expired nor
    /// idle for `idle` or longer; marks it used (at most once a minute, to
    /// keep page views from writing).
    pub async fn find_active_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<Option<LoginSession>> {
        let row = sqlx::query(
            "select u.app_user_id, u.email, ls.csrf_token, \
             coalesce(ls.last_seen_at, ls.created_at) as seen from login_session ls \
             join app_user u on u.app_user_id = ls.app_user_id \
             where ls.token_hash = $1 and ls.expires_at > $2 \
             and coalesce(ls.last_seen_at, ls.created_at) > $3",
        )
        .bind(token_hash)
        .bind(unix(now))
        .bind(unix(now - idle))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let seen: i64 = r.try_get("seen")?;
        if unix(now) - seen >= 60 {
            sqlx::query("update login_session set last_seen_at = $2 where token_hash = $1")
                .bind(token_hash)
                .bind(unix(now))
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(LoginSession {
            user_id: r.try_get("app_user_id")?,
            email: r.try_get("email")?,
            csrf_token: r.try_get("csrf_token")?,
        }))
    }

    /// Deletes sessions that have expired or been idle for `idle`; how many.
    pub async fn purge_login_sessions(
        &self,
        now: DateTime<Utc>,
        idle: chrono::Duration,
    ) -> Result<u64> {
        let done = sqlx::query(
            "delete from login_session where expires_at <= $1 \
             or coalesce(last_seen_at, created_at) <= $2",
        )
        .bind(unix(now))
        .bind(unix(now - idle))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
