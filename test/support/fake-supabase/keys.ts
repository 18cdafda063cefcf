import { createHmac } from 'node:crypto';

/**
 * Keys shaped like a Supabase project's legacy API keys: HS256 JWTs whose payload names the role. The
 * fake server only compares them as strings; describeSupabaseKey reads the role from the payload.
 */
export function fakeJwt(payload: Record<string, unknown>, secret = 'fake-project-jwt-secret'): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

const claims = { iss: 'supabase', ref: 'fakeprojectref', iat: 1_767_225_600, exp: 2_082_758_400 };
export const SERVICE_ROLE_KEY = fakeJwt({ ...claims, role: 'service_role' });
export const ANON_KEY = fakeJwt({ ...claims, role: 'anon' });
