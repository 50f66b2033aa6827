//! Moscow time without a tz database: a `FROM scratch` image has none, and Moscow has been a
//! fixed UTC+3 with no daylight saving since 2014.

use std::time::{SystemTime, UNIX_EPOCH};
use time::{OffsetDateTime, UtcOffset};

/// Moscow's offset from UTC, in seconds.
pub const MSK_OFFSET_SECONDS: i32 = 3 * 3600;

/// An instant, shown in Moscow time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoscowTime {
    timestamp: i64,
}

impl MoscowTime {
    /// The current time. A clock set before 1970 reads as the epoch rather than failing.
    pub fn now() -> Self {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Self::from_unix(seconds)
    }

    /// The instant `timestamp` seconds after the Unix epoch.
    pub const fn from_unix(timestamp: i64) -> Self {
        Self { timestamp }
    }

    /// Seconds since the Unix epoch (time-zone independent).
    pub fn timestamp(self) -> i64 {
        self.timestamp
    }

    /// `YYYY-MM-DD HH:MM:SS MSK`.
    pub fn formatted(self) -> String {
        let utc = OffsetDateTime::from_unix_timestamp(self.timestamp)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let msk = match UtcOffset::from_whole_seconds(MSK_OFFSET_SECONDS) {
            Ok(offset) => utc.to_offset(offset),
            Err(_) => utc,
        };
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} MSK",
            msk.year(),
            u8::from(msk.month()),
            msk.day(),
            msk.hour(),
            msk.minute(),
            msk.second()
        )
    }

    /// The API's JSON object, on one line. Written by hand because its shape is fixed and
    /// holds only digits and ASCII: a JSON library would add more to the module than it saves.
    pub fn to_json(self) -> String {
        format!(
            r#"{{"moscow_time":"{}","timestamp":{}}}"#,
            self.formatted(),
            self.timestamp
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_three_in_the_morning_in_moscow() {
        assert_eq!(
            MoscowTime::from_unix(0).formatted(),
            "1970-01-01 03:00:00 MSK"
        );
    }

    #[test]
    fn crosses_the_date_line_at_21_utc() {
        // 2024-02-28 21:30:00 UTC is already the 29th (a leap day) in Moscow.
        let t = MoscowTime::from_unix(1_709_155_800);
        assert_eq!(t.formatted(), "2024-02-29 00:30:00 MSK");
    }

    #[test]
    fn json_has_the_lab_shape() {
        let json = MoscowTime::from_unix(1_700_000_000).to_json();
        assert_eq!(
            json,
            r#"{"moscow_time":"2023-11-15 01:13:20 MSK","timestamp":1700000000}"#
        );
    }
}
