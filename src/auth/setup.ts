/**
 * Builds the authentication side from the configuration, once at start:
 * the credential backend, the role source, the policy, the session store,
 * the login throttle and the audit log. Every bad setting (missing PAM
 * binding, unreadable users or policy file) stops the start with a message,
 * never a gateway that runs with less protection than configured.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { BusConnection } from '../dbus/bus.js';
import type { Logger } from '../log.js';
import { AuditLog } from './audit.js';
import { AuthGuard } from './auth-guard.js';
import type { CredentialChecker } from './credentials.js';
import { PamChecker, loadPamBinding } from './pam.js';
import { DEFAULT_POLICY, type Policy, parsePolicy } from './policy.js';
import { LoginThrottle } from './rate-limit.js';
import { type RoleSource, UsersFileRoleSource } from './roles.js';
import { UserManagerRoles } from './user-manager.js';
import { SessionStore } from './sessions.js';
import { UsersFile } from './users-file.js';

export interface Auth {
  readonly guard: AuthGuard;
  /** The password backend, which also changes passwords (SetPassword). */
  readonly passwords: CredentialChecker;
  readonly audit: AuditLog;
  /** Origins allowed to make CORS requests (exact `scheme://host[:port]`). */
  readonly corsOrigins: readonly string[];
  /** Stops following the user manager (shutdown). */
  close(): Promise<void>;
}

export async function createAuth(config: Config, bus: BusConnection, log: Logger): Promise<Auth> {
  let usersFile: UsersFile | undefined;
  const loadUsers = async () => (usersFile ??= await UsersFile.load(config.usersFile));
  const credentials: CredentialChecker = config.authBackend === 'pam'
    ? new PamChecker(loadPamBinding(), config.pamService, (message) => log.info(message))
    : await loadUsers();
  const roleSource = config.roleSource === 'auto' ? (config.authBackend === 'pam' ? 'dbus' : 'users-file') : config.roleSource;
  let roles: RoleSource;
  let userManager: UserManagerRoles | undefined;
  if (roleSource === 'dbus') {
    userManager = new UserManagerRoles(bus, { servedGroups: config.servedGroups, log: (message) => log.warning(message) });
    await userManager.start();
    roles = userManager;
  } else {
    const users = await loadUsers();
    roles = new UsersFileRoleSource((user) => users.roleOf(user));
  }
  const policy = await loadPolicy(config.policyFile);
  const sessions = new SessionStore({
    idleTimeoutMs: config.sessionIdleTimeoutMs,
    maxSessions: config.maxSessions,
    maxSessionsPerUser: config.maxSessionsPerUser,
    onEvict: (session, reason) => log.info(`session of user '${session.user}' ended (${reason})`),
  });
  const throttle = new LoginThrottle({
    perUser: config.loginLimitPerUser,
    perAddress: config.loginLimitPerAddress,
    windowMs: config.loginLimitWindowMs,
    maxDelayMs: config.loginDelayMaxMs,
  });
  const guard = new AuthGuard({
    sessions, credentials, roles, throttle, policy, corsOrigins: config.corsOrigins, cookieNames: config.cookieNames, log,
    // Each waiting check holds a connection: the connection cap bounds them already.
    maxWaitingChecks: config.maxConnections,
  });
  log.info(`authentication: passwords ${credentials.description}, roles ${roles.description}`
    + `${userManager ? ` (served groups ${config.servedGroups.join(', ')})` : ''}, `
    + `policy ${config.policyFile || 'built-in'} (${policy.rules.length} rules)`);
  const close = async () => {
    guard.close();
    await userManager?.stop();
  };
  return { guard, passwords: credentials, audit: new AuditLog(log), corsOrigins: config.corsOrigins, close };
}

async function loadPolicy(path: string): Promise<Policy> {
  if (path === '') return DEFAULT_POLICY;
  try {
    return parsePolicy(JSON.parse(await readFile(path, 'utf8')) as unknown);
  } catch (err) {
    throw new Error(`policy file ${path}: ${(err as Error).message}`);
  }
}
