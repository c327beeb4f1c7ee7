//! The post-event report: one timeline of what happened (incidents and
//! their updates, shifts, notices with their reach, speakers' answers) and
//! how fast people were told. Pure: the server gathers the facts, this
//! orders them, computes the figures and writes Markdown or HTML.
//!
//! Time to inform is measured from the decision (the incident opened, the
//! shift applied) to (a) the first change-log entry about it, which is what
//! every open page receives on its live stream, and (b) the last push
//! delivered for it (a notice still pending has no "last" yet).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use html_escape::encode_quoted_attribute as html_escape;
use rust_i18n::t;

/// What a notice or a figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Incident(i64),
    Shift(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFacts {
    pub id: i64,
    pub name: String,
    pub impact: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// (when, status, text as one plain line), any order.
    pub updates: Vec<(DateTime<Utc>, String, String)>,
    /// The first change-log entry about it.
    pub page_updated_at: Option<DateTime<Utc>>,
    pub has_postmortem: bool,
    /// A maintenance called off before it started: its last update says
    /// "cancelled" (status `cancelled`), and it was never "resolved".
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShiftFacts {
    pub id: i64,
    pub applied_at: DateTime<Utc>,
    pub reason: String,
    pub moved: usize,
    pub page_updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoticeFacts {
    pub subject: Subject,
    /// `incident`, `schedule`, `speaker_move`, …
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub targeted: i64,
    pub delivered: i64,
    pub failed: i64,
    pub expired: i64,
    pub pending: i64,
    pub last_delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnswerFacts {
    pub shift_id: i64,
    pub speaker: String,
    /// `confirmed` or `declined`.
    pub answer: String,
    pub at: DateTime<Utc>,
}

/// Everything the report is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    pub event_name: String,
    pub tz: Tz,
    /// The reader's language (en, ru, zh, fr): every heading and sentence.
    pub lang: &'static str,
    pub generated_at: DateTime<Utc>,
    pub incidents: Vec<IncidentFacts>,
    pub shifts: Vec<ShiftFacts>,
    pub notices: Vec<NoticeFacts>,
    pub answers: Vec<AnswerFacts>,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// How fast people were told about one incident or shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformFigure {
    pub subject: Subject,
    pub label: String,
    pub decided_at: DateTime<Utc>,
    pub to_pages: Option<Duration>,
    pub to_last_push: Option<Duration>,
    pub targeted: i64,
    pub delivered: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub event_name: String,
    pub tz: Tz,
    pub lang: &'static str,
    pub generated_at: DateTime<Utc>,
    /// Oldest first.
    pub timeline: Vec<Entry>,
    /// In decision order.
    pub figures: Vec<InformFigure>,
    pub confirmed: usize,
    pub declined: usize,
}

fn reach_text(n: &NoticeFacts, lang: &str) -> String {
    t!(
        "report.reach",
        locale = lang,
        kind = n.kind,
        targeted = n.targeted,
        delivered = n.delivered,
        failed = n.failed,
        expired = n.expired,
        pending = n.pending
    )
    .to_string()
}

/// A status or impact word in `lang` (`incident.identified`,
/// `impact.major`); an unknown word stays as it is.
fn word(prefix: &str, w: &str, lang: &str) -> String {
    let key = format!("{prefix}.{w}");
    let s = t!(key.as_str(), locale = lang).to_string();
    if s == key { w.to_owned() } else { s }
}

/// Orders the facts into a timeline and computes the figures.
pub fn build(input: &ReportInput) -> Report {
    let lang = input.lang;
    let mut timeline = Vec::new();
    let mut figures = Vec::new();
    let notices_of = |s: Subject| input.notices.iter().filter(move |n| n.subject == s);
    let figure = |subject, label: String, decided_at, page: Option<DateTime<Utc>>| {
        let (mut targeted, mut delivered, mut last, mut pending) = (0, 0, None, 0);
        for n in notices_of(subject) {
            targeted += n.targeted;
            delivered += n.delivered;
            pending += n.pending;
            last = last.max(n.last_delivered_at);
        }
        InformFigure {
            subject,
            label,
            decided_at,
            to_pages: page.map(|p| (p - decided_at).max(Duration::zero())),
            // A notice still pending has not reached its last recipient.
            to_last_push: last
                .filter(|_| pending == 0)
                .map(|l| (l - decided_at).max(Duration::zero())),
            targeted,
            delivered,
        }
    };
    for i in &input.incidents {
        timeline.push(Entry {
            at: i.opened_at,
            text: t!(
                "report.incident_opened",
                locale = lang,
                id = i.id,
                name = i.name,
                impact = word("impact", &i.impact, lang)
            )
            .to_string(),
        });
        for (at, status, body) in &i.updates {
            timeline.push(Entry {
                at: *at,
                text: t!(
                    "report.incident_update",
                    locale = lang,
                    id = i.id,
                    status = word("incident", status, lang),
                    body = body
                )
                .to_string(),
            });
        }
        if let Some(at) = i.resolved_at.filter(|_| !i.cancelled) {
            timeline.push(Entry {
                at,
                text: t!(
                    "report.incident_resolved",
                    locale = lang,
                    id = i.id,
                    after = human_in(at - i.opened_at, lang)
                )
                .to_string(),
            });
        }
        figures.push(figure(
            Subject::Incident(i.id),
            t!(
                "report.incident_label",
                locale = lang,
                id = i.id,
                name = i.name
            )
            .to_string(),
            i.opened_at,
            i.page_updated_at,
        ));
    }
    for s in &input.shifts {
        let why = if s.reason.is_empty() {
            String::new()
        } else {
            format!(" — {}", s.reason)
        };
        let applied = t!(
            "report.shift_applied",
            locale = lang,
            id = s.id,
            moved = s.moved
        );
        timeline.push(Entry {
            at: s.applied_at,
            text: format!("{applied}{why}"),
        });
        figures.push(figure(
            Subject::Shift(s.id),
            t!("report.shift_label", locale = lang, id = s.id).to_string(),
            s.applied_at,
            s.page_updated_at,
        ));
    }
    for n in &input.notices {
        timeline.push(Entry {
            at: n.created_at,
            text: reach_text(n, lang),
        });
    }
    for a in &input.answers {
        timeline.push(Entry {
            at: a.at,
            text: t!(
                format!("report.answer_{}", a.answer),
                locale = lang,
                speaker = a.speaker,
                id = a.shift_id
            )
            .to_string(),
        });
    }
    // Stable: facts at the same instant keep the order they were added in.
    timeline.sort_by_key(|e| e.at);
    figures.sort_by_key(|f| (f.decided_at, f.subject));
    Report {
        event_name: input.event_name.clone(),
        tz: input.tz,
        lang,
        generated_at: input.generated_at,
        timeline,
        figures,
        confirmed: input
            .answers
            .iter()
            .filter(|a| a.answer == "confirmed")
            .count(),
        declined: input
            .answers
            .iter()
            .filter(|a| a.answer == "declined")
            .count(),
    }
}

/// A duration as people read it: `42 s`, `3 min 5 s`, `2 h 10 min`.
pub fn human(d: Duration) -> String {
    human_in(d, "en")
}

/// [`human`] with the units of `lang` (`3 мин 5 с`, `3 分 5 秒`).
pub fn human_in(d: Duration, lang: &str) -> String {
    let unit = |u: &str| t!(format!("report.unit_{u}"), locale = lang).to_string();
    let (h, m, sec) = (unit("h"), unit("min"), unit("s"));
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} {sec}"),
        60..3600 => match s % 60 {
            0 => format!("{} {m}", s / 60),
            r => format!("{} {m} {r} {sec}", s / 60),
        },
        _ => format!("{} {h} {} {m}", s / 3600, (s % 3600) / 60),
    }
}

fn local(r: &Report, at: DateTime<Utc>) -> String {
    at.with_timezone(&r.tz)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn opt(d: Option<Duration>, lang: &str) -> String {
    d.map_or_else(|| "—".to_owned(), |d| human_in(d, lang))
}

/// The report's fixed words in its language.
fn tr(r: &Report, key: &str) -> String {
    t!(format!("report.{key}"), locale = r.lang).to_string()
}

fn title(r: &Report, name: &str) -> String {
    t!("report.title", locale = r.lang, name = name).to_string()
}

fn times_in(r: &Report, tz: &str, generated: &str) -> String {
    t!("report.times_in", locale = r.lang, tz = tz, at = generated).to_string()
}

fn answers(r: &Report) -> String {
    t!(
        "report.answers",
        locale = r.lang,
        confirmed = r.confirmed,
        declined = r.declined
    )
    .to_string()
}

/// The report as Markdown (times in the event's zone).
pub fn to_markdown(r: &Report) -> String {
    let mut out = format!(
        "# {}\n\n{}\n\n## {}\n\n| {} | {} | {} | {} | {} |\n|---|---|---|---|---|\n",
        title(r, &md_escape(&r.event_name)),
        times_in(r, r.tz.name(), &local(r, r.generated_at)),
        tr(r, "time_to_inform"),
        tr(r, "col_what"),
        tr(r, "col_decided"),
        tr(r, "col_to_pages"),
        tr(r, "col_to_last_push"),
        tr(r, "col_push_delivered"),
    );
    for f in &r.figures {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {}/{} |\n",
            md_escape(&f.label),
            local(r, f.decided_at),
            opt(f.to_pages, r.lang),
            opt(f.to_last_push, r.lang),
            f.delivered,
            f.targeted
        ));
    }
    out.push_str(&format!(
        "\n## {}\n\n{}\n\n## {}\n\n",
        tr(r, "speakers"),
        answers(r),
        tr(r, "timeline")
    ));
    for e in &r.timeline {
        out.push_str(&format!("- {} — {}\n", local(r, e.at), md_escape(&e.text)));
    }
    out
}

/// Markdown's table and emphasis characters, escaped, so text from
/// organisers cannot reshape the report.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '\\') {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

/// The report as a standalone HTML document (no script, inline style that
/// follows the reader's dark mode).
pub fn to_html(r: &Report) -> String {
    let e = |s: &str| html_escape(s).into_owned();
    let mut rows = String::new();
    for f in &r.figures {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td data-figure=\"to-pages\">{}</td>\
             <td data-figure=\"to-last-push\">{}</td><td>{}/{}</td></tr>\n",
            e(&f.label),
            e(&local(r, f.decided_at)),
            e(&opt(f.to_pages, r.lang)),
            e(&opt(f.to_last_push, r.lang)),
            f.delivered,
            f.targeted
        ));
    }
    let mut items = String::new();
    for t in &r.timeline {
        items.push_str(&format!(
            "<li><time datetime=\"{}\">{}</time> — {}</li>\n",
            t.at.to_rfc3339(),
            e(&local(r, t.at)),
            e(&t.text)
        ));
    }
    let h = |key: &str| e(&tr(r, key));
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>:root{{color-scheme:light dark}}body{{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}}\
         table{{border-collapse:collapse}}th,td{{border:1px solid #8888;padding:.3rem .5rem;text-align:left}}</style>\
         </head><body><main>\n<h1>{title}</h1>\n<p>{times}</p>\n\
         <h2>{inform}</h2>\n<table><thead><tr><th scope=\"col\">{what}</th><th scope=\"col\">{decided}</th>\
         <th scope=\"col\">{to_pages}</th><th scope=\"col\">{to_push}</th>\
         <th scope=\"col\">{delivered}</th></tr></thead><tbody>\n{rows}</tbody></table>\n\
         <h2>{speakers}</h2>\n<p>{answers}</p>\n<h2>{timeline}</h2>\n<ol>\n{items}</ol>\n\
         </main></body></html>\n",
        lang = e(r.lang),
        title = e(&title(r, &r.event_name)),
        times = e(&times_in(r, r.tz.name(), &local(r, r.generated_at))),
        inform = h("time_to_inform"),
        what = h("col_what"),
        decided = h("col_decided"),
        to_pages = h("col_to_pages"),
        to_push = h("col_to_last_push"),
        delivered = h("col_push_delivered"),
        speakers = h("speakers"),
        answers = e(&answers(r)),
        timeline = h("timeline"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn scenario() -> ReportInput {
        ReportInput {
            event_name: "Conf <2026>".into(),
            tz: chrono_tz::Europe::Moscow,
            lang: "en",
            generated_at: at("2026-12-01T20:00:00Z"),
            incidents: vec![IncidentFacts {
                id: 1,
                name: "Streams down".into(),
                impact: "major".into(),
                opened_at: at("2026-12-01T14:00:00Z"),
                resolved_at: Some(at("2026-12-01T15:15:00Z")),
                updates: vec![(
                    at("2026-12-01T14:27:00Z"),
                    "identified".into(),
                    "CDN down".into(),
                )],
                page_updated_at: Some(at("2026-12-01T14:00:01Z")),
                has_postmortem: true,
                cancelled: false,
            }],
            shifts: vec![ShiftFacts {
                id: 4,
                applied_at: at("2026-12-01T14:50:00Z"),
                reason: "outage".into(),
                moved: 12,
                page_updated_at: Some(at("2026-12-01T14:50:00Z")),
            }],
            notices: vec![
                NoticeFacts {
                    subject: Subject::Incident(1),
                    kind: "incident".into(),
                    created_at: at("2026-12-01T14:00:00Z"),
                    targeted: 3,
                    delivered: 3,
                    failed: 0,
                    expired: 0,
                    pending: 0,
                    last_delivered_at: Some(at("2026-12-01T14:00:07Z")),
                },
                NoticeFacts {
                    subject: Subject::Shift(4),
                    kind: "schedule".into(),
                    created_at: at("2026-12-01T14:50:00Z"),
                    targeted: 2,
                    delivered: 1,
                    failed: 0,
                    expired: 0,
                    pending: 1,
                    last_delivered_at: Some(at("2026-12-01T14:50:03Z")),
                },
            ],
            answers: vec![AnswerFacts {
                shift_id: 4,
                speaker: "Ada".into(),
                answer: "confirmed".into(),
                at: at("2026-12-01T15:01:00Z"),
            }],
        }
    }

    #[test]
    fn figures_run_from_the_decision_to_pages_and_to_the_last_push() {
        let r = build(&scenario());
        assert_eq!(r.figures.len(), 2);
        let inc = &r.figures[0];
        assert_eq!(inc.subject, Subject::Incident(1));
        assert_eq!(inc.to_pages, Some(Duration::seconds(1)));
        assert_eq!(inc.to_last_push, Some(Duration::seconds(7)));
        assert_eq!((inc.delivered, inc.targeted), (3, 3));
        // One delivery still pending: no "last" push yet.
        assert_eq!(r.figures[1].to_last_push, None);
        assert_eq!(r.figures[1].to_pages, Some(Duration::zero()));
        assert_eq!((r.confirmed, r.declined), (1, 0));
    }

    #[test]
    fn the_timeline_is_in_time_order_with_every_kind_of_fact() {
        let r = build(&scenario());
        let times: Vec<_> = r.timeline.iter().map(|e| e.at).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted);
        let all = r
            .timeline
            .iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        for part in [
            "opened: Streams down",
            "Identified: CDN down",
            "resolved after 1 h 15 min",
            "Shift #4 applied: 12",
            "3 delivered",
            "Ada confirmed shift #4",
        ] {
            assert!(all.contains(part), "{part} missing in\n{all}");
        }
    }

    #[test]
    fn documents_show_event_time_and_escape_organiser_text() {
        let r = build(&scenario());
        let html = to_html(&r);
        assert!(html.contains("Conf &lt;2026&gt;"), "{html}");
        assert!(!html.contains("<2026>"));
        // 14:00 UTC is 17:00 in Moscow.
        assert!(html.contains("2026-12-01 17:00:00"));
        assert!(html.contains("<td data-figure=\"to-last-push\">7 s</td>"));
        let md = to_markdown(&r);
        assert!(
            md.starts_with("# Post-event report: Conf \\<2026\\>"),
            "{md}"
        );
        assert!(md.contains("| 1 s | 7 s | 3/3 |"), "{md}");
        assert!(md.contains("| — | 1/2 |"), "{md}");
    }

    #[test]
    fn the_report_speaks_the_readers_language() {
        let r = build(&ReportInput {
            lang: "fr",
            ..scenario()
        });
        let html = to_html(&r);
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(html.contains("<h2>Délai d’information</h2>"), "{html}");
        assert!(html.contains("Rapport après l’événement"), "{html}");
        assert!(!html.contains("Time to inform"), "{html}");
        let md = to_markdown(&r);
        assert!(md.contains("## Chronologie"), "{md}");
        assert!(md.contains("1 h 15 min"), "{md}");
        let ru = to_markdown(&build(&ReportInput {
            lang: "ru",
            ..scenario()
        }));
        assert!(ru.contains("## Хронология"), "{ru}");
        assert!(ru.contains("Инцидент №1"), "{ru}");
        assert!(ru.contains("1 ч 15 мин"), "{ru}");
        assert!(ru.contains("Причина найдена: CDN down"), "{ru}");
    }

    #[test]
    fn a_cancelled_maintenance_is_not_resolved_in_the_timeline() {
        let mut input = scenario();
        input.incidents[0].cancelled = true;
        input.incidents[0].updates = vec![(
            at("2026-12-01T14:05:00Z"),
            "cancelled".into(),
            "Not needed".into(),
        )];
        let all: Vec<String> = build(&input).timeline.into_iter().map(|e| e.text).collect();
        assert!(
            all.iter()
                .any(|t| t == "Incident #1 — Cancelled: Not needed"),
            "{all:?}"
        );
        assert!(!all.iter().any(|t| t.contains("resolved after")), "{all:?}");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human(Duration::seconds(42)), "42 s");
        assert_eq!(human(Duration::seconds(185)), "3 min 5 s");
        assert_eq!(human(Duration::seconds(120)), "2 min");
        assert_eq!(human(Duration::seconds(7800)), "2 h 10 min");
        assert_eq!(human(Duration::seconds(-3)), "0 s");
    }
}
