import pg from 'pg';

/*
 * Supabase's three API roles, as its PostgreSQL has them (service_role bypasses RLS). Roles are
 * cluster-wide, so every test file that needs them calls this; two files doing it at the same moment
 * race on pg_authid, and the loser's duplicate_object / unique_violation is simply ignored.
 */
const CREATE_ROLES = `
do $$
begin
  begin create role anon nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  begin create role authenticated nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  begin create role service_role nologin noinherit bypassrls; exception when duplicate_object or unique_violation then null; end;
end
$$`;

export async function ensureSupabaseRoles(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(CREATE_ROLES);
  } finally {
    await client.end();
  }
}
