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
//! 5. Leaving the last stage, it departs and its lead time is recorded.
//!
//! Rework re-enters its target stage at once, even above that stage's WIP limit: blocking a
//! loop back would deadlock a full pull system. The stage then admits no new work until it is
//! below its limit again.

use super::ValueStream;
use crate::engine::{self, rng, Calendar, Model, Time};
use crate::metrics::{Recorder, ReplicationResult};
use crate::policy::{Context, Policy, Step};
use rand::Rng;
use std::collections::VecDeque;

/// Identifies a live work item within one replication (slots are reused after departure).
pub type ItemId = u32;

/// Random stream kinds within a replication.
const STREAM_ARRIVALS: u64 = 1;
const STREAM_ITEM: u64 = 2;

/// One unit of work flowing through the value stream.
#[derive(Clone, Debug)]
pub struct WorkItem {
    work_type: u16,
    stage: u16,
    number: u64,
    arrival: Time,
    ready_at: Time,
    service: f64,
    active: f64,
    rng: rng::Stream,
}

impl WorkItem {
    /// Index of the item's work type.
    #[inline]
    pub fn work_type(&self) -> usize {
        usize::from(self.work_type)
    }
    /// Index of the stage the item is in or waiting for.
    pub fn stage(&self) -> usize {
        usize::from(self.stage)
    }
    /// Sequence number among items of its work type (0 for the first).
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
    /// Days of work done on it so far.
    pub fn active(&self) -> f64 {
        self.active
    }
}

/// The live items of a replication, in reusable slots.
#[derive(Debug, Default)]
pub struct ItemTable {
    slots: Vec<WorkItem>,
    free: Vec<ItemId>,
}

impl ItemTable {
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
}

/// The events of the flow model.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// The next item of a work type arrives.
    Arrival(u16),
    /// A worker of a stage finishes an item.
    ServiceDone(u16, ItemId),
    /// A stage releases its finished items.
    Release(u16),
}

/// The state of one replication.
pub struct FlowSim<'a> {
    vs: &'a ValueStream,
    policy: &'a dyn Policy,
    rep_key: u64,
    items: ItemTable,
    backlog: VecDeque<ItemId>,
    stages: Vec<StageState>,
    arrivals: Vec<rng::Stream>,
    next_number: Vec<u64>,
    rec: Recorder,
}

/// Runs replication `index` of `vs` under `policy`, seeded from `seed`.
pub fn simulate(vs: &ValueStream, policy: &dyn Policy, seed: u64, index: u64) -> ReplicationResult {
    let mut sim = FlowSim::new(vs, policy, seed, index);
    let mut cal = Calendar::new();
    sim.start(&mut cal);
    let events = engine::run(&mut sim, &mut cal, Time::from_days(vs.horizon));
    sim.finish(events)
}

impl<'a> FlowSim<'a> {
    fn new(vs: &'a ValueStream, policy: &'a dyn Policy, seed: u64, index: u64) -> Self {
        let rep_key = rng::key(&[seed, index]);
        FlowSim {
            vs,
            policy,
            rep_key,
            items: ItemTable::default(),
            backlog: VecDeque::new(),
            stages: (0..vs.stages.len())
                .map(|_| StageState::default())
                .collect(),
            arrivals: (0..vs.work_types.len() as u64)
                .map(|w| rng::stream(&[rep_key, STREAM_ARRIVALS, w]))
                .collect(),
            next_number: vec![0; vs.work_types.len()],
            rec: Recorder::new(index, vs.stages.len(), vs.work_types.len(), vs.warmup),
        }
    }

    fn start(&mut self, cal: &mut Calendar<Event>) {
        let now = Time::ZERO;
        for (w, wt) in self.vs.work_types.iter().enumerate() {
            for _ in 0..wt.backlog {
                self.create_item(w, now);
            }
        }
        for w in 0..self.vs.work_types.len() {
            self.schedule_arrival(w, now, cal);
        }
        for (s, stage) in self.vs.stages.iter().enumerate() {
            if let Some(every) = stage.release_every {
                cal.schedule(now + every, Event::Release(s as u16));
            }
        }
        self.pull_into(0, now, cal);
    }

    fn finish(self, events: u64) -> ReplicationResult {
        let workers: Vec<u32> = self.vs.stages.iter().map(|s| s.workers).collect();
        let mut result =
            self.rec
                .finish(self.vs.horizon, self.items.len() as u64, events, &workers);
        for (obs, st) in result.stages.iter_mut().zip(&self.stages) {
            obs.peak_wip = st.peak_wip;
        }
        result
    }

    fn schedule_arrival(&mut self, w: usize, now: Time, cal: &mut Calendar<Event>) {
        if let Some(rate) = self.vs.work_types[w].arrival_rate {
            // Inverse transform keeps the arrival stream's draws independent of rand_distr.
            let u: f64 = 1.0 - uniform01(&mut self.arrivals[w]);
            cal.schedule(now + (-u.ln() / rate), Event::Arrival(w as u16));
        }
    }

    fn create_item(&mut self, w: usize, now: Time) {
        let number = self.next_number[w];
        self.next_number[w] += 1;
        let item = WorkItem {
            work_type: w as u16,
            stage: 0,
            number,
            arrival: now,
            ready_at: now,
            service: 0.0,
            active: 0.0,
            rng: rng::stream(&[self.rep_key, STREAM_ITEM, w as u64, number]),
        };
        let id = self.items.insert(item);
        self.backlog.push_back(id);
        self.rec.arrived(now.days());
        self.rec.waiting(0, now.days(), 1.0);
    }

    #[inline]
    fn has_room(&self, s: usize) -> bool {
        match self.vs.stages[s].wip_limit {
            None => true,
            Some(limit) => self.stages[s].wip < limit,
        }
    }

    #[inline]
    fn choose(&self, waiting: &VecDeque<ItemId>, s: usize, step: Step, now: Time) -> usize {
        if waiting.len() == 1 {
            return 0;
        }
        let ctx = Context {
            now,
            stage: s,
            step,
            stream: self.vs,
        };
        self.policy.choose(waiting, &self.items, &ctx)
    }

    /// Admits items into stage `s` while it has room, from the backlog or the previous stage's
    /// done column; whatever leaves the previous stage lets it pull in turn.
    fn pull_into(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
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
                self.vs.stages[s]
                    .wip_limit
                    .is_none_or(|l| self.stages[s].wip < l),
                "invariant: a stage admits new work only below its WIP limit"
            );
            let idx = self.choose(source, s, Step::Admit, now);
            let id = if s == 0 {
                self.backlog.remove(idx)
            } else {
                self.stages[s - 1].wip -= 1;
                freed_upstream = true;
                self.stages[s - 1].done.remove(idx)
            }
            .expect("invariant: the policy picks an index of the waiting list");
            self.admit(s, id);
            self.try_start(s, now, cal);
        }
        if freed_upstream {
            self.pull_into(s - 1, now, cal);
        }
    }

    #[inline]
    fn admit(&mut self, s: usize, id: ItemId) {
        self.items.get_mut(id).stage = s as u16;
        let st = &mut self.stages[s];
        st.wip += 1;
        st.peak_wip = st.peak_wip.max(st.wip);
        st.queue.push_back(id);
    }

    /// Starts waiting items in stage `s` while it has free workers.
    fn try_start(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        while self.stages[s].busy < self.vs.stages[s].workers && !self.stages[s].queue.is_empty() {
            let idx = self.choose(&self.stages[s].queue, s, Step::Start, now);
            let id = self.stages[s]
                .queue
                .remove(idx)
                .expect("invariant: the policy picks an index of the waiting list");
            self.stages[s].busy += 1;
            let vs = self.vs;
            let item = self.items.get_mut(id);
            let service = vs.service(item.work_type(), s).sample(&mut item.rng);
            item.service = service;
            let wait = now - item.ready_at;
            let counted = self.rec.counts(item.arrival.days());
            self.rec.started(s, now.days(), wait, counted);
            cal.schedule(now + service, Event::ServiceDone(s as u16, id));
        }
    }

    fn service_done(&mut self, s: usize, id: ItemId, now: Time, cal: &mut Calendar<Event>) {
        self.stages[s].busy -= 1;
        let stage = &self.vs.stages[s];
        let item = self.items.get_mut(id);
        item.active += item.service;
        let counted = self.rec.counts(item.arrival.days());
        self.rec.finished(s, now.days(), item.service, counted);
        item.ready_at = now;
        let rework_to = stage
            .rework
            .as_ref()
            .filter(|r| uniform01(&mut item.rng) < r.probability)
            .map(|r| r.to);
        match rework_to {
            Some(to) => {
                self.stages[s].wip -= 1;
                self.rec.waiting(to, now.days(), 1.0);
                self.admit(to, id);
                self.try_start(to, now, cal);
                self.try_start(s, now, cal);
                self.pull_into(s, now, cal);
            }
            None => {
                if stage.release_every.is_some() {
                    self.stages[s].awaiting_release.push(id);
                } else {
                    self.finished_in(s, id, now);
                }
                self.try_start(s, now, cal);
                self.move_on(s, now, cal);
            }
        }
    }

    /// Puts an item in the done column of `s`, where it waits for the next stage.
    fn finished_in(&mut self, s: usize, id: ItemId, now: Time) {
        self.items.get_mut(id).ready_at = now;
        self.stages[s].done.push_back(id);
        if s + 1 < self.stages.len() {
            self.rec.waiting(s + 1, now.days(), 1.0);
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
            let item = self.items.get(id);
            let lead = now - item.arrival;
            let counted = self.rec.counts(item.arrival.days());
            self.rec
                .departed(item.work_type(), now.days(), lead, item.active, counted);
            self.items.remove(id);
        }
        self.pull_into(s, now, cal);
    }

    fn release(&mut self, s: usize, now: Time, cal: &mut Calendar<Event>) {
        let released = std::mem::take(&mut self.stages[s].awaiting_release);
        for &id in &released {
            self.finished_in(s, id, now);
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

/// A uniform draw in [0, 1) from the top 53 bits, independent of rand's float conversions.
#[inline]
fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl Model for FlowSim<'_> {
    type Event = Event;

    #[inline]
    fn handle(&mut self, now: Time, event: Event, cal: &mut Calendar<Event>) {
        match event {
            Event::Arrival(w) => {
                let w = usize::from(w);
                self.create_item(w, now);
                self.schedule_arrival(w, now, cal);
                self.pull_into(0, now, cal);
            }
            Event::ServiceDone(s, id) => self.service_done(usize::from(s), id, now, cal),
            Event::Release(s) => self.release(usize::from(s), now, cal),
        }
    }
}
