import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SecurityHeadersOptions {
  /**
   * `Strict-Transport-Security: max-age=<this>` on every answer; 0 (the default) sends
   * none. Set it only when Parley is reached over TLS (browsers ignore it over plain HTTP,
   * but a wrong value pins a host to HTTPS for that long).
   */
  hstsMaxAgeSeconds?: number;
}

/**
 * API answers (JSON) are never documents: nothing in them may load or run, and no
 * page may frame them.
 */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * HTML pages that do not bring their own policy (the docs UI sets its own, with the
 * hashes of its scripts): same-origin resources only, inline style allowed for UI
 * libraries, no plugins, no framing.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * An `onSend` hook adding the headers every HTTP answer carries. Routes that set
 * one of them themselves (signed blob downloads, the docs UI) keep theirs.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}) {
  const hsts = options.hstsMaxAgeSeconds ? `max-age=${options.hstsMaxAgeSeconds}; includeSubDomains` : '';
  return (
    _request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: null, payload: unknown) => void,
  ): void => {
    const setDefault = (name: string, value: string) => {
      if (!reply.hasHeader(name)) reply.header(name, value);
    };
    setDefault('x-content-type-options', 'nosniff');
    setDefault('x-frame-options', 'DENY');
    // Signed blob URLs and `?access_token=` must not leak to other sites through Referer.
    setDefault('referrer-policy', 'no-referrer');
    setDefault('cross-origin-opener-policy', 'same-origin');
    const type = String(reply.getHeader('content-type') ?? '');
    setDefault('content-security-policy', type.startsWith('text/html') ? PAGE_CSP : API_CSP);
    if (hsts) setDefault('strict-transport-security', hsts);
    done(null, payload);
  };
}
