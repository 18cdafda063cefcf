import { permanent, transient, type PipelineError } from '../shared/pipeline-error.ts';

/** What supabase-js resolves as `error` for a table call: PostgREST's body, or its own stand-in for a network failure. */
export interface PostgrestFailure {
  code?: string | undefined;
  message?: string | undefined;
  details?: string | null | undefined;
  hint?: string | null | undefined;
}

export const SETUP_INSTRUCTION =
  'the table image_metadata or a column is missing: run sql/supabase-setup.sql in the Supabase SQL editor';

// PGRST204/205: PostgREST's schema cache lacks the column/table. 42703/42P01: Postgres itself says so
// (PostgREST passes select/filter columns through without checking its cache).
const SCHEMA_CODES = new Set(['PGRST204', 'PGRST205', '42703', '42P01']);
// PGRST301-303: the JWT is malformed, expired or its role is unknown.
const ACCESS_CODES = new Set(['42501', 'PGRST301', 'PGRST302', 'PGRST303']);
// PGRST000-003: PostgREST cannot reach the database, or timed out waiting for a pooled connection.
// 57014 statement timeout, 40001/40P01 serialization failure/deadlock: the same call can succeed later.
const TRANSIENT_CODES = new Set(['PGRST000', 'PGRST001', 'PGRST002', 'PGRST003', '57014', '40001', '40P01']);

/**
 * Turns a `{ error, status }` of supabase-js into the pipeline's error. `status` is the HTTP status,
 * 0 when no answer came at all (connection refused or dropped, timeout): supabase-js then fills `error`
 * itself, with an empty code and the fetch error's name in the message.
 */
export function postgrestError(action: string, error: PostgrestFailure, status: number): PipelineError {
  const code = error.code ?? '';
  // With no answer, supabase-js puts whole stack traces in `details`: keep only the cause's first line.
  const details = status === 0 ? /Caused by: ([^\n]+)/.exec(error.details ?? '')?.[1] : error.details;
  const said = [code, error.message, details, error.hint].filter((part) => part !== undefined && part !== null && part !== '').join(' — ');
  if (SCHEMA_CODES.has(code)) {
    return permanent('supabase_schema_missing', `Cannot ${action}: ${SETUP_INSTRUCTION}. Missing: ${missingThing(error.message ?? '')} (${said}).`, error);
  }
  if (ACCESS_CODES.has(code) || status === 401 || status === 403) {
    return permanent(
      'supabase_access_denied',
      `Cannot ${action}: Supabase refused access (HTTP ${status}: ${said}). SUPABASE_KEY must be the service_role or ` +
        'sb_secret_ key, and service_role needs the grants in sql/supabase-setup.sql.',
      error,
    );
  }
  if (status === 0 || status === 429 || status >= 500 || TRANSIENT_CODES.has(code) || code.startsWith('08') || code.startsWith('53')) {
    const how = status === 0 ? 'no answer' : `HTTP ${status}`;
    return transient('supabase_unavailable', `Cannot ${action}: Supabase is unavailable (${how}: ${said || 'no details'}).`, error);
  }
  return permanent('supabase_rejected', `Cannot ${action}: Supabase rejected the request (HTTP ${status}: ${said}).`, error);
}

/** Names what PostgREST or Postgres said is missing, so the user knows whether the table or one column lags. */
function missingThing(message: string): string {
  const column = /the '([^']+)' column/.exec(message) ?? /column (?:[\w.]+\.)?"?(\w+)"? does not exist/.exec(message);
  if (column?.[1] !== undefined) return `column '${column[1]}'`;
  const table = /the table '([^']+)'/.exec(message) ?? /relation "?([\w.]+)"? does not exist/.exec(message);
  if (table?.[1] !== undefined) return `table '${table[1]}'`;
  return 'see the message';
}
