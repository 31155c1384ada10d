-- The bench's peer: PostGraphile v5 serving the gateway's tables under row-level security, written the way a
-- PostGraphile user would protect them. Applied by bench/run.ts to the bench database only (never a migration).
--
-- It is deliberately independent of the gateway's own machinery: it reads the caller's roles from `user_roles` and
-- `roles` on every query and never touches `role_connections` (the gateway's materialization of who sees what) nor
-- `ds_group_selector`. What it shares with the gateway is the data, the `tags` column and its GIN index
-- (connections_tags_gin, jsonb_path_ops), which is the index any PostGraphile user would create for this policy.
--
-- Access semantics (CONTRACT.md): a user with roles sees the connections matching any group of any of their roles,
-- a group matching when every one of its filters equals the connection's tag (two values for one key in a group
-- match nothing); a user without roles is unrestricted and sees every connection; an unknown caller sees nothing.

-- The role PostGraphile switches to for every request (pgSettings.role: `SET LOCAL ROLE bench_peer`). Roles are
-- global to the server, so it is created once and kept between fleet sizes (the bench drops it when it leaves an
-- external server). The connecting user must be allowed to switch to it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_peer') THEN
    CREATE ROLE bench_peer NOLOGIN;
  END IF;
END $$;
GRANT bench_peer TO CURRENT_USER;

-- Column grants: PostGraphile's RBAC plugin exposes exactly what the role may read (no password, no probe errors;
-- no other table, no mutation).
GRANT SELECT (id, name, host, port, username, user_tags, pg_version, tags, enabled, connected, last_probe_at, collection_rate,
              samples, lock_monitoring, lock_monitoring_delay, table_monitoring, query_monitoring, query_monitoring_optimize,
              query_monitoring_min_calls, query_monitoring_min_time, created_at, updated_at)
  ON public.connections TO bench_peer;

-- Helpers live in a schema PostGraphile does not expose.
CREATE SCHEMA bench_peer;
GRANT USAGE ON SCHEMA bench_peer TO bench_peer;

-- The caller's groups as an array of jsonb objects ({"tag": "value", ...}), one per group of each of their roles, for
-- `tags @> ANY (...)`. The caller is `jwt.claims.user_id` (set by the server from a verified JWT). A user without
-- roles gets one empty object, which every connection contains; an unknown or anonymous caller gets no group.
-- SECURITY DEFINER: bench_peer itself may not read users, roles or user_roles.
CREATE FUNCTION bench_peer.caller_groups() RETURNS jsonb[]
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
  WITH caller AS (
    SELECT u.id FROM public.users u WHERE u.id = nullif(current_setting('jwt.claims.user_id', true), '')::integer
  ), groups AS (
    SELECT (SELECT jsonb_object_agg(f ->> 'tag', f ->> 'value')
              FROM jsonb_array_elements(g -> 'filters') AS f
            HAVING count(*) > 0
               AND count(DISTINCT f ->> 'tag') = count(DISTINCT jsonb_build_array(f ->> 'tag', f ->> 'value'))) AS selector
      FROM caller
      JOIN public.user_roles ur ON ur.user_id = caller.id
      JOIN public.roles r ON r.id = ur.role_id
     CROSS JOIN LATERAL jsonb_array_elements(r.access) AS g
  )
  SELECT CASE
           WHEN NOT EXISTS (SELECT FROM caller) THEN '{}'::jsonb[]
           WHEN NOT EXISTS (SELECT FROM caller JOIN public.user_roles ur ON ur.user_id = caller.id) THEN ARRAY['{}'::jsonb]
           ELSE coalesce((SELECT array_agg(DISTINCT selector) FROM groups WHERE selector IS NOT NULL), '{}'::jsonb[])
         END
$$;
REVOKE ALL ON FUNCTION bench_peer.caller_groups() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bench_peer.caller_groups() TO bench_peer;

-- The owner (the gateway's database user) is not subject to the policy (no FORCE ROW LEVEL SECURITY): the gateway
-- in the same database reads the table as before.
ALTER TABLE public.connections ENABLE ROW LEVEL SECURITY;

-- The groups are read once per statement: the function is wrapped in a sub-select, an InitPlan whose result is a
-- parameter, so `tags @> ANY ($groups)` is a bitmap scan of the GIN index (one index search per group) instead of a
-- function call per row. (The cast keeps `ANY (...)` an array expression, not `ANY (subquery)`.)
CREATE POLICY bench_peer_select ON public.connections FOR SELECT TO bench_peer
  USING (tags @> ANY ((SELECT bench_peer.caller_groups())::jsonb[]));
