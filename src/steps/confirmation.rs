//! Confirmation: what really happens next (confirm the email; then the account with the card, or after the operator's
//! check without it), the procedure's general recommendations and the support contact.
use crate::{
    api,
    layout::{Progress, RECAP},
    router::redirect,
    state::use_wizard,
};
use leptos::{prelude::*, task::spawn_local};
use promess_core::{
    config::{SUPPORT_EMAIL, SUPPORT_PHONE},
    registration::Mode,
};

#[component]
pub fn Confirmation() -> impl IntoView {
    let wizard = use_wizard();
    let Some(accepted) = wizard.accepted.get_untracked() else {
        return redirect(RECAP);
    };
    let (email, mode) = wizard.draft.with_untracked(|d| (d.email.trim().to_owned(), d.mode));
    let next = match mode {
        Some(Mode::Carte) => {
            "Votre identité ayant été vérifiée avec votre carte CPS, votre compte sera activé dès la confirmation de votre adresse."
        }
        Some(Mode::Psc) => {
            "Votre identité ayant été vérifiée par Pro Santé Connect, votre compte sera activé dès la confirmation de votre adresse."
        }
        _ => {
            "Votre demande sera ensuite vérifiée par nos services auprès de l'annuaire national des professionnels de santé (RPPS, ADELI) ; vous serez informé(e) par email de son acceptation."
        }
    };
    // "Renvoyer l'email": the server answers the same whether it sent one or not, and limits how often.
    let resent = RwSignal::new(None::<bool>);
    let (identifiant, to) = (accepted.identifiant.clone(), email.clone());
    let resend = move |_| {
        let (identifiant, to) = (identifiant.clone(), to.clone());
        resent.set(None);
        spawn_local(async move { resent.set(Some(api::resend(&identifiant, &to).await)) });
    };
    view! {
        <Progress current=None title="Votre demande d'adhésion est enregistrée".to_owned() />
        <dl class="resultat">
            <dt>"Identifiant"</dt><dd>{accepted.identifiant}</dd>
            <dt>"Adresse de messagerie sécurisée"</dt><dd>{accepted.adresse}</dd>
        </dl>
        <h2>"Confirmez votre adresse électronique"</h2>
        <p>
            "Un email, « [Messagerie sécurisée Nouvelle-Aquitaine] Confirmez votre adresse électronique », vient de vous être envoyé à votre adresse non sécurisée "
            <strong>{email}</strong>
            ". Ouvrez le lien qu'il contient, puis cliquez sur « Confirmer mon adresse électronique ». Ce lien est valable 48 heures : passé ce délai, votre demande est supprimée."
        </p>
        <p>{next}</p>
        <p>"Dès réception du mail de confirmation de votre adhésion, « [Messagerie sécurisée Nouvelle-Aquitaine] Votre demande d'adhésion », vous pouvez accéder à votre boîte de messagerie sécurisée : il rappelle votre identifiant ; pour le mot de passe, utilisez celui que vous avez saisi lors de votre inscription."</p>
        <p>"Vous n'avez pas reçu l'email ? Vérifiez votre dossier de courriers indésirables, puis demandez-en un nouveau."</p>
        <p>
            <button type="button" class="bouton secondaire" id="renvoyer" on:click=resend>"Renvoyer l'email"</button>
        </p>
        <p role="status" class="renvoi">
            {move || resent.get().map(|sent| if sent {
                "Si votre demande attend encore la confirmation de votre adresse, un nouvel email vient de vous être envoyé ; le lien du précédent n'est plus valable. Un nouvel email peut être demandé toutes les deux minutes."
            } else {
                "La demande n'a pas pu être envoyée pour le moment : réessayez dans quelques instants."
            })}
        </p>
        <h2>"Recommandations générales"</h2>
        <p>"Pour des raisons de sécurité, n'oubliez pas de vous déconnecter et de fermer votre navigateur lorsque vous avez fini d'accéder aux services sécurisés."</p>
        <h3>"Rappel"</h3>
        <p>
            "Les professionnels habilités utilisant la messagerie sécurisée de santé ont la qualité de responsable de traitement. A ce titre, "
            <strong>"tout utilisateur de la messagerie sécurisée ESEA doit tenir un registre des activités de traitement recensant tous les traitements mis en œuvre dans le cadre de son activité"</strong>
            ", notamment : celui que vous utilisez pour le suivi des patients (les dossiers « patients ») mais aussi ceux résultant de l'utilisation de la messagerie électronique sécurisée ou d'un dispositif de télémédecine, etc."
        </p>
        <p>"Si besoin, ESEA peut fournir un modèle de fiche registre pour la messagerie sécurisée."</p>
        <p>"Les utilisateurs de la messagerie sécurisée de santé ont également l'obligation d'en informer leurs patients. Cela peut être fait via un affichage dans la salle d'attente du cabinet ou autre lieu d'exercice. ESEA peut fournir une affiche au format pdf à la demande."</p>
        <Support />
    }
    .into_any()
}

/// The support contact, as the procedure gives it.
#[component]
pub fn Support() -> impl IntoView {
    view! {
        <h2>"Assistance technique"</h2>
        <p>
            <a href=format!("tel:{}", SUPPORT_PHONE.replace(' ', ""))>{SUPPORT_PHONE}</a>
            " – "
            <a href=format!("mailto:{SUPPORT_EMAIL}")>{SUPPORT_EMAIL}</a>
        </p>
    }
}
