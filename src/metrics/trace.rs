//! A per-item trace of one replication, for charts that show individual items (cumulative flow
//! diagram, cycle-time scatterplot, run charts, aging WIP). Only recorded on request: its memory
//! grows with the items of that one replication.

use crate::model::Kind;

/// What happened to one item.
#[derive(Clone, Debug)]
pub struct TracedItem {
    /// Its flow item kind.
    pub kind: Kind,
    /// When it entered the value stream.
    pub arrival: f64,
    /// When it crossed the commitment point, if it did.
    pub committed: Option<f64>,
    /// When it first entered each stage (`NaN` if it never did).
    pub entered: Vec<f64>,
    /// When it left the last stage, if it did.
    pub delivered: Option<f64>,
    /// When it was dropped (its epic was stopped), if it was.
    pub dropped: Option<f64>,
    /// Its work type (an index into the value stream's work types).
    pub work_type: u16,
    /// The bet (epic instance) it is a slice of, numbered in order of arrival, if any.
    pub bet: Option<u32>,
    /// True if it is a slice of a bet whose hypothesis does not hold (the team does not know).
    pub failed_bet: bool,
    /// Every change of where it is, in time order: the board replays these.
    pub steps: Vec<TraceStep>,
}

/// Where an item is from `time` on, until its next step (or its delivery or drop).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceStep {
    /// The day it got there.
    pub time: f64,
    /// The stage.
    pub stage: u16,
    /// What it is doing there.
    pub state: StepState,
}

/// What an item is doing in a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    /// Waiting in the stage's queue for a worker.
    Queued,
    /// Sent back to this stage for rework, waiting in its queue.
    Rework,
    /// Being worked on.
    InService,
    /// Done here, waiting for the next stage to have room (blocked) or to pull it.
    Done,
    /// Done here, waiting for the stage's release train.
    AwaitingRelease,
}

impl StepState {
    /// The short code the board's page uses.
    pub fn code(self) -> &'static str {
        match self {
            StepState::Queued => "q",
            StepState::Rework => "r",
            StepState::InService => "w",
            StepState::Done => "d",
            StepState::AwaitingRelease => "t",
        }
    }
}

impl TracedItem {
    /// Days from arrival to delivery.
    pub fn lead_time(&self) -> Option<f64> {
        self.delivered.map(|d| d - self.arrival)
    }

    /// Days from commitment to delivery.
    pub fn cycle_time(&self) -> Option<f64> {
        Some(self.delivered? - self.committed?)
    }

    /// True if the item is committed and in the value stream at day `t`.
    pub fn committed_at(&self, t: f64) -> bool {
        self.in_system_at(t) && self.committed.is_some_and(|c| c <= t)
    }

    /// True if the item is in the value stream at day `t`.
    pub fn in_system_at(&self, t: f64) -> bool {
        self.arrival <= t
            && self.delivered.is_none_or(|d| d > t)
            && self.dropped.is_none_or(|d| d > t)
    }

    /// The last stage it had entered by day `t`, if any.
    pub fn stage_at(&self, t: f64) -> Option<usize> {
        self.entered.iter().rposition(|&e| e <= t)
    }
}

/// Every item of one replication.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The items, in creation order.
    pub items: Vec<TracedItem>,
}
