//! `marquee user add|list|remove|grant|revoke`, `marquee token
//! create|list|revoke` and `marquee speaker link`.

use std::io::{BufRead, IsTerminal};

use app::auth::{hash_password, new_token};
use app::domain::access::Role;
use app::error::AppError;
use app::store::{NewApiToken, Store};
use chrono::{DateTime, TimeDelta, Utc};

use super::{CliError, CliResult};

pub async fn add_user(store: &Store, email: &str, password_stdin: bool, admin: bool) -> CliResult {
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
    let email = email.to_lowercase();
    store
        .add_user_as(&email, &hash, admin)
        .await
        .map_err(|e| match e {
            AppError::Conflict(_) => CliError::Input(format!("user {email} already exists")),
            other => other.into(),
        })?;
    let admin = store
        .list_users()
        .await?
        .iter()
        .any(|u| u.email == email && u.admin);
    if admin {
        println!("organiser {email} added (admin: may do everything on every event)");
    } else {
        println!(
            "organiser {email} added; they act only where granted a role (`marquee user grant {email} --event E --role R`)"
        );
    }
    Ok(())
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%MZ").to_string())
        .unwrap_or_else(|| "-".into())
}

pub async fn list_users(store: &Store) -> CliResult {
    println!("email\tadmin\troles\tcreated");
    for u in store.list_users().await? {
        let roles: Vec<String> = u
            .memberships
            .iter()
            .map(|(event, role)| format!("{event}:{role}"))
            .collect();
        println!(
            "{}\t{}\t{}\t{}",
            u.email,
            if u.admin { "yes" } else { "no" },
            if roles.is_empty() {
                "-".into()
            } else {
                roles.join(",")
            },
            when(Some(u.created_at))
        );
    }
    Ok(())
}

pub async fn remove_user(store: &Store, email: &str) -> CliResult {
    let email = email.to_lowercase();
    if !store.remove_user(&email).await? {
        return Err(CliError::Input(format!("EMAIL: no user {email}")));
    }
    println!("organiser {email} removed; their sessions have ended");
    Ok(())
}

pub async fn grant(store: &Store, email: &str, event: &str, role: Role) -> CliResult {
    let email = email.to_lowercase();
    store.grant_role(&email, event, role).await?;
    println!("{email} is now {role} of {event:?}");
    let admin = store
        .list_users()
        .await?
        .iter()
        .any(|u| u.email == email && u.admin);
    if admin {
        eprintln!("note: {email} is an admin, and may still do everything on every event");
    }
    Ok(())
}

pub async fn revoke(store: &Store, email: &str, event: &str) -> CliResult {
    let email = email.to_lowercase();
    if store.revoke_role(&email, event).await? {
        println!("{email} has no role on {event:?} any more");
    } else {
        println!("{email} had no role on {event:?}; nothing changed");
    }
    Ok(())
}

pub async fn create_token(
    store: &Store,
    name: &str,
    event: Option<String>,
    role: Option<Role>,
    expires: Option<TimeDelta>,
) -> CliResult {
    if name.trim().is_empty() {
        return Err(CliError::Input("--name: must not be empty".into()));
    }
    let (plain, hash) = new_token("mq");
    let expires_at = expires.map(|d| Utc::now() + d);
    store
        .create_limited_api_token(&NewApiToken {
            name: name.trim().to_owned(),
            token_hash: hash,
            event: event.clone(),
            role,
            expires_at,
        })
        .await
        .map_err(|e| match e {
            AppError::Invalid { message, .. } => CliError::Input(format!("--event: {message}")),
            other => other.into(),
        })?;
    // The only time the token is ever shown: it is stored hashed.
    println!("{plain}");
    let scope = match (&event, role) {
        (None, None) => "everything on every event".to_owned(),
        (None, Some(r)) => format!("what a {r} may, on every event"),
        (Some(e), r) => format!("what a {} may, on {e:?} only", r.unwrap_or(Role::Owner)),
    };
    let until = expires_at
        .map(|t| format!(", until {}", when(Some(t))))
        .unwrap_or_default();
    eprintln!(
        "token {name:?} created ({scope}{until}); use it as `Authorization: Bearer <token>`. It is not shown again."
    );
    Ok(())
}

pub async fn list_tokens(store: &Store) -> CliResult {
    let now = Utc::now();
    println!("id\tname\tevent\trole\tcreated\tlast used\texpires\tstate");
    for t in store.list_api_tokens().await? {
        let state = match (t.revoked_at, t.is_live(now)) {
            (Some(_), _) => "revoked",
            (None, false) => "expired",
            (None, true) => "live",
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{state}",
            t.api_token_id,
            t.name,
            t.event.as_deref().unwrap_or("*"),
            t.role.map(Role::as_str).unwrap_or("*"),
            when(Some(t.created_at)),
            when(t.last_used_at),
            when(t.expires_at),
        );
    }
    Ok(())
}

pub async fn revoke_token(store: &Store, id_or_name: &str) -> CliResult {
    let t = store.revoke_api_token(id_or_name, Utc::now()).await?;
    println!(
        "token {} ({:?}) revoked; it no longer opens the API",
        t.api_token_id, t.name
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
