//! Figures of several metrics as one matrix: a row per variant, a column per metric (and
//! qualifier), each cell the median with its interval or its n. A list of variants × a few
//! readings reads at a glance this way, where one row per observation repeats every
//! variant's name once per reading. The commands behind the cells stay on the page, listed
//! once under the matrix by observation id.

use super::figure::Figure;
use super::keys;
use super::slot;
use super::status::State;
use serde::{Deserialize, Serialize};
use wasmlab_model::metric::Metric;
use wasmlab_model::results::{Observation, Results};

#[derive(Debug, Serialize)]
pub struct Pivot {
    /// The columns' headings.
    pub columns: Vec<String>,
    /// What each column holds, for folding.
    #[serde(skip)]
    keys: Vec<Key>,
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
    /// One per column.
    pub cells: Vec<Cell>,
}

/// One cell: a figure, or one per metric when folded; none when nothing was taken there.
pub type Cell = Vec<Line>;

/// One figure of a cell, as the `cell` filter writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Line {
    /// The metric it is of, in a folded cell ("cold request").
    pub metric: Option<String>,
    pub status: State,
    /// The median with its interval.
    pub median: Option<Figure>,
    /// What the tool printed, when a cell shows it.
    pub shown: Option<String>,
}

/// What a cell says besides the median.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The median's interval, and what the tool printed.
    Interval,
    /// n alone.
    Brief,
}

/// One column: a metric at a qualifier (None: unqualified), and its heading.
#[derive(Debug, Clone)]
pub struct Column {
    pub metric: &'static Metric,
    pub qualifier: Option<String>,
    pub heading: String,
}

/// What a column holds: the metric and qualifier of its cells.
#[derive(Debug, Clone)]
struct Key {
    metric: &'static Metric,
    qualifier: Option<String>,
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
        let mut qualifiers: Vec<Option<String>> = Vec::new();
        for key in &self.keys {
            slot(
                &mut qualifiers,
                |q| *q == key.qualifier,
                || key.qualifier.clone(),
            );
        }
        let rows = self
            .rows
            .into_iter()
            .map(|row| PivotRow {
                label: row.label,
                cells: qualifiers
                    .iter()
                    .map(|q| {
                        self.keys
                            .iter()
                            .zip(&row.cells)
                            .filter(|(key, _)| key.qualifier == *q)
                            .flat_map(|(key, cell)| {
                                cell.iter().map(|line| Line {
                                    metric: Some(key.metric.label.to_owned()),
                                    ..line.clone()
                                })
                            })
                            .collect()
                    })
                    .collect(),
            })
            .collect();
        Pivot {
            columns: qualifiers
                .iter()
                .map(|q| q.clone().unwrap_or_default())
                .collect(),
            keys: Vec::new(),
            rows,
            ..self
        }
    }
}

/// The matrix of `columns` over every variant that has one of them, in the order of the
/// file; a column nothing filled is left out.
pub fn pivot(results: &Results, columns: Vec<Column>, style: Style) -> Pivot {
    pivot_of(&results.observations, columns, style)
}

/// [`pivot`] over some of the observations.
pub fn pivot_of<'a>(
    observations: impl IntoIterator<Item = &'a Observation>,
    columns: Vec<Column>,
    style: Style,
) -> Pivot {
    let mut rows: Vec<(&'a Observation, Vec<Option<&Observation>>)> = Vec::new();
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
            |(first, _)| first.id.variant == p.variant,
            || (o, vec![None; columns.len()]),
        );
        rows[i].1[c] = Some(o);
    }
    let measured = |o: &Option<&Observation>| o.is_some_and(Observation::is_measured);
    let label = |first: &Observation| keys::variant_label(&first.id);
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
        keys: filled
            .iter()
            .map(|c| Key {
                metric: columns[*c].metric,
                qualifier: columns[*c].qualifier.clone(),
            })
            .collect(),
        rows: rows
            .iter()
            .map(|(first, cells)| PivotRow {
                label: label(first),
                cells: filled
                    .iter()
                    .map(|c| cells[*c].map(|o| line(o, style)).into_iter().collect())
                    .collect(),
            })
            .collect(),
        unmeasured: idle.iter().map(|(first, _)| label(first)).collect(),
        commands,
        intervals: matches!(style, Style::Interval),
    }
}

/// One observation as a line of a cell.
fn line(o: &Observation, style: Style) -> Line {
    Line {
        metric: None,
        status: State::of(&o.status),
        median: Figure::median_of(o),
        shown: o.shown.clone().filter(|_| style == Style::Interval),
    }
}

/// A cell's text: per line, its metric when folded, the median, then its interval or n,
/// then what the tool printed; or the status of a figure not measured (the reason is given
/// once, with the other figures not measured); a dash for an empty cell.
pub fn cell_text(cell: &[Line], style: Style) -> String {
    if cell.is_empty() {
        return "—".to_owned();
    }
    cell.iter()
        .map(|line| {
            let text = match (line.status, &line.median) {
                (State::Measured, Some(m)) => match style {
                    Style::Brief => format!("{} (n = {})", m.text(), m.n),
                    Style::Interval => {
                        let mut lines = vec![m.text(), m.interval_brief()];
                        lines.extend(line.shown.clone());
                        lines.join("\n")
                    }
                },
                (State::Measured, None) => "no samples".to_owned(),
                (other, _) => other.word().to_owned(),
            };
            match &line.metric {
                Some(metric) => format!("{metric}: {text}"),
                None => text,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
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
        let p = pivot(&r, columns, Style::Brief).fold_qualifiers();
        assert_eq!(p.columns, ["dns", "connect"]);
        let text = |cells: &[Cell]| -> Vec<String> {
            cells.iter().map(|c| cell_text(c, Style::Brief)).collect()
        };
        let native = &p.rows[0];
        assert_eq!(native.label, NATIVE_PROCESS.label);
        assert_eq!(
            text(&native.cells)[0],
            "cold request: 20.0 µs (n = 2)\nwarm request: 30.0 µs (n = 2)"
        );
        // A cell with no figure of either metric is a dash, not an empty line.
        let docker = &p.rows[1];
        assert_eq!(text(&docker.cells), ["cold request: 25.0 µs (n = 2)", "—"]);
    }
}
