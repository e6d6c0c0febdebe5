-- Bounded, fair claims and crash isolation (issue 10).
-- Deploy order: run the migrations before a new edge (which writes payload_bytes); an older edge leaves it NULL
-- and an older processor ignores every column below, so either side may be deployed first after the migration.

-- Bytes of the JSON text the edge stored (what the processor reads back); NULL from an edge older than this.
ALTER TABLE boitata_inbound_queue ADD COLUMN payload_bytes integer CHECK (payload_bytes IS NULL OR payload_bytes > 0);
-- Claims of this message whose lease ran out before they settled (the processor holding it died or hung).
ALTER TABLE boitata_inbound_queue ADD COLUMN lease_expiries integer NOT NULL DEFAULT 0;
-- Of those, the claims in which the message was alone in its batch: two of them and it is dead-lettered.
ALTER TABLE boitata_inbound_queue ADD COLUMN solo_lease_expiries integer NOT NULL DEFAULT 0;
-- Whether the current (or last) claim held this message alone.
ALTER TABLE boitata_inbound_queue ADD COLUMN claimed_alone boolean NOT NULL DEFAULT false;
