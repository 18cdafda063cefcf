import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pg from 'pg';
import {
  bodyColumn, column, limitClause, orderClause, Params, RestError, selectList, tableName, whereClause, type TableSchema,
} from './rest-query.ts';
import type { FakeSupabaseOptions } from './server.ts';

/*
 * The PostgREST side of the fake: GET, POST (insert/upsert) and PATCH on /rest/v1/{table}, only the subset
 * the catalog's supabase-js calls need. It runs each request on the real PostgreSQL at
 * options.databaseUrl in its own transaction under `set local role`, exactly as PostgREST does, so grants,
 * RLS, constraints, ON CONFLICT and row locks are the database's own, not imitations. The schema cache
 * is the real table list read at start and on reloadSchema(), as PostgREST does on `notify pgrst`.
 */

export type RestFault = '500' | '503' | 'network' | 'PGRST205' | 'PGRST204' | '23505';

export interface RestState {
  close(): Promise<void>;
  /** The next `n` REST requests fail this way, then requests are served again. */
  failNext(n: number, kind: RestFault): void;
  /** Re-reads tables and columns, as PostgREST does on `notify pgrst, 'reload schema'`. */
  reloadSchema(): Promise<void>;
}

type Role = 'service_role' | 'anon';
type Prefer = Map<string, string>;

interface Plan {
  sql: string;
  params: Params;
  /** 200 for reads and updates, 201 for inserts. */
  status: number;
  returnBody: boolean;
}

const FAULTS: Record<Exclude<RestFault, 'network'>, (table: string) => RestError> = {
  500: () => new RestError(500, 'XX000', 'fake internal server error'),
  503: () => new RestError(503, 'PGRST002', 'Could not query the database for the schema cache. Retrying.'),
  PGRST205: (table) => new RestError(404, 'PGRST205', `Could not find the table 'public.${table}' in the schema cache`),
  PGRST204: (table) => new RestError(400, 'PGRST204', `Could not find the 'status' column of '${table}' in the schema cache`),
  23505: (table) => new RestError(409, '23505', `duplicate key value violates unique constraint "${table}_wamid_key"`, 'Key (wamid)=(x) already exists.'),
};

export async function registerRestRoutes(app: FastifyInstance, options: FakeSupabaseOptions): Promise<RestState> {
  const pool = options.databaseUrl === undefined
    ? undefined
    : new pg.Pool({ connectionString: options.databaseUrl, max: 10, options: '-c TimeZone=UTC' });
  pool?.on('error', () => undefined);
  let tables = new Map<string, TableSchema>();
  const faults: RestFault[] = [];

  const reloadSchema = async () => {
    if (pool === undefined) return;
    const { rows } = await pool.query<{ table_name: string; column_name: string }>(
      "select table_name, column_name from information_schema.columns where table_schema = 'public'",
    );
    const next = new Map<string, Set<string>>();
    for (const row of rows) next.set(row.table_name, (next.get(row.table_name) ?? new Set()).add(row.column_name));
    tables = new Map([...next].map(([name, columns]) => [name, { name, columns }]));
  };
  await reloadSchema();

  app.route<{ Params: { table: string } }>({
    method: ['GET', 'POST', 'PATCH'],
    url: '/rest/v1/:table',
    handler: async (request, reply) => {
      const fault = faults.shift();
      if (fault === 'network') return dropConnection(request, reply);
      const role = roleOf(request, options);
      try {
        if (fault !== undefined) throw FAULTS[fault](request.params.table);
        const table = tables.get(request.params.table);
        if (table === undefined || pool === undefined) throw FAULTS.PGRST205(request.params.table);
        const plan = planFor(request, table);
        const body = await run(pool, role, plan);
        const payload = plan.returnBody ? body : undefined;
        return reply.code(payload === undefined && plan.status === 200 ? 204 : plan.status)
          .header('content-type', 'application/json; charset=utf-8').send(payload);
      } catch (error) {
        const rest = error instanceof RestError ? error : fromDatabase(error, role);
        return reply.code(rest.status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(rest.body()));
      }
    },
  });

  return {
    close: async () => pool?.end(),
    failNext: (n, kind) => faults.push(...Array.from({ length: n }, () => kind)),
    reloadSchema,
  };
}

function planFor(request: FastifyRequest, table: TableSchema): Plan {
  const query = new URL(request.url, 'http://fake').searchParams;
  const prefer = parsePrefer(request.headers.prefer);
  const params = new Params();
  const returning = selectList(table, query.get('select'));
  const wantsBody = prefer.get('return') === 'representation';
  const wrap = (dml: string) => `with pgrst_source as (${dml}) select coalesce(json_agg(pgrst_source), '[]')::text as body from pgrst_source`;
  switch (request.method) {
    case 'GET': {
      const where = whereClause(table, query, params);
      const tail = orderClause(table, query.get('order')) + limitClause(query, params);
      return { sql: wrap(`select ${returning} from ${tableName(table)} where ${where}${tail}`), params, status: 200, returnBody: true };
    }
    case 'POST': {
      const rows = jsonBody(request);
      const list = Array.isArray(rows) ? rows : [rows];
      const names = query.get('columns')?.split(',').map((c) => c.replace(/^"(.*)"$/, '$1')) ?? Object.keys(list[0] ?? {});
      const cols = names.map((name) => bodyColumn(table, name)).join(', ');
      const source = `select ${cols} from json_populate_recordset(null::${tableName(table)}, ${params.add(JSON.stringify(list))}::json)`;
      const dml = `insert into ${tableName(table)} (${cols}) ${source}${conflictClause(table, query, prefer, names)} returning ${returning}`;
      return { sql: wrap(dml), params, status: 201, returnBody: wantsBody };
    }
    case 'PATCH': {
      const values = jsonBody(request);
      if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new RestError(400, 'PGRST102', 'Empty or invalid json');
      const cols = Object.keys(values).map((name) => bodyColumn(table, name)).join(', ');
      const source = `(select ${cols} from json_populate_record(null::${tableName(table)}, ${params.add(JSON.stringify(values))}::json))`;
      const where = whereClause(table, query, params);
      const dml = `update ${tableName(table)} set (${cols}) = ${source} where ${where} returning ${returning}`;
      return { sql: wrap(dml), params, status: 200, returnBody: wantsBody };
    }
    default:
      throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${request.method}`);
  }
}

function conflictClause(table: TableSchema, query: URLSearchParams, prefer: Prefer, names: string[]): string {
  const resolution = prefer.get('resolution');
  const target = query.get('on_conflict');
  if (resolution === undefined) return '';
  // Real PostgREST falls back to the primary key; the catalog always names wamid, so the fake requires it.
  if (target === null) throw new RestError(400, 'PGRST100', 'the fake needs on_conflict with a resolution');
  const conflict = column(table, target);
  if (resolution === 'ignore-duplicates') return ` on conflict (${conflict}) do nothing`;
  const updates = names.filter((name) => name !== target).map((name) => `${bodyColumn(table, name)} = excluded.${bodyColumn(table, name)}`);
  return ` on conflict (${conflict}) do update set ${updates.join(', ')}`;
}

/** postgrest-js appends each preference, so the header arrives as "a=b, c=d". */
function parsePrefer(header: string | string[] | undefined): Prefer {
  const prefer: Prefer = new Map();
  for (const part of [header ?? []].flat().join(',').split(',')) {
    const [key, value] = part.trim().split('=');
    if (key && value) prefer.set(key, value);
  }
  return prefer;
}

function jsonBody(request: FastifyRequest): unknown {
  const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  try {
    return JSON.parse(raw);
  } catch {
    throw new RestError(400, 'PGRST102', 'Empty or invalid json');
  }
}

/** The gateway maps the service key (legacy JWT or sb_secret_) to service_role; anything else is anon. */
function roleOf(request: FastifyRequest, options: FakeSupabaseOptions): Role {
  const bearer = request.headers.authorization?.replace(/^Bearer /i, '');
  return request.headers.apikey === options.serviceRoleKey || bearer === options.serviceRoleKey ? 'service_role' : 'anon';
}

async function run(pool: pg.Pool, role: Role, plan: Plan): Promise<string> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    await client.query(`set local role ${role}`);
    const { rows } = await client.query<{ body: string }>(plan.sql, plan.params.values);
    await client.query('commit');
    return rows[0]?.body ?? '[]';
  } catch (error) {
    await client.query('rollback').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** PostgREST's mapping of SQLSTATE to HTTP status, for the codes the catalog can meet. */
function fromDatabase(error: unknown, role: Role): RestError {
  if (!(error instanceof pg.DatabaseError) || error.code === undefined) throw error;
  const code = error.code;
  const status =
    code === '42501' ? (role === 'anon' ? 401 : 403)
    : code === '23505' || code === '23503' ? 409
    : code === '42P01' ? 404
    : code.startsWith('08') || code.startsWith('53') ? 503
    : code.startsWith('22') || code.startsWith('23') || code.startsWith('42') ? 400
    : 500;
  return new RestError(status, code, error.message, error.detail ?? null, error.hint ?? null);
}

/** A dropped connection: the client sees a socket closed before any response. */
function dropConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}
