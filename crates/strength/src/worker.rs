//! The strength worker's messages, both of their sides in one place: the page posts `[seq, password, ...user_inputs]`
//! as a plain array, the worker answers `[seq, score]`. The worker first posts « prêt »: a module worker receives
//! messages only once its wasm runs, so the page keeps its requests until then.
use crate::{StrengthReply, StrengthRequest, answer};
use js_sys::Array;
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, Worker, WorkerOptions, WorkerType};

const READY: &str = "prêt";

impl StrengthRequest {
    fn to_js(&self) -> Array {
        let message = Array::of2(&JsValue::from_f64(self.seq as f64), &JsValue::from_str(&self.password));
        for input in &self.user_inputs {
            message.push(&JsValue::from_str(input));
        }
        message
    }

    fn from_js(message: &JsValue) -> Option<Self> {
        let message: &Array = message.dyn_ref()?;
        Some(StrengthRequest {
            seq: message.get(0).as_f64()? as u64,
            password: message.get(1).as_string()?,
            user_inputs: message.iter().skip(2).filter_map(|input| input.as_string()).collect(),
        })
    }
}

impl StrengthReply {
    fn to_js(self) -> Array {
        Array::of2(&JsValue::from_f64(self.seq as f64), &JsValue::from(self.score))
    }

    fn from_js(message: &JsValue) -> Option<Self> {
        let message: &Array = message.dyn_ref()?;
        Some(StrengthReply { seq: message.get(0).as_f64()? as u64, score: message.get(1).as_f64()? as u8 })
    }
}

/// In the worker: unpacks the word lists, answers every request posted to it, and says it is ready.
pub fn serve() {
    crate::prepare();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let answering = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(request) = StrengthRequest::from_js(&event.data()) {
            let _ = answering.post_message(&answer(&request).to_js());
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The worker lives as long as the page that spawned it.
    on_message.forget();
    let _ = scope.post_message(&JsValue::from_str(READY));
}

/// In the page: spawns the worker from its loader (a module script, `loader` its URL); its answers go to `on_reply`.
/// The returned function sends a request, kept until the worker is ready.
pub fn spawn(loader: &str, on_reply: Rc<dyn Fn(StrengthReply)>) -> Result<impl Fn(StrengthRequest), JsValue> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(loader, &options)?;
    let waiting: Rc<RefCell<Option<Vec<StrengthRequest>>>> = Rc::new(RefCell::new(Some(Vec::new())));
    let (posting, ready) = (worker.clone(), waiting.clone());
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let message = event.data();
        if let Some(reply) = StrengthReply::from_js(&message) {
            on_reply(reply);
        } else if message.as_string().as_deref() == Some(READY) {
            for request in ready.borrow_mut().take().unwrap_or_default() {
                let _ = posting.post_message(&request.to_js());
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Ok(move |request: StrengthRequest| {
        // The handler lives as long as the sender.
        let _handler = &on_message;
        match waiting.borrow_mut().as_mut() {
            Some(queue) => queue.push(request),
            None => {
                let _ = worker.post_message(&request.to_js());
            }
        }
    })
}
