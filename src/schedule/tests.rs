//! The schedule driven by a fake clock: through both DST changes of 2026 in
//! Europe/Amsterdam, a missed week, a restart mid-send. No sleeping.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::*;

fn ams() -> Tz {
    "Europe/Amsterdam".parse().unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn schedule(expr: &str) -> Schedule {
    Schedule::new(expr, ams()).unwrap()
}

fn rfc(times: &[DateTime<Tz>]) -> Vec<String> {
    times.iter().map(|t| t.to_rfc3339()).collect()
}

#[test]
fn monday_0800_stays_0800_local_on_both_sides_of_each_change() {
    let s = schedule("0 8 * * MON");
    assert_eq!(
        rfc(&s.next_n(t("2026-03-20T00:00:00+01:00"), 3)),
        [
            "2026-03-23T08:00:00+01:00",
            "2026-03-30T08:00:00+02:00",
            "2026-04-06T08:00:00+02:00"
        ]
    );
    assert_eq!(
        rfc(&s.next_n(t("2026-10-17T00:00:00+02:00"), 3)),
        [
            "2026-10-19T08:00:00+02:00",
            "2026-10-26T08:00:00+01:00",
            "2026-11-02T08:00:00+01:00"
        ]
    );
    // The numeric day and a 6-field expression with seconds are the same.
    assert_eq!(
        s.next_n(t("2026-03-20T00:00:00+01:00"), 3),
        schedule("0 0 8 * * 1").next_n(t("2026-03-20T00:00:00+01:00"), 3)
    );
}

#[test]
fn a_time_in_the_spring_gap_fires_once_right_after_the_gap() {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
    assert_eq!(
        rfc(&schedule("30 2 * * *").next_n(t("2026-03-28T00:00:00+01:00"), 3)),
        [
            "2026-03-28T02:30:00+01:00",
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:30:00+02:00"
        ]
    );
    // A list of hours: croner alone skips the gap time here (see below).
    assert_eq!(
        rfc(&schedule("30 2,14 * * *").next_n(t("2026-03-28T12:00:00+01:00"), 4)),
        [
            "2026-03-28T14:30:00+01:00",
            "2026-03-29T03:00:00+02:00",
            "2026-03-29T14:30:00+02:00",
            "2026-03-30T02:30:00+02:00"
        ]
    );
    // Two times in the gap fire once, together.
    assert_eq!(
        rfc(&schedule("0,30 2 * * *").next_n(t("2026-03-28T12:00:00+01:00"), 3)),
        [
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:00:00+02:00",
            "2026-03-30T02:30:00+02:00"
        ]
    );
    // An interval pattern: every wall-clock time once, the gap's at its end.
    assert_eq!(
        rfc(&schedule("*/30 * * * *").next_n(t("2026-03-29T01:00:00+01:00"), 3)),
        [
            "2026-03-29T01:30:00+01:00",
            "2026-03-29T03:00:00+02:00",
            "2026-03-29T03:30:00+02:00"
        ]
    );
}

#[test]
fn a_time_in_the_repeated_autumn_hour_fires_once() {
    // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:00–03:00 happens twice.
    assert_eq!(
        rfc(&schedule("30 2 * * *").next_n(t("2026-10-24T00:00:00+02:00"), 3)),
        [
            "2026-10-24T02:30:00+02:00",
            "2026-10-25T02:30:00+02:00",
            "2026-10-26T02:30:00+01:00"
        ]
    );
    assert_eq!(
        rfc(&schedule("30 2,14 * * *").next_n(t("2026-10-24T12:00:00+02:00"), 3)),
        [
            "2026-10-24T14:30:00+02:00",
            "2026-10-25T02:30:00+02:00",
            "2026-10-25T14:30:00+01:00"
        ]
    );
    assert_eq!(
        rfc(&schedule("*/30 * * * *").next_n(t("2026-10-25T01:00:00+02:00"), 4)),
        [
            "2026-10-25T01:30:00+02:00",
            "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:30:00+02:00",
            "2026-10-25T03:00:00+01:00"
        ]
    );
    // Asked from inside the second pass, 02:30 has already been.
    assert_eq!(
        schedule("30 2 * * *")
            .next_after(t("2026-10-25T02:10:00+01:00"))
            .unwrap()
            .to_rfc3339(),
        "2026-10-26T02:30:00+01:00"
    );
    assert_eq!(
        schedule("30 2 * * *")
            .latest_at(t("2026-10-25T02:10:00+01:00"))
            .unwrap()
            .to_rfc3339(),
        "2026-10-25T02:30:00+02:00"
    );
}

/// Why local times are resolved here and not by croner: on its own it
/// skips a list of hours in the gap and fires it twice in the repeated
/// hour. If croner changes, this test says so, and the wrapper may go.
#[test]
fn croner_alone_mishandles_a_list_of_hours_across_dst() {
    let cron = parse_cron("30 2,14 * * *").unwrap();
    let from = ams().with_ymd_and_hms(2026, 3, 28, 12, 0, 0).unwrap();
    let spring: Vec<String> = cron
        .iter_after(from)
        .take(2)
        .map(|t| t.to_rfc3339())
        .collect();
    assert_eq!(
        spring,
        ["2026-03-28T14:30:00+01:00", "2026-03-29T14:30:00+02:00"]
    );
    let from = ams().with_ymd_and_hms(2026, 10, 24, 12, 0, 0).unwrap();
    let autumn: Vec<String> = cron
        .iter_after(from)
        .take(3)
        .map(|t| t.to_rfc3339())
        .collect();
    assert_eq!(
        autumn,
        [
            "2026-10-24T14:30:00+02:00",
            "2026-10-25T02:30:00+02:00",
            "2026-10-25T02:30:00+01:00"
        ]
    );
}

/// `latest_at` (a backward search) agrees with walking forward, at every
/// 7 minutes and every exact scheduled time across both DST days.
#[test]
fn latest_at_agrees_with_the_forward_walk() {
    let patterns = [
        "0 8 * * MON",
        "30 2 * * *",
        "30 2,14 * * *",
        "0,30 2 * * *",
        "*/20 * * * *",
        "0 3 * * *",
        "59 1 * * *",
    ];
    for (from, to) in [
        ("2026-03-27T00:00:00+01:00", "2026-03-31T00:00:00+02:00"),
        ("2026-10-23T00:00:00+02:00", "2026-10-27T00:00:00+01:00"),
    ] {
        for p in patterns {
            let s = schedule(p);
            let times: Vec<DateTime<Utc>> = s
                .next_n(t(from) - Duration::days(8), 1_000)
                .into_iter()
                .map(|x| x.with_timezone(&Utc))
                .collect();
            let mut probes: Vec<DateTime<Utc>> = Vec::new();
            let mut at = t(from);
            while at < t(to) {
                probes.push(at);
                at += Duration::minutes(7);
            }
            for x in times.iter().filter(|x| **x >= t(from) && **x < t(to)) {
                probes.extend([*x - Duration::seconds(1), *x, *x + Duration::seconds(1)]);
            }
            for probe in probes {
                let want = times.iter().rev().find(|x| **x <= probe).copied();
                let got = s.latest_at(probe).map(|x| x.with_timezone(&Utc));
                assert_eq!(got, want, "`{p}` latest at {probe}");
                let want = times.iter().find(|x| **x > probe).copied();
                let got = s.next_after(probe).map(|x| x.with_timezone(&Utc));
                assert_eq!(got, want, "`{p}` next after {probe}");
            }
        }
    }
}

/// Ticks a fake clock every `tick` from `from` to `to`, firing whenever a
/// send is due, as `send --if-due` from cron would. Returns the fire times.
fn drive(s: &Schedule, from: &str, to: &str, tick: Duration) -> Vec<String> {
    let mut history = History {
        last_fire: Some(t(from)),
        unfinished: false,
    };
    let mut fired = Vec::new();
    let mut now = t(from);
    while now < t(to) {
        match s.step(now, &history) {
            Action::Send { scheduled } => {
                fired.push(scheduled.to_rfc3339());
                history.last_fire = Some(scheduled.with_timezone(&Utc));
            }
            Action::Wait { .. } => {}
            other => panic!("unexpected {other:?} at {now}"),
        }
        now += tick;
    }
    fired
}

#[test]
fn weekly_fires_once_per_monday_through_both_changes() {
    let s = schedule("0 8 * * MON");
    assert_eq!(
        drive(
            &s,
            "2026-03-16T09:00:00+01:00",
            "2026-04-07T00:00:00+02:00",
            Duration::minutes(5)
        ),
        [
            "2026-03-23T08:00:00+01:00",
            "2026-03-30T08:00:00+02:00",
            "2026-04-06T08:00:00+02:00"
        ]
    );
    assert_eq!(
        drive(
            &s,
            "2026-10-13T00:00:00+02:00",
            "2026-11-03T00:00:00+01:00",
            Duration::minutes(5)
        ),
        [
            "2026-10-19T08:00:00+02:00",
            "2026-10-26T08:00:00+01:00",
            "2026-11-02T08:00:00+01:00"
        ]
    );
}

#[test]
fn nightly_fires_once_on_each_dst_day() {
    let s = schedule("30 2 * * *");
    assert_eq!(
        drive(
            &s,
            "2026-03-28T12:00:00+01:00",
            "2026-03-30T12:00:00+02:00",
            Duration::minutes(1)
        ),
        ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]
    );
    assert_eq!(
        drive(
            &s,
            "2026-10-24T12:00:00+02:00",
            "2026-10-26T12:00:00+01:00",
            Duration::minutes(1)
        ),
        ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]
    );
}

#[test]
fn a_due_time_is_sent_once_then_the_next_is_awaited() {
    let s = schedule("0 8 * * MON");
    let six = Duration::hours(6);
    let last = Some(t("2026-11-16T08:00:00+01:00"));
    let next = |x: &str| Some(t(x).with_timezone(&ams()));
    assert_eq!(
        s.due(t("2026-11-23T07:59:59+01:00"), last, six),
        Decision::Wait {
            next: next("2026-11-23T08:00:00+01:00")
        }
    );
    assert_eq!(
        s.due(t("2026-11-23T08:00:00+01:00"), last, six),
        Decision::Send {
            scheduled: t("2026-11-23T08:00:00+01:00").with_timezone(&ams())
        }
    );
    let fired = Some(t("2026-11-23T08:00:00+01:00"));
    assert_eq!(
        s.due(t("2026-11-23T08:05:00+01:00"), fired, six),
        Decision::Wait {
            next: next("2026-11-30T08:00:00+01:00")
        }
    );
    // The clock goes back an hour after the send: still not twice.
    assert_eq!(
        s.due(t("2026-11-23T07:30:00+01:00"), fired, six),
        Decision::Wait {
            next: next("2026-11-30T08:00:00+01:00")
        }
    );
}

#[test]
fn a_missed_week_is_sent_within_catch_up_and_skipped_beyond() {
    let s = schedule("0 8 * * MON");
    let six = Duration::hours(6);
    // The machine was off from Sunday to Monday 13:00: still in time.
    let last = Some(t("2026-11-16T08:00:00+01:00"));
    assert_eq!(
        s.due(t("2026-11-23T13:00:00+01:00"), last, six),
        Decision::Send {
            scheduled: t("2026-11-23T08:00:00+01:00").with_timezone(&ams())
        }
    );
    // ...until 14:00 exactly; after that, too late.
    assert!(matches!(
        s.due(t("2026-11-23T14:00:00+01:00"), last, six),
        Decision::Send { .. }
    ));
    assert_eq!(
        s.due(t("2026-11-23T14:00:01+01:00"), last, six),
        Decision::Skip {
            missed: t("2026-11-23T08:00:00+01:00").with_timezone(&ams()),
            next: Some(t("2026-11-30T08:00:00+01:00").with_timezone(&ams()))
        }
    );
    // Off for three weeks, back on a Monday morning: only the last is sent.
    assert_eq!(
        s.due(t("2026-12-07T09:00:00+01:00"), last, six),
        Decision::Send {
            scheduled: t("2026-12-07T08:00:00+01:00").with_timezone(&ams())
        }
    );
    // Back on a Wednesday: skipped, and once recorded it stays quiet.
    let now = t("2026-12-09T09:00:00+01:00");
    let Decision::Skip { missed, .. } = s.due(now, last, six) else {
        panic!("a skip");
    };
    assert_eq!(missed.to_rfc3339(), "2026-12-07T08:00:00+01:00");
    assert!(matches!(
        s.due(now, Some(missed.with_timezone(&Utc)), six),
        Decision::Wait { .. }
    ));
    // `catch_up = "0"`: a minute late is too late.
    assert!(matches!(
        s.due(t("2026-11-23T08:01:00+01:00"), last, Duration::zero()),
        Decision::Skip { .. }
    ));
}

#[test]
fn with_no_history_only_a_recent_time_is_sent() {
    let s = schedule("0 8 * * MON");
    let six = Duration::hours(6);
    assert!(matches!(
        s.due(t("2026-11-23T09:00:00+01:00"), None, six),
        Decision::Send { .. }
    ));
    // A first start on Wednesday waits for Monday; nothing was missed.
    assert_eq!(
        s.due(t("2026-11-25T09:00:00+01:00"), None, six),
        Decision::Wait {
            next: Some(t("2026-11-30T08:00:00+01:00").with_timezone(&ams()))
        }
    );
}

#[test]
fn a_restart_mid_send_resumes_and_does_not_fire_again() {
    let s = schedule("0 8 * * MON");
    // Killed during delivery: the edition is stored and unfinished.
    let crashed = History {
        last_fire: Some(t("2026-11-23T08:00:02+01:00")),
        unfinished: true,
    };
    assert_eq!(
        s.step(t("2026-11-23T08:03:00+01:00"), &crashed),
        Action::Resume
    );
    // Even long after, an unfinished edition is finished first.
    assert_eq!(
        s.step(t("2026-11-25T08:03:00+01:00"), &crashed),
        Action::Resume
    );
    // Resumed and closed: its start counts as the 08:00 fire.
    let done = History {
        unfinished: false,
        ..crashed
    };
    assert!(matches!(
        s.step(t("2026-11-23T08:10:00+01:00"), &done),
        Action::Wait { .. }
    ));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("6h"), Ok(Duration::hours(6)));
    assert_eq!(parse_duration("90m"), Ok(Duration::minutes(90)));
    assert_eq!(parse_duration("45min"), Ok(Duration::minutes(45)));
    assert_eq!(parse_duration("1h 30m"), Ok(Duration::minutes(90)));
    assert_eq!(parse_duration("2d"), Ok(Duration::days(2)));
    assert_eq!(parse_duration("0"), Ok(Duration::zero()));
    for bad in [
        "",
        "6",
        "h",
        "6 hours",
        "-1h",
        "1.5h",
        "99999999999999999999h",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
    assert_eq!(format_duration(Duration::hours(6)), "6h");
    assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
    assert_eq!(format_duration(Duration::zero()), "0");
    let now = t("2026-11-23T08:00:00+01:00");
    assert_eq!(until(now, now + Duration::seconds(2)), "in 2 s");
    assert_eq!(until(now, now + Duration::minutes(90)), "in 1 h 30 min");
    assert_eq!(until(now, now + Duration::hours(167)), "in 6 days 23 h");
    assert_eq!(until(now, now - Duration::hours(1)), "now");
    let almost = now + Duration::hours(67) - Duration::milliseconds(40);
    assert_eq!(until(now, almost), "in 2 days 19 h");
    assert_eq!(until(now, now + Duration::seconds(119)), "in 2 min");
}

#[test]
fn times_are_shown_in_the_zone_and_in_utc() {
    let x = t("2026-11-30T08:00:00+01:00").with_timezone(&ams());
    assert_eq!(local_time(&x), "Mon 2026-11-30 08:00 CET");
    assert_eq!(utc_time(&x), "2026-11-30 07:00 UTC");
}
