//! `marquee vapid show|rotate`: the public half only ever reaches the
//! terminal; the private half stays in the database.

use app::store::Store;

use super::CliResult;
use crate::push::vapid;

pub async fn show(store: &Store) -> CliResult {
    let key = vapid::ensure_key(store).await?;
    println!("{}", key.public_key);
    eprintln!(
        "VAPID key {} made {}",
        key.id,
        key.created_at.format("%Y-%m-%d %H:%M UTC")
    );
    Ok(())
}

pub async fn rotate(store: &Store) -> CliResult {
    let key = vapid::rotate(store).await?;
    println!("{}", key.public_key);
    eprintln!(
        "new VAPID key {}: browsers re-subscribe with it when they next open a page; \
         existing subscriptions are still signed with the key they were made with",
        key.id
    );
    Ok(())
}
