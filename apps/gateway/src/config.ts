import { isIP } from 'node:net';
import { CommonEnv } from '@mediamagic/runtime';
import { z } from 'zod';

/** An IP address or a CIDR range of them: `10.0.0.0/8`, `fd00::/8`, `192.0.2.7`. */
function isAddressOrRange(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128));
}

// proxy-addr's names of the private ranges: 127.0.0.0/8 and ::1, 169.254.0.0/16 and fe80::/10, 10/8, 172.16/12,
// 192.168/16 and fc00::/7, where an ingress inside the cluster has its address.
const PRIVATE_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * The proxies whose X-Forwarded-For is believed, in Fastify's terms: none (`false`: the client is the socket's
 * peer), or their addresses, the client being the right-most address of X-Forwarded-For that is not one of them.
 * `true` trusts the private ranges; trusting every hop would take the left-most address, which the client writes.
 */
const TrustProxy = z
  .string()
  .trim()
  .default('false')
  .transform((value, context): false | string[] => {
    if (value === 'false') return false;
    if (value === 'true') return PRIVATE_RANGES;
    const proxies = value.split(',').map((proxy) => proxy.trim());
    if (proxies.every((proxy) => PRIVATE_RANGES.includes(proxy) || isAddressOrRange(proxy))) return proxies;
    context.addIssue({
      code: 'custom',
      message: "must be 'false', 'true' (proxies on private networks), or the proxies' addresses (IP, CIDR, loopback, linklocal, uniquelocal; comma-separated)",
    });
    return z.NEVER;
  });

export const GatewayConfig = CommonEnv.extend({
  PORT: z.coerce.number<string>().int('must be a whole number').min(1, 'must be from 1 to 65535').max(65535, 'must be from 1 to 65535').default(3000),
  // Unset means a random secret per process (see AccessTokens); a short one would be guessable.
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Requests per minute per client address to the unauthenticated routes; 0 switches these limits off.
  AUTH_RATE_LIMIT: z.coerce.number<string>().int('must be a whole number').min(0, 'must be 0 (off) or more').default(30),
  TRUST_PROXY: TrustProxy,
  // The comment line on idle live streams (GET /deployments/live), before proxies give up on them.
  LIVE_KEEP_ALIVE_MS: z.coerce.number<string>().int('must be a whole number').min(100, 'must be at least 100').default(15_000),
});
export type GatewayConfig = z.output<typeof GatewayConfig>;

/** The Nest token of the parsed configuration. */
export const GATEWAY_CONFIG = Symbol('GatewayConfig');
