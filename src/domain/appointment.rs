//! Appointment rules without I/O: when invitations open and close, allowed durations, the status messages
//! a host can send to the waiting room.
use crate::clock::Timestamp;

/// Durations offered when planning, in minutes.
pub const DURATIONS: [i64; 7] = [10, 15, 20, 30, 45, 60, 90];
pub const TITLE_MAX: usize = 120;
pub const NOTICE_MAX: usize = 200;
pub const NAME_MAX: usize = 100;

/// When a participant's link and code work: from `open_before` seconds before the start until
/// `open_after` seconds after the planned end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub opens: Timestamp,
    pub closes: Timestamp,
}

impl Window {
    pub fn of(starts_at: Timestamp, duration_minutes: i64, open_before: i64, open_after: i64) -> Window {
        Window { opens: starts_at - open_before, closes: starts_at + duration_minutes * 60 + open_after }
    }

    pub fn position(&self, now: Timestamp) -> WindowPosition {
        if now < self.opens {
            WindowPosition::TooEarly
        } else if now >= self.closes {
            WindowPosition::Over
        } else {
            WindowPosition::Open
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowPosition {
    TooEarly,
    Open,
    Over,
}

/// Preset status messages for the waiting room (German, English); the host may also write their own.
pub const PRESET_NOTICES: [(&str, &str); 4] = [
    ("Die Sprechstunde beginnt in etwa 5 Minuten.", "The consultation starts in about 5 minutes."),
    ("Die Sprechstunde beginnt in etwa 10 Minuten.", "The consultation starts in about 10 minutes."),
    (
        "Es dauert leider noch etwas länger. Bitte bleiben Sie auf dieser Seite.",
        "It will take a little longer, sorry. Please stay on this page.",
    ),
    ("Sie sind gleich an der Reihe.", "It is your turn shortly."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_edges() {
        let start = 10_000;
        let window = Window::of(start, 30, 30 * 60, 2 * 3600);
        assert_eq!(window.position(start - 31 * 60), WindowPosition::TooEarly);
        assert_eq!(window.position(start - 30 * 60), WindowPosition::Open, "opens exactly 30 minutes before");
        assert_eq!(window.position(start - 29 * 60), WindowPosition::Open);
        assert_eq!(window.position(start + 30 * 60 + 2 * 3600 - 1), WindowPosition::Open);
        assert_eq!(window.position(start + 30 * 60 + 2 * 3600), WindowPosition::Over);
    }
}
