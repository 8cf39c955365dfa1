use leptos::prelude::*;
use promess_web::{App, worker_estimator};

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| view! { <App estimator=worker_estimator() /> });
}
