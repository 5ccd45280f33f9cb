/**
 * Registry credentials for pulls, from the agent's Docker client configuration — the file
 * `docker login` writes (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) — so a host
 * that can `docker pull` a private image can run it. Pure lookups here; the adapter reads the file
 * at each pull, so a `docker login` on the host counts without restarting the agent.
 *
 * Only inline `auths` entries are read (`auth` = base64 "user:password", or `username`/`password`,
 * or an `identitytoken`). Credential helpers (`credsStore`, `credHelpers`) are not run: the agent
 * would execute a program named by a file; `credentialsProblem` says so instead.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The body Docker's `X-Registry-Auth` header carries (dockerode's `authconfig`). */
export interface AuthConfig {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

export interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
}

/** Docker Hub's key in config.json, whatever name the image used. */
const HUB_KEY = 'https://index.docker.io/v1/';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/**
 * The registry an image reference pulls from, as Docker normalises it: the first path component when
 * it has a "." or ":" or is `localhost`, else Docker Hub (`docker.io`).
 */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return HUB_ALIASES.has(first) ? 'docker.io' : first;
  return 'docker.io';
}

/** A config.json key (`https://index.docker.io/v1/`, `registry.example.com:5000`, `https://r.io/v2/`) → its registry host. */
export function registryOfKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase();
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** Credentials for pulling `ref`, or undefined when the configuration has none for its registry. */
export function credentialsFor(ref: string, config: DockerConfigFile | undefined): AuthConfig | undefined {
  const registry = registryOf(ref);
  for (const [key, entry] of Object.entries(config?.auths ?? {})) {
    if (registryOfKey(key) !== registry || typeof entry !== 'object' || entry === null) continue;
    const serveraddress = registry === 'docker.io' ? HUB_KEY : registry;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress };
    if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password, serveraddress };
    if (typeof entry.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress };
    }
  }
  return undefined;
}

/** Why a pull of `ref` goes without the host's credentials although some are configured, or undefined. */
export function credentialsProblem(ref: string, config: DockerConfigFile | undefined): string | undefined {
  if (!config || credentialsFor(ref, config)) return undefined;
  const registry = registryOf(ref);
  const helper = Object.keys(config.credHelpers ?? {}).some((k) => registryOfKey(k) === registry);
  if (helper || typeof config.credsStore === 'string') {
    return `credentials for ${registry} are kept by a Docker credential helper, which the agent does not run; ` +
      `add an "auths" entry to the agent's Docker config (docker login with no helper configured)`;
  }
  return undefined;
}

/** Parses config.json text; a missing or broken file means "no credentials", never a failed pull by itself. */
export function parseDockerConfig(text: string | undefined): DockerConfigFile | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as DockerConfigFile) : undefined;
  } catch {
    return undefined;
  }
}
