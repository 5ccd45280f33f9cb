/**
 * Linux names a job spec may use: capabilities (capabilities(7), as Docker's --cap-add takes them)
 * and signals (signal(7), as Docker's --stop-signal takes them). Names are normalised so a spec
 * writing `cap_net_admin` and one writing `NET_ADMIN` store the same job.
 */

export const CAPABILITIES: ReadonlySet<string> = new Set([
  'ALL',
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN',
  'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE',
  'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE',
  'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN',
  'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
]);

/**
 * What Docker grants every container (moby's oci/caps DefaultCapabilities): adding one of these
 * changes nothing, so an agent allows it without `--allow-cap` (as Nomad's docker driver does).
 */
export const DOCKER_DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

/** `cap_net_admin`, `CAP_NET_ADMIN`, `net_admin` → `NET_ADMIN`; undefined when not a capability. */
export function capabilityName(text: string): string | undefined {
  const upper = text.trim().toUpperCase();
  const name = upper.startsWith('CAP_') ? upper.slice(4) : upper;
  return CAPABILITIES.has(name) ? name : undefined;
}

const SIGNALS: ReadonlySet<string> = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL',
  'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG',
  'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX',
]);

/** `term`, `SIGTERM`, `15` → `SIGTERM` / `15`; `SIGRTMIN+3` too. Undefined when not a signal. */
export function signalName(value: string | number): string | undefined {
  if (typeof value === 'number' || /^\d+$/.test(value)) {
    const n = Number(value);
    return Number.isInteger(n) && n >= 1 && n <= 64 ? String(n) : undefined;
  }
  const upper = value.trim().toUpperCase();
  const bare = upper.startsWith('SIG') ? upper.slice(3) : upper;
  const rt = /^(RTMIN\+([1-9]|1[0-5])|RTMAX-([1-9]|1[0-4]))$/.test(bare);
  return SIGNALS.has(bare) || rt ? `SIG${bare}` : undefined;
}
