//! SVG charts drawn with plotters from the results alone.

use crate::results::{Kind, Observation, Results};
use crate::stats::quantile;
use anyhow::{anyhow, Result};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

/// A chart written next to the page, as the page links it.
#[derive(Debug, Clone, Serialize)]
pub struct Plot {
    /// Path relative to the page.
    pub src: String,
    pub title: String,
    pub alt: String,
}

/// Draws every chart the data allows into `dir`.
pub fn draw_all(results: &Results, dir: &Path) -> Result<Vec<Plot>> {
    let mut plots = Vec::new();
    let startup: Vec<&Observation> = results
        .observations
        .iter()
        .filter(|o| o.kind == Kind::SpawnToExit && o.is_measured() && !o.samples.is_empty())
        .collect();
    if !startup.is_empty() {
        let title = "CLI startup, spawn to exit";
        strip_chart(&dir.join("startup.svg"), title, &startup)?;
        plots.push(Plot {
            src: "plots/startup.svg".into(),
            title: title.into(),
            alt: "Every startup sample per runtime on a log time axis, with the interquartile range as a bar and the median as a tick".into(),
        });
    }
    Ok(plots)
}

/// One row per observation: every raw sample as a dot (spread vertically by a fixed pattern
/// so repeated values stay visible), the interquartile range as a bar, the median as a tick.
/// The time axis is logarithmic: runtimes differ by orders of magnitude.
fn strip_chart(path: &Path, title: &str, rows: &[&Observation]) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| anyhow!("cannot draw {}: {e}", path.display());
    let ms = |o: &Observation| -> Vec<f64> { o.samples.iter().map(|s| s * 1e3).collect() };
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|o| ms(o))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min) / 1.5;
    let hi = all.iter().copied().fold(0.0, f64::max) * 1.5;
    let height = 110 + 50 * rows.len() as u32;
    let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let labels: Vec<String> = rows
        .iter()
        .map(|o| format!("{} (n={})", o.label, o.samples.len()))
        .collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(420)
        .build_cartesian_2d(
            (lo..hi).log_scale(),
            (0..rows.len() as i32).into_segmented(),
        )
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("milliseconds from spawn to exit (log scale)")
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .y_labels(rows.len())
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .disable_y_mesh()
        .draw()
        .map_err(|e| err(&e))?;
    for (i, o) in rows.iter().enumerate() {
        let row = SegmentValue::CenterOf(i as i32);
        let mut sorted = ms(o);
        sorted.sort_by(f64::total_cmp);
        let color = Palette99::pick(i);
        let (q1, median, q3) = (
            quantile(&sorted, 0.25),
            quantile(&sorted, 0.5),
            quantile(&sorted, 0.75),
        );
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(q1, row.clone()), (q3, row.clone())],
                color.mix(0.35).stroke_width(14),
            )))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(ms(o).into_iter().enumerate().map(|(k, v)| {
                let dy = (k as i32 % 7 - 3) * 3;
                EmptyElement::at((v, row.clone()))
                    + Circle::new((0, dy), 3, color.mix(0.8).filled())
            }))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((median, row.clone()))
                    + PathElement::new(vec![(0, -16), (0, 16)], BLACK.stroke_width(2)),
            ))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
