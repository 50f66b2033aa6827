//! The report's sections, in the page's order: the one list the page's navigation, the
//! order of its sections and the sections of lab12.md follow. A section is a partial,
//! `templates/sections/<name>.html.tera`, and a line here; one that lab12.md hands in too
//! has its Markdown beside it, `templates/sections/<name>.md.tera`. Pieces the sections
//! share (a chart, a matrix) live in `templates/shared/`. The page answers first, then
//! follows the lab's tasks; the detail behind them comes after, as appendices a reader
//! opens.

use serde::Serialize;

/// One section of the report.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Section {
    /// The `id` of its `<section>`, which the navigation links to.
    pub id: &'static str,
    /// Its name in the navigation.
    pub title: &'static str,
    /// The number of the lab's task it answers, written before its name.
    pub task: Option<&'static str>,
    /// Its partials' name: `sections/<name>.html.tera` (and `.md.tera`).
    pub name: &'static str,
    /// Whether lab12.md, which keeps to what the lab asks, shows it too.
    pub hand_in: bool,
    /// Whether the page shows it closed, as an appendix (`<details>`), after the lab's
    /// sections.
    pub appendix: bool,
}

const fn page(id: &'static str, title: &'static str, name: &'static str) -> Section {
    Section {
        id,
        title,
        task: None,
        name,
        hand_in: false,
        appendix: false,
    }
}

const fn both(id: &'static str, title: &'static str, name: &'static str) -> Section {
    Section {
        hand_in: true,
        ..page(id, title, name)
    }
}

const fn appendix(section: Section) -> Section {
    Section {
        appendix: true,
        ..section
    }
}

const fn task(number: &'static str, section: Section) -> Section {
    Section {
        task: Some(number),
        ..section
    }
}

/// Every section, in the order of the page; lab12.md shows those it hands in, in the same
/// order.
pub const SECTIONS: &[Section] = &[
    both("findings", "Key findings", "findings"),
    task("1", both("app", "The app", "app")),
    task(
        "2",
        both("traditional", "Traditional container", "traditional"),
    ),
    task("3", both("wasm", "WASM container", "wasm")),
    task(
        "4",
        both("comparison", "Comparison and analysis", "comparison"),
    ),
    both("spin", "Bonus: Spin", "spin"),
    appendix(both("not-measured", "Skipped", "not_measured")),
    appendix(page("sizes", "Sizes", "sizes")),
    appendix(page("engines", "Per engine", "engines")),
    appendix(page("server-mode", "Server mode", "server_mode")),
    appendix(page("startup", "All startup figures", "startup")),
    appendix(page("phases", "In-process phases", "phases")),
    appendix(page("memory", "Memory", "memory")),
    appendix(page(
        "spin-detail",
        "Bonus: every server's requests",
        "spin_detail",
    )),
    appendix(both("methodology", "Methodology", "methodology")),
];

/// Which of a section's partials a format renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

impl Section {
    /// Its partial for `format`, when the format shows it.
    pub fn partial(&self, format: Format) -> Option<String> {
        match format {
            Format::Html => Some(format!("sections/{}.html.tera", self.name)),
            Format::Markdown => self
                .hand_in
                .then(|| format!("sections/{}.md.tera", self.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::EMBEDDED;

    fn text(name: &str) -> &'static str {
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("templates/{name} is missing"))
    }

    /// A partial in templates/sections/ that no line names would never be rendered; a
    /// line whose partial is missing would fail every render.
    #[test]
    fn every_partial_is_a_section_of_the_list_and_every_section_has_its_partials() {
        let mut expected: Vec<String> = SECTIONS
            .iter()
            .flat_map(|s| [s.partial(Format::Html), s.partial(Format::Markdown)])
            .flatten()
            .collect();
        expected.sort();
        let mut found: Vec<String> = EMBEDDED
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .filter(|n| n.starts_with("sections/"))
            .collect();
        found.sort();
        assert_eq!(
            found, expected,
            "each partial of templates/sections/ needs its line in SECTIONS, and each line \
             its partials (a Markdown one when lab12.md hands it in)"
        );
    }

    #[test]
    fn each_partial_is_the_section_its_line_links_to() {
        for s in SECTIONS {
            let html = s.partial(Format::Html).unwrap();
            let first = text(&html).lines().next().unwrap_or_default();
            assert_eq!(first, format!("<section id=\"{}\">", s.id), "{html}");
        }
        let mut ids: Vec<&str> = SECTIONS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SECTIONS.len(), "two sections share an id");
    }

    /// The key findings link to the section with the detail: each link has its anchor.
    #[test]
    fn every_finding_links_to_an_anchor_of_the_page() {
        let r = crate::fixtures::fixture(0.130, 0.206);
        let decisions = crate::analysis::decisions(&r);
        let anchors: String = SECTIONS
            .iter()
            .map(|s| text(&s.partial(Format::Html).unwrap()))
            .collect();
        for f in crate::findings::findings(&r, &decisions) {
            assert!(
                anchors.contains(&format!(" id=\"{}\"", f.section)),
                "the {} finding links to #{}, which no section has",
                f.topic,
                f.section
            );
        }
    }
}
