//! Running a case on both sides and comparing (apart from `case.rs`, which both sides'
//! runners import).

use crate::case::{Case, Wire, differences};

pub trait Run {
    /// Run against the model and, when a server is installed, against real redis-server;
    /// panic listing every difference.
    fn run(self);
}

impl Run for Case {
    fn run(self) {
        let model = crate::model::run(&self);
        if crate::real::available(&self.name).is_none() {
            return;
        }
        let mut model = model;
        // One real case at a time: the cases time their steps and replica syncs by the wall
        // clock, and several servers starting and syncing at once on two cores made replicas
        // late (a replica's GET answered before its sync).
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let mut real = crate::real_run::run(&self);
        for o in [&mut model, &mut real] {
            o.pushes
                .retain(|(c, _, _), _| !self.ignore_pushes.contains(c));
            o.replies.retain(|i, _| !self.ignore_replies.contains(i));
            o.wire.retain(|c, _| !self.ignore_pushes.contains(c));
            for w in o.wire.values_mut() {
                w.retain(|x| !matches!(x, Wire::Reply(i) if self.ignore_replies.contains(i)));
            }
        }
        // `MSGSIM_CONFORMANCE_SHOW=1`: print both observations (to see what a case checks).
        if std::env::var("MSGSIM_CONFORMANCE_SHOW").as_deref() == Ok("1") {
            println!(
                "{}: model {model:?}\n{}: redis {real:?}",
                self.name, self.name
            );
        }
        let diff = differences(&self, &model, &real);
        assert!(
            diff.is_empty(),
            "{}: {} difference(s) between the model and redis-server:\n{}",
            self.name,
            diff.len(),
            diff.join("\n")
        );
    }
}
