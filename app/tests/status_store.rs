//! Integration tests of the status-page store (components, incidents,
//! maintenance, change log). Every test body runs on a fresh SQLite file
//! and, when `MARQUEE_TEST_POSTGRES_URL` names a server, on a fresh
//! PostgreSQL database created for it and dropped afterwards.

use app::domain::schedule::{Event, Schedule, Session, SessionKind, Track};
use app::domain::status::{ComponentStatus, Impact, IncidentStatus, StatusChange};
use app::error::AppError;
use app::store::{
    ComponentPatch, ComponentRecord, NewComponent, NewIncident, NewIncidentUpdate, Reschedule,
    StatusSnapshot, Store,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};

#[path = "support/backends.rs"]
mod backends;

use backends::on_each_store as on_each_backend;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// "Now" in these tests: a few days before the conference.
fn t0() -> DateTime<Utc> {
    at("2026-11-20T10:00:00Z")
}

fn track(slug: &str, name: &str, position: i64) -> Track {
    Track {
        slug: slug.into(),
        name: name.into(),
        color: "#112233".into(),
        stream_url: None,
        position,
    }
}

fn session(guid: &str, track: &str) -> Session {
    Session {
        guid: guid.into(),
        title: format!("Talk {guid}"),
        abstract_md: String::new(),
        kind: SessionKind::Talk,
        start: at("2026-11-23T10:00:00Z"),
        duration_min: 30,
        track: track.into(),
        language: None,
        pinned: false,
        speakers: vec![],
        cancelled: false,
    }
}

/// A small schedule with two tracks, listed out of order.
fn fixture(slug: &str) -> Schedule {
    Schedule {
        event: Event {
            slug: slug.into(),
            name: "Conf 2026".into(),
            time_zone: "Europe/Moscow".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        },
        tracks: vec![track("side", "Side", 2), track("main", "Main hall", 1)],
        speakers: vec![],
        sessions: vec![session("g-main", "main"), session("g-side", "side")],
        version: 0,
    }
}

/// Imports the fixture as event `slug` at `t0`, which creates its stream
/// components.
async fn setup(store: &Store, slug: &str) {
    store
        .import_schedule_at(&fixture(slug), "alice", "test", t0())
        .await
        .unwrap();
}

/// The component called `name`.
fn named<'a>(s: &'a StatusSnapshot, name: &str) -> &'a ComponentRecord {
    s.components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name:?} in {:?}", s.components))
}

fn change(at: DateTime<Utc>, status: ComponentStatus) -> StatusChange {
    StatusChange { at, status }
}

fn incident(name: &str, component_ids: Vec<i64>) -> NewIncident {
    NewIncident {
        name: name.into(),
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        body_md: "We are looking into it.".into(),
        component_ids,
        component_status: None,
        scheduled_for: None,
        scheduled_until: None,
        signature: None,
    }
}

fn update(status: IncidentStatus, body: &str) -> NewIncidentUpdate {
    NewIncidentUpdate {
        status,
        body_md: body.into(),
        component_status: None,
        component_ids: None,
        reschedule: None,
        signature: None,
    }
}

/// The `field` of an `Invalid` error, or a panic naming what came instead.
fn invalid_field<T: std::fmt::Debug>(r: Result<T, AppError>) -> (String, String) {
    match r {
        Err(AppError::Invalid { field, message }) => (field, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// `(seq, kind, payload)` of every change-log entry after `seq`.
async fn log_after(store: &Store, slug: &str, seq: i64) -> Vec<(i64, String, serde_json::Value)> {
    store
        .changes_since(slug, seq, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.seq,
                c.kind,
                serde_json::from_str(&c.payload_json).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn track_components_are_created_once_and_follow_their_tracks() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let first = store.load_status("conf", t0()).await.unwrap();
        let streams: Vec<_> = first
            .components
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.track.as_deref(),
                    c.position,
                    c.group_name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            streams,
            [
                ("Main hall stream", Some("main"), 1, Some("Streams")),
                ("Side stream", Some("side"), 2, Some("Streams")),
            ]
        );
        for c in &first.components {
            assert_eq!(c.status, ComponentStatus::Operational);
            assert_eq!(
                first.history[&c.id],
                [change(t0(), ComponentStatus::Operational)]
            );
        }

        // Idempotent: a second sync writes nothing, not even to the log.
        store
            .sync_track_components("conf", t0() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(store.load_status("conf", t0()).await.unwrap(), first);

        // The side track is renamed and the main track deleted.
        let mut next = fixture("conf");
        next.tracks = vec![track("side", "Side room", 2)];
        next.sessions.retain(|s| s.track == "side");
        let later = t0() + Duration::hours(2);
        store
            .import_schedule_at(&next, "alice", "rename", later)
            .await
            .unwrap();
        let after = store.load_status("conf", later).await.unwrap();
        let side = named(&after, "Side room stream");
        assert_eq!(
            side.id,
            named(&first, "Side stream").id,
            "renamed, not replaced"
        );
        assert_eq!(side.updated_at, later);
        let main = named(&after, "Main hall stream");
        assert_eq!(main.track, None, "kept but detached");
        assert_eq!(main.id, named(&first, "Main hall stream").id);
        assert_eq!(after.components.len(), 2);
        store.sync_track_components("conf", later).await.unwrap();
        assert_eq!(store.load_status("conf", later).await.unwrap(), after);

        // The track comes back: its old component (and history) is reused.
        store
            .import_schedule_at(&fixture("conf"), "alice", "back", later)
            .await
            .unwrap();
        let back = store.load_status("conf", later).await.unwrap();
        assert_eq!(back.components.len(), 2);
        assert_eq!(
            named(&back, "Main hall stream").track.as_deref(),
            Some("main")
        );
        assert_eq!(named(&back, "Side stream").id, side.id);

        // Two tracks with one name: the slug tells their streams apart.
        let mut twins = fixture("conf");
        twins.tracks.push(track("side2", "Side", 3));
        store
            .import_schedule_at(&twins, "alice", "twins", later)
            .await
            .unwrap();
        let s = store.load_status("conf", later).await.unwrap();
        assert_eq!(
            named(&s, "Side stream (side2)").track.as_deref(),
            Some("side2")
        );
        assert_eq!(named(&s, "Side stream").track.as_deref(), Some("side"));

        assert!(matches!(
            store.sync_track_components("nope", t0()).await,
            Err(AppError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn component_status_changes_are_recorded_in_history_and_the_log() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let wifi = store
            .create_component(
                "conf",
                NewComponent {
                    name: "  Wi-Fi ".into(),
                    description: "Venue network".into(),
                    group_name: Some("Venue".into()),
                },
                t0(),
            )
            .await
            .unwrap();
        assert_eq!((wifi.name.as_str(), wifi.position), ("Wi-Fi", 1));
        assert_eq!(wifi.group_name.as_deref(), Some("Venue"));
        let seq = store.last_change_seq("conf").await.unwrap();

        let t1 = t0() + Duration::minutes(5);
        let outage = ComponentPatch {
            status: Some(ComponentStatus::MajorOutage),
            ..ComponentPatch::default()
        };
        let changed = store
            .update_component("conf", wifi.id, outage.clone(), t1)
            .await
            .unwrap();
        assert_eq!(
            (changed.status, changed.updated_at),
            (ComponentStatus::MajorOutage, t1)
        );
        // The same status again is no change: no history, no log entry.
        let again = store
            .update_component("conf", wifi.id, outage, t1 + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(again, changed);
        let t3 = t0() + Duration::minutes(30);
        store
            .update_component(
                "conf",
                wifi.id,
                ComponentPatch {
                    status: Some(ComponentStatus::Operational),
                    description: Some("Venue Wi-Fi".into()),
                    name: None,
                },
                t3,
            )
            .await
            .unwrap();

        let s = store.load_status("conf", t3).await.unwrap();
        assert_eq!(
            s.history[&wifi.id],
            [
                change(t0(), ComponentStatus::Operational),
                change(t1, ComponentStatus::MajorOutage),
                change(t3, ComponentStatus::Operational),
            ]
        );
        assert_eq!(named(&s, "Wi-Fi").description, "Venue Wi-Fi");
        let names: Vec<_> = s.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["Main hall stream", "Side stream", "Wi-Fi"],
            "by group"
        );
        assert_eq!(
            log_after(&store, "conf", seq).await,
            [
                (
                    seq + 1,
                    "component".into(),
                    serde_json::json!({"component_id": wifi.id, "status": "major_outage"})
                ),
                (
                    seq + 2,
                    "component".into(),
                    serde_json::json!({"component_id": wifi.id, "status": "operational"})
                ),
            ]
        );
        assert_eq!(s.last_seq, seq + 2);

        // Refusals name the field and change nothing.
        let main_id = named(&s, "Main hall stream").id;
        let rename = |name: &str| ComponentPatch {
            name: Some(name.into()),
            ..ComponentPatch::default()
        };
        assert_eq!(
            invalid_field(
                store
                    .update_component("conf", wifi.id, rename("Side stream"), t3)
                    .await
            )
            .0,
            "name"
        );
        assert_eq!(
            invalid_field(
                store
                    .update_component("conf", main_id, rename("Stage"), t3)
                    .await
            )
            .0,
            "name"
        );
        assert_eq!(
            invalid_field(
                store
                    .update_component("conf", wifi.id, rename("  "), t3)
                    .await
            )
            .0,
            "name"
        );
        assert_eq!(
            invalid_field(
                store
                    .update_component("conf", wifi.id, rename(&"x".repeat(201)), t3)
                    .await
            )
            .0,
            "name"
        );
        let dup = NewComponent {
            name: "Wi-Fi".into(),
            description: String::new(),
            group_name: None,
        };
        assert_eq!(
            invalid_field(store.create_component("conf", dup.clone(), t3).await).0,
            "name"
        );
        assert!(matches!(
            store
                .update_component("conf", 99_999, rename("X"), t3)
                .await,
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            store.create_component("nope", dup, t3).await,
            Err(AppError::NotFound { .. })
        ));
        assert_eq!(store.load_status("conf", t3).await.unwrap(), s);
    })
    .await;
}

#[tokio::test]
async fn an_incident_moves_its_components_and_resolving_restores_them() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let s = store.load_status("conf", t0()).await.unwrap();
        let (main, side) = (
            named(&s, "Main hall stream").id,
            named(&s, "Side stream").id,
        );
        let seq = s.last_seq;

        let t1 = t0() + Duration::minutes(1);
        let opened = store
            .create_incident(
                "conf",
                NewIncident {
                    component_status: Some(ComponentStatus::PartialOutage),
                    ..incident("Streams stutter", vec![side, main, side])
                },
                t1,
            )
            .await
            .unwrap();
        assert_eq!(opened.component_ids, [main, side]);
        assert_eq!(
            (opened.status, opened.started_at, opened.is_maintenance),
            (IncidentStatus::Investigating, t1, false)
        );
        assert_eq!(opened.updates.len(), 1);
        let first = &opened.updates[0];
        assert_eq!(first.body_md, "We are looking into it.");
        let moved: Vec<_> = first
            .affected
            .iter()
            .map(|a| (a.component_id, a.old_status, a.new_status))
            .collect();
        assert_eq!(
            moved,
            [
                (
                    side,
                    ComponentStatus::Operational,
                    ComponentStatus::PartialOutage
                ),
                (
                    main,
                    ComponentStatus::Operational,
                    ComponentStatus::PartialOutage
                ),
            ]
        );

        let t2 = t0() + Duration::minutes(2);
        let identified = NewIncidentUpdate {
            component_status: Some(ComponentStatus::MajorOutage),
            component_ids: Some(vec![main]),
            reschedule: None,
            ..update(IncidentStatus::Identified, "The encoder died.")
        };
        let r = store
            .add_incident_update("conf", opened.id, identified, t2)
            .await
            .unwrap();
        assert_eq!(r.component_ids, [main], "the affected set was replaced");
        let t3 = t0() + Duration::minutes(3);
        let r = store
            .add_incident_update(
                "conf",
                opened.id,
                update(IncidentStatus::Monitoring, ""),
                t3,
            )
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.monitoring_at, r.resolved_at),
            (IncidentStatus::Monitoring, Some(t3), None)
        );
        let s = store.load_status("conf", t3).await.unwrap();
        assert_eq!(
            named(&s, "Main hall stream").status,
            ComponentStatus::MajorOutage
        );
        assert_eq!(
            named(&s, "Side stream").status,
            ComponentStatus::PartialOutage,
            "no longer affected, left alone"
        );

        let t4 = t0() + Duration::minutes(4);
        let r = store
            .add_incident_update(
                "conf",
                opened.id,
                update(IncidentStatus::Resolved, "Fixed."),
                t4,
            )
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.resolved_at, r.updated_at),
            (IncidentStatus::Resolved, Some(t4), t4)
        );
        let timeline: Vec<_> = r.updates.iter().map(|u| (u.status, u.created_at)).collect();
        assert_eq!(
            timeline,
            [
                (IncidentStatus::Resolved, t4),
                (IncidentStatus::Monitoring, t3),
                (IncidentStatus::Identified, t2),
                (IncidentStatus::Investigating, t1),
            ],
            "newest first"
        );
        assert!(
            r.updates[1].affected.is_empty(),
            "monitoring set no component status"
        );
        assert_eq!(
            r.updates[0].affected[0].new_status,
            ComponentStatus::Operational
        );

        let s = store.load_status("conf", t4).await.unwrap();
        assert_eq!(
            named(&s, "Main hall stream").status,
            ComponentStatus::Operational
        );
        assert_eq!(
            s.history[&main],
            [
                change(t0(), ComponentStatus::Operational),
                change(t1, ComponentStatus::PartialOutage),
                change(t2, ComponentStatus::MajorOutage),
                change(t4, ComponentStatus::Operational),
            ]
        );
        assert_eq!(s.incidents, std::slice::from_ref(&r));

        let log: Vec<_> = log_after(&store, "conf", seq)
            .await
            .into_iter()
            .map(|(_, k, p)| (k, p))
            .collect();
        let component = |id: i64, status: &str| {
            (
                "component".to_owned(),
                serde_json::json!({"component_id": id, "status": status}),
            )
        };
        let incident = |status: &str| {
            (
                "incident".to_owned(),
                serde_json::json!({"incident_id": opened.id, "status": status}),
            )
        };
        assert_eq!(
            log,
            [
                component(side, "partial_outage"),
                component(main, "partial_outage"),
                incident("investigating"),
                component(main, "major_outage"),
                incident("identified"),
                incident("monitoring"),
                component(main, "operational"),
                incident("resolved"),
            ]
        );

        // Reopening clears resolved_at; a postmortem keeps it.
        let t5 = t0() + Duration::minutes(5);
        let r = store
            .add_incident_update(
                "conf",
                opened.id,
                update(IncidentStatus::Identified, "It is back."),
                t5,
            )
            .await
            .unwrap();
        assert_eq!((r.monitoring_at, r.resolved_at), (None, None));
        let r = store
            .add_incident_update(
                "conf",
                opened.id,
                update(IncidentStatus::Resolved, "Really fixed."),
                t5,
            )
            .await
            .unwrap();
        assert_eq!(r.resolved_at, Some(t5));
        let r = store
            .add_incident_update(
                "conf",
                opened.id,
                update(IncidentStatus::Postmortem, "What happened."),
                t5 + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(
            (r.status, r.resolved_at),
            (IncidentStatus::Postmortem, Some(t5))
        );
    })
    .await;
}

#[tokio::test]
async fn illegal_transitions_and_bad_updates_change_nothing() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let main = named(
            &store.load_status("conf", t0()).await.unwrap(),
            "Main hall stream",
        )
        .id;
        let opened = store
            .create_incident("conf", incident("Down", vec![main]), t0())
            .await
            .unwrap();
        store
            .add_incident_update(
                "conf",
                opened.id,
                update(IncidentStatus::Monitoring, "Watching."),
                t0(),
            )
            .await
            .unwrap();
        let before = store.load_status("conf", t0()).await.unwrap();
        let later = t0() + Duration::hours(1);

        let back = NewIncidentUpdate {
            component_status: Some(ComponentStatus::MajorOutage),
            ..update(IncidentStatus::Investigating, "Hm.")
        };
        assert_eq!(
            invalid_field(
                store
                    .add_incident_update("conf", opened.id, back, later)
                    .await
            ),
            (
                "status".into(),
                "an incident cannot go from monitoring to investigating".into()
            )
        );
        let (field, message) = invalid_field(
            store
                .add_incident_update(
                    "conf",
                    opened.id,
                    update(IncidentStatus::InProgress, "x"),
                    later,
                )
                .await,
        );
        assert_eq!(field, "status");
        assert!(message.contains("maintenance status"), "{message}");
        assert_eq!(
            invalid_field(
                store
                    .add_incident_update(
                        "conf",
                        opened.id,
                        update(IncidentStatus::Postmortem, "x"),
                        later
                    )
                    .await
            )
            .0,
            "status"
        );
        assert_eq!(
            invalid_field(
                store
                    .add_incident_update(
                        "conf",
                        opened.id,
                        update(IncidentStatus::Monitoring, "  "),
                        later
                    )
                    .await
            )
            .0,
            "body",
            "a plain update needs a text"
        );
        assert_eq!(
            invalid_field(
                store
                    .add_incident_update(
                        "conf",
                        opened.id,
                        update(IncidentStatus::Resolved, &"x".repeat(20_001)),
                        later
                    )
                    .await
            )
            .0,
            "body"
        );
        assert!(matches!(
            store
                .add_incident_update("conf", 99_999, update(IncidentStatus::Resolved, "x"), later)
                .await,
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            store
                .add_incident_update(
                    "nope",
                    opened.id,
                    update(IncidentStatus::Resolved, "x"),
                    later
                )
                .await,
            Err(AppError::NotFound { .. })
        ));

        // Creating: a blank body, a postmortem, a maintenance status without a window.
        assert_eq!(
            invalid_field(
                store
                    .create_incident(
                        "conf",
                        NewIncident {
                            body_md: " ".into(),
                            ..incident("X", vec![])
                        },
                        later
                    )
                    .await
            )
            .0,
            "body"
        );
        assert_eq!(
            invalid_field(
                store
                    .create_incident("conf", incident("", vec![]), later)
                    .await
            )
            .0,
            "name"
        );
        for status in [IncidentStatus::Postmortem, IncidentStatus::Scheduled] {
            assert_eq!(
                invalid_field(
                    store
                        .create_incident(
                            "conf",
                            NewIncident {
                                status,
                                ..incident("X", vec![])
                            },
                            later
                        )
                        .await
                )
                .0,
                "status"
            );
        }
        assert_eq!(store.load_status("conf", later).await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn unknown_component_ids_are_refused_naming_their_place() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        setup(&store, "other").await;
        let main = named(
            &store.load_status("conf", t0()).await.unwrap(),
            "Main hall stream",
        )
        .id;
        let foreign = named(
            &store.load_status("other", t0()).await.unwrap(),
            "Main hall stream",
        )
        .id;
        let before = store.load_status("conf", t0()).await.unwrap();

        let (field, message) = invalid_field(
            store
                .create_incident("conf", incident("X", vec![main, main, foreign]), t0())
                .await,
        );
        assert_eq!(field, "components[2]");
        assert!(message.contains(&foreign.to_string()), "{message}");

        let opened = store
            .create_incident("conf", incident("X", vec![main]), t0())
            .await
            .unwrap();
        let with_set = |ids: Vec<i64>| NewIncidentUpdate {
            component_ids: Some(ids),
            reschedule: None,
            ..update(IncidentStatus::Identified, "x")
        };
        assert_eq!(
            invalid_field(
                store
                    .add_incident_update("conf", opened.id, with_set(vec![99_999]), t0())
                    .await
            )
            .0,
            "components[0]"
        );
        let s = store.load_status("conf", t0()).await.unwrap();
        assert_eq!(s.incidents.len(), 1);
        assert_eq!(
            s.incidents[0].component_ids,
            [main],
            "the set was not replaced"
        );
        assert_eq!(s.incidents[0].updates.len(), 1);
        assert_eq!(
            s.last_seq,
            before.last_seq + 1,
            "only the incident that was opened"
        );
    })
    .await;
}

#[tokio::test]
async fn maintenance_starts_and_completes_on_its_own() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let main = named(
            &store.load_status("conf", t0()).await.unwrap(),
            "Main hall stream",
        )
        .id;
        let (start, end) = (t0() + Duration::hours(1), t0() + Duration::hours(3));
        let window = |status, from, until| NewIncident {
            status,
            impact: Impact::Maintenance,
            body_md: "Replacing the encoder.".into(),
            scheduled_for: from,
            scheduled_until: until,
            component_status: Some(ComponentStatus::UnderMaintenance),
            ..incident("Encoder swap", vec![main])
        };
        use IncidentStatus::{Completed, InProgress, Scheduled};
        assert_eq!(
            invalid_field(
                store
                    .create_incident("conf", window(Scheduled, Some(end), Some(start)), t0())
                    .await
            )
            .0,
            "scheduled_until"
        );
        assert_eq!(
            invalid_field(
                store
                    .create_incident("conf", window(Scheduled, Some(start), Some(start)), t0())
                    .await
            )
            .0,
            "scheduled_until"
        );
        assert_eq!(
            invalid_field(
                store
                    .create_incident("conf", window(Scheduled, Some(start), None), t0())
                    .await
            )
            .0,
            "scheduled_until"
        );
        assert_eq!(
            invalid_field(
                store
                    .create_incident("conf", window(Scheduled, None, Some(end)), t0())
                    .await
            )
            .0,
            "scheduled_for"
        );
        assert_eq!(
            invalid_field(
                store
                    .create_incident("conf", window(InProgress, Some(start), Some(end)), t0())
                    .await
            )
            .0,
            "status"
        );
        assert_eq!(
            invalid_field(
                store
                    .create_incident(
                        "conf",
                        window(IncidentStatus::Investigating, Some(start), Some(end)),
                        t0()
                    )
                    .await
            )
            .0,
            "status"
        );

        let m = store
            .create_incident("conf", window(Scheduled, Some(start), Some(end)), t0())
            .await
            .unwrap();
        assert!(m.is_maintenance);
        assert_eq!(
            (m.scheduled_for, m.scheduled_until, m.started_at),
            (Some(start), Some(end), start)
        );
        let s = store.load_status("conf", t0()).await.unwrap();
        assert_eq!(
            named(&s, "Main hall stream").status,
            ComponentStatus::Operational,
            "not before it starts"
        );
        assert_eq!(s.incidents.len(), 1, "upcoming maintenance is shown");

        assert!(
            store
                .advance_maintenance(start - Duration::seconds(1))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.advance_maintenance(start).await.unwrap(), ["conf"]);
        assert!(
            store.advance_maintenance(start).await.unwrap().is_empty(),
            "done once"
        );
        let s = store.load_status("conf", start).await.unwrap();
        assert_eq!(
            named(&s, "Main hall stream").status,
            ComponentStatus::UnderMaintenance
        );
        let running = &s.incidents[0];
        assert_eq!(running.status, InProgress);
        assert_eq!(
            running.updates[0].body_md,
            "Scheduled maintenance is in progress."
        );
        assert_eq!(
            running.updates[0].affected[0].new_status,
            ComponentStatus::UnderMaintenance
        );

        assert_eq!(store.advance_maintenance(end).await.unwrap(), ["conf"]);
        let s = store.load_status("conf", end).await.unwrap();
        assert_eq!(
            named(&s, "Main hall stream").status,
            ComponentStatus::Operational
        );
        let done = &s.incidents[0];
        assert_eq!((done.status, done.resolved_at), (Completed, Some(end)));
        assert_eq!(
            done.updates[0].body_md,
            "Scheduled maintenance has completed."
        );
        assert_eq!(
            s.history[&main],
            [
                change(t0(), ComponentStatus::Operational),
                change(start, ComponentStatus::UnderMaintenance),
                change(end, ComponentStatus::Operational),
            ]
        );

        // A window missed entirely (the server was down) runs through both
        // steps at once; one in progress from the outset needs no start.
        let (a, b) = (end + Duration::hours(1), end + Duration::hours(2));
        let missed = store
            .create_incident("conf", window(Scheduled, Some(a), Some(b)), end)
            .await
            .unwrap();
        let now_running = store
            .create_incident("conf", window(InProgress, Some(end), Some(b)), end)
            .await
            .unwrap();
        assert_eq!(
            now_running.updates[0].affected[0].new_status,
            ComponentStatus::UnderMaintenance
        );
        assert_eq!(store.advance_maintenance(b).await.unwrap(), ["conf"]);
        let s = store.load_status("conf", b).await.unwrap();
        for id in [missed.id, now_running.id] {
            let m = s.incidents.iter().find(|i| i.id == id).unwrap();
            assert_eq!(m.status, Completed);
        }
        let steps: Vec<_> = s
            .incidents
            .iter()
            .find(|i| i.id == missed.id)
            .unwrap()
            .updates
            .iter()
            .map(|u| u.status)
            .collect();
        assert_eq!(steps, [Completed, InProgress, Scheduled]);
        assert_eq!(
            named(&s, "Main hall stream").status,
            ComponentStatus::Operational
        );
    })
    .await;
}

#[tokio::test]
async fn an_extended_maintenance_ends_at_its_new_end_and_a_refused_one_keeps_its_window() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let main = named(
            &store.load_status("conf", t0()).await.unwrap(),
            "Main hall stream",
        )
        .id;
        let (start, end) = (t0() + Duration::hours(1), t0() + Duration::hours(2));
        let m = store
            .create_incident(
                "conf",
                NewIncident {
                    status: IncidentStatus::Scheduled,
                    impact: Impact::Maintenance,
                    scheduled_for: Some(start),
                    scheduled_until: Some(end),
                    ..incident("Encoder swap", vec![main])
                },
                t0(),
            )
            .await
            .unwrap();
        // Running: started on its own.
        store.advance_maintenance(start).await.unwrap();
        let later = end + Duration::minutes(40);
        let during = start + Duration::minutes(50);
        let extend = |until, from| NewIncidentUpdate {
            reschedule: Some(Reschedule {
                scheduled_for: from,
                scheduled_until: Some(until),
            }),
            ..update(IncidentStatus::InProgress, "Forty minutes more.")
        };
        // Its start is history: refused, naming the field, nothing changes.
        let (field, _) = invalid_field(
            store
                .add_incident_update(
                    "conf",
                    m.id,
                    extend(later, Some(start + Duration::minutes(5))),
                    during,
                )
                .await,
        );
        assert_eq!(field, "scheduled_for");
        // An end already past is refused too.
        let (field, _) = invalid_field(
            store
                .add_incident_update(
                    "conf",
                    m.id,
                    extend(during - Duration::minutes(1), None),
                    during,
                )
                .await,
        );
        assert_eq!(field, "scheduled_until");
        let r = store
            .add_incident_update("conf", m.id, extend(later, None), during)
            .await
            .unwrap();
        assert_eq!(
            (r.scheduled_for, r.scheduled_until),
            (Some(start), Some(later))
        );
        assert_eq!(r.status, IncidentStatus::InProgress);
        assert_eq!(r.updates[0].body_md, "Forty minutes more.");
        // The old end passes: still running. The new one: completed.
        store
            .advance_maintenance(end + Duration::minutes(1))
            .await
            .unwrap();
        let now = store
            .load_status("conf", end + Duration::minutes(1))
            .await
            .unwrap();
        let i = now.incidents.iter().find(|i| i.id == m.id).unwrap();
        assert_eq!(i.status, IncidentStatus::InProgress);
        store.advance_maintenance(later).await.unwrap();
        let now = store.load_status("conf", later).await.unwrap();
        let i = now.incidents.iter().find(|i| i.id == m.id).unwrap();
        assert_eq!(i.status, IncidentStatus::Completed);
    })
    .await;
}

#[tokio::test]
async fn a_series_with_one_bad_window_makes_nothing_and_names_the_window() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        let before = store
            .load_status("conf", t0())
            .await
            .unwrap()
            .incidents
            .len();
        let window = |h: i64, len: i64| NewIncident {
            status: IncidentStatus::Scheduled,
            impact: Impact::Maintenance,
            scheduled_for: Some(t0() + Duration::hours(h)),
            scheduled_until: Some(t0() + Duration::hours(h + len)),
            ..incident("Weekly", vec![])
        };
        let (field, _) = invalid_field(
            store
                .create_incidents(
                    "conf",
                    vec![window(1, 1), window(169, -1), window(337, 1)],
                    t0(),
                )
                .await,
        );
        assert_eq!(field, "[1].scheduled_until");
        let after = store
            .load_status("conf", t0())
            .await
            .unwrap()
            .incidents
            .len();
        assert_eq!(after, before, "all or nothing");
        let made = store
            .create_incidents("conf", vec![window(1, 1), window(169, 1)], t0())
            .await
            .unwrap();
        assert_eq!(made.len(), 2);
        assert!(made[0].id < made[1].id);
    })
    .await;
}

#[tokio::test]
async fn changes_since_returns_the_ordered_tail_of_the_log() {
    on_each_backend(|store| async move {
        setup(&store, "conf").await;
        setup(&store, "other").await;
        let wifi = NewComponent {
            name: "Wi-Fi".into(),
            description: String::new(),
            group_name: None,
        };
        store.create_component("conf", wifi, t0()).await.unwrap();
        let all = store.changes_since("conf", 0, 100).await.unwrap();
        let seqs: Vec<i64> = all.iter().map(|c| c.seq).collect();
        // The import, the two stream components, Wi-Fi.
        assert_eq!(seqs, [1, 2, 3, 4]);
        assert_eq!(all[0].kind, "schedule");
        assert_eq!(all[3].kind, "component");
        let tail: Vec<i64> = store
            .changes_since("conf", 1, 2)
            .await
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(tail, [2, 3]);
        assert!(
            store
                .changes_since("conf", 4, 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.changes_since("other", 0, 100).await.unwrap().len(),
            3,
            "per event"
        );
        assert!(matches!(
            store.changes_since("nope", 0, 10).await,
            Err(AppError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn load_status_keeps_90_days_of_history_and_recent_incidents() {
    on_each_backend(|store| async move {
        let now = t0();
        let day = |n: i64| now - Duration::days(n);
        store
            .import_schedule_at(&fixture("conf"), "alice", "test", day(200))
            .await
            .unwrap();
        let main = named(
            &store.load_status("conf", day(200)).await.unwrap(),
            "Main hall stream",
        )
        .id;
        let set = |status| ComponentPatch {
            status: Some(status),
            ..ComponentPatch::default()
        };
        store
            .update_component("conf", main, set(ComponentStatus::MajorOutage), day(150))
            .await
            .unwrap();
        store
            .update_component("conf", main, set(ComponentStatus::Operational), day(100))
            .await
            .unwrap();
        store
            .update_component("conf", main, set(ComponentStatus::PartialOutage), day(10))
            .await
            .unwrap();

        let store = &store;
        let resolve = |at| async move {
            let i = store
                .create_incident("conf", incident("Old", vec![]), at)
                .await
                .unwrap();
            store
                .add_incident_update(
                    "conf",
                    i.id,
                    update(IncidentStatus::Resolved, "Done."),
                    at + Duration::hours(1),
                )
                .await
                .unwrap();
            i.id
        };
        let long_ago = resolve(day(120)).await;
        let recent = resolve(day(10)).await;
        let still_open = store
            .create_incident("conf", incident("Open", vec![]), day(100))
            .await
            .unwrap()
            .id;
        let newest = store
            .create_incident("conf", incident("New", vec![]), day(1))
            .await
            .unwrap()
            .id;

        let s = store.load_status("conf", now).await.unwrap();
        assert_eq!(
            s.history[&main],
            [
                change(day(100), ComponentStatus::Operational),
                change(day(10), ComponentStatus::PartialOutage),
            ],
            "the change in force 90 days ago, then the window"
        );
        let side = named(&s, "Side stream").id;
        assert_eq!(
            s.history[&side],
            [change(day(200), ComponentStatus::Operational)]
        );
        let shown: Vec<i64> = s.incidents.iter().map(|i| i.id).collect();
        assert_eq!(shown, [newest, recent, still_open], "newest first");
        assert!(!shown.contains(&long_ago));
        assert_eq!(s.last_seq, store.last_change_seq("conf").await.unwrap());
        assert!(matches!(
            store.load_status("nope", now).await,
            Err(AppError::NotFound { .. })
        ));
    })
    .await;
}

/// Every queued notice's payload, oldest first.
async fn queued_notices(db: &backends::Db) -> Vec<serde_json::Value> {
    use sqlx::Row;
    sqlx::query("select payload_json from push_notice order by push_notice_id")
        .fetch_all(&db.raw().await)
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.try_get::<String, _>("payload_json").unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_cancelled_maintenance_closes_tells_subscribers_and_leaves_its_components() {
    backends::on_each_backend(|db| async move {
        let store = &db.store;
        setup(store, "conf").await;
        let main = named(&store.load_status("conf", t0()).await.unwrap(), "Main hall stream").id;
        // The stream is down for another reason: cancelling must not hide it.
        store
            .update_component(
                "conf",
                main,
                ComponentPatch {
                    status: Some(ComponentStatus::MajorOutage),
                    ..ComponentPatch::default()
                },
                t0(),
            )
            .await
            .unwrap();
        let window = |h: i64| NewIncident {
            status: IncidentStatus::Scheduled,
            impact: Impact::Maintenance,
            scheduled_for: Some(t0() + Duration::hours(h)),
            scheduled_until: Some(t0() + Duration::hours(h + 1)),
            ..incident("Encoder swap", vec![main])
        };
        // A weekly series: two windows, each its own maintenance.
        let made = store
            .create_incidents("conf", vec![window(2), window(2 + 168)], t0())
            .await
            .unwrap();
        let (first, second) = (made[0].id, made[1].id);
        let seq = store.last_change_seq("conf").await.unwrap();
        let notices_before = queued_notices(&db).await.len();
        let at_cancel = t0() + Duration::minutes(30);

        let r = store
            .cancel_maintenance("conf", first, "Not needed after all.", Some(" Ops desk "), at_cancel)
            .await
            .unwrap();
        assert_eq!(r.status, IncidentStatus::Completed);
        assert_eq!(r.cancelled_at, Some(at_cancel));
        assert_eq!(r.resolved_at, Some(at_cancel));
        assert_eq!(r.updates[0].body_md, "Not needed after all.");
        assert_eq!(r.updates[0].signature.as_deref(), Some("Ops desk"));
        assert_eq!(r.updates[0].created_at, at_cancel);
        let s = store.load_status("conf", at_cancel).await.unwrap();
        assert_eq!(named(&s, "Main hall stream").status, ComponentStatus::MajorOutage);
        let other = s.incidents.iter().find(|i| i.id == second).unwrap();
        assert_eq!((other.status, other.cancelled_at), (IncidentStatus::Scheduled, None));
        // Open pages hear of it (change log), subscribers are told it was cancelled.
        let log = log_after(store, "conf", seq).await;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].1, "incident");
        let notices = queued_notices(&db).await;
        assert_eq!(notices.len(), notices_before + 1, "{notices:?}");
        let last = &notices[notices.len() - 1];
        assert_eq!(last["incident_id"], first, "{last}");
        assert_eq!(last["status"], "cancelled", "{last}");
        // The timer never starts it.
        store
            .advance_maintenance(t0() + Duration::hours(4))
            .await
            .unwrap();
        let s = store.load_status("conf", t0() + Duration::hours(4)).await.unwrap();
        let i = s.incidents.iter().find(|i| i.id == first).unwrap();
        assert_eq!(i.status, IncidentStatus::Completed);
        assert_eq!(i.updates.len(), 2, "no automatic start or end");

        // Refusals change nothing: again (409), an incident (422), a
        // running window (409), an unknown id (404).
        let count = |s: &StatusSnapshot| s.incidents.iter().map(|i| i.updates.len()).sum::<usize>();
        let before = count(&store.load_status("conf", at_cancel).await.unwrap());
        let again = store.cancel_maintenance("conf", first, "x", None, at_cancel).await;
        assert!(
            matches!(&again, Err(AppError::ConflictOn { field, message }) if field == "status" && message.contains("cancelled already")),
            "{again:?}"
        );
        let outage = store.create_incident("conf", incident("Wi-Fi", vec![]), t0()).await.unwrap();
        let (field, _) = invalid_field(store.cancel_maintenance("conf", outage.id, "x", None, at_cancel).await);
        assert_eq!(field, "id");
        let running_at = t0() + Duration::hours(170) + Duration::minutes(5);
        let started = store.cancel_maintenance("conf", second, "x", None, running_at).await;
        assert!(
            matches!(&started, Err(AppError::ConflictOn { message, .. }) if message.contains("has started")),
            "{started:?}"
        );
        let unknown = store.cancel_maintenance("conf", 9_999_999, "x", None, at_cancel).await;
        assert!(matches!(unknown, Err(AppError::NotFound { .. })), "{unknown:?}");
        let after = count(&store.load_status("conf", at_cancel).await.unwrap());
        assert_eq!(after, before + 1, "only the new incident's first update");
        let s = store.load_status("conf", at_cancel).await.unwrap();
        let other = s.incidents.iter().find(|i| i.id == second).unwrap();
        assert_eq!(other.status, IncidentStatus::Scheduled);
    })
    .await;
}
