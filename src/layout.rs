//! The frame of every screen: header, progress, footer, and the step page with its guard and navigation.
use crate::{
    router::{redirect, use_nav},
    state::use_wizard,
};
use leptos::{html, prelude::*};
use promess_core::{
    Step,
    config::{SUPPORT_EMAIL, SUPPORT_PHONE},
};
use wasm_bindgen::JsCast;

pub use promess_core::routes::{CONFIRMATION, RECAP, route};

/// Moves the keyboard focus to an element by id (the first invalid field, a heading).
pub fn focus(id: &str) {
    if let Some(el) = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// Moves the focus once the screen has been redrawn (after a state change that renders the element).
pub fn focus_later(id: &'static str) {
    request_animation_frame(move || focus(id));
}

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="entete">
            <p class="marque">
                <span class="logo" aria-hidden="true">"ES@A"</span>
                <span>"ProMess – Messagerie sécurisée Nouvelle-Aquitaine"</span>
            </p>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="pied">
            <p>
                "Assistance technique : "
                <a href=format!("tel:{}", SUPPORT_PHONE.replace(' ', ""))>{SUPPORT_PHONE}</a>
                " – "
                <a href=format!("mailto:{SUPPORT_EMAIL}")>{SUPPORT_EMAIL}</a>
            </p>
            <p>"GIP ESEA Nouvelle-Aquitaine – 180 rue Guillaume Leblanc, 33000 BORDEAUX"</p>
        </footer>
    }
}

/// "Inscription > Étape N/4 : titre" and the four steps, the current one marked.
#[component]
pub fn Progress(current: Option<Step>, title: String) -> impl IntoView {
    let steps = Step::ALL
        .into_iter()
        .map(|s| {
            let state = match current {
                Some(c) if s == c => "en-cours",
                Some(c) if s < c => "faite",
                None => "faite",
                _ => "a-venir",
            };
            view! {
                <li class=state aria-current=(Some(s) == current).then_some("step")>
                    <span class="num">{s.number()}</span>
                    " "
                    {s.title()}
                </li>
            }
        })
        .collect_view();
    #[cfg(target_arch = "wasm32")]
    document().set_title(&page_title(&title));
    let heading = NodeRef::<html::H1>::new();
    // A new screen is announced by its heading, unless the user is typing in one of its fields (the app taking
    // over the prerendered page keeps the field in use: see `shell`).
    Effect::new(move |_| {
        let typing = document().active_element().is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT"));
        if let Some(h) = heading.get().filter(|_| !typing) {
            let _ = h.focus();
        }
    });
    view! {
        <nav class="fil" aria-label="Étapes de l'inscription">
            <p class="fil-ariane">"Inscription > " {title.clone()}</p>
            <ol class="etapes">{steps}</ol>
        </nav>
        <h1 node_ref=heading tabindex="-1">{title}</h1>
    }
}

/// The document's title for a screen.
pub fn page_title(title: &str) -> String {
    format!("{title} – Inscription ProMess")
}

pub fn step_title(step: Step) -> String {
    format!("Étape {}/4 : {}", step.number(), step.title())
}

/// A notice left by the previous screen (e.g. why the user was sent back here).
#[component]
pub fn Notice() -> impl IntoView {
    let wizard = use_wizard();
    let text = wizard.notice.get_untracked();
    wizard.notice.set(None);
    text.map(|t| view! { <p class="avis" role="status">{t}</p> })
}

/// A step screen: reachable only when the earlier steps are complete (typed URL included), with
/// "Précédent" and "Suivant" ("Suivant" checks the whole step and focuses the first invalid field).
#[component]
pub fn StepPage(
    step: Step,
    children: Children,
    #[prop(default = "Suivant")] next_label: &'static str,
) -> impl IntoView {
    let wizard = use_wizard();
    if let Some(blocking) = untrack(|| wizard.blocking_step(step)) {
        wizard.notice.set(Some("Cette étape n'est accessible qu'une fois les précédentes complétées : reprenons ici."));
        return redirect(route(blocking));
    }
    let nav = use_nav();
    let failed = RwSignal::new(0usize);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        wizard.touched.update(|t| t.extend(step.fields()));
        let errors = wizard.errors(step);
        match errors.first_field() {
            None => {
                failed.set(0);
                nav.go(step.next().map_or(RECAP, route));
            }
            Some(first) => {
                failed.set(errors.0.len());
                focus(first.key());
            }
        }
    };
    let previous = step.previous().map(|p| {
        view! { <a class="bouton secondaire" href=route(p)>"< Précédent"</a> }
    });
    view! {
        <Progress current=Some(step) title=step_title(step) />
        <Notice />
        <form novalidate on:submit=on_submit>
            <p class="resume-erreurs" role="alert">
                {move || match failed.get() {
                    0 => None,
                    1 => Some("Un champ est à corriger : il est signalé ci-dessous.".to_owned()),
                    n => Some(format!("{n} champs sont à corriger : ils sont signalés ci-dessous.")),
                }}
            </p>
            {children()}
            <div class="navigation">
                {previous}
                <button type="submit" id="suivant" class="bouton principal">{format!("> {next_label}")}</button>
            </div>
        </form>
    }
    .into_any()
}
