-- boitata:no-transaction
-- Fair claiming looks at each tenant's oldest claimable messages (round robin across tenants): one index probe per
-- tenant instead of a scan of the whole backlog. Built CONCURRENTLY so the edge keeps writing meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS boitata_inbound_queue_claimable_by_tenant
  ON boitata_inbound_queue (tenant_id, available_at, id) WHERE status IN ('pending', 'processing');
