/**
 * What the route handlers get: the request (its context and parsed route)
 * and the gateway's services, built once at start (app.ts). Handlers answer
 * through http/respond.ts and throw GatewayErrors; no try/catch for
 * rendering (the error middleware does that).
 */
import type { AuthGuard } from '../../auth/auth-guard.js';
import type { CredentialChecker } from '../../auth/credentials.js';
import type { Jobs } from '../../bmc/jobs/jobs.js';
import type { Bmc } from '../../bmc/objects.js';
import type { WriteAccess } from '../../bmc/writes.js';
import type { Json } from '../../dbus/convert.js';
import type { BodyLimits } from '../body.js';
import type { ConsoleFiles } from '../console-files.js';
import type { EnumerateAnswers } from '../enumerate-answers.js';
import type { Route } from '../routes.js';
import type { GatewayContext } from '../state.js';
import type { ImageUploader } from '../upload.js';

export interface RouteServices {
  readonly bmc: Bmc;
  /** Writes as jobs, their locks and completion rules. */
  readonly jobs: Jobs;
  /** What GET /version says is switched on. */
  readonly features: readonly string[];
  /** What the resource root lists (the route table's rows with a resource name). */
  readonly resources: Json;
  readonly enumerates: EnumerateAnswers;
  readonly uploader: ImageUploader;
  readonly guard: AuthGuard;
  /** Password changes (SetPassword). */
  readonly passwords: Pick<CredentialChecker, 'changePassword'>;
  /** phosphor-debug-collector's dump directory. */
  readonly dumpDir: string;
  /** The browser console's static files. */
  readonly consoleFiles: ConsoleFiles;
  /** Limits of JSON request bodies. */
  readonly body: BodyLimits;
}

export type RouteHandler = (ctx: GatewayContext, route: Route, services: RouteServices) => Promise<void>;

/** A handler that writes D-Bus members: the policy's per-target check and the audit recorder come with the call. */
export type WriteHandler = (ctx: GatewayContext, route: Route, services: RouteServices, access: WriteAccess) => Promise<void>;
