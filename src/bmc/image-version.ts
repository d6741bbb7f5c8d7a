/**
 * After a firmware image lands in the image directory, OpenBMC's image
 * manager unpacks it and publishes /xyz/openbmc_project/software/<id> with
 * xyz.openbmc_project.Software.Version. The upload answers with that <id>.
 *
 * Only an InterfacesAdded with Version and WITHOUT Software.Activation
 * counts, as in phosphor-rest-server: the item updater announces its own
 * objects with both (the new image's, and its other images' when it starts
 * while an upload is in flight), and taking one of those answered the id of
 * another image.
 *
 * The watch starts BEFORE the first byte is written, so a fast manager is
 * never missed, and it always ends with dispose(): the original server leaked
 * its signal watch after a failed upload and then hung every later one.
 */
import type { BusConnection, SignalMessage } from '../dbus/bus.js';
import { matchRule } from '../dbus/match-rules.js';
import { OBJECT_MANAGER_INTERFACE } from '../dbus/names.js';

export const SOFTWARE_ROOT = '/xyz/openbmc_project/software';
export const VERSION_INTERFACE = 'xyz.openbmc_project.Software.Version';
export const ACTIVATION_INTERFACE = 'xyz.openbmc_project.Software.Activation';

/** InterfacesAdded from the software manager's ObjectManager (or below it). */
export const VERSION_RULE = matchRule({
  type: 'signal',
  interface: OBJECT_MANAGER_INTERFACE,
  member: 'InterfacesAdded',
  path_namespace: SOFTWARE_ROOT,
});

export interface VersionWatch {
  /** Resolves with the version id, or undefined when `timeoutMs` passes first. */
  next(timeoutMs: number): Promise<string | undefined>;
  dispose(): Promise<void>;
}

export async function watchForNewVersion(bus: BusConnection): Promise<VersionWatch> {
  const found: string[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = bus.onSignal((signal) => {
    const id = versionId(signal);
    if (id === undefined) return;
    found.push(id);
    wake?.();
  });
  try {
    await bus.matchRules.acquire(VERSION_RULE);
  } catch (err) {
    unsubscribe();
    throw err;
  }
  let disposed = false;
  return {
    async next(timeoutMs) {
      if (found.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return found.shift();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      unsubscribe();
      wake?.();
      await bus.matchRules.release(VERSION_RULE);
    },
  };
}

/** The new object's last path element if `signal` announces an image manager's Version object. */
export function versionId(signal: SignalMessage): string | undefined {
  if (signal.interfaceName !== OBJECT_MANAGER_INTERFACE || signal.member !== 'InterfacesAdded') return undefined;
  const [objectPath, interfaces] = signal.jsonBody;
  if (typeof objectPath !== 'string' || !objectPath.startsWith(SOFTWARE_ROOT + '/')) return undefined;
  if (typeof interfaces !== 'object' || interfaces === null) return undefined;
  // The item updater's objects carry Activation too: only the image manager's Version-only object is this upload's.
  if (!(VERSION_INTERFACE in interfaces) || ACTIVATION_INTERFACE in interfaces) return undefined;
  return objectPath.slice(objectPath.lastIndexOf('/') + 1);
}
