//! The mail worker: fans notices of the outbox out to subscribers and
//! speakers, sends due mails over the SMTP pool with bounded concurrency,
//! and records each attempt. As for push, all state is in the database
//! (leases, cursors, states): a crash loses nothing, and a mail in flight
//! at a crash is sent again (with the same `Message-ID`).

use std::collections::HashMap;
use std::time::Duration;

use app::auth::new_token;
use app::domain::email::{MailLinks, compose, message_id, thread_key, thread_root_id};
use app::domain::notice::Notice;
use app::domain::push::DeliveryState;
use app::error::Result;
use app::state::AppState;
use app::store::{DueEmail, EmailOutcome, EmailRecipient, NewEmailLink};
use chrono::Utc;
use futures_util::StreamExt;

use super::{Connection, Mailer, Outgoing};
use crate::config::EmailArgs;

/// Subscribers looked at per fan-out step.
const FANOUT_BATCH: i64 = 5000;
/// Outcomes are recorded at least this often, or every `RECORD_CHUNK`.
const RECORD_EVERY: Duration = Duration::from_millis(50);
const RECORD_CHUNK: usize = 256;
/// A mail the server keeps refusing for a while is given up after this
/// many attempts.
const MAX_ATTEMPTS: i64 = 8;

pub struct EmailWorker {
    state: AppState,
    mailer: Mailer,
    args: EmailArgs,
    token: String,
    /// One SMTP connection per lane (`MARQUEE_MAIL_CONNECTIONS` lanes),
    /// kept from batch to batch: each lane sends its mails one after the
    /// other over its own connection, with no NOOP in between.
    lanes: Vec<tokio::sync::Mutex<Option<Connection>>>,
}

/// A mail ready to go, or what became of it without sending.
enum Prepared {
    Send {
        to: String,
        text: app::domain::email::MailText,
        thread: String,
        unsubscribe: Option<String>,
        tz: chrono_tz::Tz,
    },
    Done(DeliveryState, String),
}

impl EmailWorker {
    pub fn new(state: AppState, mailer: Mailer, args: EmailArgs) -> EmailWorker {
        let lanes = (0..args.mail_connections.max(1))
            .map(|_| tokio::sync::Mutex::new(None))
            .collect();
        EmailWorker {
            state,
            mailer,
            args,
            token: uuid::Uuid::new_v4().to_string(),
            lanes,
        }
    }

    /// Runs until `stop` resolves, then releases what it did not send.
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        let stop = futures_util::FutureExt::shared(Box::pin(stop));
        loop {
            if stop.peek().is_some() {
                break;
            }
            let busy = match self.step().await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "mail worker step failed");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = self.state.email_wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.clone() => {}
                }
            }
        }
        if let Err(e) = self
            .state
            .store
            .release_email_leases(&self.token, Utc::now())
            .await
        {
            tracing::warn!(error = %e, "mail leases not released; they expire");
        }
    }

    /// One round: a fan-out step and one batch of sends. True when there
    /// was work.
    pub async fn step(&self) -> Result<bool> {
        let store = &self.state.store;
        let now = Utc::now();
        let fanned = store.email_fan_out_step(FANOUT_BATCH, now).await?;
        let conns = self.args.mail_connections.max(1) as usize;
        let lease = self.args.mail_lease_secs.max(1);
        let due = store
            .claim_emails((conns * 32) as i64, now, lease, &self.token)
            .await?;
        if due.is_empty() {
            return Ok(fanned > 0);
        }
        let mut links = Vec::new();
        // A batch is mostly one notice to many readers: each notice is
        // read from its JSON once per batch, not once per mail.
        let mut notices: HashMap<i64, Option<Notice>> = HashMap::new();
        let prepared: Vec<(DueEmail, Prepared)> = due
            .into_iter()
            .map(|d| {
                let notice = notices
                    .entry(d.notice_id)
                    .or_insert_with(|| serde_json::from_str::<Notice>(&d.notice_json).ok());
                let p = self.prepare(&d, notice.as_ref(), &mut links);
                (d, p)
            })
            .collect();
        // Links first: every link in a mail that leaves works.
        store.store_email_links(&links, now).await?;
        let token = self.token.as_str();
        // Each lane takes the next mail of the batch when it is free; what
        // became of each goes to the recorder as it comes.
        let queue = std::sync::Mutex::new(prepared.into_iter());
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel();
        let lanes = futures_util::future::join_all(self.lanes.iter().map(|lane| {
            let queue = &queue;
            let done_tx = done_tx.clone();
            async move {
                let mut conn = lane.lock().await;
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((d, p)) = next else { break };
                    if done_tx.send(self.deliver(&d, p, &mut conn).await).is_err() {
                        break;
                    }
                }
            }
        }));
        drop(done_tx);
        let outcomes = tokio_stream::wrappers::UnboundedReceiverStream::new(done_rx);
        let record = async {
            let chunks =
                tokio_stream::StreamExt::chunks_timeout(outcomes, RECORD_CHUNK, RECORD_EVERY);
            let mut chunks = std::pin::pin!(chunks);
            while let Some(chunk) = chunks.next().await {
                let chunk: Vec<EmailOutcome> = chunk;
                store.record_emails(&chunk, Utc::now()).await?;
            }
            Ok::<(), app::error::AppError>(())
        };
        let renew = async {
            let every = Duration::from_millis((lease as u64 * 1000 / 3).max(100));
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = store.renew_email_leases(token, Utc::now(), lease).await {
                    tracing::debug!(error = %e, "mail leases not renewed");
                }
            }
        };
        let send_and_record = async {
            let (_, recorded) = tokio::join!(lanes, record);
            recorded
        };
        tokio::select! {
            done = send_and_record => done?,
            () = renew => {}
        }
        Ok(true)
    }

    /// Renders the mail for `d` and mints its links (pushed to `links`,
    /// stored before sending).
    fn prepare(
        &self,
        d: &DueEmail,
        notice: Option<&Notice>,
        links: &mut Vec<NewEmailLink>,
    ) -> Prepared {
        let now = Utc::now();
        if now >= d.expires_at {
            return Prepared::Done(
                DeliveryState::Expired,
                "expired before it could be sent".into(),
            );
        }
        let Some(notice) = notice else {
            return Prepared::Done(DeliveryState::Failed, "stored notice is unreadable".into());
        };
        let tz = d.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let Some(msg) = notice.render(&d.audience, &d.lang, tz) else {
            return Prepared::Done(
                DeliveryState::Expired,
                "nothing in it for this reader".into(),
            );
        };
        let base = &self.state.public_url;
        let mut mail_links = MailLinks {
            open: format!("{base}{}", msg.url),
            ..MailLinks::default()
        };
        let mut unsubscribe = None;
        match &d.recipient {
            EmailRecipient::Subscriber(id) => {
                let (plain, hash) = new_token("mqe");
                links.push(NewEmailLink::Manage {
                    token_hash: hash,
                    subscriber_id: *id,
                });
                mail_links.manage = Some(format!("{base}/email/manage/{plain}"));
                unsubscribe = Some(format!("{base}/email/unsubscribe/{plain}"));
            }
            EmailRecipient::Speaker(key) => {
                // Asked, not only told: a link to a confirm/decline form.
                let asks = matches!(notice, Notice::SpeakerMove { .. }) && !msg.actions.is_empty();
                if asks {
                    let (plain, hash) = new_token("mqa");
                    links.push(NewEmailLink::Answer {
                        token_hash: hash,
                        event_id: d.event_id,
                        speaker_key: key.clone(),
                        notice_id: d.notice_id,
                    });
                    mail_links.answer = Some(format!("{base}/email/answer/{plain}"));
                }
            }
        }
        let text = compose(&msg, &d.event_name, &d.lang, tz, now, &mail_links);
        Prepared::Send {
            to: d.address.clone(),
            text,
            thread: thread_root_id(d.event_id, &thread_key(notice), &self.mailer.domain),
            unsubscribe,
            tz,
        }
    }

    async fn deliver(
        &self,
        d: &DueEmail,
        p: Prepared,
        conn: &mut Option<Connection>,
    ) -> EmailOutcome {
        let now = Utc::now();
        let done = |state: DeliveryState, detail: String| EmailOutcome {
            delivery_id: d.delivery_id,
            state,
            next_at: now,
            detail: Some(detail),
        };
        let (to, text, thread, unsubscribe, tz) = match p {
            Prepared::Done(state, why) => return done(state, why),
            Prepared::Send {
                to,
                text,
                thread,
                unsubscribe,
                tz,
            } => (to, text, thread, unsubscribe, tz),
        };
        let sent = self
            .mailer
            .send_on(
                conn,
                Outgoing {
                    to: &to,
                    text: &text,
                    message_id: message_id(d.delivery_id, &self.mailer.domain),
                    thread: Some(thread),
                    unsubscribe: unsubscribe.as_deref(),
                    tz,
                    date: now,
                },
            )
            .await;
        match sent {
            Ok(()) => EmailOutcome {
                detail: None,
                ..done(DeliveryState::Sent, String::new())
            },
            Err(e) if e.permanent => done(DeliveryState::Failed, e.detail),
            Err(e) => {
                let attempts = d.attempts + 1;
                let wait = chrono::Duration::seconds((30i64 << attempts.min(7)).min(3600));
                let at = now + wait;
                if attempts >= MAX_ATTEMPTS {
                    done(DeliveryState::Failed, format!("{}; gave up", e.detail))
                } else if at >= d.expires_at {
                    done(
                        DeliveryState::Expired,
                        format!("{}; expires before a retry", e.detail),
                    )
                } else {
                    tracing::debug!(delivery = d.delivery_id, detail = %e.detail, "mail retried");
                    EmailOutcome {
                        next_at: at,
                        ..done(DeliveryState::Pending, e.detail)
                    }
                }
            }
        }
    }
}
