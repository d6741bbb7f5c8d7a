/**
 * Host power and firmware. Power: CurrentHostState live, and On / Soft off /
 * Reboot (RequestedHostTransition) when the gateway says this user may
 * write it. Firmware: upload with the bytes-sent progress of the browser's
 * upload events, then the new version's Activation and ActivationProgress
 * live, and Activate when RequestedActivation is writable for this user.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, request, uploadImage } from './api.js';
import type { Live } from './live.js';
import { type Attributes, attributes, withChanges } from './permissions.js';
import { shortEnum } from './values.js';

const HOST = '/xyz/openbmc_project/state/host0';
const HOST_IFACE = 'xyz.openbmc_project.State.Host';
const TRANSITION = `${HOST_IFACE}.Transition`;
const SOFTWARE = '/xyz/openbmc_project/software';
const ACTIVATION = 'xyz.openbmc_project.Software.Activation';
const PROGRESS = 'xyz.openbmc_project.Software.ActivationProgress';

/** The object's attributes, kept current from the websocket. */
function useLiveAttributes(path: string | undefined, live: Live): [Attributes | undefined, string | undefined] {
  const [attrs, setAttrs] = useState<Attributes | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!path) return;
    attributes(path).then(setAttrs, (err: Error) => setError(err.message));
  }, [path, version]);
  useEffect(() => live.listen((event) => {
    if (event.path !== path) return;
    if (event.event !== 'PropertiesChanged') {
      setVersion((v) => v + 1);
      return;
    }
    setAttrs((old) => withChanges(old, event.interface ?? '', event.properties ?? {}));
  }), [path, live]);
  return [attrs, error];
}

function Power({ live }: { live: Live }) {
  const [attrs, error] = useLiveAttributes(HOST, live);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const host = attrs?.[HOST_IFACE];
  const may = host?.RequestedHostTransition?.writable === true;
  const transition = (to: string) => request('PUT', `${HOST}/attr/RequestedHostTransition`, `${TRANSITION}.${to}`)
    .then(() => setFailure(undefined), (err: Error) => setFailure(err.message));
  return html`
    <section class="card power">
      <h2>Host power</h2>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <p>Host state: <strong id="host-state">${host ? shortEnum(host.CurrentHostState?.value) : '…'}</strong></p>
      ${may ? html`<div class="buttons">
          <button type="button" onClick=${() => transition('On')}>Power on</button>
          <button type="button" class="secondary" onClick=${() => transition('Off')}>Soft off</button>
          <button type="button" class="secondary" onClick=${() => transition('Reboot')}>Reboot</button>
        </div>`
        : host && html`<p class="muted">Your account may not change the host's power.</p>`}
      ${failure && html`<p class="error" role="alert">${failure}</p>`}
    </section>`;
}

function Activation({ versionId, live }: { versionId: string; live: Live }) {
  const path = `${SOFTWARE}/${versionId}`;
  const [attrs, error] = useLiveAttributes(path, live);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const activation = attrs?.[ACTIVATION];
  const progress = attrs?.[PROGRESS]?.Progress?.value;
  const state = shortEnum(activation?.Activation?.value ?? '');
  const activate = () => request('PUT', `${path}/attr/RequestedActivation`, `${ACTIVATION}.RequestedActivations.Active`)
    .then(() => setFailure(undefined), (err: Error) => setFailure(err.message));
  return html`
    <div class="activation" data-version=${versionId}>
      <p>Image <code>${versionId}</code>: <strong id="activation-state">${state || '…'}</strong></p>
      ${typeof progress === 'number' && html`<label>Activation <progress id="activation-progress" max="100" value=${progress}></progress> ${progress} %</label>`}
      ${activation?.RequestedActivation?.writable && state === 'Ready'
        && html`<button type="button" onClick=${activate}>Activate</button>`}
      ${(error || failure) && html`<p class="error" role="alert">${error ?? failure}</p>`}
    </div>`;
}

/**
 * Whether the user may activate images, from the first software version
 * that has RequestedActivation: uploading without activating serves
 * nothing, and the gateway has no property to ask about the upload itself.
 */
async function mayActivate(): Promise<boolean> {
  for (const path of await get<string[]>(`${SOFTWARE}/`)) {
    const property = (await attributes(path))[ACTIVATION]?.RequestedActivation;
    if (property) return property.writable;
  }
  return false;
}

function Firmware({ live }: { live: Live }) {
  const [may, setMay] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    mayActivate().then(setMay, () => setMay(false));
  }, []);
  const [sent, setSent] = useState<{ sent: number; total: number } | undefined>(undefined);
  const [versionId, setVersionId] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const upload = async (event: Event) => {
    event.preventDefault();
    const file = (new FormData(event.target as HTMLFormElement).get('image') as File | null);
    if (!file || file.size === 0) return setError('Choose an image file first.');
    setError(undefined);
    setVersionId(undefined);
    setSent({ sent: 0, total: file.size });
    try {
      const id = await uploadImage(file, (bytes, total) => setSent({ sent: bytes, total }));
      setVersionId(String(id));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const percent = sent && sent.total > 0 ? Math.round((sent.sent / sent.total) * 100) : 0;
  return html`
    <section class="card firmware">
      <h2>Firmware</h2>
      ${may === false && html`<p class="muted">Your account may not update the firmware.</p>`}
      ${may && html`
        <form onSubmit=${upload}>
          <label for="image">Image file (.tar)</label>
          <input id="image" name="image" type="file" />
          <button type="submit">Upload</button>
        </form>`}
      ${sent && html`<label>Upload <progress id="upload-progress" max="100" value=${percent}></progress>
        <span id="upload-percent">${percent} %</span> (${sent.sent} of ${sent.total} bytes)</label>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${versionId && html`<${Activation} versionId=${versionId} live=${live} />`}
    </section>`;
}

export function PowerPanel({ live }: { live: Live }) {
  return html`<div class="panels"><${Power} live=${live} /><${Firmware} live=${live} /></div>`;
}
