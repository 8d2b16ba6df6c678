-- dnstap_answered: forget waiting dnstap queries that a later batch's responses answered.
-- Parameters: $1 node_id, $2 keys (text[]). Runs in the batch's transaction.
delete from dnstap_pending where node_id = $1 and key = any($2::text[])
