//! Periodic jobs shared by several instances on one database
//! (`Store::claim_job`), and push leases held under a worker's token: on
//! SQLite and, when `MARQUEE_TEST_POSTGRES_URL` names a server, on
//! PostgreSQL, where instances really claim at the same moment.

use app::store::Store;
use chrono::{Duration, TimeZone, Utc};

#[path = "support/backends.rs"]
mod backends;
use backends::{Db, on_each_backend};

#[tokio::test]
async fn a_job_runs_once_per_period_however_many_instances_ask() {
    on_each_backend(|db: Db| async move {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let every = Duration::seconds(30);
        // Eight instances (their own pools) asking at the same instant.
        let mut stores = Vec::new();
        for _ in 0..8 {
            stores.push(Store::connect(&db.url).await.unwrap());
        }
        let mut asking = tokio::task::JoinSet::new();
        for s in &stores {
            let s = s.clone();
            asking.spawn(async move { s.claim_job("reminders", t0, every).await.unwrap() });
        }
        let claims = asking.join_all().await;
        let won = claims.iter().filter(|won| **won).count();
        assert_eq!(won, 1, "{claims:?}");
        // Not again within the period, by anyone; then once more.
        assert!(
            !db.store
                .claim_job("reminders", t0 + Duration::seconds(29), every)
                .await
                .unwrap()
        );
        assert!(
            db.store
                .claim_job("reminders", t0 + Duration::seconds(30), every)
                .await
                .unwrap()
        );
        assert!(
            !stores[3]
                .claim_job("reminders", t0 + Duration::seconds(31), every)
                .await
                .unwrap()
        );
        // Another job has its own period.
        assert!(db.store.claim_job("prune", t0, every).await.unwrap());
        for s in stores {
            s.close().await;
        }
    })
    .await;
}
