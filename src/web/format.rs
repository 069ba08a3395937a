//! Dates and durations as people in German practices read them (Europe/Berlin, 24-hour clock).
use crate::clock::Timestamp;
use crate::web::i18n::Lang;

/// Days since 1970-01-01 → (year, month, day); Howard Hinnant's civil-from-days algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// 01:00 UTC on the last Sunday of the month: when EU summer time starts (March) and ends (October).
fn last_sunday_0100_utc(year: i64, month: u32) -> Timestamp {
    let last_day = if month == 3 || month == 10 { 31 } else { unreachable!("only March and October") };
    let days = days_from_civil(year, month, last_day);
    let weekday = (days + 4).rem_euclid(7); // 0 = Sunday; 1970-01-01 was a Thursday
    (days - weekday) * 86_400 + 3600
}

/// UTC offset of Europe/Berlin in seconds at the given instant.
pub fn berlin_offset(ts: Timestamp) -> i64 {
    let (year, _, _) = civil_from_days(ts.div_euclid(86_400));
    if ts >= last_sunday_0100_utc(year, 3) && ts < last_sunday_0100_utc(year, 10) { 7200 } else { 3600 }
}

/// "13.12.2026, 08:00 Uhr" / "13 Dec 2026, 08:00" in Berlin time.
pub fn date_time(ts: Timestamp, lang: Lang) -> String {
    let local = ts + berlin_offset(ts);
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let (hour, minute) = (secs / 3600, secs % 3600 / 60);
    match lang {
        Lang::De => format!("{day:02}.{month:02}.{year}, {hour:02}:{minute:02} Uhr"),
        Lang::En => {
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            format!("{day} {} {year}, {hour:02}:{minute:02} (Berlin time)", MONTHS[month as usize - 1])
        }
    }
}

/// ISO 8601 in UTC, for operators (CLI output).
pub fn iso_utc(ts: Timestamp) -> String {
    let (year, month, day) = civil_from_days(ts.div_euclid(86_400));
    let secs = ts.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// The inverse of [`iso_utc`], also accepting a plain date (`2026-11-01`, midnight UTC) or unix seconds.
pub fn parse_utc(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    let (date, time) = text.split_once('T').unwrap_or((text, "00:00:00Z"));
    let mut date_parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (date_parts.next()??, date_parts.next()??, date_parts.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut time_parts = time.trim_end_matches('Z').splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute) = (time_parts.next()??, time_parts.next()??);
    let second = time_parts.next().flatten().unwrap_or(0);
    Some(days_from_civil(year, month as u32, day as u32) * 86_400 + hour * 3600 + minute * 60 + second)
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
    fn berlin_time_follows_summer_time() {
        // 2026-03-29 00:59:59 UTC is still winter time, 01:00:00 UTC is summer time.
        let switch = 1_774_746_000;
        assert_eq!(iso_utc(switch), "2026-03-29T01:00:00Z");
        assert_eq!(berlin_offset(switch - 1), 3600);
        assert_eq!(berlin_offset(switch), 7200);
        // 2026-10-25 01:00 UTC back to winter time.
        assert_eq!(berlin_offset(1_792_890_000 - 1), 7200);
        assert_eq!(berlin_offset(1_792_890_000), 3600);
        assert_eq!(date_time(1_796_289_600, Lang::De), "03.12.2026, 10:20 Uhr");
        assert_eq!(date_time(1_796_289_600, Lang::En), "3 Dec 2026, 10:20 (Berlin time)");
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
