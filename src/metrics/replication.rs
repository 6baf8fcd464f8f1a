//! What one replication observed: the recorder the simulation reports to, and its result.
//!
//! Two populations of items are counted after warm-up: by *arrival* for lead time (the
//! customer's view, arrival to delivery) and by *commitment* for cycle time, flow efficiency
//! and where the time goes (the team's view, commitment to delivery). Flow load (WIP) counts
//! committed items only; the backlog (arrived, not yet committed) is kept apart.

use super::{Running, Sketch, TimeAverage, TimeTrend};
use crate::model::Urgency;

/// The ledger column of a part that never takes time in a run.
const NO_CELL: u32 = u32::MAX;

/// Where an item's days in a stage go; each day of an item's life after it enters the first
/// stage falls in exactly one part of one stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Admitted to the stage, waiting for a worker.
    Queue = 0,
    /// Being worked on (service, touch time).
    Touch = 1,
    /// Done in the stage, waiting for the next stage to have room (blocking after service).
    Blocked = 2,
    /// Done in the stage, waiting for the stage's next release.
    Release = 3,
    /// Any of the above while the item is being reworked: from the moment a later stage sent
    /// it back until that stage has finished it again.
    Rework = 4,
}

impl Part {
    /// Every part, in the order of their indices.
    pub const ALL: [Part; 5] = [
        Part::Queue,
        Part::Touch,
        Part::Blocked,
        Part::Release,
        Part::Rework,
    ];
    /// Number of parts.
    pub const COUNT: usize = 5;

    /// Its name in reports (JSON keys, CSV metrics, chart legends).
    pub fn name(self) -> &'static str {
        match self {
            Part::Queue => "queue",
            Part::Touch => "touch",
            Part::Blocked => "blocked",
            Part::Release => "release",
            Part::Rework => "rework",
        }
    }
}

/// Observations of one stage in one replication.
#[derive(Clone, Debug, Default)]
pub struct StageObservation {
    /// Days counted delivered items spent in the stage, per [`Part`], summed over items (each
    /// item's days summed over its visits).
    pub time_sum: [f64; Part::COUNT],
    /// Counted delivered items (the denominator of every part's mean, zeros included).
    pub time_count: u64,
    /// Each counted item's days in the stage per part, zeros included, for percentiles.
    pub time_items: [Sketch; Part::COUNT],
    /// Service times of counted items, per visit.
    pub service: Running,
    /// Time-average busy workers divided by workers, after warm-up.
    pub utilization: f64,
    /// Time-average idle workers while the stage is full (at its WIP limit with work done and
    /// waiting to move on), divided by workers, after warm-up: the stage is blocked.
    pub blocked: f64,
    /// Time-average items queued in the stage (admitted, waiting for a worker), after warm-up.
    pub queue_length: f64,
    /// Most items the stage held at once (queued, in service or done), over the whole horizon.
    pub peak_wip: u32,
}

impl StageObservation {
    /// Mean days a counted delivered item spent in `part` of the stage (NaN without items).
    pub fn time_mean(&self, part: usize) -> f64 {
        if self.time_count == 0 {
            f64::NAN
        } else {
            self.time_sum[part] / self.time_count as f64
        }
    }

    /// Share of worker time idle with nothing it may take (nothing waiting, or no room under a
    /// WIP limit below the workers): the stage is starved.
    pub fn starved(&self) -> f64 {
        (1.0 - self.utilization - self.blocked).max(0.0)
    }
}

/// The budget a replication ran out of (see `model::Limits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
    /// It handled its budget of events with more to come before the horizon.
    Events,
    /// It held more items at once than its budget.
    Items,
    /// Its policy weighed more waiting items at its decisions than the event budget allows
    /// ([`crate::model::Limits::WEIGHED_PER_EVENT`] of them count as one event): a queue that
    /// grows without end makes every decision longer.
    Weighed,
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
    /// The budget the replication ran out of, if it stopped early: its observations are then
    /// incomplete and must not be reported.
    pub exceeded: Option<Exceeded>,
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
    /// Item-days spent committed after warm-up (commitment to leaving), summed over every
    /// committed item: the sample-path side of Little's law for the committed part,
    /// wip x (horizon - warm-up).
    pub committed_days: f64,
    /// Lead times (arrival to leaving the last stage, days) of items that arrived after warm-up.
    pub lead_time: Running,
    /// The same, for percentiles.
    pub lead_time_items: Sketch,
    /// Cycle times (commitment to leaving the last stage, days) of items committed after
    /// warm-up.
    pub cycle_time: Running,
    /// The same, for percentiles.
    pub cycle_time_items: Sketch,
    /// Days from arrival to commitment of items committed after warm-up (their time in the
    /// backlog and in any stage before the commitment point).
    pub backlog_time: Running,
    /// Items finished per day after warm-up.
    pub throughput: f64,
    /// Items that entered the value stream per day after warm-up.
    pub arrival_rate: f64,
    /// Time-average committed items (flow load) after warm-up.
    pub wip: f64,
    /// Time-average items arrived but not yet committed, after warm-up.
    pub backlog: f64,
    /// Trend of the items in the value stream (backlog and WIP), items per day: the slope of
    /// the least-squares line through their number over the window after warm-up. About 0 in
    /// a steady state; the excess of arrivals over departures when the work grows without
    /// bound.
    pub growth: f64,
    /// The same trend, for committed items only.
    pub wip_growth: f64,
    /// Total service time / total cycle time of items committed after warm-up and delivered.
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
    /// Committed items in the value stream at each checkpoint day.
    pub wip_at: Vec<u64>,
    /// Items arrived and not yet committed at each checkpoint day.
    pub backlog_at: Vec<u64>,
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
    /// Person-days its worker spent on it: the service's elapsed days, over the items the
    /// worker juggled meanwhile.
    pub effort: f64,
}

/// What a replication measures of one stage over time.
#[derive(Clone, Debug)]
struct StageLog {
    busy: TimeAverage,
    blocked: TimeAverage,
    blocked_level: u32,
    /// Item-days queued after warm-up: the time-average queue length times the window (each
    /// item's stay in the queue is added when it leaves the queue, or at the horizon).
    queued_days: f64,
    /// The ledger column of each part, or [`NO_CELL`] for a part that never takes time in this
    /// run (blocking with no WIP limit downstream, releases with no release train, rework with
    /// no rework path): most runs need few of them, and the ledger is on the engine's hot path.
    column: [u32; Part::COUNT],
}

/// Receives the simulation's observations during one replication.
#[derive(Clone, Debug)]
pub struct Recorder {
    warmup: f64,
    /// Items in the value stream: their average and their trend after warm-up (the trend is
    /// fed once per item, when it leaves).
    system: TimeAverage,
    system_trend: TimeTrend,
    /// Committed items: their average and their trend after warm-up.
    committed: TimeAverage,
    committed_trend: TimeTrend,
    /// Per stage, what is measured over time (one entry per stage, so that each observation
    /// looks up one stage, on the engine's hot path).
    by_stage: Vec<StageLog>,
    horizon: f64,
    /// Per live item slot, its days in each cell, a (stage, part) that can take time in this
    /// run (stride `cells.len()`).
    ledger: Vec<f64>,
    stride: usize,
    /// The (stage, part index) of each ledger column.
    cells: Vec<(usize, usize)>,
    /// Counted delivered items whose time was broken down (every stage's `time_count`).
    timed: u64,
    /// Per ledger column, the days counted delivered items spent in its cell, summed and
    /// sketched (kept flat, in ledger order, so the fold at delivery indexes nothing; moved
    /// into the stage observations at the end).
    cell_sum: Vec<f64>,
    cell_items: Vec<Sketch>,
    active_total: f64,
    cycle_total: f64,
    completed_after_warmup: u64,
    arrived_after_warmup: u64,
    checkpoints: Vec<f64>,
    track_value: bool,
    result: ReplicationResult,
}

/// Adds the days an item queued since `since` spent in the queue after warm-up, up to `now`
/// or the horizon. Times are finite, so plain comparisons do what `min` and `max` would.
#[inline]
fn queued(log: &mut StageLog, since: f64, now: f64, horizon: f64, warmup: f64) {
    let end = if now < horizon { now } else { horizon };
    let start = if since > warmup { since } else { warmup };
    if end > start {
        log.queued_days += end - start;
    }
}

impl Recorder {
    /// A recorder for `stages` stages and `work_types` work types, counting from `warmup`.
    /// `possible(stage, part)` says whether that part of that stage can ever take time in
    /// this run; a part that cannot is reported as zero for every item.
    pub fn new(
        index: u64,
        stages: usize,
        work_types: usize,
        warmup: f64,
        checkpoints: &[f64],
        track_value: bool,
        possible: impl Fn(usize, Part) -> bool,
    ) -> Self {
        let k = checkpoints.len();
        let mut cells = Vec::new();
        let by_stage = (0..stages)
            .map(|s| {
                let mut column = [NO_CELL; Part::COUNT];
                for part in Part::ALL {
                    if possible(s, part) {
                        column[part as usize] = cells.len() as u32;
                        cells.push((s, part as usize));
                    }
                }
                StageLog {
                    busy: TimeAverage::new(warmup),
                    blocked: TimeAverage::new(warmup),
                    blocked_level: 0,
                    queued_days: 0.0,
                    column,
                }
            })
            .collect();
        let horizon = checkpoints.last().copied().unwrap_or(warmup);
        Recorder {
            warmup,
            system: TimeAverage::new(warmup),
            system_trend: TimeTrend::new(warmup, horizon),
            committed: TimeAverage::new(warmup),
            committed_trend: TimeTrend::new(warmup, horizon),
            by_stage,
            horizon,
            ledger: Vec::new(),
            stride: cells.len(),
            cell_sum: vec![0.0; cells.len()],
            cell_items: vec![Sketch::default(); cells.len()],
            cells,
            timed: 0,
            active_total: 0.0,
            cycle_total: 0.0,
            completed_after_warmup: 0,
            arrived_after_warmup: 0,
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
                    backlog_at: vec![0; k],
                    effort_at: vec![[0.0; 4]; k],
                    ..Default::default()
                },
                ..Default::default()
            },
        }
    }

    /// True if value is tracked: [`Recorder::value`] records something.
    #[inline]
    pub fn tracks_value(&self) -> bool {
        self.track_value
    }

    /// True if an item that arrived at `arrival` is counted in item statistics.
    #[inline]
    pub fn counts(&self, arrival: f64) -> bool {
        arrival >= self.warmup
    }

    /// Makes room for `items` items alive at once.
    pub fn reserve(&mut self, items: usize) {
        self.ledger.reserve(items.saturating_mul(self.stride));
    }

    /// An item entered the value stream in slot `slot`.
    #[inline]
    pub fn arrived(&mut self, slot: u32, now: f64) {
        self.result.arrived += 1;
        // Strictly after: items present at day 0 are a backlog, not arrivals per day.
        if now > self.warmup {
            self.arrived_after_warmup += 1;
        }
        self.system.change(now, 1.0);
        let at = slot as usize * self.stride;
        if self.ledger.len() < at + self.stride {
            self.ledger.resize(at + self.stride, 0.0);
        }
        self.ledger[at..at + self.stride].fill(0.0);
    }

    /// An item crossed the commitment point.
    #[inline]
    pub fn committed(&mut self, now: f64) {
        self.committed.change(now, 1.0);
    }

    /// The item in `slot` spent `days` in `part` of `stage`.
    #[inline]
    pub fn spent(&mut self, slot: u32, stage: usize, part: Part, days: f64) {
        let column = self.by_stage[stage].column[part as usize];
        if column == NO_CELL {
            debug_assert!(
                days == 0.0,
                "invariant: {} of stage {stage} was declared impossible but took {days} days",
                part.name()
            );
            return;
        }
        self.ledger[slot as usize * self.stride + column as usize] += days;
    }

    /// Stage `stage` has `level` workers idle while it is full (blocked) from `now` on.
    #[inline]
    pub fn blocked(&mut self, stage: usize, now: f64, level: u32) {
        let log = &mut self.by_stage[stage];
        let old = log.blocked_level;
        if old != level {
            log.blocked.change(now, f64::from(level) - f64::from(old));
            log.blocked_level = level;
        }
    }

    /// An item queued in `stage` since `since` left the queue at `now` (started, dropped, or
    /// still queued at the horizon).
    #[inline]
    pub fn dequeued(&mut self, stage: usize, since: f64, now: f64) {
        let (horizon, warmup) = (self.horizon, self.warmup);
        queued(&mut self.by_stage[stage], since, now, horizon, warmup);
    }

    /// A worker of `stage` started an item queued since `since`; `occupies` is false when the
    /// worker was already busy (juggling items).
    #[inline]
    pub fn started(&mut self, stage: usize, since: f64, now: f64, occupies: bool) {
        let (horizon, warmup) = (self.horizon, self.warmup);
        let log = &mut self.by_stage[stage];
        if occupies {
            log.busy.change(now, 1.0);
        }
        queued(log, since, now, horizon, warmup);
    }

    /// A worker of `stage` finished a piece of work after `service` days; `frees` when the
    /// worker becomes idle (not when a juggling worker still has items).
    #[inline]
    pub fn finished(&mut self, stage: usize, now: f64, service: f64, work: WorkDone, frees: bool) {
        if frees {
            self.by_stage[stage].busy.change(now, -1.0);
        }
        if work.counted {
            self.result.stages[stage].service.add(service);
        }
        let o = &mut self.result.outcomes;
        o.effort_by_kind[work.kind] += work.effort;
        if work.wasted {
            o.wasted_effort += work.effort;
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
        // Checkpoints come in ascending order, so the days they count to (`t.min(until)`) do
        // too. Before the item arrived it realises exactly 0.0, and adding 0.0 leaves a sum
        // started at 0.0 unchanged to the bit: those checkpoints are skipped.
        let from = self
            .checkpoints
            .partition_point(|&t| t.min(until) < arrival);
        if urgency.is_standard() {
            // Most items: value flows from delivery on, so until a checkpoint passes the
            // delivery the item adds 0.0 as well (and nothing at all if never delivered).
            if let Some(d) = delivered {
                let from = from.max(self.checkpoints.partition_point(|&t| t.min(until) <= d));
                for (k, &t) in self.checkpoints.iter().enumerate().skip(from) {
                    o.value_at[k] +=
                        Urgency::realised_standard(rate, arrival, delivered, t.min(until));
                }
            }
        } else {
            for (k, &t) in self.checkpoints.iter().enumerate().skip(from) {
                o.value_at[k] += urgency.realised(rate, arrival, delivered, t.min(until));
            }
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

    /// An item that arrived at `arrival` and was committed at `committed` (NaN if not) left
    /// the value stream undelivered (its epic was stopped).
    pub fn dropped(&mut self, now: f64, arrival: f64, committed: f64) {
        self.result.dropped += 1;
        self.leave(now, arrival, committed);
    }

    /// An item that arrived at `arrival` (committed at `committed`, NaN if not) is still in the
    /// value stream at the horizon.
    pub fn still_in_system(&mut self, horizon: f64, arrival: f64, committed: f64) {
        self.leave_window(horizon, arrival, committed);
    }

    #[inline(always)]
    fn leave(&mut self, now: f64, arrival: f64, committed: f64) {
        self.system.change(now, -1.0);
        if !committed.is_nan() {
            self.committed.change(now, -1.0);
        }
        self.leave_window(now, arrival, committed);
    }

    #[inline(always)]
    fn leave_window(&mut self, now: f64, arrival: f64, committed: f64) {
        self.result.item_days += (now - arrival.max(self.warmup)).max(0.0);
        self.system_trend.stay(arrival, now);
        if !committed.is_nan() {
            self.result.committed_days += (now - committed.max(self.warmup)).max(0.0);
            self.committed_trend.stay(committed, now);
        }
    }

    /// Records the state at checkpoint `k`: `wip` committed items, `backlog` not committed.
    pub fn snapshot(&mut self, k: usize, wip: u64, backlog: u64, open_defects: u64) {
        let o = &mut self.result.outcomes;
        o.wip_at[k] = wip;
        o.backlog_at[k] = backlog;
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

    /// The item in `slot`, of `work_type` and `kind` (an index), left the last stage; it
    /// arrived at `arrival`, was committed at `committed`, and was worked on for `active` days,
    /// `active_committed` of them after its commitment.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn departed(
        &mut self,
        slot: u32,
        work_type: usize,
        kind: usize,
        now: f64,
        arrival: f64,
        committed: f64,
        active: f64,
        active_committed: f64,
    ) {
        self.result.departed += 1;
        self.leave(now, arrival, committed);
        if committed >= self.warmup {
            let cycle = now - committed;
            let r = &mut self.result;
            r.cycle_time.add(cycle);
            r.cycle_time_items.add(cycle);
            r.backlog_time.add(committed - arrival);
            self.active_total += active_committed;
            self.cycle_total += cycle;
            self.timed += 1;
            let at = slot as usize * self.stride;
            let row = &self.ledger[at..at + self.stride];
            // Zeros (most parts of most stages) are counted in bulk at the end.
            for ((&d, sum), items) in row.iter().zip(&mut self.cell_sum).zip(&mut self.cell_items) {
                if d != 0.0 {
                    *sum += d;
                    items.add_positive(d);
                }
            }
        }
        let lead = now - arrival;
        let counted = self.counts(arrival);
        let o = &mut self.result.outcomes;
        o.delivered_by_kind[kind] += 1;
        o.effort_delivered += active;
        for (k, &t) in self.checkpoints.iter().enumerate() {
            if now <= t {
                o.delivered_at[k] += 1;
            }
        }
        // With one work type its observations are the totals: copied once at the end.
        let by_type = self.result.work.len() > 1;
        // Strictly after, as arrivals are counted: the window is (warmup, horizon], so a
        // release train leaving on the day the warm-up ends belongs to the warm-up, and a
        // window that starts and ends on train days counts each of its trains once.
        if now > self.warmup {
            self.completed_after_warmup += 1;
            if by_type {
                self.result.work[work_type].completed += 1;
            }
        }
        if counted {
            self.result.lead_time.add(lead);
            self.result.lead_time_items.add(lead);
            if by_type {
                let w = &mut self.result.work[work_type];
                w.lead_time.add(lead);
                w.lead_time_items.add(lead);
            }
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
        let sums = std::mem::take(&mut self.cell_sum);
        let items = std::mem::take(&mut self.cell_items);
        for ((&(s, p), sum), items) in self.cells.iter().zip(sums).zip(items) {
            r.stages[s].time_sum[p] = sum;
            r.stages[s].time_items[p] = items;
        }
        r.events = events;
        r.in_system = in_system;
        r.throughput = self.completed_after_warmup as f64 / span;
        r.arrival_rate = self.arrived_after_warmup as f64 / span;
        let system = self.system.average(horizon);
        r.wip = self.committed.average(horizon);
        r.backlog = system - r.wip;
        r.growth = self.system_trend.slope();
        r.wip_growth = self.committed_trend.slope();
        if let [only] = r.work.as_mut_slice() {
            only.completed = self.completed_after_warmup;
            only.lead_time = r.lead_time;
            only.lead_time_items = r.lead_time_items.clone();
        }
        r.flow_efficiency = if self.cycle_total > 0.0 {
            self.active_total / self.cycle_total
        } else {
            f64::NAN
        };
        for (s, obs) in r.stages.iter_mut().enumerate() {
            obs.time_count = self.timed;
            for items in &mut obs.time_items {
                items.add_zeros(obs.time_count - items.count());
            }
            let w = f64::from(workers[s]);
            let log = &self.by_stage[s];
            obs.utilization = log.busy.average(horizon) / w;
            obs.blocked = log.blocked.average(horizon) / w;
            obs.queue_length = if span > 0.0 {
                log.queued_days / span
            } else {
                f64::NAN
            };
        }
        self.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every checkpoint's value, summed item by item over every checkpoint as the formula reads.
    fn by_every_checkpoint(
        checkpoints: &[f64],
        items: &[(Urgency, f64, f64, Option<f64>, f64)],
    ) -> Vec<f64> {
        let mut sums = vec![0.0; checkpoints.len()];
        for (u, rate, arrival, delivered, until) in items {
            for (k, &t) in checkpoints.iter().enumerate() {
                sums[k] += u.realised(*rate, *arrival, *delivered, t.min(*until));
            }
        }
        sums
    }

    #[test]
    fn skipping_checkpoints_before_arrival_or_delivery_keeps_every_sum_to_the_bit() {
        let checkpoints = [15.0, 30.0, 45.0, 60.0, 75.0, 90.0];
        let urgencies = [
            Urgency::default(),
            Urgency {
                cost_per_day: 40.0,
                ..Urgency::default()
            },
            Urgency {
                ramp: 50.0,
                ..Urgency::default()
            },
            Urgency {
                deadline: 20.0,
                penalty: 1000.0,
                late_fraction: 0.5,
                ..Urgency::default()
            },
        ];
        let mut items = Vec::new();
        for u in urgencies {
            for rate in [0.0, -0.0, 3.7, -1.25, 1e-300] {
                for arrival in [0.0, 14.9, 15.0, 44.0, 89.9, 90.0] {
                    for delivered in [None, Some(arrival), Some(arrival + 0.3), Some(60.0)] {
                        for until in [f64::INFINITY, 50.0, 15.0] {
                            let delivered = delivered.filter(|&d| d >= arrival);
                            items.push((u, rate, arrival, delivered, until));
                        }
                    }
                }
            }
        }
        let mut rec = Recorder::new(0, 1, 1, 0.0, &checkpoints, true, |_, _| true);
        for &(u, rate, arrival, delivered, until) in &items {
            rec.value(&u, rate, arrival, delivered, arrival, until);
        }
        let want = by_every_checkpoint(&checkpoints, &items);
        let got = &rec.result.outcomes.value_at;
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "checkpoint {k}: {g} != {w}");
        }
    }
}
