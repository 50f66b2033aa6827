//! Figures quoted from the reference write-up and from public documentation of serverless
//! platforms, for comparison. They live in one data file beside the templates
//! (`quoted.json`), so correcting a quote needs no Rust change, and the report labels them
//! as quoted, with their sources, never as measured.

use crate::templates::Templates;
use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The file's name in the templates directory.
pub const FILE: &str = "quoted.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Quoted {
    /// Where the figures come from.
    pub source: String,
    pub note: String,
    /// Per metric: the sides (`traditional`, `wasm`) or a single `value`, as written there.
    pub figures: BTreeMap<String, BTreeMap<String, String>>,
    /// Public statements about traditional serverless platforms, each with its source.
    #[serde(default)]
    pub serverless: BTreeMap<String, Public>,
}

/// One public statement, quoted verbatim, with the number the analysis compares against.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Public {
    pub platform: String,
    pub what: String,
    pub quote: String,
    /// The lower end the quote states, in seconds or bytes, when it states one.
    #[serde(default)]
    pub low_seconds: Option<f64>,
    #[serde(default)]
    pub low_bytes: Option<f64>,
    pub source: String,
    pub url: String,
}

impl Quoted {
    /// Reads quoted.json of `templates`; a missing file quotes nothing, a malformed one is
    /// an error.
    pub fn load(templates: &Templates) -> Result<Self> {
        match templates.read(FILE)? {
            Some((from, text)) => serde_json::from_str(&text)
                .with_context(|| format!("{from} is not valid: fix its JSON or delete it")),
            None => Ok(Self::default()),
        }
    }

    /// The public statement under `key`.
    pub fn public(&self, key: &str) -> Option<&Public> {
        self.serverless.get(key)
    }

    /// "4.5MB → 2.4MB" for a two-sided metric, the value for a single one.
    pub fn pair(&self, key: &str) -> Option<String> {
        let figure = self.figures.get(key)?;
        match (
            figure.get("traditional"),
            figure.get("wasm"),
            figure.get("value"),
        ) {
            (Some(t), Some(w), _) => Some(format!("{t} vs {w}")),
            (_, _, Some(v)) => Some(v.clone()),
            _ => None,
        }
    }
}
