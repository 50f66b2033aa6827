//! SVG charts drawn with plotters from the results alone. Every chart has a title, axis
//! labels with units, and n for each row.

use super::keys::{self, spin_total};
use crate::metric::{LOAD_RPS, SIZE_SECTION, SPIN_COLD_START};
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
    /// Short name the templates pick a chart by (`startup`, `sizes`, ...).
    pub name: String,
    /// Path relative to the page.
    pub src: String,
    pub title: String,
    pub alt: String,
}

/// How a chart draws its rows.
enum Chart {
    /// Every sample on a log time axis (x description).
    Strip(&'static str),
    /// Medians as bars on a log axis: the axis description, the factor from the unit.
    Bars(&'static str, f64),
    /// Requests per second against connections.
    Throughput,
}

/// One chart of the report: which observations it shows and how.
struct Spec {
    name: &'static str,
    title: &'static str,
    alt: &'static str,
    keep: fn(&Observation) -> bool,
    chart: Chart,
}

const CHARTS: &[Spec] = &[
    Spec {
        name: "startup",
        title: "CLI startup, spawn to exit",
        alt: "Every startup sample per runtime on a log time axis, with the interquartile range \
              as a bar and the median as a tick",
        keep: |o| o.kind == Kind::SpawnToExit,
        chart: Chart::Strip("milliseconds from spawn to exit (log scale)"),
    },
    Spec {
        name: "spin",
        title: "HTTP request latency, cold and warm (curl)",
        alt: "Every request's latency per series (cold, warm, kept alive) and host, on a log \
              time axis",
        keep: |o| spin_total(&o.id).is_some_and(|m| *m != SPIN_COLD_START),
        chart: Chart::Strip("milliseconds per request, curl time_total (log scale)"),
    },
    Spec {
        name: "spin-start",
        title: "HTTP host cold start: launch until the first 200",
        alt: "Every launch-to-first-response sample per host, on a log time axis",
        keep: |o| spin_total(&o.id) == Some(&SPIN_COLD_START),
        chart: Chart::Strip("milliseconds from launching the host to its first 200 (log scale)"),
    },
    Spec {
        name: "sizes",
        title: "Sizes of what each build ships",
        alt: "Bar per artifact and image, size in KiB",
        keep: |o| o.kind == Kind::Size && !SIZE_SECTION.owns(&o.id),
        chart: Chart::Bars("KiB (log scale)", 1.0 / 1024.0),
    },
    Spec {
        name: "memory",
        title: "Memory per variant (median)",
        alt: "Bar per memory figure, median in MiB",
        keep: |o| o.kind == Kind::Memory,
        chart: Chart::Bars("MiB (log scale)", 1.0 / 1048576.0),
    },
    Spec {
        name: "phases",
        title: "In-process phases (median)",
        alt: "Bar per in-process phase and criterion bench, median in microseconds on a log axis",
        keep: |o| o.kind == Kind::InProcess,
        chart: Chart::Bars("microseconds (log scale)", 1e6),
    },
    Spec {
        name: "throughput",
        title: "Server throughput vs concurrency (wrk)",
        alt: "Requests per second per server at each number of connections",
        keep: |o| LOAD_RPS.owns(&o.id),
        chart: Chart::Throughput,
    },
];

/// Draws every chart the data allows into `dir`.
pub fn draw_all(results: &Results, dir: &Path) -> Result<Vec<Plot>> {
    let mut plots = Vec::new();
    for spec in CHARTS {
        let rows: Vec<&Observation> = results
            .observations
            .iter()
            .filter(|o| o.is_measured() && !o.samples.is_empty() && (spec.keep)(o))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let path = dir.join(format!("{}.svg", spec.name));
        match spec.chart {
            Chart::Strip(x_desc) => strip_chart(&path, spec.title, x_desc, &rows)?,
            Chart::Bars(x_desc, scale) => bar_chart(&path, spec.title, x_desc, scale, &rows)?,
            Chart::Throughput => throughput_chart(&path, spec.title, &rows)?,
        }
        plots.push(Plot {
            name: spec.name.into(),
            src: format!("plots/{}.svg", spec.name),
            title: spec.title.into(),
            alt: spec.alt.into(),
        });
    }
    Ok(plots)
}

fn draw_error(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> anyhow::Error + '_ {
    move |e| anyhow!("cannot draw {}: {e}", path.display())
}

/// The observation's label without its parenthetical asides, cut to fit the label area,
/// with n. The tables beside the plot carry the full labels.
fn row_label(o: &Observation) -> String {
    const FITS: usize = 64;
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in o.label.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = plain.replace(" :", ":").replace(" ,", ",");
    let label = if plain.chars().count() > FITS {
        let cut: String = plain.chars().take(FITS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        plain
    };
    format!("{label} (n={})", o.samples.len())
}

/// A tick on a log axis: as few digits as the value needs.
fn tick(v: &f64) -> String {
    match *v {
        v if v >= 10.0 => format!("{v:.0}"),
        v if v >= 1.0 => format!("{v:.1}"),
        v if v >= 0.1 => format!("{v:.2}"),
        v => format!("{v:.3}"),
    }
}

/// One segment per row: a segmented range `a..b` has `b - a + 1` segments.
fn row_axis(
    rows: usize,
) -> plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32> {
    (0..rows as i32 - 1).into_segmented()
}

/// One row per observation: every raw sample as a dot (spread vertically by a fixed pattern
/// so repeated values stay visible), the interquartile range as a bar, the median as a tick.
/// The time axis is logarithmic: runtimes differ by orders of magnitude.
fn strip_chart(path: &Path, title: &str, x_desc: &str, rows: &[&Observation]) -> Result<()> {
    let err = draw_error(path);
    let ms = |o: &Observation| -> Vec<f64> { o.samples.iter().map(|s| s * 1e3).collect() };
    let all: Vec<f64> = rows
        .iter()
        .flat_map(|o| ms(o))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min) / 1.5;
    let hi = all.iter().copied().fold(0.0, f64::max) * 1.5;
    let height = 90 + 44 * rows.len() as u32;
    let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let labels: Vec<String> = rows.iter().map(|o| row_label(o)).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(440)
        .build_cartesian_2d((lo..hi).log_scale(), row_axis(rows.len()))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_labels(8)
        .x_label_formatter(&tick)
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
                    + PathElement::new(vec![(0, -14), (0, 14)], BLACK.stroke_width(2)),
            ))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// One horizontal bar per observation: its median, scaled by `scale` into the axis unit, on a
/// logarithmic axis.
fn bar_chart(
    path: &Path,
    title: &str,
    x_desc: &str,
    scale: f64,
    rows: &[&Observation],
) -> Result<()> {
    let err = draw_error(path);
    let values: Vec<f64> = rows
        .iter()
        .map(|o| o.summary.as_ref().map_or(0.0, |s| s.median) * scale)
        .collect();
    let hi = values.iter().copied().fold(0.0, f64::max) * 1.15;
    let positive = values.iter().copied().filter(|v| *v > 0.0);
    // Values span orders of magnitude (a 60 KiB module beside a 6 MiB cgroup), so the axis
    // is logarithmic; an empty chart still gets a valid range.
    let lo = match positive.fold(f64::INFINITY, f64::min) {
        m if m.is_finite() => m / 2.0,
        _ => 1.0,
    };
    let labels: Vec<String> = rows.iter().map(|o| row_label(o)).collect();
    let height = 90 + 34 * rows.len() as u32;
    let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(520);
    let y = row_axis(rows.len());
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let bars = values.iter().enumerate().map(|(i, v)| (i as i32, *v));
    let mut chart = builder
        .build_cartesian_2d((lo..hi.max(lo * 10.0)).log_scale(), y)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_labels(12)
        .x_label_formatter(&tick)
        .label_style(("sans-serif", 14))
        .y_labels(rows.len())
        .y_label_formatter(&label_of)
        .disable_y_mesh()
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(bars.map(|(i, v)| {
            Rectangle::new(
                [
                    (lo, SegmentValue::Exact(i)),
                    (v.max(lo), SegmentValue::Exact(i + 1)),
                ],
                Palette99::pick(i as usize).mix(0.7).filled(),
            )
        }))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Requests per second against connections, one line per server ([`LOAD_RPS`] at `c<N>`).
fn throughput_chart(path: &Path, title: &str, rates: &[&Observation]) -> Result<()> {
    let err = draw_error(path);
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for o in rates {
        let Some(p) = keys::parts(&o.id) else {
            continue;
        };
        let connections = p.qualifier.as_deref().and_then(|q| q.strip_prefix('c'));
        let (Some(Ok(c)), Some(s)) = (connections.map(str::parse::<f64>), o.summary.as_ref())
        else {
            continue;
        };
        // Each point is one wrk run (n=1), said in the legend as every plot says its n.
        let name = format!("{} (n={} per point)", p.variant, s.n);
        match series.iter_mut().find(|(n, _)| *n == name) {
            Some((_, points)) => points.push((c, s.median)),
            None => series.push((name, vec![(c, s.median)])),
        }
    }
    let max_c = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(c, _)| *c))
        .fold(1.0, f64::max);
    let max_rate = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, r)| *r))
        .fold(1.0, f64::max);
    let root = SVGBackend::new(path, (1100, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(90)
        .build_cartesian_2d((0.8..max_c * 1.25).log_scale(), 0.0..max_rate * 1.15)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("connections (wrk, one thread; log scale)")
        .y_desc("requests per second")
        .x_labels(6)
        .x_label_formatter(&|c| format!("{c:.0}"))
        .y_label_formatter(&|r| crate::format::group(*r))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (server, mut points)) in series.into_iter().enumerate() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let color = Palette99::pick(i);
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(server)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, Palette99::pick(i).filled())),
            )
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
