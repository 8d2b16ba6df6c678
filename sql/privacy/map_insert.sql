-- map_insert: add pairs to privacy_map.
-- Parameters: $1 addresses (text[]), $2 their pseudonyms (text[]), same length.
insert into privacy_map (address, pseudonym)
select a::inet, p::inet from unnest($1::text[], $2::text[]) as t (a, p)
