//! An event's team: its members with their roles, and invitations by link.
//! An invitation's token arrives hashed; using one is a single conditional
//! update, so two people racing with the same link cannot both join.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::events::require_event;
use super::status::maybe_instant;
use super::{Store, instant, unix};
use crate::domain::access::Role;
use crate::domain::invitation::{InvitationRefused, check_usable};
use crate::error::{AppError, Result};

/// A member of an event's team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub since: DateTime<Utc>,
}

/// An invitation as the team page lists it (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub event_slug: String,
    pub role: Role,
    pub note: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub used_by: Option<String>,
}

/// An invitation to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation<'a> {
    pub role: Role,
    /// SHA-256 of the link's token.
    pub token_hash: &'a str,
    pub note: &'a str,
    /// Who made it (an e-mail).
    pub created_by: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// How an invitation is taken up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joiner<'a> {
    /// A new account (password already hashed).
    NewAccount {
        email: &'a str,
        password_hash: &'a str,
    },
    /// An organiser already signed in.
    Existing { user_id: i64, email: &'a str },
}

fn role_of(r: &sqlx::any::AnyRow) -> Result<Role> {
    let role: String = r.try_get("role")?;
    Role::parse(&role).ok_or_else(|| AppError::Internal(format!("unknown role {role:?}")))
}

impl Store {
    /// The members of an event, by email.
    pub async fn list_members(&self, slug: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "select u.app_user_id, u.email, m.role, m.created_at from event_member m \
             join event e on e.event_id = m.event_id join app_user u on u.app_user_id = m.app_user_id \
             where e.slug = $1 order by u.email",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get("app_user_id")?,
                    email: r.try_get("email")?,
                    role: role_of(r)?,
                    since: instant(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Changes a member's role (`Some`) or removes them (`None`). The last
    /// owner of an event stays one, so an event is never left without
    /// someone who may manage its team.
    pub async fn set_member_role(
        &self,
        slug: &str,
        user_id: i64,
        role: Option<Role>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let event_id = require_event(&mut tx, slug).await?.event_id;
        let current =
            sqlx::query("select role from event_member where event_id = $1 and app_user_id = $2")
                .bind(event_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| AppError::not_found(format!("member {user_id} of {slug:?}")))?;
        if role_of(&current)? == Role::Owner && role != Some(Role::Owner) {
            let owners: i64 = sqlx::query(
                "select count(*) as n from event_member where event_id = $1 and role = 'owner'",
            )
            .bind(event_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            if owners <= 1 {
                return Err(AppError::conflict_on(
                    "role",
                    "the last owner of an event cannot be removed or given another role",
                ));
            }
        }
        let q = match role {
            Some(r) => sqlx::query(
                "update event_member set role = $3 where event_id = $1 and app_user_id = $2",
            )
            .bind(event_id)
            .bind(user_id)
            .bind(r.as_str()),
            None => {
                sqlx::query("delete from event_member where event_id = $1 and app_user_id = $2")
                    .bind(event_id)
                    .bind(user_id)
            }
        };
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores an invitation (its token already hashed); returns its id.
    pub async fn create_invitation(&self, slug: &str, i: &NewInvitation<'_>) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let event_id = require_event(&mut tx, slug).await?.event_id;
        let row = sqlx::query(
            "insert into invitation (event_id, role, token_hash, note, created_by, created_at, expires_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning invitation_id",
        )
        .bind(event_id)
        .bind(i.role.as_str())
        .bind(i.token_hash)
        .bind(i.note)
        .bind(i.created_by)
        .bind(unix(i.created_at))
        .bind(unix(i.expires_at))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.try_get("invitation_id")?)
    }

    /// An event's invitations, newest first.
    pub async fn list_invitations(&self, slug: &str) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "{SELECT_INVITATION} where e.slug = $1 order by i.created_at desc, i.invitation_id desc"
        ))
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation).collect()
    }

    /// The invitation behind a link, if the link is one.
    pub async fn find_invitation(&self, token_hash: &str) -> Result<Option<Invitation>> {
        let row = sqlx::query(&format!("{SELECT_INVITATION} where i.token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(invitation).transpose()
    }

    /// Withdraws an unused invitation (it counts as used by nobody).
    pub async fn withdraw_invitation(&self, slug: &str, id: i64, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "update invitation set used_at = $3, used_by = '(withdrawn)' where invitation_id = $2 \
             and used_at is null and event_id = (select event_id from event where slug = $1)",
        )
        .bind(slug)
        .bind(id)
        .bind(unix(now))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::not_found(format!("open invitation {id}")));
        }
        Ok(())
    }

    /// Uses an invitation: marks it used, creates the account if asked,
    /// and gives the role, in one transaction. Returns the event's slug
    /// and the role given. A used, expired or unknown link changes
    /// nothing.
    pub async fn accept_invitation(
        &self,
        token_hash: &str,
        joiner: Joiner<'_>,
        now: DateTime<Utc>,
    ) -> Result<(String, Role)> {
        let mut tx = self.pool.begin().await?;
        let email = match &joiner {
            Joiner::NewAccount { email, .. } | Joiner::Existing { email, .. } => *email,
        };
        let claimed = sqlx::query(
            "update invitation set used_at = $2, used_by = $3 \
             where token_hash = $1 and used_at is null and expires_at > $2",
        )
        .bind(token_hash)
        .bind(unix(now))
        .bind(email)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            drop(tx);
            return Err(self.why_refused(token_hash, now).await);
        }
        let inv = sqlx::query(
            "select i.event_id, i.role, e.slug from invitation i join event e on e.event_id = i.event_id \
             where i.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_one(&mut *tx)
        .await?;
        let user_id = match joiner {
            Joiner::Existing { user_id, .. } => user_id,
            Joiner::NewAccount {
                email,
                password_hash,
            } => new_account(&mut tx, email, password_hash, now).await?,
        };
        sqlx::query(
            "insert into event_member (event_id, app_user_id, role, created_at) values ($1, $2, $3, $4) \
             on conflict (event_id, app_user_id) do update set role = excluded.role",
        )
        .bind(inv.try_get::<i64, _>("event_id")?)
        .bind(user_id)
        .bind(role_of(&inv)?.as_str())
        .bind(unix(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((inv.try_get("slug")?, role_of(&inv)?))
    }

    async fn why_refused(&self, token_hash: &str, now: DateTime<Utc>) -> AppError {
        let refused = match self.find_invitation(token_hash).await {
            Err(e) => return e,
            Ok(None) => InvitationRefused::Unknown,
            Ok(Some(i)) => match check_usable(i.expires_at, i.used_at, now) {
                Err(r) => r,
                // Used between the update and this read: it is used now.
                Ok(()) => InvitationRefused::Used,
            },
        };
        refusal(refused)
    }
}

/// The error a refused link answers with: a forged link is unknown (404);
/// a used or expired one conflicts with the link's state (409).
pub fn refusal(r: InvitationRefused) -> AppError {
    match r {
        InvitationRefused::Unknown => AppError::not_found("invitation"),
        other => AppError::conflict_on("token", other.to_string()),
    }
}

async fn new_account(
    conn: &mut AnyConnection,
    email: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row = sqlx::query(
        "insert into app_user (email, password_hash, created_at, is_admin) values ($1, $2, $3, 0) \
         returning app_user_id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(unix(now))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::conflict_on(
            "email",
            "an account with this e-mail exists; sign in, then open the link again",
        ),
        _ => e.into(),
    })?;
    Ok(row.try_get("app_user_id")?)
}

const SELECT_INVITATION: &str = "select i.invitation_id, e.slug, i.role, i.note, i.created_by, \
     i.created_at, i.expires_at, i.used_at, i.used_by from invitation i \
     join event e on e.event_id = i.event_id";

fn invitation(r: &sqlx::any::AnyRow) -> Result<Invitation> {
    Ok(Invitation {
        id: r.try_get("invitation_id")?,
        event_slug: r.try_get("slug")?,
        role: role_of(r)?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: instant(r, "created_at")?,
        expires_at: instant(r, "expires_at")?,
        used_at: maybe_instant(r, "used_at")?,
        used_by: r.try_get("used_by")?,
    })
}
