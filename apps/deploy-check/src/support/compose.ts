import { parse } from 'yaml';
import { readRepoFile } from './repo';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  command?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml as written (anchors and merge keys resolved, `${...}` not yet interpolated). */
export function readComposeFile(): unknown {
  return parse(readRepoFile('docker-compose.yml'), { merge: true });
}

/**
 * docker-compose.yml as `docker compose up` sees it with no `.env` file: every `${VAR:-default}` is
 * its default. A variable without a default would be empty, which the file must not rely on.
 */
export function composeModel(env: Record<string, string> = {}): ComposeFile {
  return interpolate(readComposeFile(), env) as ComposeFile;
}

function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolateString(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]));
  }
  return value;
}

function interpolateString(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (match, braced?: string, fallback?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback === undefined) throw new Error(`docker-compose.yml uses ${match} without a default: set one, or it is empty`);
    return fallback;
  });
}
