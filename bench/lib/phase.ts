/**
 * What a phase of the bench gets from bench/run.ts: the private bus, child
 * processes it can start (stopped at the end of the bench if the phase does
 * not), and the bench's output.
 */
import type { Child, GatewayChild } from './processes.js';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly ok?: boolean;
  readonly note?: string;
}

export interface PhaseContext {
  readonly busAddress: string;
  readonly quick: boolean;
  /** The bench's login (users file). */
  readonly user: string;
  readonly password: string;
  /** The simulated BMC with this many sensors (and that many Value changes per second in all). */
  sim(sensors: number, sensorRate?: number): Promise<Child>;
  /** A gateway as the CLI runs it, with the unit's environment and these extra flags. */
  gateway(options?: { flags?: string[] }): Promise<GatewayChild>;
  stop(child: Child | undefined): Promise<void>;
  /** The gateway's certificate (known once a gateway has started). */
  ca(): string;
  result(figure: Figure): void;
  note(text: string): void;
}
