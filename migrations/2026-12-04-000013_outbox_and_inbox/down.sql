DROP TABLE calendar_feeds;
DROP TABLE inbox_links;
DROP TABLE asks;
DROP TABLE outbox;
DROP TABLE webhook_endpoints;
ALTER TABLE users DROP COLUMN digest;
ALTER TABLE agencies DROP COLUMN notify_digest;
ALTER TABLE agencies DROP COLUMN notify_email;
