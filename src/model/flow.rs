//! One replication of a value stream: work items arrive, wait, are worked on, are reworked and
//! released, stage by stage, under the stages' worker counts and WIP limits.
//!
//! The life of an item:
//! 1. It arrives (Poisson per work type, or in the initial backlog) and waits in the backlog.
//! 2. A stage *admits* it when the stage has room under its WIP limit; the policy picks which
//!    waiting item is admitted. Admitted items queue in the stage.
//! 3. A free worker *starts* the item the policy picks; its service time is drawn from the
//!    item's own random stream.
//! 4. When service ends the item may be sent back to an earlier stage (rework, also drawn from
//!    its own stream). Otherwise it is done in this stage: it waits in the stage's done column,
//!    still counting against the stage's WIP limit (blocking after service), until the next
//!    stage admits it, or until the next release if the stage releases in batches.
//! 5. Leaving the last stage, it departs: its lead time and the value it realises are
//!    recorded; a feature adds technical debt, a debt item pays it down, and a delivered item
//!    may cause a defect that arrives later.
//!
//! Epics (outcome hypotheses) arrive as a set of slices, all available at once; each epic is a
//! [`Bet`] holding the team's belief in its hypothesis. Under a policy that measures, every
//! delivered slice is measured: after the epic's feedback delay a noisy signal (drawn from the
//! slice's own stream) updates the belief by Bayes' rule, and the policy may stop the bet,
//! dropping its slices not yet started. Its penalty and daily cost are charged once, for the
//! whole epic, and nothing accrues after it is stopped.
//!
//! Common random numbers: every draw about an item (size, value, estimates, service times,
//! rework, defects it causes) comes from the item's own stream, keyed by its identity (work
//! type and number, epic and slice, or the item that caused it), and every draw about an epic
//! from the epic's stream; so every policy sees the same items, values and outcome truths.
//!
//! Rework re-enters its target stage at once, even above that stage's WIP limit: blocking a
//! loop back would deadlock a full pull system. The stage then admits no new work until it is
//! below its limit again.

use super::{Dist, Kind, Urgency, ValueStream};
use crate::engine::{self, rng, Calendar, Model, Time};
use crate::metrics::{
    Exceeded, Part, Recorder, ReplicationResult, StepState, Trace, TraceBound, TraceStep,
    TracedItem, WorkDone,
};
use crate::policy::{belief, BacklogRank, Context, Discipline, Policy, Step};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::collections::VecDeque;

/// Identifies a live work item within one replication (slots are reused after departure).
pub type ItemId = u32;

/// Random stream kinds within a replication.
const STREAM_ARRIVALS: u64 = 1;
const STREAM_ITEM: u64 = 2;
const STREAM_EPIC_ARRIVALS: u64 = 3;
const STREAM_EPIC: u64 = 4;
const STREAM_SLICE: u64 = 5;
const STREAM_SPAWNED: u64 = 6;
const STREAM_SIGNAL: u64 = 7;

/// Marks "no epic".
const NO_EPIC: u32 = u32::MAX;

/// Marks "not being reworked".
const NO_REDO: u16 = u16::MAX;

/// The backlog past which a policy's ranking is dropped for the rest of the replication and
/// the policy scans instead. The ranking keeps sorted lists, and every arrival, departure and
/// change of a bet's belief moves a share of them: in a backlog of hundreds of thousands of
/// slices that costs far more than a scan per decision (a cd3 year of 10,000-slice bets took
/// 23 s ranked, 2 s scanned). Both give the same decisions to the bit (see `policy/rank.rs`),
/// so dropping it changes nothing else.
const RANKED_BACKLOG: usize = 20_000;

/// One unit of work flowing through the value stream.
#[derive(Clone, Debug)]
pub struct WorkItem {
    work_type: u16,
    stage: u16,
    kind: Kind,
    failed_bet: bool,
    /// Its first service has started: it is in flight.
    started: bool,
    /// Standard class of service with no epic exposure: every day of delay costs exactly its
    /// value rate (set once at creation, so policies need not rebuild its urgency to know).
    standard_class: bool,
    slice: u16,
    epic: u32,
    epic_def: u16,
    number: u64,
    key: u64,
    traced: u32,
    arrival: Time,
    ready_at: Time,
    /// When it crossed the commitment point (NaN: not yet).
    committed: f64,
    /// Days of work done on it before it crossed the commitment point.
    active_before: f64,
    /// When its current part of its current stage began (see [`Part`]).
    since: f64,
    /// The stage that sent it back and must finish it again before its rework is over
    /// ([`NO_REDO`]: not being reworked).
    redo: u16,
    /// The first stage whose work on it is not done yet (the number of stages once all is
    /// done), as the busy period counts it (kept only under a measuring policy).
    unworked: u16,
    /// Items its worker juggled when its current service started (1 without juggling): the
    /// worker's time on it is the service's elapsed days over this.
    juggled: u8,
    service: f64,
    active: f64,
    size: f64,
    est_size: f64,
    value: f64,
    est_value: f64,
    rng: rng::Stream,
}

impl WorkItem {
    /// The worker's time on its current service: a juggling worker shares its time between
    /// its items, so this one had its share of the elapsed days; without juggling, exactly
    /// the elapsed days.
    #[inline]
    fn effort(&self) -> f64 {
        if self.juggled == 1 {
            self.service
        } else {
            self.service / f64::from(self.juggled)
        }
    }

    /// Ends the item's current part, which was `part` (rework while it is being reworked), and
    /// starts the next one now: the part to charge and its days.
    #[inline]
    fn next_part(&mut self, part: Part, now: Time) -> (Part, f64) {
        let part = if self.redo == NO_REDO {
            part
        } else {
            Part::Rework
        };
        let days = now.days() - self.since;
        self.since = now.days();
        (part, days)
    }

    /// Index of the item's work type.
    #[inline]
    pub fn work_type(&self) -> usize {
        usize::from(self.work_type)
    }
    /// Index of the stage the item is in or waiting for.
    pub fn stage(&self) -> usize {
        usize::from(self.stage)
    }
    /// Sequence number among items of its origin (0 for the first).
    pub fn number(&self) -> u64 {
        self.number
    }
    /// When it entered the value stream.
    pub fn arrival(&self) -> Time {
        self.arrival
    }
    /// When it became available to its current stage.
    pub fn ready_at(&self) -> Time {
        self.ready_at
    }
    /// When it crossed the commitment point, if it has.
    pub fn committed(&self) -> Option<f64> {
        (!self.committed.is_nan()).then_some(self.committed)
    }
    /// Days of work done on it so far.
    pub fn active(&self) -> f64 {
        self.active
    }
    /// Its flow item kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// True once its first service has started (it is in flight).
    #[inline]
    pub fn started(&self) -> bool {
        self.started
    }
    /// Estimated total work in days (the expected work of its size, with estimation error).
    #[inline]
    pub fn est_size(&self) -> f64 {
        self.est_size
    }
    /// Estimated value per day once delivered. For a slice of an epic this is its share of the
    /// epic's estimated value *if the hypothesis holds*; what the team expects also depends on
    /// its belief in the hypothesis (see [`ItemTable::bet_of`] and `policy::belief`).
    #[inline]
    pub fn est_value(&self) -> f64 {
        self.est_value
    }
    /// Which slice of its epic it is (0 = the first, the experiment when thinly sliced), if it
    /// belongs to one.
    pub fn slice(&self) -> Option<u16> {
        (self.epic != NO_EPIC).then_some(self.slice)
    }
    /// The index of its bet in this replication ([`ItemTable::bet_of`] finds the bet), if it
    /// is a slice.
    #[inline]
    pub fn bet_index(&self) -> Option<usize> {
        (self.epic != NO_EPIC).then_some(self.epic as usize)
    }
    /// The index of its epic definition in the value stream, if it is a slice.
    #[inline]
    pub fn epic_def(&self) -> Option<usize> {
        (self.epic_def != u16::MAX).then_some(usize::from(self.epic_def))
    }
    /// True if its value follows the standard class of service (value flows from delivery on,
    /// every day of delay loses a day of it) and, for a slice, its epic carries no penalty or
    /// daily cost: [`WorkItem::urgency`] is `Urgency::default()` and nothing else is exposed.
    #[inline]
    pub fn standard_class(&self) -> bool {
        self.standard_class
    }
    /// The shape of its value over time: its work type's, or for a slice its epic's value
    /// shape without the epic-level penalty and daily cost (those belong to the whole epic,
    /// see [`Bet::exposure`]).
    #[inline]
    pub fn urgency(&self, vs: &ValueStream) -> Urgency {
        match self.epic_def() {
            Some(d) => vs.epics[d].slice_urgency(),
            None => vs.work_types[self.work_type()].urgency,
        }
    }
}

/// What the team knows about one epic (a bet) in a replication: its belief in the hypothesis,
/// its estimate of the value, and how much of it is left. Whether the hypothesis really holds
/// is kept private: policies never see it.
#[derive(Clone, Debug)]
pub struct Bet {
    def: u16,
    holds: bool,
    arrival: Time,
    belief: f64,
    /// When the signals of measured slices come back, earliest first.
    signals: VecDeque<f64>,
    /// Slices in flight that will be measured once delivered (work on them has started), with
    /// the day each is expected delivered: the slice (its index in the epic) and its started
    /// day plus its estimated work left then.
    flights: Vec<(u16, f64)>,
    remaining: u32,
    ideal_work: f64,
    /// Whether its slices were cut thinly (a small first experiment, then the rest).
    thin: bool,
    /// When a measuring policy stopped it (`INFINITY`: not stopped).
    stopped_at: f64,
}

impl Bet {
    /// Index of its epic definition.
    #[inline]
    pub fn def(&self) -> usize {
        usize::from(self.def)
    }
    /// When the epic arrived.
    #[inline]
    pub fn arrival(&self) -> Time {
        self.arrival
    }
    /// The team's current probability that the hypothesis holds: the prior
    /// `success_probability`, updated by every measurement it has received.
    #[inline]
    pub fn belief(&self) -> f64 {
        self.belief
    }
    /// Measurements taken (slices delivered) whose signal has not come back yet.
    #[inline]
    pub fn pending(&self) -> usize {
        self.signals.len()
    }
    /// The day the next pending signal comes back, if one is pending.
    #[inline]
    pub fn next_signal(&self) -> Option<f64> {
        self.signals.front().copied()
    }
    /// The day a slice in flight (work on it has started, and it will be measured once
    /// delivered) other than slice `own` is expected delivered, the earliest if several are;
    /// `None` if none is. A slice back in a queue for rework is in flight itself, and its own
    /// signal can only follow its own delivery: it never waits for it.
    #[inline]
    pub fn in_flight_besides(&self, own: Option<u16>) -> Option<f64> {
        self.flights
            .iter()
            .filter(|&&(slice, _)| Some(slice) != own)
            .map(|&(_, at)| at)
            .reduce(f64::min)
    }
    /// True if the bet awaits a signal: one is pending, or a measured slice is in flight.
    #[inline]
    pub fn awaits_signal(&self) -> bool {
        !self.signals.is_empty() || !self.flights.is_empty()
    }
    /// Slices neither delivered nor stopped.
    #[inline]
    pub fn remaining(&self) -> u32 {
        self.remaining
    }
    /// The epic-level penalty and daily cost, charged once per epic: the cost per day runs from
    /// the epic's arrival until its last slice is delivered (or it is stopped), and the penalty
    /// is due if the deadline passes before its last slice is delivered, stopped or not.
    pub fn exposure(&self, vs: &ValueStream) -> Urgency {
        vs.epics[self.def()].exposure()
    }
}

/// The live items of a replication, in reusable slots, and the bets (epics) they belong to.
#[derive(Debug, Default)]
pub struct ItemTable {
    slots: Vec<WorkItem>,
    free: Vec<ItemId>,
    bets: Vec<Bet>,
}

impl ItemTable {
    /// The bet an item is a slice of, if any.
    #[inline]
    pub fn bet_of(&self, item: &WorkItem) -> Option<&Bet> {
        (item.epic != NO_EPIC).then(|| &self.bets[item.epic as usize])
    }

    /// The item in slot `id`.
    #[inline]
    pub fn get(&self, id: ItemId) -> &WorkItem {
        &self.slots[id as usize]
    }

    #[inline]
    fn get_mut(&mut self, id: ItemId) -> &mut WorkItem {
        &mut self.slots[id as usize]
    }

    fn insert(&mut self, item: WorkItem) -> ItemId {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = item;
                id
            }
            None => {
                self.slots.push(item);
                (self.slots.len() - 1) as ItemId
            }
        }
    }

    fn remove(&mut self, id: ItemId) {
        self.free.push(id);
    }

    /// The bet with index `index` in this replication (see [`WorkItem::bet_index`]).
    #[inline]
    pub fn bet(&self, index: usize) -> &Bet {
        &self.bets[index]
    }

    /// Number of live items.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// True when no item is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Default)]
struct StageState {
    /// Admitted items waiting for a worker.
    queue: VecDeque<ItemId>,
    /// Finished items waiting for the next release.
    awaiting_release: Vec<ItemId>,
    /// Finished items waiting for the next stage to admit them.
    done: VecDeque<ItemId>,
    busy: u32,
    wip: u32,
    /// Most items the stage held at once.
    peak_wip: u32,
    /// Items its workers may have in service at once: workers times the items each juggles
    /// (kept here, beside `busy`, as it is read at every start).
    capacity: u32,
    /// Items it may hold: its WIP limit where one applies, `u32::MAX` otherwise.
    limit: u32,
}

/// The events of the flow model.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// The next item of a work type arrives.
    Arrival(u16),
    /// The next epic of an epic definition arrives.
    EpicArrival(u16),
    /// A worker of a stage finishes an item.
    ServiceDone(u16, ItemId),
    /// A stage releases its finished items.
    Release(u16),
    /// A defect caused by a delivered item arrives (index into the pending spawns).
    Spawn(u32),
    /// The outcome of a delivered slice (epic, slice) is measured: its signal arrives.
    Feedback(u32, u16),
    /// Checkpoint `k` is reached.
    Snapshot(u16),
}

/// Where a new item comes from: decides its random stream and its value.
#[derive(Clone, Copy, Debug)]
enum Origin {
    /// Poisson arrival or initial backlog of a work type.
    Own,
    /// Slice `slice` of runtime epic `epic`: its share of the epic's work (`units` of the
    /// epic's `slices`), its true value and its estimated value if the hypothesis holds.
    Slice {
        epic: u32,
        slice: u16,
        units: f64,
        value: f64,
        est_value: f64,
    },
    /// A defect caused by the item whose stream key is `parent`.
    Spawned { parent: u64 },
}

/// The state of one replication.
pub struct FlowSim<'a> {
    vs: &'a ValueStream,
    policy: &'a dyn Policy,
    /// The policy always takes the first waiting item: no need to ask it.
    fcfs: bool,
    /// Items one worker may have in service at once (1 unless the policy starts everything).
    juggle: u32,
    ignore_limits: bool,
    rep_key: u64,
    items: ItemTable,
    backlog: VecDeque<ItemId>,
    /// The policy's ranking of the backlog, kept up to date here (see `policy/rank.rs`).
    rank: Option<BacklogRank>,
    stages: Vec<StageState>,
    arrivals: Vec<rng::Stream>,
    epic_arrivals: Vec<rng::Stream>,
    next_number: Vec<u64>,
    /// Whether the items of each work type, then the slices of each epic, are of the standard
    /// class of service with no epic exposure (see [`WorkItem::standard_class`]).
    standard_class: Vec<bool>,
    /// Per work type, the key prefix (replication, item stream, work type) of its items.
    item_keys: Vec<u64>,
    next_epic_number: Vec<u64>,
    pending_spawns: Vec<(u16, u64)>,
    free_spawns: Vec<u32>,
    expected_work: Vec<f64>,
    remaining_shares: Vec<f64>,
    /// The service time distribution of each work type at each stage (work type major), looked
    /// up once per start: one load fewer than [`ValueStream::service`] on the hot path.
    service: Vec<&'a Dist>,
    /// Each stage's days per item when busy ([`days_per_item`]).
    days_per_item: Vec<f64>,
    completion_cv: f64,
    debt_points: f64,
    live_by_kind: [u64; 4],
    /// The estimated sizes of the live items of each work type whose work at each stage is not
    /// done yet (work type major, by the first stage whose work is not done: an item counts for
    /// that stage and every one after it; see [`BusyPeriod`]). Kept only when `measuring`,
    /// the only time it is asked.
    live_size: Vec<f64>,
    /// Days per worker that one day of an item's estimated work (`WorkItem::est_size`, its
    /// work over every stage, the unit of `live_size`) brings each stage ([`stage_days`]).
    stage_days: Vec<f64>,
    /// Offered utilisation of each stage by the steady flows of work
    /// ([`ValueStream::offered_utilization`]).
    offered: Vec<f64>,
    /// The policy measures slices of epics: it asks how long the team stays busy.
    measuring: bool,
    /// The busy period of the decision being made, once worked out ([`BusyPeriod`]).
    busy_days: std::cell::Cell<f64>,
    /// The expected value per day of the work not started yet, for the decision being made,
    /// once worked out ([`BusyPeriod::unstarted_rate`]).
    unstarted_rate: std::cell::Cell<f64>,
    /// Live items not yet past the commitment point.
    uncommitted: u64,
    /// The stages whose WIP limit applies (none when the policy ignores limits).
    limited: Vec<usize>,
    effort_started: [f64; 4],
    /// The calendar sequence number reserved for checkpoint 0 (checkpoint `k` has `k` more).
    snapshot_seq: u64,
    /// The trace while it records.
    trace: Option<Trace>,
    /// The trace once full (bounded traces only): it records nothing more.
    full_trace: Option<Trace>,
    rec: Recorder,
    /// Waiting items the policy weighed at its decisions so far (see
    /// [`Limits::WEIGHED_PER_EVENT`](crate::model::Limits::WEIGHED_PER_EVENT)): a decision
    /// costs time with the length of the list it weighs, which the event count does not see.
    weighed: std::cell::Cell<u64>,
    /// The most items the policy may weigh: the event budget's worth.
    weigh_budget: u64,
}

/// How many more days the team is expected to stay busy with the work it has and the work
/// that keeps arriving ([`Context::busy`](crate::policy::Context::busy)), worked out the first
/// time a decision asks (most never do).
#[derive(Clone, Copy)]
pub struct BusyPeriod<'a> {
    /// The replication asked about (`None`: the busy period never ends).
    sim: Option<&'a FlowSim<'a>>,
}

impl std::fmt::Debug for BusyPeriod<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusyPeriod")
            .field("days", &self.days())
            .finish()
    }
}

impl<'a> BusyPeriod<'a> {
    /// A busy period that never ends (no one asks, or nothing can tell).
    pub const ENDLESS: BusyPeriod<'static> = BusyPeriod { sim: None };

    /// The busy period of `sim` now. A decision's context is built and used while nothing
    /// moves, so the answer `sim` keeps is forgotten each time one is built.
    fn of(sim: &'a FlowSim<'a>) -> Self {
        sim.busy_days.set(f64::NAN);
        sim.unstarted_rate.set(f64::NAN);
        BusyPeriod { sim: Some(sim) }
    }

    /// The days: at the stage where it lasts longest, the estimated work the live items still
    /// need there per worker (over all their expected visits, slowed by the debt drag now) over
    /// the share of capacity the steady arrivals leave free, a fluid estimate of the busy
    /// period. Infinite where the arrivals alone fill a stage.
    pub fn days(&self) -> f64 {
        let Some(sim) = self.sim else {
            return f64::INFINITY;
        };
        if sim.busy_days.get().is_nan() {
            let drag = sim
                .vs
                .debt
                .as_ref()
                .map_or(1.0, |d| d.multiplier(sim.debt_points));
            let days = busy_days(&sim.live_size, &sim.stage_days, &sim.offered, drag);
            sim.busy_days.set(days);
        }
        sim.busy_days.get()
    }

    /// The estimated work of the live items with work still to do, in days of estimated size
    /// (the measure [`BusyPeriod::days`] is worked out from).
    pub fn live_size(&self) -> f64 {
        self.sim
            .map_or(f64::INFINITY, |sim| sim.live_size.iter().sum())
    }

    /// The value per day the team expects from the work not started yet (in the backlog and
    /// the stages' queues), under its beliefs: what the end of the busy period comes sooner
    /// for when capacity is freed.
    pub fn unstarted_rate(&self) -> f64 {
        let Some(sim) = self.sim else {
            return f64::INFINITY;
        };
        if sim.unstarted_rate.get().is_nan() {
            let items = &sim.items;
            let lists =
                || std::iter::once(&sim.backlog).chain(sim.stages.iter().map(|st| &st.queue));
            // A pass over every waiting item: the event budget counts it like a ranking's.
            sim.weigh(lists().map(VecDeque::len).sum());
            let rate: f64 = lists()
                .flat_map(|list| list.iter())
                .map(|&id| items.get(id))
                .filter(|it| !it.started)
                .map(|it| match items.bet_of(it) {
                    Some(bet) => belief::expected_rate(
                        it.est_value,
                        bet.belief(),
                        sim.vs.epics[bet.def()].failed_value,
                    ),
                    None => it.est_value,
                })
                .sum();
            sim.unstarted_rate.set(rate);
        }
        sim.unstarted_rate.get()
    }
}

/// The work ahead of an item taken now at a stage
/// ([`Context::ahead`](crate::policy::Context::ahead)): the items in service downstream and
/// those waiting, read only when a decision asks (only cost of delay beyond the value rate
/// does, and most decisions take the only item waiting).
#[derive(Clone, Copy)]
pub struct WorkAhead<'a> {
    /// The replication asked about (`None`: the days are `known`).
    sim: Option<&'a FlowSim<'a>>,
    stage: usize,
    /// The item joins the stage's queue (it is admitted), behind the items queued there.
    queued: bool,
    known: f64,
}

impl std::fmt::Debug for WorkAhead<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkAhead")
            .field("days", &self.days())
            .finish()
    }
}

impl<'a> WorkAhead<'a> {
    /// Work ahead of a known number of days (`NaN`: not known, for a score that does not
    /// depend on it).
    pub const fn known(days: f64) -> WorkAhead<'static> {
        WorkAhead {
            sim: None,
            stage: 0,
            queued: false,
            known: days,
        }
    }

    /// The work ahead at `stage` of `sim` now (see [`FlowSim::work_ahead`]).
    fn of(sim: &'a FlowSim<'a>, stage: usize, queued: bool) -> Self {
        WorkAhead {
            sim: Some(sim),
            stage,
            queued,
            known: f64::NAN,
        }
    }

    /// The days: every item in service or waiting ahead, whatever an ordering would take
    /// first (cost of delay counts only part of the waiting ones, `Scorer::ahead_of`).
    pub fn days(&self) -> f64 {
        match self.sim {
            Some(sim) => sim.work_ahead(self.stage, self.queued),
            None => self.known,
        }
    }

    /// The part of [`WorkAhead::days`] no ranking can overtake: the items in service
    /// downstream, each at its stage's days per item (0 for known days: those are all
    /// [`WorkAhead::days`]).
    pub fn in_service(&self) -> f64 {
        let Some(sim) = self.sim else {
            return 0.0;
        };
        let st = &sim.stages;
        sim.days_per_item
            .iter()
            .enumerate()
            .skip(self.stage + 1)
            .map(|(k, days)| f64::from(st[k].busy) * days)
            .sum()
    }

    /// The rest of [`WorkAhead::days`]: each item waiting ahead as (item, the stage it waits
    /// for, that stage's days per item), in a fixed order: the queue of this stage if the
    /// item joins it, then stage by stage downstream, the items done at the stage before
    /// (blocked, or awaiting a train), the items awaiting a train there, then its queue.
    pub fn for_each_waiting(&self, mut f: impl FnMut(ItemId, usize, f64)) {
        let Some(sim) = self.sim else {
            return;
        };
        let st = &sim.stages;
        if self.queued {
            let days = sim.days_per_item[self.stage];
            st[self.stage]
                .queue
                .iter()
                .for_each(|&id| f(id, self.stage, days));
        }
        for (k, &days) in sim.days_per_item.iter().enumerate().skip(self.stage + 1) {
            let before = &st[k - 1];
            let waiting = before
                .done
                .iter()
                .chain(&before.awaiting_release)
                .chain(&st[k].queue);
            waiting.for_each(|&id| f(id, k, days));
        }
    }

    /// Known days, where no replication is at hand ([`WorkAhead::known`]).
    pub fn is_known(&self) -> bool {
        self.sim.is_none()
    }
}

/// Days a stage takes per item when it is busy: its mean service time over the items it works
/// on at once (its workers, or its WIP limit if lower, where the limit applies). A stage that
/// holds its finished work for a release train with a WIP limit passes at most that many items
/// per train, so it takes at least the train's interval over the limit per item.
fn days_per_item(st: &super::Stage, ignore_limits: bool) -> f64 {
    let limit = st.wip_limit.filter(|_| !ignore_limits);
    let parallel = limit.map_or(st.workers, |l| st.workers.min(l)).max(1);
    let days = st.service.mean() / f64::from(parallel);
    match (limit, st.release_every) {
        (Some(l), Some(every)) => days.max(every / f64::from(l.max(1))),
        _ => days,
    }
}

/// The days per worker that one day of each work type's estimated work brings each stage over
/// all its visits (work type major, as `FlowSim::stage_days`): the stage's share of the work
/// type's expected work over the stage's workers.
fn stage_days(vs: &ValueStream) -> Vec<f64> {
    let visits = vs.expected_visits();
    (0..vs.work_types.len())
        .flat_map(|w| {
            let visits = &visits;
            let work = vs.expected_work(w);
            (0..vs.stages.len()).map(move |s| {
                let days = visits[s] * vs.service(w, s).mean() / f64::from(vs.stages[s].workers);
                if work > 0.0 {
                    days / work
                } else {
                    0.0
                }
            })
        })
        .collect()
}

/// [`BusyPeriod::days`] from its inputs: `live_size[w * n + s]` the estimated work (days over
/// every stage) of the live items of work type `w` whose first stage of work not done is `s`
/// (so they have work at `s` and every stage after), `stage_days[w * n + s]` the days per worker
/// a day of `w`'s estimated work brings stage `s`, `offered[s]` its offered utilisation, and
/// `drag` the debt drag now.
fn busy_days(live_size: &[f64], stage_days: &[f64], offered: &[f64], drag: f64) -> f64 {
    let n = offered.len();
    let mut longest: f64 = 0.0;
    for (s, offered) in offered.iter().enumerate() {
        let free = 1.0 - offered * drag;
        if free <= 0.0 {
            return f64::INFINITY;
        }
        let days: f64 = live_size
            .chunks_exact(n)
            .zip(stage_days.chunks_exact(n))
            .map(|(sizes, days)| sizes[..=s].iter().sum::<f64>().max(0.0) * days[s])
            .sum();
        longest = longest.max(days * drag / free);
    }
    longest
}

/// Runs replication `index` of `vs` under `policy`, seeded from `seed`.
pub fn simulate(vs: &ValueStream, policy: &dyn Policy, seed: u64, index: u64) -> ReplicationResult {
    run_replication(vs, policy, seed, index, None).0
}

/// [`simulate`], also returning the trace of every item (for charts of one replication).
pub fn simulate_traced(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    index: u64,
) -> (ReplicationResult, Trace) {
    simulate_traced_bounded(vs, policy, seed, index, TraceBound::NONE)
}

/// [`simulate_traced`] with a trace that stops once it holds `bound` (see [`Trace::cut`]); the
/// replication's results are the same whatever the bound.
pub fn simulate_traced_bounded(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    index: u64,
    bound: TraceBound,
) -> (ReplicationResult, Trace) {
    let (r, t) = run_replication(vs, policy, seed, index, Some(bound));
    (r, t.expect("invariant: tracing was requested"))
}

fn run_replication(
    vs: &ValueStream,
    policy: &dyn Policy,
    seed: u64,
    index: u64,
    trace: Option<TraceBound>,
) -> (ReplicationResult, Option<Trace>) {
    let mut sim = FlowSim::new(vs, policy, seed, index);
    sim.trace = trace.map(Trace::bounded);
    let mut cal = Calendar::new();
    sim.start(&mut cal);
    let end = engine::run(
        &mut sim,
        &mut cal,
        Time::from_days(vs.horizon),
        vs.limits.events,
    );
    let too_many_items = sim.items.len() as u64 > vs.limits.items;
    let weighed_too_many = sim.weighed.get() > sim.weigh_budget;
    let (mut result, trace) = sim.finish(end.events);
    if end.cut_short {
        result.exceeded = Some(if too_many_items {
            Exceeded::Items
        } else if weighed_too_many {
            Exceeded::Weighed
        } else {
            Exceeded::Events
        });
    }
    (result, trace)
}

impl<'a> FlowSim<'a> {
    fn new(vs: &'a ValueStream, policy: &'a dyn Policy, seed: u64, index: u64) -> Self {
        let rep_key = rng::key(&[seed, index]);
        let (juggle, ignore_limits) = match policy.discipline() {
            Discipline::Limits => (1, false),
            Discipline::StartEverything { juggle } => (juggle.max(1), true),
        };
        let fcfs = policy.first_come_first_served();
        let limited: Vec<usize> = if ignore_limits {
            Vec::new()
        } else {
            (0..vs.stages.len())
                .filter(|&s| vs.stages[s].wip_limit.is_some())
                .collect()
        };
        let rework = vs.stages.iter().any(|s| s.rework.is_some());
        // Which parts can take time at all. A done item waits for the next stage only when
        // that stage can refuse it: a WIP limit, or a policy that may decline to pull (the
        // last stage delivers at once). Releases need a train, rework a rework path.
        let possible = |s: usize, part: Part| match part {
            Part::Queue | Part::Touch => true,
            Part::Blocked => s + 1 < vs.stages.len() && (!fcfs || limited.contains(&(s + 1))),
            Part::Release => vs.stages[s].release_every.is_some(),
            Part::Rework => rework,
        };
        let rec = Recorder::new(
            index,
            vs.stages.len(),
            vs.work_types.len(),
            vs.warmup,
            &vs.checkpoints,
            vs.has_value(),
            possible,
        );
        FlowSim {
            vs,
            policy,
            fcfs,
            juggle,
            ignore_limits,
            rep_key,
            items: ItemTable::default(),
            backlog: VecDeque::new(),
            // The ranking serves decisions to admit from the backlog; a first stage that is
            // never full takes the backlog whole (`admit_every`) and asks no such question.
            rank: if ignore_limits || vs.stages[0].wip_limit.is_none() {
                None
            } else {
                policy.backlog_rank()
            },
            stages: vs
                .stages
                .iter()
                .map(|stage| StageState {
                    capacity: stage.workers * juggle,
                    limit: match stage.wip_limit {
                        Some(limit) if !ignore_limits => limit,
                        _ => u32::MAX,
                    },
                    ..StageState::default()
                })
                .collect(),
            arrivals: (0..vs.work_types.len() as u64)
                .map(|w| rng::stream(&[rep_key, STREAM_ARRIVALS, w]))
                .collect(),
            epic_arrivals: (0..vs.epics.len() as u64)
                .map(|e| rng::stream(&[rep_key, STREAM_EPIC_ARRIVALS, e]))
                .collect(),
            next_number: vec![0; vs.work_types.len()],
            standard_class: vs
                .work_types
                .iter()
                .map(|wt| wt.urgency == Urgency::default())
                .chain(vs.epics.iter().map(|e| {
                    e.urgency.penalty == 0.0
                        && e.urgency.cost_per_day == 0.0
                        && e.slice_urgency() == Urgency::default()
                }))
                .collect(),
            item_keys: (0..vs.work_types.len() as u64)
                .map(|w| rng::key(&[rep_key, STREAM_ITEM, w]))
                .collect(),
            next_epic_number: vec![0; vs.epics.len()],
            pending_spawns: Vec::new(),
            free_spawns: Vec::new(),
            expected_work: (0..vs.work_types.len())
                .map(|w| vs.expected_work(w))
                .collect(),
            remaining_shares: (0..vs.work_types.len())
                .flat_map(|w| (0..vs.stages.len()).map(move |s| vs.remaining_share(w, s)))
                .collect(),
            service: (0..vs.work_types.len())
                .flat_map(|w| (0..vs.stages.len()).map(move |s| vs.service(w, s)))
                .collect(),
            days_per_item: vs
                .stages
                .iter()
                .map(|st| days_per_item(st, ignore_limits))
                .collect(),
            completion_cv: crate::policy::economics::completion_cv(vs),
            debt_points: vs.debt.as_ref().map_or(0.0, |d| d.initial),
            live_by_kind: [0; 4],
            live_size: vec![0.0; vs.work_types.len() * vs.stages.len()],
            stage_days: stage_days(vs),
            offered: vs.offered_utilization(),
            measuring: policy.measures() && !vs.epics.is_empty(),
            busy_days: std::cell::Cell::new(f64::NAN),
            unstarted_rate: std::cell::Cell::new(f64::NAN),
            uncommitted: 0,
            limited,
            effort_started: [0.0; 4],
            snapshot_seq: 0,
            trace: None,
            full_trace: None,
            rec,
            weighed: std::cell::Cell::new(0),
            weigh_budget: vs
                .limits
                .events
                .saturating_mul(crate::model::Limits::WEIGHED_PER_EVENT),
        }
    }

    fn start(&mut self, cal: &mut Calendar<Event>) {
        let now = Time::ZERO;
        // Room for the items alive at day 0 at once, rather than grown (and copied) item by
        // item; within the item budget, which stops the rest.
        let at_start = self
            .vs
            .work_types
            .iter()
            .map(|wt| u64::from(wt.backlog))
            .chain(
                self.vs
                    .epics
                    .iter()
                    .map(|e| u64::from(e.backlog) * u64::from(e.slices)),
            )
            .sum::<u64>()
            .min(self.vs.limits.items) as usize;
        self.items.slots.reserve(at_start);
        self.rec.reserve(at_start);
        // Past the item budget the run stops at its first event (`Model::stopped`); creating
        // the rest of a huge backlog first would exhaust memory.
        for (w, wt) in self.vs.work_types.iter().enumerate() {
            for _ in 0..wt.backlog {
                if self.stopped() {
                    break;
                }
                self.create_item(w, now, Origin::Own);
            }
        }
        for (e, epic) in self.vs.epics.iter().enumerate() {
            for _ in 0..epic.backlog {
                if self.stopped() {
                    break;
                }
                self.create_epic(e, now);
            }
        }
        for w in 0..self.vs.work_types.len() {
            self.schedule_arrival(w, now, cal);
        }
        for e in 0..self.vs.epics.len() {
            self.schedule_epic_arrival(e, now, cal);
        }
        for (s, stage) in self.vs.stages.iter().enumerate() {
            if let Some(every) = stage.release_every {
                cal.schedule(now + every, Event::Release(s as u16));
            }
        }
        // Only the next checkpoint is pending (a long list of far events would slow every
        // step of the calendar), each with the place among simultaneous events it would have
        // had scheduled now.
        self.snapshot_seq = cal.reserve(self.vs.checkpoints.len() as u64);
        self.schedule_snapshot(0, cal);
        self.pull_into(0, now, cal);
    }

    fn finish(mut self, events: u64) -> (ReplicationResult, Option<Trace>) {
        // Items never delivered still count: penalties, costs and lost value.
        let mut is_free = vec![false; self.items.slots.len()];
        for &id in &self.items.free {
            is_free[id as usize] = true;
        }
        let live: Vec<ItemId> = (0..self.items.slots.len() as ItemId)
            .filter(|&id| !is_free[id as usize])
            .collect();
        for (s, st) in self.stages.iter().enumerate() {
            for &id in &st.queue {
                let since = self.items.get(id).since;
                self.rec.dequeued(s, since, self.vs.horizon);
            }
        }
        for id in live {
            let item = self.items.get(id);
            self.rec
                .still_in_system(self.vs.horizon, item.arrival.days(), item.committed);
            if self.vs.has_value() {
                self.account_undelivered(id, f64::INFINITY);
            }
        }
        for epic in 0..self.items.bets.len() as u32 {
            let bet = &self.items.bets[epic as usize];
            if bet.remaining > 0 {
                let until = bet.stopped_at;
                self.account_epic(epic, None, until);
            }
        }
        if let Some(debt) = &self.vs.debt {
            self.rec.debt_drag(debt.multiplier(self.debt_points) - 1.0);
        }
        let workers: Vec<u32> = self.vs.stages.iter().map(|s| s.workers).collect();
        let mut result =
            self.rec
                .finish(self.vs.horizon, self.items.len() as u64, events, &workers);
        for (obs, st) in result.stages.iter_mut().zip(&self.stages) {
            obs.peak_wip = st.peak_wip;
        }
        (result, self.trace.or(self.full_trace))
    }

    /// Makes sure the trace, if it records, has room for `items` more items and `steps` more
    /// steps; if not, it is full from `now` on and records nothing more. The moment the run
    /// starts is always traced whole (its items are live at once, so the run's own item budget
    /// bounds them): a trace is never cut at day 0 exactly, and always knows how the run began.
    #[inline]
    fn trace_room(&mut self, items: usize, steps: usize, now: Time) {
        if now.days() <= 0.0 {
            return;
        }
        let Some(t) = &mut self.trace else {
            return;
        };
        t.past_day_zero();
        if !t.has_room(items, steps) {
            let mut t = self.trace.take().expect("invariant: checked just above");
            t.cut = Some(now.days());
            self.full_trace = Some(t);
        }
    }

    /// Schedules checkpoint `k`, if there is one.
    fn schedule_snapshot(&self, k: usize, cal: &mut Calendar<Event>) {
        if let Some(&t) = self.vs.checkpoints.get(k) {
            let seq = self.snapshot_seq + k as u64;
            cal.schedule_reserved(Time::from_days(t), seq, Event::Snapshot(k as u16));
        }
    }

    fn schedule_arrival(&mut self, w: usize, now: Time, cal: &mut Calendar<Event>) {
        if let Some(rate) = self.vs.work_types[w].arrival_rate {
            // Inverse transform keeps the arrival stream's draws independent of rand_distr.
            let u: f64 = 1.0 - uniform01(&mut self.arrivals[w]);
            cal.schedule(now + (-u.ln() / rate), Event::Arrival(w as u16));
        }
    }

    fn schedule_epic_arrival(&mut self, e: usize, now: Time, cal: &mut Calendar<Event>) {
        if let Some(rate) = self.vs.epics[e].arrival_rate {
            let u: f64 = 1.0 - uniform01(&mut self.epic_arrivals[e]);
            cal.schedule(now + (-u.ln() / rate), Event::EpicArrival(e as u16));
        }
    }

    /// Creates an epic and its slices; draws whether its hypothesis holds and its value from
    /// the epic's own stream. The epic's total work is `slices` units; a policy that slices
    /// thinly makes the first slice `experiment_size` units and spreads the rest evenly.
    fn create_epic(&mut self, e: usize, now: Time) {
        let def = &self.vs.epics[e];
        let number = self.next_epic_number[e];
        self.next_epic_number[e] += 1;
        let mut r = rng::stream(&[self.rep_key, STREAM_EPIC, e as u64, number]);
        let holds = uniform01(&mut r) < def.success_probability;
        let rate = def.value.sample(&mut r);
        let mut est_rate = rate * lognormal_noise(&mut r, def.value_error);
        if self.policy.calibrates_estimates() {
            est_rate = def.value.posterior_mean(est_rate, def.value_error);
        }
        let slices = f64::from(def.slices);
        let thin = self.policy.thin_slices()
            && def.slices > 1
            && def.experiment_size < 1.0
            && experiment_can_inform(def, now.days(), self.vs.horizon);
        let epic = self.items.bets.len() as u32;
        self.items.bets.push(Bet {
            def: e as u16,
            holds,
            arrival: now,
            belief: def.success_probability,
            signals: VecDeque::new(),
            flights: Vec::new(),
            remaining: def.slices,
            ideal_work: 0.0,
            thin,
            stopped_at: f64::INFINITY,
        });
        let true_rate = rate * if holds { 1.0 } else { def.failed_value };
        for slice in 0..def.slices {
            let units = slice_units(def, slice, thin);
            self.create_item(
                def.work_type,
                now,
                Origin::Slice {
                    epic,
                    slice: slice as u16,
                    units,
                    value: true_rate * units / slices,
                    est_value: est_rate * units / slices,
                },
            );
        }
    }

    fn create_item(&mut self, w: usize, now: Time, origin: Origin) {
        let vs = self.vs;
        let wt = &vs.work_types[w];
        let (key, number) = match origin {
            Origin::Own => {
                let n = self.next_number[w];
                self.next_number[w] += 1;
                (rng::extend(self.item_keys[w], &[n]), n)
            }
            Origin::Slice { epic, slice, .. } => {
                let st = &self.items.bets[epic as usize];
                let n = u64::from(epic);
                (
                    rng::key(&[
                        self.rep_key,
                        STREAM_SLICE,
                        u64::from(st.def),
                        n,
                        u64::from(slice),
                    ]),
                    n,
                )
            }
            Origin::Spawned { parent } => (rng::key(&[self.rep_key, STREAM_SPAWNED, parent]), 0),
        };
        let mut r = rng::stream_of_key(key);
        let mut size = wt.size.as_ref().map_or(1.0, |d| d.sample(&mut r));
        // The size factor drawn from the work type's distribution, before a slice's units
        // (what a calibrated reading of the size estimate is the posterior of).
        let draw = size;
        let mut units = 1.0;
        let (mut epic, mut slice, mut epic_def, mut failed_bet) = (NO_EPIC, 0, u16::MAX, false);
        let (value, est_value) = match origin {
            Origin::Slice {
                epic: e,
                slice: sl,
                units: u,
                value,
                est_value,
            } => {
                let st = &self.items.bets[e as usize];
                units = u;
                size *= units;
                epic = e;
                slice = sl;
                epic_def = st.def;
                failed_bet = !st.holds;
                (value, est_value)
            }
            _ => match &wt.value {
                Some(d) => {
                    let v = d.sample(&mut r);
                    let reading = v * lognormal_noise(&mut r, wt.value_error);
                    if self.policy.calibrates_estimates() {
                        (v, d.posterior_mean(reading, wt.value_error))
                    } else {
                        (v, reading)
                    }
                }
                None => (0.0, 0.0),
            },
        };
        let noise = lognormal_noise(&mut r, wt.size_error);
        let est_size = if self.policy.calibrates_estimates() {
            // Read calibrated, the size is the mean size given its reading, by Bayes' rule with
            // the work type's size distribution as the prior (`Dist::posterior_mean`: closed
            // form for a lognormal, exact for a fixed or empirical one, integrated otherwise;
            // without a size distribution the factor is exactly 1, known, whatever the
            // reading). Only the drawn factor is uncertain: a slice's units are the team's own
            // choice, and the expected work per unit of size is the work type's. Smith's rule
            // in expectation ranks by E[value] / E[work] (Rothkopf 1966, WSEPT): calibrating
            // the value alone shrinks the numerator towards its prior while the denominator
            // keeps its noise, which tilts CD3 towards items that merely look small. With no
            // error the reading is the factor, so the estimate is the face value to the bit.
            let factor = wt
                .size
                .as_ref()
                .map_or(1.0, |d| d.posterior_mean(draw * noise, wt.size_error));
            factor * units * self.expected_work[w]
        } else {
            size * self.expected_work[w] * noise
        };
        if epic != NO_EPIC {
            self.items.bets[epic as usize].ideal_work += size * self.expected_work[w];
        }
        self.trace_room(1, 0, now);
        let traced = match &mut self.trace {
            Some(t) => {
                t.items.push(TracedItem {
                    kind: wt.kind,
                    arrival: now.days(),
                    committed: None,
                    entered: vec![f64::NAN; vs.stages.len()],
                    delivered: None,
                    dropped: None,
                    work_type: w as u16,
                    bet: (epic != NO_EPIC).then_some(epic),
                    failed_bet,
                    steps: Vec::new(),
                });
                (t.items.len() - 1) as u32
            }
            None => 0,
        };
        let standard_class = if epic_def == u16::MAX {
            self.standard_class[w]
        } else {
            self.standard_class[vs.work_types.len() + usize::from(epic_def)]
        };
        let item = WorkItem {
            work_type: w as u16,
            stage: 0,
            kind: wt.kind,
            failed_bet,
            started: false,
            standard_class,
            slice,
            epic,
            epic_def,
            number,
            key,
            traced,
            arrival: now,
            ready_at: now,
            committed: f64::NAN,
            active_before: 0.0,
            since: now.days(),
            redo: NO_REDO,
            unworked: 0,
            juggled: 1,
            service: 0.0,
            active: 0.0,
            size,
            est_size,
            value,
            est_value,
            rng: r,
        };
        self.live_by_kind[wt.kind.index()] += 1;
        if self.measuring {
            // No stage's work on it is done yet.
            self.live_size[w * vs.stages.len()] += est_size;
        }
        self.uncommitted += 1;
        let id = self.items.insert(item);
        self.backlog.push_back(id);
        if self.backlog.len() > RANKED_BACKLOG {
            self.rank = None;
        }
        if let Some(mut rank) = self.rank.take() {
            rank.arrive(id, &self.items, &self.rank_context(now));
            self.rank = Some(rank);
        }
        self.rec.arrived(id, now.days());
    }

    /// Workers of stage `s` idle only because the stage is full: at its WIP limit with work
    /// done and waiting to move on (a worker never idles while an item waits in its queue).
    #[inline]
    fn blocked_workers(&self, s: usize) -> u32 {
        if self.has_room(s) {
            0
        } else {
            // Only finished work that cannot move on blocks a worker. Where the WIP limit is
            // below the workers, the others idle for want of room with nothing finished in the
            // way: nothing they may take, so they count as starved.
            let st = &self.stages[s];
            let finished = st.done.len() + st.awaiting_release.len();
            self.vs.stages[s]
                .workers
                .saturating_sub(st.busy)
                .min(u32::try_from(finished).unwrap_or(u32::MAX))
        }
    }

    /// True if stage `s` can never be full: no WIP limit applies to it.
    #[inline]
    fn has_room_always(&self, s: usize) -> bool {
        self.ignore_limits || self.vs.stages[s].wip_limit.is_none()
    }

    #[inline]
    fn has_room(&self, s: usize) -> bool {
        let st = &self.stages[s];
        st.wip < st.limit
    }

    #[inline]
    fn choose(&self, waiting: &VecDeque<ItemId>, s: usize, step: Step, now: Time) -> Option<usize> {
        if self.fcfs {
            return Some(0);
        }
        let mut ctx = self.context(s, step, now);
        if s == 0 && step == Step::Admit {
            // The first stage admits from the backlog.
            ctx.backlog = self.rank.as_ref();
        }
        // A ranked backlog spares the policy weighing every item waiting there.
        self.weigh(
            ctx.backlog
                .map_or(waiting.len(), BacklogRank::weighed_per_decision),
        );
        self.policy.choose(waiting, &self.items, &ctx)
    }

    /// The policy weighs `n` waiting items at a decision (the budget counts them).
    #[inline]
    fn weigh(&self, n: usize) {
        self.weighed
            .set(self.weighed.get().saturating_add(n as u64));
    }

    /// What the policy may see when `stage` decides at `now`.
    fn context(&self, stage: usize, step: Step, now: Time) -> Context<'_> {
        Context {
            ahead: WorkAhead::of(self, stage, step == Step::Admit),
            ..self.context_without_ahead(stage, step, now)
        }
    }

    /// Days of work already ahead of an item at `stage`: what waits or is in service
    /// downstream (and, if it joins the `queued` items of this stage, those), each stage's
    /// items times its days per item ([`days_per_item`]). Items done at a stage that have not moved
    /// on yet (blocked by a full stage after it, or waiting for a train) wait for the next
    /// stage, so they count there: behind a full stage that pile is most of the wait. It
    /// ignores pipelining, so it errs towards seeing deadlines early.
    fn work_ahead(&self, stage: usize, queued: bool) -> f64 {
        let st = &self.stages;
        let mut ahead = 0.0;
        for (k, days) in self.days_per_item.iter().enumerate().skip(stage + 1) {
            // Done at the stage before but not yet here (blocked, or waiting for a train):
            // ahead of it here too.
            let before = &st[k - 1];
            let waiting = st[k].queue.len() + before.done.len() + before.awaiting_release.len();
            ahead += (waiting as f64 + f64::from(st[k].busy)) * days;
        }
        if queued {
            ahead += st[stage].queue.len() as f64 * self.days_per_item[stage];
        }
        ahead
    }

    /// [`FlowSim::context`] with the work ahead unknown (not a number).
    #[inline]
    fn context_without_ahead(&self, stage: usize, step: Step, now: Time) -> Context<'_> {
        Context {
            now,
            stage,
            step,
            stream: self.vs,
            effort_by_kind: self.effort_started,
            remaining_shares: &self.remaining_shares,
            ahead: WorkAhead::known(f64::NAN),
            debt_points: self.debt_points,
            completion_cv: self.completion_cv,
            busy: if self.measuring {
                BusyPeriod::of(self)
            } else {
                BusyPeriod::ENDLESS
            },
            backlog: None,
            weighed: Some(&self.weighed),
        }
    }

    /// The context in which the backlog ranking scores its settled items: the first stage
    /// admitting at `now`. A settled score does not depend on the work ahead, so it is left
    /// out (it costs a pass over the stages).
    fn rank_context(&self, now: Time) -> Context<'_> {
        self.context_without_ahead(0, Step::Admit, now)
    }

    /// Admits items into stage `s` while it has room, from the backlog or the previous stage's
    /// done column; whatever leaves the previous stage lets it pull in turn.
    fn pull_into(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        if !self.fcfs && self.has_room_always(s) {
            self.admit_every(s, now, cal);
            return;
        }
        let mut freed_upstream = false;
        while self.has_room(s) {
            let source = if s == 0 {
                &self.backlog
            } else {
                &self.stages[s - 1].done
            };
            if source.is_empty() {
                break;
            }
            debug_assert!(
                self.ignore_limits
                    || self.vs.stages[s]
                        .wip_limit
                        .is_none_or(|l| self.stages[s].wip < l),
                "invariant: a stage admits new work only below its WIP limit"
            );
            let Some(idx) = self.choose(source, s, Step::Admit, now) else {
                break;
            };
            let id = if s == 0 {
                let id = take(&mut self.backlog, idx);
                if let (Some(rank), Some(id)) = (&mut self.rank, id) {
                    rank.leave(id, &self.items);
                }
                id
            } else {
                self.stages[s - 1].wip -= 1;
                freed_upstream = true;
                take(&mut self.stages[s - 1].done, idx)
            }
            .expect("invariant: the policy picks an index of the waiting list");
            if s > 0 {
                self.spend(id, s - 1, Part::Blocked, now);
            }
            self.admit(s, id, now);
            self.try_start(s, now, cal);
        }
        if freed_upstream {
            self.refill(s - 1, now, cal);
        }
    }

    /// [`FlowSim::pull_into`] a stage that is never full: it takes every item its policy works
    /// on, in the order they wait, then starts what it can, the policy choosing among all of
    /// them. Taking one item at a time as the policy ranked them scored every waiting item
    /// for each item taken: a backlog of n items cost n²/2 scores (100,000 items: 82 s a
    /// replication). It also let work start between admissions, among the items taken so
    /// far, so results differ where a policy's scores at admission and at the start disagree
    /// or tie (WSJF's relative scores, CD3's queue ahead); the bundled scenarios are
    /// identical.
    #[inline(never)]
    fn admit_every(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        let mut waiting = if s == 0 {
            std::mem::take(&mut self.backlog)
        } else {
            std::mem::take(&mut self.stages[s - 1].done)
        };
        self.weigh(waiting.len());
        let mut left = 0;
        let mut freed_upstream = false;
        for i in 0..waiting.len() {
            let id = waiting[i];
            if !self.policy.works_on(self.items.get(id)) {
                // Kept, in order, at the front.
                waiting[left] = id;
                left += 1;
                continue;
            }
            if s > 0 {
                self.stages[s - 1].wip -= 1;
                freed_upstream = true;
                self.spend(id, s - 1, Part::Blocked, now);
            }
            self.admit(s, id, now);
        }
        waiting.truncate(left);
        if s == 0 {
            self.backlog = waiting;
        } else {
            self.stages[s - 1].done = waiting;
        }
        self.try_start(s, now, cal);
        if freed_upstream {
            self.refill(s - 1, now, cal);
        }
    }

    /// Stage `s` has just passed an item on: it pulls again where the room freed matters,
    /// where it was the limit (a WIP limit), or to a policy that may have declined items
    /// there before; first come, first served never does.
    #[inline]
    fn refill(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        if !self.fcfs || !self.has_room_always(s) {
            self.pull_into(s, now, cal);
        }
    }

    /// Charges the time since the item's current part began to `part` of stage `s` (to rework
    /// while it is being reworked), and starts its next part now.
    #[inline]
    fn spend(&mut self, id: ItemId, s: usize, part: Part, now: Time) {
        let (part, days) = self.items.get_mut(id).next_part(part, now);
        self.rec.spent(id, s, part, days);
    }

    #[inline(always)]
    fn admit(&mut self, s: usize, id: ItemId, now: Time) {
        let item = self.items.get_mut(id);
        item.stage = s as u16;
        item.since = now.days();
        if s == self.vs.commitment && item.committed.is_nan() {
            item.committed = now.days();
            item.active_before = item.active;
            self.uncommitted -= 1;
            self.rec.committed(now.days());
        }
        // Only a measuring policy waits for a slice in flight.
        let in_flight = self.measuring && item.started && item.epic != NO_EPIC;
        if self.trace.is_some() {
            self.trace_admit(s, id, now);
        }
        if in_flight {
            // Before it joins the queue: the items queued there are ahead of it.
            self.reestimate_flight(id, s, now);
        }
        let st = &mut self.stages[s];
        st.wip += 1;
        st.peak_wip = st.peak_wip.max(st.wip);
        st.queue.push_back(id);
    }

    /// Records in the trace that item `id` entered stage `s` (queued, or back for rework).
    #[inline(never)]
    fn trace_admit(&mut self, s: usize, id: ItemId, now: Time) {
        self.trace_room(0, 1, now);
        let item = self.items.get(id);
        if let Some(t) = &mut self.trace {
            t.count_step();
            let traced = &mut t.items[item.traced as usize];
            if s == self.vs.commitment && traced.committed.is_none() {
                traced.committed = Some(now.days());
            }
            let e = &mut traced.entered[s];
            if e.is_nan() {
                *e = now.days();
            }
            let state = if item.redo == NO_REDO {
                StepState::Queued
            } else {
                StepState::Rework
            };
            traced.steps.push(TraceStep {
                time: now.days(),
                stage: s as u16,
                state,
            });
        }
    }

    /// Starts waiting items in stage `s` while it has free capacity.
    #[inline]
    fn try_start(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        // Half the calls find nothing to start: they cost a check, not a call.
        let st = &self.stages[s];
        if !st.queue.is_empty() && st.busy < st.capacity {
            self.start_waiting(s, now, cal);
        }
    }

    /// [`FlowSim::try_start`] once something can start.
    #[inline(never)]
    fn start_waiting(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        let vs = self.vs;
        let workers = vs.stages[s].workers;
        let capacity = self.stages[s].capacity;
        // Debt only changes on delivery: one multiplier for every item started now.
        let drag = vs
            .debt
            .as_ref()
            .map_or(1.0, |d| d.multiplier(self.debt_points));
        loop {
            let st = &self.stages[s];
            if st.busy >= capacity || st.queue.is_empty() {
                break;
            }
            let idx = if self.fcfs {
                0
            } else {
                match self.choose(&st.queue, s, Step::Start, now) {
                    Some(idx) => idx,
                    None => break,
                }
            };
            let st = &mut self.stages[s];
            let id = take(&mut st.queue, idx)
                .expect("invariant: the policy picks an index of the waiting list");
            st.busy += 1;
            // Utilisation counts busy workers, not juggled items.
            let occupies = st.busy <= workers;
            let juggled = st.busy.div_ceil(workers);
            let factor = if self.juggle > 1 {
                drag * vs.context_switching.multiplier(juggled)
            } else {
                // One item per worker: nothing is shared.
                drag
            };
            let item = self.items.get_mut(id);
            if !item.started {
                item.started = true;
                if item.epic != NO_EPIC {
                    self.take_off(id, s, now);
                }
            }
            let item = self.items.get_mut(id);
            let dist = self.service[item.work_type() * vs.stages.len() + s];
            let service = dist.sample(&mut item.rng) * item.size * factor;
            item.service = service;
            // At most the juggle limit (100, `bounds::JUGGLE`); 1 without juggling.
            item.juggled = if self.juggle > 1 {
                u8::try_from(juggled.max(1)).unwrap_or(u8::MAX)
            } else {
                1
            };
            // The worker's time, as the effort delivered counts it (`service_done`).
            self.effort_started[item.kind.index()] += item.effort();
            let queued_since = item.since;
            let (part, waited) = item.next_part(Part::Queue, now);
            self.rec.started(s, queued_since, now.days(), occupies);
            self.rec.spent(id, s, part, waited);
            self.step(id, s, StepState::InService, now);
            cal.schedule(now + service, Event::ServiceDone(s as u16, id));
        }
    }

    /// Work on slice `id` started, at stage `s`: a measuring policy will measure it once it is
    /// delivered (if it can inform the team then), so its siblings can wait for that signal
    /// from now on. It is expected delivered when the estimated work left is done.
    fn take_off(&mut self, id: ItemId, s: usize, now: Time) {
        let vs = self.vs;
        let item = self.items.get(id);
        let (epic, slice, work_type, est_size) =
            (item.epic, item.slice, item.work_type(), item.est_size);
        let bet = &self.items.bets[epic as usize];
        let def = &vs.epics[bet.def()];
        if !self.policy.measures()
            || bet.stopped_at.is_finite()
            || !experiment_can_inform(def, now.days(), vs.horizon)
        {
            return;
        }
        let expected = self.expected_delivery(work_type, est_size, s, now.days(), false);
        let bet = &mut self.items.bets[epic as usize];
        // The ranking only tells a bet that awaits a signal from one that does not (its
        // slices' scores are then recomputed at every decision): tell it when that changes.
        let awaited = bet.awaits_signal();
        bet.flights.push((slice, expected));
        if !awaited {
            self.bet_changed(epic, now);
        }
    }

    /// The day an item of `work_type` estimated at `est_size`, at stage `s` on day `now`
    /// (`queued` there, or starting its work there), is expected delivered: after the work
    /// already ahead of it ([`FlowSim::work_ahead`]: all of it, not only what would go
    /// first as cost of delay counts it, since a signal expected too early is soon overdue and
    /// holds the siblings back as if the news were bad), its
    /// estimated work left, and on the way the wait for
    /// each stage's release train (trains leave every `release_every` days from day 0).
    fn expected_delivery(
        &self,
        work_type: usize,
        est_size: f64,
        s: usize,
        now: f64,
        queued: bool,
    ) -> f64 {
        let n = self.vs.stages.len();
        let ahead = self.work_ahead(s, queued);
        let shares = &self.remaining_shares[work_type * n..(work_type + 1) * n];
        let trains = self.vs.stages.iter().map(|st| st.release_every);
        delivery_day(shares, trains, est_size, s, now + ahead)
    }

    /// A started slice `id` entered the queue of stage `s` (on its way, or back for rework):
    /// if its signal is awaited, the day it is expected delivered is estimated again from
    /// where it is, with the work now ahead of it. An estimate made when its work started
    /// knows nothing of the queues it met since, and an overdue one would be expected any
    /// moment: its siblings would be held back for a signal that is far off.
    fn reestimate_flight(&mut self, id: ItemId, s: usize, now: Time) {
        let item = self.items.get(id);
        let (epic, slice, work_type, est_size) =
            (item.epic, item.slice, item.work_type(), item.est_size);
        let flights = &self.items.bets[epic as usize].flights;
        let Some(k) = flights.iter().position(|&(f, _)| f == slice) else {
            return;
        };
        let expected = self.expected_delivery(work_type, est_size, s, now.days(), true);
        self.items.bets[epic as usize].flights[k].1 = expected;
    }

    /// Counts item `id`'s estimated size, for the busy period, from stage `to` on: the first
    /// stage whose work on it is not done (`None`: it leaves the value stream).
    fn unworked(&mut self, id: ItemId, to: Option<usize>) {
        let n = self.vs.stages.len();
        let item = self.items.get_mut(id);
        let (w, from, size) = (item.work_type(), usize::from(item.unworked), item.est_size);
        let to = to.unwrap_or(n).min(n);
        item.unworked = to as u16;
        if from < n {
            self.live_size[w * n + from] -= size;
        }
        if to < n {
            self.live_size[w * n + to] += size;
        }
    }

    fn service_done(&mut self, s: usize, id: ItemId, now: Time, cal: &mut Calendar<Event>) {
        self.stages[s].busy -= 1;
        let frees = self.stages[s].busy < self.vs.stages[s].workers;
        let stage = &self.vs.stages[s];
        let item = self.items.get_mut(id);
        // The worker's effort, and the item's active (touch) time in flow efficiency.
        let effort = item.effort();
        item.active += effort;
        let counted = self.rec.counts(item.arrival.days());
        let work = WorkDone {
            counted,
            kind: item.kind.index(),
            wasted: item.failed_bet,
            effort,
        };
        self.rec.finished(s, now.days(), item.service, work, frees);
        item.ready_at = now;
        let rework_to = stage
            .rework
            .as_ref()
            .filter(|r| uniform01(&mut item.rng) < r.probability)
            .map(|r| r.to);
        self.spend(id, s, Part::Touch, now);
        let item = self.items.get_mut(id);
        match rework_to {
            // Rework lasts until the stage that sent it back has finished it again.
            Some(_) if item.redo == NO_REDO || usize::from(item.redo) < s => item.redo = s as u16,
            Some(_) => {}
            None if usize::from(item.redo) == s => item.redo = NO_REDO,
            None => {}
        }
        if self.measuring {
            // Its work at this stage is done, or sent back to be done again from `to` on.
            self.unworked(id, Some(rework_to.unwrap_or(s + 1)));
        }
        match rework_to {
            Some(to) => {
                self.stages[s].wip -= 1;
                self.admit(to, id, now);
                self.try_start(to, now, cal);
                self.try_start(s, now, cal);
                self.pull_into(s, now, cal);
            }
            None if stage.release_every.is_some() => {
                self.stages[s].awaiting_release.push(id);
                self.step(id, s, StepState::AwaitingRelease, now);
                self.try_start(s, now, cal);
                self.move_on(s, now, cal);
            }
            None => {
                self.step(id, s, StepState::Done, now);
                self.try_start(s, now, cal);
                self.hand_on(s, id, now, cal);
            }
        }
    }

    /// Puts an item in the done column of `s`, where it waits for the next stage.
    /// (Its `Done` step is the caller's to record.)
    fn finished_in(&mut self, s: usize, id: ItemId, now: Time) {
        self.items.get_mut(id).ready_at = now;
        self.stages[s].done.push_back(id);
    }

    /// Records in the trace, if any, that item `id` is now `state` in stage `s`.
    #[inline]
    fn step(&mut self, id: ItemId, s: usize, state: StepState, now: Time) {
        if self.trace.is_some() {
            self.trace_room(0, 1, now);
        }
        if let Some(t) = &mut self.trace {
            t.count_step();
            t.items[self.items.get(id).traced as usize]
                .steps
                .push(TraceStep {
                    time: now.days(),
                    stage: s as u16,
                    state,
                });
        }
    }

    /// Item `id` has just been done in stage `s` (and the stage has started what it could).
    /// Where nothing else is done in `s`, and either `s` is the last stage or the next one has
    /// room and takes work first come, first served, the item moves on at once, exactly as
    /// through the done column and [`FlowSim::move_on`] but without them: the common case,
    /// on the engine's hot path. Otherwise it waits in the done column.
    fn hand_on(&mut self, s: usize, id: ItemId, now: Time, cal: &mut Calendar<Event>) {
        let last = s + 1 == self.stages.len();
        if !self.stages[s].done.is_empty() || !(last || (self.fcfs && self.has_room(s + 1))) {
            self.finished_in(s, id, now);
            self.move_on(s, now, cal);
            return;
        }
        self.stages[s].wip -= 1;
        self.spend(id, s, Part::Blocked, now);
        if last {
            self.deliver(id, now, cal);
            self.pull_into(s, now, cal);
        } else {
            self.admit(s + 1, id, now);
            self.try_start(s + 1, now, cal);
            // What `pull_into(s + 1)` does once it has freed room upstream.
            self.refill(s, now, cal);
        }
    }

    /// Moves done items out of stage `s`: out of the value stream from the last stage, into the
    /// next stage as far as it has room otherwise.
    fn move_on(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        if s + 1 < self.stages.len() {
            self.pull_into(s + 1, now, cal);
            return;
        }
        if self.stages[s].done.is_empty() {
            return;
        }
        while let Some(id) = self.stages[s].done.pop_front() {
            self.stages[s].wip -= 1;
            self.spend(id, s, Part::Blocked, now);
            self.deliver(id, now, cal);
        }
        self.pull_into(s, now, cal);
    }

    /// An item leaves the last stage: record it, account its value, debt and consequences.
    fn deliver(&mut self, id: ItemId, now: Time, cal: &mut Calendar<Event>) {
        let vs = self.vs;
        let item = self.items.get_mut(id);
        let arrival = item.arrival.days();
        let kind = item.kind;
        self.rec.departed(
            id,
            item.work_type(),
            kind.index(),
            now.days(),
            arrival,
            item.committed,
            item.active,
            item.active - item.active_before,
        );
        let wt = &vs.work_types[item.work_type()];
        // Defects this item causes, drawn from its own stream.
        let spawn = wt.spawns.as_ref().and_then(|sp| {
            (uniform01(&mut item.rng) < sp.probability)
                .then(|| (sp.work_type, sp.delay.sample(&mut item.rng)))
        });
        let (key, epic, slice) = (item.key, item.epic, item.slice);
        if let Some(t) = &mut self.trace {
            t.items[item.traced as usize].delivered = Some(now.days());
        }
        if epic == NO_EPIC {
            let due = arrival + wt.urgency.deadline;
            if due.is_finite() {
                self.rec.deadline(due, Some(now.days()));
            }
        }
        if self.rec.tracks_value() {
            // The cost-of-delay ideal is the item's expected touch time, free of debt drag and
            // juggling, the same for delivered and undelivered items.
            let item = self.items.get(id);
            let ideal = arrival + self.ideal_touch(item);
            self.rec.value(
                &item.urgency(vs),
                item.value,
                arrival,
                Some(now.days()),
                ideal,
                f64::INFINITY,
            );
        }
        if let Some(debt) = &vs.debt {
            match kind {
                Kind::Feature => self.debt_points += debt.per_feature,
                Kind::Debt => {
                    self.debt_points = (self.debt_points - debt.per_debt_item).max(0.0);
                }
                Kind::Defect | Kind::Risk => {}
            }
        }
        if let Some((work_type, delay)) = spawn {
            let slot = match self.free_spawns.pop() {
                Some(i) => {
                    self.pending_spawns[i as usize] = (work_type as u16, key);
                    i
                }
                None => {
                    self.pending_spawns.push((work_type as u16, key));
                    (self.pending_spawns.len() - 1) as u32
                }
            };
            cal.schedule(now + delay, Event::Spawn(slot));
        }
        self.live_by_kind[kind.index()] -= 1;
        if self.measuring {
            self.unworked(id, None);
        }
        self.items.remove(id);
        if epic != NO_EPIC {
            self.slice_delivered(epic, slice, now, cal);
        }
    }

    /// A slice of `epic` was delivered: a measuring policy measures it (the signal comes back
    /// after the feedback delay, if before the horizon and if it can inform the team: see
    /// [`experiment_can_inform`]); the last slice completes the epic.
    fn slice_delivered(&mut self, epic: u32, slice: u16, now: Time, cal: &mut Calendar<Event>) {
        let vs = self.vs;
        let bet = &mut self.items.bets[epic as usize];
        let def = &vs.epics[bet.def()];
        bet.remaining -= 1;
        // The ranking only tells a bet that awaits a signal from one that does not: it is told
        // when that changes (see `take_off`).
        let awaited = bet.awaits_signal();
        if let Some(k) = bet.flights.iter().position(|&(f, _)| f == slice) {
            bet.flights.swap_remove(k);
        }
        let stopped = bet.stopped_at.is_finite();
        let measured = !stopped
            && self.policy.measures()
            && experiment_can_inform(def, now.days(), vs.horizon);
        if measured {
            bet.signals.push_back(now.days() + def.feedback_delay);
            cal.schedule(now + def.feedback_delay, Event::Feedback(epic, slice));
        }
        if bet.remaining == 0 {
            if stopped {
                let until = bet.stopped_at;
                self.account_epic(epic, None, until);
            } else {
                self.account_epic(epic, Some(now.days()), f64::INFINITY);
            }
        }
        if awaited != self.items.bets[epic as usize].awaits_signal() {
            self.bet_changed(epic, now);
        }
    }

    /// Charges an epic's exposure (its penalty and daily cost, once per epic): `completed` is
    /// when its last slice was delivered, `until` when it was stopped. A stopped epic's daily
    /// cost stops with it (sunk cost), but stopping does not escape its deadline: one that
    /// falls due by the horizon is missed, and its penalty is charged all the same.
    fn account_epic(&mut self, epic: u32, completed: Option<f64>, until: f64) {
        let bet = &self.items.bets[epic as usize];
        let exposure = bet.exposure(self.vs);
        if exposure.deadline.is_finite() {
            self.rec
                .deadline(bet.arrival.days() + exposure.deadline, completed);
        }
        if exposure.penalty == 0.0 && exposure.cost_per_day == 0.0 {
            return;
        }
        let arrival = bet.arrival.days();
        let ideal = arrival + bet.ideal_work;
        if until.is_finite() && exposure.penalty != 0.0 {
            // The daily cost up to the stop day, then the penalty when the deadline passes.
            let daily = Urgency {
                penalty: 0.0,
                ..exposure
            };
            let penalty = Urgency {
                cost_per_day: 0.0,
                ..exposure
            };
            self.rec.value(&daily, 0.0, arrival, None, ideal, until);
            self.rec
                .value(&penalty, 0.0, arrival, None, ideal, f64::INFINITY);
        } else {
            self.rec
                .value(&exposure, 0.0, arrival, completed, ideal, until);
        }
    }

    /// The touch time of the cost-of-delay ideal of `item`: its expected work, free of debt
    /// drag and juggling, for a slice as if its epic were cut evenly. A thin first experiment
    /// and larger slices after it would otherwise lower the benchmark itself (slices built
    /// one after another, each worth its share of the work, wait least when equal), and the
    /// cost of delay of two policies that slice differently would not be measured alike.
    #[inline]
    fn ideal_touch(&self, item: &WorkItem) -> f64 {
        let work = self.expected_work[item.work_type()] * item.size;
        match self.items.bet_of(item) {
            Some(bet) if bet.thin => {
                let def = &self.vs.epics[bet.def()];
                work / slice_units(def, u32::from(item.slice), true)
            }
            _ => work,
        }
    }

    /// Accounts an item that will never be delivered (still in the system at the horizon, or
    /// stopped).
    /// `until` is when it was stopped (nothing accrues after; `INFINITY` if it was not).
    fn account_undelivered(&mut self, id: ItemId, until: f64) {
        let vs = self.vs;
        let item = self.items.get(id);
        let arrival = item.arrival.days();
        let ideal = arrival + self.ideal_touch(item);
        let urgency = item.urgency(vs);
        if item.epic == NO_EPIC && urgency.deadline.is_finite() {
            self.rec.deadline(arrival + urgency.deadline, None);
        }
        self.rec
            .value(&urgency, item.value, arrival, None, ideal, until);
    }

    /// The signal of a measured slice comes back: the team updates its belief in the
    /// hypothesis by Bayes' rule, then the policy decides whether the bet is still worth its
    /// remaining slices. What the signal shows is drawn from the slice's own stream, so every
    /// measuring policy sees the same signal for the same slice.
    fn feedback(&mut self, epic: u32, slice: u16, now: Time, cal: &mut Calendar<Event>) {
        let vs = self.vs;
        let bet = &mut self.items.bets[epic as usize];
        bet.signals.pop_front();
        if bet.stopped_at.is_finite() || bet.remaining == 0 {
            self.bet_changed(epic, now);
            return;
        }
        let def = &vs.epics[bet.def()];
        let noise = uniform01(&mut rng::stream(&[
            self.rep_key,
            STREAM_SIGNAL,
            u64::from(bet.def),
            u64::from(epic),
            u64::from(slice),
        ]));
        let positive = if bet.holds {
            noise >= def.false_negative
        } else {
            noise < def.false_positive
        };
        bet.belief = belief::update(bet.belief, positive, def.false_positive, def.false_negative);
        self.bet_changed(epic, now);
        let mut ctx = self.context(0, Step::Admit, now);
        ctx.backlog = self.rank.as_ref();
        // What waits to be started: the backlog and every stage's queue.
        let waiting: Vec<&VecDeque<ItemId>> = std::iter::once(&self.backlog)
            .chain(self.stages.iter().map(|st| &st.queue))
            .collect();
        // The policy counts what its stop rule weighs beyond this (`Context::weigh`).
        self.weigh(waiting.iter().map(|list| list.len()).sum());
        if !self
            .policy
            .stop_bet(epic as usize, &waiting, &self.items, &ctx)
        {
            self.rec.bet_decided(true, 0);
            return;
        }
        // Stop: drop its slices not yet started (in the backlog or queued in a stage); slices
        // in service or finished in a stage go on to delivery. List 0 is the backlog, list
        // s + 1 the queue of stage s.
        let mut doomed: Vec<(usize, ItemId)> = Vec::new();
        let lists = std::iter::once(&self.backlog).chain(self.stages.iter().map(|st| &st.queue));
        for (l, list) in lists.enumerate() {
            doomed.extend(
                list.iter()
                    .filter(|&&id| self.items.get(id).epic == epic)
                    .map(|&id| (l, id)),
            );
        }
        for &(l, id) in &doomed {
            let list = match l {
                0 => &mut self.backlog,
                _ => &mut self.stages[l - 1].queue,
            };
            let at = list
                .iter()
                .position(|&x| x == id)
                .expect("invariant: the slice was found in this list");
            list.remove(at);
            if let (0, Some(rank)) = (l, &mut self.rank) {
                rank.leave(id, &self.items);
            }
            if l > 0 {
                self.stages[l - 1].wip -= 1;
                let since = self.items.get(id).since;
                self.rec.dequeued(l - 1, since, now.days());
            }
            self.drop_item(id, now);
        }
        let dropped = doomed.len() as u32;
        let bet = &mut self.items.bets[epic as usize];
        bet.remaining -= dropped;
        bet.stopped_at = now.days();
        self.rec.bet_decided(false, u64::from(dropped));
        if bet.remaining == 0 {
            // Nothing of it is left in flight: its exposure stops here.
            self.account_epic(epic, None, now.days());
        }
        for s in 0..self.stages.len() {
            self.pull_into(s, now, cal);
        }
    }

    /// The team's belief in bet `epic`, or its pending signals, changed: the backlog ranking
    /// scores its slices again.
    fn bet_changed(&mut self, epic: u32, now: Time) {
        if let Some(mut rank) = self.rank.take() {
            rank.bet_changed(epic as usize, &self.items, &self.rank_context(now));
            self.rank = Some(rank);
        }
    }

    /// Removes a stopped slice from the replication; it accrues nothing after `now`.
    fn drop_item(&mut self, id: ItemId, now: Time) {
        self.account_undelivered(id, now.days());
        let item = self.items.get(id);
        self.rec
            .dropped(now.days(), item.arrival.days(), item.committed);
        if item.committed.is_nan() {
            self.uncommitted -= 1;
        }
        if let Some(t) = &mut self.trace {
            t.items[item.traced as usize].dropped = Some(now.days());
        }
        self.live_by_kind[item.kind.index()] -= 1;
        if self.measuring {
            self.unworked(id, None);
        }
        self.items.remove(id);
    }

    fn release(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        let released = std::mem::take(&mut self.stages[s].awaiting_release);
        for &id in &released {
            self.spend(id, s, Part::Release, now);
            self.finished_in(s, id, now);
            self.step(id, s, StepState::Done, now);
        }
        // Hand the emptied buffer back to keep its allocation.
        self.stages[s].awaiting_release = released;
        self.stages[s].awaiting_release.clear();
        self.move_on(s, now, cal);
        if let Some(every) = self.vs.stages[s].release_every {
            cal.schedule(now + every, Event::Release(s as u16));
        }
    }
}

/// Whether measuring a slice of epic `def` at day `at` can tell the team anything before the
/// `horizon`: its signal carries information (α + β ≠ 1), the belief can move (a prior
/// strictly between 0 and 1) and matters (a failed bet is worth other than one that holds),
/// and the signal can come back in time. Otherwise a measuring policy neither measures nor
/// builds a thin first experiment, and so decides exactly as without measuring: a thin slice
/// would be pure cost, as an uneven split delays the epic's value (the value-weighted wait of
/// slices built one after another, each worth its share of the work, is least when they are
/// equal) and no signal pays for it.
fn experiment_can_inform(def: &crate::model::Epic, at: f64, horizon: f64) -> bool {
    belief::informative(def.false_positive, def.false_negative)
        && def.success_probability > 0.0
        && def.success_probability < 1.0
        && def.failed_value != 1.0
        && at + def.feedback_delay < horizon
}

/// Units of work of slice `slice` of an epic of definition `def` (an even slice is 1): cut
/// thinly, the first is the epic's `experiment_size` and the rest share the remainder.
fn slice_units(def: &crate::model::Epic, slice: u32, thin: bool) -> f64 {
    let slices = f64::from(def.slices);
    match (thin, slice) {
        (false, _) => 1.0,
        (true, 0) => def.experiment_size,
        (true, _) => (slices - def.experiment_size) / (slices - 1.0),
    }
}

/// Removes entry `idx`; the front (the common case) without shifting anything.
#[inline]
fn take(list: &mut VecDeque<ItemId>, idx: usize) -> Option<ItemId> {
    if idx == 0 {
        list.pop_front()
    } else {
        list.remove(idx)
    }
}

/// A uniform draw in [0, 1) from the top 53 bits, independent of rand's float conversions.
#[inline]
fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A multiplicative estimation error exp(sigma Z); exactly 1 (and no draw) when sigma is 0.
fn lognormal_noise<R: Rng + ?Sized>(rng: &mut R, sigma: f64) -> f64 {
    if sigma > 0.0 {
        let z: f64 = StandardNormal.sample(rng);
        (sigma * z).exp()
    } else {
        1.0
    }
}

impl Model for FlowSim<'_> {
    type Event = Event;

    /// Too many items alive at once (the replication stops before memory runs out), or the
    /// policy has weighed more waiting items than the event budget allows.
    #[inline]
    fn stopped(&self) -> bool {
        self.items.len() as u64 > self.vs.limits.items || self.weighed.get() > self.weigh_budget
    }

    #[inline]
    fn handle(&mut self, now: Time, event: Event, cal: &mut Calendar<Event>) {
        match event {
            Event::Arrival(w) => {
                let w = usize::from(w);
                self.create_item(w, now, Origin::Own);
                self.schedule_arrival(w, now, cal);
                self.pull_into(0, now, cal);
            }
            Event::EpicArrival(e) => {
                let e = usize::from(e);
                self.create_epic(e, now);
                self.schedule_epic_arrival(e, now, cal);
                self.pull_into(0, now, cal);
            }
            Event::ServiceDone(s, id) => self.service_done(usize::from(s), id, now, cal),
            Event::Release(s) => self.release(usize::from(s), now, cal),
            Event::Spawn(slot) => {
                let (w, parent) = self.pending_spawns[slot as usize];
                self.free_spawns.push(slot);
                self.create_item(usize::from(w), now, Origin::Spawned { parent });
                self.pull_into(0, now, cal);
            }
            Event::Feedback(epic, slice) => self.feedback(epic, slice, now, cal),
            Event::Snapshot(k) => {
                self.schedule_snapshot(usize::from(k) + 1, cal);
                let defects = self.live_by_kind[Kind::Defect.index()];
                let live = self.items.len() as u64;
                let wip = live - self.uncommitted;
                self.rec
                    .snapshot(usize::from(k), wip, self.uncommitted, defects);
            }
        }
        // Blocking only changes while handling an event, so it is recorded once per event,
        // and only where a WIP limit can block.
        for i in 0..self.limited.len() {
            let s = self.limited[i];
            let level = self.blocked_workers(s);
            self.rec.blocked(s, now.days(), level);
        }
    }
}

/// The day an item estimated at `est_size` whose work at stage `s` starts on day `now` is
/// expected delivered, where `shares[j]` is the share of its expected work from stage `j` on
/// and `trains[j]` the days between stage `j`'s release trains: its estimated work left, and
/// on the way the wait for each train (trains leave every `release_every` days from day 0).
/// Queues and rework are left out: an estimate of the work, not a forecast of the flow.
fn delivery_day(
    shares: &[f64],
    trains: impl Iterator<Item = Option<f64>> + Clone,
    est_size: f64,
    s: usize,
    now: f64,
) -> f64 {
    if trains.clone().skip(s).all(|every| every.is_none()) {
        return now + est_size * shares[s];
    }
    let mut at = now;
    for (j, every) in trains.enumerate().skip(s) {
        let after = shares.get(j + 1).copied().unwrap_or(0.0);
        at += est_size * (shares[j] - after);
        if let Some(every) = every {
            // The next train at or after the work is done.
            at = (at / every).ceil() * every;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::{busy_days, days_per_item, delivery_day};
    use crate::model::{Dist, Stage, ValueStream, WorkType};

    /// Three stages taking half, a quarter and a quarter of an item's work.
    const SHARES: [f64; 3] = [1.0, 0.5, 0.25];

    #[test]
    fn without_a_train_an_item_is_expected_once_its_work_is_done() {
        let trains = [None, None, None];
        assert_eq!(
            delivery_day(&SHARES, trains.into_iter(), 8.0, 0, 10.0),
            18.0
        );
        // Started at the second stage: half its work is left.
        assert_eq!(
            delivery_day(&SHARES, trains.into_iter(), 8.0, 1, 10.0),
            14.0
        );
    }

    #[test]
    fn a_train_on_the_way_delays_delivery_to_its_next_departure() {
        // Stage 0 releases every 30 days: its 4 days of work are done on day 14, the train
        // leaves on day 30, and stages 1 and 2 take 2 days each.
        let trains = [Some(30.0), None, None];
        assert_eq!(
            delivery_day(&SHARES, trains.into_iter(), 8.0, 0, 10.0),
            34.0
        );
        // A train already behind the item changes nothing.
        assert_eq!(
            delivery_day(&SHARES, trains.into_iter(), 8.0, 1, 10.0),
            14.0
        );
        // Trains at two stages: each waits for its own. Stage 1's work is done on day 32;
        // its train (every 7 days) leaves on day 35; the last 2 days end on day 37.
        let trains = [Some(30.0), Some(7.0), None];
        assert_eq!(
            delivery_day(&SHARES, trains.into_iter(), 8.0, 0, 10.0),
            37.0
        );
    }

    #[test]
    fn work_done_on_the_day_a_train_leaves_catches_it() {
        // Done on day 30 exactly: that day's train takes it.
        let trains = [Some(30.0), None, None];
        assert_eq!(
            delivery_day(&SHARES, trains.into_iter(), 8.0, 0, 26.0),
            34.0
        );
    }

    /// Two work types over two stages: a unit of size of the first brings 1 day per worker
    /// to stage 0 and 0.5 to stage 1, of the second 0.25 and 2 (work type major).
    const STAGE_DAYS: [f64; 4] = [1.0, 0.5, 0.25, 2.0];
    /// Items of size 4 of the first type and 2 of the second, no stage's work done yet (work
    /// type major, by the first stage of work not done).
    const UNSTARTED: [f64; 4] = [4.0, 0.0, 2.0, 0.0];

    #[test]
    fn a_day_of_estimated_work_brings_each_stage_its_share_over_its_workers() {
        // Build (1 worker, 1 day an item) then test (2 workers, 3 days): an item's estimated
        // work is its 4 days over both stages. It keeps build busy 1 day and test 1.5 days;
        // the busy period of that one item is the longer, not its 4 days once more per stage.
        let stage = |name: &str, workers, mean| Stage {
            name: name.into(),
            workers,
            wip_limit: None,
            service: Dist::exponential(mean).expect("a positive mean"),
            rework: None,
            release_every: None,
        };
        let vs = ValueStream::new(
            vec![stage("build", 1, 1.0), stage("test", 2, 3.0)],
            vec![WorkType::new("job", 2)],
            100.0,
            0.0,
        );
        let days = super::stage_days(&vs);
        assert_eq!(days, vec![0.25, 0.375]);
        assert_eq!(busy_days(&[4.0, 0.0], &days, &[0.0, 0.0], 1.0), 1.5);
    }

    #[test]
    fn with_no_arrivals_the_team_is_busy_until_its_slowest_stage_clears_its_work() {
        // Stage 0: 4 × 1 + 2 × 0.25 = 4.5 days; stage 1: 4 × 0.5 + 2 × 2 = 6 days.
        assert_eq!(busy_days(&UNSTARTED, &STAGE_DAYS, &[0.0, 0.0], 1.0), 6.0);
        // Nothing live: no busy period.
        assert_eq!(busy_days(&[0.0; 4], &STAGE_DAYS, &[0.0, 0.0], 1.0), 0.0);
    }

    #[test]
    fn work_already_done_at_a_stage_keeps_no_one_busy_there() {
        // The second type's items are past stage 0: stage 0 has 4 days, stage 1 still 6.
        assert_eq!(
            busy_days(&[4.0, 0.0, 0.0, 2.0], &STAGE_DAYS, &[0.0, 0.0], 1.0),
            6.0
        );
        // Every item past stage 0: stage 1's 4 × 0.5 + 2 × 2 = 6 days, stage 0 idle.
        assert_eq!(
            busy_days(&[0.0, 4.0, 0.0, 2.0], &STAGE_DAYS, &[0.5, 0.0], 1.0),
            6.0
        );
        // Only the first type's items left, past stage 0: 2 days at stage 1.
        assert_eq!(
            busy_days(&[0.0, 4.0, 0.0, 0.0], &STAGE_DAYS, &[0.0, 0.0], 1.0),
            2.0
        );
    }

    #[test]
    fn arrivals_stretch_the_busy_period_by_one_over_the_capacity_they_leave_free() {
        // Stage 0 half loaded by arrivals: 4.5 / 0.5 = 9 days, longer than stage 1's 6.
        assert_eq!(busy_days(&UNSTARTED, &STAGE_DAYS, &[0.5, 0.0], 1.0), 9.0);
        // Debt drag slows the work there and the arrivals alike: 4.5 × 1.25 / (1 − 0.625).
        let dragged = busy_days(&UNSTARTED, &STAGE_DAYS, &[0.5, 0.0], 1.25);
        assert!((dragged - 15.0).abs() < 1e-12, "{dragged}");
    }

    #[test]
    fn a_stage_the_arrivals_alone_fill_is_never_done() {
        let days = busy_days(&UNSTARTED, &STAGE_DAYS, &[0.2, 1.0], 1.0);
        assert_eq!(days, f64::INFINITY);
        // Drag can fill a stage the arrivals alone would not.
        let days = busy_days(&[0.0; 4], &STAGE_DAYS, &[0.8, 0.0], 1.3);
        assert_eq!(days, f64::INFINITY);
    }

    #[test]
    fn a_stage_takes_its_service_over_the_items_it_works_on_at_once_and_a_train_over_its_limit() {
        let stage = |workers, wip_limit, release_every| crate::model::Stage {
            name: "s".into(),
            workers,
            wip_limit,
            service: crate::model::Dist::exponential(0.3).expect("a positive mean"),
            rework: None,
            release_every,
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // Three workers, no limit: a mean of 0.3 days over 3.
        assert!(close(days_per_item(&stage(3, None, None), false), 0.1));
        // A WIP limit of 2 lets two work at once.
        assert!(close(days_per_item(&stage(3, Some(2), None), false), 0.15));
        // Held for a fortnightly train under that limit: two items a fortnight.
        assert!(close(
            days_per_item(&stage(3, Some(2), Some(14.0)), false),
            7.0
        ));
        // A train without a limit passes everything done by then.
        assert!(close(
            days_per_item(&stage(3, None, Some(14.0)), false),
            0.1
        ));
        // A policy that ignores WIP limits is held by neither.
        assert!(close(
            days_per_item(&stage(3, Some(2), Some(14.0)), true),
            0.1
        ));
    }
}
