/**
 * Completion rules: data saying, for a write or a method call, which
 * property of which object tells that the BMC has finished (or failed), what
 * reports progress, which objects the job holds meanwhile and how long it may
 * take. A job without a rule ends when its call returns. The built-in rules
 * cover host, chassis and BMC transitions, firmware activation and dump
 * creation (facts: phosphor-dbus-interfaces); config/completion-rules.json is
a copy for editing, and --completion-rules-file replaces them.
 */
import { readFile } from 'node:fs/promises';
import type { WrittenValue } from '../writes.js';

export interface WatchedProperty {
  readonly interface: string;
  readonly property: string;
}

export interface CompletionRule {
  /** Free text, ignored: why the rule exists. */
  readonly comment?: string;
  readonly name: string;
  /** The interface written or called. */
  readonly interface: string;
  /** A property write, optionally only with one of `values`... */
  readonly property?: string;
  readonly values?: readonly string[];
  /** ...or a method call. */
  readonly method?: string;
  /** Watch the object written (`target`, the default) or the object path the method returned (`result`). */
  readonly object?: 'target' | 'result';
  readonly watch?: WatchedProperty;
  /** Values of the watched property that end the job as complete... */
  readonly done?: readonly string[];
  /** ...or as an error. */
  readonly error?: readonly string[];
  /** When given, `done` counts only after one of these was seen (a reboot passes through Off). */
  readonly via?: readonly string[];
  /** A 0–100 property on the watched object. */
  readonly progress?: WatchedProperty;
  /** Objects held while the job runs: `{path}` is the object written, `{index}` the digits its last element ends with. */
  readonly holds?: readonly string[];
  /** The rule's own time limit: the job ends as an error after it. */
  readonly timeoutSeconds?: number;
  /** The job cannot be followed once its call returned (the gateway goes down with the BMC): it ends as an error saying so. */
  readonly lost?: string;
}

export class CompletionRuleError extends Error {
  override readonly name = 'CompletionRuleError';
}

const HOST = 'xyz.openbmc_project.State.Host';
const CHASSIS = 'xyz.openbmc_project.State.Chassis';
const BMC = 'xyz.openbmc_project.State.BMC';
const ACTIVATION = 'xyz.openbmc_project.Software.Activation';
const hostState = (s: string) => `${HOST}.HostState.${s}`;
const hostTransition = (s: string) => `${HOST}.Transition.${s}`;
const powerState = (s: string) => `${CHASSIS}.PowerState.${s}`;
const powerTransition = (s: string) => `${CHASSIS}.Transition.${s}`;
const activations = (s: string) => `${ACTIVATION}.Activations.${s}`;
const HOST_WATCH = { interface: HOST, property: 'CurrentHostState' };
const CHASSIS_WATCH = { interface: CHASSIS, property: 'CurrentPowerState' };
const HOST_HOLDS = ['{path}', '/xyz/openbmc_project/state/chassis{index}'];
const HOST_ERRORS = [hostState('Quiesced'), hostState('DiagnosticMode')];
const TEN_MINUTES = 600;

/** The built-in rules (config/completion-rules.json is a copy, for editing). */
export const DEFAULT_COMPLETION_RULES: readonly CompletionRule[] = [
  { name: 'host-on', interface: HOST, property: 'RequestedHostTransition', values: [hostTransition('On')],
    watch: HOST_WATCH, done: [hostState('Running')], error: HOST_ERRORS, holds: HOST_HOLDS, timeoutSeconds: TEN_MINUTES },
  { name: 'host-off', interface: HOST, property: 'RequestedHostTransition', values: [hostTransition('Off')],
    watch: HOST_WATCH, done: [hostState('Off')], holds: HOST_HOLDS, timeoutSeconds: TEN_MINUTES },
  { name: 'host-reboot', interface: HOST, property: 'RequestedHostTransition',
    values: ['Reboot', 'GracefulWarmReboot', 'ForceWarmReboot'].map(hostTransition),
    watch: HOST_WATCH, via: [hostState('Off'), hostState('TransitioningToOff')], done: [hostState('Running')], error: [hostState('Quiesced')],
    holds: HOST_HOLDS, timeoutSeconds: TEN_MINUTES },
  { name: 'chassis-on', interface: CHASSIS, property: 'RequestedPowerTransition', values: [powerTransition('On')],
    watch: CHASSIS_WATCH, done: [powerState('On')], holds: ['{path}'], timeoutSeconds: 300 },
  { name: 'chassis-off', interface: CHASSIS, property: 'RequestedPowerTransition', values: [powerTransition('Off')],
    watch: CHASSIS_WATCH, done: [powerState('Off')], holds: ['{path}'], timeoutSeconds: 300 },
  { name: 'chassis-power-cycle', interface: CHASSIS, property: 'RequestedPowerTransition', values: [powerTransition('PowerCycle')],
    watch: CHASSIS_WATCH, via: [powerState('Off'), powerState('TransitioningToOff')], done: [powerState('On')], holds: ['{path}'], timeoutSeconds: 300 },
  { name: 'bmc-reboot', interface: BMC, property: 'RequestedBMCTransition', values: ['Reboot', 'HardReboot'].map((s) => `${BMC}.Transition.${s}`),
    lost: 'lost: the BMC is rebooting and this gateway with it; the job cannot be followed', holds: ['{path}'] },
  { name: 'firmware-activation', interface: ACTIVATION, property: 'RequestedActivation',
    values: [`${ACTIVATION}.RequestedActivations.Active`],
    watch: { interface: ACTIVATION, property: 'Activation' }, done: [activations('Active'), activations('Staged')],
    error: [activations('Failed'), activations('Invalid')],
    progress: { interface: 'xyz.openbmc_project.Software.ActivationProgress', property: 'Progress' }, holds: ['{path}'], timeoutSeconds: 1800 },
  { name: 'dump-creation', interface: 'xyz.openbmc_project.Dump.Create', method: 'CreateDump', object: 'result',
    watch: { interface: 'xyz.openbmc_project.Common.Progress', property: 'Status' },
    done: ['xyz.openbmc_project.Common.Progress.OperationStatus.Completed'],
    error: ['Failed', 'Aborted', 'Interrupted'].map((s) => `xyz.openbmc_project.Common.Progress.OperationStatus.${s}`),
    holds: ['{path}'], timeoutSeconds: 1800 },
];

/** The rule a prepared write starts, if any: the first rule matching one of its targets. */
export function findRule(rules: readonly CompletionRule[], targets: readonly WrittenValue[]): CompletionRule | undefined {
  for (const target of targets) {
    const rule = rules.find((r) => r.interface === target.interfaceName && ('value' in target
      ? r.property === target.member && (r.values === undefined || r.values.includes(target.value as string))
      : r.method === target.member));
    if (rule) return rule;
  }
  return undefined;
}

/** The objects a job holds: the rule's `holds` with `{path}` and `{index}` filled in, else the object written. */
export function heldObjects(rule: CompletionRule | undefined, objectPath: string): string[] {
  const index = /([0-9]*)$/.exec(objectPath)?.[1] ?? '';
  const holds = rule?.holds ?? ['{path}'];
  return [...new Set(holds.map((template) => template.replaceAll('{path}', objectPath).replaceAll('{index}', index)))];
}

/** Checks a rules file's JSON (`[rule, ...]`); throws CompletionRuleError naming the bad field. */
export function parseCompletionRules(json: unknown): CompletionRule[] {
  if (!Array.isArray(json)) throw new CompletionRuleError('expected an array of rules');
  return json.map((raw, index) => {
    const at = `rule ${index + 1}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CompletionRuleError(`${at}: expected an object`);
    const rule = raw as Record<string, unknown>;
    const known = new Set(['comment', 'name', 'interface', 'property', 'values', 'method', 'object', 'watch', 'done', 'error', 'via', 'progress', 'holds', 'timeoutSeconds', 'lost']);
    for (const key of Object.keys(rule)) if (!known.has(key)) throw new CompletionRuleError(`${at}: unknown field '${key}'`);
    const text = (key: string, required = false) => {
      const value = rule[key];
      if (value === undefined && !required) return;
      if (typeof value !== 'string' || value === '') throw new CompletionRuleError(`${at}.${key}: expected a non-empty string`);
    };
    const texts = (key: string) => {
      const value = rule[key];
      if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== ''))) {
        throw new CompletionRuleError(`${at}.${key}: expected an array of non-empty strings`);
      }
    };
    const watched = (key: string) => {
      const value = rule[key] as Record<string, unknown> | undefined;
      if (value === undefined) return;
      if (typeof value !== 'object' || value === null || typeof value.interface !== 'string' || typeof value.property !== 'string') {
        throw new CompletionRuleError(`${at}.${key}: expected {"interface": ..., "property": ...}`);
      }
    };
    text('name', true);
    text('interface', true);
    text('property');
    text('method');
    text('lost');
    texts('values');
    texts('done');
    texts('error');
    texts('via');
    texts('holds');
    watched('watch');
    watched('progress');
    if ((rule.property === undefined) === (rule.method === undefined)) throw new CompletionRuleError(`${at}: give 'property' or 'method', not both`);
    if (rule.object !== undefined && rule.object !== 'target' && rule.object !== 'result') throw new CompletionRuleError(`${at}.object: expected 'target' or 'result'`);
    // A rule is followed (`watch` with `done`) or reported lost at once (`lost`), never both, never half.
    const named = typeof rule.name === 'string' ? `${at} ('${rule.name}')` : at;
    if (rule.watch !== undefined && rule.lost !== undefined) throw new CompletionRuleError(`${named}: give 'watch' and 'done', or 'lost', not both`);
    if (rule.watch !== undefined && rule.done === undefined) throw new CompletionRuleError(`${named}: 'watch' requires 'done' (the values that end the job)`);
    for (const key of ['done', 'error', 'via', 'progress'] as const) {
      if (rule[key] !== undefined && rule.watch === undefined) throw new CompletionRuleError(`${named}: '${key}' requires 'watch'`);
    }
    if (rule.lost === undefined && rule.watch === undefined) throw new CompletionRuleError(`${named}: give 'watch' and 'done', or 'lost'`);
    const timeout = rule.timeoutSeconds;
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 86_400)) {
      throw new CompletionRuleError(`${at}.timeoutSeconds: expected a number of seconds above 0, at most 86400`);
    }
    return rule as unknown as CompletionRule;
  });
}

/** The rules of --completion-rules-file ('' = the built-in ones); a bad file stops the start, naming the file and the field. */
export async function loadCompletionRules(path: string): Promise<readonly CompletionRule[]> {
  if (path === '') return DEFAULT_COMPLETION_RULES;
  try {
    return parseCompletionRules(JSON.parse(await readFile(path, 'utf8')) as unknown);
  } catch (err) {
    throw new Error(`completion rules file ${path}: ${(err as Error).message}`);
  }
}
