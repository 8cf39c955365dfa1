//! What can wait until the keystroke is on screen.
//!
//! A keystroke's first duty is to show the typed character. The work that follows from it (the strength meter, the
//! request to the worker) runs after that frame, at the lowest priority, as React's `useDeferredValue` does: the
//! character is painted without waiting for it, and the meter follows a frame later.
use js_sys::{Function, Object, Reflect};
use leptos::prelude::*;
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};

/// Runs `f` after the next frame, as a background task (`scheduler.postTask`): after the frame and after any other
/// pending task. Where there is no `scheduler` (Safari), in a timer task after that frame. Not an idle callback:
/// browsers starve those while the caret blinks (up to 2 s in Chromium at 4× CPU slowdown). The frame's own share is
/// one call: the task is made before.
pub fn after_next_paint(f: impl FnOnce() + 'static) {
    let f = Closure::once_into_js(f);
    request_animation_frame(move || {
        BACKGROUND.with(|background| match background {
            Some(Background { scheduler, post_task, options }) => {
                let _ = post_task.call2(scheduler, &f, options);
            }
            None => {
                let _ = window().set_timeout_with_callback(f.unchecked_ref());
            }
        })
    });
}

/// `scheduler.postTask` and its options, where the browser has them.
struct Background {
    scheduler: JsValue,
    post_task: Function,
    options: Object,
}

thread_local! {
    static BACKGROUND: Option<Background> = {
        let scheduler = Reflect::get(&window(), &"scheduler".into()).ok().filter(JsValue::is_object);
        scheduler.and_then(|scheduler| {
            let post_task = Reflect::get(&scheduler, &"postTask".into()).ok()?.dyn_into::<Function>().ok()?;
            let options = Object::new();
            Reflect::set(&options, &"priority".into(), &"background".into()).ok()?;
            Some(Background { scheduler, post_task, options })
        })
    };
}

/// A copy of `source` that catches up after the next paint ([`after_next_paint`]); changes within one frame make
/// one update.
pub fn deferred<T: Clone + PartialEq + Send + Sync + 'static>(source: Signal<T>) -> ReadSignal<T> {
    let (value, set_value) = signal(source.get_untracked());
    let scheduled = Rc::new(Cell::new(false));
    Effect::new(move |_| {
        source.track();
        if !scheduled.replace(true) {
            let scheduled = scheduled.clone();
            after_next_paint(move || {
                scheduled.set(false);
                // The screen may be gone by then: its signals with it.
                if let Some(now) = source.try_get_untracked()
                    && value.try_with_untracked(|v| *v != now) == Some(true)
                {
                    set_value.set(now);
                }
            });
        }
    });
    value
}
