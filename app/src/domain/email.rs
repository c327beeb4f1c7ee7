//! E-mail rules with no I/O: which addresses are accepted, the threading
//! of messages (a deterministic root `Message-ID` per incident or shift,
//! so every mail client files one conversation per thing that happened),
//! and the text of each message in the reader's language and zone, as
//! plain text and HTML. The push renderer ([`Notice::render`]) decides
//! what a notice says; this adds what a mail needs around it.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_i18n::t;

use super::notice::{Message, Notice};
/// Text into HTML element content and quoted attributes.
pub use html_escape::encode_quoted_attribute as html_escape;

/// Longest address accepted (RFC 5321's path limit less the brackets).
pub const MAX_ADDRESS: usize = 254;

/// Why an address was refused, as a sentence for the `address` field.
pub type AddressError = &'static str;

/// The address as it will be stored (trimmed; domain lowercased), or why
/// it is refused. Deliberately narrower than RFC 5322: no quoted local
/// parts, comments, display names or IP literals, nothing a header could
/// be smuggled in with; the SMTP server is the judge of the rest.
pub fn check_address(raw: &str) -> Result<String, AddressError> {
    let a = raw.trim();
    if a.is_empty() {
        return Err("is empty");
    }
    if a.len() > MAX_ADDRESS {
        return Err("is longer than 254 characters");
    }
    let Some((local, domain)) = a.rsplit_once('@') else {
        return Err("has no @");
    };
    if local.is_empty() || local.len() > 64 {
        return Err("needs 1 to 64 characters before the @");
    }
    let local_ok = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    if !local.chars().all(local_ok) || local.starts_with('.') || local.ends_with('.') {
        return Err("has characters not allowed before the @");
    }
    if local.contains("..") {
        return Err("has two dots in a row");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err("needs a domain like example.org after the @");
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// What a thread is about: every mail of one incident (its updates, the
/// speakers told their track is paused) or one shift shares it.
pub fn thread_key(notice: &Notice) -> String {
    match notice {
        Notice::Incident { incident_id, .. } | Notice::TrackPaused { incident_id, .. } => {
            format!("incident-{incident_id}")
        }
        Notice::Schedule { shift_id, .. } | Notice::SpeakerMove { shift_id, .. } => {
            format!("shift-{shift_id}")
        }
        Notice::SpeakerProposal { proposal_id, .. }
        | Notice::ProposalWithdrawn { proposal_id, .. } => format!("proposal-{proposal_id}"),
        Notice::Reminder { guid, start, .. } => format!("reminder-{guid}-{}", start.timestamp()),
    }
}

/// The `Message-ID` every mail of a thread refers to (`In-Reply-To`,
/// `References`). No mail carries it as its own id: it names the thread,
/// and clients thread by it whichever message arrived first.
pub fn thread_root_id(event_id: i64, key: &str, domain: &str) -> String {
    format!("<{key}.e{event_id}.thread@{domain}>")
}

/// The `Message-ID` of one delivery: the same on a retry, so a message
/// sent twice (at least once) is recognisably the same one.
pub fn message_id(delivery_id: i64, domain: &str) -> String {
    format!("<d{delivery_id}.mail@{domain}>")
}

/// The host of a public URL (`https://host:port/…`), for `Message-ID`s
/// and the SMTP greeting.
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    }
}

/// The absolute links a message carries.
#[derive(Debug, Clone, Default)]
pub struct MailLinks {
    /// The event page the notice is about.
    pub open: String,
    /// Change or end the subscription (subscribers only).
    pub manage: Option<String>,
    /// Confirm or decline a new slot (a speaker asked about one).
    pub answer: Option<String>,
}

/// A message's text, ready for the mail builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// When a message was sent, in the reader's zone, with the zone named.
pub fn local_stamp(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The mail for a rendered notice: its title as the subject, its body,
/// the date in the reader's zone, and the links.
pub fn compose(
    msg: &Message,
    event_name: &str,
    lang: &str,
    tz: Tz,
    sent_at: DateTime<Utc>,
    links: &MailLinks,
) -> MailText {
    let tr = |k: &str| t!(k, locale = lang).to_string();
    let stamp = t!(
        "email.sent_at",
        locale = lang,
        time = local_stamp(tz, sent_at),
        zone = tz.name()
    )
    .to_string();
    let mut text = format!(
        "{}\n\n{}\n\n{}\n{}\n",
        msg.title, msg.body, stamp, links.open
    );
    let mut html = format!(
        "<!doctype html><html lang=\"{lang}\"><body>\
         <h1 style=\"font-size:1.2em\">{}</h1><p>{}</p><p><small>{}</small></p>\
         <p><a href=\"{}\">{}</a></p>",
        html_escape(&msg.title),
        html_escape(&msg.body),
        html_escape(&stamp),
        html_escape(&links.open),
        html_escape(&tr("email.open")),
    );
    if let Some(answer) = &links.answer {
        text.push_str(&format!("\n{}:\n{answer}\n", tr("email.answer")));
        html.push_str(&format!(
            "<p><a href=\"{}\"><strong>{}</strong></a></p>",
            html_escape(answer),
            html_escape(&tr("email.answer"))
        ));
    }
    let why = t!("email.why", locale = lang, event = event_name).to_string();
    text.push_str(&format!("\n-- \n{why}\n"));
    html.push_str(&format!("<hr><p><small>{}", html_escape(&why)));
    if let Some(manage) = &links.manage {
        text.push_str(&format!("{}: {manage}\n", tr("email.manage")));
        html.push_str(&format!(
            " <a href=\"{}\">{}</a>",
            html_escape(manage),
            html_escape(&tr("email.manage"))
        ));
    }
    html.push_str("</small></p></body></html>");
    MailText {
        subject: msg.title.clone(),
        text,
        html,
    }
}

/// The double opt-in mail: the link and until when it works.
pub fn confirmation(
    event_name: &str,
    lang: &str,
    tz: Tz,
    url: &str,
    expires_at: DateTime<Utc>,
) -> MailText {
    let subject = t!("email.confirm_subject", locale = lang, event = event_name).to_string();
    let body = t!(
        "email.confirm_body",
        locale = lang,
        event = event_name,
        until = local_stamp(tz, expires_at)
    )
    .to_string();
    let ignore = t!("email.confirm_ignore", locale = lang).to_string();
    let button = t!("email.confirm_button", locale = lang).to_string();
    MailText {
        text: format!("{body}\n\n{url}\n\n{ignore}\n"),
        html: format!(
            "<!doctype html><html lang=\"{lang}\"><body><p>{}</p>\
             <p><a href=\"{}\"><strong>{}</strong></a></p><p><small>{}</small></p></body></html>",
            html_escape(&body),
            html_escape(url),
            html_escape(&button),
            html_escape(&ignore)
        ),
        subject,
    }
}

/// What the organiser's e-mail page says of the SMTP server: where mail
/// goes and how, never who logs in or with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpInfo {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls`, `opportunistic` or `none`.
    pub tls: &'static str,
    /// Whether the server is logged in to (the credentials stay unsaid).
    pub auth: bool,
    /// The sender every mail names.
    pub from: String,
    /// Connections kept open to it at most.
    pub connections: u32,
}

/// An address as an owner-only page may show it: the first character of
/// the local part, then `***`, then the domain (`a***@example.org`).
/// Enough to tell two deliveries apart, not to write to anyone.
pub fn mask_address(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// The kind of failure a stored delivery detail names, for the log: its
/// first clause (`SMTP 550; gave up` → `SMTP 550`, `unusable address:
/// …` → `unusable address`), so nothing the server quoted is shown.
pub fn error_class(detail: &str) -> String {
    let first = detail.split(';').next().unwrap_or_default();
    let first = first.split(':').next().unwrap_or_default();
    first.trim().chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn plain_addresses_pass_and_the_domain_is_lowercased() {
        assert_eq!(
            check_address("  Ada.L+talks@Example.ORG "),
            Ok("Ada.L+talks@example.org".into())
        );
        assert_eq!(check_address("a@b.co"), Ok("a@b.co".into()));
    }

    #[test]
    fn addresses_that_could_smuggle_headers_or_are_malformed_are_refused() {
        for bad in [
            "",
            "no-at.example.org",
            "@example.org",
            "a@localhost",
            "a@-x.org",
            "a@x..org",
            "a..b@x.org",
            ".a@x.org",
            "a b@x.org",
            "a@x.org\r\nBcc: v@x.org",
            "\"quoted\"@x.org",
            "Name <a@x.org>",
            "a,b@x.org",
            "a@[127.0.0.1]",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@x.org", "a".repeat(65));
        assert!(check_address(&long).is_err());
        let huge = format!("a@{}.org", "b.".repeat(130));
        assert!(check_address(&huge).is_err());
    }

    fn incident(id: i64) -> Notice {
        Notice::Incident {
            event: "conf".into(),
            incident_id: id,
            name: "Streams down".into(),
            status: "investigating".into(),
            body: "Looking".into(),
        }
    }

    #[test]
    fn one_incident_is_one_thread_and_its_paused_speakers_share_it() {
        let paused = Notice::TrackPaused {
            event: "conf".into(),
            incident_id: 7,
            incident: "Streams down".into(),
            talks: vec![],
        };
        assert_eq!(thread_key(&incident(7)), thread_key(&paused));
        assert_ne!(thread_key(&incident(7)), thread_key(&incident(8)));
        assert_eq!(
            thread_root_id(3, &thread_key(&incident(7)), "m.example"),
            "<incident-7.e3.thread@m.example>"
        );
        assert_ne!(message_id(1, "m.example"), message_id(2, "m.example"));
    }

    #[test]
    fn the_host_of_a_public_url_names_the_mail_domain() {
        assert_eq!(
            url_host("https://status.example.org/x"),
            "status.example.org"
        );
        assert_eq!(url_host("http://127.0.0.1:3311"), "127.0.0.1");
        assert_eq!(url_host("http://[::1]:80/"), "::1");
    }

    #[test]
    fn a_message_is_translated_dated_in_the_readers_zone_and_escaped() {
        let msg = Message {
            kind: "incident",
            title: "<b>Streams</b> down".into(),
            body: "Investigating & fixing".into(),
            tag: "incident-1".into(),
            url: "/e/conf/status".into(),
            lang: "fr".into(),
            shift_id: None,
            proposal_id: None,
            actions: vec![],
        };
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 16, 5, 0).unwrap();
        let links = MailLinks {
            open: "https://m.example/e/conf/status".into(),
            manage: Some("https://m.example/email/manage/t".into()),
            answer: None,
        };
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let m = compose(&msg, "Conf", "fr", tz, at, &links);
        assert_eq!(m.subject, "<b>Streams</b> down");
        assert!(m.text.contains("2026-12-01 17:05 CET"), "{}", m.text);
        assert!(m.text.contains("https://m.example/email/manage/t"));
        assert!(m.html.contains("&lt;b&gt;Streams&lt;/b&gt;"));
        assert!(!m.html.contains("<b>Streams"));
        assert!(m.html.contains("Investigating &amp; fixing"));
        let en = compose(&msg, "Conf", "en", tz, at, &links);
        assert_ne!(en.text, m.text, "the footer is translated");
    }

    #[test]
    fn the_confirmation_names_the_event_the_link_and_its_expiry() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap();
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let m = confirmation("Conf", "zh", tz, "https://m.example/email/confirm/x", at);
        assert!(m.subject.contains("Conf"));
        assert!(m.text.contains("https://m.example/email/confirm/x"));
        assert!(m.text.contains("2026-12-03 16:00 CST"), "{}", m.text);
    }

    #[test]
    fn the_board_shows_a_masked_address_and_the_class_of_an_error_only() {
        assert_eq!(mask_address("alice@example.org"), "a***@example.org");
        assert_eq!(mask_address("ж@пример.рф"), "ж***@пример.рф");
        assert_eq!(mask_address("broken"), "***");
        assert!(!mask_address("alice@example.org").contains("alice"));
        assert_eq!(error_class("SMTP 550; gave up"), "SMTP 550");
        assert_eq!(
            error_class("unusable address: Invalid email user"),
            "unusable address"
        );
        assert_eq!(error_class("timeout"), "timeout");
    }
}
