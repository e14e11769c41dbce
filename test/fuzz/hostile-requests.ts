/**
 * Builds REST requests that break one thing about a well-typed request: a body
 * field of the wrong type, a body that is not JSON, a path parameter that is no
 * id, a wrong content type, a missing or forged token. A route marked `refused`
 * only ever gets requests that must be refused, so a 2xx there is a finding.
 */
import fc from 'fast-check';
import type { RawRequest } from './raw-http.js';
import {
  badNumberParam,
  badSeqJson,
  deepNestingJson,
  hostileText,
  malformedJsonText,
  notAUuid,
  percentEncodeAnything,
  wrongContentType,
  wrongTypeJson,
} from './hostile-values.js';
import {
  hasBody,
  pathParamsOf,
  type FieldKind,
  type PathParam,
  type QueryKind,
  type RouteSpec,
} from './rest-routes.js';

/** Real ids the requests aim at, so that only the broken part can be what is refused. */
export interface FuzzTarget {
  token: string;
  conversationId: string;
  messageId: string;
  /** Another member of the conversation. */
  memberId: string;
}

export interface HostileRequest extends RawRequest {
  route: RouteSpec;
  /** What was broken, for the tally and for failure messages. */
  flaw: string;
}

const BODY_LIMIT = 256 * 1024;

function validJson(kind: FieldKind, target: FuzzTarget): string {
  switch (kind) {
    case 'text':
    case 'nullableText':
      return '"fuzz"';
    case 'uuid':
    case 'nullableUuid':
      return JSON.stringify(target.messageId);
    case 'uuids':
      return JSON.stringify([target.memberId]);
    case 'strings':
      return '[]';
    case 'seq':
      return '1';
    case 'kind':
      return '"group"';
  }
}

/** JSON text that no field of this kind accepts. */
export function invalidJson(kind: FieldKind): fc.Arbitrary<string> {
  const anyString = hostileText.map((text) => JSON.stringify(text));
  switch (kind) {
    case 'text':
      return fc.oneof(wrongTypeJson, fc.constant('null'), fc.integer().map(String));
    case 'nullableText':
      return fc.oneof(wrongTypeJson, fc.integer().map(String));
    case 'uuid':
      return fc.oneof(
        wrongTypeJson,
        fc.constant('null'),
        notAUuid.map((text) => JSON.stringify(text)),
      );
    case 'nullableUuid':
      return fc.oneof(
        wrongTypeJson,
        notAUuid.map((text) => JSON.stringify(text)),
      );
    case 'uuids':
      return fc.oneof(
        anyString,
        fc.constant('null'),
        fc.constant('{}'),
        notAUuid.map((text) => JSON.stringify([text])),
        fc.integer().map((value) => `[${value}]`),
      );
    case 'strings':
      return fc.oneof(
        anyString,
        // Keys nobody uploaded (NUL, lone surrogates, RTL…): refused before anything is stored.
        fc
          .array(
            hostileText.filter((text) => text.length > 0 && text.length <= 500),
            { minLength: 1, maxLength: 3 },
          )
          .map((keys) => JSON.stringify(keys)),
        fc.constant('{}'),
        fc.constant('[""]'),
        fc.constant('[1]'),
        fc.constant('[null]'),
      );
    case 'seq':
      return badSeqJson;
    case 'kind':
      return fc.oneof(
        wrongTypeJson,
        hostileText
          .filter((text) => text !== 'direct' && text !== 'group')
          .map((text) => JSON.stringify(text)),
      );
  }
}

function objectJson(fields: Record<string, string>): string {
  return `{${Object.entries(fields)
    .map(([name, json]) => `${JSON.stringify(name)}:${json}`)
    .join(',')}}`;
}

function validBody(route: RouteSpec, target: FuzzTarget): string {
  return objectJson(
    Object.fromEntries(
      Object.entries(route.body ?? {}).map(([name, kind]) => [name, validJson(kind, target)]),
    ),
  );
}

/** A string far past every text field's limit, still under the 256 KiB body limit. */
const hugeTextJson = fc
  .integer({ min: 41_000, max: 200_000 })
  .map((length) => JSON.stringify('h'.repeat(length)));

/** A body (with its content type) that the route's body schema refuses. */
function brokenBody(
  route: RouteSpec,
  target: FuzzTarget,
): fc.Arbitrary<{ body: string; contentType: string; flaw: string }> {
  const json = 'application/json';
  const fields = Object.entries(route.body ?? {});
  const oneBadField = fc.constantFrom(...fields).chain(([name, kind]) =>
    fc
      .oneof(
        invalidJson(kind),
        deepNestingJson,
        ...(kind === 'text' || kind === 'nullableText' ? [hugeTextJson] : []),
      )
      .map((bad) => ({
        body: objectJson({
          ...Object.fromEntries(fields.map(([other, otherKind]) => [other, validJson(otherKind, target)])),
          [name]: bad,
        }),
        contentType: json,
        flaw: `body field ${name}`,
      })),
  );
  const notAnObject = fc
    .oneof(
      malformedJsonText.filter((text) => !isJsonObject(text)),
      wrongTypeJson.filter((text) => !isJsonObject(text)),
      deepNestingJson.filter((text) => text.startsWith('[')),
    )
    .map((body) => ({ body, contentType: json, flaw: 'body not an object' }));
  const tooLarge = fc
    .integer({ min: BODY_LIMIT + 1, max: BODY_LIMIT * 2 })
    .map((size) => ({ body: `{"pad":"${'x'.repeat(size)}"}`, contentType: json, flaw: 'body over 256 KiB' }));
  const wrongType = wrongContentType.map((contentType) => ({
    body: validBody(route, target),
    contentType,
    flaw: 'content type',
  }));
  const protoPoisoning = fc.constantFrom('__proto__', 'constructor').map((key) => ({
    body: objectJson({
      ...Object.fromEntries(fields.map(([name, kind]) => [name, validJson(kind, target)])),
      [key]: key === '__proto__' ? '{"isAdmin":true}' : '{"prototype":{"isAdmin":true}}',
    }),
    contentType: json,
    flaw: 'prototype poisoning',
  }));
  return fields.length > 0
    ? fc.oneof(
        { weight: 5, arbitrary: oneBadField },
        { weight: 3, arbitrary: notAnObject },
        { weight: 1, arbitrary: tooLarge },
        { weight: 2, arbitrary: wrongType },
        { weight: 1, arbitrary: protoPoisoning },
      )
    : fc.oneof(notAnObject, tooLarge);
}

/** As fastify reads a body: a leading byte order mark is skipped. */
function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Path segments no route parameter accepts (or that name nothing), as they go on the wire. */
const brokenSegment = fc.oneof(
  { weight: 4, arbitrary: notAUuid.filter((text) => text !== '').map((text) => percentEncodeAnything(text)) },
  { weight: 3, arbitrary: fc.uuid().map((text) => text) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%zz', '%ED%A0%80', '%C0%AF', '%00', '%FF%FE', '%E2%80%AE') },
  { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 40_000 }).map((length) => 'x'.repeat(length)) },
);

/** Emoji the reaction rules refuse (too long, whitespace, control characters, undecodable). */
const brokenEmoji = fc.oneof(
  fc.integer({ min: 65, max: 400 }).map((length) => 'x'.repeat(length)),
  fc.constantFrom('%20', 'a%20b', '%00', '%0A', '%ED%A0%80', '%', '%F0%9F'),
);

function validSegment(param: PathParam, target: FuzzTarget): string {
  switch (param) {
    case 'id':
      return target.conversationId;
    case 'messageId':
      return target.messageId;
    case 'userId':
      return target.memberId;
    case 'emoji':
      return encodeURIComponent('👍');
    case 'owner':
      return target.memberId;
    case 'blobId':
      return target.messageId;
  }
}

function queryValue(kind: QueryKind): fc.Arbitrary<string> {
  const forgedCursor = fc
    .tuple(
      fc.oneof(fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n }).map(String), hostileText),
      fc.oneof(fc.uuid(), hostileText),
    )
    .map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url'));
  switch (kind) {
    case 'text':
      return fc.oneof(hostileText, fc.string({ maxLength: 600 }));
    case 'number':
      return fc.oneof(badNumberParam, fc.integer({ min: 0, max: 300 }).map(String));
    case 'uuid':
      return fc.oneof(notAUuid, fc.uuid());
    case 'cursor':
      return fc.oneof(forgedCursor, hostileText, fc.base64String({ maxLength: 60 }));
    case 'date':
      return fc.oneof(
        hostileText,
        fc.constantFrom(
          '2025-02-30',
          '0000-01-01',
          '9999-12-31',
          '-001000-01-01',
          '2025-13-01',
          '275760-09-13',
        ),
      );
  }
}

/** A query string: some parameters, each maybe hostile, sometimes repeated. */
function queryString(route: RouteSpec): fc.Arbitrary<string> {
  const entries = Object.entries(route.query ?? {});
  if (entries.length === 0) return fc.constant('');
  return fc
    .tuple(
      ...entries.map(([name, kind]) =>
        fc.option(
          fc
            .array(queryValue(kind), { minLength: 1, maxLength: 2 })
            .map((values) => values.map((value) => `${name}=${percentEncodeAnything(value)}`)),
          { freq: 3 },
        ),
      ),
    )
    .map((parts) => {
      const pairs = parts.flatMap((part) => part ?? []);
      return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
    });
}

const forgedAuthorization = (token: string) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer garbage',
      'Basic YWxpY2U6c2VjcmV0',
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -2)}`,
      `Bearer ${token.split('.').slice(0, 2).join('.')}.`,
      `bearer  ${token} ${token}`,
      `Bearer eyJhbGciOiJub25lIn0.${token.split('.')[1] ?? ''}.`,
    ),
  );

type Flaw = 'body' | 'path' | 'auth' | 'query' | 'none';

/** One hostile request for `route`; for a `refused` route it is sure to be refused. */
export function hostileRequest(route: RouteSpec, target: FuzzTarget): fc.Arbitrary<HostileRequest> {
  const params = pathParamsOf(route);
  const flaws: Flaw[] = [];
  if (hasBody(route)) flaws.push('body');
  if (params.some((param) => param !== 'owner' && param !== 'blobId')) flaws.push('path');
  if (route.authenticated) flaws.push('auth');
  if (route.expect === 'any') flaws.push('query', 'none');
  if (route.path.startsWith('/v1/blobs/')) flaws.push('none'); // no signature is the flaw
  const bearer = `Bearer ${target.token}`;

  return fc.constantFrom(...flaws).chain((flaw) => {
    const pathParam = fc.constantFrom(...(params.length > 0 ? params : ['id' as PathParam]));
    return fc
      .record({
        brokenParam: pathParam,
        brokenValue: brokenSegment,
        brokenEmoji,
        body: hasBody(route) ? brokenBody(route, target) : fc.constant(undefined),
        query: queryString(route),
        authorization: forgedAuthorization(target.token),
      })
      .map(({ brokenParam, brokenValue, brokenEmoji: emoji, body, query, authorization }): HostileRequest => {
        let path = route.path;
        for (const param of params) {
          const broken = flaw === 'path' && param === brokenParam;
          const value = broken ? (param === 'emoji' ? emoji : brokenValue) : validSegment(param, target);
          path = path.replace(`:${param}`, value);
        }
        const headers: Record<string, string> = {};
        if (route.authenticated) {
          if (flaw !== 'auth') headers.authorization = bearer;
          else if (authorization !== undefined) headers.authorization = authorization;
        }
        let requestBody: string | undefined;
        if (body !== undefined) {
          requestBody = flaw === 'body' ? body.body : validBody(route, target);
          headers['content-type'] = flaw === 'body' ? body.contentType : 'application/json';
          if (headers['content-type'] === '') delete headers['content-type'];
        }
        return {
          route,
          flaw: flaw === 'body' && body ? body.flaw : flaw,
          method: route.method,
          target: `${path}${query}`,
          headers,
          body: requestBody,
        };
      });
  });
}

/** Paths and methods no route serves: a 404 with the error body. */
export const unknownRouteRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'),
    segments: fc.array(
      fc.oneof(
        hostileText.filter((text) => text !== ''),
        fc.constantFrom('v1', 'v2', 'users', 'conversations', 'admin'),
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  })
  .map(({ method, segments }) => ({
    method,
    target: `/${segments.map((segment) => percentEncodeAnything(segment)).join('/')}/x`,
  }));
