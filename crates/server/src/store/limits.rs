//! The rate limits' windows (`rate_limits`), shared by every server process on the database: two instances behind a
//! balancer allow a client the documented limit, not twice it. `crate::limit` decides; here a hit is counted in one
//! statement (an upsert), so that two processes counting at once never lose a hit.
use super::Store;

/// Counts a hit of `client` for `bucket` at `now`, in a fixed window of `window` seconds (a new one when the last
/// began `window` seconds ago or more); answers the hits in the window, this one included, and when it began.
pub async fn hit(store: &Store, bucket: &str, client: &str, now: i64, window: i64) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO rate_limits (bucket, client, window_start, hits) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (bucket, client) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start <= $4 THEN 1 ELSE rate_limits.hits + 1 END, \
         window_start = CASE WHEN rate_limits.window_start <= $4 THEN $3 ELSE rate_limits.window_start END \
         RETURNING hits, window_start",
    )
    .bind(bucket)
    .bind(client)
    .bind(now)
    .bind(now - window)
    .fetch_one(store.pool())
    .await
}

/// Deletes the windows that began before `before`.
pub async fn purge(store: &Store, before: i64) -> Result<u64, sqlx::Error> {
    let gone =
        sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(store.pool()).await?;
    Ok(gone.rows_affected())
}
