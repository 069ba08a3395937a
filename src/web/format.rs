//! Dates and durations as people in German practices read them (Europe/Berlin, 24-hour clock).
use crate::clock::Timestamp;
use crate::domain::lang::Lang;

use std::sync::LazyLock;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Europe/Berlin from the time-zone database bundled into the binary (nothing is read from the host).
static BERLIN: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Berlin").expect("Europe/Berlin is in the bundled time-zone database"));

/// Out-of-range seconds (beyond year ±9999) are clamped: they only ever come from corrupt data.
fn instant(ts: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_second(ts).unwrap_or(if ts < 0 { jiff::Timestamp::MIN } else { jiff::Timestamp::MAX })
}

/// "13.12.2026, 08:00 Uhr" / "13 Dec 2026, 08:00" in Berlin time.
pub fn date_time(ts: Timestamp, lang: Lang) -> String {
    let local = instant(ts).to_zoned_datetime(BERLIN.clone());
    let (year, month, day) = (local.year(), local.month(), local.day());
    let (hour, minute) = (local.hour(), local.minute());
    match lang {
        Lang::De => format!("{day:02}.{month:02}.{year}, {hour:02}:{minute:02} Uhr"),
        Lang::En => {
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            format!("{day} {} {year}, {hour:02}:{minute:02} (Berlin time)", MONTHS[month as usize - 1])
        }
    }
}

/// As [`date_time`], but "heute, 10:00 Uhr" ("today, 10:00 (Berlin time)") on the day of `now`.
pub fn date_time_from(ts: Timestamp, now: Timestamp, lang: Lang) -> String {
    if !same_berlin_day(ts, now) {
        return date_time(ts, lang);
    }
    match lang {
        Lang::De => format!("heute, {} Uhr", time_of_day(ts)),
        Lang::En => format!("today, {} (Berlin time)", time_of_day(ts)),
    }
}

/// ISO 8601 in UTC, for operators (CLI output).
pub fn iso_utc(ts: Timestamp) -> String {
    instant(ts).to_string()
}

/// `20261203T090000Z`: the UTC form calendar files use.
pub fn ics_utc(ts: Timestamp) -> String {
    instant(ts).strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// "03.12.2026" / "3 Dec 2026" and "10:00" in Berlin time, as the date and time fields show them
/// (`2026-12-03`, `10:00`) for editing.
pub fn berlin_fields(ts: Timestamp) -> (String, String) {
    let local = instant(ts).to_zoned_datetime(BERLIN.clone());
    (local.strftime("%Y-%m-%d").to_string(), local.strftime("%H:%M").to_string())
}

/// Midnight in Berlin at the start of the day `ts` falls on.
pub fn berlin_day_start(ts: Timestamp) -> Timestamp {
    let local = instant(ts).to_zoned_datetime(BERLIN.clone());
    local.start_of_day().map_or(ts, |start| start.timestamp().as_second())
}

/// Whether two instants fall on the same day in Berlin.
pub fn same_berlin_day(a: Timestamp, b: Timestamp) -> bool {
    instant(a).to_zoned_datetime(BERLIN.clone()).date() == instant(b).to_zoned_datetime(BERLIN.clone()).date()
}

/// When something becomes possible, as people say it: "14:32 Uhr" later today, else with the date.
pub fn moment(ts: Timestamp, now: Timestamp, lang: Lang) -> String {
    if same_berlin_day(ts, now) {
        match lang {
            Lang::De => format!("{} Uhr", time_of_day(ts)),
            Lang::En => time_of_day(ts),
        }
    } else {
        date_time(ts, lang)
    }
}

/// "10:00" in Berlin time.
pub fn time_of_day(ts: Timestamp) -> String {
    instant(ts).to_zoned_datetime(BERLIN.clone()).strftime("%H:%M").to_string()
}

/// The inverse of [`iso_utc`] (an offset other than `Z` is allowed), also accepting a plain date
/// (`2026-11-01`, midnight UTC) or unix seconds. Strict: `2026-02-31` or hour 99 are refused, not rolled over.
pub fn parse_utc(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    if let Ok(date) = text.parse::<Date>() {
        return date.to_zoned_datetime(TimeZone::UTC).ok().map(|zoned| zoned.timestamp().as_second());
    }
    text.parse::<jiff::Timestamp>().ok().map(jiff::Timestamp::as_second)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    #[error("kein gültiges Datum (TT.MM.JJJJ oder JJJJ-MM-TT)")]
    Date,
    #[error("keine gültige Uhrzeit (HH:MM)")]
    Time,
    /// The clocks jump from 02:00 to 03:00 on the last Sunday of March: 02:30 does not happen that day.
    #[error("diese Uhrzeit gibt es wegen der Umstellung auf Sommerzeit an diesem Tag nicht")]
    SkippedBySummerTime,
}

/// A date and time as people in Berlin enter them ("29.03.2026" or "2026-03-29", "09:30") → UTC seconds.
/// In the hour that repeats when summer time ends, the first (summer-time) one is meant.
pub fn berlin_to_utc(date: &str, time: &str) -> Result<Timestamp, LocalTimeError> {
    let date = date.trim();
    let date = match date.split('.').collect::<Vec<_>>()[..] {
        [day, month, year] if year.len() == 4 => {
            let number = |part: &str| part.parse::<i16>().map_err(|_| LocalTimeError::Date);
            Date::new(number(year)?, number(month)? as i8, number(day)? as i8).map_err(|_| LocalTimeError::Date)?
        }
        _ => date.parse::<Date>().map_err(|_| LocalTimeError::Date)?,
    };
    let time = match time.trim().split(':').collect::<Vec<_>>()[..] {
        [hour, minute] if hour.len() <= 2 && minute.len() == 2 => {
            let number = |part: &str| part.parse::<i8>().map_err(|_| LocalTimeError::Time);
            Time::new(number(hour)?, number(minute)?, 0, 0).map_err(|_| LocalTimeError::Time)?
        }
        _ => return Err(LocalTimeError::Time),
    };
    let ambiguous = BERLIN.to_ambiguous_timestamp(DateTime::from_parts(date, time));
    if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
        return Err(LocalTimeError::SkippedBySummerTime);
    }
    ambiguous.earlier().map(jiff::Timestamp::as_second).map_err(|_| LocalTimeError::Date)
}

/// "14 Tage", "36 Stunden", "1 Minute" – the largest whole unit.
pub fn duration(seconds: i64, lang: Lang) -> String {
    let units: [(i64, &str, &str, &str, &str); 4] = [
        (86_400, "Tag", "Tage", "day", "days"),
        (3600, "Stunde", "Stunden", "hour", "hours"),
        (60, "Minute", "Minuten", "minute", "minutes"),
        (1, "Sekunde", "Sekunden", "second", "seconds"),
    ];
    let (size, de1, den, en1, enn) =
        units.into_iter().find(|(size, ..)| seconds >= *size && seconds % size == 0).unwrap_or(units[3]);
    let n = seconds / size;
    let unit = match (lang, n == 1) {
        (Lang::De, true) => de1,
        (Lang::De, false) => den,
        (Lang::En, true) => en1,
        (Lang::En, false) => enn,
    };
    format!("{n} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_said_as_today() {
        let (at, now) = (berlin_to_utc("2026-12-07", "10:00").unwrap(), berlin_to_utc("2026-12-07", "08:00").unwrap());
        assert_eq!(date_time_from(at, now, Lang::De), "heute, 10:00 Uhr");
        assert_eq!(date_time_from(at, now, Lang::En), "today, 10:00 (Berlin time)");
        assert_eq!(date_time_from(at, now - 86_400, Lang::De), "07.12.2026, 10:00 Uhr");
    }

    #[test]
    fn local_times_across_both_switches() {
        // 2026-03-29: 01:59 is winter time (UTC+1), 03:00 summer time (UTC+2), 02:30 never happens.
        assert_eq!(iso_utc(berlin_to_utc("29.03.2026", "01:59").unwrap()), "2026-03-29T00:59:00Z");
        assert_eq!(iso_utc(berlin_to_utc("2026-03-29", "03:00").unwrap()), "2026-03-29T01:00:00Z");
        assert_eq!(berlin_to_utc("29.03.2026", "02:30"), Err(LocalTimeError::SkippedBySummerTime));
        // 2026-10-25: 02:30 happens twice; the first, still summer time, is meant. 03:00 is winter time.
        assert_eq!(iso_utc(berlin_to_utc("25.10.2026", "02:30").unwrap()), "2026-10-25T00:30:00Z");
        assert_eq!(iso_utc(berlin_to_utc("25.10.2026", "03:00").unwrap()), "2026-10-25T02:00:00Z");
        assert_eq!(iso_utc(berlin_to_utc("03.12.2026", "9:30").unwrap()), "2026-12-03T08:30:00Z");
        // And back to the wall clock.
        assert_eq!(date_time(berlin_to_utc("25.10.2026", "03:00").unwrap(), Lang::De), "25.10.2026, 03:00 Uhr");
        assert_eq!(date_time(berlin_to_utc("29.03.2026", "03:00").unwrap(), Lang::De), "29.03.2026, 03:00 Uhr");
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        assert_eq!(berlin_to_utc("31.02.2026", "10:00"), Err(LocalTimeError::Date));
        assert_eq!(berlin_to_utc("2026-02-31", "10:00"), Err(LocalTimeError::Date));
        assert_eq!(berlin_to_utc("1.1.26", "10:00"), Err(LocalTimeError::Date));
        assert_eq!(berlin_to_utc("01.01.2026", "99:00"), Err(LocalTimeError::Time));
        assert_eq!(berlin_to_utc("01.01.2026", "10:60"), Err(LocalTimeError::Time));
        assert_eq!(berlin_to_utc("01.01.2026", "10"), Err(LocalTimeError::Time));
        assert_eq!(parse_utc("2026-02-31"), None);
        assert_eq!(parse_utc("2026-11-01T99:00:00Z"), None);
        assert_eq!(parse_utc("2026-11-01T10:00:61Z"), None);
    }

    #[test]
    fn berlin_time_follows_summer_time() {
        // 2026-03-29 00:59:59 UTC is still winter time, 01:00:00 UTC is summer time.
        let switch = 1_774_746_000;
        assert_eq!(iso_utc(switch), "2026-03-29T01:00:00Z");
        assert_eq!(date_time(switch - 1, Lang::De), "29.03.2026, 01:59 Uhr");
        assert_eq!(date_time(switch, Lang::De), "29.03.2026, 03:00 Uhr");
        // 2026-10-25 01:00 UTC back to winter time: 02:59:59 summer time, then 02:00 again.
        assert_eq!(date_time(1_792_890_000 - 1, Lang::De), "25.10.2026, 02:59 Uhr");
        assert_eq!(date_time(1_792_890_000, Lang::De), "25.10.2026, 02:00 Uhr");
        assert_eq!(date_time(1_796_289_600, Lang::De), "03.12.2026, 10:20 Uhr");
        assert_eq!(date_time(1_796_289_600, Lang::En), "3 Dec 2026, 10:20 (Berlin time)");
    }

    #[test]
    fn calendar_and_field_forms() {
        let summer = berlin_to_utc("2026-07-01", "10:00").unwrap();
        assert_eq!(ics_utc(summer), "20260701T080000Z");
        assert_eq!(berlin_fields(summer), ("2026-07-01".to_owned(), "10:00".to_owned()));
        assert_eq!(time_of_day(summer), "10:00");
        assert!(same_berlin_day(summer, summer + 13 * 3600), "23:00 the same day");
        assert!(!same_berlin_day(summer, summer + 14 * 3600), "midnight in Berlin, 22:00 UTC");
        assert_eq!(berlin_day_start(summer), berlin_to_utc("2026-07-01", "00:00").unwrap());
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn parses_what_iso_utc_prints() {
        for ts in [0, 951_782_400, 1_796_289_600] {
            assert_eq!(parse_utc(&iso_utc(ts)), Some(ts));
        }
        assert_eq!(parse_utc("2026-11-01"), Some(1_793_491_200));
        assert_eq!(parse_utc("1793491200"), Some(1_793_491_200));
        assert_eq!(parse_utc("gestern"), None);
        assert_eq!(parse_utc("2026-13-01"), None);
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration(14 * 86_400, Lang::De), "14 Tage");
        assert_eq!(duration(86_400, Lang::De), "1 Tag");
        assert_eq!(duration(36 * 3600, Lang::De), "36 Stunden");
        assert_eq!(duration(90, Lang::En), "90 seconds");
        assert_eq!(duration(14 * 86_400, Lang::En), "14 days");
    }
}
