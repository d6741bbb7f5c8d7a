/**
 * What a phase of the bench (bench/phases/) gets from bench/run.ts: the
 * private bus, child processes it can start (stopped at the end of the bench
 * if the phase does not), the plan of the run, and the bench's output.
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

/** Iterations, loads and sizes of a run; `--quick` has smaller ones. */
export interface Plan {
  readonly sizes: readonly number[];
  readonly runs: Readonly<Record<number, number>>;
  readonly warmUp: boolean;
  readonly getSeconds: number;
  readonly concurrency: readonly number[];
  readonly wsClients: number;
  readonly wsSensors: number;
  readonly wsSeconds: number;
  readonly wsRate: number;
  readonly requests: number;
  readonly settleSeconds: number;
  readonly uploadMiB: number;
  readonly starts: number;
}

export function planOf(quick: boolean): Plan {
  return quick
    ? { sizes: [100, 1000, 5000], runs: { 100: 5, 1000: 3, 5000: 1 }, warmUp: false, getSeconds: 1,
      concurrency: [1, 16, 64], wsClients: 100, wsSensors: 200, wsSeconds: 3, wsRate: 1000, requests: 10_000, settleSeconds: 0, uploadMiB: 16, starts: 2 }
    : { sizes: [100, 1000, 5000], runs: { 100: 15, 1000: 9, 5000: 5 }, warmUp: true, getSeconds: 8,
      concurrency: [1, 16, 64], wsClients: 100, wsSensors: 1000, wsSeconds: 10, wsRate: 1000, requests: 50_000, settleSeconds: 30, uploadMiB: 64, starts: 5 };
}

/** The attribute the GET and memory phases read. */
export const ATTR = {
  service: 'xyz.openbmc_project.HwmonTempSensor',
  path: '/xyz/openbmc_project/sensors/temperature/inlet',
  iface: 'xyz.openbmc_project.Sensor.Value',
  name: 'Value',
};

export function median(list: readonly number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : ((sorted[mid - 1]! + sorted[mid]!) / 2);
}

export interface PhaseContext {
  readonly busAddress: string;
  readonly quick: boolean;
  readonly plan: Plan;
  /** `--profile`: phases that profile start their gateway with `profile` and summarise it. */
  readonly profile: boolean;
  /** A scratch directory, removed at the end. */
  readonly dir: string;
  /** The bench's login (users file). */
  readonly user: string;
  readonly password: string;
  /** The simulated BMC with this many sensors (and that many Value changes per second in all). */
  sim(sensors: number, sensorRate?: number): Promise<Child>;
  /** A gateway as the CLI runs it, with the unit's environment and these extra flags (`profile`: under --cpu-prof, by that name). */
  gateway(options?: { profile?: string; flags?: string[] }): Promise<GatewayChild>;
  /** Prints where the CPU time of the gateway started with `profile: name` went. */
  profileSummary(name: string, title: string): Promise<void>;
  stop(child: Child | undefined): Promise<void>;
  /** The gateway's certificate (known once a gateway has started). */
  ca(): string;
  result(figure: Figure): void;
  note(text: string): void;
}
