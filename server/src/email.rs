//! Mail: the SMTP transport (lettre, a pool of connections) built from
//! `MARQUEE_SMTP_URL`, the building of each message (multipart text and
//! HTML, threading headers, RFC 8058 one-click unsubscribe), and the
//! outbox worker in `email/worker.rs`.

pub mod worker;

use std::time::Duration;

use app::domain::email::{MailText, SmtpInfo, url_host};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::EmailArgs;

/// The sender used when `MARQUEE_MAIL_FROM` is empty.
const DEFAULT_FROM: &str = "Marquee <marquee@localhost.invalid>";

/// How long one SMTP exchange (connecting, or one message) may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// What sends mail: the transport and who it is from. Cheap to clone
/// (the pool is shared).
#[derive(Clone)]
pub struct Mailer {
    /// lettre's pool, for a mail now and then (confirmations).
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// How to open a connection of one's own, for the outbox worker's
    /// lanes ([`Mailer::send_on`]).
    server: Server,
    from: Mailbox,
    /// Host of the public URL: the right side of every `Message-ID`.
    pub domain: String,
    /// What the organiser's e-mail page may say of the server (no
    /// credentials).
    info: SmtpInfo,
}

/// Where and how a connection is opened (no `Debug`: it holds the
/// credentials).
#[derive(Clone)]
struct Server {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
}

/// A connection one sender keeps for itself ([`Mailer::send_on`]).
pub type Connection = AsyncSmtpConnection;

/// A message to one address.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub text: &'a MailText,
    pub message_id: String,
    /// The thread's root id: `In-Reply-To` and `References`.
    pub thread: Option<String>,
    /// The one-click unsubscribe URL (subscribers only).
    pub unsubscribe: Option<&'a str>,
    /// The reader's zone: the `Date` header is written in it.
    pub tz: Tz,
    pub date: DateTime<Utc>,
}

/// Why a mail was not sent: `permanent` when retrying cannot help (the
/// server refused the recipient for good, or the address is unusable).
#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub detail: String,
}

impl Mailer {
    /// The mailer the configuration asks for; `None` when no SMTP server is
    /// configured (e-mail is then off). Errors name what is wrong in the
    /// URL, never the URL itself (it holds the password).
    pub fn from_args(args: &EmailArgs, public_url: &str) -> Result<Option<Mailer>, String> {
        let Some(raw) = args.smtp_url.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let url = url::Url::parse(raw).map_err(|e| format!("MARQUEE_SMTP_URL: {e}"))?;
        let host = url
            .host_str()
            .ok_or("MARQUEE_SMTP_URL: no host")?
            .trim_matches(['[', ']'])
            .to_owned();
        let tls_mode = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params =
            || TlsParameters::new(host.clone()).map_err(|e| format!("MARQUEE_SMTP_URL: TLS: {e}"));
        let (tls, port, tls_name) = match (url.scheme(), tls_mode.as_deref()) {
            ("smtps", None | Some("wrapper")) => (Tls::Wrapper(params()?), 465, "tls"),
            ("smtp", None | Some("starttls" | "required")) => {
                (Tls::Required(params()?), 587, "starttls")
            }
            ("smtp", Some("opportunistic")) => {
                (Tls::Opportunistic(params()?), 587, "opportunistic")
            }
            ("smtp", Some("none")) => (Tls::None, 25, "none"),
            (scheme, tls) => {
                return Err(format!(
                    "MARQUEE_SMTP_URL: scheme {scheme:?} with tls={tls:?}: use smtp:// (tls=starttls, \
                     opportunistic or none) or smtps://"
                ));
            }
        };
        let port = url.port().unwrap_or(port);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls.clone())
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(args.mail_connections.max(1)));
        let mut credentials = None;
        if !url.username().is_empty() {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| "MARQUEE_SMTP_URL: user or password is not UTF-8".to_owned())
            };
            let c = Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            );
            builder = builder.credentials(c.clone());
            credentials = Some(c);
        }
        let from = if args.mail_from.is_empty() {
            DEFAULT_FROM
        } else {
            &args.mail_from
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("MARQUEE_MAIL_FROM {from:?}: {e}"))?;
        let server = Server {
            host: host.clone(),
            port,
            tls,
            credentials,
        };
        let info = SmtpInfo {
            host,
            port,
            tls: tls_name,
            auth: !url.username().is_empty(),
            from: from.to_string(),
            connections: args.mail_connections.max(1),
        };
        Ok(Some(Mailer {
            transport: builder.build(),
            server,
            from,
            domain: url_host(public_url).to_owned(),
            info,
        }))
    }

    /// Where mail goes and how, for the organiser's page.
    pub fn info(&self) -> &SmtpInfo {
        &self.info
    }

    /// Sends one message over lettre's pool and waits for the server's
    /// answer.
    pub async fn send(&self, m: Outgoing<'_>) -> Result<(), SendError> {
        let mail = self.build(m)?;
        self.transport
            .send(mail)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                detail: smtp_detail(&e),
            })
    }

    /// Opens a connection of one's own (TLS and login as configured).
    async fn connect(&self) -> Result<Connection, SendError> {
        let s = &self.server;
        let hello = ClientId::default();
        let mut conn = match &s.tls {
            Tls::Wrapper(p) => AsyncSmtpConnection::connect_tokio1(
                (s.host.as_str(), s.port),
                Some(SMTP_TIMEOUT),
                &hello,
                Some(p.clone()),
                None,
            )
            .await
            .map_err(|e| send_error(&e))?,
            _ => {
                // lettre leaves Nagle's algorithm on, and it ends each
                // message with a second small write ("\r\n.\r\n") that
                // then waits for the server's delayed ACK (40 ms on
                // Linux): about 25 mails a second per connection, whatever
                // the machine. So the socket is opened here, without it.
                let tcp = tokio::net::TcpStream::connect((s.host.as_str(), s.port))
                    .await
                    .map_err(|e| SendError {
                        permanent: false,
                        detail: format!("connecting: {}", e.kind()),
                    })?;
                let _ = tcp.set_nodelay(true);
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
                    .await
                    .map_err(|e| send_error(&e))?
            }
        };
        match &s.tls {
            Tls::Opportunistic(p) if conn.can_starttls() => conn
                .starttls(p.clone(), &hello)
                .await
                .map_err(|e| send_error(&e))?,
            Tls::Required(p) => conn
                .starttls(p.clone(), &hello)
                .await
                .map_err(|e| send_error(&e))?,
            _ => {}
        }
        if let Some(c) = &s.credentials {
            conn.auth(DEFAULT_MECHANISMS, c)
                .await
                .map_err(|e| send_error(&e))?;
        }
        Ok(conn)
    }

    /// Sends one message over `conn`, the caller's own connection (opened
    /// when `None`, dropped when it broke). Unlike lettre's pool this does
    /// not test a kept connection with a NOOP before each message (a round
    /// trip per mail); a kept connection the server closed in between is
    /// noticed by the send failing without an SMTP reply, and the message
    /// goes once more over a new one.
    pub async fn send_on(
        &self,
        conn: &mut Option<Connection>,
        m: Outgoing<'_>,
    ) -> Result<(), SendError> {
        let mail = self.build(m)?;
        let envelope = mail.envelope().clone();
        let bytes = mail.formatted();
        for first in [true, false] {
            let kept = conn.is_some();
            let c = match conn {
                Some(c) => c,
                None => {
                    let fresh = tokio::time::timeout(SMTP_TIMEOUT, self.connect())
                        .await
                        .map_err(|_| lettre_timeout())??;
                    conn.insert(fresh)
                }
            };
            let sent = tokio::time::timeout(SMTP_TIMEOUT, c.send(&envelope, &bytes)).await;
            let e = match sent {
                Ok(Ok(_)) => return Ok(()),
                Ok(Err(e)) => e,
                Err(_) => {
                    // Timed out mid-exchange: the connection is in an
                    // unknown state.
                    if let Some(mut c) = conn.take() {
                        c.abort().await;
                    }
                    return Err(lettre_timeout());
                }
            };
            if c.has_broken() {
                *conn = None;
            }
            if !(first && kept && e.status().is_none()) {
                return Err(send_error(&e));
            }
        }
        Err(SendError {
            permanent: false,
            detail: "SMTP connection failed".into(),
        })
    }

    /// The message as lettre builds it.
    fn build(&self, m: Outgoing<'_>) -> Result<lettre::Message, SendError> {
        let to: Mailbox = m.to.parse().map_err(|e| SendError {
            permanent: true,
            detail: format!("unusable address: {e}"),
        })?;
        let mut b = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.text.subject.clone())
            .message_id(Some(m.message_id));
        if let Some(root) = m.thread {
            b = b.in_reply_to(root.clone()).references(root);
        }
        if let Some(url) = m.unsubscribe {
            b = b
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let mut mail = b
            .multipart(MultiPart::alternative_plain_html(
                m.text.text.clone(),
                m.text.html.clone(),
            ))
            .map_err(|e| SendError {
                permanent: true,
                detail: format!("message: {e}"),
            })?;
        // In the reader's zone (RFC 5322 allows any offset): a client that
        // shows the raw header shows their time.
        let date = m.date.with_timezone(&m.tz).to_rfc2822();
        mail.headers_mut().remove_raw("Date");
        mail.headers_mut()
            .insert_raw(HeaderValue::dangerous_new_pre_encoded(
                HeaderName::new_from_ascii_str("Date"),
                date.clone(),
                date,
            ));
        Ok(mail)
    }
}

fn send_error(e: &lettre::transport::smtp::Error) -> SendError {
    SendError {
        permanent: e.is_permanent(),
        detail: smtp_detail(e),
    }
}

fn lettre_timeout() -> SendError {
    SendError {
        permanent: false,
        detail: "timeout".into(),
    }
}

/// The SMTP error without the address (lettre's text can quote the
/// server's reply, which may repeat the recipient).
fn smtp_detail(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("SMTP {code}"),
        None if e.is_timeout() => "timeout".into(),
        None if e.is_permanent() => "permanent SMTP error".into(),
        None => "SMTP connection failed".into(),
    }
}
