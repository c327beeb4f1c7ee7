//! `marquee user add` and `marquee token create`.

use std::io::{BufRead, IsTerminal};

use app::auth::{hash_password, new_token};
use app::store::Store;

use super::{CliError, CliResult};

pub async fn add_user(store: &Store, email: &str, password_stdin: bool) -> CliResult {
    if !email.contains('@') || email.len() > 254 {
        return Err(CliError::Input(format!(
            "EMAIL: {email:?} is not an email address"
        )));
    }
    let password = if password_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Failed(format!("reading the password from stdin: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let p = rpassword::prompt_password("Password: ")
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let again =
            rpassword::prompt_password("Again: ").map_err(|e| CliError::Failed(e.to_string()))?;
        if p != again {
            return Err(CliError::Input(
                "the two passwords differ; nothing was saved".into(),
            ));
        }
        p
    };
    let hash = hash_password(&password)?;
    store
        .add_user(&email.to_lowercase(), &hash)
        .await
        .map_err(|e| match e {
            app::error::AppError::Conflict(_) => {
                CliError::Input(format!("user {email} already exists"))
            }
            other => other.into(),
        })?;
    println!("organiser {email} added");
    Ok(())
}

pub async fn create_token(store: &Store, name: &str) -> CliResult {
    if name.trim().is_empty() {
        return Err(CliError::Input("--name: must not be empty".into()));
    }
    let (plain, hash) = new_token("mq");
    store.create_api_token(name.trim(), &hash).await?;
    // The only time the token is ever shown: it is stored hashed.
    println!("{plain}");
    eprintln!(
        "token {name:?} created; use it as `Authorization: Bearer <token>`. It is not shown again."
    );
    Ok(())
}

pub async fn speaker_links(
    store: &Store,
    event: &str,
    only: Option<&str>,
    public_url: &str,
) -> CliResult {
    let schedule = store
        .load_schedule(event)
        .await?
        .ok_or_else(|| CliError::Input(format!("--event: no event {event:?}")))?;
    let speakers: Vec<_> = schedule
        .speakers
        .iter()
        .filter(|s| only.is_none_or(|k| s.key == k))
        .collect();
    if speakers.is_empty() {
        return Err(CliError::Input(format!(
            "--speaker: no speaker {:?} in {event:?}",
            only.unwrap_or("")
        )));
    }
    for s in speakers {
        let (plain, hash) = new_token("sp");
        store.issue_speaker_link(event, &s.key, &hash).await?;
        println!("{}\t{}/s/{plain}", s.name, public_url.trim_end_matches('/'));
    }
    eprintln!("links issued; earlier links of these speakers no longer work");
    Ok(())
}
