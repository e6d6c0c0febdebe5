-- boitata:no-transaction
-- The status page's throughput chart sums the rows of messages landed in the last minutes; without this index
-- every refresh would scan the whole queue (done rows stay for QUEUE_RETENTION_HOURS). Built CONCURRENTLY, so the
-- edge keeps writing to the queue while it is built (a plain CREATE INDEX would block its INSERTs).
CREATE INDEX CONCURRENTLY IF NOT EXISTS boitata_inbound_queue_processed ON boitata_inbound_queue (processed_at) WHERE status = 'done';
