//! Monitors: the rules that turn check results into a component's status.
//! A component changes after N failures among the last M checks and comes
//! back after K successes in a row, so one lost packet does not flap it;
//! a monitor changes back only what it changed itself, never a status an
//! organiser set. HLS freshness: a live playlist whose media sequence (or
//! its last segment) has not moved for longer than a threshold is down.
//! Pure: results, the component's status and `now` are passed in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::ComponentStatus;

/// The shortest interval between two checks of one monitor, in seconds.
pub const MIN_INTERVAL_SECS: i64 = 10;
/// The longest interval, in seconds (a day).
pub const MAX_INTERVAL_SECS: i64 = 86_400;
/// The shortest and longest timeout of one check, in milliseconds.
pub const MIN_TIMEOUT_MS: i64 = 100;
pub const MAX_TIMEOUT_MS: i64 = 60_000;
/// The longest window (M) of results a decision looks at.
pub const MAX_WINDOW: i64 = 50;
/// The longest keyword, in characters.
pub const MAX_KEYWORD: usize = 200;
/// The longest target, in characters.
pub const MAX_TARGET: usize = 2_000;

/// What a monitor checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorKind {
    /// An HTTP(S) GET: expected status, optional keyword, latency limit.
    Http,
    /// A TCP connection to `host:port`.
    Tcp,
    /// A live HLS media playlist that must keep advancing.
    Hls,
}

impl MonitorKind {
    pub const ALL: [Self; 3] = [Self::Http, Self::Tcp, Self::Hls];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Tcp => "tcp",
            Self::Hls => "hls",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An inclusive range of HTTP status codes, written `200` or `200-299`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    pub low: u16,
    pub high: u16,
}

impl StatusRange {
    /// Any success or redirect: what "the page answers" usually means.
    pub const DEFAULT: Self = Self {
        low: 200,
        high: 399,
    };

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (low, high) = match s.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
            None => {
                let one = s.parse().ok()?;
                (one, one)
            }
        };
        ((100..=599).contains(&low) && (100..=599).contains(&high) && low <= high)
            .then_some(Self { low, high })
    }

    pub fn contains(self, code: u16) -> bool {
        (self.low..=self.high).contains(&code)
    }
}

impl std::fmt::Display for StatusRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "{}-{}", self.low, self.high)
        }
    }
}

/// A monitor's settings as given, before they are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSpec {
    pub kind: MonitorKind,
    pub interval_secs: i64,
    pub timeout_ms: i64,
    /// N: failures among the last `window` checks that change the component.
    pub failures: i64,
    /// M: how many recent checks count.
    pub window: i64,
    /// K: successes in a row that bring it back.
    pub recoveries: i64,
    /// The status the component is put in when the monitor trips.
    pub down_status: ComponentStatus,
    /// HTTP: the expected status codes.
    pub expect_status: StatusRange,
    /// HTTP: text the body must contain.
    pub keyword: Option<String>,
    /// HTTP: an answer slower than this counts as a failure.
    pub max_latency_ms: Option<i64>,
    /// HLS: seconds without progress after which the stream is down.
    pub stale_secs: i64,
}

/// A refused setting: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Result<(), SpecError> {
    Err(SpecError {
        field,
        message: message.into(),
    })
}

/// Checks a monitor's numbers against each other. The target itself is
/// judged by the server (URL syntax and the outbound address rule).
pub fn check_spec(s: &MonitorSpec) -> Result<(), SpecError> {
    if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&s.interval_secs) {
        return refuse(
            "interval_secs",
            format!("must be between {MIN_INTERVAL_SECS} and {MAX_INTERVAL_SECS} seconds"),
        );
    }
    if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&s.timeout_ms) {
        return refuse(
            "timeout_ms",
            format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} milliseconds"),
        );
    }
    if s.timeout_ms > s.interval_secs * 1000 {
        return refuse("timeout_ms", "must not be longer than the interval");
    }
    if !(1..=MAX_WINDOW).contains(&s.window) {
        return refuse("window", format!("must be between 1 and {MAX_WINDOW}"));
    }
    if !(1..=s.window).contains(&s.failures) {
        return refuse(
            "failures",
            format!(
                "must be between 1 and the window ({}): N failures out of the last M checks",
                s.window
            ),
        );
    }
    if !(1..=MAX_WINDOW).contains(&s.recoveries) {
        return refuse("recoveries", format!("must be between 1 and {MAX_WINDOW}"));
    }
    if matches!(
        s.down_status,
        ComponentStatus::Operational | ComponentStatus::UnderMaintenance
    ) {
        return refuse(
            "down_status",
            "must be degraded_performance, partial_outage or major_outage",
        );
    }
    if let Some(k) = &s.keyword
        && (k.trim().is_empty() || k.chars().count() > MAX_KEYWORD)
    {
        return refuse(
            "keyword",
            format!("must be 1 to {MAX_KEYWORD} characters when given"),
        );
    }
    if let Some(l) = s.max_latency_ms
        && !(1..=s.timeout_ms).contains(&l)
    {
        return refuse("max_latency_ms", "must be between 1 and the timeout");
    }
    if s.kind == MonitorKind::Hls && !(s.interval_secs..=MAX_INTERVAL_SECS).contains(&s.stale_secs)
    {
        return refuse(
            "stale_secs",
            "must be at least the interval (a playlist is seen once per interval)",
        );
    }
    Ok(())
}

/// What a round's result does to a monitor's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changes.
    Hold,
    /// N of the last M failed: the target is down.
    Trip,
    /// K in a row succeeded after a trip: the target is back.
    Recover,
}

/// The verdict after the latest result. `recent` holds the results, oldest
/// first, newest last (only the last `window` count); `down` is whether
/// the monitor had tripped before.
pub fn verdict(
    recent: &[bool],
    down: bool,
    failures: i64,
    window: i64,
    recoveries: i64,
) -> Verdict {
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    if down {
        let k = count(recoveries);
        let tail = last_n(recent, k);
        if tail.len() == k && tail.iter().all(|ok| *ok) {
            return Verdict::Recover;
        }
        return Verdict::Hold;
    }
    let failed = last_n(recent, count(window))
        .iter()
        .filter(|ok| !**ok)
        .count();
    // Only a failing check trips: a success never turns a monitor down.
    if recent.last() == Some(&false) && failed >= count(failures) {
        Verdict::Trip
    } else {
        Verdict::Hold
    }
}

/// The last `n` results (all of them when fewer).
fn last_n(recent: &[bool], n: usize) -> &[bool] {
    &recent[recent.len().saturating_sub(n)..]
}

/// Appends `ok` to the packed history ("1" success, "0" failure, newest
/// last), keeping the last `window`, or `recoveries` when larger.
pub fn push_result(history: &str, ok: bool, keep: i64) -> String {
    let mut all: Vec<char> = history.chars().filter(|c| matches!(c, '0' | '1')).collect();
    all.push(if ok { '1' } else { '0' });
    let keep = usize::try_from(keep.max(1)).unwrap_or(1);
    all[all.len().saturating_sub(keep)..].iter().collect()
}

/// The packed history as results, oldest first.
pub fn unpack(history: &str) -> Vec<bool> {
    history.chars().map(|c| c == '1').collect()
}

/// What to do with the component for a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentMove {
    /// The status to set, if any.
    pub set: Option<ComponentStatus>,
    /// What the monitor now holds the component in (to undo on recovery):
    /// `None` when it changed nothing it must give back.
    pub applied: Option<ComponentStatus>,
}

/// Whether the component changes. On a trip it changes only from
/// operational (any other status was chosen by someone, and stays); on a
/// recovery it goes back to operational only if it still has the status
/// this monitor gave it — an organiser's change in between wins.
pub fn component_move(
    v: Verdict,
    current: ComponentStatus,
    applied: Option<ComponentStatus>,
    down_status: ComponentStatus,
) -> ComponentMove {
    match v {
        Verdict::Hold => ComponentMove { set: None, applied },
        Verdict::Trip if current == ComponentStatus::Operational => ComponentMove {
            set: Some(down_status),
            applied: Some(down_status),
        },
        Verdict::Trip => ComponentMove {
            set: None,
            applied: None,
        },
        Verdict::Recover => ComponentMove {
            set: (applied == Some(current)).then_some(ComponentStatus::Operational),
            applied: None,
        },
    }
}

/// Judges an HTTP answer; the reason when it fails.
pub fn judge_http(
    status: u16,
    expect: StatusRange,
    keyword_found: Option<bool>,
    latency_ms: i64,
    max_latency_ms: Option<i64>,
) -> Result<(), String> {
    if !expect.contains(status) {
        return Err(format!("status {status}, expected {expect}"));
    }
    if keyword_found == Some(false) {
        return Err("keyword not found in the body".into());
    }
    if let Some(max) = max_latency_ms.filter(|max| latency_ms > *max) {
        return Err(format!("answered in {latency_ms} ms, limit {max} ms"));
    }
    Ok(())
}

/// What a media playlist says about progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playlist {
    /// `#EXT-X-MEDIA-SEQUENCE` (0 when absent, as the spec says).
    pub media_sequence: u64,
    /// The URI of the last segment, if any.
    pub last_segment: Option<String>,
    /// `#EXT-X-ENDLIST`: the stream has ended.
    pub ended: bool,
}

/// Reads a media playlist. A master playlist (variants, no segments) is
/// refused: freshness is a property of one rendition's media playlist.
pub fn parse_playlist(text: &str) -> Result<Playlist, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("#EXTM3U") {
        return Err("not an HLS playlist (no #EXTM3U)".into());
    }
    let mut p = Playlist {
        media_sequence: 0,
        last_segment: None,
        ended: false,
    };
    let mut master = false;
    for line in lines {
        if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            p.media_sequence = v
                .trim()
                .parse()
                .map_err(|_| format!("bad #EXT-X-MEDIA-SEQUENCE {v:?}"))?;
        } else if line == "#EXT-X-ENDLIST" {
            p.ended = true;
        } else if line.starts_with("#EXT-X-STREAM-INF") {
            master = true;
        } else if !line.starts_with('#') {
            p.last_segment = Some(line.to_owned());
        }
    }
    if master {
        return Err("a master playlist; give the URL of a media playlist (one rendition)".into());
    }
    Ok(p)
}

/// The last progress seen on a playlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlsMark {
    /// `media_sequence` and the last segment, as one comparable text.
    pub position: String,
    /// When that position was first seen.
    pub since: DateTime<Utc>,
}

/// Whether a playlist is fresh, and the mark to keep. Progress is a new
/// media sequence or a new last segment (a playlist that only appends
/// keeps its sequence). The first sighting counts as progress.
pub fn hls_fresh(
    p: &Playlist,
    before: Option<&HlsMark>,
    now: DateTime<Utc>,
    stale_secs: i64,
) -> (Result<(), String>, HlsMark) {
    let position = format!(
        "{}|{}",
        p.media_sequence,
        p.last_segment.as_deref().unwrap_or("")
    );
    let mark = match before {
        Some(b) if b.position == position => b.clone(),
        _ => HlsMark {
            position,
            since: now,
        },
    };
    if p.ended {
        return (Err("the playlist has ended (#EXT-X-ENDLIST)".into()), mark);
    }
    let still = (now - mark.since).num_seconds();
    if still > stale_secs {
        let why = format!(
            "media sequence {} has not advanced for {still} s (limit {stale_secs} s)",
            p.media_sequence
        );
        return (Err(why), mark);
    }
    (Ok(()), mark)
}

/// A component's checks on one local day, for the uptime bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasuredDay {
    pub date: chrono::NaiveDate,
    pub checks: i64,
    pub failures: i64,
}

/// The share of successful checks over `days`, in percent; `None`
/// without a check.
pub fn measured_percent(days: &[MeasuredDay]) -> Option<f64> {
    let checks: i64 = days.iter().map(|d| d.checks).sum();
    let failures: i64 = days.iter().map(|d| d.failures).sum();
    (checks > 0).then(|| (checks - failures) as f64 / checks as f64 * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentStatus::*;

    fn spec() -> MonitorSpec {
        MonitorSpec {
            kind: MonitorKind::Http,
            interval_secs: 30,
            timeout_ms: 5_000,
            failures: 3,
            window: 5,
            recoveries: 2,
            down_status: MajorOutage,
            expect_status: StatusRange::DEFAULT,
            keyword: None,
            max_latency_ms: None,
            stale_secs: 60,
        }
    }

    #[test]
    fn settings_out_of_range_name_their_field() {
        assert_eq!(check_spec(&spec()), Ok(()));
        let cases: [(&str, MonitorSpec); 8] = [
            (
                "interval_secs",
                MonitorSpec {
                    interval_secs: 9,
                    ..spec()
                },
            ),
            (
                "timeout_ms",
                MonitorSpec {
                    timeout_ms: 50,
                    ..spec()
                },
            ),
            (
                "timeout_ms",
                MonitorSpec {
                    interval_secs: 10,
                    timeout_ms: 20_000,
                    ..spec()
                },
            ),
            (
                "failures",
                MonitorSpec {
                    failures: 6,
                    ..spec()
                },
            ),
            (
                "window",
                MonitorSpec {
                    window: 0,
                    ..spec()
                },
            ),
            (
                "down_status",
                MonitorSpec {
                    down_status: Operational,
                    ..spec()
                },
            ),
            (
                "max_latency_ms",
                MonitorSpec {
                    max_latency_ms: Some(6_000),
                    ..spec()
                },
            ),
            (
                "stale_secs",
                MonitorSpec {
                    kind: MonitorKind::Hls,
                    stale_secs: 5,
                    ..spec()
                },
            ),
        ];
        for (field, s) in cases {
            assert_eq!(check_spec(&s).unwrap_err().field, field, "{s:?}");
        }
    }

    #[test]
    fn status_ranges_parse_one_code_or_a_range() {
        assert_eq!(
            StatusRange::parse("204"),
            Some(StatusRange {
                low: 204,
                high: 204
            })
        );
        assert_eq!(
            StatusRange::parse("200-299").unwrap().to_string(),
            "200-299"
        );
        for bad in ["", "abc", "299-200", "99", "200-600"] {
            assert_eq!(StatusRange::parse(bad), None, "{bad}");
        }
    }

    /// Feeds results one by one; the index (1-based) of each verdict that
    /// is not Hold.
    fn run(results: &[bool], n: i64, m: i64, k: i64) -> Vec<(usize, Verdict)> {
        let mut history = String::new();
        let mut down = false;
        let mut out = Vec::new();
        for (i, ok) in results.iter().enumerate() {
            history = push_result(&history, *ok, m.max(k));
            let v = verdict(&unpack(&history), down, n, m, k);
            match v {
                Verdict::Trip => down = true,
                Verdict::Recover => down = false,
                Verdict::Hold => continue,
            }
            out.push((i + 1, v));
        }
        out
    }

    #[test]
    fn a_component_trips_on_exactly_the_nth_failure_of_the_window() {
        let f = false;
        let t = true;
        assert_eq!(run(&[f, f, f], 3, 5, 2), vec![(3, Verdict::Trip)]);
        // Failing half the time: 3 failures among the last 5 on the 5th.
        assert_eq!(run(&[f, t, f, t, f], 3, 5, 2), vec![(5, Verdict::Trip)]);
        // Spread out wider than the window: never.
        assert_eq!(run(&[f, t, t, t, t, f, t, t, t, t, f], 2, 5, 2), vec![]);
    }

    #[test]
    fn recovery_needs_k_successes_in_a_row_so_it_does_not_flap() {
        let f = false;
        let t = true;
        assert_eq!(
            run(&[f, f, t, f, t, t], 2, 3, 2),
            vec![(2, Verdict::Trip), (6, Verdict::Recover)]
        );
        // A success right after the trip does not trip again when the
        // window still holds N failures.
        assert_eq!(run(&[f, f, t], 2, 3, 3), vec![(2, Verdict::Trip)]);
    }

    #[test]
    fn a_monitor_gives_back_only_what_it_took() {
        let trip = component_move(Verdict::Trip, Operational, None, PartialOutage);
        assert_eq!(trip.set, Some(PartialOutage));
        assert_eq!(trip.applied, Some(PartialOutage));
        // An organiser had set maintenance: left alone, nothing to give back.
        let manual = component_move(Verdict::Trip, UnderMaintenance, None, MajorOutage);
        assert_eq!(
            manual,
            ComponentMove {
                set: None,
                applied: None
            }
        );
        let back = component_move(
            Verdict::Recover,
            PartialOutage,
            Some(PartialOutage),
            PartialOutage,
        );
        assert_eq!(back.set, Some(Operational));
        // The organiser changed it while the monitor was down: theirs stays.
        let theirs = component_move(
            Verdict::Recover,
            DegradedPerformance,
            Some(PartialOutage),
            PartialOutage,
        );
        assert_eq!(theirs.set, None);
        assert_eq!(theirs.applied, None);
    }

    #[test]
    fn measured_uptime_is_the_share_of_checks_that_passed() {
        let day = |d: u32, checks, failures| MeasuredDay {
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap(),
            checks,
            failures,
        };
        assert_eq!(measured_percent(&[]), None);
        assert_eq!(measured_percent(&[day(1, 0, 0)]), None);
        let pct = measured_percent(&[day(1, 2880, 0), day(2, 1120, 40)]).unwrap();
        assert!((pct - 99.0).abs() < 1e-9, "{pct}");
    }

    #[test]
    fn http_answers_are_judged_on_status_keyword_and_latency() {
        let r = StatusRange::DEFAULT;
        assert!(judge_http(200, r, None, 10, None).is_ok());
        assert!(
            judge_http(500, r, None, 10, None)
                .unwrap_err()
                .contains("500")
        );
        assert!(
            judge_http(200, r, Some(false), 10, None)
                .unwrap_err()
                .contains("keyword")
        );
        assert!(
            judge_http(200, r, Some(true), 900, Some(500))
                .unwrap_err()
                .contains("900 ms")
        );
    }

    const LIVE: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n#EXTINF:2.0,\nseg41.ts\n#EXTINF:2.0,\nseg42.ts\n";

    #[test]
    fn playlists_are_read_for_their_sequence_and_last_segment() {
        let p = parse_playlist(LIVE).unwrap();
        assert_eq!(p.media_sequence, 41);
        assert_eq!(p.last_segment.as_deref(), Some("seg42.ts"));
        assert!(!p.ended);
        assert!(parse_playlist("<html>").is_err());
        let master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nlow.m3u8\n";
        assert!(parse_playlist(master).unwrap_err().contains("master"));
        let vod = format!("{LIVE}#EXT-X-ENDLIST\n");
        assert!(parse_playlist(&vod).unwrap().ended);
    }

    #[test]
    fn a_playlist_that_stops_advancing_is_down_after_the_threshold() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let p = parse_playlist(LIVE).unwrap();
        let (ok, mark) = hls_fresh(&p, None, at(0), 30);
        assert!(ok.is_ok());
        let (ok, mark) = hls_fresh(&p, Some(&mark), at(30), 30);
        assert!(ok.is_ok(), "exactly at the threshold is still fresh");
        let (ok, mark) = hls_fresh(&p, Some(&mark), at(31), 30);
        assert!(ok.unwrap_err().contains("not advanced for 31 s"));
        assert_eq!(mark.since, at(0));
        let moved = Playlist {
            media_sequence: 42,
            ..p
        };
        let (ok, mark) = hls_fresh(&moved, Some(&mark), at(40), 30);
        assert!(ok.is_ok());
        assert_eq!(mark.since, at(40));
    }
}
