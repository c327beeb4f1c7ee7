//! The one error type. Every failure a user can cause maps to a 4xx with
//! `{"error":{"code","message","field"}}`; everything else is logged once and
//! shown as a generic 500, so no internal detail (or secret) leaks.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{what} not found")]
    NotFound { what: String },
    /// Input is well-formed but wrong; `field` names where (a JSON field, a
    /// path inside an imported document, or a CLI argument).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    /// A conflict with what happened since, about one request field (a
    /// stale `version`, a proposal no longer open): 409 naming it.
    #[error("{field}: {message}")]
    ConflictOn { field: String, message: String },
    #[error("payload too large (limit {limit} bytes)")]
    TooLarge { limit: usize },
    /// The database cannot be reached or written; reads keep working from
    /// memory, writes fail with this.
    #[error("the database is unavailable; nothing was changed")]
    Unavailable(String),
    /// Too many requests from this client (or for this account); try
    /// again after `retry_after` seconds.
    #[error("too many requests; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// The server sheds this request to keep capacity for others (the
    /// share of database connections strangers may use is taken).
    #[error("the server is busy; try again in a moment")]
    Busy,
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict_on(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::ConflictOn {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) | Self::ConflictOn { .. } => StatusCode::CONFLICT,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Invalid { .. } => "invalid",
            Self::Conflict(_) | Self::ConflictOn { .. } => "conflict",
            Self::TooLarge { .. } => "too_large",
            Self::Unavailable(_) => "unavailable",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Busy => "busy",
            Self::Internal(_) => "internal",
        }
    }

    /// The JSON body users see. Internal details never appear in it.
    pub fn body(&self) -> ErrorBody {
        let message = match self {
            Self::Internal(_) => "internal error".to_owned(),
            Self::Invalid { message, .. } | Self::ConflictOn { message, .. } => message.clone(),
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                field: match self {
                    Self::Invalid { field, .. } | Self::ConflictOn { field, .. } => {
                        Some(field.clone())
                    }
                    _ => None,
                },
            },
        }
    }
}

/// Every error the HTTP API answers: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `unauthorized`, `forbidden`, `not_found`, `invalid`, `conflict`,
    /// `too_large`, `unavailable` or `internal`.
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(detail) => tracing::error!(detail = %detail, "internal error"),
            Self::Unavailable(detail) => tracing::warn!(detail = %detail, "database unavailable"),
            _ => {}
        }
        let retry_after = match &self {
            Self::TooManyRequests { retry_after } => Some(*retry_after),
            Self::Busy => Some(1),
            _ => None,
        };
        let mut res = (self.status(), axum::Json(self.body())).into_response();
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_unreachable) => {
                Self::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict("that already exists".into())
            }
            sqlx::Error::Database(db)
                if db.message().contains("readonly")
                    || db.message().contains("unable to open")
                    || db.message().contains("disk I/O") =>
            {
                Self::Unavailable(e.to_string())
            }
            _ => Self::Internal(e.to_string()),
        }
    }
}

/// PostgreSQL SQLSTATEs that say the database refuses this instance rather
/// than the request is wrong: connection exceptions (class 08), the role
/// refused at connect (class 28: bad password, `nologin`, no `pg_hba`
/// entry), no resources (class 53: no connection slot, disk full, out of
/// memory), an administrator or a crash ending the session (57P01-57P03),
/// the database gone (3D000), not accepting connections (55000 is raised
/// for that; nothing else a query here can do raises it) or `connect`
/// revoked (42501: the statements here never touch anything else a role
/// could lack the right to).
fn is_unreachable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("28")
        || code.starts_with("53")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "3D000" | "55000" | "42501"
        )
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Internal(format!("migration failed: {e}"))
    }
}

impl From<crate::domain::access::Denied> for AppError {
    fn from(e: crate::domain::access::Denied) -> Self {
        Self::Forbidden(e.to_string())
    }
}

impl From<crate::domain::time::TimeError> for AppError {
    fn from(e: crate::domain::time::TimeError) -> Self {
        Self::invalid("time_zone", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_refuses_this_instance_is_unavailable_not_internal() {
        for code in [
            "08006", "28P01", "28000", "53300", "57P01", "3D000", "55000",
        ] {
            assert!(is_unreachable(code), "{code}");
        }
        for code in ["23505", "22P02", "40001", "42P01"] {
            assert!(!is_unreachable(code), "{code}");
        }
    }

    #[test]
    fn invalid_names_the_field_and_internal_hides_detail() {
        let b =
            serde_json::to_value(AppError::invalid("tracks[0]", "unknown track").body()).unwrap();
        assert_eq!(b["error"]["code"], "invalid");
        assert_eq!(b["error"]["field"], "tracks[0]");
        assert_eq!(b["error"]["message"], "unknown track");
        let b = serde_json::to_value(AppError::Internal("password=hunter2".into()).body()).unwrap();
        assert_eq!(b["error"]["message"], "internal error");
        assert!(!b.to_string().contains("hunter2"));
    }
}
