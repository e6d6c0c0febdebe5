-- boitata:no-transaction
-- The claim first looks for messages whose leases ran out (claimed alone from then on): only messages in flight or
-- re-claimed after an expiry are in this index, so the look costs nothing however long the backlog is.
CREATE INDEX CONCURRENTLY IF NOT EXISTS boitata_inbound_queue_suspects
  ON boitata_inbound_queue (available_at, id)
  WHERE status IN ('pending', 'processing') AND (status = 'processing' OR lease_expiries > 0);
