//! SVG charts drawn with plotters from the results alone. Every chart has a title, axis
//! labels with units, and n for each row; every row label is unique within its chart; the
//! colours keep their contrast on a white and on a dark background, each series also has a
//! marker shape of its own, and each file carries a `prefers-color-scheme: dark` style, so
//! the chart follows the page's colour scheme while staying a file the page links.

mod labels;
mod style;

use super::keys::{self, spin_total};
use super::slot;
use anyhow::{anyhow, Context as _, Result};
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{SegmentValue, ValueFormatter};
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;
use style::{mark, INK, PAPER, SERIES};
use wasmlab_model::format::format_value;
use wasmlab_model::metric::{
    Metric, Unit, LOAD_RPS, MEMORY_CLI_CONTAINER_TOTAL, MEMORY_SERVER_CONTAINER_TOTAL,
    MEMORY_SERVER_DOCKER_STATS, MEMORY_SERVER_RSS, SIZE_SECTION, SPIN_COLD, SPIN_COLD_START,
    SPIN_KEEPALIVE, SPIN_WARM, STARTUP_CLI, STRESS_TASKS_PER_SECOND,
};
use wasmlab_model::results::{Kind, Observation, Results};
use wasmlab_model::stats::{quantile, MIN_INTERVAL_SAMPLES};

/// A chart written next to the page, as the page links it.
#[derive(Debug, Clone, Serialize)]
pub struct Plot {
    /// Short name the templates pick a chart by (`startup`, `sizes`, ...).
    pub name: String,
    /// Path relative to the page.
    pub src: String,
    /// The same chart drawn for a phone's width, labels above their rows.
    pub narrow: String,
    pub title: String,
    pub alt: String,
    /// How to read it: what the marks, bands and axis mean.
    pub caption: String,
}

/// What a strip chart's band and tick are, and how they relate to the tables' interval.
const STRIP_CAPTION: &str = "Each mark is one run. The band spans the middle half of the runs \
     (25th to 75th percentile), drawn from six runs on, and the bold tick is their median, \
     printed at the right. The tables' interval is different: the confidence interval of \
     that median, which narrows as runs are added while the band does not. The time axis is logarithmic: \
     equal distances are equal ratios.";

/// How a chart draws its rows.
enum Chart {
    /// Every sample, one row per variant, one mark shape per metric of `series` (a legend
    /// when there are several), on a log time axis (x description).
    Strip(&'static str, &'static [&'static Metric]),
    /// Medians as bars from zero on a linear axis, the value printed at the end: the axis
    /// description, the factor from the unit.
    Bars(&'static str, f64),
    /// Medians as dots on a log axis, the value printed beside: for figures that differ
    /// by orders of magnitude, where a bar's length from an arbitrary origin would mislead.
    Dots(&'static str, f64),
    /// A rate against a concurrency (the qualifier `c<N>`): the x axis description for n
    /// runs per point, and the y axis description.
    Rate(fn(usize) -> String, &'static str),
}

/// How wide a chart is drawn, and where its row labels go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// For a desktop page: labels left of their rows.
    Wide,
    /// For a phone: 360 px, about the width it is shown at on a 390 px screen, so its type
    /// shows at the size it is drawn (plotters writes 15 px type as 12.1 px); labels above
    /// their rows, so the rows keep the whole width.
    Narrow,
}

impl Layout {
    fn width(self) -> u32 {
        match self {
            Self::Wide => 1100,
            Self::Narrow => 360,
        }
    }

    /// Ticks on the value axis: fewer on a narrow one, so they do not run together.
    fn ticks(self, wide: usize) -> usize {
        match self {
            Self::Wide => wide,
            Self::Narrow => wide / 2,
        }
    }

    /// Space a row gives its label above its marks (none beside them).
    fn label_row(self) -> u32 {
        match self {
            Self::Wide => 0,
            Self::Narrow => 18,
        }
    }

    /// Width of the label area for `labels` at the label font: about half an em a
    /// character ([`labels::FITS`] bounds it); a narrow chart has none.
    fn label_area(self, labels: &[String]) -> u32 {
        match self {
            Self::Wide => {
                let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
                (longest as f64 * 7.6) as u32 + 16
            }
            Self::Narrow => 6,
        }
    }

    /// The longest row label, in characters, the chart holds at its font.
    fn fits(self) -> usize {
        match self {
            Self::Wide => labels::FITS,
            // 360 px less the margins, at about 7.3 px a character of 14 px type.
            Self::Narrow => 46,
        }
    }

    /// The size of a chart's small text (row labels, printed values, legends): plotters
    /// writes it at 0.81 of this, so 14 px shows at 11.3 px where a chart is shown at the
    /// width it is drawn.
    fn small_text(self) -> f64 {
        14.0
    }

    fn title_size(self) -> f64 {
        match self {
            Self::Wide => 22.0,
            Self::Narrow => 17.0,
        }
    }

    fn file(self, name: &str) -> String {
        match self {
            Self::Wide => format!("{name}.svg"),
            Self::Narrow => format!("{name}-narrow.svg"),
        }
    }
}

/// One chart of the report: which observations it shows and how.
struct Spec {
    name: &'static str,
    title: &'static str,
    alt: &'static str,
    caption: &'static str,
    keep: fn(&Observation) -> bool,
    /// Metrics whose rows stay together, in this order, whatever order the probes wrote
    /// them in; empty keeps the results' order.
    groups: &'static [&'static Metric],
    chart: Chart,
}

/// The memory chart's figures, each a whole, in the order of its groups.
const MEMORY_WHOLES: [&Metric; 4] = [
    &MEMORY_CLI_CONTAINER_TOTAL,
    &MEMORY_SERVER_CONTAINER_TOTAL,
    &MEMORY_SERVER_RSS,
    &MEMORY_SERVER_DOCKER_STATS,
];

const CHARTS: &[Spec] = &[
    Spec {
        name: "engines",
        title: "Startup per engine and runtime, spawn to exit",
        alt: "Every startup sample of the wasm module per engine, in the embedded host and \
              under the containerd shim, beside the native process and runc, on a log time axis",
        caption: STRIP_CAPTION,
        keep: |o| keys::is_engine_startup(&o.id),
        groups: &[],
        chart: Chart::Strip(
            "milliseconds from spawn to exit (log scale)",
            &[&STARTUP_CLI],
        ),
    },
    Spec {
        name: "stress",
        title: "Tasks per second through containerd's API",
        alt: "Tasks started per second per runtime at each number of tasks in flight, one \
              marker shape per runtime",
        caption: "One line per runtime (runc, and the shim under each engine), one marker \
                  shape each; a point is the median over rounds of tasks started, waited for \
                  and deleted per second with that many in flight. The rate axis starts at zero.",
        keep: |o| o.id.metric == &STRESS_TASKS_PER_SECOND,
        groups: &[],
        chart: Chart::Rate(
            |runs| format!("tasks in flight (median of n={runs} rounds per point)"),
            "tasks per second",
        ),
    },
    Spec {
        name: "startup",
        title: "CLI startup, spawn to exit",
        alt: "Every startup sample per runtime on a log time axis, with the interquartile range \
              as a band and the median as a tick",
        caption: STRIP_CAPTION,
        keep: |o| o.kind == Kind::SpawnToExit && !keys::is_other_engine(&o.id),
        groups: &[],
        chart: Chart::Strip(
            "milliseconds from spawn to exit (log scale)",
            &[&STARTUP_CLI],
        ),
    },
    Spec {
        name: "spin",
        title: "HTTP request latency, cold and warm (curl)",
        alt: "Every request's latency per host, one marker shape per series (cold, warm, kept \
              alive), on a log time axis",
        caption: STRIP_CAPTION,
        keep: |o| spin_total(&o.id).is_some_and(|m| *m != SPIN_COLD_START),
        groups: &[],
        chart: Chart::Strip(
            "milliseconds per request, curl time_total (log scale)",
            &[&SPIN_COLD, &SPIN_WARM, &SPIN_KEEPALIVE],
        ),
    },
    Spec {
        name: "spin-start",
        title: "HTTP host cold start: launch until the first 200",
        alt: "Every launch-to-first-response sample per host, on a log time axis",
        caption: STRIP_CAPTION,
        keep: |o| spin_total(&o.id) == Some(&SPIN_COLD_START),
        groups: &[],
        chart: Chart::Strip(
            "milliseconds from launch to the first 200 (log scale)",
            &[&SPIN_COLD_START],
        ),
    },
    Spec {
        name: "sizes",
        title: "Sizes of what each build ships",
        alt: "Bar per artifact and image from zero, size in KiB, value printed on each bar",
        caption: "Bars start at zero on a linear axis, so their lengths compare as the sizes \
                  do; each bar's size is printed at its end.",
        keep: |o| o.kind == Kind::Size && o.id.metric != &SIZE_SECTION,
        groups: &[],
        chart: Chart::Bars("KiB", 1.0 / 1024.0),
    },
    Spec {
        name: "memory",
        title: "Memory, each thing whole (median)",
        alt: "Bar per whole memory figure from zero, median in MiB, value printed on each bar: \
              one CLI container, then each server container, then each serving process",
        caption: "Only wholes, grouped: one CLI container (its cgroup's peak plus its shim's \
                  peak RSS), then each server container while serving (cgroup plus shim), \
                  then each serving process (VmRSS) and docker stats. Their parts and peaks \
                  are in the tables. Bars start at zero on a linear axis, so their lengths \
                  compare as the amounts do; each median is printed at its bar's end.",
        keep: |o| MEMORY_WHOLES.contains(&o.id.metric) && !keys::is_other_engine(&o.id),
        groups: &MEMORY_WHOLES,
        chart: Chart::Bars("MiB", 1.0 / 1_048_576.0),
    },
    Spec {
        name: "phases",
        title: "In-process phases (median)",
        alt: "Dot per in-process phase and criterion bench, median in microseconds on a log \
              axis, value printed beside each dot",
        caption: "The phases span five orders of magnitude, so they sit on a logarithmic axis \
                  as dots, not bars (a bar's length on a log axis means nothing): equal \
                  distances are equal ratios, and each median is printed beside its dot.",
        keep: |o| o.kind == Kind::InProcess,
        groups: &[],
        chart: Chart::Dots("microseconds (log scale)", 1e6),
    },
    Spec {
        name: "throughput",
        title: "Server throughput vs concurrency (wrk)",
        alt: "Requests per second per server at each number of connections, one marker shape \
              per server",
        caption: "One line per server, one marker each; a point is the median of the wrk \
                  rounds at that many connections, which took turns across the servers. The \
                  rate axis starts at zero.",
        keep: |o| o.id.metric == &LOAD_RPS,
        groups: &[],
        chart: Chart::Rate(
            |runs| format!("connections (n={runs} rounds, median per point)"),
            "requests per second",
        ),
    },
];

/// Draws every chart the data allows into `dir`.
pub fn draw_all(results: &Results, dir: &Path) -> Result<Vec<Plot>> {
    let mut plots = Vec::new();
    for spec in CHARTS {
        let mut rows: Vec<&Observation> = results
            .observations
            .iter()
            .filter(|o| o.median().is_some() && (spec.keep)(o))
            .collect();
        rows.sort_by_key(|o| spec.groups.iter().position(|m| *m == o.id.metric));
        if rows.is_empty() {
            continue;
        }
        for layout in [Layout::Wide, Layout::Narrow] {
            let path = dir.join(layout.file(spec.name));
            let mut svg = String::new();
            let title = spec.title;
            match spec.chart {
                Chart::Strip(x_desc, series) => {
                    strip_chart(&mut svg, layout, title, x_desc, series, &rows)
                }
                Chart::Bars(x_desc, scale) => {
                    value_chart(&mut svg, layout, title, x_desc, scale, false, &rows)
                }
                Chart::Dots(x_desc, scale) => {
                    value_chart(&mut svg, layout, title, x_desc, scale, true, &rows)
                }
                Chart::Rate(x_desc, y_desc) => {
                    rate_chart(&mut svg, layout, title, x_desc, y_desc, &rows)
                }
            }
            .map_err(|e| anyhow!("cannot draw {}: {e}", path.display()))?;
            std::fs::write(&path, style::with_dark_scheme(&svg))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        plots.push(Plot {
            name: spec.name.into(),
            src: format!("plots/{}", Layout::Wide.file(spec.name)),
            narrow: format!("plots/{}", Layout::Narrow.file(spec.name)),
            title: spec.title.into(),
            alt: spec.alt.into(),
            caption: spec.caption.into(),
        });
    }
    Ok(plots)
}

/// What a drawing step fails with: plotters' errors carry the backend's type, so they are
/// turned into text where they happen.
type Drawn = std::result::Result<(), String>;

fn text_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The chart's font at `size`, in ink.
fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&INK)
}

/// Every chart's axes alike: ink for text and axis lines, faint grid lines.
fn house_style<'m, 'a, 'b, 'c, X, Y, XT, YT>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, SVGBackend<'c>>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, SVGBackend<'c>>
where
    X: Ranged<ValueType = XT> + ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + ValueFormatter<YT>,
{
    mesh.label_style(font(15.0))
        .axis_desc_style(font(15.0))
        .axis_style(INK)
        .bold_line_style(INK.mix(0.25))
        .max_light_lines(1)
        .light_line_style(INK.mix(0.08))
}

/// The axes of a chart with a row per label and values along x, about `ticks` of them; a
/// narrow chart's labels go above their rows instead ([`labels_above`]).
fn row_mesh<X>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, RowAxis>>,
    layout: Layout,
    x_desc: &str,
    ticks: usize,
    labels: &[String],
) -> Drawn
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let beside = if layout == Layout::Wide { labels } else { &[] };
    let name = row_name(beside);
    house_style(&mut chart.configure_mesh())
        .x_desc(x_desc)
        .x_labels(layout.ticks(ticks))
        .x_label_formatter(&tick)
        .y_labels(labels.len() + 1)
        .y_label_formatter(&name)
        .disable_y_mesh()
        .draw()
        .map_err(text_err)
}

/// A tick on a log axis: as few digits as the value needs.
fn tick(v: &f64) -> String {
    match *v {
        v if v >= 10.0 || v == 0.0 => format!("{v:.0}"),
        v if v >= 1.0 => format!("{v:.1}"),
        v if v >= 0.1 => format!("{v:.2}"),
        v => format!("{v:.3}"),
    }
}

/// The y axis of a chart with a row per label.
type RowAxis = plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordi32>;

/// One segment per row: a segmented range `a..b` has `b - a + 1` segments. A single row
/// gets a second, empty one: plotters draws no label on a range of one value.
fn row_axis(rows: usize) -> RowAxis {
    (0..(rows as i32 - 1).max(1)).into_segmented()
}

/// The label of a row on the y axis.
fn row_name(labels: &[String]) -> impl Fn(&SegmentValue<i32>) -> String + '_ {
    move |v| match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// A narrow chart's row labels, each at the top of its row, from the plot's left edge.
fn labels_above<X>(
    chart: &ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, RowAxis>>,
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    layout: Layout,
    left: f64,
    labels: &[String],
) -> Drawn
where
    X: Ranged<ValueType = f64>,
{
    if layout == Layout::Wide {
        return Ok(());
    }
    for (i, label) in labels.iter().enumerate() {
        let (x, a) = chart.backend_coord(&(left, SegmentValue::Exact(i as i32)));
        let (_, b) = chart.backend_coord(&(left, SegmentValue::Exact(i as i32 + 1)));
        root.draw(&Text::new(
            label.clone(),
            (x + 4, a.min(b) + 2),
            font(layout.small_text()),
        ))
        .map_err(text_err)?;
    }
    Ok(())
}

/// A row of a strip chart: a variant and its observations, each with its series.
struct StripRow<'a> {
    variant: String,
    label: String,
    series: Vec<(usize, &'a Observation)>,
}

/// One row per variant, holding each observation whose metric is one of `series`: every
/// raw sample as a mark (spread vertically by a fixed pattern so repeated values stay
/// visible), the interquartile range as a band, the median as a tick and as text at the
/// right. The time axis is logarithmic: runtimes differ by orders of magnitude.
fn strip_chart(
    svg: &mut String,
    layout: Layout,
    title: &str,
    x_desc: &str,
    series: &[&Metric],
    observations: &[&Observation],
) -> Drawn {
    let mut rows: Vec<StripRow> = Vec::new();
    for o in observations {
        let Some(s) = series.iter().position(|m| *m == o.id.metric) else {
            continue;
        };
        let variant = keys::variant_label(&o.id);
        let i = slot(
            &mut rows,
            |r| r.variant == variant,
            || StripRow {
                label: String::new(),
                variant: variant.clone(),
                series: Vec::new(),
            },
        );
        rows[i].series.push((s, o));
    }
    let names: Vec<&str> = rows.iter().map(|r| r.variant.as_str()).collect();
    let short = labels::short(&names, layout.fits());
    for (row, label) in rows.iter_mut().zip(short) {
        let mut n: Vec<String> = row
            .series
            .iter()
            .map(|(_, o)| o.samples.len().to_string())
            .collect();
        n.dedup();
        row.label = format!("{label} (n={})", n.join("/"));
    }
    let ms = |o: &Observation| -> Vec<f64> { o.samples.iter().map(|s| s * 1e3).collect() };
    let all: Vec<f64> = observations
        .iter()
        .flat_map(|o| ms(o))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min) / 1.5;
    let hi = all.iter().copied().fold(0.0, f64::max) * 1.5;
    let above = layout.label_row();
    let per_row = 30 + 16 * series.len() as u32 + above;
    // A legend entry per series: side by side on a wide chart, one under another on a
    // narrow one.
    let legend = match (series.len(), layout) {
        (1, _) => 0,
        (_, Layout::Wide) => 40,
        (n, Layout::Narrow) => 16 + 24 * n as u32,
    };
    let height = 100 + legend + per_row * rows.len() as u32;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let root = SVGBackend::with_string(svg, (layout.width(), height)).into_drawing_area();
    root.fill(&PAPER).map_err(text_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, font(layout.title_size()))
        .margin(12)
        .margin_right(if layout == Layout::Wide { 96 } else { 72 })
        .margin_bottom(12 + legend as i32)
        .x_label_area_size(48)
        .y_label_area_size(layout.label_area(&labels))
        .build_cartesian_2d((lo..hi).log_scale(), row_axis(rows.len()))
        .map_err(text_err)?;
    row_mesh(&mut chart, layout, x_desc, 8, &labels)?;
    labels_above(&chart, &root, layout, lo, &labels)?;
    let spread = series.len() as i32;
    for (i, row) in rows.iter().enumerate() {
        let at = SegmentValue::CenterOf(i as i32);
        for (s, o) in &row.series {
            let color = style::color(*s);
            // Series of one row sit one above another, 16 px apart, centred on the row
            // (below its label, on a narrow chart).
            let dy = (2 * *s as i32 - (spread - 1)) * 8 + above as i32 / 2;
            let mut sorted = ms(o);
            sorted.sort_by(f64::total_cmp);
            let (q1, median, q3) = (
                quantile(&sorted, 0.25),
                quantile(&sorted, 0.5),
                quantile(&sorted, 0.75),
            );
            let (x1, y) = chart.backend_coord(&(q1, at.clone()));
            let (x3, _) = chart.backend_coord(&(q3, at.clone()));
            // Quartiles of a handful of runs are the runs themselves: the marks say it.
            if sorted.len() >= MIN_INTERVAL_SAMPLES {
                root.draw(&Rectangle::new(
                    [(x1, y + dy - 6), (x3.max(x1 + 1), y + dy + 6)],
                    color.mix(0.3).filled(),
                ))
                .map_err(text_err)?;
            }
            chart
                .draw_series(ms(o).into_iter().enumerate().map(|(k, v)| {
                    let jitter = (k as i32 % 5 - 2) * 2;
                    EmptyElement::at((v, at.clone())) + mark(*s, (0, dy + jitter), 4, color)
                }))
                .map_err(text_err)?;
            let (xm, _) = chart.backend_coord(&(median, at.clone()));
            root.draw(&PathElement::new(
                vec![(xm, y + dy - 9), (xm, y + dy + 9)],
                INK.stroke_width(3),
            ))
            .map_err(text_err)?;
            let (right, _) = chart.backend_coord(&(hi, at.clone()));
            root.draw(&Text::new(
                format_value(median / 1e3, Unit::Seconds),
                (right + 8, y + dy - 7),
                font(layout.small_text()),
            ))
            .map_err(text_err)?;
        }
    }
    if series.len() > 1 {
        for (s, metric) in series.iter().enumerate() {
            // The legend sits under the axis, one entry after another.
            let (x, y) = match layout {
                Layout::Wide => (24 + 300 * s as i32, height as i32 - 28),
                Layout::Narrow => (24, height as i32 - legend as i32 + 12 + 24 * s as i32),
            };
            let color = style::color(s);
            root.draw(&(EmptyElement::at((x, y)) + mark(s, (0, 0), 6, color)))
                .map_err(text_err)?;
            root.draw(&Text::new(
                metric.label.to_owned(),
                (x + 14, y - 9),
                font(15.0),
            ))
            .map_err(text_err)?;
        }
    }
    root.present().map_err(text_err)?;
    Ok(())
}

/// One row per observation with its median: a bar from zero on a linear axis, or (`dots`)
/// a dot on a log axis; either way the value printed beside it in its own unit.
fn value_chart(
    svg: &mut String,
    layout: Layout,
    title: &str,
    x_desc: &str,
    scale: f64,
    dots: bool,
    rows: &[&Observation],
) -> Drawn {
    let rows: Vec<(&Observation, f64)> = rows
        .iter()
        .filter_map(|o| Some((*o, o.median()?)))
        .collect();
    let values: Vec<f64> = rows.iter().map(|(_, m)| m * scale).collect();
    let full: Vec<&str> = rows.iter().map(|(o, _)| o.label.as_str()).collect();
    let labels: Vec<String> = labels::short(&full, layout.fits())
        .into_iter()
        .zip(&rows)
        .map(|(l, (o, _))| format!("{l} (n={})", o.samples.len()))
        .collect();
    let hi = values.iter().copied().fold(0.0, f64::max);
    let above = layout.label_row() as i32;
    let height = 100 + (30 + above as u32) * rows.len() as u32;
    let root = SVGBackend::with_string(svg, (layout.width(), height)).into_drawing_area();
    root.fill(&PAPER).map_err(text_err)?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, font(layout.title_size()))
        .margin(12)
        .margin_right(24)
        .x_label_area_size(48)
        .y_label_area_size(layout.label_area(&labels));
    let y = row_axis(rows.len());
    let color = SERIES[0];
    // A dot chart spans its values with room either side; a bar chart starts at zero and
    // leaves room after the longest bar for its printed value.
    let positive = values.iter().copied().filter(|v| *v > 0.0);
    let lo = positive.fold(f64::INFINITY, f64::min);
    let lo = if lo.is_finite() { lo / 3.0 } else { 1.0 };
    macro_rules! draw {
        ($x:expr) => {{
            let mut chart = builder.build_cartesian_2d($x, y).map_err(text_err)?;
            row_mesh(&mut chart, layout, x_desc, 10, &labels)?;
            labels_above(&chart, &root, layout, if dots { lo } else { 0.0 }, &labels)?;
            for (i, (v, (o, median))) in values.iter().zip(&rows).enumerate() {
                let (left, top) = chart
                    .backend_coord(&(if dots { lo } else { 0.0 }, SegmentValue::Exact(i as i32)));
                let x = if dots { v.max(lo) } else { *v };
                let (end, bottom) = chart.backend_coord(&(x, SegmentValue::Exact(i as i32 + 1)));
                // Below its label, on a narrow chart.
                let (top, bottom) = (top.min(bottom) + above, top.max(bottom));
                let (mid, pad) = ((top + bottom) / 2, (bottom - top) / 5);
                if dots {
                    root.draw(&(EmptyElement::at((end, mid)) + mark(0, (0, 0), 6, color)))
                        .map_err(text_err)?;
                } else {
                    root.draw(&Rectangle::new(
                        [(left, top + pad), (end.max(left + 1), bottom - pad)],
                        color.filled(),
                    ))
                    .map_err(text_err)?;
                }
                root.draw(&Text::new(
                    format_value(*median, o.unit),
                    (end + 10, mid - 8),
                    font(layout.small_text()),
                ))
                .map_err(text_err)?;
            }
        }};
    }
    if dots {
        draw!((lo..hi * 30.0).log_scale());
    } else {
        draw!(0.0..hi * 1.22);
    }
    root.present().map_err(text_err)?;
    Ok(())
}

/// Requests per second against connections, one line and marker shape per server
/// ([`LOAD_RPS`] at `c<N>`); the connection axis has a tick at each concurrency measured.
fn rate_chart(
    svg: &mut String,
    layout: Layout,
    title: &str,
    x_desc: fn(usize) -> String,
    y_desc: &str,
    rates: &[&Observation],
) -> Drawn {
    let mut series: Vec<(String, Vec<(u32, f64)>)> = Vec::new();
    for o in rates {
        let (Some(c), Some(median)) = (o.id.concurrency(), o.median()) else {
            continue;
        };
        let name = keys::variant_label(&o.id);
        let i = slot(
            &mut series,
            |(n, _)| *n == name,
            || (name.clone(), Vec::new()),
        );
        series[i].1.push((c, median));
    }
    // Each point is the median of n wrk rounds; the axis says so, as every chart says its n.
    let runs = rates
        .iter()
        .filter_map(|o| o.summary.as_ref().map(|s| s.n))
        .max()
        .unwrap_or(1);
    let mut levels: Vec<u32> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(c, _)| *c))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    let max_rate = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, r)| *r))
        .fold(1.0, f64::max);
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    // The legend sits inside the plot area, right of the rate axis: on a phone that leaves
    // about 230 px, some 30 characters of its 15 px type.
    let fits = match layout {
        Layout::Wide => layout.fits(),
        Layout::Narrow => 30,
    };
    let legend = labels::short(&names, fits);
    let root = SVGBackend::with_string(svg, (layout.width(), 560)).into_drawing_area();
    root.fill(&PAPER).map_err(text_err)?;
    // Connections are categories on the axis, evenly spaced: each tick is a measured level.
    // The legend sits over the top of the plot area, which the rate axis leaves free: the
    // axis reaches far enough above the highest rate that no line runs under the legend,
    // however many servers it lists (an entry is about 19 px of the some 440 px of the
    // plot area; 16 px of padding, and a little air).
    let legend_share = (19.0 * names.len() as f64 + 16.0) / 440.0;
    let headroom: f64 = match layout {
        Layout::Wide => 1.5,
        Layout::Narrow => 1.8,
    };
    let headroom = headroom.max(1.0 / (1.0 - legend_share - 0.05).max(0.2));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, font(layout.title_size()))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(if layout == Layout::Wide { 90 } else { 64 })
        .build_cartesian_2d(row_axis(levels.len()), 0.0..max_rate * headroom)
        .map_err(text_err)?;
    let level_name = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => levels
            .get(*i as usize)
            .map(u32::to_string)
            .unwrap_or_default(),
        _ => String::new(),
    };
    house_style(&mut chart.configure_mesh())
        .x_desc(x_desc(runs))
        .y_desc(y_desc)
        .x_labels(levels.len() + 1)
        .x_label_formatter(&level_name)
        .y_label_formatter(&|r| wasmlab_model::format::group(*r))
        .disable_x_mesh()
        .draw()
        .map_err(text_err)?;
    for (i, ((_, mut points), name)) in series.into_iter().zip(legend).enumerate() {
        points.sort_by_key(|(c, _)| *c);
        let color = style::color(i);
        let at = |c: u32| {
            SegmentValue::CenterOf(levels.iter().position(|l| *l == c).unwrap_or(0) as i32)
        };
        let line: Vec<_> = points.iter().map(|(c, r)| (at(*c), *r)).collect();
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(3)))
            .map_err(text_err)?
            .label(name)
            .legend(move |(x, y)| EmptyElement::at((x + 9, y)) + mark(i, (0, 0), 6, color));
        chart
            .draw_series(
                line.into_iter()
                    .map(|p| EmptyElement::at(p) + mark(i, (0, 0), 6, color)),
            )
            .map_err(text_err)?;
    }
    chart
        .configure_series_labels()
        .background_style(PAPER.mix(0.9))
        .border_style(INK)
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(font(15.0))
        .draw()
        .map_err(text_err)?;
    root.present().map_err(text_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{measured, results};
    use wasmlab_model::metric::{
        CTR_RUNC, DOCKER, MEMORY_SERVER_RSS, NATIVE_PROCESS, WASI_HTTP_POOLING,
    };

    fn texts(svg: &str) -> Vec<String> {
        roxmltree::Document::parse(svg)
            .unwrap()
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().trim().to_owned())
            .collect()
    }

    /// The x of each point of an SVG `points` list.
    fn xs(points: &str) -> Vec<f64> {
        points
            .split_whitespace()
            .filter_map(|p| p.split(',').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn a_chart_with_no_data_draws_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(draw_all(&results([]), dir.path()).unwrap().is_empty());
        let unmeasured = results([
            STARTUP_CLI.of(&DOCKER).skipped("docker run", "no docker"),
            MEMORY_SERVER_RSS
                .of(&NATIVE_PROCESS)
                .failed_after("serve", "crashed", vec![1e6]),
        ]);
        assert!(draw_all(&unmeasured, dir.path()).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// No band from fewer than six runs: three runs are drawn as three marks and a tick,
    /// six get their interquartile band too.
    #[test]
    fn a_band_is_drawn_from_six_runs_on() {
        let rects = |samples: Vec<f64>| {
            let o = measured(&STARTUP_CLI, &NATIVE_PROCESS, samples);
            let mut svg = String::new();
            strip_chart(&mut svg, Layout::Wide, "t", "ms", &[&STARTUP_CLI], &[&o]).unwrap();
            roxmltree::Document::parse(&svg)
                .unwrap()
                .descendants()
                .filter(|n| n.has_tag_name("rect"))
                .count()
        };
        let few = rects(vec![0.001, 0.002, 0.003]);
        let six = rects(vec![0.001, 0.002, 0.003, 0.001, 0.002, 0.003]);
        assert_eq!(six, few + 1, "three runs: {few} rects, six: {six}");
    }

    #[test]
    fn the_median_tick_is_the_median_of_the_runs() {
        // Skewed: the mean (22 ms) is far from the median (3 ms).
        let o = measured(
            &STARTUP_CLI,
            &NATIVE_PROCESS,
            vec![0.001, 0.002, 0.003, 0.004, 0.100],
        );
        let mut svg = String::new();
        strip_chart(&mut svg, Layout::Wide, "t", "ms", &[&STARTUP_CLI], &[&o]).unwrap();
        let texts = texts(&svg);
        assert!(texts.contains(&"3.00 ms".to_owned()), "{texts:?}");
        assert!(!texts.contains(&"22.0 ms".to_owned()), "{texts:?}");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let tick = doc
            .descendants()
            .find(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("3"))
            .expect("a median tick");
        let tick_x = xs(tick.attribute("points").unwrap())[0];
        // The marks, one per run, left to right: the tick stands on the third.
        let mut centres: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .map(|n| {
                let x = xs(n.attribute("points").unwrap());
                (x.iter().copied().fold(f64::INFINITY, f64::min)
                    + x.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                    / 2.0
            })
            .collect();
        centres.sort_by(f64::total_cmp);
        assert_eq!(centres.len(), 5, "{centres:?}");
        assert!(
            (tick_x - centres[2]).abs() <= 1.0,
            "tick at {tick_x}, marks at {centres:?}"
        );
    }

    #[test]
    fn every_row_says_its_n_and_a_figure_not_measured_has_no_row() {
        let dir = tempfile::tempdir().unwrap();
        let r = results([
            measured(&MEMORY_SERVER_RSS, &NATIVE_PROCESS, vec![741_376.0]),
            measured(
                &MEMORY_SERVER_RSS,
                &WASI_HTTP_POOLING,
                vec![14_958_592.0, 15e6],
            ),
            MEMORY_SERVER_RSS
                .of(&DOCKER)
                .failed_after("docker stats", "exited", vec![1e6]),
            // A peak beside its equal and a part beside its whole are the tables', not bars.
            measured(
                &wasmlab_model::metric::MEMORY_SERVER_PEAK_RSS,
                &NATIVE_PROCESS,
                vec![741_376.0],
            ),
            measured(
                &wasmlab_model::metric::MEMORY_CLI_PEAK,
                &wasmlab_model::metric::CTR_RUNC,
                vec![2e6],
            ),
        ]);
        let plots = draw_all(&r, dir.path()).unwrap();
        let names: Vec<&str> = plots.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["memory"]);
        let svg = std::fs::read_to_string(dir.path().join("memory.svg")).unwrap();
        let texts = texts(&svg);
        let rows: Vec<&String> = texts.iter().filter(|t| t.contains("(n=")).collect();
        assert_eq!(rows.len(), 2, "{texts:?}");
        assert!(rows[1].ends_with("(n=2)"), "{rows:?}");
        assert!(!texts.iter().any(|t| t.starts_with("docker")), "{texts:?}");
        // The value printed at each bar's end is its median, in its unit.
        assert!(texts.contains(&"724 KiB".to_owned()), "{texts:?}");
    }

    /// However many servers the legend lists, no line runs under it: the rate axis reaches
    /// high enough above the highest rate.
    #[test]
    fn no_line_of_the_rate_chart_runs_under_its_legend() {
        use wasmlab_model::metric::VARIANTS;
        for layout in [Layout::Wide, Layout::Narrow] {
            for servers in [3, 9, 12] {
                let rates: Vec<Observation> = VARIANTS
                    .iter()
                    .take(servers)
                    .flat_map(|v| {
                        [("c1", 10_000.0), ("c10", 100_000.0), ("c50", 90_000.0)]
                            .map(|(c, x)| LOAD_RPS.at(c).of(v).measured("wrk", vec![x]))
                    })
                    .collect();
                let rows: Vec<&Observation> = rates.iter().collect();
                let mut svg = String::new();
                rate_chart(&mut svg, layout, "t", |n| format!("{n}"), "r", &rows).unwrap();
                let doc = roxmltree::Document::parse(&svg).unwrap();
                let number = |n: &roxmltree::Node, a: &str| -> f64 {
                    n.attribute(a).unwrap().parse().unwrap()
                };
                // The legend's background: the translucent box.
                let legend = doc
                    .descendants()
                    .find(|n| n.has_tag_name("rect") && n.attribute("opacity") == Some("0.9"))
                    .unwrap();
                let legend_bottom = number(&legend, "y") + number(&legend, "height");
                // The lines are the 3 px polylines; the highest point is the least y.
                let top_of_lines = doc
                    .descendants()
                    .filter(|n| {
                        n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("3")
                    })
                    .flat_map(|n| {
                        let points = n.attribute("points").unwrap().to_owned();
                        points
                            .split_whitespace()
                            .map(|p| p.split(',').nth(1).unwrap().parse::<f64>().unwrap())
                            .collect::<Vec<_>>()
                    })
                    .fold(f64::MAX, f64::min);
                assert!(
                    top_of_lines > legend_bottom,
                    "{layout:?}, {servers} servers: a line reaches y {top_of_lines}, the legend \
                     ends at {legend_bottom}"
                );
            }
        }
    }

    #[test]
    fn the_rate_axis_has_a_tick_at_each_concurrency_measured() {
        let rate = |c: &str, v: &'static wasmlab_model::metric::Variant, x: f64| {
            LOAD_RPS.at(c).of(v).measured("wrk", vec![x])
        };
        let rates = [
            rate("c100", &NATIVE_PROCESS, 50_000.0),
            rate("c1", &NATIVE_PROCESS, 9_000.0),
            rate("c10", &CTR_RUNC, 20_000.0),
        ];
        let rows: Vec<&Observation> = rates.iter().collect();
        let mut svg = String::new();
        rate_chart(
            &mut svg,
            Layout::Wide,
            "t",
            |n| format!("connections (n={n})"),
            "requests per second",
            &rows,
        )
        .unwrap();
        let texts = texts(&svg);
        let ticks: Vec<&str> = texts
            .iter()
            .map(String::as_str)
            .filter(|t| ["1", "10", "100"].contains(t))
            .collect();
        assert_eq!(ticks, ["1", "10", "100"], "{texts:?}");
        assert!(texts.contains(&"connections (n=1)".to_owned()));
    }
}
