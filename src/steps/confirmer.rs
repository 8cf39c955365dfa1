//! The page of the email link (`/confirmer#<token>`): it confirms the professional's email address when they press
//! its button, never on opening (mail scanners open links), and says what the request became.
use crate::{
    api::{self, ConfirmError},
    layout::Progress,
    steps::confirmation::Support,
};
use leptos::{prelude::*, task::spawn_local};
use promess_core::{
    lifecycle::{CONFIRM_PATH, Statut},
    registration::RegistrationAccepted,
};

#[derive(Clone, PartialEq)]
enum State {
    Ready,
    Busy,
    Done(RegistrationAccepted),
    Failed(ConfirmError),
}

/// The token after `#`, as the email gave it.
fn token() -> Option<String> {
    let hash = window().location().hash().ok()?;
    Some(hash.trim_start_matches('#').trim().to_owned()).filter(|t| !t.is_empty())
}

#[component]
pub fn Confirmer() -> impl IntoView {
    let token = token();
    let state = RwSignal::new(State::Ready);
    let has_token = token.is_some();
    let confirm = move |_| {
        let Some(token) = token.clone() else { return };
        if state.get_untracked() == State::Busy {
            return;
        }
        state.set(State::Busy);
        spawn_local(async move {
            match api::confirm_email(&token).await {
                Ok(done) => {
                    // The token has served: out of the address bar and the history.
                    if let Ok(history) = window().history() {
                        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(CONFIRM_PATH));
                    }
                    state.set(State::Done(done));
                }
                Err(e) => state.set(State::Failed(e)),
            }
        });
    };
    let outcome = move || match state.get() {
        State::Done(done) => {
            let what = match done.statut {
                Statut::Active => {
                    "Votre adresse électronique est confirmée et votre compte est activé. Vous allez recevoir l'email « [Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion » : dès sa réception, vous pouvez accéder à votre boîte de messagerie sécurisée avec votre identifiant et le mot de passe que vous avez saisi lors de votre inscription."
                }
                _ => {
                    "Votre adresse électronique est confirmée. Votre demande d'adhésion est en cours de vérification par nos services auprès de l'annuaire national des professionnels de santé ; vous recevrez un email dès son acceptation."
                }
            };
            Some(
                view! {
                    <div class="confirme" role="status">
                        <p><strong>{what}</strong></p>
                        <dl class="resultat">
                            <dt>"Identifiant"</dt><dd>{done.identifiant}</dd>
                            <dt>"Adresse de messagerie sécurisée"</dt><dd>{done.adresse}</dd>
                        </dl>
                    </div>
                }
                .into_any(),
            )
        }
        State::Failed(e) => Some(view! { <p class="erreur-envoi" role="alert">{e.message()}</p> }.into_any()),
        _ => None,
    };
    let pending = move || matches!(state.get(), State::Ready | State::Busy | State::Failed(ConfirmError::Unavailable));
    view! {
        <Progress current=None title="Confirmation de votre adresse électronique".to_owned() />
        {if has_token {
            view! {
                <p>"Pour poursuivre votre demande d'adhésion à Messagerie sécurisée Nouvelle-Aquitaine, confirmez votre adresse électronique non sécurisée."</p>
            }.into_any()
        } else {
            view! {
                <p class="erreur-envoi" role="alert">"Ce lien est incomplet : ouvrez-le depuis l'email reçu, ou copiez-le en entier dans la barre d'adresse."</p>
            }.into_any()
        }}
        {outcome}
        <Show when=move || has_token && pending()>
            <div class="navigation">
                <button
                    type="button"
                    class="bouton principal"
                    id="confirmer"
                    aria-busy=move || (state.get() == State::Busy).to_string()
                    disabled=move || state.get() == State::Busy
                    on:click=confirm.clone()
                >
                    {move || if state.get() == State::Busy { "Confirmation en cours…" } else { "Confirmer mon adresse électronique" }}
                </button>
            </div>
        </Show>
        <Support />
    }
    .into_any()
}
