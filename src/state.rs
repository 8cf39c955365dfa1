//! The wizard's state, shared by every screen through the context.
use leptos::prelude::*;
use promess_core::{
    Draft, Field, FieldErrors, OperatorConfig, Step,
    field::FieldSet,
    registration::{Credentials, RegistrationAccepted},
};

/// Reads and writes one text answer of the draft.
#[derive(Clone, Copy)]
pub struct Lens {
    pub get: fn(&Draft) -> &String,
    pub set: fn(&mut Draft) -> &mut String,
}

/// `lens!(nom)`: the text answer `nom` of the draft.
macro_rules! lens {
    ($field:ident) => {
        $crate::state::Lens { get: |d| &d.$field, set: |d| &mut d.$field }
    };
}
pub(crate) use lens;

/// A yes/no answer of the draft, unanswered at first.
#[derive(Clone, Copy)]
pub struct ChoiceLens {
    pub get: fn(&Draft) -> Option<bool>,
    pub set: fn(&mut Draft) -> &mut Option<bool>,
}

macro_rules! choice {
    ($field:ident) => {
        $crate::state::ChoiceLens { get: |d| d.$field, set: |d| &mut d.$field }
    };
}
pub(crate) use choice;

/// A checkbox answer of the draft.
#[derive(Clone, Copy)]
pub struct FlagLens {
    pub get: fn(&Draft) -> bool,
    pub set: fn(&mut Draft) -> &mut bool,
}

macro_rules! flag {
    ($field:ident) => {
        $crate::state::FlagLens { get: |d| d.$field, set: |d| &mut d.$field }
    };
}
pub(crate) use flag;

/// Everything the wizard knows. `draft` is saved to sessionStorage; `secret` (the password) never is.
#[derive(Clone, Copy)]
pub struct Wizard {
    pub draft: RwSignal<Draft>,
    pub secret: RwSignal<Credentials>,
    /// The zxcvbn score and the password it was computed for.
    pub scored: RwSignal<Option<(String, u8)>>,
    /// Fields whose errors are shown: left once, or checked by "Suivant".
    pub touched: RwSignal<FieldSet>,
    /// Errors the server answered (422), shown until the field changes.
    pub server_errors: RwSignal<FieldErrors>,
    /// A message shown at the top of the next screen (e.g. after a redirect).
    pub notice: RwSignal<Option<&'static str>>,
    /// The identifier the server proposes (prenom.nom2… when prenom.nom is taken); None until it answers.
    pub proposed: RwSignal<Option<String>>,
    /// The server's answer once the registration is accepted.
    pub accepted: RwSignal<Option<RegistrationAccepted>>,
    pub config: StoredValue<OperatorConfig>,
}

impl Wizard {
    pub fn new(draft: Draft, config: OperatorConfig) -> Self {
        Wizard {
            draft: RwSignal::new(draft),
            secret: RwSignal::new(Credentials::default()),
            scored: RwSignal::new(None),
            touched: RwSignal::new(FieldSet::default()),
            server_errors: RwSignal::new(FieldErrors::default()),
            notice: RwSignal::new(None),
            proposed: RwSignal::new(None),
            accepted: RwSignal::new(None),
            config: StoredValue::new(config),
        }
    }

    /// The identifier shown and asked for: the server's proposal, else prenom.nom from the names (reactive).
    pub fn identifiant(&self) -> Option<String> {
        self.proposed.get().or_else(|| self.draft.with(|d| d.identifiant().map(|i| i.to_string())))
    }

    /// The secure address that goes with it (reactive).
    pub fn address(&self) -> Option<String> {
        let mssante = self.draft.with(|d| d.mssante);
        self.identifiant().map(|id| self.config.with_value(|c| c.address(&id, mssante)))
    }

    /// The zxcvbn score of the current password, if the worker has rated this very password.
    pub fn score(&self) -> Option<u8> {
        let password = self.secret.with(|s| s.mot_de_passe.clone());
        self.scored.with(|s| s.as_ref().filter(|(p, _)| *p == password).map(|(_, score)| *score))
    }

    /// The errors of a step, now (reactive).
    pub fn errors(&self, step: Step) -> FieldErrors {
        let score = self.score();
        let mut errors = self.draft.with(|d| self.secret.with(|s| d.step_errors(step, s, score)));
        errors.merge(self.server_errors.with(|e| e.of_step(step)));
        errors
    }

    /// The message to show under a field, if it was touched and is invalid.
    pub fn shown_error(&self, field: Field) -> Option<String> {
        let touched = self.touched.with(|t| t.contains(field));
        let server = self.server_errors.with(|e| e.first(field));
        let code = server.or_else(|| touched.then(|| self.errors(field.step()).first(field)).flatten())?;
        Some(code.message(field))
    }

    pub fn touch(&self, field: Field) {
        if !self.touched.with_untracked(|t| t.contains(field)) {
            self.touched.update(|t| t.insert(field));
        }
    }

    /// The first step before `step` that is not complete, if any.
    pub fn blocking_step(&self, step: Step) -> Option<Step> {
        let score = self.score();
        let first = self.draft.with(|d| self.secret.with(|s| d.first_invalid_step(s, score)));
        first.filter(|f| *f < step)
    }

    /// An answer changed: the server's verdict on that field no longer holds.
    pub fn edited(&self, field: Field) {
        if self.server_errors.with_untracked(|e| e.0.contains_key(&field)) {
            self.server_errors.update(|e| {
                e.0.remove(&field);
            });
        }
    }
}

pub fn use_wizard() -> Wizard {
    expect_context::<Wizard>()
}
