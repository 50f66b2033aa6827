//! Numbers as a reader sees them, at the edge: the CLI's status lines and every export of
//! the report format through here, so a value reads the same everywhere.

use crate::metric::Unit;

/// A value in its unit, scaled for reading, to three significant figures: `1.23 ms`,
/// `462 ms`, `717 KiB`. Three figures is what the spread of these measurements supports;
/// the exact value stays in results.json (and in the pages' "bytes" columns for sizes).
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => format_seconds(value),
        Unit::Bytes => format_bytes(value),
        Unit::PerSecond => format!("{} req/s", group(significant(value, 3))),
    }
}

/// `x` rounded to `figures` significant figures.
fn significant(x: f64, figures: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(figures - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// `x` (already in its display unit, below 1000) with three significant figures: as many
/// decimals as that leaves, none at or above 100.
fn three_figures(x: f64) -> String {
    let x = significant(x, 3);
    let abs = x.abs();
    if abs >= 100.0 {
        format!("{x:.0}")
    } else if abs >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn format_seconds(s: f64) -> String {
    // Rounded first, so 999.6 µs reads "1.00 ms", not "1000 µs".
    let r = significant(s, 3);
    let abs = r.abs();
    if abs >= 1.0 {
        format!("{} s", three_figures(r))
    } else if abs >= 1e-3 {
        format!("{} ms", three_figures(r * 1e3))
    } else if abs >= 1e-6 {
        format!("{} µs", three_figures(r * 1e6))
    } else {
        format!("{:.0} ns", r * 1e9)
    }
}

fn format_bytes(b: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = b;
    let mut unit = 0;
    // Scaled while the value would read 1000 or more after rounding, so 1023.9 KiB reads
    // "1.00 MiB".
    while significant(value, 3).abs() >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b:.0} B")
    } else {
        format!("{} {}", three_figures(value), UNITS[unit])
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

/// The bound of an interval that excludes 1, next to 1: as [`times`], with as many more
/// digits as it takes not to print as 1 (1.0004 → "1.0004", where [`times`] gives "1.00"
/// and the reader would take the interval to contain 1).
pub fn bound(x: f64) -> String {
    let shown = times(x);
    if x == 1.0 || shown.parse::<f64>() != Ok(1.0) {
        return shown;
    }
    (3..=6)
        .map(|digits| format!("{x:.digits$}"))
        .find(|s| s.parse::<f64>() != Ok(1.0))
        .unwrap_or(shown)
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
    fn a_bound_next_to_one_never_prints_as_one() {
        assert_eq!(bound(1.0004), "1.0004");
        assert_eq!(bound(1.004), "1.004");
        assert_eq!(bound(1.31), "1.31");
        assert_eq!(bound(2.54), "2.5");
        assert_eq!(bound(1.0), "1.00");
    }

    #[test]
    fn values_are_scaled_for_reading() {
        assert_eq!(format_value(0.0012345, Unit::Seconds), "1.23 ms");
        assert_eq!(format_value(0.000_456_7, Unit::Seconds), "457 µs");
        assert_eq!(format_value(2.5, Unit::Seconds), "2.50 s");
        assert_eq!(format_value(0.462_411, Unit::Seconds), "462 ms");
        assert_eq!(format_value(0.523_153, Unit::Seconds), "523 ms");
        assert_eq!(format_value(0.000_999_6, Unit::Seconds), "1.00 ms");
        assert_eq!(format_value(0.0456, Unit::Seconds), "45.6 ms");
        assert_eq!(format_value(733_880.0, Unit::Bytes), "717 KiB");
        assert_eq!(format_value(1_048_000.0, Unit::Bytes), "1.00 MiB");
        assert_eq!(format_value(2_998_000.0, Unit::Bytes), "2.86 MiB");
        assert_eq!(format_value(512.0, Unit::Bytes), "512 B");
        assert_eq!(format_value(47_683.88, Unit::PerSecond), "47,700 req/s");
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(733_880.0), "733,880");
        assert_eq!(group(512.0), "512");
        assert_eq!(group(1_000_000.0), "1,000,000");
    }
}
