//! What one replication observed: the recorder the simulation reports to, and its result.

use super::{Running, Sketch, TimeAverage};

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
    result: ReplicationResult,
}

impl Recorder {
    /// A recorder for `stages` stages and `work_types` work types, counting from `warmup`.
    pub fn new(index: u64, stages: usize, work_types: usize, warmup: f64) -> Self {
        Recorder {
            warmup,
            wip: TimeAverage::new(warmup),
            busy: vec![TimeAverage::new(warmup); stages],
            waiting: vec![TimeAverage::new(warmup); stages],
            active_total: 0.0,
            lead_total: 0.0,
            completed_after_warmup: 0,
            result: ReplicationResult {
                index,
                stages: vec![StageObservation::default(); stages],
                work: vec![WorkObservation::default(); work_types],
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
    pub fn started(&mut self, stage: usize, now: f64, wait: f64, counted: bool) {
        self.busy[stage].change(now, 1.0);
        self.waiting[stage].change(now, -1.0);
        if counted {
            let s = &mut self.result.stages[stage];
            s.wait.add(wait);
            s.wait_items.add(wait);
        }
    }

    /// A worker of `stage` finished an item after `service` days.
    #[inline]
    pub fn finished(&mut self, stage: usize, now: f64, service: f64, counted: bool) {
        self.busy[stage].change(now, -1.0);
        if counted {
            self.result.stages[stage].service.add(service);
        }
    }

    /// An item of `work_type` left the last stage.
    #[inline]
    pub fn departed(&mut self, work_type: usize, now: f64, lead: f64, active: f64, counted: bool) {
        self.result.departed += 1;
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
