use valueflow::model::*;
use valueflow::policy::Fifo;
fn main() {
    let vs = ValueStream {
        stages: vec![Stage { name: "s".into(), workers: 1, wip_limit: None, service: Dist::exponential(1.0).unwrap(), rework: None, release_every: None }],
        work_types: vec![WorkType { name: "j".into(), arrival_rate: Some(0.9), backlog: 0, service: vec![None], priority: 0 }],
        horizon: 50000.0, warmup: 2000.0,
    };
    let t = std::time::Instant::now();
    let s = valueflow::experiment::run(&vs, &Fifo, 42, 16, |_| {});
    println!("{:?}\nlead {:?} wip {:?} thr {:?} events {} in {:?}", s.stages[0], s.lead_time, s.wip, s.throughput, s.events, t.elapsed());
}
