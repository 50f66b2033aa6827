//! `results.csv`: one row per observation, for spreadsheets; the raw samples stay in
//! results.json.

use super::page::{Exporter, Page};
use crate::status;
use anyhow::Result;

pub struct Csv;

const HEADER: [&str; 19] = [
    "id",
    "label",
    "kind",
    "unit",
    "status",
    "reason",
    "n",
    "median",
    "min",
    "max",
    "mean",
    "stddev",
    "p95",
    "median_ci_low",
    "median_ci_high",
    "cv",
    "shown",
    "command",
    "taken_at",
];

/// A serde enum's name as results.json writes it (`spawn-to-exit`, `bytes`).
fn word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Exporter for Csv {
    fn file_name(&self) -> &'static str {
        "results.csv"
    }

    fn render(&self, page: &Page) -> Result<String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(HEADER)?;
        for o in &page.results.observations {
            let stat = |f: fn(&wasmlab_model::stats::Summary) -> f64| {
                o.summary
                    .as_ref()
                    .map(|s| f(s).to_string())
                    .unwrap_or_default()
            };
            out.write_record([
                o.id.to_string(),
                o.label.clone(),
                word(&o.kind),
                word(&o.unit),
                status::word(&o.status).to_owned(),
                status::reason(&o.status).unwrap_or_default().to_owned(),
                o.summary
                    .as_ref()
                    .map(|s| s.n.to_string())
                    .unwrap_or_default(),
                stat(|s| s.median),
                stat(|s| s.min),
                stat(|s| s.max),
                stat(|s| s.mean),
                stat(|s| s.stddev),
                stat(|s| s.p95),
                stat(|s| s.median_ci.low),
                stat(|s| s.median_ci.high),
                stat(|s| s.cv),
                o.shown.clone().unwrap_or_default(),
                o.command.clone(),
                o.taken_at.clone(),
            ])?;
        }
        Ok(String::from_utf8(out.into_inner()?)?)
    }
}
