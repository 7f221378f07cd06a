//! Small text helpers the pages share: durations people read, URL encoding.

use chrono::{DateTime, Utc};

/// "in 3 days 4 h", "in 25 min", "2 h ago": the countdown's server-rendered text.
pub(crate) fn relative(to: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (to - now).num_seconds();
    let span = span(seconds.unsigned_abs());
    if seconds >= 0 { format!("in {span}") } else { format!("{span} ago") }
}

fn span(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    let plural = |n: u64, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    match (days, hours, minutes) {
        (0, 0, 0) => "less than a minute".to_string(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => plural(d, "day"),
        (d, h, _) => format!("{} {h} h", plural(d, "day")),
    }
}

pub(crate) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(crate) fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A local path to return to after signing in; anything else goes to the dashboard.
/// Where to go after signing in: `next` when it is a plain local path (see
/// [`crate::guard::local_path`]), else the home page.
pub(crate) fn safe_next(next: &str) -> String {
    crate::guard::local_path(next).unwrap_or("/").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn countdown_text() {
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let at = |s: i64| now + chrono::Duration::seconds(s);
        assert_eq!(relative(at(3 * 86_400 + 4 * 3600 + 59), now), "in 3 days 4 h");
        assert_eq!(relative(at(86_400), now), "in 1 day");
        assert_eq!(relative(at(25 * 60), now), "in 25 min");
        assert_eq!(relative(at(2 * 3600 + 60), now), "in 2 h 1 min");
        assert_eq!(relative(at(-7200), now), "2 h ago");
        assert_eq!(relative(at(30), now), "in less than a minute");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/n/x/text"), "/n/x/text");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
    }
}
