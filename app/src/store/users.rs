//! Organiser accounts, their roles on events and their login sessions.
//! Passwords and session tokens arrive already hashed; this module only
//! stores and finds them.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, unix};
use crate::domain::access::{Principal, Role};
use crate::error::{AppError, Result};

/// A stored admin user.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user_id: i64,
    pub email: String,
    pub password_hash: String,
}

/// The user behind a live login session, with what they may do.
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub user_id: i64,
    pub email: String,
    pub csrf_token: String,
    pub access: Principal,
}

/// An account as `marquee user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub user_id: i64,
    pub email: String,
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    /// (event slug, role), by slug.
    pub memberships: Vec<(String, Role)>,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    /// Adds a user and returns its id; an email already taken is a
    /// [`AppError::Conflict`]. The first account of an instance is an
    /// admin, so a fresh install works as before roles existed.
    pub async fn add_user(&self, email: &str, password_hash: &str) -> Result<i64> {
        self.add_user_as(email, password_hash, false).await
    }

    /// Adds a user, an admin when `admin` (or when it is the first).
    pub async fn add_user_as(&self, email: &str, password_hash: &str, admin: bool) -> Result<i64> {
        let row = sqlx::query(
            "insert into app_user (email, password_hash, created_at, is_admin) \
             select $1, $2, $3, case when $4 = 1 or not exists (select 1 from app_user) \
             then 1 else 0 end returning app_user_id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(unix(Utc::now()))
        .bind(i64::from(admin))
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
            "select u.app_user_id, u.email, u.is_admin, ls.csrf_token from login_session ls \
             join app_user u on u.app_user_id = ls.app_user_id \
             where ls.token_hash = $1 and ls.expires_at > $2",
        )
        .bind(token_hash)
        .bind(unix(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let user_id: i64 = r.try_get("app_user_id")?;
        let admin = r.try_get::<i64, _>("is_admin")? != 0;
        Ok(Some(LoginSession {
            user_id,
            email: r.try_get("email")?,
            csrf_token: r.try_get("csrf_token")?,
            access: Principal::user(admin, self.memberships(user_id).await?),
        }))
    }

    /// A user's roles: (event slug, role), by slug.
    async fn memberships(&self, user_id: i64) -> Result<Vec<(String, Role)>> {
        let rows = sqlx::query(
            "select e.slug, m.role from event_member m join event e on e.event_id = m.event_id \
             where m.app_user_id = $1 order by e.slug",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                let role = Role::parse(&role)
                    .ok_or_else(|| AppError::Internal(format!("unknown role {role:?}")))?;
                Ok((r.try_get("slug")?, role))
            })
            .collect()
    }

    /// Every account with its roles, by email.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>> {
        let rows = sqlx::query(
            "select app_user_id, email, is_admin, created_at from app_user order by email",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let user_id: i64 = r.try_get("app_user_id")?;
            out.push(UserInfo {
                user_id,
                email: r.try_get("email")?,
                admin: r.try_get::<i64, _>("is_admin")? != 0,
                created_at: DateTime::from_timestamp(r.try_get("created_at")?, 0)
                    .unwrap_or_default(),
                memberships: self.memberships(user_id).await?,
            });
        }
        Ok(out)
    }

    /// Removes an account with its roles and sessions (so it is signed out
    /// at once), atomically; false when there was no such account.
    pub async fn remove_user(&self, email: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query("select app_user_id from app_user where email = $1")
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(false);
        };
        let user_id: i64 = row.try_get("app_user_id")?;
        // Explicit rather than trusting `on delete cascade`: SQLite only
        // cascades when the connection enabled foreign keys.
        for table in ["login_session", "event_member", "app_user"] {
            sqlx::query(&format!("delete from {table} where app_user_id = $1"))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Gives a user a role on an event (replacing the one they had there).
    pub async fn grant_role(&self, email: &str, slug: &str, role: Role) -> Result<()> {
        let done = sqlx::query(
            "insert into event_member (event_id, app_user_id, role, created_at) \
             select e.event_id, u.app_user_id, $3, $4 from event e, app_user u \
             where e.slug = $1 and u.email = $2 \
             on conflict (event_id, app_user_id) do update set role = excluded.role",
        )
        .bind(slug)
        .bind(email)
        .bind(role.as_str())
        .bind(unix(Utc::now()))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.missing_user_or_event(email, slug).await);
        }
        Ok(())
    }

    /// Takes a user's role on an event away; false when they had none.
    pub async fn revoke_role(&self, email: &str, slug: &str) -> Result<bool> {
        let done = sqlx::query(
            "delete from event_member where \
             event_id = (select event_id from event where slug = $1) and \
             app_user_id = (select app_user_id from app_user where email = $2)",
        )
        .bind(slug)
        .bind(email)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let err = self.missing_user_or_event(email, slug).await;
            return match err {
                AppError::Conflict(_) => Ok(false),
                other => Err(other),
            };
        }
        Ok(true)
    }

    /// Which of the two is unknown (a `Conflict` when both exist).
    async fn missing_user_or_event(&self, email: &str, slug: &str) -> AppError {
        match self.find_user(email).await {
            Ok(None) => return AppError::not_found(format!("user {email}")),
            Err(e) => return e,
            Ok(Some(_)) => {}
        }
        match self.load_event_id(slug).await {
            Ok(None) => AppError::not_found(format!("event {slug:?}")),
            Err(e) => e,
            Ok(Some(_)) => AppError::Conflict(format!("{email} has no role on {slug:?}")),
        }
    }

    async fn load_event_id(&self, slug: &str) -> Result<Option<i64>> {
        let row = sqlx::query("select event_id from event where slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("event_id")?)).transpose()
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
            "select u.app_user_id, u.email, u.is_admin, ls.csrf_token, \
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
        let user_id: i64 = r.try_get("app_user_id")?;
        let admin = r.try_get::<i64, _>("is_admin")? != 0;
        Ok(Some(LoginSession {
            user_id,
            email: r.try_get("email")?,
            csrf_token: r.try_get("csrf_token")?,
            access: Principal::user(admin, self.memberships(user_id).await?),
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
