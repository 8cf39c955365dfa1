-- The rate limits, shared by every server process on the database: a fixed window per limit and client (an IPv4
-- address or an IPv6 /64), its start and its hits. Windows past are deleted by the purge.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    client TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, client)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
