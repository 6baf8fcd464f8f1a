//! What one replication observed: the recorder the simulation reports to, and its result.

use super::{Running, Sketch, TimeAverage};
use crate::model::Urgency;

/// Observations of one stage in one replication.
#[derive(Clone, Debug, Default)]
pub struct StageObservation {
    /// Waits of counted items: from becoming available to the stage to starting service.
    pub wait: Running,
    /// The same waits, for percentiles.
    pub wait_items: Sketch,
    /// Service times of counted items.
    pub service: Running,
    /// Time-average busy workers divided by workers, after warm-up.
    pub utilization: f64,
    /// Time-average items waiting for the stage (queued in it or blocked upstream), after warm-up.
    pub queue_length: f64,
    /// Most items the stage held at once (queued, in service or done), over the whole horizon.
    pub peak_wip: u32,
}

/// Observations of one work type in one replication.
#[derive(Clone, Debug, Default)]
pub struct WorkObservation {
    /// Lead times of counted items of this type.
    pub lead_time: Running,
    /// The same, for percentiles.
    pub lead_time_items: Sketch,
    /// Items of this type that finished after warm-up.
    pub completed: u64,
}

/// Everything one replication observed. Counted items are those that arrived after warm-up.
#[derive(Clone, Debug, Default)]
pub struct ReplicationResult {
    /// The replication's index.
    pub index: u64,
    /// Events the engine handled.
    pub events: u64,
    /// Items that entered the value stream over the whole horizon (warm-up included).
    pub arrived: u64,
    /// Items that left the last stage over the whole horizon.
    pub departed: u64,
    /// Items still in the value stream at the horizon.
    pub in_system: u64,
    /// Items removed without delivery (slices of stopped epics).
    pub dropped: u64,
    /// Item-days spent in the value stream after warm-up, summed over every item (delivered,
    /// dropped or still there): the sample-path side of Little's law, wip x (horizon - warm-up).
    pub item_days: f64,
    /// Lead times (arrival to leaving the last stage, days) of counted items.
    pub lead_time: Running,
    /// The same, for percentiles.
    pub lead_time_items: Sketch,
    /// Items finished per day after warm-up.
    pub throughput: f64,
    /// Time-average items in the value stream after warm-up.
    pub wip: f64,
    /// Total service time / total lead time of counted finished items.
    pub flow_efficiency: f64,
    /// Per stage, in flow order.
    pub stages: Vec<StageObservation>,
    /// Per work type, in scenario order.
    pub work: Vec<WorkObservation>,
    /// Outputs and outcomes over the whole horizon (warm-up included).
    pub outcomes: Outcomes,
}

/// Outputs and outcomes of one replication, counted from day 0 (value accrues from the start,
/// so warm-up does not apply to them).
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    /// Value realised by each checkpoint day (the last is the horizon).
    pub value_at: Vec<f64>,
    /// Items delivered by each checkpoint day.
    pub delivered_at: Vec<u64>,
    /// Defect items in the value stream at each checkpoint day.
    pub open_defects_at: Vec<u64>,
    /// Items in the value stream at each checkpoint day.
    pub wip_at: Vec<u64>,
    /// Effort (service days) by kind up to each checkpoint day.
    pub effort_at: Vec<[f64; 4]>,
    /// Value lost to delay by the horizon: value had each item been delivered as soon as its
    /// work allowed, minus the value realised.
    pub cost_of_delay: f64,
    /// Items delivered by the horizon, by kind.
    pub delivered_by_kind: [u64; 4],
    /// Service days spent on the items delivered.
    pub effort_delivered: f64,
    /// Service days spent, by kind.
    pub effort_by_kind: [f64; 4],
    /// Service days spent on slices of epics whose hypothesis was false.
    pub wasted_effort: f64,
    /// Day the first item with positive value was delivered, if any.
    pub first_value: Option<f64>,
    /// Slices dropped when their epic was stopped.
    pub slices_stopped: u64,
    /// Epics stopped after a measurement.
    pub bets_stopped: u64,
    /// Measurements after which the bet continued.
    pub bets_continued: u64,
    /// Technical-debt drag at the horizon: extra service time (0.2: work 20% slower).
    pub debt_drag: f64,
    /// Deadlines that fell due by the horizon (items with a deadline, and epics; slices of an
    /// epic count with their epic, stopped epics not at all).
    pub deadlines_due: u64,
    /// Of those, deadlines met (delivered by the deadline).
    pub deadlines_met: u64,
}

/// What a finished piece of work was, for the effort accounts.
#[derive(Clone, Copy, Debug)]
pub struct WorkDone {
    /// The item arrived after warm-up.
    pub counted: bool,
    /// Its flow item kind, as an index.
    pub kind: usize,
    /// It is a slice of an epic whose hypothesis is false.
    pub wasted: bool,
}

/// Receives the simulation's observations during one replication.
#[derive(Clone, Debug)]
pub struct Recorder {
    warmup: f64,
    wip: TimeAverage,
    busy: Vec<TimeAverage>,
    waiting: Vec<TimeAverage>,
    active_total: f64,
    lead_total: f64,
    completed_after_warmup: u64,
    checkpoints: Vec<f64>,
    track_value: bool,
    result: ReplicationResult,
}

impl Recorder {
    /// A recorder for `stages` stages and `work_types` work types, counting from `warmup`.
    pub fn new(
        index: u64,
        stages: usize,
        work_types: usize,
        warmup: f64,
        checkpoints: &[f64],
        track_value: bool,
    ) -> Self {
        let k = checkpoints.len();
        Recorder {
            warmup,
            wip: TimeAverage::new(warmup),
            busy: vec![TimeAverage::new(warmup); stages],
            waiting: vec![TimeAverage::new(warmup); stages],
            active_total: 0.0,
            lead_total: 0.0,
            completed_after_warmup: 0,
            checkpoints: checkpoints.to_vec(),
            track_value,
            result: ReplicationResult {
                index,
                stages: vec![StageObservation::default(); stages],
                work: vec![WorkObservation::default(); work_types],
                outcomes: Outcomes {
                    value_at: vec![0.0; k],
                    delivered_at: vec![0; k],
                    open_defects_at: vec![0; k],
                    wip_at: vec![0; k],
                    effort_at: vec![[0.0; 4]; k],
                    ..Default::default()
                },
                ..Default::default()
            },
        }
    }

    /// True if an item that arrived at `arrival` is counted in item statistics.
    #[inline]
    pub fn counts(&self, arrival: f64) -> bool {
        arrival >= self.warmup
    }

    /// An item entered the value stream.
    #[inline]
    pub fn arrived(&mut self, now: f64) {
        self.result.arrived += 1;
        self.wip.change(now, 1.0);
    }

    /// The number of items waiting for `stage` changed by `delta`.
    #[inline]
    pub fn waiting(&mut self, stage: usize, now: f64, delta: f64) {
        self.waiting[stage].change(now, delta);
    }

    /// A worker of `stage` started an item that waited `wait` days for it.
    #[inline]
    /// `occupies` is false when the worker was already busy (juggling items).
    pub fn started(&mut self, stage: usize, now: f64, wait: f64, counted: bool, occupies: bool) {
        if occupies {
            self.busy[stage].change(now, 1.0);
        }
        self.waiting[stage].change(now, -1.0);
        if counted {
            let s = &mut self.result.stages[stage];
            s.wait.add(wait);
            s.wait_items.add(wait);
        }
    }

    /// A worker of `stage` finished a piece of work after `service` days; `frees` when the
    /// worker becomes idle (not when a juggling worker still has items).
    #[inline]
    pub fn finished(&mut self, stage: usize, now: f64, service: f64, work: WorkDone, frees: bool) {
        if frees {
            self.busy[stage].change(now, -1.0);
        }
        if work.counted {
            self.result.stages[stage].service.add(service);
        }
        let o = &mut self.result.outcomes;
        o.effort_by_kind[work.kind] += service;
        if work.wasted {
            o.wasted_effort += service;
        }
    }

    /// The value an item realises by each checkpoint: delivered at `delivered` (or never), with
    /// `ideal` the earliest day its work allowed delivery (for the cost of delay). An item
    /// stopped at day `until` accrues nothing after it (sunk cost); `INFINITY` if not stopped.
    pub fn value(
        &mut self,
        urgency: &Urgency,
        rate: f64,
        arrival: f64,
        delivered: Option<f64>,
        ideal: f64,
        until: f64,
    ) {
        if !self.track_value {
            return;
        }
        let o = &mut self.result.outcomes;
        for (k, &t) in self.checkpoints.iter().enumerate() {
            o.value_at[k] += urgency.realised(rate, arrival, delivered, t.min(until));
        }
        let horizon = *self
            .checkpoints
            .last()
            .expect("invariant: the horizon is a checkpoint");
        let actual = urgency.realised(rate, arrival, delivered, horizon.min(until));
        let best = urgency.realised(rate, arrival, Some(ideal), horizon);
        o.cost_of_delay += (best - actual).max(0.0);
        if let Some(d) = delivered {
            if rate > 0.0 && actual > 0.0 && o.first_value.is_none_or(|f| d < f) {
                o.first_value = Some(d);
            }
        }
    }

    /// A deadline at day `due` of an item or epic delivered at `delivered` (or never): counted
    /// if it fell due by the horizon.
    pub fn deadline(&mut self, due: f64, delivered: Option<f64>) {
        let horizon = *self
            .checkpoints
            .last()
            .expect("invariant: the horizon is a checkpoint");
        if due <= horizon {
            let o = &mut self.result.outcomes;
            o.deadlines_due += 1;
            if delivered.is_some_and(|d| d <= due) {
                o.deadlines_met += 1;
            }
        }
    }

    /// The debt drag at the horizon.
    pub fn debt_drag(&mut self, drag: f64) {
        self.result.outcomes.debt_drag = drag;
    }

    /// An item left the value stream undelivered (its epic was stopped).
    pub fn dropped(&mut self, now: f64, arrival: f64) {
        self.result.dropped += 1;
        self.wip.change(now, -1.0);
        self.leave_window(now, arrival);
    }

    /// An item that arrived at `arrival` is still in the value stream at the horizon.
    pub fn still_in_system(&mut self, horizon: f64, arrival: f64) {
        self.leave_window(horizon, arrival);
    }

    #[inline]
    fn leave_window(&mut self, now: f64, arrival: f64) {
        self.result.item_days += (now - arrival.max(self.warmup)).max(0.0);
    }

    /// Records the state at checkpoint `k`.
    pub fn snapshot(&mut self, k: usize, wip: u64, open_defects: u64) {
        let o = &mut self.result.outcomes;
        o.wip_at[k] = wip;
        o.open_defects_at[k] = open_defects;
        o.effort_at[k] = o.effort_by_kind;
    }

    /// A measured slice's signal came back: the bet `continued`, or was stopped and `stopped`
    /// slices dropped.
    pub fn bet_decided(&mut self, continued: bool, stopped: u64) {
        let o = &mut self.result.outcomes;
        if continued {
            o.bets_continued += 1;
        } else {
            o.bets_stopped += 1;
            o.slices_stopped += stopped;
        }
    }

    /// An item of `work_type` and `kind` (an index) left the last stage.
    #[inline]
    pub fn departed(
        &mut self,
        work_type: usize,
        kind: usize,
        now: f64,
        lead: f64,
        active: f64,
        counted: bool,
    ) {
        self.result.departed += 1;
        self.leave_window(now, now - lead);
        let o = &mut self.result.outcomes;
        o.delivered_by_kind[kind] += 1;
        o.effort_delivered += active;
        for (k, &t) in self.checkpoints.iter().enumerate() {
            if now <= t {
                o.delivered_at[k] += 1;
            }
        }
        self.wip.change(now, -1.0);
        if now >= self.warmup {
            self.completed_after_warmup += 1;
            self.result.work[work_type].completed += 1;
        }
        if counted {
            self.result.lead_time.add(lead);
            self.result.lead_time_items.add(lead);
            let w = &mut self.result.work[work_type];
            w.lead_time.add(lead);
            w.lead_time_items.add(lead);
            self.active_total += active;
            self.lead_total += lead;
        }
    }

    /// Closes the replication at `horizon`, with `in_system` items left and `events` handled.
    pub fn finish(
        mut self,
        horizon: f64,
        in_system: u64,
        events: u64,
        workers: &[u32],
    ) -> ReplicationResult {
        let span = horizon - self.warmup;
        let r = &mut self.result;
        r.events = events;
        r.in_system = in_system;
        r.throughput = self.completed_after_warmup as f64 / span;
        r.wip = self.wip.average(horizon);
        r.flow_efficiency = if self.lead_total > 0.0 {
            self.active_total / self.lead_total
        } else {
            f64::NAN
        };
        for (s, obs) in r.stages.iter_mut().enumerate() {
            obs.utilization = self.busy[s].average(horizon) / f64::from(workers[s]);
            obs.queue_length = self.waiting[s].average(horizon);
        }
        self.result
    }
}
