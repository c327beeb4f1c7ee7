//! Outgoing webhooks: what an organiser may configure, which notices each
//! one hears of, the text a chat shows and the JSON each preset speaks.
//! Pure: the server signs, sends and stores; `now` and the public URL are
//! passed in.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_i18n::t;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::notice::Notice;
use super::push::Audience;
use super::status::IncidentStatus;

/// The wire format a webhook speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Standard Webhooks: a JSON event, signed (`webhook-signature`).
    Standard,
    /// Slack incoming webhook: `text` and `blocks`.
    Slack,
    /// Discord webhook: `content` and `embeds`.
    Discord,
    /// Mattermost incoming webhook: `text`.
    Mattermost,
    /// Telegram Bot API `sendMessage` to a chat.
    Telegram,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Standard,
        Preset::Slack,
        Preset::Discord,
        Preset::Mattermost,
        Preset::Telegram,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Standard => "standard",
            Preset::Slack => "slack",
            Preset::Discord => "discord",
            Preset::Mattermost => "mattermost",
            Preset::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a webhook may be told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    Incidents,
    Maintenance,
    /// Applied shifts and re-planning changes (what attendees are told).
    Changes,
    /// A speaker confirmed or declined a new slot (for the team's chat).
    SpeakerAnswers,
}

impl WebhookKind {
    pub const ALL: [WebhookKind; 4] = [
        WebhookKind::Incidents,
        WebhookKind::Maintenance,
        WebhookKind::Changes,
        WebhookKind::SpeakerAnswers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Incidents => "incidents",
            WebhookKind::Maintenance => "maintenance",
            WebhookKind::Changes => "changes",
            WebhookKind::SpeakerAnswers => "speaker_answers",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookKind> {
        WebhookKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What one delivery carries (stored as JSON in `webhook_delivery`): a
/// notice of the outbox, a speaker's answer, or the organiser's test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Payload {
    Notice { notice: Notice },
    SpeakerAnswer(SpeakerAnswer),
    Test { event: String },
}

/// A speaker's answer to a moved slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerAnswer {
    pub event: String,
    pub speaker: String,
    pub title: String,
    /// `confirmed` or `declined`.
    pub answer: String,
    /// Set when the answer is to a proposal (not yet public) rather than
    /// to an applied change; the chat links to the proposal's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<i64>,
}

/// Which kind a notice of the outbox is, for webhooks; `None` for what
/// is addressed to one person (a speaker's own question or reminder),
/// which never goes to a shared channel.
pub fn kind_of(notice: &Notice) -> Option<WebhookKind> {
    match notice {
        Notice::Incident { status, .. } => Some(
            if status == super::status::CANCELLED
                || IncidentStatus::parse(status).is_some_and(IncidentStatus::is_maintenance)
            {
                WebhookKind::Maintenance
            } else {
                WebhookKind::Incidents
            },
        ),
        Notice::Schedule { .. } => Some(WebhookKind::Changes),
        Notice::SpeakerMove { .. }
        | Notice::SpeakerProposal { .. }
        | Notice::ProposalWithdrawn { .. }
        | Notice::Reminder { .. }
        | Notice::TrackPaused { .. } => None,
    }
}

impl Payload {
    pub fn kind(&self) -> Option<WebhookKind> {
        match self {
            Payload::Notice { notice } => kind_of(notice),
            Payload::SpeakerAnswer(_) => Some(WebhookKind::SpeakerAnswers),
            Payload::Test { .. } => None,
        }
    }

    /// The Standard Webhooks `type` of the event.
    pub fn event_type(&self) -> &'static str {
        match self.kind() {
            Some(WebhookKind::Incidents) => "incident.updated",
            Some(WebhookKind::Maintenance) => "maintenance.updated",
            Some(WebhookKind::Changes) => "schedule.changed",
            Some(WebhookKind::SpeakerAnswers) => "speaker.answered",
            None => "webhook.test",
        }
    }
}

/// What a chat shows: a title, a line of text and a link to the public
/// page, in one language and time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatText {
    pub title: String,
    pub body: String,
    pub url: String,
}

impl ChatText {
    /// Plain text, one item per line.
    pub fn plain(&self) -> String {
        [&self.title, &self.body, &self.url]
            .into_iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The text of `payload` in `lang`, times in `tz`; a shared channel hears
/// of every track. `public_url` has no trailing slash.
pub fn chat_text(payload: &Payload, lang: &str, tz: Tz, public_url: &str) -> Option<ChatText> {
    match payload {
        Payload::Notice { notice } => {
            let everyone = Audience {
                all_tracks: true,
                ..Audience::default()
            };
            let m = notice.render(&everyone, lang, tz)?;
            Some(ChatText {
                title: m.title,
                body: m.body,
                url: format!("{public_url}{}", m.url),
            })
        }
        Payload::SpeakerAnswer(a) => Some(ChatText {
            title: t!(
                format!("webhook.answer_{}", a.answer),
                locale = lang,
                speaker = a.speaker
            )
            .to_string(),
            body: a.title.clone(),
            url: match a.proposal {
                Some(id) => format!("{public_url}/admin/e/{}/proposals/{id}", a.event),
                None => format!("{public_url}/admin/e/{}", a.event),
            },
        }),
        Payload::Test { event } => Some(ChatText {
            title: t!("webhook.test_title", locale = lang).to_string(),
            body: t!("webhook.test_body", locale = lang).to_string(),
            url: format!("{public_url}/e/{event}/status"),
        }),
    }
}

/// Characters `&`, `<`, `>` escaped, as Slack's mrkdwn and Telegram's
/// HTML mode both require of plain text.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text cut to `max` characters (a chat refuses longer fields).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// The request body `preset` sends. `chat_id` is Telegram's.
pub fn body_for(
    preset: Preset,
    payload: &Payload,
    text: &ChatText,
    chat_id: &str,
    now: DateTime<Utc>,
) -> Value {
    match preset {
        Preset::Standard => json!({
            "type": payload.event_type(),
            "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": {
                "title": text.title,
                "text": text.body,
                "url": text.url,
                "payload": payload,
            },
        }),
        Preset::Slack => {
            let mrkdwn = format!(
                "*{}*\n{}\n<{}>",
                escape_html(&text.title),
                escape_html(&text.body),
                text.url
            );
            json!({
                "text": text.plain(),
                "blocks": [{
                    "type": "section",
                    "text": { "type": "mrkdwn", "text": cut(&mrkdwn, 3000) },
                }],
            })
        }
        Preset::Discord => json!({
            "content": cut(&text.plain(), 2000),
            "embeds": [{
                "title": cut(&text.title, 256),
                "description": cut(&text.body, 4096),
                "url": text.url,
                "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }],
            // A title never pings a whole server (`@everyone` in it).
            "allowed_mentions": { "parse": [] },
        }),
        Preset::Mattermost => json!({ "text": text.plain() }),
        Preset::Telegram => json!({
            "chat_id": chat_id,
            "text": cut(&format!(
                "<b>{}</b>\n{}\n<a href=\"{}\">{}</a>",
                escape_html(&text.title),
                escape_html(&text.body),
                escape_html(&text.url),
                escape_html(&text.url)
            ), 4096),
            "parse_mode": "HTML",
        }),
    }
}

/// Attempts per delivery before it is given up.
pub const MAX_ATTEMPTS: i64 = 6;

/// When to try again after a failed attempt (`attempts` counts it):
/// `base` seconds, doubling each time, at most an hour; `None` when the
/// delivery is given up.
pub fn retry_delay(attempts: i64, base: i64) -> Option<i64> {
    (attempts < MAX_ATTEMPTS).then(|| {
        base.max(1)
            .saturating_mul(1 << (attempts - 1).clamp(0, 20))
            .min(3600)
    })
}

/// What an organiser asked for, before it is checked.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WebhookInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub preset: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default)]
    pub lang: String,
    /// Telegram: the chat (a number, or `@channel`).
    #[serde(default)]
    pub chat_id: String,
    /// Telegram: the bot's token (a secret, like a signing key).
    #[serde(default)]
    pub bot_token: String,
}

/// A checked webhook (its URL is checked by the caller, which parses it
/// as its HTTP client does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidWebhook {
    pub name: String,
    /// Empty for Telegram: its URL is made from the bot token.
    pub url: String,
    pub preset: Preset,
    pub kinds: Vec<WebhookKind>,
    pub lang: String,
    pub chat_id: String,
    pub bot_token: String,
}

/// Why a webhook was refused: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        field,
        message: message.into(),
    }
}

/// Checks everything but the URL's target.
pub fn validate(input: &WebhookInput) -> Result<ValidWebhook, Refused> {
    let preset = Preset::parse(input.preset.trim()).ok_or_else(|| {
        refuse(
            "preset",
            "must be one of standard, slack, discord, mattermost, telegram",
        )
    })?;
    let mut kinds = Vec::new();
    for k in &input.kinds {
        let kind = WebhookKind::parse(k.trim()).ok_or_else(|| {
            refuse(
                "kinds",
                format!("{k:?} is not one of incidents, maintenance, changes, speaker_answers"),
            )
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(refuse("kinds", "choose at least one kind"));
    }
    kinds.sort();
    let name = input.name.trim();
    if name.chars().count() > 100 {
        return Err(refuse("name", "longer than 100 characters"));
    }
    let lang = match input.lang.trim() {
        "" => "en",
        l => crate::i18n::supported(l).ok_or_else(|| refuse("lang", "must be en, ru, zh or fr"))?,
    };
    let (url, chat_id, bot_token) = if preset == Preset::Telegram {
        let token = input.bot_token.trim();
        let ok = token.split_once(':').is_some_and(|(id, key)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !ok {
            return Err(refuse(
                "bot_token",
                "is not a Telegram bot token (123456:ABC…)",
            ));
        }
        let chat = input.chat_id.trim();
        let chat_ok = chat
            .strip_prefix('-')
            .unwrap_or(chat)
            .parse::<u64>()
            .is_ok()
            || chat.strip_prefix('@').is_some_and(|c| {
                c.len() >= 4 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if !chat_ok {
            return Err(refuse(
                "chat_id",
                "must be a chat number or an @channel name",
            ));
        }
        (String::new(), chat.to_owned(), token.to_owned())
    } else {
        let url = input.url.trim();
        if url.is_empty() {
            return Err(refuse("url", "is required"));
        }
        if url.len() > 2048 {
            return Err(refuse("url", "longer than 2048 characters"));
        }
        (url.to_owned(), String::new(), String::new())
    };
    Ok(ValidWebhook {
        name: name.to_owned(),
        url,
        preset,
        kinds,
        lang: lang.to_owned(),
        chat_id,
        bot_token,
    })
}

#[cfg(test)]
mod tests;
