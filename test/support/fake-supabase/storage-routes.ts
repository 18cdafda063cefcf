import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FakeSupabaseOptions } from './server.ts';
import {
  PROJECT_FILE_SIZE_LIMIT, bucketJson, createStorageState, errors, etag, isValidBucketName, isValidKey, mimeAllowed,
  newObject, objectJson, parseSizeLimit, sendFault, sendStorageError, type FakeBucket, type FakeObject, type StorageState,
} from './storage-state.ts';

export type { FakeBucket, FakeObject, StorageFaultKind, StorageState } from './storage-state.ts';

/*
 * Supabase Storage's HTTP API as storage-js 2.x calls it, under /storage/v1 (DESIGN.md §4; routes and
 * error bodies follow supabase/storage src/http/routes). Buckets start empty: tests create theirs with
 * state.createBucket() or through the API. The service key bypasses row-level security; the anon key is
 * treated as a project with RLS on and no policies, which is what the SQL we ship sets up.
 */

type Role = 'service_role' | 'anon';
type ObjectRequest = FastifyRequest<{ Params: { bucket: string; '*': string }; Querystring: Record<string, string | undefined> }>;
type BucketRequest = FastifyRequest<{ Params: { id: string } }>;

const PREFIX = '/storage/v1';

export function registerStorageRoutes(app: FastifyInstance, options: FakeSupabaseOptions): StorageState {
  const state = createStorageState();
  const roles = new WeakMap<FastifyRequest, Role>();
  const roleOf = (request: FastifyRequest): Role | undefined => roles.get(request);

  // The gateway checks `apikey`; Storage itself checks the Bearer JWT and maps it to a database role.
  const authenticate = (request: FastifyRequest, reply: FastifyReply): Role | undefined => {
    const apikey = request.headers.apikey;
    if (typeof apikey !== 'string' || apikey === '') {
      void reply.code(401).send({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' });
      return undefined;
    }
    if (apikey !== options.serviceRoleKey && apikey !== options.anonKey) {
      void reply.code(401).send({ message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' });
      return undefined;
    }
    const bearer = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (bearer === options.serviceRoleKey) return 'service_role';
    if (options.anonKey !== undefined && bearer === options.anonKey) return 'anon';
    void sendStorageError(reply, 403, 'AccessDenied', bearer ? 'invalid signature' : 'jwt must be provided', 'Unauthorized');
    return undefined;
  };

  const visibleObject = (request: FastifyRequest, bucket: FakeBucket, key: string): FakeObject | undefined =>
    roleOf(request) === 'service_role' || bucket.public ? bucket.objects.get(key) : undefined;

  const sendObject = (reply: FastifyReply, object: FakeObject) =>
    reply
      .header('content-type', object.contentType)
      .header('cache-control', object.cacheControl ?? 'no-cache')
      .header('etag', `"${etag(object)}"`)
      .header('last-modified', new Date(object.updatedAt).toUTCString())
      .send(object.bytes);

  const upload = (alwaysUpsert: boolean) => async (request: ObjectRequest, reply: FastifyReply) => {
    // Storage's order: bucket (as superuser), size and type while reading the body, key, then RLS.
    const key = request.params['*'];
    const bucket = state.buckets.get(request.params.bucket);
    if (!bucket) return errors.noSuchBucket(reply);
    const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (bytes.length > Math.min(PROJECT_FILE_SIZE_LIMIT, bucket.fileSizeLimit ?? Infinity)) return errors.tooLarge(reply);
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    if (!mimeAllowed(bucket, contentType)) {
      return sendStorageError(reply, 415, 'InvalidMimeType', `mime type ${contentType} is not supported`, 'invalid_mime_type');
    }
    if (!isValidKey(key)) return errors.invalidKey(reply, key);
    if (roleOf(request) !== 'service_role') return errors.rls(reply);
    const previous = bucket.objects.get(key);
    if (previous && !(alwaysUpsert || request.headers['x-upsert'] === 'true')) return errors.duplicate(reply);
    const cacheControl = request.headers['cache-control'];
    const object = newObject(key, Buffer.from(bytes), contentType, cacheControl, previous);
    bucket.objects.set(key, object);
    return { Id: object.id, Key: `${bucket.id}/${key}` };
  };

  // Reads look the bucket up first, then findObject checks the key and applies RLS.
  const findForRead = (request: ObjectRequest, reply: FastifyReply): FakeObject | undefined => {
    const bucket = state.buckets.get(request.params.bucket);
    const key = request.params['*'];
    if (!bucket) return void errors.noSuchBucket(reply);
    if (!isValidKey(key)) return void errors.invalidKey(reply, key);
    const object = visibleObject(request, bucket, key);
    if (!object) return void errors.noSuchKey(reply);
    return object;
  };

  const download = async (request: ObjectRequest, reply: FastifyReply) => {
    const object = findForRead(request, reply);
    return object ? sendObject(reply, object) : reply;
  };

  const info = async (request: ObjectRequest, reply: FastifyReply) => {
    const object = findForRead(request, reply);
    if (!object) return reply;
    return {
      id: object.id, version: object.id, name: object.name, size: object.bytes.length,
      bucket_id: request.params.bucket, content_type: object.contentType, cache_control: object.cacheControl ?? 'no-cache',
      etag: `"${etag(object)}"`, last_modified: object.updatedAt, created_at: object.createdAt, metadata: {},
    };
  };

  void app.register(
    async (storage) => {
      storage.addHook('preHandler', async (request, reply) => {
        const path = request.url.split('?')[0]!.slice(PREFIX.length);
        const fault = state.takeFault(request.method, path);
        if (fault === 'network') {
          reply.hijack();
          request.raw.socket.destroy();
          return reply;
        }
        if (fault) return sendFault(reply, fault);
        // Signed and public URLs are meant for holders without a key: Storage checks the token instead.
        if (request.method === 'GET' && /^\/object\/(sign|public)\//.test(path)) return;
        const role = authenticate(request, reply);
        if (!role) return reply;
        roles.set(request, role);
      });

      storage.post('/object/:bucket/*', upload(false));
      storage.put('/object/:bucket/*', upload(true));
      for (const route of ['/object/:bucket/*', '/object/authenticated/:bucket/*']) {
        storage.get(route, { exposeHeadRoute: false }, download);
        storage.head(route, download);
      }
      storage.get('/object/info/:bucket/*', info);
      storage.get('/object/info/authenticated/:bucket/*', info);

      storage.delete('/object/:bucket', async (request: FastifyRequest<{ Params: { bucket: string } }>, reply) => {
        const prefixes = jsonBody(request)?.prefixes;
        if (!Array.isArray(prefixes) || prefixes.length === 0 || !prefixes.every((p) => typeof p === 'string')) {
          return errors.badRequest(reply, 'body/prefixes must NOT have fewer than 1 items');
        }
        const bucket = state.buckets.get(request.params.bucket);
        // RLS hides every row from anon, so it deletes nothing; names that are not there are skipped.
        if (!bucket || roleOf(request) !== 'service_role') return [];
        return prefixes.flatMap((name: string) => {
          const object = bucket.objects.get(name);
          if (!object) return [];
          bucket.objects.delete(name);
          return [objectJson(bucket, object)];
        });
      });

      storage.post('/object/sign/:bucket/*', async (request: ObjectRequest, reply) => {
        const expiresIn = jsonBody(request)?.expiresIn;
        if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn < 1) {
          return errors.badRequest(reply, 'body/expiresIn must be integer >= 1');
        }
        // signObjectUrl never looks at the bucket: findObject checks the key, then finds no row.
        const key = request.params['*'];
        if (!isValidKey(key)) return errors.invalidKey(reply, key);
        const bucket = state.buckets.get(request.params.bucket);
        if (!bucket || !visibleObject(request, bucket, key)) return errors.noSuchKey(reply);
        const token = state.signToken(`${bucket.id}/${key}`, expiresIn);
        return { signedURL: `/object/sign/${bucket.id}/${key}?token=${token}` };
      });

      storage.get('/object/sign/:bucket/*', async (request: ObjectRequest, reply) => {
        const token = request.query.token;
        if (!token) return errors.badRequest(reply, "querystring must have required property 'token'");
        const verified = state.verifyToken(token);
        if ('error' in verified) return errors.invalidJwt(reply, verified.error);
        if (verified.url !== `${request.params.bucket}/${request.params['*']}`) {
          return sendStorageError(reply, 400, 'InvalidSignature', 'Invalid signature');
        }
        const object = state.object(request.params.bucket, request.params['*']);
        return object ? sendObject(reply, object) : errors.noSuchKey(reply);
      });

      storage.get('/object/public/:bucket/*', async (request: ObjectRequest, reply) => {
        const bucket = state.buckets.get(request.params.bucket);
        if (!bucket?.public) return errors.noSuchBucket(reply);
        const object = bucket.objects.get(request.params['*']);
        return object ? sendObject(reply, object) : errors.noSuchKey(reply);
      });

      registerBucketRoutes(storage, state, roleOf);
    },
    { prefix: PREFIX },
  );
  return state;
}

function registerBucketRoutes(storage: FastifyInstance, state: StorageState, roleOf: (r: FastifyRequest) => Role | undefined): void {
  // With RLS on storage.buckets and no policies, anon sees no bucket and cannot create one.
  const findBucket = (request: FastifyRequest, id: string) => (roleOf(request) === 'service_role' ? state.buckets.get(id) : undefined);

  storage.get('/bucket', async (request) => (roleOf(request) === 'service_role' ? [...state.buckets.values()].map(bucketJson) : []));

  storage.get('/bucket/:id', async (request: BucketRequest, reply) => {
    const bucket = findBucket(request, request.params.id);
    return bucket ? bucketJson(bucket) : errors.noSuchBucket(reply);
  });

  storage.post('/bucket', async (request, reply) => {
    const body = jsonBody(request) ?? {};
    const id = body.id ?? body.name;
    if (typeof id !== 'string' || !isValidBucketName(id)) return sendStorageError(reply, 400, 'InvalidBucketName', 'Bucket name invalid', 'Invalid Input');
    if (roleOf(request) !== 'service_role') return errors.rls(reply);
    if (state.buckets.has(id)) return errors.duplicate(reply, 'BucketAlreadyExists');
    const fileSizeLimit = parseSizeLimit(body.file_size_limit);
    if (fileSizeLimit === 'invalid') {
      return sendStorageError(reply, 400, 'InvalidRequest', 'Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B');
    }
    const allowed = Array.isArray(body.allowed_mime_types) ? body.allowed_mime_types.map(String) : null;
    state.createBucket(id, { public: body.public === true, fileSizeLimit, allowedMimeTypes: allowed });
    return { name: id };
  });

  storage.put('/bucket/:id', async (request: BucketRequest, reply) => {
    const bucket = findBucket(request, request.params.id);
    if (!bucket) return errors.noSuchBucket(reply);
    const body = jsonBody(request) ?? {};
    const fileSizeLimit = parseSizeLimit(body.file_size_limit);
    if (fileSizeLimit === 'invalid') return sendStorageError(reply, 400, 'InvalidRequest', 'Invalid file size format');
    if (typeof body.public === 'boolean') bucket.public = body.public;
    if (body.file_size_limit !== undefined) bucket.fileSizeLimit = fileSizeLimit;
    if (body.allowed_mime_types !== undefined) bucket.allowedMimeTypes = Array.isArray(body.allowed_mime_types) ? body.allowed_mime_types.map(String) : null;
    bucket.updatedAt = new Date().toISOString();
    return { message: 'Successfully updated' };
  });

  storage.delete('/bucket/:id', async (request: BucketRequest, reply) => {
    const bucket = findBucket(request, request.params.id);
    if (!bucket) return errors.noSuchBucket(reply);
    if (bucket.objects.size > 0) return sendStorageError(reply, 409, 'InvalidRequest', 'The bucket you tried to delete is not empty');
    state.buckets.delete(bucket.id);
    return { message: 'Successfully deleted' };
  });
}

/** server.ts hands every body over as raw bytes (so uploads stay byte-exact); JSON routes parse their own. */
function jsonBody(request: FastifyRequest): Record<string, unknown> | undefined {
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
