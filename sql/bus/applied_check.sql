-- applied_check: whether a bus message was stored already.
-- Parameters: $1 msg_id. Read-only.
select 1 as applied
from dns_bus_applied
where msg_id = $1
