import { envSchema } from './schema.ts';
import { toConfig, type Config } from './config.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * The one place that reads the environment. Every bad variable is reported at once, so a user fixes
 * their .env in one pass instead of one restart per mistake.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const config = toConfig(parsed.data);
  const problems = crossFieldProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

// An empty variable (`PORT=` in .env) means "use the default", not "the empty string".
function stripEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return out;
}

function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.catalog.kind === 'postgres' && !config.catalog.databaseUrl) {
    problems.push('CATALOG=postgres needs DATABASE_URL (a postgres:// connection string).');
  }
  for (const [port, kind] of [['CATALOG', config.catalog.kind], ['STORAGE', config.storage.kind]] as const) {
    if (kind === 'supabase' && (!config.catalog.supabase.url || !config.catalog.supabase.key)) {
      problems.push(`${port}=supabase needs SUPABASE_URL and SUPABASE_KEY (the service-role key).`);
    }
  }
  if (config.dispatch.kind === 'bullmq' && !config.dispatch.redisUrl) {
    problems.push('DISPATCH=bullmq needs REDIS_URL (a redis:// connection string).');
  }
  if (config.dispatch.retryMaxMs < config.dispatch.retryBaseMs) {
    problems.push('RETRY_MAX_MS must be at least RETRY_BASE_MS.');
  }
  return problems;
}
