-- Every message traceable (issue 13): what each message landed, re-drives, search by tenant and time, and a
-- notification that wakes the processor when messages arrive.
-- Deploy order: either side may go first after this migration (an older processor leaves `landed` NULL, an older
-- edge's inserts fire the trigger like a new one's).

-- What the message landed, table by table ([{"table": …, "rows": …}]), written when the processor acknowledges it;
-- NULL until then (and for messages landed by a processor older than this migration).
ALTER TABLE boitata_inbound_queue ADD COLUMN landed jsonb;
-- A re-drive asked for this message: it lands again, each row replacing its earlier version (message id, row id).
ALTER TABLE boitata_inbound_queue ADD COLUMN redrive boolean NOT NULL DEFAULT false;
-- How many times it was re-driven (`boitata messages redrive`); shown by `boitata messages show`.
ALTER TABLE boitata_inbound_queue ADD COLUMN redrives integer NOT NULL DEFAULT 0;

-- Message search (CLI, status page): a tenant's messages by time.
CREATE INDEX boitata_inbound_queue_tenant_received ON boitata_inbound_queue (tenant_id, received_at);

-- One notification per inserting statement (Postgres folds identical notifications of one transaction into one):
-- the processor LISTENs and claims at once instead of at its next poll. The payload is empty: a notification
-- only says "look", the claim decides what is there.
CREATE FUNCTION boitata_notify_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('boitata_inbound', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER boitata_inbound_notify AFTER INSERT ON boitata_inbound_queue
  FOR EACH STATEMENT EXECUTE FUNCTION boitata_notify_inbound();
