/**
 * `kind: Status` error bodies, shaped like the ones k8s.io/apimachinery's api/errors package builds.
 * Handlers throw an ApiError; the router turns it into the HTTP response.
 */

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { type?: string; message?: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The reason apimachinery gives each HTTP code when nothing more specific is known. */
export const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = REASON_BY_CODE[code] ?? 'Unknown',
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** What a resource is called in messages: `aigates.gateway.example.com`, `services`. */
export interface QualifiedResource {
  group: string;
  resource: string;
}

export function qualified(r: QualifiedResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

function objDetails(r: QualifiedResource, name: string): StatusDetails {
  return { name, group: r.group, kind: r.resource };
}

export const errors = {
  notFound: (r: QualifiedResource, name: string) =>
    new ApiError(404, `${qualified(r)} "${name}" not found`, 'NotFound', objDetails(r, name)),
  /** An unknown path: the text the API server's NotFound handler sends. */
  noSuchResource: () => new ApiError(404, 'the server could not find the requested resource', 'NotFound', {}),
  alreadyExists: (r: QualifiedResource, name: string) =>
    new ApiError(409, `${qualified(r)} "${name}" already exists`, 'AlreadyExists', objDetails(r, name)),
  conflict: (r: QualifiedResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new ApiError(409, `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, 'Conflict', objDetails(r, name)),
  badRequest: (message: string) => new ApiError(400, message, 'BadRequest'),
  invalid: (kind: string, group: string, name: string, causes: { field: string; message: string; type?: string }[]) =>
    new ApiError(
      422,
      `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      'Invalid',
      { name, group, kind, causes: causes.map((c) => ({ type: c.type ?? 'FieldValueInvalid', message: c.message, field: c.field })) },
    ),
  methodNotSupported: (r: QualifiedResource, action: string) =>
    new ApiError(405, `${action} is not supported on resources of kind "${qualified(r)}"`, 'MethodNotAllowed', {
      group: r.group,
      kind: r.resource,
    }),
  unsupportedMediaType: (contentType: string, accepted: string[]) =>
    new ApiError(
      415,
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}` +
        (contentType ? ` (got ${contentType})` : ''),
      'UnsupportedMediaType',
    ),
  notAcceptable: (accepted: string[]) =>
    new ApiError(406, `only the following media types are accepted: ${accepted.join(', ')}`, 'NotAcceptable'),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
};

/** Default messages for injected faults, close to what a real API server or its priority-and-fairness filter says. */
export function injectedError(code: number, retryAfter?: number, message?: string, reason?: string): ApiError {
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  const details: StatusDetails | undefined = retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : undefined;
  const defaults: Record<number, string> = {
    401: 'Unauthorized',
    403: 'forbidden: injected fault',
    404: 'the server could not find the requested resource',
    409: 'Operation cannot be fulfilled: injected conflict',
    429: 'Too many requests, please try again later.',
    500: 'Internal error occurred: injected fault',
    503: 'the server is currently unable to handle the request',
    504: 'Timeout: request did not complete within the allowed duration',
  };
  const r = reason ?? REASON_BY_CODE[code] ?? 'Unknown';
  return new ApiError(code, message ?? defaults[code] ?? `injected fault ${code}`, r, details, headers);
}
