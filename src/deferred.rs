//! What can wait until the keystroke is on screen.
//!
//! A keystroke's first duty is to show the typed character. The work that follows from it (the strength meter, the
//! request to the worker) runs after that frame, once the browser is idle, as React's `useDeferredValue` does: the
//! character is painted without waiting for it, and the meter follows one frame later.
use leptos::prelude::*;
use std::{cell::Cell, rc::Rc, time::Duration};

/// Runs `f` after the next frame, when the browser is idle; right after that frame where there is no
/// `requestIdleCallback` (Safari).
pub fn after_next_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || {
        let f = Rc::new(Cell::new(Some(f)));
        let run = {
            let f = f.clone();
            move || {
                if let Some(f) = f.take() {
                    f()
                }
            }
        };
        if request_idle_callback_with_handle(run).is_err() {
            set_timeout(move || f.take().into_iter().for_each(|f| f()), Duration::ZERO);
        }
    });
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
