/**
 * What the middleware of one request leave for each other, in one typed
 * place (Koa's `ctx.state`, typed through `Koa<GatewayState>`): who is
 * asking, what they asked for, and what the audit line needs afterwards.
 */
import type { DefaultContext, Middleware, ParameterizedContext } from 'koa';
import type { Principal } from '../auth/guard.js';
import type { WriteAccess, WrittenValue } from '../bmc/writes.js';
import type { GatewayError } from '../errors.js';
import type { Route } from './routes.js';

export interface GatewayState {
  /** The request's route, parsed once from its path before anything else runs (routes.ts). */
  route: Route;
  /** Who made the request, once the guard has authenticated it. */
  principal?: Principal;
  /**
   * For the routes that write D-Bus members (`writes` in the route table):
   * the policy's per-target check and the audit recorder, set by the guard
   * and handed to the handler as a parameter.
   */
  writeAccess?: WriteAccess;
  /** The user named by a login or logout, for the audit line (also when the password was wrong). */
  loginUser?: string;
  /** What a write or call sent, for the audit line. */
  written?: WrittenValue[];
  /** The error the error middleware answered with, for the audit line outside it. */
  renderedError?: GatewayError;
}

export type GatewayContext = ParameterizedContext<GatewayState, DefaultContext>;
export type GatewayMiddleware = Middleware<GatewayState, DefaultContext>;
