-- The status page's throughput chart sums the rows of messages landed in the last minutes; without this index
-- every refresh would scan the whole queue (done rows stay for QUEUE_RETENTION_HOURS).
CREATE INDEX boitata_inbound_queue_processed ON boitata_inbound_queue (processed_at) WHERE status = 'done';
