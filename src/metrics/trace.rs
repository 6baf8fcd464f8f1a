//! A per-item trace of one replication, for charts that show individual items (cumulative flow
//! diagram, cycle-time scatterplot, run charts, aging WIP). Only recorded on request: its memory
//! grows with the items of that one replication, so a trace may be bounded ([`TraceBound`]):
//! once full, it records nothing more, and says from which day ([`Trace::cut`]).

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

/// The most a trace holds: past either count it stops (see [`Trace::cut`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceBound {
    /// Items traced.
    pub items: usize,
    /// Steps of all traced items together.
    pub steps: usize,
}

impl TraceBound {
    /// No bound: every item of the replication (`history export`, forecasts).
    pub const NONE: TraceBound = TraceBound {
        items: usize::MAX,
        steps: usize::MAX,
    };

    /// The bound of the item-level charts: a few hundred megabytes at most, and every bundled
    /// scenario traced whole (the longest, `mmc.toml`, has about 540,000 items).
    pub const CHARTS: TraceBound = TraceBound {
        items: 1_000_000,
        steps: 10_000_000,
    };
}

/// Every item of one replication, or, for a bounded trace that filled up, every item up to the
/// day it stopped.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The items, in creation order (which is their order of arrival).
    pub items: Vec<TracedItem>,
    /// The day the trace stopped because it was full, if it did: nothing from that moment on
    /// is recorded (no new item, step, commitment, delivery or drop), so the trace knows the
    /// state of the value stream at every day before it and nothing after.
    pub cut: Option<f64>,
    bound: TraceBound,
    steps: usize,
    /// True once the bound counts from the run's first moment after time 0 (see
    /// [`Trace::past_day_zero`]).
    rebased: bool,
}

impl Default for Trace {
    fn default() -> Self {
        Trace::bounded(TraceBound::NONE)
    }
}

impl Trace {
    /// An empty trace that records at most `bound`.
    pub fn bounded(bound: TraceBound) -> Self {
        Trace {
            items: Vec::new(),
            cut: None,
            bound,
            steps: 0,
            rebased: false,
        }
    }

    /// Says that the run has moved past time 0: the bound counts the items and steps traced
    /// from here on, on top of those of time 0. The moment the run starts is always traced
    /// whole (its items are live at once, so the run's own item budget bounds them), and a
    /// start larger than the bound must not leave the trace no room for the rest of the run.
    #[inline]
    pub fn past_day_zero(&mut self) {
        if !self.rebased {
            self.rebased = true;
            self.bound.items = self.bound.items.saturating_add(self.items.len());
            self.bound.steps = self.bound.steps.saturating_add(self.steps);
        }
    }

    /// True if `items` more items and `steps` more steps fit.
    #[inline]
    pub fn has_room(&self, items: usize, steps: usize) -> bool {
        self.items.len().saturating_add(items) <= self.bound.items
            && self.steps.saturating_add(steps) <= self.bound.steps
    }

    /// Counts one more step (pushed by the caller).
    #[inline]
    pub fn count_step(&mut self) {
        self.steps += 1;
    }

    /// The last whole day the trace knows entirely, for a run of `horizon` days: the horizon,
    /// or the last whole day before it was cut (day 0 if it was cut on day 0, when that day is
    /// known only in part).
    pub fn until(&self, horizon: f64) -> f64 {
        match self.cut {
            Some(cut) => ((cut.ceil() - 1.0).max(0.0)).min(horizon),
            None => horizon,
        }
    }

    /// The trace as it stood at the end of day `day`: the items arrived by then, with what
    /// happened to them by then (later commitments, stage entries, steps, deliveries and drops
    /// left out).
    pub fn as_of(&self, day: f64) -> Trace {
        let mut t = self.clone();
        t.truncate_to(day);
        t
    }

    /// Makes this trace [`Trace::as_of`] day `day`, in place (no second copy of a long trace).
    pub fn truncate_to(&mut self, day: f64) {
        let by = |t: &mut Option<f64>| {
            if t.is_some_and(|t| t > day) {
                *t = None;
            }
        };
        self.items.retain(|it| it.arrival <= day);
        for it in &mut self.items {
            by(&mut it.committed);
            by(&mut it.delivered);
            by(&mut it.dropped);
            for e in &mut it.entered {
                if *e > day {
                    *e = f64::NAN;
                }
            }
            it.steps.retain(|s| s.time <= day);
        }
        self.steps = self.items.iter().map(|it| it.steps.len()).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(arrival: f64, delivered: Option<f64>, steps: &[f64]) -> TracedItem {
        TracedItem {
            kind: Kind::Feature,
            arrival,
            committed: Some(arrival + 1.0),
            entered: vec![arrival, arrival + 1.0],
            delivered,
            dropped: None,
            work_type: 0,
            bet: None,
            failed_bet: false,
            steps: steps
                .iter()
                .map(|&time| TraceStep {
                    time,
                    stage: 0,
                    state: StepState::Queued,
                })
                .collect(),
        }
    }

    #[test]
    fn until_is_the_last_whole_day_before_the_cut() {
        let mut t = Trace::default();
        assert_eq!(t.until(100.0), 100.0);
        for (cut, until) in [
            (5.3, 5.0),
            (5.0, 4.0),
            (0.0, 0.0),
            (0.5, 0.0),
            (250.0, 100.0),
        ] {
            t.cut = Some(cut);
            assert_eq!(t.until(100.0), until, "cut at {cut}");
        }
    }

    #[test]
    fn as_of_forgets_what_happened_after_the_day() {
        let t = Trace {
            items: vec![
                item(1.0, Some(4.0), &[1.0, 2.5, 4.0]),
                item(3.0, Some(9.0), &[3.0, 4.0, 9.0]),
                item(6.0, None, &[6.0]),
            ],
            ..Trace::default()
        };
        let at = t.as_of(4.0);
        assert_eq!(
            at.items.len(),
            2,
            "the item arrived on day 6 is not there yet"
        );
        assert_eq!(at.items[0].delivered, Some(4.0));
        assert_eq!(
            at.items[1].delivered, None,
            "delivered on day 9, after the day"
        );
        assert_eq!(at.items[1].committed, Some(4.0));
        assert_eq!(at.items[1].steps.len(), 2);
        assert_eq!(at.items[0].entered, vec![1.0, 2.0]);
        let early = t.as_of(1.5);
        assert_eq!(early.items.len(), 1);
        assert_eq!(early.items[0].committed, None);
        assert!(early.items[0].entered[1].is_nan());
        assert_eq!(early.steps, 1);
    }

    #[test]
    fn a_bounded_trace_has_room_up_to_its_bound() {
        let mut t = Trace::bounded(TraceBound { items: 1, steps: 2 });
        assert!(t.has_room(1, 2));
        assert!(!t.has_room(2, 0) && !t.has_room(0, 3));
        t.items.push(item(0.0, None, &[]));
        t.count_step();
        assert!(t.has_room(0, 1) && !t.has_room(1, 0) && !t.has_room(0, 2));
        assert!(Trace::default().has_room(usize::MAX, usize::MAX));
    }

    #[test]
    fn the_bound_counts_from_the_start_once() {
        let mut t = Trace::bounded(TraceBound { items: 1, steps: 1 });
        for _ in 0..3 {
            t.items.push(item(0.0, None, &[]));
            t.count_step();
        }
        assert!(
            !t.has_room(0, 0),
            "the start is traced whole, past the bound"
        );
        t.past_day_zero();
        assert!(t.has_room(1, 1) && !t.has_room(2, 0) && !t.has_room(0, 2));
        t.items.push(item(1.0, None, &[]));
        t.past_day_zero();
        assert!(!t.has_room(1, 0), "rebased once only");
        let mut none = Trace::default();
        none.items.push(item(0.0, None, &[]));
        none.past_day_zero();
        assert!(none.has_room(usize::MAX - 1, 0));
    }
}
