-- applied_insert: record a bus message as stored, in the transaction that stores its batch.
-- A second insert of the same id fails (unique_violation, 23505) and rolls that batch back.
-- Parameters: $1 msg_id, $2 node_id. Not safe to re-run (that is its purpose).
insert into dns_bus_applied (msg_id, node_id)
values ($1, $2)
