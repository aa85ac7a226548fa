import type { AIGatewaySpec } from '../spec';
import { isAnnotationKey, durationSeconds } from '../spec/primitives';

/** Options of the Ingress in front of the gateway. */
export interface GatewayIngressOptions {
  /** Host name the Ingress serves. */
  readonly host: string;
  /**
   * IngressClass name. With "nginx" or none, the Ingress gets the ingress-nginx annotations
   * streaming needs (see `streamingAnnotations`).
   * @default the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * Secret with the TLS certificate for the host.
   * @default no TLS
   */
  readonly tlsSecretName?: string;
  /**
   * Annotations of the Ingress; they win over the ones the gateway sets.
   * @default the streaming annotations for ingress-nginx, nothing else
   */
  readonly annotations?: Record<string, string>;
}

const NGINX = 'nginx.ingress.kubernetes.io';

/**
 * ingress-nginx's body limit (its default, 1m, refuses long prompts and images with 413): the
 * gateway's own limit, so the two never disagree and the gateway's JSON 413 is what clients see.
 * nginx takes sizes in k/m units; bytes are rounded up to whole KiB.
 */
export const ingressBodySize = (spec: AIGatewaySpec) => `${Math.ceil(spec.limits.maxRequestBodyBytes / 1024)}k`;

/** ingress-nginx's own proxy timeouts; never go below them. */
const NGINX_DEFAULT_TIMEOUT_SECONDS = 60;

/**
 * What ingress-nginx needs in front of streamed LLM responses: no response buffering (tokens reach
 * the client as Envoy sends them, not when nginx's buffer fills), no request buffering (the body
 * is not spooled to disk first), read/send timeouts as long as the longest endpoint timeout (its
 * 60 s default would cut a slower answer or a long pause between tokens), and a body limit above
 * its 1m default. Only for class nginx or none (the cluster default is often ingress-nginx, and
 * other controllers ignore nginx.ingress.kubernetes.io/ keys).
 */
export function streamingAnnotations(spec: AIGatewaySpec, className: string | undefined): Record<string, string> {
  if (className !== undefined && className !== 'nginx') return {};
  const longest = Math.max(NGINX_DEFAULT_TIMEOUT_SECONDS, ...spec.endpoints.map((e) => Math.ceil(durationSeconds(e.timeout))));
  return {
    [`${NGINX}/proxy-read-timeout`]: String(longest),
    [`${NGINX}/proxy-send-timeout`]: String(longest),
    [`${NGINX}/proxy-body-size`]: ingressBodySize(spec),
    [`${NGINX}/proxy-buffering`]: 'off',
    [`${NGINX}/proxy-request-buffering`]: 'off',
  };
}

/** The Ingress's annotations: the streaming ones, then the user's (which win). Throws on a key Kubernetes refuses. */
export function ingressAnnotations(spec: AIGatewaySpec, options: GatewayIngressOptions): Record<string, string> {
  const own = options.annotations ?? {};
  const bad = Object.keys(own).filter((k) => !isAnnotationKey(k));
  if (bad.length > 0) {
    throw new Error(`ingress annotations: ${bad.map((k) => JSON.stringify(k)).join(', ')} must be a Kubernetes annotation key (optional DNS subdomain and "/", then a name of at most 63 characters)`);
  }
  return { ...streamingAnnotations(spec, options.className), ...own };
}
