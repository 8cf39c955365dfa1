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

/// A request numbered [`WARM_UP`] rates nothing: it has the worker loaded (and its word lists unpacked) before
/// step 3 needs it.
pub const WARM_UP: u64 = 0;

/// The production estimator: zxcvbn in a Web Worker, spawned on the first request (or warm-up). The code that spawns and talks
/// to the worker (`promess_strength::worker`) is in the `later` chunk of the split release build (see `app`):
/// nothing of it is in the first download.
pub fn worker_estimator() -> Estimator {
    Estimator(Rc::new(|on_reply: Rc<dyn Fn(StrengthReply)>| {
        let worker = Rc::new(RefCell::new(Worker::Idle));
        Rc::new(move |request: StrengthRequest| {
            let mut state = worker.borrow_mut();
            let warm_up = request.seq == WARM_UP;
            match &mut *state {
                Worker::Ready(_) | Worker::Loading(_) if warm_up => {}
                Worker::Ready(send) => send(request),
                Worker::Loading(waiting) => waiting.push(request),
                Worker::Idle => {
                    *state = Worker::Loading(if warm_up { vec![] } else { vec![request] });
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

    /// Has the estimator ready before it is needed: the worker fetched and its word lists unpacked (a quarter of a
    /// second on a desktop, more on a slow phone), while the user fills step 2 in.
    pub fn warm_up(&self) {
        let send = self.send.borrow().clone();
        if let Some(send) = send {
            send(StrengthRequest { seq: WARM_UP, password: String::new(), user_inputs: Vec::new() });
        }
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
        if reply.seq == WARM_UP {
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the test finds the scheduler's callback, to give it replies.
    type Replier = Rc<RefCell<Option<Rc<dyn Fn(StrengthReply)>>>>;

    /// An estimator that records the numbers of the requests sent, and whose replies the test gives.
    fn recording() -> (Estimator, Rc<RefCell<Vec<u64>>>, Replier) {
        let sent: Rc<RefCell<Vec<u64>>> = Rc::default();
        let reply: Replier = Rc::default();
        let (recorded, replier) = (sent.clone(), reply.clone());
        let estimator = Estimator(Rc::new(move |on_reply| {
            *replier.borrow_mut() = Some(on_reply);
            let recorded = recorded.clone();
            Rc::new(move |request: StrengthRequest| recorded.borrow_mut().push(request.seq)) as Sender
        }));
        (estimator, sent, reply)
    }

    #[test]
    fn a_warm_up_rates_nothing_and_its_answer_is_not_taken_for_one() {
        let (estimator, sent, reply) = recording();
        let scores: Rc<RefCell<Vec<(String, u8)>>> = Rc::default();
        let recorded = scores.clone();
        let scheduler =
            Scheduler::new(&estimator, move |password, score| recorded.borrow_mut().push((password, score)));
        scheduler.warm_up();
        scheduler.rate("abc".into(), vec![]);
        scheduler.rate("abcd".into(), vec![]);
        assert_eq!(*sent.borrow(), [WARM_UP, 1], "the second password waits for the first one's answer");
        let reply = reply.borrow().clone().expect("the scheduler's callback");
        reply(StrengthReply { seq: WARM_UP, score: 4 });
        assert!(scores.borrow().is_empty());
        assert_eq!(*sent.borrow(), [WARM_UP, 1], "the warm-up's answer does not release the waiting password");
        reply(StrengthReply { seq: 1, score: 1 });
        assert_eq!(*sent.borrow(), [WARM_UP, 1, 2]);
        assert!(scores.borrow().is_empty(), "an answer for a password no longer typed is dropped");
        reply(StrengthReply { seq: 2, score: 2 });
        assert_eq!(*scores.borrow(), [("abcd".to_string(), 2)]);
    }
}
