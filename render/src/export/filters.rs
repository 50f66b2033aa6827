//! The template edge: the tera filters that write the view's typed values as text, each
//! through the one function that writes that kind of value (`figure`, `pivot`, `baseline`),
//! so a template never formats a number itself and the Rust side never hands it text to
//! be read back. A value that is not there (null) writes as nothing, or as `or` where a
//! filter takes it.
//!
//! | filter | takes | writes |
//! |---|---|---|
//! | `value(or="—")` | a figure | its value in its unit: "1.23 ms" |
//! | `exact` | a figure | its exact value: "733880" |
//! | `interval` | a median | its interval and real coverage: "95% interval 1.20 ms – 1.30 ms" |
//! | `estimate` | a mean | the value with its interval: "1.25 ms (95% interval …)" |
//! | `figure` | a row | what prose shows: the median, or the status and its reason |
//! | `ratio` | a ratio | "1.33× [1.31, 1.35]", or no measurable difference |
//! | `change` | a change | "+12.3% regressed" |
//! | `percent` | a fraction | "12.3%" |
//! | `grouped` | a number | "733,880" |
//! | `counts` | a span of n | "n = 20", "n = 1–20", "none measured" |
//! | `cell(intervals=…)` | a pivot cell | its lines, or a dash |

use crate::baseline::Change;
use crate::figure::{self, Figure};
use crate::pivot::{self, Line, Style};
use crate::status::State;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;
use tera::{Tera, Value};
use wasmlab_model::stats::Ratio;

type Args = HashMap<String, Value>;

/// Registers every filter of the edge on `tera`.
pub fn register(tera: &mut Tera) {
    tera.register_filter("value", value);
    tera.register_filter("exact", typed(|f: Figure| f.exact()));
    tera.register_filter("interval", typed(|f: Figure| f.interval_text()));
    tera.register_filter("estimate", typed(|f: Figure| f.with_interval()));
    tera.register_filter("figure", typed(|o: Outcome| o.text()));
    tera.register_filter("ratio", typed(|r: Ratio| figure::ratio_text(&r)));
    tera.register_filter("change", typed(|c: Change| c.text()));
    tera.register_filter("percent", typed(figure::percent));
    tera.register_filter("grouped", typed(|x: f64| wasmlab_model::format::group(x)));
    tera.register_filter("counts", counts);
    tera.register_filter("cell", cell);
}

/// `value` read as a `T`, or None when it is null.
fn read<T: DeserializeOwned>(value: &Value) -> tera::Result<Option<T>> {
    if value.is_null() {
        return Ok(None);
    }
    serde_json::from_value(value.clone())
        .map(Some)
        .map_err(|e| tera::Error::msg(format!("a filter was given {value}, not its type: {e}")))
}

/// A filter that writes a `T` with `write`, and null as nothing.
fn typed<T: DeserializeOwned>(write: impl Fn(T) -> String + Sync + Send) -> impl tera::Filter {
    move |value: &Value, _: &Args| -> tera::Result<Value> {
        Ok(Value::String(read(value)?.map(&write).unwrap_or_default()))
    }
}

fn value(value: &Value, args: &Args) -> tera::Result<Value> {
    let missing = args.get("or").and_then(Value::as_str).unwrap_or_default();
    Ok(Value::String(
        read::<Figure>(value)?.map_or_else(|| missing.to_owned(), |f| f.text()),
    ))
}

/// What the `figure` filter reads of a row.
#[derive(Deserialize)]
struct Outcome {
    id: String,
    status: State,
    reason: Option<String>,
    median: Option<Figure>,
}

impl Outcome {
    fn text(self) -> String {
        figure::outcome_text(
            self.status,
            self.reason.as_deref(),
            self.median.as_ref(),
            &self.id,
        )
    }
}

/// The least and greatest n of some figures, or null when none was measured.
#[derive(Deserialize)]
struct Span {
    low: usize,
    high: usize,
}

fn counts(value: &Value, _: &Args) -> tera::Result<Value> {
    Ok(Value::String(match read::<Span>(value)? {
        Some(Span { low, high }) if low == high => format!("n = {low}"),
        Some(Span { low, high }) => format!("n = {low}–{high}"),
        None => "none measured".to_owned(),
    }))
}

fn cell(value: &Value, args: &Args) -> tera::Result<Value> {
    let style = match args.get("intervals").and_then(Value::as_bool) {
        Some(false) => Style::Brief,
        _ => Style::Interval,
    };
    let lines: Vec<Line> = read(value)?.unwrap_or_default();
    Ok(Value::String(pivot::cell_text(&lines, style)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str, context: serde_json::Value) -> String {
        let mut tera = Tera::default();
        register(&mut tera);
        tera.add_raw_template("t", template).unwrap();
        tera.render("t", &tera::Context::from_value(context).unwrap())
            .unwrap()
    }

    #[test]
    fn a_figure_is_written_in_its_unit_and_nothing_as_nothing_or_a_dash() {
        let f = Figure::plain(0.00123, wasmlab_model::metric::Unit::Seconds, 3);
        let context = serde_json::json!({ "f": f, "none": null });
        assert_eq!(
            render(
                "{{ f | value }}|{{ f | exact }}|{{ none | value }}|{{ none | value(or=\"—\") }}",
                context
            ),
            "1.23 ms|0.00123||—"
        );
    }

    #[test]
    fn counts_say_n_or_that_none_was_measured() {
        let context = serde_json::json!({
            "one": {"low": 20, "high": 20}, "two": {"low": 1, "high": 20}, "none": null
        });
        assert_eq!(
            render(
                "{{ one | counts }}; {{ two | counts }}; {{ none | counts }}",
                context
            ),
            "n = 20; n = 1–20; none measured"
        );
    }

    #[test]
    fn a_value_of_another_type_is_an_error_not_a_guess() {
        let mut tera = Tera::default();
        register(&mut tera);
        tera.add_raw_template("t", "{{ x | value }}").unwrap();
        let context = tera::Context::from_value(serde_json::json!({ "x": "1.23 ms" })).unwrap();
        assert!(tera.render("t", &context).is_err());
    }
}
