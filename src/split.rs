//! Code splitting: the first download holds step 1; step 2 and everything else (the later screens, the card path,
//! the strength worker's bridge) are two lazy functions (`app::first_steps`, `app::later`) whose code the split release
//! build (feature `split`, scripts/split) puts in chunks of the wasm, fetched at the first call. Elsewhere
//! (`trunk serve`, the tests) they are ordinary functions of the one wasm. A chunk that cannot be fetched (a network
//! failure) is shown as such, and the next call tries again: it never stops the app.
use leptos::prelude::*;

pub use leptos::wasm_split::SplitLoaderError;

/// What a lazy function gives: its value, or the failure to fetch its chunk.
pub type Loaded<T> = Result<T, SplitLoaderError>;

/// `lazy_fn! { fn name(args) -> T { body } }` declares `async fn name(args) -> Loaded<T>`. In the split build the
/// body is in its own chunk, and `__wasm_split_preload_name()` fetches that chunk ahead of the first call.
macro_rules! lazy_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
        $vis fn $name($($arg: $ty),*) -> $crate::split::Loaded<$ret> {
            Ok($body)
        }

        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> $crate::split::Loaded<$ret> {
            Ok($body)
        }
    };
}
pub(crate) use lazy_fn;

/// In place of a part of the wizard whose code could not be fetched: what happened, and a way to try again.
#[component]
pub fn NotLoaded(retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="avis erreur-chargement" role="alert">
            <p>
                <strong>"Cette partie de l'inscription n'a pas pu être chargée : la connexion semble interrompue."</strong>
                " Vos réponses sont conservées. Vérifiez votre connexion, puis cliquez sur « Réessayer »."
            </p>
            <button type="button" class="bouton principal" on:click=move |_| retry.run(())>"Réessayer"</button>
        </div>
    }
}

/// A view from a chunk, for a reactive closure: shown once `load` is done, or [`NotLoaded`], whose « Réessayer »
/// bumps `retry`, which this reads so that the closure runs (and loads) again.
pub fn lazy_view(
    retry: RwSignal<u32>,
    load: impl Future<Output = Loaded<AnyView>> + Send + 'static,
) -> Suspend<AnyView> {
    retry.track();
    Suspend::new(async move {
        load.await.unwrap_or_else(|_| {
            view! { <NotLoaded retry=Callback::new(move |_| retry.update(|n| *n += 1)) /> }.into_any()
        })
    })
}
