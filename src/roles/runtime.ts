import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCatalogReachable, openCatalog, type Catalog } from '../catalog/index.js';
import { ConfigError, formatHostPort, load, type HostPort, type MaestroConfig, type RoleName } from '../config/index.js';
import { DockerodeAdapter, type DockerPort, type EngineInfo } from '../docker/index.js';
import { createLogger, type Logger } from '../log/index.js';

/** What every long-running role shares: its config, its root logger and an ordered shutdown. */
export interface Runtime {
  config: MaestroConfig;
  log: Logger;
  /** Registers a step of the shutdown; steps run in reverse order of registration (LIFO). */
  onShutdown(name: string, step: () => Promise<unknown>): void;
  /** Resolves with the exit code once SIGINT/SIGTERM arrived and every step ran. */
  untilShutdown(): Promise<number>;
  /** Runs the shutdown steps now (once); what a failed startup uses to undo what did start. */
  shutdown(): Promise<number>;
}

export function createRuntime(role: RoleName, argv: string[], env: NodeJS.ProcessEnv): Runtime {
  const config = load(argv, env, role);
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  const steps: Array<{ name: string; step: () => Promise<unknown> }> = [];
  let started: Promise<number> | undefined;
  let finished: Promise<number> | undefined;

  const runSteps = async (): Promise<number> => {
    let code = 0;
    for (const { name, step } of steps.reverse()) {
      try {
        await step();
      } catch (err) {
        code = 1;
        log.error({ err, step: name }, 'shutdown step failed');
      }
    }
    log.info('stopped');
    log.flush();
    return code;
  };
  const shutdown = () => (finished ??= runSteps());

  return {
    config,
    log,
    onShutdown: (name, step) => steps.push({ name, step }),
    shutdown,
    untilShutdown: () => {
      started ??= new Promise<number>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          log.info({ signal }, 'shutting down: no new work, draining, persisting');
          // A second signal while draining means "now".
          process.once('SIGINT', () => process.exit(130));
          process.once('SIGTERM', () => process.exit(143));
          void shutdown().then(resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      return started;
    },
  };
}

/**
 * Opens the catalog the configuration names (Consul with --consul, etcd with --etcd, the embedded
 * store under --data-dir otherwise) and closes it as the very last shutdown step, after everything
 * using it. A networked store that does not answer within seconds is a startup error, not a hang.
 */
export async function openRuntimeCatalog(rt: Runtime): Promise<Catalog> {
  const { config, log } = rt;
  const opts = { consul: config.consul, etcd: config.etcd, dataDir: config.dataDir, host: config.host, logger: log };
  await checkCatalogReachable(opts);
  const catalog = openCatalog(opts);
  rt.onShutdown('catalog', () => catalog.close());
  return catalog;
}

export class StartupError extends Error {
  readonly code = 'startup';
}

/** Connects to Docker, or explains how to start it: roles that run containers refuse without it. */
export async function connectDocker(config: MaestroConfig, log: Logger): Promise<{ docker: DockerPort; info: EngineInfo }> {
  const docker = new DockerodeAdapter({ host: config.dockerHost });
  try {
    await docker.ping();
  } catch (err) {
    const where = config.dockerHost ?? 'unix:///var/run/docker.sock';
    log.debug({ err }, 'docker ping failed');
    throw new StartupError(
      `Docker is not reachable at ${where}.\n` +
        '  Start the daemon (`sudo systemctl start docker`, or `sudo dockerd &`),\n' +
        '  or point --docker-host / DOCKER_HOST at a running one.',
    );
  }
  const info = await docker.info();
  log.info({ docker: info.serverVersion, cpus: info.cpus, bridge: info.bridgeGateway }, 'connected to Docker');
  return { docker, info };
}

/** Writes `<data-dir>/addresses.json` atomically, so scripts and tests can find ports chosen with :0. */
export function writeAddresses(dataDir: string, addresses: Record<string, HostPort | string | number[]>): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'addresses.json');
  const printable = Object.fromEntries(
    Object.entries(addresses).map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) ? formatHostPort(v) : v]),
  );
  writeFileSync(`${path}.tmp`, JSON.stringify(printable, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
  return path;
}


/** Maps a thrown error to what the CLI prints and the exit code (2 for usage, 1 otherwise). */
export function reportStartupFailure(err: unknown, role?: RoleName): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`maestro: ${err.message}\n  See the flags with \`maestro ${role ?? '<role>'} --help\`.\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  const hint = /EADDRINUSE/.test(message)
    ? '\n  Another process (another `maestro up`?) holds that address: stop it, or choose another port\n' +
      '  with --dns-addr / --http-addr / --api-addr (port 0 picks a free one).'
    : '';
  process.stderr.write(`maestro: ${message}${hint}\n`);
  return 1;
}
