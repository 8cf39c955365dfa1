use leptos::prelude::*;
use promess_web::{App, shell, worker_estimator};

fn main() {
    console_error_panic_hook::set_once();
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let handover = shell::take_over().await;
        leptos::mount::mount_to_body(|| view! { <App estimator=worker_estimator() /> });
        if let Some(handover) = handover {
            handover.apply();
        }
    });
}
