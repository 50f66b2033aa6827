//! Figures of several metrics as one matrix: a row per variant, a column per metric (and
//! qualifier), each cell the median with its interval or its n. A list of variants × a few
//! readings reads at a glance this way, where one row per observation repeats every
//! variant's name once per reading. The commands behind the cells stay on the page, listed
//! once under the matrix by observation id.

use super::slot;
use serde::Serialize;
use wasmlab_model::format::format_value;
use wasmlab_model::metric::Metric;
use wasmlab_model::results::{Observation, Results};

#[derive(Debug, Serialize)]
pub struct Pivot {
    pub columns: Vec<String>,
    pub rows: Vec<PivotRow>,
    /// Variants none of whose figures was measured: named once instead of a row of
    /// "skipped" cells (their reasons are with the other figures not measured).
    pub unmeasured: Vec<String>,
    /// "id: command", one line per observation in the matrix.
    pub commands: String,
    /// Whether cells carry intervals (the page then says how to read them).
    pub intervals: bool,
}

#[derive(Debug, Serialize)]
pub struct PivotRow {
    pub label: String,
    /// One per column; lines apart by `\n`, which the page keeps.
    pub cells: Vec<String>,
}

/// What a cell says besides the median.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// The median's interval, and what the tool printed.
    Interval,
    /// n alone.
    Brief,
}

/// One column: a metric at a qualifier (None: unqualified), and its heading.
pub struct Column {
    pub metric: &'static Metric,
    pub qualifier: Option<String>,
    pub heading: String,
}

impl Column {
    pub fn of(metric: &'static Metric) -> Self {
        Self {
            metric,
            qualifier: None,
            heading: metric.label.to_owned(),
        }
    }
}

/// The qualified columns of `metrics` found in `results`, in the order of the file:
/// `spin.cold-dns` becomes "cold request: dns".
pub fn qualified_columns(results: &Results, metrics: &[&'static Metric]) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for o in &results.observations {
        let Some(metric) = metrics.iter().find(|m| **m == o.id.metric) else {
            continue;
        };
        let Some(q) = o.id.qualifier.as_deref() else {
            continue;
        };
        if !out
            .iter()
            .any(|c| c.metric == o.id.metric && c.qualifier.as_deref() == Some(q))
        {
            out.push(Column {
                metric,
                heading: format!("{}: {q}", metric.label),
                qualifier: Some(q.to_owned()),
            });
        }
    }
    out
}

impl Pivot {
    /// The columns of one qualifier folded into one, headed by the qualifier, a line per
    /// metric in each cell: "cold request: dns" and "warm request: dns" (from
    /// [`qualified_columns`]) become "dns", its cells "cold request: 24.0 µs (n = 5)" over
    /// "warm request: …". Half the cells, each phase's cold and warm side by side.
    pub fn fold_qualifiers(self) -> Pivot {
        let split = |h: &str| {
            h.rsplit_once(": ")
                .map_or((String::new(), h.to_owned()), |(m, q)| {
                    (m.to_owned(), q.to_owned())
                })
        };
        let mut qualifiers: Vec<String> = Vec::new();
        for (_, q) in self.columns.iter().map(|h| split(h)) {
            slot(&mut qualifiers, |k| *k == q, || q.clone());
        }
        let rows = self
            .rows
            .into_iter()
            .map(|row| {
                let cells = qualifiers
                    .iter()
                    .map(|q| {
                        let lines: Vec<String> = self
                            .columns
                            .iter()
                            .zip(&row.cells)
                            .filter(|(h, c)| split(h).1 == *q && c.as_str() != "—")
                            .map(|(h, c)| format!("{}: {c}", split(h).0))
                            .collect();
                        if lines.is_empty() {
                            "—".to_owned()
                        } else {
                            lines.join("\n")
                        }
                    })
                    .collect();
                PivotRow {
                    label: row.label,
                    cells,
                }
            })
            .collect();
        Pivot {
            columns: qualifiers,
            rows,
            ..self
        }
    }
}

/// The matrix of `columns` over every variant that has one of them, in the order of the
/// file; a column nothing filled is left out.
pub fn pivot(results: &Results, columns: Vec<Column>, cell: Cell) -> Pivot {
    pivot_of(&results.observations, columns, cell)
}

/// [`pivot`] over some of the observations.
pub fn pivot_of<'a>(
    observations: impl IntoIterator<Item = &'a Observation>,
    columns: Vec<Column>,
    cell: Cell,
) -> Pivot {
    let mut rows: Vec<(String, Vec<Option<&Observation>>)> = Vec::new();
    for o in observations {
        let p = &o.id;
        let Some(c) = columns
            .iter()
            .position(|c| c.metric == p.metric && c.qualifier.as_deref() == p.qualifier.as_deref())
        else {
            continue;
        };
        let i = slot(
            &mut rows,
            |(v, _)| *v == p.variant,
            || (p.variant.to_string(), vec![None; columns.len()]),
        );
        rows[i].1[c] = Some(o);
    }
    let measured = |o: &Option<&Observation>| o.is_some_and(Observation::is_measured);
    let label = |variant: &String| {
        wasmlab_model::metric::variant(variant)
            .map_or_else(|| variant.clone(), |v| v.label.to_owned())
    };
    let (rows, idle): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(_, cells)| cells.iter().any(measured));
    let filled: Vec<usize> = (0..columns.len())
        .filter(|c| rows.iter().any(|(_, cells)| measured(&cells[*c])))
        .collect();
    let commands = rows
        .iter()
        .flat_map(|(_, cells)| cells.iter().flatten())
        .filter(|o| !o.command.is_empty())
        .map(|o| format!("{}: {}", o.id, o.command))
        .collect::<Vec<_>>()
        .join("\n");
    Pivot {
        columns: filled.iter().map(|c| columns[*c].heading.clone()).collect(),
        rows: rows
            .iter()
            .map(|(variant, cells)| PivotRow {
                label: label(variant),
                cells: filled
                    .iter()
                    .map(|c| cells[*c].map_or_else(|| "—".to_owned(), |o| text(o, cell)))
                    .collect(),
            })
            .collect(),
        unmeasured: idle.iter().map(|(variant, _)| label(variant)).collect(),
        commands,
        intervals: matches!(cell, Cell::Interval),
    }
}

/// A cell's text: the median, then its interval or n, then what the tool printed; or the
/// status of a figure not measured.
fn text(o: &Observation, cell: Cell) -> String {
    // The reason is given once, with the other figures not measured.
    if !o.is_measured() {
        return super::status::word(&o.status).to_owned();
    }
    let Some(s) = &o.summary else {
        return "no samples".to_owned();
    };
    let median = format_value(s.median, o.unit);
    match cell {
        Cell::Brief => format!("{median} (n = {})", s.n),
        Cell::Interval => {
            let mut lines = vec![median, interval(s, o.unit)];
            lines.extend(o.shown.clone());
            lines.join("\n")
        }
    }
}

/// The median's interval in a cell's width: its real coverage and n, which the table's
/// note explains (few runs reach less than the nominal level; one run has none).
fn interval(s: &wasmlab_model::stats::Summary, unit: wasmlab_model::metric::Unit) -> String {
    let ci = &s.median_ci;
    match s.n {
        0 | 1 => "one run".to_owned(),
        n => format!(
            "{:.0}% interval {} – {} (n = {n})",
            ci.confidence * 100.0,
            format_value(ci.low, unit),
            format_value(ci.high, unit)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::{DOCKER, NATIVE_PROCESS, SPIN_COLD, SPIN_WARM};
    use wasmlab_model::results::Provenance;

    #[test]
    fn folding_puts_each_qualifier_s_metrics_in_one_cell() {
        let mut r = Results::new(Provenance::default());
        for (metric, at, variant, s) in [
            (&SPIN_COLD, "dns", &NATIVE_PROCESS, 20e-6),
            (&SPIN_COLD, "connect", &NATIVE_PROCESS, 150e-6),
            (&SPIN_WARM, "dns", &NATIVE_PROCESS, 30e-6),
            (&SPIN_WARM, "connect", &NATIVE_PROCESS, 160e-6),
            (&SPIN_COLD, "dns", &DOCKER, 25e-6),
        ] {
            r.merge(metric.at(at).of(variant).measured("curl", vec![s, s]));
        }
        let columns = qualified_columns(&r, &[&SPIN_COLD, &SPIN_WARM]);
        let p = pivot(&r, columns, Cell::Brief).fold_qualifiers();
        assert_eq!(p.columns, ["dns", "connect"]);
        let native = &p.rows[0];
        assert_eq!(native.label, NATIVE_PROCESS.label);
        assert_eq!(
            native.cells[0],
            "cold request: 20.0 µs (n = 2)\nwarm request: 30.0 µs (n = 2)"
        );
        // A cell with no figure of either metric is a dash, not an empty line.
        let docker = &p.rows[1];
        assert_eq!(docker.cells, ["cold request: 25.0 µs (n = 2)", "—"]);
    }
}
