//! Runs a store test body on a fresh SQLite file and, when
//! `MARQUEE_TEST_POSTGRES_URL` names a server, on a fresh PostgreSQL
//! database created for it and dropped afterwards. Shared by the store test
//! crates (loaded with `#[path]`: a `tests/support/` file is not a test
//! crate of its own).

#![allow(dead_code, reason = "each test crate uses a different subset")]

use std::future::Future;

use app::store::{Backend, Store};
use sqlx::{AnyPool, Connection};

/// A store under test plus the URL it was opened with, for raw SQL checks.
pub struct Db {
    pub store: Store,
    pub url: String,
    pub backend: Backend,
}

impl Db {
    pub async fn raw(&self) -> AnyPool {
        AnyPool::connect(&self.url).await.expect("raw pool")
    }
}

/// Runs `body` on SQLite, then on PostgreSQL when configured.
pub async fn on_each_backend<F, Fut>(body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("marquee.db").display());
    let store = Store::connect(&url).await.expect("connect sqlite");
    assert_eq!(store.backend(), Backend::Sqlite);
    eprintln!("-- on SQLite");
    body(Db {
        store,
        url,
        backend: Backend::Sqlite,
    })
    .await;

    let Ok(server) = std::env::var("MARQUEE_TEST_POSTGRES_URL") else {
        eprintln!("MARQUEE_TEST_POSTGRES_URL is not set: skipping the PostgreSQL half");
        return;
    };
    let name = format!("marquee_t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect admin");
    sqlx::raw_sql(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    eprintln!("-- on PostgreSQL database {name}");
    let url = database_url(&server, &name);
    let outcome = match Store::connect(&url).await {
        // Spawned so that a failing body still lets us drop the database.
        Ok(store) => tokio::spawn(body(Db {
            store,
            url,
            backend: Backend::Postgres,
        }))
        .await
        .map_err(|e| e.into_panic()),
        Err(e) => {
            Err(Box::new(format!("connect postgres: {e:?}")) as Box<dyn std::any::Any + Send>)
        }
    };
    sqlx::raw_sql(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The server URL with its database name replaced.
fn database_url(server: &str, name: &str) -> String {
    let (scheme, rest) = server.split_once("://").expect("URL with ://");
    let (authority, query) = match rest.split_once('/') {
        Some((a, path)) => (a, path.split_once('?').map(|(_, q)| q)),
        None => (rest, None),
    };
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// The same, for bodies that need only the store.
pub async fn on_each_store<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_each_backend(|db: Db| body(db.store)).await;
}
