/**
 * systemd socket activation (sd_listen_fds(3) without libsystemd): when the
 * service manager passes listening sockets it sets LISTEN_FDS to their count
 * and LISTEN_PID to the pid they are meant for; the sockets are fds 3, 4, ...
 * The variables are only honoured when LISTEN_PID is this process, as
 * libsystemd does, so a child that inherits the environment does not grab
 * its parent's sockets.
 */

/** SD_LISTEN_FDS_START: the first passed file descriptor. */
export const LISTEN_FDS_START = 3;

export interface ListenFds {
  /** The fd to serve on (the first one passed). */
  readonly fd: number;
  /** How many were passed (only the first is used). */
  readonly count: number;
}

/**
 * The inherited listening socket, or undefined when this process was not
 * socket-activated. Throws when the variables are present for this process
 * but malformed (a unit or wrapper bug worth failing loudly on).
 */
export function listenFdsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  pid: number,
): ListenFds | undefined {
  const fds = env.LISTEN_FDS;
  const forPid = env.LISTEN_PID;
  if (fds === undefined || fds === '' || forPid === undefined || forPid === '') return undefined;
  if (!/^[0-9]+$/.test(forPid) || Number(forPid) !== pid) return undefined;
  if (!/^[0-9]+$/.test(fds)) throw new Error(`LISTEN_FDS: expected a count, got '${fds}'`);
  const count = Number(fds);
  if (count === 0) return undefined;
  return { fd: LISTEN_FDS_START, count };
}

/** Removes the variables, as sd_listen_fds(1) does, so nothing started later inherits them. */
export function clearListenFdsEnvironment(env: Record<string, string | undefined>): void {
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
}
