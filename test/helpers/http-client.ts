/**
 * A small real HTTP(S) client for the tests: raw status, headers and body
 * text, with the body also parsed as JSON when it is JSON. Uses node:https
 * so it can trust the gateway's self-signed certificate explicitly.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Response {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** JSON.parse(text), or undefined when the body is not JSON. */
  readonly json: any;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface RequestOptions {
  /** Serialized with JSON.stringify unless it is a string or Buffer. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Basic credentials for this request instead of the client's; null: none. */
  readonly credentials?: Credentials | null;
}

export class HttpClient {
  /**
   * `credentials` are sent as HTTP Basic on every request that brings no
   * credentials of its own (an Authorization, X-Auth-Token or Cookie header).
   */
  constructor(readonly baseUrl: string, readonly ca?: string, readonly credentials?: Credentials, readonly localAddress?: string) {}

  /** The same client acting as another user (null: anonymous). */
  as(credentials: Credentials | null): HttpClient {
    return new HttpClient(this.baseUrl, this.ca, credentials ?? undefined, this.localAddress);
  }

  /** The same client connecting from another local address (e.g. 127.0.0.2: another client address). */
  from(localAddress: string): HttpClient {
    return new HttpClient(this.baseUrl, this.ca, this.credentials, localAddress);
  }

  get(path: string, options?: RequestOptions): Promise<Response> {
    return this.request('GET', path, options);
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(this.baseUrl);
    const headers: Record<string, string> = { ...options.headers };
    const credentials = options.credentials === undefined ? this.credentials : options.credentials;
    const own = Object.keys(headers).some((name) => ['authorization', 'x-auth-token', 'cookie'].includes(name.toLowerCase()));
    if (credentials && !own) {
      headers.authorization = 'Basic ' + Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
    }
    let payload: Buffer | undefined;
    if (options.body !== undefined) {
      payload = Buffer.isBuffer(options.body) ? options.body
        : Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send({
        host: url.hostname, port: url.port, method, path, headers,
        ...(this.localAddress ? { localAddress: this.localAddress } : {}),
        ...(this.ca ? { ca: this.ca, servername: 'localhost' } : {}),
        agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
}
