//! Probes: each measures one aspect and returns observations of the metrics it declares.
//! Adding a probe is one file and one line in [`registry`]. Probes use the runtimes
//! (`crate::runtime`) and the runner, never one another, and know nothing of the report.

mod contexts;
mod criterion;
mod crosscheck;
mod ctr;
mod ctr_image;
mod docker_image;
mod load;
mod peak_rss;
mod phase;
mod sections;
mod server;
mod size;
pub mod spin;
mod startup;
mod stress;

use crate::ctx::Ctx;
use wasmlab_model::metric::{Id, Metric, Variant};
use wasmlab_model::results::Observation;

/// What a probe writes: a metric for every variant, for these variants only, or for every
/// variant but these (when two probes share a metric, each claims its own variants; a probe
/// that writes a variant per engine claims all but the others', so a new engine needs no
/// edit here).
#[derive(Debug, Clone, Copy)]
pub enum Claim {
    All(&'static Metric),
    Variants(&'static Metric, &'static [&'static Variant]),
    AllBut(&'static Metric, &'static [&'static Variant]),
}

impl Claim {
    pub fn metric(&self) -> &'static Metric {
        match self {
            Claim::All(m) | Claim::Variants(m, _) | Claim::AllBut(m, _) => m,
        }
    }

    /// Whether observation `id` falls under this claim.
    pub fn covers(&self, id: &Id) -> bool {
        id.metric == self.metric()
            && match self {
                Claim::All(_) => true,
                Claim::Variants(_, vs) => vs.iter().any(|v| v.name == id.variant),
                Claim::AllBut(_, vs) => !vs.iter().any(|v| v.name == id.variant),
            }
    }
}

pub trait Probe {
    /// Its name, as `measure run --probe` takes it.
    fn id(&self) -> &'static str;
    /// Every metric it writes.
    fn claims(&self) -> &'static [Claim];
    /// Takes its measurements; a missing tool or a failure is an observation too.
    fn run(&self, ctx: &Ctx) -> Vec<Observation>;
}

/// Every probe, in the order `measure run` runs them. `spin` runs only when named (or by
/// `measure spin`, with its own options): a plain `measure run` leaves it out.
pub fn registry() -> Vec<Box<dyn Probe>> {
    vec![
        Box::new(contexts::ContextsProbe),
        Box::new(size::SizeProbe),
        Box::new(sections::SectionsProbe),
        Box::new(docker_image::DockerImageProbe),
        Box::new(ctr_image::CtrImageProbe),
        Box::new(startup::StartupProbe),
        Box::new(crosscheck::CrosscheckProbe),
        Box::new(peak_rss::PeakRssProbe),
        Box::new(server::ServerProbe),
        Box::new(load::LoadProbe),
        Box::new(phase::PhaseProbe),
        Box::new(ctr::CtrProbe),
        Box::new(stress::StressProbe),
        Box::new(criterion::CriterionProbe),
        Box::new(spin::SpinProbe::default()),
    ]
}

/// Whether a plain `measure run` (no `--probe`) runs `probe`.
pub fn in_default_run(probe: &dyn Probe) -> bool {
    probe.id() != spin::ID
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_model::metric::ALL;

    #[test]
    fn probe_names_are_unique() {
        let mut ids: Vec<&str> = registry().iter().map(|p| p.id()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "two probes share a name: {ids:?}");
    }

    /// Every metric is written by exactly one probe, or split by variant between probes
    /// that claim disjoint variants, one of them perhaps every variant but the others'.
    #[test]
    fn every_metric_is_claimed_once() {
        let registry = registry();
        for metric in ALL {
            let claims: Vec<(&str, Claim)> = registry
                .iter()
                .flat_map(|p| p.claims().iter().map(move |c| (p.id(), *c)))
                .filter(|(_, c)| c.metric() == *metric)
                .collect();
            let id = metric.pattern();
            assert!(!claims.is_empty(), "no probe writes {id}");
            if claims.len() > 1 {
                let mut variants = Vec::new();
                let mut all_but = Vec::new();
                for (probe, claim) in &claims {
                    match claim {
                        Claim::All(_) => panic!("{probe} claims all of {id}, which others write"),
                        Claim::Variants(_, vs) => variants.extend(vs.iter().map(|v| v.name)),
                        Claim::AllBut(_, vs) => all_but.push(vs.iter().map(|v| v.name).collect()),
                    }
                }
                let n = variants.len();
                variants.sort_unstable();
                variants.dedup();
                assert_eq!(variants.len(), n, "two probes write a variant of {id}");
                match &all_but[..] {
                    [] => {}
                    [except] => {
                        let mut except: Vec<&str> = Vec::clone(except);
                        except.sort_unstable();
                        assert_eq!(
                            except, variants,
                            "all but these of {id}: the others' claims"
                        );
                    }
                    _ => panic!("two probes claim all but some of {id}"),
                }
            }
        }
    }
}

/// docs/metrics.md's table of what is measured, from the catalogue and the registry: a
/// test checks docs/metrics.md holds it as printed here.
pub fn metrics_table() -> String {
    use wasmlab_model::metric::{Better, ALL};
    let registry = registry();
    let mut table =
        String::from("| observation id | what | unit | better | probe |\n|---|---|---|---|---|\n");
    for metric in ALL {
        let probes: Vec<&str> = registry
            .iter()
            .filter(|p| p.claims().iter().any(|c| c.metric() == *metric))
            .map(|p| p.id())
            .collect();
        let id = format!("`{}`", metric.pattern());
        let unit = match metric.unit {
            wasmlab_model::metric::Unit::Bytes => "bytes",
            wasmlab_model::metric::Unit::Seconds => "seconds",
            wasmlab_model::metric::Unit::PerSecond => "per second",
        };
        let better = match metric.better {
            Better::Lower => "lower",
            Better::Higher => "higher",
        };
        table.push_str(&format!(
            "| {id} | {} | {unit} | {better} | {} |\n",
            metric.label,
            probes.join(", ")
        ));
    }
    table
}

#[cfg(test)]
mod readme {
    /// docs/metrics.md's block between these markers must be [`super::metrics_table`].
    const BEGIN: &str = "<!-- metrics: begin -->\n";
    const END: &str = "<!-- metrics: end -->";

    #[test]
    fn the_readme_lists_every_metric_as_the_catalogue_has_it() {
        let readme = include_str!("../../../docs/metrics.md");
        let expected = super::metrics_table();
        let listed = readme
            .split_once(BEGIN)
            .and_then(|(_, rest)| rest.split_once(END))
            .map(|(block, _)| block);
        assert_eq!(
            listed,
            Some(expected.as_str()),
            "docs/metrics.md's metric table is out of date; put this between the markers:\n{expected}"
        );
    }
}
