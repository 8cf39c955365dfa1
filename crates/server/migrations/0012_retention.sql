-- Retention: an email's message is deleted once it is sent (its link's token was in it, in clear); its recipient,
-- subject and dates stay with the request. The emails sent before this migration lose theirs now.
UPDATE outbox SET text_body = '', html_body = '' WHERE sent_at IS NOT NULL;
CREATE INDEX jobs_done ON jobs (done_at) WHERE done_at IS NOT NULL;
