//! The scenario file schema, exactly as written by users (TOML, YAML or JSON).
//!
//! These types mirror the file; nothing outside `scenario` sees them. Numbers that must be
//! positive are read as signed or floating types so that a wrong sign gets a precise message
//! from validation instead of a type error.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub name: String,
    pub description: Option<String>,
    pub horizon: f64,
    pub warmup: Option<f64>,
    pub replications: Option<i64>,
    pub seed: Option<u64>,
    pub policy: Option<String>,
    pub work: Vec<RawWork>,
    pub stages: Vec<RawStage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWork {
    pub name: String,
    pub arrival_rate: Option<f64>,
    pub backlog: Option<i64>,
    pub service: Option<BTreeMap<String, RawDist>>,
    pub priority: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStage {
    pub name: String,
    pub workers: Option<i64>,
    pub wip_limit: Option<i64>,
    pub service: RawDist,
    pub rework: Option<RawRework>,
    pub release_every: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRework {
    pub to: String,
    pub probability: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDist {
    pub dist: String,
    pub mean: Option<f64>,
    pub value: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mode: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub sd: Option<f64>,
    pub cv: Option<f64>,
    pub samples: Option<Vec<f64>>,
}
