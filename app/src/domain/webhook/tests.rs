use chrono::TimeZone;

use super::*;
use crate::domain::notice::Move;

fn incident(status: &str) -> Notice {
    Notice::Incident {
        event: "demo".into(),
        incident_id: 7,
        name: "Streams <down> & out".into(),
        status: status.into(),
        body: "We are on it.".into(),
    }
}

fn input(preset: &str) -> WebhookInput {
    WebhookInput {
        name: "team".into(),
        url: "https://hooks.example/x".into(),
        preset: preset.into(),
        kinds: vec!["incidents".into(), "changes".into()],
        ..WebhookInput::default()
    }
}

#[test]
fn only_notices_for_everyone_reach_a_channel() {
    assert_eq!(
        kind_of(&incident("investigating")),
        Some(WebhookKind::Incidents)
    );
    assert_eq!(
        kind_of(&incident("in_progress")),
        Some(WebhookKind::Maintenance)
    );
    let moves = vec![Move {
        guid: "g".into(),
        title: "Talk".into(),
        track: "t1".into(),
        track_name: "Track 1".into(),
        speakers: vec!["ann".into()],
        old_start: Utc.with_ymd_and_hms(2026, 11, 23, 14, 25, 0).unwrap(),
        new_start: Utc.with_ymd_and_hms(2026, 11, 23, 15, 15, 0).unwrap(),
        cancelled: false,
    }];
    let schedule = Notice::Schedule {
        event: "demo".into(),
        shift_id: 1,
        revert: false,
        moves: moves.clone(),
    };
    assert_eq!(kind_of(&schedule), Some(WebhookKind::Changes));
    let private = Notice::SpeakerMove {
        event: "demo".into(),
        shift_id: 1,
        moves,
    };
    assert_eq!(kind_of(&private), None);
}

#[test]
fn the_text_is_translated_zoned_and_links_to_the_public_page() {
    let moves = vec![Move {
        guid: "g".into(),
        title: "Talk".into(),
        track: "t1".into(),
        track_name: "Track 1".into(),
        speakers: vec![],
        old_start: Utc.with_ymd_and_hms(2026, 11, 23, 14, 25, 0).unwrap(),
        new_start: Utc.with_ymd_and_hms(2026, 11, 23, 15, 15, 0).unwrap(),
        cancelled: false,
    }];
    let p = Payload::Notice {
        notice: Notice::Schedule {
            event: "demo".into(),
            shift_id: 1,
            revert: false,
            moves,
        },
    };
    let tz: Tz = "Europe/Moscow".parse().unwrap();
    let en = chat_text(&p, "en", tz, "https://m.example").unwrap();
    assert!(en.body.contains("18:15"), "{en:?}");
    assert!(en.body.contains("17:25"), "{en:?}");
    assert_eq!(en.url, "https://m.example/e/demo");
    let ru = chat_text(&p, "ru", tz, "https://m.example").unwrap();
    assert_ne!(en.title, ru.title);
}

#[test]
fn each_preset_speaks_its_documented_shape() {
    let p = Payload::Notice {
        notice: incident("investigating"),
    };
    let text = chat_text(&p, "en", chrono_tz::UTC, "https://m.example").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap();
    let std = body_for(Preset::Standard, &p, &text, "", now);
    assert_eq!(std["type"], "incident.updated");
    assert_eq!(std["timestamp"], "2026-11-23T14:00:00Z");
    assert_eq!(std["data"]["payload"]["notice"]["incident_id"], 7);
    let slack = body_for(Preset::Slack, &p, &text, "", now);
    assert!(slack["text"].as_str().unwrap().contains("Streams <down>"));
    let block = slack["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(block.contains("&lt;down&gt; &amp; out"), "{block}");
    let discord = body_for(Preset::Discord, &p, &text, "", now);
    assert_eq!(
        discord["embeds"][0]["url"],
        "https://m.example/e/demo/status"
    );
    assert_eq!(discord["allowed_mentions"]["parse"], json!([]));
    let mm = body_for(Preset::Mattermost, &p, &text, "", now);
    assert_eq!(mm.as_object().unwrap().len(), 1);
    let tg = body_for(Preset::Telegram, &p, &text, "-100123", now);
    assert_eq!(tg["chat_id"], "-100123");
    assert_eq!(tg["parse_mode"], "HTML");
    assert!(
        tg["text"]
            .as_str()
            .unwrap()
            .starts_with("<b>Streams &lt;down&gt;")
    );
}

#[test]
fn retries_back_off_exponentially_and_give_up() {
    assert_eq!(retry_delay(1, 10), Some(10));
    assert_eq!(retry_delay(2, 10), Some(20));
    assert_eq!(retry_delay(5, 10), Some(160));
    assert_eq!(retry_delay(5, 1000), Some(3600));
    assert_eq!(retry_delay(MAX_ATTEMPTS, 10), None);
}

#[test]
fn bad_input_names_the_field() {
    assert!(validate(&input("standard")).is_ok());
    let field = |i: WebhookInput| validate(&i).unwrap_err().field;
    assert_eq!(field(input("teams")), "preset");
    let mut i = input("slack");
    i.kinds = vec!["everything".into()];
    assert_eq!(field(i), "kinds");
    let mut i = input("slack");
    i.kinds.clear();
    assert_eq!(field(i), "kinds");
    let mut i = input("slack");
    i.url.clear();
    assert_eq!(field(i), "url");
    let mut i = input("discord");
    i.lang = "de".into();
    assert_eq!(field(i), "lang");
    let mut i = input("telegram");
    i.bot_token = "nope".into();
    assert_eq!(field(i), "bot_token");
    let mut i = input("telegram");
    i.bot_token = "123456:AAbb_cc-DD".into();
    i.chat_id = "x y".into();
    assert_eq!(field(i), "chat_id");
    let mut i = input("telegram");
    i.bot_token = "123456:AAbb_cc-DD".into();
    i.chat_id = "-100123".into();
    let ok = validate(&i).unwrap();
    assert_eq!(ok.url, "", "a Telegram URL is made from the token");
    assert_eq!(ok.kinds, vec![WebhookKind::Incidents, WebhookKind::Changes]);
}
