//! Numbers as a reader sees them, at the edge: the CLI's status lines and every export of
//! the report format through here, so a value reads the same everywhere.

use crate::metric::Unit;

/// A value in its unit, scaled for reading: `1.234 ms`, `716.7 KiB`.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => format_seconds(value),
        Unit::Bytes => format_bytes(value),
        Unit::PerSecond => format!("{} req/s", group(value)),
    }
}

fn format_seconds(s: f64) -> String {
    let abs = s.abs();
    if abs >= 1.0 {
        format!("{s:.3} s")
    } else if abs >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else if abs >= 1e-6 {
        format!("{:.1} µs", s * 1e6)
    } else {
        format!("{:.0} ns", s * 1e9)
    }
}

fn format_bytes(b: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = b;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A factor with the precision it deserves: 1.04, 3.2, 12.
pub fn times(x: f64) -> String {
    if x < 2.0 {
        format!("{x:.2}")
    } else if x < 20.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// 733880 → "733,880".
pub fn group(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_scaled_for_reading() {
        assert_eq!(format_value(0.0012345, Unit::Seconds), "1.234 ms");
        assert_eq!(format_value(0.000_456_7, Unit::Seconds), "456.7 µs");
        assert_eq!(format_value(2.5, Unit::Seconds), "2.500 s");
        assert_eq!(format_value(733_880.0, Unit::Bytes), "716.7 KiB");
        assert_eq!(format_value(512.0, Unit::Bytes), "512 B");
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(733_880.0), "733,880");
        assert_eq!(group(512.0), "512");
        assert_eq!(group(1_000_000.0), "1,000,000");
    }
}
