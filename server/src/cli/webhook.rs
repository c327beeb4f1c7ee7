//! `marquee webhook add|list|remove|test`: the same checks and store as
//! the API. `test` only queues the message: the running server sends it.

use std::io::Read;

use app::domain::address::OutboundPolicy;
use app::domain::webhook::WebhookInput;
use app::store::Store;

use super::{CliError, CliResult};
use crate::config::WebhookCommand;

pub async fn run(store: Store, command: WebhookCommand) -> CliResult {
    let now = chrono::Utc::now();
    match command {
        WebhookCommand::Add {
            event,
            preset,
            url,
            kinds,
            name,
            lang,
            chat_id,
            bot_token_stdin,
            allow_loopback,
        } => {
            let mut bot_token = String::new();
            if bot_token_stdin {
                std::io::stdin()
                    .read_to_string(&mut bot_token)
                    .map_err(|e| CliError::Input(format!("reading the bot token: {e}")))?;
            }
            let input = WebhookInput {
                name,
                url,
                preset,
                kinds: kinds
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect(),
                lang,
                chat_id,
                bot_token: bot_token.trim().to_owned(),
            };
            let policy = OutboundPolicy { allow_loopback };
            let made =
                crate::services::webhook::create(&store, policy, &event, &input, now).await?;
            println!("{}", made.webhook.id);
            if let Some(secret) = made.signing_secret {
                println!("{secret}");
                eprintln!("the signing secret is shown this once; keep it with the receiver");
            }
            Ok(())
        }
        WebhookCommand::List { event } => {
            for h in store.list_webhooks(&event).await? {
                let kinds: Vec<&str> = h.kinds.iter().map(|k| k.as_str()).collect();
                let state = if h.enabled {
                    "on".to_owned()
                } else {
                    format!("off ({})", h.disabled_reason.unwrap_or_default())
                };
                let target = if h.url.is_empty() {
                    format!("telegram chat {}", h.chat_id)
                } else {
                    h.url
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    h.id,
                    h.preset.as_str(),
                    target,
                    kinds.join(","),
                    state,
                    h.name
                );
            }
            Ok(())
        }
        WebhookCommand::Remove { event, id } => {
            store.remove_webhook(&event, id).await?;
            eprintln!("webhook {id} removed");
            Ok(())
        }
        WebhookCommand::Test { event, id } => {
            store
                .queue_webhook_test(&event, id, &crate::services::webhook::new_msg_id(), now)
                .await?;
            eprintln!("test message queued for webhook {id}; the running server sends it");
            Ok(())
        }
    }
}
