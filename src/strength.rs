//! Rating the password as the user types, without blocking typing.
//!
//! An [`Estimator`] sends a [`StrengthRequest`] somewhere and calls back with the [`StrengthReply`]. The app uses
//! the Web Worker ([`worker_estimator`]); the [`Scheduler`] keeps at most one request in flight and one queued,
//! and keeps only the answer for the latest password.
use leptos::prelude::set_timeout;
use promess_strength::{StrengthReply, StrengthRequest};
use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
    time::Duration,
};

/// Sends a request; the reply comes back through the callback given to the factory.
pub type Sender = Rc<dyn Fn(StrengthRequest)>;

/// Builds a sender whose replies go to the given callback.
#[derive(Clone)]
pub struct Estimator(pub Rc<dyn Fn(Rc<dyn Fn(StrengthReply)>) -> Sender>);

/// The URL of the worker's loader, written by trunk next to index.html (absolute: routes change the page URL).
pub const WORKER_LOADER: &str = "/strength_worker_loader.js";

/// The production estimator: zxcvbn in a Web Worker, spawned on the first request. The code that spawns and talks
/// to the worker (`promess_strength::worker`) is in the `later` chunk of the split release build (see `app`):
/// nothing of it is in the first download.
pub fn worker_estimator() -> Estimator {
    Estimator(Rc::new(|on_reply: Rc<dyn Fn(StrengthReply)>| {
        let worker = Rc::new(RefCell::new(Worker::Idle));
        Rc::new(move |request: StrengthRequest| {
            let mut state = worker.borrow_mut();
            match &mut *state {
                Worker::Ready(send) => send(request),
                Worker::Loading(waiting) => waiting.push(request),
                Worker::Idle => {
                    *state = Worker::Loading(vec![request]);
                    load_worker(worker.clone(), on_reply.clone());
                }
            }
        }) as Sender
    }))
}

enum Worker {
    Idle,
    /// The worker's code is being fetched; the requests wait.
    Loading(Vec<StrengthRequest>),
    Ready(Sender),
}

/// Fetches the worker's code and spawns it, then sends it the waiting requests; tries again every 2 s while the
/// chunk cannot be fetched (the meter says "évaluation en cours…" meanwhile).
fn load_worker(worker: Rc<RefCell<Worker>>, on_reply: Rc<dyn Fn(StrengthReply)>) {
    leptos::task::spawn_local(async move {
        match crate::app::later().await.map(|l| (l.worker_sender)(on_reply.clone())) {
            Ok(send) => {
                let waiting = std::mem::replace(&mut *worker.borrow_mut(), Worker::Ready(send.clone()));
                if let Worker::Loading(waiting) = waiting {
                    waiting.into_iter().for_each(|r| send(r));
                }
            }
            Err(_) => set_timeout(move || load_worker(worker, on_reply), Duration::from_secs(2)),
        }
    });
}

/// Spawns the worker; its replies go to `on_reply`. In the `later` chunk in the split release build (see `app`).
/// Should the browser refuse the worker, requests go nowhere and the meter keeps saying it is rating.
pub(crate) fn worker_sender(on_reply: Rc<dyn Fn(StrengthReply)>) -> Sender {
    match promess_strength::worker::spawn(WORKER_LOADER, on_reply) {
        Ok(send) => Rc::new(send) as Sender,
        Err(_) => Rc::new(|_| ()) as Sender,
    }
}

/// One request in flight, the newest one queued, stale answers dropped.
pub struct Scheduler {
    send: RefCell<Option<Sender>>,
    next_seq: Cell<u64>,
    in_flight: Cell<bool>,
    queued: RefCell<Option<StrengthRequest>>,
    /// The latest request's number and password.
    latest: RefCell<(u64, String)>,
}

impl Scheduler {
    /// `on_score(password, score)` is called with the answer for the latest password only.
    pub fn new(estimator: &Estimator, on_score: impl Fn(String, u8) + 'static) -> Rc<Scheduler> {
        let scheduler = Rc::new(Scheduler {
            send: RefCell::new(None),
            next_seq: Cell::new(0),
            in_flight: Cell::new(false),
            queued: RefCell::new(None),
            latest: RefCell::new((0, String::new())),
        });
        let weak: Weak<Scheduler> = Rc::downgrade(&scheduler);
        let send = (estimator.0)(Rc::new(move |reply: StrengthReply| {
            if let Some(s) = weak.upgrade() {
                s.on_reply(reply, &on_score);
            }
        }));
        *scheduler.send.borrow_mut() = Some(send);
        scheduler
    }

    pub fn rate(&self, password: String, user_inputs: Vec<String>) {
        let seq = self.next_seq.get() + 1;
        self.next_seq.set(seq);
        *self.latest.borrow_mut() = (seq, password.clone());
        let request = StrengthRequest { seq, password, user_inputs };
        if self.in_flight.get() {
            *self.queued.borrow_mut() = Some(request);
        } else {
            self.dispatch(request);
        }
    }

    fn dispatch(&self, request: StrengthRequest) {
        self.in_flight.set(true);
        let send = self.send.borrow().clone();
        if let Some(send) = send {
            send(request);
        }
    }

    fn on_reply(&self, reply: StrengthReply, on_score: &dyn Fn(String, u8)) {
        self.in_flight.set(false);
        let queued = self.queued.borrow_mut().take();
        if let Some(next) = queued {
            self.dispatch(next);
        }
        let latest = self.latest.borrow().clone();
        if reply.seq == latest.0 {
            on_score(latest.1, reply.score);
        }
    }
}
