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
    pub generated_at: DateTime<Utc>,
    /// Oldest first.
    pub timeline: Vec<Entry>,
    /// In decision order.
    pub figures: Vec<InformFigure>,
    pub confirmed: usize,
    pub declined: usize,
}

fn reach_text(n: &NoticeFacts) -> String {
    format!(
        "{} push notice: {} targeted, {} delivered, {} failed, {} expired, {} pending",
        n.kind, n.targeted, n.delivered, n.failed, n.expired, n.pending
    )
}

/// Orders the facts into a timeline and computes the figures.
pub fn build(input: &ReportInput) -> Report {
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
            text: format!(
                "Incident #{} opened: {} ({} impact)",
                i.id, i.name, i.impact
            ),
        });
        for (at, status, body) in &i.updates {
            timeline.push(Entry {
                at: *at,
                text: format!("Incident #{} {status}: {}", i.id, body),
            });
        }
        if let Some(at) = i.resolved_at {
            timeline.push(Entry {
                at,
                text: format!(
                    "Incident #{} resolved after {}",
                    i.id,
                    human(at - i.opened_at)
                ),
            });
        }
        figures.push(figure(
            Subject::Incident(i.id),
            format!("Incident #{}: {}", i.id, i.name),
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
        timeline.push(Entry {
            at: s.applied_at,
            text: format!("Shift #{} applied: {} session(s) moved{why}", s.id, s.moved),
        });
        figures.push(figure(
            Subject::Shift(s.id),
            format!("Shift #{}", s.id),
            s.applied_at,
            s.page_updated_at,
        ));
    }
    for n in &input.notices {
        timeline.push(Entry {
            at: n.created_at,
            text: reach_text(n),
        });
    }
    for a in &input.answers {
        timeline.push(Entry {
            at: a.at,
            text: format!("{} {} shift #{}", a.speaker, a.answer, a.shift_id),
        });
    }
    // Stable: facts at the same instant keep the order they were added in.
    timeline.sort_by_key(|e| e.at);
    figures.sort_by_key(|f| (f.decided_at, f.subject));
    Report {
        event_name: input.event_name.clone(),
        tz: input.tz,
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
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => match s % 60 {
            0 => format!("{} min", s / 60),
            r => format!("{} min {r} s", s / 60),
        },
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn local(r: &Report, at: DateTime<Utc>) -> String {
    at.with_timezone(&r.tz)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn opt(d: Option<Duration>) -> String {
    d.map_or_else(|| "—".to_owned(), human)
}

/// The report as Markdown (times in the event's zone).
pub fn to_markdown(r: &Report) -> String {
    let mut out = format!(
        "# Post-event report: {}\n\nTimes in {}. Generated {}.\n\n## Time to inform\n\n\
         | What | Decided | → open pages | → last push delivered | Push delivered |\n\
         |---|---|---|---|---|\n",
        md_escape(&r.event_name),
        r.tz.name(),
        local(r, r.generated_at)
    );
    for f in &r.figures {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {}/{} |\n",
            md_escape(&f.label),
            local(r, f.decided_at),
            opt(f.to_pages),
            opt(f.to_last_push),
            f.delivered,
            f.targeted
        ));
    }
    out.push_str(&format!(
        "\n## Speakers\n\n{} confirmed, {} declined.\n\n## Timeline\n\n",
        r.confirmed, r.declined
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

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The report as a standalone HTML document (no script, inline style that
/// follows the reader's dark mode).
pub fn to_html(r: &Report) -> String {
    let e = html_escape;
    let mut rows = String::new();
    for f in &r.figures {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td data-figure=\"to-pages\">{}</td>\
             <td data-figure=\"to-last-push\">{}</td><td>{}/{}</td></tr>\n",
            e(&f.label),
            e(&local(r, f.decided_at)),
            e(&opt(f.to_pages)),
            e(&opt(f.to_last_push)),
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
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Post-event report: {name}</title>\
         <style>:root{{color-scheme:light dark}}body{{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}}\
         table{{border-collapse:collapse}}th,td{{border:1px solid #8888;padding:.3rem .5rem;text-align:left}}</style>\
         </head><body><main>\n<h1>Post-event report: {name}</h1>\n<p>Times in {tz}. Generated {gen}.</p>\n\
         <h2>Time to inform</h2>\n<table><thead><tr><th scope=\"col\">What</th><th scope=\"col\">Decided</th>\
         <th scope=\"col\">→ open pages</th><th scope=\"col\">→ last push delivered</th>\
         <th scope=\"col\">Push delivered</th></tr></thead><tbody>\n{rows}</tbody></table>\n\
         <h2>Speakers</h2>\n<p>{c} confirmed, {d} declined.</p>\n<h2>Timeline</h2>\n<ol>\n{items}</ol>\n\
         </main></body></html>\n",
        name = e(&r.event_name),
        tz = e(r.tz.name()),
        gen = e(&local(r, r.generated_at)),
        c = r.confirmed,
        d = r.declined,
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
            "identified: CDN down",
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
    fn durations_read_as_people_say_them() {
        assert_eq!(human(Duration::seconds(42)), "42 s");
        assert_eq!(human(Duration::seconds(185)), "3 min 5 s");
        assert_eq!(human(Duration::seconds(120)), "2 min");
        assert_eq!(human(Duration::seconds(7800)), "2 h 10 min");
        assert_eq!(human(Duration::seconds(-3)), "0 s");
    }
}
