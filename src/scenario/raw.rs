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
    pub load: Option<f64>,
    pub warmup: Option<f64>,
    pub replications: Option<i64>,
    pub seed: Option<u64>,
    pub policy: Option<String>,
    pub compare: Option<Vec<String>>,
    pub baseline: Option<String>,
    pub context_switching: Option<String>,
    pub commitment: Option<String>,
    pub limits: Option<RawLimits>,
    pub cost_per_person_day: Option<f64>,
    pub debt: Option<RawDebt>,
    #[serde(default)]
    pub policies: Vec<RawPolicy>,
    #[serde(default)]
    pub epics: Vec<RawEpic>,
    #[serde(default)]
    pub objectives: Vec<RawObjective>,
    pub work: Vec<RawWork>,
    pub stages: Vec<RawStage>,
    pub sweep: Option<RawSweep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSweep {
    pub vary: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    pub events_per_replication: Option<i64>,
    pub items_per_replication: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDebt {
    pub initial: Option<f64>,
    pub per_feature: f64,
    pub per_debt_item: f64,
    pub drag_per_point: f64,
    pub max_drag: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub name: String,
    pub order: String,
    pub wip: Option<String>,
    pub juggle: Option<i64>,
    pub allocation: Option<BTreeMap<String, f64>>,
    pub measure: Option<bool>,
    pub thin_slices: Option<bool>,
    pub kinds: Option<Vec<String>>,
    pub estimates: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEpic {
    pub name: String,
    pub hypothesis: Option<String>,
    pub work: String,
    pub backlog: Option<i64>,
    pub arrival_rate: Option<f64>,
    pub success_probability: f64,
    pub slices: i64,
    pub experiment_size: Option<f64>,
    pub value: RawDist,
    pub urgency: Option<RawUrgency>,
    pub failed_value: Option<f64>,
    pub feedback_delay: f64,
    pub false_positive: Option<f64>,
    pub false_negative: Option<f64>,
    pub value_error: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawObjective {
    pub name: String,
    pub parent: Option<String>,
    pub key_results: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUrgency {
    pub class: String,
    pub life: Option<f64>,
    pub window: Option<f64>,
    pub erosion: Option<f64>,
    pub deadline: Option<f64>,
    pub late_fraction: Option<f64>,
    pub penalty: Option<f64>,
    pub cost_per_day: Option<f64>,
    pub ramp: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpawn {
    pub work: String,
    pub probability: f64,
    pub delay: RawDist,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWork {
    pub name: String,
    pub arrival_rate: Option<f64>,
    pub backlog: Option<i64>,
    pub service: Option<BTreeMap<String, RawDist>>,
    pub priority: Option<i32>,
    pub kind: Option<String>,
    pub value: Option<RawDist>,
    pub urgency: Option<RawUrgency>,
    pub size: Option<RawDist>,
    pub size_error: Option<f64>,
    pub value_error: Option<f64>,
    pub spawns: Option<RawSpawn>,
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
    pub shape: Option<f64>,
    pub scale: Option<f64>,
    pub samples: Option<Vec<f64>>,
}
