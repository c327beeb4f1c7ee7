//! Countdown screens as a browser first gets them: the server-rendered
//! page and `/e/{event}/screen.json`, in every language.

mod common;

use chrono::{Datelike, Duration};
use common::{app, body_json, body_string};

/// The first talk on track 2 of the demo conference: 17:00 in Moscow.
const FIRST_TALK: &str = "Low-latency streaming with SRT and WebRTC";

#[tokio::test]
async fn a_track_screen_opened_days_before_the_event_names_its_first_session_and_date() {
    let t = app().await;
    let day = server::demo::today_in_moscow() + Duration::days(3);
    let demo = server::demo::conference("demo", day);
    t.state
        .store
        .import_schedule(&demo, "test", "test")
        .await
        .unwrap();
    t.state.after_write("demo").await.unwrap();

    let monday0 = day.weekday().num_days_from_monday() as usize;
    let month0 = day.month0() as usize;
    let expect = [
        (
            "en",
            "Coming up",
            format!(
                "{} {} {} at 17:00",
                [
                    "Monday",
                    "Tuesday",
                    "Wednesday",
                    "Thursday",
                    "Friday",
                    "Saturday",
                    "Sunday"
                ][monday0],
                day.day(),
                [
                    "January",
                    "February",
                    "March",
                    "April",
                    "May",
                    "June",
                    "July",
                    "August",
                    "September",
                    "October",
                    "November",
                    "December"
                ][month0],
            ),
        ),
        (
            "ru",
            "Скоро",
            format!(
                "{}, {} {} в 17:00",
                [
                    "понедельник",
                    "вторник",
                    "среда",
                    "четверг",
                    "пятница",
                    "суббота",
                    "воскресенье"
                ][monday0],
                day.day(),
                [
                    "января",
                    "февраля",
                    "марта",
                    "апреля",
                    "мая",
                    "июня",
                    "июля",
                    "августа",
                    "сентября",
                    "октября",
                    "ноября",
                    "декабря"
                ][month0],
            ),
        ),
        (
            "zh",
            "即将到来",
            format!(
                "{}月{}日 {} 17:00",
                day.month(),
                day.day(),
                [
                    "星期一",
                    "星期二",
                    "星期三",
                    "星期四",
                    "星期五",
                    "星期六",
                    "星期日"
                ][monday0],
            ),
        ),
        (
            "fr",
            "Prochainement",
            format!(
                "{} {} {} à 17:00",
                [
                    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"
                ][monday0],
                day.day(),
                [
                    "janvier",
                    "février",
                    "mars",
                    "avril",
                    "mai",
                    "juin",
                    "juillet",
                    "août",
                    "septembre",
                    "octobre",
                    "novembre",
                    "décembre"
                ][month0],
            ),
        ),
    ];
    for (lang, heading, when) in expect {
        let html = body_string(t.get(&format!("/e/demo/screen/track-2?lang={lang}")).await).await;
        assert!(html.contains("data-state=\"upcoming\""), "{lang}: {html}");
        assert!(!html.contains("data-state=\"done\""), "{lang}");
        assert!(html.contains(&format!(">{heading}</p>")), "{lang}: {html}");
        assert!(
            html.contains(&format!(">{FIRST_TALK}</h2>")),
            "{lang}: {html}"
        );
        assert!(
            html.contains(&format!(">{when}</p>")),
            "{lang}: want {when:?} in {html}"
        );
    }

    // The island's data for today carries that first session, so the
    // browser shows the same.
    let data = body_json(t.get("/e/demo/screen.json?track=track-2").await).await;
    let sessions = data["tracks"][0]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{data}");
    assert_eq!(sessions[0]["title"], FIRST_TALK);
}
