/**
 * The subprotocol names Kubernetes' streaming endpoints speak and how one is chosen: for SPDY,
 * the client's X-Stream-Protocol-Version headers in its order of preference against what the
 * server supports (k8s.io/apimachinery httpstream.Handshake); for WebSocket, the first entry
 * of Sec-WebSocket-Protocol the server supports (wsstream).
 */
export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';

/** Remote command over SPDY, newest first. */
export const SPDY_REMOTE_COMMAND = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
export const SPDY_PORT_FORWARD = ['portforward.k8s.io'];

export interface WsProtocol {
  /** 1 for channel.k8s.io semantics (plain-text errors), 4 and 5 for Status JSON; 5 adds the close channel. */
  version: 1 | 4 | 5;
  base64: boolean;
}

/** Remote command over WebSocket; '' is a client that names no subprotocol (binary, v1). */
export const WS_REMOTE_COMMAND: Record<string, WsProtocol> = {
  'v5.channel.k8s.io': { version: 5, base64: false },
  'v4.channel.k8s.io': { version: 4, base64: false },
  'v4.base64.channel.k8s.io': { version: 4, base64: true },
  'channel.k8s.io': { version: 1, base64: false },
  'base64.channel.k8s.io': { version: 1, base64: true },
  '': { version: 1, base64: false },
};

export const WS_PORT_FORWARD: Record<string, WsProtocol> = {
  'portforward.k8s.io': { version: 4, base64: false },
  'v4.channel.k8s.io': { version: 4, base64: false },
  'v4.base64.channel.k8s.io': { version: 4, base64: true },
  '': { version: 4, base64: false },
};

/** Header values as the client sent them, one entry per comma-separated token. */
export function headerList(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** The first of the client's protocols the server supports, or undefined. */
export function negotiate(client: string[], server: string[]): string | undefined {
  return client.find((p) => server.includes(p));
}
