//! A second factor set up and confirmed straight in the store, as step 3 leaves it: for the benchmarks, which time
//! something else (`#[path]` in `examples/reliability.rs` and the end-to-end crate's `bench_card`).

/// Its handle, for a registration's `donnees.facteur`.
pub async fn stored_factor(store: &promess_server::store::Store) -> String {
    let (handle, now) = (promess_server::secret::token(32).unwrap(), promess_server::queue::now_secs());
    let secret = promess_server::factors::new_secret();
    promess_server::store::factors::begin(store, &handle, "totp", &secret, "banc", now + 3600).await.unwrap();
    assert!(
        promess_server::store::factors::confirm(
            store,
            &handle,
            promess_server::store::factors::Confirmation::Step(now / 30),
            &[],
            now
        )
        .await
        .unwrap()
    );
    handle
}
